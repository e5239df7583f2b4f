# quantize: refusals leave nothing behind: a recipe asking for MX on stories260k's
# down_proj (in_features 172), an AutoRound layer_config import, an occupied destination.
. tests/cli/lib.sh
$BB recipe --model "$S260" --strategy pure --options MXFP4,MXFP8 --avg-bits 6.9153 -o "$TMP/pure.json" 2>"$TMP/log" || fail "pure on stories260k"
grep -q "kept BF16: model.layers.0.mlp.down_proj (in_features 172" "$TMP/log" || fail "fixed layers not reported"
[ "$(json_get "$TMP/pure.json" "j['layers']['model.layers.2.mlp.down_proj']")" = "{'weight': 'BF16', 'act': 'BF16', 'fixed': True}" ] || fail "fixed layer entry"
python3 -c "
import json; r=json.load(open('$TMP/pure.json'))
r['layers']['model.layers.2.mlp.down_proj']={'weight':'MXFP4','act':'MXFP4'}
json.dump(r, open('$TMP/bad.json','w'))"
expect_error "whose shape \[64, 172\] it cannot take (in_features must be a multiple of 32)" "$TMP/out" $BB quantize --model "$S260" --recipe "$TMP/bad.json" --out "$TMP/out"
# AutoRound's layer_config form is accepted as a recipe
$BB recipe --model "$S260" --strategy head --options MXFP4,MXFP8 --avg-bits 8 --export autoround -o "$TMP/ar.json" 2>/dev/null || fail "export"
$BB quantize --model "$S260" --recipe "$TMP/ar.json" --out "$TMP/q" 2>/dev/null || fail "quantize from layer_config"
[ "$(json_get "$TMP/q/config.json" "j['quantization_config']['layers']['model.layers.4.self_attn.o_proj']['weight']")" = MXFP8 ] || fail "imported formats"
mkdir "$TMP/full" && touch "$TMP/full/keep"
$BB quantize --model "$S260" --recipe "$TMP/ar.json" --out "$TMP/full" 2> "$TMP/err" && fail "overwrote a non-empty folder"
grep -q "already exists" "$TMP/err" || fail "message"
[ "$(ls "$TMP/full")" = keep ] || fail "touched the occupied folder"
