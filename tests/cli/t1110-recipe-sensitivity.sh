# recipe --strategy sensitivity: a hand-checked knapsack on tinystories-656k.
# At 5 bits over MXFP4/MXFP8 the budget allows 8-bit weights on 98304 of the 393216
# parameters (25%). Scores: each down_proj (49152 params) gains 10 from MXFP8, each q_proj
# (16384) gains 3, every other layer 1. Both down_proj layers (gain 20) beat every other
# set that fits (one down_proj + two q_proj + two k/v = 18), so exactly they get MXFP8.
. tests/cli/lib.sh
python3 - "$TMP/scores.json" <<'PY'
import json, sys
gain = {"down_proj": 10, "q_proj": 3}
scores = {}
for b in range(2):
    for part, kinds in (("self_attn", "q k v o"), ("mlp", "gate up down")):
        for k in kinds.split():
            scores[f"model.layers.{b}.{part}.{k}_proj"] = {"MXFP4": gain.get(k + "_proj", 1), "MXFP8": 0}
json.dump({"options": ["MXFP4", "MXFP8"], "method": "hand", "scores": scores}, open(sys.argv[1], "w"))
PY
$BB recipe --model "$TINY" --strategy sensitivity --options MXFP4,MXFP8 --avg-bits 5 --scores "$TMP/scores.json" -o "$TMP/r.json" 2>/dev/null || fail "sensitivity"
[ "$(json_get "$TMP/r.json" "sorted(k for k,v in j['layers'].items() if v['weight']=='MXFP8')")" = "['model.layers.0.mlp.down_proj', 'model.layers.1.mlp.down_proj']" ] || fail "wrong layers raised"
[ "$(json_get "$TMP/r.json" "float(j['achieved_avg_bits'])")" = "5.0" ] || fail "achieved bits"
# without scores it is a clear error, and no file
expect_error "needs --scores" "$TMP/none.json" $BB recipe --model "$TINY" --strategy sensitivity --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/none.json"
