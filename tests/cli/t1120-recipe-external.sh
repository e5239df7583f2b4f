# recipe --strategy external:CMD: an honest program's recipe is accepted; programs that
# lie (missing layer, over budget, unknown format, bad JSON, failure) are rejected.
. tests/cli/lib.sh
cat > "$TMP/honest.py" <<'PY'
import json, sys
p = json.load(sys.stdin)
# raise layers with the largest params first while they fit: a toy strategy
spent = sum(l["cost_bits"][p["options"][0]] for l in p["layers"])
out = {}
for l in sorted(p["layers"], key=lambda l: -l["params"]):
    lo, hi = (l["cost_bits"][o] for o in (p["options"][0], p["options"][-1]))
    if not l["fixed"] and spent + hi - lo <= p["budget_bits"]:
        spent += hi - lo
        out[l["name"]] = p["options"][-1]
    else:
        out[l["name"]] = "BF16" if l["fixed"] else p["options"][0]
json.dump({"layers": out}, sys.stdout)
PY
$BB recipe --model "$TINY" --strategy "external:python3 $TMP/honest.py" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/r.json" 2>/dev/null || fail "honest external"
[ "$(json_get "$TMP/r.json" "j['strategy'].startswith('external:'), j['achieved_avg_bits'] <= 5, sum(v['weight']=='MXFP8' for v in j['layers'].values())")" = "True True 2" ] || fail "external recipe content"
lie() { # lie NAME PYTHON-EXPRESSION-MUTATING-out
	printf 'import json,sys\np=json.load(sys.stdin)\nout={l["name"]:p["options"][-1] for l in p["layers"]}\n%s\njson.dump({"layers":out},sys.stdout)\n' "$2" > "$TMP/$1.py"
}
lie over-budget "pass"
lie missing-layer 'out.pop("model.layers.0.mlp.up_proj"); out={k:"MXFP4" for k in out}'
lie unknown-format 'out={k:"MXFP4" for k in out}; out["model.layers.0.mlp.up_proj"]="FP3"'
lie extra-layer 'out={k:"MXFP4" for k in out}; out["model.layers.9.mlp.up_proj"]="MXFP4"'
expect_error "over the budget" "$TMP/o1.json" $BB recipe --model "$TINY" --strategy "external:python3 $TMP/over-budget.py" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o1.json"
expect_error "no entry for layer 'model.layers.0.mlp.up_proj'" "$TMP/o2.json" $BB recipe --model "$TINY" --strategy "external:python3 $TMP/missing-layer.py" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o2.json"
expect_error "unknown format 'FP3'" "$TMP/o3.json" $BB recipe --model "$TINY" --strategy "external:python3 $TMP/unknown-format.py" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o3.json"
expect_error "recipe names layer 'model.layers.9.mlp.up_proj', which the model lacks" "$TMP/o4.json" $BB recipe --model "$TINY" --strategy "external:python3 $TMP/extra-layer.py" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o4.json"
expect_error "not valid JSON" "$TMP/o5.json" $BB recipe --model "$TINY" --strategy "external:echo '{oops'" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o5.json"
expect_error "failed (exit status 3)" "$TMP/o6.json" $BB recipe --model "$TINY" --strategy "external:python3 -c 'import sys; sys.exit(3)'" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o6.json"
