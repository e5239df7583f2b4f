#!/bin/sh
# t7110: one identity per result. Two rows whose labels slugify to the same name ("Head 5"
# as head, "head-5" as tail) get recipe files of their own (named by content), each result
# records the SHA-256 of the recipe it was evaluated with, and the two evaluations differ
# as their recipes do. A job whose recipe file changed after planning is refused and no
# result is written. An experiment name that is not one file name is refused, and nothing
# is written outside the run's folders.
. tests/cli/lib.sh
cat > "$TMP/collide.json" <<'EOF'
{
  "name": "collide",
  "title": "Two labels, one slug",
  "options": ["MXFP4", "MXFP8"],
  "tasks": ["lambada_openai"],
  "models": [{"name": "unused", "hf_id": "unused", "dir": "unused"}],
  "rows": [
    {"label": "Head 5", "strategy": "head", "avg_bits": 5},
    {"label": "head-5", "strategy": "tail", "avg_bits": 5}
  ],
  "published": {},
  "demo": {"measures": ["acc"], "model": "tinystories-656k", "name": "TinyStories-656K", "hf_id": "raincandy-u/TinyStories-656K",
           "tasks": ["experiments/demo-tasks/story_cloze.json", "experiments/demo-tasks/story_endings.json"],
           "note": "demo tasks, first documents only"}
}
EOF
run() {
	exp=$1
	shift
	$BB run "$exp" --demo --limit 6 --results "$TMP/results" --reports "$TMP/reports" \
		--plots "$TMP/plots" --scratch "$TMP/scratch" "$@"
}
run "$TMP/collide.json" > /dev/null 2> "$TMP/run.err" || { cat "$TMP/run.err" >&2; fail "run"; }
# The recipes each row should have, made independently by `bitbudget recipe`.
for s in head tail; do
	$BB recipe --model "$TINY" --strategy $s --options MXFP4,MXFP8 --avg-bits 5 \
		-o "$TMP/$s.json" 2> /dev/null || fail "recipe $s"
done
python3 - "$TMP/results/cache" "$TMP" <<'PY' || fail "the two rows' results"
import hashlib, json, os, sys
cache, tmp = sys.argv[1], sys.argv[2]
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
formats = lambda p: {k: v["weight"] for k, v in json.load(open(p))["layers"].items()}
res = {}
for f in os.listdir(cache):
    r = json.load(open(os.path.join(cache, f)))
    res[r["row"]] = r
assert sorted(res) == ["Head 5", "head-5"], sorted(res)
head, tail = res["Head 5"], res["head-5"]
assert head["recipe"] != tail["recipe"], "both rows name one recipe file"
for r, strategy in ((head, "head"), (tail, "tail")):
    # the recorded hash is the hash of the file the row names ...
    assert r["recipe_sha256"] == sha(r["recipe"]), (r["row"], r["recipe"])
    # ... and that file is the row's own strategy
    assert formats(r["recipe"]) == formats(os.path.join(tmp, strategy + ".json")), r["row"]
assert formats(os.path.join(tmp, "head.json")) != formats(os.path.join(tmp, "tail.json"))
assert head["recipe_sha256"] != tail["recipe_sha256"]
# different recipes, different log-likelihoods (the same on every document means one
# recipe was evaluated twice)
lls = lambda r: [d["filtered_resps"] for t in sorted(r["lm_eval"]["samples"])
                 for d in r["lm_eval"]["samples"][t]]
assert lls(head) != lls(tail), "the two rows evaluated the same model"
PY

# A recipe file changed after planning: its job is refused, no result is written.
key=$(python3 -c "
import json, os, sys
c = sys.argv[1]
print([f[:-5] for f in os.listdir(c) if json.load(open(os.path.join(c, f)))['row'] == 'Head 5'][0])" "$TMP/results/cache")
spec="$TMP/results/collide/jobs/$key.json"
recipe=$(json_get "$spec" 'j["recipe"]')
cp "$TMP/tail.json" "$recipe"
rm "$TMP/results/cache/$key.json"
$BB run-job "$spec" --slot 1 > /dev/null 2> "$TMP/job.err" && fail "run-job evaluated a changed recipe"
grep -q "^error: recipe '.*' has SHA-256 .*not the .* its job was planned with" "$TMP/job.err" ||
	{ cat "$TMP/job.err" >&2; fail "run-job: no error naming the changed recipe"; }
[ ! -e "$TMP/results/cache/$key.json" ] || fail "run-job wrote a result for a changed recipe"

# Experiment names that are not one file name: refused before anything is written. The
# folders are deep enough that "../../../x" would still land inside $TMP.
D="$TMP/a/b/c/d"
mkdir -p "$D"
for name in '../../../x' 'sub/x'; do
	sed "s|\"name\": \"collide\"|\"name\": \"$name\"|" "$TMP/collide.json" > "$TMP/bad-name.json"
	$BB run "$TMP/bad-name.json" --demo --limit 2 --results "$D/results" --reports "$D/reports" \
		--plots "$D/plots" --scratch "$D/scratch" > /dev/null 2> "$TMP/name.err"
	status=$?
	[ $status -eq 2 ] || { cat "$TMP/name.err" >&2; fail "name '$name': exit $status, expected 2"; }
	grep -q "^error: .*'name' must be one file name of letters, digits" "$TMP/name.err" ||
		{ cat "$TMP/name.err" >&2; fail "name '$name': no error naming the field"; }
	[ "$(grep -vc '^run: ' "$TMP/name.err")" -eq 1 ] || fail "name '$name': not one error line"
	[ -z "$(find "$TMP/a" -mindepth 1 -not -path "$TMP/a/b" -not -path "$TMP/a/b/c" -not -path "$D")" ] ||
		{ find "$TMP/a" >&2; fail "name '$name': files were written"; }
done
exit 0
