#!/bin/sh
# t5000: `bitbudget run` against an endpoint that misbehaves on purpose
# (tests/fault/fault_endpoint.py: refused connections, stalls past the client's timeout,
# 500/503, answers cut mid-body, truncated and schema-breaking JSON, lost jobs, restarts
# that forget every job), then the same with the run itself killed with SIGKILL at random
# points and resumed. Either way the run must end with exactly one valid result per job
# in results/cache (each parses and carries lm_eval.results for every task), nothing
# duplicated or half-written, no temporary files, and a resumed run must never redo a
# job that had finished (its result file keeps its inode and mtime).
# 23 evaluation jobs: two fixture experiments on the demo model (12 MX rows, 11 INT rows).
# First, each fault alone on every result request, and the one error `eval` ends with.
. tests/cli/lib.sh
command -v python3 > /dev/null || fail "python3 is required"
EXPS="fault-a fault-b"
N_JOBS=23
# The client's timeouts, shortened so that a stall (3 s) costs seconds, not minutes.
export BB_EVAL_TIMEOUT=2 BB_EVAL_RETRY_FOR=60

: > "$TMP/ep.out"
python3 tests/fault/fault_endpoint.py --port 0 --seed "${FAULT_SEED:-7}" --fault-rate 0.3 \
	--stall-seconds 3 --stats "$TMP/stats.json" > "$TMP/ep.out" 2> "$TMP/ep.err" &
EP_PID=$!
trap 'kill $EP_PID 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
until URL=$(sed -n 's/^listening on //p' "$TMP/ep.out") && [ -n "$URL" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$TMP/ep.err"; fail "the fault endpoint did not start"; }
	sleep 0.1
done

# run DIR EXP [setsid]: one `bitbudget run` of EXP into DIR.
run() {
	$BB run "tests/fixtures/experiments/$2.json" --demo --endpoints "$URL" --jobs 2 --retries 5 \
		--results "$1/results" --reports "$1/reports" --plots "$1/plots" --scratch "$1/scratch"
}

# run_until_done DIR EXP: a run ends with every job done, or is rerun (resumes), 4 tries.
run_until_done() {
	for try in 1 2 3 4; do
		run "$1" "$2" > "$1/out" 2> "$1/err.$2.$try" && return 0
		echo "note: $2 try $try failed: $(grep '^error' "$1/err.$2.$try")" >&2
	done
	cat "$1/err.$2.4" >&2
	fail "$2: no complete run in 4 tries"
}

# check_results DIR COUNT: exactly COUNT valid results, one per (experiment, row), no
# temporary files, no quantized checkpoint left in scratch.
check_results() {
	python3 - "$1" "$2" "$EXPS" <<'EOF' || fail "results in $1"
import json, os, sys
d, count, exps = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
cache = os.path.join(d, "results", "cache")
names = sorted(os.listdir(cache))
assert all(n.endswith(".json") for n in names), ("not a result file", names)
seen = {}
for n in names:
    r = json.load(open(os.path.join(cache, n)))
    assert r["key"] + ".json" == n, (n, r["key"])
    res = r["lm_eval"]["results"]
    for t in ("story_cloze", "story_endings"):
        assert 0 <= res[t]["acc,none"] <= 1, (n, t)
    for k in ("configs", "versions", "n-shot", "higher_is_better", "n-samples", "config"):
        assert isinstance(r["lm_eval"][k], dict), (n, k)
    assert r["lm_eval"].get("fault_endpoint") is True, n
    row = (r["experiment"], r["row"])
    assert row not in seen, ("duplicated", row, n, seen[row])
    seen[row] = n
want = {}
for e in exps:
    x = json.load(open("tests/fixtures/experiments/%s.json" % e))
    for row in x["rows"]:
        want[(e, row["label"])] = 1
done_exps = {e for e, _ in seen}
missing = [k for k in want if k[0] in done_exps and k not in seen]
assert not missing, ("missing", missing)
assert len(names) == count, (len(names), count)
tmp = os.path.join(d, "results", "tmp")
left = [n for n in os.listdir(tmp) if not n.endswith(".lock")] if os.path.isdir(tmp) else []
assert not left, ("temporary files", left)
scratch = os.path.join(d, "scratch")
assert not os.path.isdir(scratch) or not os.listdir(scratch), ("scratch", os.listdir(scratch))
EOF
}

# ---- 0. one fault at a time, on every result request: what `eval` makes of each ----
# one_fault KIND PATTERN [WARNINGS]: eval against an endpoint injecting KIND into every
# result fetch fails with PATTERN as its last line (after WARNINGS retry warnings).
one_fault() {
	: > "$TMP/one.out"
	python3 tests/fault/fault_endpoint.py --port 0 --fault-rate 0 --result-fault "$1" \
		--job-seconds 0 --stall-seconds 2 > "$TMP/one.out" 2> /dev/null &
	one=$!
	i=0
	until u=$(sed -n 's/^listening on //p' "$TMP/one.out") && [ -n "$u" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "$1: the fault endpoint did not start"; sleep 0.1
	done
	BB_EVAL_TIMEOUT=1 BB_EVAL_TRIES=3 $BB eval --endpoint "$u" --model m --tasks piqa -q \
		-o "$TMP/one.json" > /dev/null 2> "$TMP/one.err" && fail "$1: eval succeeded"
	kill $one
	tail -1 "$TMP/one.err" | grep -q "^error: .*$2" || { cat "$TMP/one.err" >&2; fail "$1: no '$2'"; }
	[ "$(grep -c '^warning:' "$TMP/one.err")" -eq "${3:-2}" ] || { cat "$TMP/one.err" >&2; fail "$1: warnings"; }
	[ ! -e "$TMP/one.json" ] || fail "$1: wrote a result"
	echo "$1: $(tail -1 "$TMP/one.err")" >&2
}
one_fault refuse "GET /v1/jobs/[0-9a-f]*/result: Server returned nothing (no headers, no data) (gave up after 3 tries"
one_fault stall "GET /v1/jobs/[0-9a-f]*/result: Timeout was reached (gave up after 3 tries"
one_fault http500 "HTTP 500: injected internal error (gave up after 3 tries"
one_fault http503 "HTTP 503: injected: queue full (gave up after 3 tries"
one_fault cut "Transferred a partial file (gave up after 3 tries"
one_fault truncated "HTTP 200: the answer is not a JSON object ([0-9]* bytes) (gave up after 3 tries"
one_fault schema "the result has no 'results' object (not lm-eval's results schema)" 0
one_fault lose "the server lost job [0-9a-f]* 3 times"
one_fault restart "the server lost job [0-9a-f]* 3 times"

# ---- 1. faults only: both experiments, 23 jobs ----
mkdir "$TMP/a"
for e in $EXPS; do run_until_done "$TMP/a" "$e"; done
check_results "$TMP/a" $N_JOBS
python3 - "$TMP/stats.json" <<'EOF' || fail "too few faults were injected"
import json, sys
s = json.load(open(sys.argv[1]))
f = s["faults"]
print("fault endpoint: %d requests, %d faults: %s" % (s["requests"], sum(f.values()),
      ", ".join("%s %d" % kv for kv in sorted(f.items()))), file=sys.stderr)
assert sum(f.values()) >= 20 and sum(1 for v in f.values() if v) >= 6, f
EOF
cp "$TMP/stats.json" "$TMP/stats-phase1.json"

# ---- 2. faults and SIGKILL: fault-a killed at 3 random points and once right after a
# result is written, then resumed ----
mkdir "$TMP/b"
stamp() { # inode, mtime and content hash of every result
	for f in "$TMP/b/results/cache"/*.json; do
		[ -f "$f" ] && echo "$(stat -c '%i %Y.%y' "$f") $(md5sum < "$f") $(basename "$f")"
	done | sort
}
results() { ls "$TMP/b/results/cache" 2> /dev/null | grep -c '\.json$'; }
kills=0
for seed in 1 2 3 4; do
	have=$(results)
	setsid $BB run tests/fixtures/experiments/fault-a.json --demo --endpoints "$URL" --jobs 2 \
		--retries 5 --results "$TMP/b/results" --reports "$TMP/b/reports" \
		--plots "$TMP/b/plots" --scratch "$TMP/b/scratch" > /dev/null 2> "$TMP/b/killed.$seed" &
	pid=$!
	if [ $seed -lt 4 ]; then # a random point between 0.5 and 3.5 s into the run
		sleep "$(python3 -c "import random; random.seed($seed); print(round(random.uniform(0.5, 3.5), 2))")"
	else # the last one right after this run writes a result, so that one exists to check
		i=0
		while [ "$(results)" -le "$have" ] && [ $i -lt 600 ] && kill -0 $pid 2> /dev/null; do
			i=$((i + 1)); sleep 0.1
		done
	fi
	env kill -9 -- -$pid 2> /dev/null && kills=$((kills + 1))
	# GNU Parallel has a process group of its own (run stops it on Ctrl-C): a crash takes it too
	for p in $(pgrep -f "^/usr/bin/perl /usr/bin/parallel .*$TMP/"); do env kill -9 -- -$p 2> /dev/null; done
	wait $pid 2> /dev/null
	# every result written so far must survive the rest untouched
	stamp >> "$TMP/b/before"
done
[ $kills -ge 2 ] || fail "the runs ended before they could be killed ($kills kills)"
[ -s "$TMP/b/before" ] || fail "no result was written before the kills"
run_until_done "$TMP/b" fault-a
check_results "$TMP/b" 12
stamp > "$TMP/b/after"
sort -u "$TMP/b/before" > "$TMP/b/before.u"
comm -23 "$TMP/b/before.u" "$TMP/b/after" > "$TMP/b/changed"
[ ! -s "$TMP/b/changed" ] || { cat "$TMP/b/changed"; fail "a resumed run redid or touched a finished job"; }
echo "kill/resume: $kills kills, $(wc -l < "$TMP/b/before.u") results survived them unchanged" >&2
