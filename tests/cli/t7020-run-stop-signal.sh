# run: SIGINT (Ctrl-C) and SIGTERM stop a run. Once a job is running, the signal goes to
# `bitbudget run`; it passes it on to GNU Parallel, waits for it and its jobs, releases the
# experiment's lock and exits 130 (SIGINT) or 143 (SIGTERM), leaving no process behind
# (no command line naming the test's folder). A later run resumes and completes.
. tests/cli/lib.sh
set -- run tests/fixtures/experiments/demo-mini.json --demo --limit 12 \
	--results "$TMP/results" --reports "$TMP/reports" --plots "$TMP/plots" --scratch "$TMP/scratch"
for case in INT:130 TERM:143; do
	sig=${case%:*} want=${case#*:}
	$BB "$@" > "$TMP/out-$sig" 2> "$TMP/err-$sig" & # $! is bitbudget itself
	pid=$!
	i=0
	until pgrep -f "run-job $TMP" > /dev/null; do
		i=$((i + 1)); [ $i -lt 1200 ] || fail "$sig: no job started"; sleep 0.1
	done
	kill -"$sig" $pid
	wait $pid
	status=$?
	[ $status -eq "$want" ] || { cat "$TMP/err-$sig"; fail "$sig: exit $status, expected $want"; }
	[ "$(tail -n 1 "$TMP/err-$sig")" = "error: stopped by SIG$sig; finished jobs are cached, rerun to resume" ] ||
		{ cat "$TMP/err-$sig"; fail "$sig: last line"; }
	# Killed jobs are gone once bitbudget has reaped parallel; 5 s for the kernel to
	# finish tearing them down on a loaded machine.
	i=0
	while pgrep -f "$TMP" > /dev/null; do
		i=$((i + 1)); [ $i -lt 50 ] || { pgrep -fa "$TMP" >&2; fail "$sig: processes left behind"; }
		sleep 0.1
	done
	flock -n "$TMP/results/demo-mini/.lock" true || fail "$sig: the run's lock is still held"
done
$BB "$@" > "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err"; fail "the run after the signals"; }
[ "$(ls "$TMP/results/cache" | grep -c '\.json$')" -eq 3 ] || fail "expected 3 results"
grep -q '^| Head 8-bit | 0\.[0-9]\{4\} ([0-9.]*%) |$' "$TMP/reports/demo-mini.md" || fail "report"
