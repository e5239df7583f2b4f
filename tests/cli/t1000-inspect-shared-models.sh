# inspect: the budget inventory of both shared models and of a config-only folder.
. tests/cli/lib.sh
$BB inspect "$TINY" > "$TMP/tiny" || fail "inspect tinystories"
grep -q '^total: 14 layers, 393216 parameters' "$TMP/tiny" || fail "tinystories totals"
grep -q '^model.layers.1.mlp.down_proj  *1 down_proj  *128  *384  *49152$' "$TMP/tiny" || fail "down_proj row"
$BB inspect "$S260" --json > "$TMP/s260.json" || fail "inspect --json"
[ "$(json_get "$TMP/s260.json" "j['n_layers'], j['total_params'], j['layers'][6]['in']")" = "35 226560 172" ] || fail "stories260k json"
$BB inspect "$LLAMA8B" --include-lm-head > "$TMP/llama" || fail "inspect planning mode"
grep -q 'config only: planning mode' "$TMP/llama" || fail "planning mode not reported"
# 32 blocks x 218103808 + lm_head 128256 x 4096
grep -q '^total: 225 layers, 7504658432 parameters' "$TMP/llama" || fail "llama totals"
