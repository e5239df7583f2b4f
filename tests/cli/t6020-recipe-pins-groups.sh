# recipe --pin, --pin-file, --group: pinned layers keep their format and count in the
# budget, every strategy works around them; grouped kinds share a format per block; bad
# pins and groups are one-line errors that name the layer, the pins or the line.
. tests/cli/lib.sh
SCORES=tests/fixtures/scores/llama-3.1-8b-hand.json
cat > "$TMP/pins.txt" <<'PINS'
# the first and the last block's down_proj stay 8-bit
layers\.0\.mlp\.down_proj$=MXFP8

   layers\.31\.mlp\.down_proj$=MXFP8
PINS
for s in pure head tail sensitivity "external:python3 -c 'import json,sys; p=json.load(sys.stdin); print(json.dumps({\"layers\": {l[\"name\"]: l.get(\"format\", \"MXFP4\") for l in p[\"layers\"]}}))'"; do
	$BB recipe --model $LLAMA8B --strategy "$s" --scores $SCORES --options MXFP4,MXFP8 --avg-bits 4.5 \
		--pin-file "$TMP/pins.txt" --pin 'layers\.5\.self_attn\.o_proj=BF16' -o "$TMP/r.json" 2>/dev/null || fail "$s with pins"
	[ "$(json_get "$TMP/r.json" "[(k.split('.')[2], v['weight']) for k, v in j['layers'].items() if v.get('pinned')]")" = "[('0', 'MXFP8'), ('5', 'BF16'), ('31', 'MXFP8')]" ] || fail "$s: pinned layers"
	[ "$(json_get "$TMP/r.json" "j['achieved_avg_bits'] <= 4.5")" = True ] || fail "$s: budget"
done
# the pins take bits: pure stays at MXFP4 elsewhere and reports the average they cost
$BB recipe --model $LLAMA8B --strategy pure --options MXFP4,MXFP8 --avg-bits 4.5 --pin-file "$TMP/pins.txt" -o "$TMP/p.json" 2>&1 >/dev/null | grep -q "pinned: 2 layers" || fail "summary names the pins"
[ "$(json_get "$TMP/p.json" "round(j['achieved_avg_bits'] * 6979321856) == 4 * 6979321856 + 2 * 4 * 58720256")" = True ] || fail "pinned bits counted"
# errors
e() { pat=$1; shift; expect_error "$pat" "$TMP/o.json" $BB recipe --model "${MODEL:-$LLAMA8B}" --strategy head --options MXFP4,MXFP8 --avg-bits "${BITS:-5}" -o "$TMP/o.json" "$@"; }
BITS=4.5 e "the pins alone exceed the budget: pinned layers take 8.0000 average bits" --pin '_proj$=MXFP8'
e "layer 'model.layers.3.self_attn.q_proj' is matched by pin 'q_proj=MXFP8' and pin 'layers\\\\.3\\\\.=MXFP4'" --pin 'q_proj=MXFP8' --pin 'layers\.3\.=MXFP4'
MODEL=$S260 e "pin 'down_proj=W4G32': layer 'model.layers.0.mlp.down_proj' \[64, 172\] cannot take W4G32" --pin 'down_proj=W4G32'
e "bad regex 'layers\\\\.(3'" --pin 'layers\.(3=MXFP8'
e "pin 'lm_head=MXFP8' matches no layer" --pin 'lm_head=MXFP8'
e "pin 'q_proj' is not REGEX=FORMAT" --pin 'q_proj'
printf 'q_proj=MXFP8\nk_proj=MXFP9\n' > "$TMP/bad.txt"
e "bad.txt' line 2: pin 'k_proj=MXFP9': unknown format" --pin-file "$TMP/bad.txt"
e "'$TMP/missing.txt'" --pin-file "$TMP/missing.txt"
e "group 'q_proj,qkv': 'qkv' is not a layer kind" --group q_proj,qkv
e "groups 'q_proj,k_proj' and 'k_proj,v_proj' both hold k_proj" --group q_proj,k_proj --group k_proj,v_proj
# groups: q,k,v and gate,up share a format within each block, for every strategy
for s in head tail sensitivity; do
	$BB recipe --model $LLAMA8B --strategy $s --scores $SCORES --options MXFP4,MXFP8 --avg-bits 5.3 \
		--group q_proj,k_proj,v_proj --group gate_proj,up_proj -o "$TMP/g.json" 2>/dev/null || fail "$s with groups"
	python3 - "$TMP/g.json" <<'PY' || fail "$s: groups split"
import json, sys
L = json.load(open(sys.argv[1]))["layers"]
for b in range(32):
    a = {L[f"model.layers.{b}.self_attn.{k}_proj"]["weight"] for k in "qkv"}
    m = {L[f"model.layers.{b}.mlp.{k}_proj"]["weight"] for k in ("gate", "up")}
    assert len(a) == 1 and len(m) == 1, (b, a, m)
PY
done
# an external strategy that splits a group is refused
expect_error "are grouped but have" "$TMP/o.json" $BB recipe --model "$TINY" --options MXFP4,MXFP8 --avg-bits 5 --group q_proj,k_proj -o "$TMP/o.json" \
	--strategy "external:python3 -c 'import json,sys; p=json.load(sys.stdin); print(json.dumps({\"layers\": {l[\"name\"]: (\"MXFP8\" if l[\"name\"].endswith(\"0.self_attn.k_proj\") else \"MXFP4\") for l in p[\"layers\"]}}))'"
