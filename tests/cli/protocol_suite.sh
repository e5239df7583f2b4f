#!/bin/sh
# protocol_suite.sh: the evaluation endpoint's protocol conformance (docs/endpoint.md) as one
# suite, run against any endpoint URL, so that `bitbudget serve` (tests/cli/t3000) and
# endpoint/lm_eval_endpoint.py (parity check endpoint-py/protocol, docs/parity.md) are held
# to the same checks: health, bad requests (400), path escapes (400/404, nothing outside
# the models root is served), oversized bodies (413), unknown jobs and resources (404),
# wrong methods (405 with Allow), an evaluate job polled to its end and its result's
# schema, cancelling a running evaluate job and a running scores job, a full queue (503
# with Retry-After), concurrent clients (every answer JSON).
#
# Standalone, from the repository root:
#   sh tests/cli/protocol_suite.sh prepare DIR   # DIR/models (a models root), DIR/calib.txt
#   ...start the endpoint with --models-root DIR/models --calib DIR/calib.txt
#      --data-dir ../shared/data/lm-eval --max-queue 1 --max-body 4096 --keep-finished 8
#      (one worker, no token, no completions model)...
#   sh tests/cli/protocol_suite.sh check URL DIR # exit status 0: every check passed
# Sourced (t3000): protocol_prepare DIR, then protocol_check DIR with URL set.
#
# What an endpoint advertises in /v1/health decides what applies: the scores checks need
# "scores" in `kinds`; POST /v1/completions must be a 404 only when `completions_model` is
# null. Stopping the server (SIGTERM) is its starter's to check, as it holds the process.

# protocol_prepare DIR: a models root with a copy of the tiny model, a symlink that leaves
# the root and a folder that is no checkpoint; calibration text for scores jobs (the first
# LAMBADA passages).
protocol_prepare() {
	mkdir -p "$1/models" "$1/outside/secret"
	cp -r "$TINY" "$1/models/tiny"
	cp "$TINY/config.json" "$1/outside/secret/config.json"
	ln -s "$1/outside/secret" "$1/models/escape"
	mkdir "$1/models/not-a-model"
	python3 -c 'import json,sys; [print(json.loads(l)["text"]) for l in open(sys.argv[1]).readlines()[:300]]' \
		"$SHARED/data/lm-eval/lambada_openai.test.jsonl" > "$1/calib.txt" || fail "calibration text"
}

# expect_header NAME PATTERN METHOD PATH [BODY]: the answer carries header NAME matching
# the grep pattern PATTERN (case-insensitive).
expect_header() {
	name=$1 pattern=$2
	shift 2
	curl -s -m 30 -o /dev/null -D "$TMP/headers" -X "$1" ${3:+--data-binary "$3"} "$URL$2" ||
		fail "$1 $2: no answer"
	tr -d '\r' < "$TMP/headers" | grep -qi "^$name: *$pattern" ||
		{ cat "$TMP/headers" >&2; fail "$1 $2: no '$name: $pattern' header"; }
}

# advertised EXPR: a Python expression on /v1/health's answer (bound to j).
advertised() {
	expect_status 200 GET /v1/health
	field "$1"
}

protocol_check() {
	ROOT="$1/models" OUTSIDE="$1/outside/secret"
	check_health
	check_bad_requests
	check_path_escapes
	check_sizes_methods_unknown
	check_evaluate_job
	check_cancel_evaluate
	if [ "$(advertised '"scores" in j["kinds"]')" = True ]; then
		check_full_queue_and_cancel_scores
	else
		echo "note: scores jobs not advertised (kinds): queue and scores cancel checks skipped" >&2
	fi
	check_concurrent_clients
}

check_health() {
	expect_status 200 GET /v1/health
	python3 - "$TMP/body" <<'EOF' || fail "health: fields"
import json, sys
h = json.load(open(sys.argv[1]))
assert h["name"] == "bitbudget" and h["version"] and h["computes_scores"] is True, h
assert {"lambada_openai", "piqa"} <= set(h["tasks"]) and {"MXFP4", "MXFP8"} <= set(h["formats"]), h
assert (h["max_body_bytes"], h["workers"], h["max_queue"]) == (4096, 1, 1), h
assert {"evaluate"} <= set(h["kinds"]), h
assert sorted(h["jobs"]) == ["finished", "queued", "running"], h
EOF
	expect_header Content-Type application/json GET /v1/health
}

# Bad requests: 400, and nothing is queued.
check_bad_requests() {
	JOB='"model": "tiny", "tasks": ["lambada_openai", "piqa"]'
	expect_status 400 POST /v1/jobs '{bad json'
	expect_status 400 POST /v1/jobs '[1, 2, 3]'
	expect_status 400 POST /v1/jobs ''
	expect_status 400 POST /v1/jobs '{"model": "tiny", "tasks": ["boolq"]}'
	field 'j["error"]' | grep -q "unknown task 'boolq'" || fail "unknown task: message"
	expect_status 400 POST /v1/jobs "{$JOB, \"num_fewshot\": 1}"
	field 'j["error"]' | grep -q num_fewshot || fail "num_fewshot: message"
	expect_status 400 POST /v1/jobs "{$JOB, \"limit\": -1}"
	expect_status 400 POST /v1/jobs "{$JOB, \"limit\": 2.5}"
	expect_status 400 POST /v1/jobs "{$JOB, \"limt\": 3}"
	expect_status 400 POST /v1/jobs "{$JOB, \"kind\": \"train\"}"
	expect_status 400 POST /v1/jobs "{$JOB, \"add_bos_token\": \"yes\"}"
	expect_status 400 POST /v1/jobs "{$JOB, \"recipe\": {\"layers\": 3}}"
	expect_status 400 POST /v1/jobs '{"model": "tiny"}'
	expect_status 400 POST /v1/jobs '{"kind": "scores", "model": "tiny", "options": ["FP3"]}'
	expect_status 400 POST /v1/jobs '{"kind": "scores", "model": "tiny", "options": ["MXFP4"], "method": "x"}'
}

# Path escapes: refused before anything is opened.
check_path_escapes() {
	for m in ../outside/secret tiny/../../outside/secret "$OUTSIDE" /etc \
		"$ROOT/../outside/secret"; do
		expect_status 400 POST /v1/jobs "{\"model\": \"$m\", \"tasks\": [\"piqa\"]}"
	done
	expect_status '400|404' POST /v1/jobs '{"model": "escape", "tasks": ["piqa"]}'
	field 'j["error"]' | grep -q "escape" || fail "symlink escape: message does not name the model"
	expect_status 404 POST /v1/jobs '{"model": "no-such-model", "tasks": ["piqa"]}'
	expect_status 404 POST /v1/jobs '{"model": "not-a-model", "tasks": ["piqa"]}'
	expect_status 200 GET /v1/jobs
	[ "$(field 'len(j["jobs"])')" = 0 ] || fail "a refused request was queued"
}

# Sizes, methods, unknown resources.
check_sizes_methods_unknown() {
	head -c 5000 /dev/zero | tr '\0' ' ' > "$TMP/big"
	printf '{"model": "tiny"}' >> "$TMP/big"
	code=$(curl -s -m 30 -o "$TMP/body" -w '%{http_code}' -X POST --data-binary @"$TMP/big" "$URL/v1/jobs")
	[ "$code" = 413 ] || fail "oversized body: status $code"
	check_json "$TMP/body" 413
	code=$(curl -s -m 30 -o "$TMP/body" -w '%{http_code}' -X POST -H 'Transfer-Encoding: chunked' \
		--data-binary @"$TMP/big" "$URL/v1/jobs")
	[ "$code" = 413 ] || fail "oversized chunked body: status $code"
	expect_status 404 GET /v1/jobs/0123456789abcdef
	expect_status 404 GET /v1/jobs/0123456789abcdef/result
	expect_status 404 DELETE /v1/jobs/0123456789abcdef
	expect_status 404 GET '/v1/jobs/..%2f..%2fetc'
	expect_status 404 GET /v1/nowhere
	expect_status 405 PUT /v1/jobs '{}'
	expect_header Allow 'GET, POST' PUT /v1/jobs '{}'
	expect_status 405 POST /v1/health '{}'
	expect_header Allow GET POST /v1/health '{}'
	expect_status 405 POST /v1/jobs/0123456789abcdef '{}'
	expect_header Allow 'GET, DELETE' POST /v1/jobs/0123456789abcdef '{}'
	if [ "$(advertised 'j["completions_model"]')" = None ]; then
		expect_status 404 POST /v1/completions '{"prompt": "a", "max_tokens": 1}'
	fi
}

# An evaluate job, polled to its end.
check_evaluate_job() {
	expect_status 202 POST /v1/jobs "{\"kind\": \"evaluate\", $JOB, \"limit\": 3, \"num_fewshot\": 0}"
	[ "$(field 'j["status"]')" = queued ] || fail "submit: status"
	ID=$(field 'j["id"]')
	state=$(wait_status "$ID" "done|failed" 300) || exit 1
	expect_status 200 GET "/v1/jobs/$ID"
	[ "$(field 'j["kind"], j["model"], j["id"]')" = "evaluate tiny $ID" ] || fail "job fields"
	[ "$(field 'sorted(j["progress"])')" = "['done', 'total']" ] || fail "job progress"
	if [ "$state" = done ]; then
		expect_status 200 GET "/v1/jobs/$ID/result"
		python3 - "$TMP/body" <<'EOF' || fail "result: not lm-eval's schema"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config"):
    assert isinstance(r[k], dict), k
for t in ("lambada_openai", "piqa"):
    assert 0 <= r["results"][t]["acc,none"] <= 1, t
    assert r["n-shot"][t] == 0, t
    assert r["n-samples"][t]["effective"] == 3, t
EOF
	else
		echo "note: the evaluate job failed (evaluator not ready?): $(field 'j["error"]')" >&2
		[ -n "$(field 'j["error"]')" ] || fail "a failed job has no error"
		expect_status '409|410' GET "/v1/jobs/$ID/result"
	fi
	expect_status 200 DELETE "/v1/jobs/$ID"
	expect_status 404 GET "/v1/jobs/$ID"
}

# Cancelling a running evaluate job (the whole of piqa): it stops at its next batch.
check_cancel_evaluate() {
	expect_status 202 POST /v1/jobs '{"model": "tiny", "tasks": ["piqa"]}'
	ID=$(field 'j["id"]')
	state=$(wait_status "$ID" "running|done|failed" 60) || exit 1
	if [ "$state" = running ]; then
		expect_status '200|202' DELETE "/v1/jobs/$ID"
	fi
	if [ "$state" = running ] && [ "$(field 'j.get("deleted", False)')" = False ]; then
		[ "$(field 'j["status"]')" = cancelled ] || fail "cancel: status"
		wait_status "$ID" cancelled 60 > /dev/null || exit 1
		expect_status '409|410' GET "/v1/jobs/$ID/result"
		expect_status 200 GET /v1/health
		i=0
		until [ "$(field 'j["jobs"]["running"]')" = 0 ]; do # the worker let go of it
			[ $i -lt 300 ] || fail "a cancelled job kept its worker"
			sleep 0.1; i=$((i + 1))
			expect_status 200 GET /v1/health
		done
	else
		echo "note: the long job ended before it could be cancelled ($state)" >&2
	fi
}

# A full queue (max 1 waiting): a slow scores job holds the only worker. Then cancelling
# that running scores job: it stops after the calibration batch in progress.
check_full_queue_and_cancel_scores() {
	SLOW='{"kind": "scores", "model": "tiny", "options": ["MXFP4", "MXFP8"], "nsamples": 32, "seqlen": 256}'
	codes="" NEXT_ID=""
	for i in 1 2 3 4; do
		code=$(curl -s -m 30 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X POST \
			--data-binary "$SLOW" "$URL/v1/jobs")
		check_json "$TMP/body" "$code"
		codes="$codes $code"
		[ $i = 1 ] && SLOW_ID=$(field 'j["id"]')
		[ $i = 2 ] && [ "$code" = 202 ] && NEXT_ID=$(field 'j["id"]')
		if [ "$code" = 503 ]; then
			tr -d '\r' < "$TMP/headers" | grep -qi '^Retry-After: *[0-9]' ||
				fail "queue full: a 503 without Retry-After"
		fi
	done
	case "$codes" in *503*) ;; *) fail "queue full: no 503 in$codes" ;; esac
	case "$codes" in " 202"*) ;; *) fail "queue full: the first job was refused:$codes" ;; esac

	# The job may end between the status check and the DELETE; then the DELETE deletes it
	# (200, "deleted"). Both outcomes are documented, and each is checked for what it is.
	state=$(wait_status "$SLOW_ID" "running|done|failed" 60) || exit 1
	if [ "$state" = running ]; then
		code=$(req DELETE "/v1/jobs/$SLOW_ID")
		check_json "$TMP/body" "$code"
		outcome="$code $(field 'j.get("deleted", False)')"
	else
		outcome="ended before the DELETE ($state)"
	fi
	case "$outcome" in
	"202 False")
		[ "$(field 'j["status"]')" = cancelled ] || fail "scores cancel: status"
		at=$(field 'j["progress"]["done"]')
		# the worker lets go of it once the batch in progress is done ("finished" appears)
		i=0
		until expect_status 200 GET "/v1/jobs/$SLOW_ID" && [ "$(field '"finished" in j')" = True ]; do
			[ $i -lt 600 ] || fail "a cancelled scores job kept its worker"
			sleep 0.1; i=$((i + 1))
		done
		[ "$(field 'j["status"]')" = cancelled ] || fail "scores cancel: status after the worker let go"
		python3 - "$TMP/body" "$at" <<'PY' || fail "a cancelled scores job ran on: $(cat "$TMP/body")"
import json, sys
j, at = json.load(open(sys.argv[1])), int(sys.argv[2])
done, total = j["progress"]["done"], j["progress"]["total"]
assert done <= at + 1, (done, at)                 # at most the batch in progress
assert done < total or at + 1 >= total, (done, total, at)
PY
		[ -z "$NEXT_ID" ] || wait_status "$NEXT_ID" "running|done|failed" 60 > /dev/null ||
			fail "the job waiting behind the cancelled one never started"
		;;
	"200 True")
		echo "note: the scores job ended before the DELETE, which deleted it" >&2
		expect_status 404 GET "/v1/jobs/$SLOW_ID"
		;;
	"ended before the DELETE"*)
		echo "note: the scores job $outcome" >&2
		;;
	*)
		fail "DELETE of a running scores job: $outcome: $(cat "$TMP/body")"
		;;
	esac
}

# Concurrent clients: 8 pollers, every answer JSON with the expected status.
check_concurrent_clients() {
	mkdir "$TMP/answers"
	pids=""
	for c in 1 2 3 4 5 6 7 8; do
		(
			for i in 1 2 3; do
				for r in "200 GET /v1/health" "200 GET /v1/jobs" "404 GET /v1/jobs/abc$c" \
					"400 POST /v1/jobs {bad"; do
					set -- $r
					out="$TMP/answers/$c-$i-$1-$(echo "$3" | tr / _)"
					code=$(curl -s -m 30 -o "$out" -w '%{http_code}' -X "$2" \
						${4:+--data-binary "$4"} "$URL$3")
					[ "$code" = "$1" ] || { echo "$2 $3: $code" > "$TMP/cfail$c"; exit 1; }
				done
			done
		) &
		pids="$pids $!"
	done
	wait $pids
	ls "$TMP"/cfail* > /dev/null 2>&1 && { cat "$TMP"/cfail*; fail "concurrent clients"; }
	python3 - "$TMP"/answers/* <<'EOF' || fail "concurrent clients: an answer is not JSON"
import json, sys
assert len(sys.argv) == 1 + 8 * 3 * 4, len(sys.argv)
for path in sys.argv[1:]:
    j = json.load(open(path))
    assert ("-200-" in path) != ("error" in j), path
EOF
}

if [ "$(basename "$0")" = protocol_suite.sh ]; then
	. tests/cli/lib.sh
	. tests/cli/endpoint_lib.sh
	command -v curl > /dev/null || fail "curl is required"
	case "${1:-}" in
	prepare) [ $# = 2 ] || fail "usage: protocol_suite.sh prepare DIR"; protocol_prepare "$2" ;;
	check) [ $# = 3 ] || fail "usage: protocol_suite.sh check URL DIR"; URL=$2; protocol_check "$3" ;;
	*) fail "usage: protocol_suite.sh prepare DIR | check URL DIR" ;;
	esac
fi
