# bitbudget run with "measures": ["acc", "kld"] on both demo models: every quantized row a
# model can reach gets a kld result with a positive mean KLD; the BF16 reference is
# computed once per model (one reference file each, "computed" in one result per model,
# "cached" in the others); each result's summary equals what `bitbudget kld` prints for
# the same recipe, run apart with its own reference; a row stories260K cannot reach (4.25
# bits: its down_proj stays BF16) is marked unreachable, not failed; a second run is all
# cached. Malformed "measures", "eval_text" and demo "models" are one-line errors (exit 2).
. tests/cli/lib.sh
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
# three short documents of the default evaluation text
awk 'BEGIN { RS = ""; ORS = "\n\n" } NR <= 3' experiments/eval/default.txt > "$TMP/eval.txt"
cat > "$TMP/exp.json" <<EOF
{
  "name": "kldmini", "title": "KLD on both demo models",
  "options": ["MXFP4", "MXFP8"], "tasks": ["lambada_openai"],
  "models": [{"name": "X", "hf_id": "x/x", "dir": "x"}],
  "rows": [
    {"label": "BF16", "strategy": "bf16"},
    {"label": "Pure 4.25", "strategy": "pure", "avg_bits": 4.25},
    {"label": "Tail 7.5", "strategy": "tail", "avg_bits": 7.5},
    {"label": "Ours 7.5", "strategy": "sensitivity", "avg_bits": 7.5}
  ],
  "demo": {
    "models": [
      {"model": "tinystories-656k", "name": "TinyStories-656K", "hf_id": "raincandy-u/TinyStories-656K"},
      {"model": "stories260k", "name": "stories260K", "hf_id": "karpathy/tinyllamas (stories260K)"}
    ],
    "measures": ["acc", "kld"],
    "tasks": ["experiments/demo-tasks/story_cloze.json"], "note": "test"
  }
}
EOF
run() {
	$BB run "$TMP/exp.json" --demo --limit 3 --eval-text "$TMP/eval.txt" --score-method proxy \
		--results "$TMP/results" --reports "$TMP/reports" --plots "$TMP/plots" \
		--scratch "$TMP/scratch" "$@"
}
run > "$TMP/out1" 2> "$TMP/err1" || { cat "$TMP/err1" >&2; fail "first run"; }
grep -q "stories260K .*Pure 4.25 .*unreachable" "$TMP/err1" || fail "the plan does not say unreachable"
grep -q "stories260K reaches 6.92-9.94 average bits" "$TMP/err1" || fail "no reachable range"

# the kld results: 3 on TinyStories-656K (pure, tail, ours), 2 on stories260K (tail, ours)
cat > "$TMP/klds.py" <<'PY'
import glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/cache/*.json")):
    j = json.load(open(f))
    if j.get("kind") == "kld":
        s = j["kld"]["summary"]
        print(j["model_name"], j["row"].replace(" ", "_"), j["kld"]["reference"], s["mean_kld"],
              j["recipe"], f)
PY
python3 "$TMP/klds.py" "$TMP/results" > "$TMP/klds"
[ "$(wc -l < "$TMP/klds")" -eq 5 ] || { cat "$TMP/klds" >&2; fail "expected 5 kld results"; }
for m in TinyStories-656K stories260K; do
	[ "$(grep -c "^$m .* computed " "$TMP/klds")" -eq 1 ] || fail "$m: reference computed not once"
done
awk '$4 <= 0 { exit 1 }' "$TMP/klds" || fail "a mean KLD is not positive"
grep -q "^stories260K Pure_4.25" "$TMP/klds" && fail "an unreachable row got a kld job"
[ "$(ls "$TMP/results/cache/kld-reference" | wc -l)" -eq 2 ] || fail "not one reference per model"

# the same numbers from `bitbudget kld`, with its own reference cache
while read -r model row ref mean recipe result; do
	dir=$TINY
	[ "$model" = stories260K ] && dir=$S260
	$BB kld --model "$dir" --recipe "$recipe" --text "$TMP/eval.txt" --cache "$TMP/ref2" \
		-o "$TMP/kld.json" 2> /dev/null || fail "bitbudget kld $model $row"
	python3 - "$TMP/kld.json" "$result" <<'PY' || fail "$model $row: run and kld differ"
import json, sys
a = json.load(open(sys.argv[1]))["summary"]
b = json.load(open(sys.argv[2]))["kld"]["summary"]
assert a.keys() == b.keys(), (a.keys(), b.keys())
for k in a:
    assert abs(a[k] - b[k]) <= 1e-12 * max(1, abs(a[k])), (k, a[k], b[k])
PY
done < "$TMP/klds"

# unreachable: no result for the cell, the report still written
grep -q "stories260K" "$TMP/reports/kldmini.md" || fail "the report lacks stories260K"

# a second run redoes nothing
run > "$TMP/out2" 2> "$TMP/err2" || { cat "$TMP/err2" >&2; fail "second run"; }
grep -q "to do\|waits for scores" "$TMP/err2" && fail "the second run has jobs to do"
grep -q "jobs\? on local" "$TMP/err2" && fail "the second run started jobs"

# malformed fields: one line, exit 2
bad() { # NAME PYTHON-EXPR (edits j, the experiment) PATTERN
	python3 -c "import json; j = json.load(open('$TMP/exp.json')); $2; json.dump(j, open('$TMP/$1.json', 'w'))"
	expect_error "$3" "$TMP/none" $BB run "$TMP/$1.json" --demo --dry-run --results "$TMP/r-$1"
	$BB run "$TMP/$1.json" --demo --dry-run --results "$TMP/r-$1" 2> /dev/null
	[ $? -eq 2 ] || fail "$1: exit status is not 2"
}
bad twice "j['demo']['measures'] = ['acc', 'acc']" "measures\[1\]: expected \"acc\" or \"kld\""
bad word "j['demo']['measures'] = 'kld'" "'measures' must be a list"
bad noacc "j['demo']['measures'] = ['kld']" "'measures' must include \"acc\""
bad top "j['measures'] = ['acc', 'ppl']" "measures\[1\]"
bad text "j['eval_text'] = 3" "'eval_text' must be a non-empty string"
bad noname "del j['demo']['models'][1]['name']" "demo: models\[1\]: 'name' must be"
bad empty "j['demo']['models'] = []" "'models' must list at least one model"
bad same "j['demo']['models'][1]['name'] = 'TinyStories-656K'" "name 'TinyStories-656K' is used twice"
expect_error "eval_text '$TMP/missing.txt': no such file" "$TMP/none" \
	$BB run "$TMP/exp.json" --demo --dry-run --eval-text "$TMP/missing.txt" --results "$TMP/r-missing"
exit 0
