#!/bin/sh
# t3000: `bitbudget serve` protocol conformance (docs/endpoint.md) on a free loopback port:
# the shared suite tests/cli/protocol_suite.sh (health, bad requests, path escapes,
# oversized bodies, unknown jobs, wrong methods, an evaluate job and its result's schema,
# cancelling running jobs, a full queue, concurrent clients), which parity check
# endpoint-py/protocol also runs against endpoint/lm_eval_endpoint.py; then a clean stop on
# SIGTERM.
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh
. tests/cli/protocol_suite.sh
command -v curl > /dev/null || fail "curl is required"

protocol_prepare "$TMP/suite"
start_server "$TMP/serve" "$BB" serve --models-root "$TMP/suite/models" --port 0 \
	--calib "$TMP/suite/calib.txt" --data-dir "$SHARED/data/lm-eval" \
	--max-queue 1 --max-body 4096 --keep-finished 8
protocol_check "$TMP/suite"
kill -0 "$SERVER_PID" || fail "the server died during the protocol suite"

# ---- clean stop ----
kill -TERM "$SERVER_PID"
i=0
while kill -0 "$SERVER_PID" 2> /dev/null; do
	[ $i -lt 600 ] || fail "serve did not stop on SIGTERM"
	sleep 0.1
	i=$((i + 1))
done
wait "$SERVER_PID" || fail "serve exited with status $? on SIGTERM"
exit 0
