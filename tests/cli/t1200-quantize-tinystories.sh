# quantize: a complete fake-quantized checkpoint.
#  - an all-BF16 recipe reproduces the safetensors file byte for byte;
#  - quantizing is idempotent: a quantized checkpoint quantized again is byte-identical;
#  - tensors outside the budget (norms, lm_head) are copied byte for byte;
#  - config.json carries the recipe; side files are copied.
. tests/cli/lib.sh
$BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/head.json" 2>/dev/null || fail recipe
python3 -c "
import json; r=json.load(open('$TMP/head.json'))
for v in r['layers'].values(): v['weight']=v['act']='BF16'
json.dump(r, open('$TMP/bf16.json','w'))"
$BB quantize --model "$TINY" --recipe "$TMP/bf16.json" --out "$TMP/q-bf16" 2>/dev/null || fail "bf16 quantize"
cmp "$TINY/model.safetensors" "$TMP/q-bf16/model.safetensors" || fail "BF16 recipe changed the weights"
$BB quantize --model "$TINY" --recipe "$TMP/head.json" --out "$TMP/q1" --threads 2 2>/dev/null || fail "quantize"
$BB quantize --model "$TMP/q1" --recipe "$TMP/head.json" --out "$TMP/q2" --threads 1 2>/dev/null || fail "re-quantize"
cmp "$TMP/q1/model.safetensors" "$TMP/q2/model.safetensors" || fail "quantize is not idempotent"
cmp "$TINY/model.safetensors" "$TMP/q1/model.safetensors" > /dev/null && fail "nothing was quantized"
for f in tokenizer.json tokenizer_config.json generation_config.json special_tokens_map.json; do
	cmp "$TINY/$f" "$TMP/q1/$f" || fail "$f not copied"
done
[ "$(json_get "$TMP/q1/config.json" "j['quantization_config']['quant_method'], j['quantization_config']['layers']['model.layers.1.mlp.down_proj']['act'], j['hidden_size']")" = "bitbudget MXFP8 128" ] || fail "quantization_config"
# Byte-level check, independent of bitbudget's reader: the header is unchanged, the
# norms and lm_head are untouched, every block-0 weight (MXFP4) differs and lies on the
# E2M1 grid times a power of two per 32-block.
python3 - "$TINY/model.safetensors" "$TMP/q1/model.safetensors" <<'PY' || fail "byte-level check"
import struct, sys, json, math
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]
    return b[:8 + n], json.loads(b[8:8 + n]), b[8 + n:]
h0, j0, d0 = load(sys.argv[1]); h1, j1, d1 = load(sys.argv[2])
assert h0 == h1, "header changed"
grid = {0, 0.5, 1, 1.5, 2, 3, 4, 6}
for name, t in j0.items():
    if name == "__metadata__": continue
    a, b = t["data_offsets"]
    same = d0[a:b] == d1[a:b]
    if "layers.0." in name and name.endswith("proj.weight"):
        assert not same, name
        vals = struct.unpack("<%df" % ((b - a) // 4), d1[a:b])
        for i in range(0, len(vals), 32):
            block = vals[i:i + 32]
            m = max(abs(v) for v in block)
            if m == 0: continue
            scale = 2.0 ** (math.floor(math.log2(m)) - 2)
            assert all(abs(v) / scale in grid for v in block), (name, i)
    elif not name.endswith("proj.weight"):
        assert same, name
PY
