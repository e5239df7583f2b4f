#!/bin/sh
# t7500: hostile inputs, round two (issue 12, items 13-15): each is refused with exit 2 and
# one line naming what is wrong, where it was accepted before and gave a wrong answer or a
# misleading message. Config floats that make NaN, NaN/Inf weights (refused by quantize
# unless --nonfinite passthrough, which gives exactly AutoRound's arithmetic), non-finite
# log-likelihoods, trailing bytes after a safetensors header, an index that disagrees with
# its shards, AutoRound layer_configs with fractional bits, undocumented weight/activation
# pairings, recipes for another model (--force), scores for layers the model lacks, lax
# numbers, colliding sweep file names, a regex that hits PCRE2's match limit.
. tests/cli/lib.sh
O="$TMP/o.json"

# expect_bad_input PATTERN OUTPUT CMD...: expect_error, and the exit status is 2.
expect_bad_input() {
	expect_error "$@"
	pattern=$1 output=$2
	shift 2
	"$@" > /dev/null 2>&1
	status=$?
	[ $status -eq 2 ] || fail "exit $status, not 2: $*"
}

# expect_midway_refusal PATTERN OUTPUT CMD...: a quantize refused once under way: its
# progress lines may come first, then exactly one error line; exit 2, OUTPUT absent and
# no temporary folder left beside it.
expect_midway_refusal() {
	pattern=$1 output=$2
	shift 2
	"$@" > /dev/null 2> "$TMP/err.all"
	status=$?
	[ $status -eq 2 ] || fail "exit $status, not 2: $*"
	grep -v '^quantize: [0-9]* / [0-9]* MB' "$TMP/err.all" > "$TMP/err.stderr"
	[ "$(wc -l < "$TMP/err.stderr")" -eq 1 ] || { cat "$TMP/err.all" >&2; fail "not one line: $*"; }
	grep -q -- "$pattern" "$TMP/err.stderr" || { cat "$TMP/err.stderr" >&2; fail "no '$pattern': $*"; }
	[ ! -e "$output" ] || fail "left $output behind: $*"
	ls "$(dirname "$output")" | grep -q '\.tmp\.' && fail "left a temporary folder: $*"
	return 0
}

# st.py: read and write .safetensors files byte by byte, independently of bitbudget.
cat > "$TMP/st.py" <<'EOF'
import json, struct, sys
def read(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]
def write(path, header, data, pad=b''):
    h = json.dumps(header, separators=(',', ':')).encode() + pad
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + data)
def set_f32(path, tensor, index, value):  # in place: the header's bytes stay as they are
    b = bytearray(open(path, 'rb').read())
    n = struct.unpack('<Q', b[:8])[0]
    at = 8 + n + json.loads(b[8:8 + n])[tensor]['data_offsets'][0] + 4 * index
    b[at:at + 4] = struct.pack('<f', value)
    open(path, 'wb').write(b)
def get_f32(path, tensor):
    header, data = read(path)
    a, b = header[tensor]['data_offsets']
    return struct.unpack('<%df' % ((b - a) // 4), data[a:b])
EOF
st() { python3 -c "import sys; sys.path.insert(0, '$TMP'); import st; $1"; }

# A private copy of tinystories-656k (2.6 MB, F32) whose files the cases may change.
copy_tiny() {
	mkdir "$1" && cp "$TINY"/* "$1"/ && chmod -R u+w "$1"
}
# with_config DIR KEY VALUE: DIR is tinystories with config.json's KEY set to VALUE (JSON).
with_config() {
	copy_tiny "$1"
	python3 -c "
import json, sys
c = json.load(open(sys.argv[1])); c[sys.argv[2]] = json.loads(sys.argv[3])
json.dump(c, open(sys.argv[1], 'w'))" "$1/config.json" "$2" "$3"
}

# ---- item 13: config floats that would make every activation NaN ----
for case in 'rms_norm_eps|-1' 'rms_norm_eps|0' 'rms_norm_eps|1e-50' 'rope_theta|0' \
	    'rope_theta|-10000' 'rope_theta|1e300'; do
	key=${case%%|*} value=${case#*|}
	with_config "$TMP/$key=$value" "$key" "$value"
	expect_bad_input "config.json': '$key' must be a finite number > 0" "$O" \
		$BB inspect "$TMP/$key=$value"
	expect_bad_input "config.json': '$key' must be a finite number > 0" "$O" \
		$BB loglik --model "$TMP/$key=$value" --context "Lily was happy." --continuation " She"
done
with_config "$TMP/ropefactor" rope_scaling '{"rope_type": "llama3", "factor": 0}'
expect_bad_input "'rope_scaling.factor' must be a finite number > 0" "$O" $BB inspect "$TMP/ropefactor"
with_config "$TMP/ropeband" rope_scaling '{"rope_type": "llama3", "low_freq_factor": 4, "high_freq_factor": 4}'
expect_bad_input "high_freq_factor 4 must be more than low_freq_factor 4" "$O" $BB inspect "$TMP/ropeband"

# ---- item 13: a NaN in the weights: no log-likelihood, no score ----
copy_tiny "$TMP/nanmodel"
st "st.set_f32('$TMP/nanmodel/model.safetensors', 'model.norm.weight', 3, float('nan'))"
expect_bad_input "log-likelihood of span 1 of 1 is NaN" "$O" \
	$BB loglik --model "$TMP/nanmodel" --context "Lily was happy." --continuation " She"
expect_bad_input "log-likelihood of span 1 of 1 is NaN" "$O" \
	$BB loglik --model "$TMP/nanmodel" --rolling "Once upon a time there was a cat."
expect_error "task 'piqa', requests 0..3: the model's log-likelihood of span 1 of 4 is NaN" "$O" \
	$BB eval --endpoint local --model "$TMP/nanmodel" --tasks piqa --limit 2 -q -o "$O"

# ---- item 13: NaN and Inf weights in quantize ----
$BB recipe --model "$TINY" --strategy pure --options MXFP4 --avg-bits 4 -o "$TMP/mx4.json" 2>/dev/null || fail "recipe"
$BB recipe --model "$TINY" --strategy pure --options W4G32 --avg-bits 4 -o "$TMP/w4.json" 2>/dev/null || fail "recipe W4G32"
$BB quantize --model "$TINY" --recipe "$TMP/mx4.json" --out "$TMP/clean-mx4" 2>/dev/null || fail "quantize clean"
$BB quantize --model "$TINY" --recipe "$TMP/w4.json" --out "$TMP/clean-w4" 2>/dev/null || fail "quantize clean W4G32"
UP=model.layers.0.mlp.up_proj.weight    # [384, 128]
DOWN=model.layers.1.mlp.down_proj.weight # [128, 384]
copy_tiny "$TMP/nanw"
st "st.set_f32('$TMP/nanw/model.safetensors', '$UP', 300, float('nan'))"
expect_midway_refusal "model.safetensors': tensor '$UP' holds NaN at flat index 300 (row 2, column 44)" \
	"$TMP/q-nan" $BB quantize --model "$TMP/nanw" --recipe "$TMP/mx4.json" --out "$TMP/q-nan"
copy_tiny "$TMP/infw"
st "st.set_f32('$TMP/infw/model.safetensors', '$DOWN', 7, float('-inf'))"
expect_midway_refusal "tensor '$DOWN' holds -Inf at flat index 7 (row 0, column 7)" \
	"$TMP/q-inf" $BB quantize --model "$TMP/infw" --recipe "$TMP/mx4.json" --out "$TMP/q-inf"
expect_bad_input "quantize: --nonfinite takes error or passthrough, not 'zero'" "$TMP/q-inf" \
	$BB quantize --model "$TMP/infw" --recipe "$TMP/mx4.json" --out "$TMP/q-inf" --nonfinite zero
# passthrough: AutoRound's arithmetic (../shared/docs/autoround-autoscheme.md 2.2): a NaN
# makes its MX block or INT group NaN; an Inf in an MXFP4 block stays Inf and flushes the
# other 31 to zero, in an INT group it makes the scale Inf and the group NaN. Every other
# value equals the clean model's.
$BB quantize --model "$TMP/nanw" --recipe "$TMP/mx4.json" --out "$TMP/q-nan" --nonfinite passthrough 2>/dev/null ||
	fail "passthrough refused"
$BB quantize --model "$TMP/infw" --recipe "$TMP/mx4.json" --out "$TMP/q-inf" --nonfinite passthrough 2>/dev/null ||
	fail "passthrough refused (Inf)"
$BB quantize --model "$TMP/nanw" --recipe "$TMP/w4.json" --out "$TMP/q-nan-w4" --nonfinite passthrough 2>/dev/null ||
	fail "passthrough refused (W4G32)"
$BB quantize --model "$TMP/infw" --recipe "$TMP/w4.json" --out "$TMP/q-inf-w4" --nonfinite passthrough 2>/dev/null ||
	fail "passthrough refused (Inf, W4G32)"
st "
import math
def check(got_dir, clean_dir, tensor, bad_block, expect):
    got = st.get_f32(got_dir + '/model.safetensors', tensor)
    clean = st.get_f32(clean_dir + '/model.safetensors', tensor)
    for i, (g, c) in enumerate(zip(got, clean)):
        if i // 32 == bad_block:
            assert expect(i % 32, g), (got_dir, i, g)
        else:
            assert g == c, (got_dir, tensor, i, g, c)
check('$TMP/q-nan', '$TMP/clean-mx4', '$UP', 300 // 32, lambda k, g: math.isnan(g))
check('$TMP/q-nan-w4', '$TMP/clean-w4', '$UP', 300 // 32, lambda k, g: math.isnan(g))
check('$TMP/q-inf', '$TMP/clean-mx4', '$DOWN', 0, lambda k, g: g == -math.inf if k == 7 else g == 0)
check('$TMP/q-inf-w4', '$TMP/clean-w4', '$DOWN', 0, lambda k, g: math.isnan(g))
" || fail "passthrough values are not AutoRound's"

# ---- item 14: bytes after the safetensors header ----
$BB_TEST_TOOL synth "$TMP/synth" --shards 2 --dtype f32 >/dev/null || fail "synth"
SHARD1=$(cd "$TMP/synth" && ls model-*.safetensors | head -1)
SHARD2=$(cd "$TMP/synth" && ls model-*.safetensors | tail -1)
params=$($BB inspect "$TMP/synth" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['total_params'])")
for pad in 'x' '\0' ' \0'; do
	rm -rf "$TMP/trail" && cp -r "$TMP/synth" "$TMP/trail"
	st "h, d = st.read('$TMP/trail/$SHARD1'); st.write('$TMP/trail/$SHARD1', h, d, pad=b'$pad')"
	expect_bad_input "$SHARD1': header has .* after its JSON object" "$O" $BB inspect "$TMP/trail"
done
grep -q "a NUL" "$TMP/err.stderr" || fail "the NUL is not named"
# What the reference reader accepts (safetensors 0.8): blanks after the object, spaces the
# format's padding; the same checkpoint then, with the same parameters.
rm -rf "$TMP/trail" && cp -r "$TMP/synth" "$TMP/trail"
st "h, d = st.read('$TMP/trail/$SHARD1'); st.write('$TMP/trail/$SHARD1', h, d, pad=b'   \n\t\r ')"
[ "$($BB inspect "$TMP/trail" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['total_params'])")" = "$params" ] ||
	fail "a header padded with blanks is refused"

# ---- item 14: the index's tensor -> shard map is checked ----
IDX=model.safetensors.index.json
reindex() { # reindex DIR PYTHON: edit DIR's index, m is its weight_map
	rm -rf "$1" && cp -r "$TMP/synth" "$1"
	python3 -c "
import json, sys
p = sys.argv[1]; j = json.load(open(p)); m = j['weight_map']
$2
json.dump(j, open(p, 'w'))" "$1/$IDX"
}
T2=$(st "h, d = st.read('$TMP/synth/$SHARD2'); print(sorted(k for k in h if k != '__metadata__')[0])")
reindex "$TMP/wrongshard" "m['$T2'] = '$SHARD1'"
expect_bad_input "$IDX': tensor '$T2' is mapped to '$SHARD1', which does not hold it" "$O" \
	$BB inspect "$TMP/wrongshard"
reindex "$TMP/unlisted" "del m['$T2']"
expect_bad_input "$IDX': tensor '$T2' of shard '$SHARD2' is not in the index's weight_map" "$O" \
	$BB inspect "$TMP/unlisted"
reindex "$TMP/empty" "m.clear()"
expect_bad_input "$IDX': the index has an empty weight_map" "$O" $BB inspect "$TMP/empty"
# The same tensor in both shards: the first one silently won.
rm -rf "$TMP/twice" && cp -r "$TMP/synth" "$TMP/twice"
st "
h1, d1 = st.read('$TMP/twice/$SHARD1'); h2, d2 = st.read('$TMP/twice/$SHARD2')
a, b = h2['$T2']['data_offsets']
h1['$T2'] = dict(h2['$T2'], data_offsets=[len(d1), len(d1) + b - a])
st.write('$TMP/twice/$SHARD1', h1, d1 + d2[a:b])"
expect_bad_input "tensor '$T2' is in two shards, '$SHARD2' and '$SHARD1'" "$O" $BB inspect "$TMP/twice"

# ---- item 14: a non-string hidden_act ----
with_config "$TMP/act" hidden_act 5
expect_bad_input "config.json': 'hidden_act' must be a string" "$O" $BB inspect "$TMP/act"

# ---- item 14: AutoRound layer_config numbers must be integers ----
$BB recipe --model "$TINY" --strategy pure --options W4G32 --avg-bits 4 --export autoround -o "$TMP/ar.json" 2>/dev/null || fail "export"
for case in 'bits|4.5' 'group_size|32.7'; do
	key=${case%%|*} value=${case#*|}
	python3 -c "
import json, sys
r = json.load(open(sys.argv[1])); r['model.layers.1.mlp.up_proj'][sys.argv[2]] = float(sys.argv[3])
json.dump(r, open(sys.argv[4], 'w'))" "$TMP/ar.json" "$key" "$value" "$TMP/ar-$key.json"
	expect_bad_input "layer 'model.layers.1.mlp.up_proj': '$key' must be an integer" "$TMP/q-ar" \
		$BB quantize --model "$TINY" --recipe "$TMP/ar-$key.json" --out "$TMP/q-ar"
done

# ---- item 14: only documented weight/activation pairings ----
for pair in 'MXFP4|MXFP8|MXFP4' 'MXFP8|MXFP4|MXFP8' 'MXFP4|BF16|MXFP4' 'W4G32|MXFP4|BF16' 'BF16|MXFP8|BF16'; do
	w=$(echo "$pair" | cut -d'|' -f1) a=$(echo "$pair" | cut -d'|' -f2) want=$(echo "$pair" | cut -d'|' -f3)
	python3 -c "
import json, sys
r = json.load(open(sys.argv[1])); r['layers']['model.layers.0.self_attn.q_proj'] = {'weight': sys.argv[2], 'act': sys.argv[3]}
json.dump(r, open(sys.argv[4], 'w'))" "$TMP/mx4.json" "$w" "$a" "$TMP/pair.json"
	case "$w$a" in
	W4G32MXFP4|BF16MXFP8) msg="MX activations need an MX weight (got $w)" ;;
	*) msg="weight $w with activation $a is not a documented pairing ($w takes activation $want)" ;;
	esac
	expect_bad_input "layer 'model.layers.0.self_attn.q_proj': $msg" "$TMP/q-pair" \
		$BB quantize --model "$TINY" --recipe "$TMP/pair.json" --out "$TMP/q-pair"
done

# ---- item 14: a recipe made for another model (its manifest's identity) ----
with_config "$TMP/other" initializer_range 0.03  # same shapes, another config.json
id=$(json_get "$TMP/mx4.json" "j['manifest']['model']['identity'][:12]")
expect_bad_input "recipe '$TMP/mx4.json' was made for a model with identity $id, but '$TMP/other' has identity" \
	"$TMP/q-other" $BB quantize --model "$TMP/other" --recipe "$TMP/mx4.json" --out "$TMP/q-other"
expect_bad_input "was made for a model with identity $id" "$O" \
	$BB loglik --model "$TMP/other" --recipe "$TMP/mx4.json" --context "Lily was happy." --continuation " She"
expect_bad_input "was made for a model with identity $id" "$O" \
	$BB generate --model "$TMP/other" --recipe "$TMP/mx4.json" --max-tokens 2
expect_bad_input "was made for a model with identity $id" "$O" \
	$BB eval --endpoint local --model "$TMP/other" --recipe "$TMP/mx4.json" --tasks piqa --limit 1 -q -o "$O"
# --force applies it: the result is the recipe's arithmetic on the other model's weights,
# which are tinystories' own, so the quantized weights equal the clean quantization.
$BB quantize --model "$TMP/other" --recipe "$TMP/mx4.json" --out "$TMP/q-other" --force 2>/dev/null || fail "--force refused"
cmp -s "$TMP/q-other/model.safetensors" "$TMP/clean-mx4/model.safetensors" || fail "--force wrote other weights"
$BB loglik --model "$TMP/other" --recipe "$TMP/mx4.json" --force --context "Lily was happy." --continuation " She" > /dev/null || fail "loglik --force"
$BB generate --model "$TMP/other" --recipe "$TMP/mx4.json" --force --max-tokens 2 > /dev/null || fail "generate --force"
# AutoRound's form has no manifest, so nothing to compare; a recipe planned from
# config.json alone fits the checkpoint with that config.
$BB recipe --model "$TINY" --strategy pure --options MXFP4 --avg-bits 4 --export autoround -o "$TMP/ar-mx4.json" 2>/dev/null || fail "export"
$BB quantize --model "$TMP/other" --recipe "$TMP/ar-mx4.json" --out "$TMP/q-ar-other" 2>/dev/null || fail "a layer_config was checked"
mkdir "$TMP/plan" && cp "$TINY/config.json" "$TMP/plan/"
$BB recipe --model "$TMP/plan" --strategy pure --options MXFP4 --avg-bits 4 -o "$TMP/planned.json" 2>/dev/null || fail "planning mode"
$BB quantize --model "$TINY" --recipe "$TMP/planned.json" --out "$TMP/q-planned" 2>/dev/null || fail "a planned recipe was refused"
expect_bad_input "was made for a model with identity" "$TMP/q-planned2" \
	$BB quantize --model "$TMP/other" --recipe "$TMP/planned.json" --out "$TMP/q-planned2"

# ---- item 14: scores naming layers the model does not have ----
python3 -c "
import json, sys
layers = ['model.layers.%d.%s' % (b, k) for b in range(2) for k in
          ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj',
           'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']] + ['model.layers.7.mlp.up_proj']
json.dump({'options': ['MXFP4', 'MXFP8'], 'scores': {l: {'MXFP4': 1.0, 'MXFP8': 0.5} for l in layers}},
          open(sys.argv[1], 'w'))" "$TMP/scores.json"
expect_bad_input "scores.json': scores name layer 'model.layers.7.mlp.up_proj', which the model does not have" "$O" \
	$BB recipe --model "$TINY" --strategy sensitivity --scores "$TMP/scores.json" --options MXFP4,MXFP8 --avg-bits 5 -o "$O"

# ---- item 14: numbers are plain decimals ----
for bits in 0x5 ' 5' '5 ' inf nan 1e '+-5' '0x4:5:0.5' '4:5: 0.5'; do
	expect_bad_input "avg-bits: '.*' is not a number in \[0, 64\]" "$O" \
		$BB recipe --model "$TINY" --strategy pure --options MXFP4,MXFP8 --avg-bits "$bits" -o "$O"
done
expect_bad_input "\-\-threads: ' 2' is not an integer in \[1, 1024\]" "$TMP/q-threads" \
	$BB quantize --model "$TINY" --recipe "$TMP/mx4.json" --out "$TMP/q-threads" --threads ' 2'
expect_bad_input "\-\-max-tokens: '0x10' is not an integer" "$O" $BB generate --model "$TINY" --max-tokens 0x10
$BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 5e0 -o "$TMP/e.json" 2>/dev/null || fail "5e0 refused"
[ "$(json_get "$TMP/e.json" "j['target_avg_bits']")" = 5 ] || fail "5e0 is not 5"

# ---- item 14: a sweep whose budgets share a file name ----
expect_bad_input "budgets 4.25 and 4.2500010000000001 would both be written to '$TMP/r-4.25.json'" "$TMP/r-4.25.json" \
	$BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 4.25:4.250003:0.000001 -o "$TMP/r-{bits}.json"

# ---- item 15: a regex that backtracks past PCRE2's match limit ----
copy_tiny "$TMP/regex"
python3 -c "
import json, sys
t = json.load(open(sys.argv[1]))
t['normalizer']['normalizers'].append({'type': 'Replace', 'pattern': {'Regex': '(a|aa)*[bc]'}, 'content': 'x'})
json.dump(t, open(sys.argv[1], 'w'))" "$TMP/regex/tokenizer.json"
expect_bad_input "tokenizer: the normalizer Replace regex hit PCRE2's match limit at byte 0 of a 43-byte text" "$O" \
	$BB loglik --model "$TMP/regex" --rolling "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

# ---- item 15: a shape too large for the data section, as it is ----
rm -rf "$TMP/huge" && cp -r "$TMP/synth" "$TMP/huge"
st "h, d = st.read('$TMP/huge/$SHARD1'); k = sorted(x for x in h if x != '__metadata__')[0]; h[k]['shape'] = [1099511627776, 1099511627776]; st.write('$TMP/huge/$SHARD1', h, d)"
expect_bad_input "has shape \[1099511627776, 1099511627776\], more elements than the whole data section" "$O" \
	$BB inspect "$TMP/huge"
exit 0
