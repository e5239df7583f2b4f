# recipe --accounting: the budget in weights, scales or scales+zp (--count-scale-bits is
# scales+zp, AutoRound's default), every recipe reporting all four conventions; on the
# Llama-3.1-8B config W4G128 costs 4 / 4.125 / 4.15625 bits and has no GGUF type.
. tests/cli/lib.sh
r() { $BB recipe --model $LLAMA8B --strategy pure --options W4G128,W8G128 "$@"; }
r --avg-bits 4 -o "$TMP/w.json" 2> "$TMP/w.err" || fail "weights"
grep -q "^  average bits: weights 4.0000, scales 4.1250, scales+zp 4.1562, gguf n/a$" "$TMP/w.err" || { cat "$TMP/w.err"; fail "summary"; }
[ "$(json_get "$TMP/w.json" "j['accounting'], j['avg_bits']")" = "weights {'weights': 4, 'scales': 4.125, 'scales+zp': 4.15625, 'gguf': 'n/a'}" ] || fail "avg_bits"
r --avg-bits 4.125 --accounting scales -o "$TMP/s.json" 2>/dev/null || fail "scales"
[ "$(json_get "$TMP/s.json" "j['accounting'], j['achieved_avg_bits'], j['manifest']['budget']['accounting']")" = "scales 4.125 scales" ] || fail "scales recipe"
r --avg-bits 4.15625 --accounting scales+zp -o "$TMP/z.json" 2>/dev/null || fail "scales+zp"
[ "$(json_get "$TMP/z.json" "j['accounting'], j['achieved_avg_bits']")" = "scales+zp 4.15625" ] || fail "scales+zp recipe"
# --count-scale-bits is the same convention: the same file, byte for byte
r --avg-bits 4.15625 --count-scale-bits -o "$TMP/c.json" 2>/dev/null || fail "count-scale-bits"
cmp "$TMP/z.json" "$TMP/c.json" || fail "--count-scale-bits is not scales+zp"
# a budget under the convention's floor is infeasible, and says the range in that convention
expect_error "infeasible: these options reach 4.1250 to 8.1250" "$TMP/o.json" r --avg-bits 4 --accounting scales -o "$TMP/o.json"
expect_error "accounting takes weights, scales or scales+zp, not 'gguf'" "$TMP/o.json" r --avg-bits 4 --accounting gguf -o "$TMP/o.json"
expect_error "not 'bits'" "$TMP/o.json" r --avg-bits 4 --accounting bits -o "$TMP/o.json"
# W4G32 has a GGUF type (Q4_0, 4.5 bits), MXFP4 too (ggml's MXFP4, 4.25)
$BB recipe --model $LLAMA8B --strategy pure --options W4G32 --avg-bits 4 -o "$TMP/q.json" 2>/dev/null || fail "W4G32"
[ "$(json_get "$TMP/q.json" "j['avg_bits']['gguf'], j['avg_bits']['scales+zp']")" = "4.5 4.625" ] || fail "W4G32 conventions"
$BB recipe --model $LLAMA8B --strategy pure --options MXFP4,MXFP8 --avg-bits 4 -o "$TMP/m.json" 2>/dev/null || fail "MXFP4"
[ "$(json_get "$TMP/m.json" "list(j['avg_bits'].values())")" = "[4, 4.25, 4.25, 4.25]" ] || fail "MXFP4 conventions"
