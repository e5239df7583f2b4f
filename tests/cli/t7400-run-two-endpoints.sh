#!/bin/sh
# t7400: `bitbudget run --endpoints A,B` with two live `bitbudget serve` on loopback:
# the jobs spread over both, one server is killed (SIGKILL) while it evaluates a job,
# and the run still completes with exactly one valid result per job: the killed server's
# job, and every later job of its slot, moves to the live endpoint. Then each part of a
# bad list is refused with a message naming it (exit 2, nothing written).
# 12 evaluation jobs: tests/fixtures/experiments/fault-a.json on the demo model.
. tests/cli/lib.sh
EXP=tests/fixtures/experiments/fault-a.json
N_JOBS=12
# A dead endpoint costs its job 3 s of retries, not the default 120 s, before it moves on.
export BB_EVAL_RETRY_FOR=3

# serve NAME: start `bitbudget serve` on a free port; sets NAME_URL and NAME_PID.
serve() {
	: > "$TMP/$1.out"
	$BB serve --models-root / --tasks-root experiments/demo-tasks --port 0 \
		> "$TMP/$1.out" 2> "$TMP/$1.err" &
	eval "$1_PID=$!"
	i=0
	until u=$(sed -n 's/^listening on //p' "$TMP/$1.out") && [ -n "$u" ]; do
		i=$((i + 1)); [ $i -lt 300 ] || { cat "$TMP/$1.err" >&2; fail "serve $1 did not start"; }
		sleep 0.1
	done
	eval "$1_URL=$u"
}
A_PID= B_PID=
trap 'kill $A_PID $B_PID 2>/dev/null; rm -rf "$TMP"' EXIT
serve A
serve B

# jobs_on URL STATUS: how many jobs the server lists with that status ("" for any).
jobs_on() {
	curl -s -m 10 "$1/v1/jobs" | python3 -c '
import json, sys
jobs = json.load(sys.stdin)["jobs"]
print(sum(1 for j in jobs if sys.argv[1] in ("", j["status"])))' "$2" 2> /dev/null || echo 0
}

$BB run $EXP --demo --limit 12 --endpoints "$A_URL,$B_URL" --results "$TMP/results" \
	--reports "$TMP/reports" --plots "$TMP/plots" --scratch "$TMP/scratch" \
	> "$TMP/run.out" 2> "$TMP/run.err" &
RUN_PID=$!
# Kill B while it evaluates a job, once it has finished one (so both endpoints have results):
# SIGSTOP in the same breath as the listing that shows the running job, so that job cannot
# finish before the SIGKILL. Prints how many jobs B had and when it was stopped.
b_stop=$(python3 - "$B_URL" "$B_PID" $RUN_PID <<'EOF'
import json, os, signal, sys, time, urllib.request
url, server, run = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(1200):
    os.kill(run, 0)  # the run still going, or this fails
    jobs = json.load(urllib.request.urlopen(url + "/v1/jobs", timeout=10))["jobs"]
    status = [j["status"] for j in jobs]
    if "done" in status and "running" in status:
        os.kill(server, signal.SIGSTOP)
        print(len(jobs), time.time())
        sys.exit(0)
    time.sleep(0.1)
sys.exit("B never had a finished and a running job")
EOF
) || { cat "$TMP/run.err" >&2; fail "could not catch B running a job"; }
b_jobs=${b_stop% *} stopped_at=${b_stop#* }
kill -9 "$B_PID"
wait "$B_PID" 2> /dev/null
wait $RUN_PID || { cat "$TMP/run.err" >&2; fail "the run did not complete after B was killed"; }

python3 - "$TMP/results" "$EXP" "$A_URL" "$B_URL" $N_JOBS <<'EOF' || { cat "$TMP/run.err" >&2; fail "results"; }
import json, os, sys
results, exp, a, b, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
cache = os.path.join(results, "cache")
names = sorted(os.listdir(cache))
assert len(names) == n, ("results", len(names), n)
rows = {}
for name in names:
    r = json.load(open(os.path.join(cache, name)))
    assert r["key"] + ".json" == name, name
    assert r["endpoint"] in (a, b), r["endpoint"]
    for t in ("story_cloze", "story_endings"):
        assert 0 <= r["lm_eval"]["results"][t]["acc,none"] <= 1, (name, t)
    assert r["row"] not in rows, ("two results for row", r["row"])
    rows[r["row"]] = r["endpoint"]
want = [row["label"] for row in json.load(open(exp))["rows"]]
assert sorted(rows) == sorted(want), (sorted(rows), sorted(want))
on_a, on_b = sum(e == a for e in rows.values()), sum(e == b for e in rows.values())
print("results by endpoint: A %d, B %d" % (on_a, on_b), file=sys.stderr)
assert on_a >= 1 and on_b >= 1, "the jobs did not spread over both endpoints"
EOF
a_jobs=$(jobs_on "$A_URL" done)
[ "$b_jobs" -ge 2 ] || fail "B was given $b_jobs jobs"
# A finished every job B did not: all but those B had finished before the kill.
[ "$a_jobs" -ge $((N_JOBS - b_jobs + 1)) ] || fail "A lists $a_jobs finished jobs, B had $b_jobs"
grep -q "warning: job [0-9a-f]*: endpoint $B_URL stopped answering" "$TMP/run.err" ||
	{ cat "$TMP/run.err" >&2; fail "no job moved off the killed endpoint"; }
# A job GNU Parallel started on B's slot (2) after B stopped must pass over B at once. On a
# loaded machine A may have taken every remaining job by then: count them in the joblog.
later_on_b=$(python3 - "$TMP/results" "$stopped_at" <<'EOF'
import glob, sys
log = glob.glob(sys.argv[1] + "/*/joblog.txt")[0]
rows = [l.rstrip("\n").split("\t") for l in open(log)][1:]
print(sum(1 for r in rows if float(r[2]) > float(sys.argv[2]) and "--slot 2" in r[8]))
EOF
)
if [ "$later_on_b" -gt 0 ]; then
	grep -q "warning: job [0-9a-f]*: endpoint $B_URL does not answer; trying the next one" "$TMP/run.err" ||
		{ cat "$TMP/run.err" >&2; fail "$later_on_b later job(s) on B's slot did not pass over it"; }
fi
echo "two endpoints: B had $b_jobs job(s) when killed (one running), A finished $a_jobs" >&2

# ---- a bad list: which element is wrong, exit 2, nothing written ----
bad() { # bad PATTERN LIST
	set -- "$1" "$2" run $EXP --demo --endpoints "$2" --results "$TMP/bad-results" \
		--reports "$TMP/bad-reports" --plots "$TMP/bad-plots"
	pattern=$1 list=$2
	shift 2
	expect_error "$pattern" "$TMP/bad-results" $BB "$@"
	$BB "$@" > /dev/null 2>&1
	[ $? -eq 2 ] || fail "--endpoints '$list': not exit 2"
	[ ! -e "$TMP/bad-reports" ] && [ ! -e "$TMP/bad-plots" ] || fail "--endpoints '$list': wrote output"
}
bad "error: --endpoints: 'local' cannot be mixed with URLs" "local,$A_URL"
bad "error: --endpoints: element 2 ('') is empty" "$A_URL,,$A_URL"
bad "error: --endpoints: element 2 ('') is empty" "$A_URL,"
bad "error: --endpoints: element 2 ('ftp://h:1') is not 'local' nor an http:// or https:// URL" "$A_URL,ftp://h:1"
bad "error: --endpoints: element 1 ('http://h:0') has a port '0' that is not a number in 1-65535" "http://h:0"
bad "error: --endpoints: element 1 ('http://:80') has no host" "http://:80"
bad "error: --endpoints: element 2 ('http://h x') contains a space" "$A_URL,http://h x"
ENDPOINTS="$A_URL,,x" expect_error "error: ENDPOINTS: element 2 ('') is empty" "$TMP/bad-results" \
	$BB run $EXP --demo --results "$TMP/bad-results"

# ---- every endpoint answers, with the same software, before anything runs ----
expect_error "error: endpoint '$B_URL' did not answer /v1/health: Couldn't connect to server" \
	"$TMP/bad-results" $BB run $EXP --demo --endpoints "$A_URL,$B_URL" --results "$TMP/bad-results"
: > "$TMP/fault.out"
python3 tests/fault/fault_endpoint.py --port 0 --fault-rate 0 > "$TMP/fault.out" 2> /dev/null &
B_PID=$! # the trap stops it
i=0
until F_URL=$(sed -n 's/^listening on //p' "$TMP/fault.out") && [ -n "$F_URL" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the fault endpoint did not start"; sleep 0.1
done
expect_error "error: endpoints disagree on their software: '$A_URL' reports 'bitbudget [0-9.]*', '$F_URL' reports 'fault-endpoint 0.1.0'" \
	"$TMP/bad-results" $BB run $EXP --demo --endpoints "$A_URL,$F_URL" --results "$TMP/bad-results"
