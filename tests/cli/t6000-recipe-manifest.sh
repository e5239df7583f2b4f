# recipe: every recipe carries a manifest (provenance), two runs on the same inputs give
# byte-identical files, and two recipes on the Llama-3.1-8B config match golden files
# (tests/golden/recipe-*.json; UPDATE_GOLDEN=1 rewrites them after a deliberate change).
. tests/cli/lib.sh
SCORES=tests/fixtures/scores/llama-3.1-8b-hand.json
golden() { # NAME ARGS...: run the recipe twice, compare the two and the golden file
	name=$1
	shift
	$BB recipe --model $LLAMA8B "$@" -o "$TMP/$name.json" 2>/dev/null || fail "$name"
	$BB recipe --model $LLAMA8B "$@" -o "$TMP/$name-again.json" 2>/dev/null || fail "$name again"
	cmp "$TMP/$name.json" "$TMP/$name-again.json" || fail "$name: two runs differ"
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		[ -z "${BB_TEST_SUITE:-}" ] || fail "UPDATE_GOLDEN is refused inside the test suite (tests/run.sh)"
		cp "$TMP/$name.json" "tests/golden/$name.json"
	fi
	cmp "tests/golden/$name.json" "$TMP/$name.json" || fail "$name differs from tests/golden/$name.json"
}
golden recipe-llama-head5 --strategy head --options MXFP4,MXFP8 --avg-bits 5
golden recipe-llama-ours5-pins-groups --strategy sensitivity --scores $SCORES --options MXFP4,MXFP8 \
	--avg-bits 5 --pin 'layers\.31\.mlp\.down_proj$=BF16' --group q_proj,k_proj,v_proj --group gate_proj,up_proj
# The manifest says what made the recipe: model identity (config.json hash in planning
# mode), budget, strategy, solver with its optimum, scores hash, version.
R="$TMP/recipe-llama-ours5-pins-groups.json"
[ "$(json_get "$R" "j['manifest']['model']['files'][0]['sha256']")" = "$(sha256sum $LLAMA8B/config.json | cut -d' ' -f1)" ] || fail "config hash"
[ "$(json_get "$R" "j['manifest']['model']['mode']")" = "config only" ] || fail "mode"
[ "$(json_get "$R" "j['manifest']['scores']['sha256']")" = "$(sha256sum $SCORES | cut -d' ' -f1)" ] || fail "scores hash"
[ "$(json_get "$R" "j['manifest']['scores']['method']")" = "hand" ] || fail "scores method"
[ "$(json_get "$R" "j['manifest']['bitbudget']")" = "$(sed -n 's/.*BITBUDGET_VERSION "\(.*\)"/\1/p' core/version.h)" ] || fail "version"
[ "$(json_get "$R" "j['manifest']['budget']['budget_bits'] == 5 * j['manifest']['budget']['total_params']")" = True ] || fail "budget bits"
[ "$(json_get "$R" "j['manifest']['strategy']['pins'], j['manifest']['strategy']['groups']")" = "['layers\\\\.31\\\\.mlp\\\\.down_proj\$=BF16'] ['q_proj,k_proj,v_proj', 'gate_proj,up_proj']" ] || fail "pins and groups"
# the optimum is the summed score of the free layers' chosen options, recomputed here
python3 - "$R" $SCORES <<'PY' || fail "solver optimum"
import json, sys
r, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["scores"]
total = sum(s[k][v["weight"]] for k, v in r["layers"].items() if not v.get("pinned"))
assert abs(total - r["manifest"]["solver"]["optimum"]) < 1e-9 * total, (total, r["manifest"]["solver"])
assert r["layers"]["model.layers.31.mlp.down_proj"] == {"weight": "BF16", "act": "BF16", "pinned": True}
PY
# a different input changes the manifest: the scores file's hash follows its bytes
sed 's/"hand"/"hand2"/' $SCORES > "$TMP/s2.json"
$BB recipe --model $LLAMA8B --strategy sensitivity --scores "$TMP/s2.json" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o2.json" 2>/dev/null || fail "other scores"
[ "$(json_get "$TMP/o2.json" "j['manifest']['scores']['sha256']")" = "$(sha256sum "$TMP/s2.json" | cut -d' ' -f1)" ] || fail "other scores hash"
# with weights, the shards are named with their size and header hash
$BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/t.json" 2>/dev/null || fail tiny
[ "$(json_get "$TMP/t.json" "[(f['name'], f['bytes']) for f in j['manifest']['model']['files']][1:]")" = "[('model.safetensors', $(stat -c %s "$TINY/model.safetensors"))]" ] || fail "shard entry"
