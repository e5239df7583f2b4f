#!/bin/sh
# t7420: the client's two bounds (harness/client.c). A job that stays "running" for ever
# ends at --deadline (eval, BB_EVAL_DEADLINE, and run --deadline for each of its jobs);
# an answer body larger than --max-answer-mb is cut off as it streams in, with the
# client's memory bounded (its peak RSS is measured), instead of read whole. Each ends
# with one error line and no result file. The endpoint is tests/fault/fault_endpoint.py.
. tests/cli/lib.sh
command -v python3 > /dev/null || fail "python3 is required"
EPS=
trap 'kill $EPS 2>/dev/null; rm -rf "$TMP"' EXIT

# endpoint NAME ARGS...: a fault endpoint; sets URL.
endpoint() {
	name=$1
	shift
	: > "$TMP/$name.out"
	python3 tests/fault/fault_endpoint.py --port 0 --fault-rate 0 "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" &
	EPS="$EPS $!"
	i=0
	until URL=$(sed -n 's/^listening on //p' "$TMP/$name.out") && [ -n "$URL" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { cat "$TMP/$name.err" >&2; fail "$name: the fault endpoint did not start"; }
		sleep 0.1
	done
}

# exit_status WANT CMD...: CMD exits WANT (after expect_error has checked its message).
exit_status() {
	want=$1
	shift
	"$@" > /dev/null 2>&1
	got=$?
	[ $got -eq "$want" ] || fail "exit $got, expected $want: $*"
}

# ---- a job that never finishes ----
endpoint running --job-seconds inf
# timeout: without a deadline the client would poll for ever; 124 would say so.
expect_error "error: endpoint '$URL': job [0-9a-f]* did not finish within the deadline of 2 s (--deadline)" \
	"$TMP/r.json" timeout 120 $BB eval --endpoint "$URL" --model m --tasks piqa -q --deadline 2 -o "$TMP/r.json"
exit_status 1 timeout 120 $BB eval --endpoint "$URL" --model m --tasks piqa -q --deadline 2 -o "$TMP/r.json"
BB_EVAL_DEADLINE=2 expect_error "job [0-9a-f]* did not finish within the deadline of 2 s (--deadline)" \
	"$TMP/r.json" timeout 120 $BB eval --endpoint "$URL" --model m --tasks piqa -q -o "$TMP/r.json"
# A dead endpoint: retries (one warning line each) end at the deadline, not after --retry-for.
timeout 120 $BB eval --endpoint http://127.0.0.1:1 --model m --tasks piqa -q --deadline 2 \
	--retry-for 600 -o "$TMP/r.json" 2> "$TMP/dead.err"
[ $? -eq 1 ] || fail "dead endpoint: not exit 1"
tail -1 "$TMP/dead.err" | grep -q "^error: endpoint 'http://127.0.0.1:1': POST /v1/jobs: the deadline of 2 s has passed (--deadline)$" ||
	{ cat "$TMP/dead.err" >&2; fail "dead endpoint: no deadline error"; }
[ "$(grep -cv '^warning: POST /v1/jobs: ' "$TMP/dead.err")" -eq 1 ] || fail "dead endpoint: other lines"
[ ! -e "$TMP/r.json" ] || fail "dead endpoint: wrote a result"
expect_error "error: --deadline: '0' is not a number in \[1, 1e+07\]" "$TMP/r.json" \
	$BB eval --endpoint "$URL" --model m --tasks piqa --deadline 0 -o "$TMP/r.json"
# run --deadline: each job's eval gives up; the run fails, no result is cached.
timeout 300 $BB run tests/fixtures/experiments/demo-mini.json --demo --endpoints "$URL" --jobs 3 \
	--retries 0 --deadline 2 --results "$TMP/run/results" --reports "$TMP/run/reports" \
	--plots "$TMP/run/plots" --scratch "$TMP/run/scratch" > /dev/null 2> "$TMP/run.err"
status=$?
[ $status -eq 1 ] || { cat "$TMP/run.err" >&2; fail "run --deadline: exit $status, expected 1"; }
[ "$(grep -c 'did not finish within the deadline of 2 s (--deadline)' "$TMP/run.err")" -eq 3 ] ||
	{ cat "$TMP/run.err" >&2; fail "run --deadline: not every job hit its deadline"; }
[ -z "$(ls "$TMP/run/results/cache" 2> /dev/null)" ] || fail "run --deadline: cached a result"

# ---- an answer too large: 300 MiB streamed, no Content-Length ----
endpoint huge --result-fault huge --huge-bytes 314572800 --job-seconds 0
# max_rss_kb FILE CMD...: run CMD, write its peak resident memory (KiB) to FILE.
max_rss_kb() {
	out=$1
	shift
	python3 -c '
import resource, subprocess, sys
status = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(status)' "$out" "$@"
}
expect_error "error: endpoint '$URL': GET /v1/jobs/[0-9a-f]*/result: the answer is larger than the limit of 4194304 bytes (--max-answer-mb)" \
	"$TMP/r.json" max_rss_kb "$TMP/rss" $BB eval --endpoint "$URL" --model m --tasks piqa -q \
	--max-answer-mb 4 -o "$TMP/r.json"
rss=$(cat "$TMP/rss")
# 4 MiB kept at most, against 300 MiB sent: the process stays far below the body's size.
[ "$rss" -lt 102400 ] || fail "eval took $rss KiB for an answer capped at 4 MiB"
exit_status 2 $BB eval --endpoint "$URL" --model m --tasks piqa -q --max-answer-mb 4 -o "$TMP/r.json"
BB_EVAL_MAX_ANSWER_MB=1 expect_error "the answer is larger than the limit of 1048576 bytes" \
	"$TMP/r.json" $BB eval --endpoint "$URL" --model m --tasks piqa -q -o "$TMP/r.json"
echo "deadline and size cap: eval peaked at $rss KiB with a 300 MiB answer capped at 4 MiB" >&2
