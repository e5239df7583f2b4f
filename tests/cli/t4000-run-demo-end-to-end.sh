# run: a small experiment end to end on the demo set (embedded engine): plan, quantize,
# evaluate, report; then a second run redoes nothing; then a run killed with SIGKILL
# mid-way resumes without redoing the jobs that had finished.
. tests/cli/lib.sh
EXP=tests/fixtures/experiments/demo-mini.json
run() { $BB run $EXP --demo --limit 8 --results "$TMP/results" --reports "$TMP/reports" \
	--plots "$TMP/plots" --scratch "$TMP/scratch" "$@"; }
run > "$TMP/out1" 2> "$TMP/err1" || { cat "$TMP/err1"; fail "first run"; }
[ "$(ls "$TMP/results/cache" | wc -l)" -eq 3 ] || fail "expected 3 cached results"
for f in md csv tex; do [ -s "$TMP/reports/demo-mini.$f" ] || fail "no report .$f"; done
grep -q '^> model set: DEMO (TinyStories-656K' "$TMP/reports/demo-mini.md" || fail "model set not stated"
grep -q '^| BF16 | 0\.[0-9]\{4\} (100\.0%) |$' "$TMP/reports/demo-mini.md" || fail "BF16 cell"
grep -q '^| Head 8-bit | 0\.[0-9]\{4\} ([0-9.]*%) |$' "$TMP/reports/demo-mini.md" || fail "head cell"
[ -s "$TMP/plots/demo-mini-bars.png" ] && [ -s "$TMP/plots/demo-mini-recipes-tinystories-656k.svg" ] || fail "plots"
[ ! -e "$TMP/scratch" ] || [ -z "$(ls "$TMP/scratch")" ] || fail "quantized checkpoints left in scratch"
# Each cell of the report is the mean of its result file's accuracies (table arithmetic).
python3 - "$TMP/reports/demo-mini.csv" "$TMP/results/cache" <<'PY' || fail "report arithmetic"
import csv, json, sys, os
rows = list(csv.DictReader(open(sys.argv[1])))
bf16 = float(rows[0]["mean_acc"])
for r in rows:
    res = json.load(open(os.path.join(sys.argv[2], r["key"] + ".json")))["lm_eval"]["results"]
    accs = [res[t]["acc,none"] for t in ("story_cloze", "story_endings")]
    assert abs(float(r["mean_acc"]) - sum(accs) / 2) < 1e-6, r
    assert abs(float(r["ratio_to_bf16"]) - float(r["mean_acc"]) / bf16) < 1e-6, r
PY
# A second run finds everything cached: no job runs, the results are untouched.
stamp() { ls -l --time-style=+%s.%N "$TMP/results/cache" | md5sum; }
before=$(stamp)
run > "$TMP/out2" 2> "$TMP/err2" || fail "second run"
grep -q "jobs done" "$TMP/err2" && fail "the second run ran jobs"
[ "$(stamp)" = "$before" ] || fail "the second run touched cached results"
# Kill a run as soon as its first evaluation is written, then resume.
rm -rf "$TMP/results/cache"/* "$TMP/results/scores"
setsid $BB run $EXP --demo --limit 9 --results "$TMP/results" --reports "$TMP/reports" \
	--plots "$TMP/plots" --scratch "$TMP/scratch" > /dev/null 2> "$TMP/err3" &
pid=$! # its own process group; GNU Parallel has one of its own (run stops it on Ctrl-C)
i=0
until [ "$(ls "$TMP/results/cache" | grep -c '\.json$')" -ge 1 ]; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "no result appeared"; sleep 0.1
done
env kill -9 -- -$pid; wait $pid 2>/dev/null
for p in $(pgrep -f "^/usr/bin/perl /usr/bin/parallel .*$TMP/"); do env kill -9 -- -$p; done # a crash takes it too
first=$(ls "$TMP/results/cache" | grep '\.json$' | head -1)
first_stamp=$(stat -c %Y.%N "$TMP/results/cache/$first" 2>/dev/null; stat -c %y "$TMP/results/cache/$first")
rm -f "$TMP/results/demo-mini/.lock" # a killed run leaves its lock file; flock is released
run --limit 9 > /dev/null 2> "$TMP/err4" || { cat "$TMP/err4"; fail "resumed run"; }
[ "$(ls "$TMP/results/cache" | grep -c '\.json$')" -eq 3 ] || { ls -la "$TMP/results/cache"; cat "$TMP/err4"; fail "resume: expected 3 results"; }
ls "$TMP/results/cache" | grep -q tmp && fail "resume: temporary files left"
[ "$(stat -c %Y.%N "$TMP/results/cache/$first" 2>/dev/null; stat -c %y "$TMP/results/cache/$first")" = "$first_stamp" ] || fail "resume redid a finished job"
grep -q "run: [12] evaluation jobs\? on local" "$TMP/err4" || { cat "$TMP/err4"; fail "resume ran the wrong number of jobs"; }
[ -z "$(ls "$TMP/results/tmp" | grep -v "\.lock$")" ] || fail "resume: a killed job's temporary file was left"
