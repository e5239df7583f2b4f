#!/bin/sh
# t7210: bearer tokens on the endpoint. `serve --token` (or BB_TOKEN) refuses every
# request but GET /v1/health without the right "Authorization: Bearer" header (401, the
# documented JSON error) and accepts the right one; `serve --host 0.0.0.0` without a token
# refuses to start. `eval --endpoint local` serves its in-process job with a random token:
# it still works end to end, and while its job runs another process that finds its port
# (ss -ltnp, by the eval's pid) can neither list nor cancel the job. Before the fix any
# local process could. The in-process server reads custom task descriptors only in their
# own folder: descriptors sharing no folder but "/" are refused.
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh
unset BB_TOKEN
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
WRONG=$(printf '%s' "$TOKEN" | sed 's/.$/x/')
MODELS=$(cd "$SHARED/models" && pwd)
DATA=$(cd "$SHARED/data/lm-eval" && pwd)

# areq AUTH METHOD PATH [BODY]: req with an Authorization header (AUTH "" sends none).
areq() {
	auth=$1
	shift
	set -- -s -m 30 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$1" "$URL$2" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"}
	if [ -n "$auth" ]; then curl -H "Authorization: $auth" "$@"; else curl "$@"; fi
}
# expect_auth WANT AUTH METHOD PATH [BODY]
expect_auth() {
	want=$1
	shift
	got=$(areq "$@")
	[ "$got" = "$want" ] || { cat "$TMP/body" >&2; fail "$2 $3 (auth '$1'): status $got, expected $want"; }
	check_json "$TMP/body" "$got"
	if [ "$got" = 401 ]; then
		grep -q "bearer token" "$TMP/body" || fail "$2 $3: the 401 does not say what is missing"
		grep -qi '^WWW-Authenticate: Bearer' "$TMP/headers" || fail "$2 $3: 401 without WWW-Authenticate"
	fi
}

# 1. A server with a token (from BB_TOKEN: the process list does not show it).
BB_TOKEN=$TOKEN start_server "$TMP/srv" "$BB" serve --models-root "$MODELS" --data-dir "$DATA" --port 0
JOB='{"model": "tinystories-656k", "tasks": ["piqa"], "limit": 2}'
expect_auth 401 "" GET /v1/jobs
expect_auth 401 "Bearer $WRONG" GET /v1/jobs
expect_auth 401 "Bearer ${TOKEN}0" GET /v1/jobs
expect_auth 401 "Basic $TOKEN" GET /v1/jobs
expect_auth 401 "Bearer" GET /v1/jobs
expect_auth 401 "" POST /v1/jobs "$JOB"
expect_auth 401 "" DELETE /v1/jobs/0123456789abcdef
expect_auth 401 "" GET /v1/jobs/0123456789abcdef/result
expect_auth 200 "" GET /v1/health
expect_auth 200 "Bearer $TOKEN" GET /v1/jobs
[ "$(field 'len(j["jobs"])')" = 0 ] || fail "a refused POST created a job"
expect_auth 200 "bearer $TOKEN" GET /v1/jobs
expect_auth 202 "Bearer $TOKEN" POST /v1/jobs "$JOB"
# eval with the token (flag, then environment) works; without it, one line naming it.
"$BB" eval --endpoint "$URL" --token "$TOKEN" --model tinystories-656k --tasks piqa --limit 4 \
	-q -o "$TMP/remote.json" > "$TMP/remote.out" 2> "$TMP/err" || { cat "$TMP/err"; fail "eval --token"; }
BB_TOKEN=$TOKEN "$BB" eval --endpoint "$URL" --model tinystories-656k --tasks piqa --limit 4 \
	-q -o "$TMP/remote-env.json" > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; fail "eval with BB_TOKEN"; }
expect_error "bearer token" "$TMP/none.json" "$BB" eval --endpoint "$URL" --model tinystories-656k \
	--tasks piqa --limit 4 -q --retry-for 1 -o "$TMP/none.json"
expect_error "token" "$TMP/none.json" "$BB" eval --endpoint "$URL" --token short \
	--model tinystories-656k --tasks piqa -q -o "$TMP/none.json"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null

# 2. Off loopback a token is required; a bad token is refused; with one it starts. (timeout:
# a server that wrongly starts must not hang the test.)
expect_error "token" "$TMP/none" timeout 20 "$BB" serve --models-root "$MODELS" --host 0.0.0.0 --port 0
expect_error "token" "$TMP/none" timeout 20 "$BB" serve --models-root "$MODELS" --host :: --port 0
expect_error "token" "$TMP/none" timeout 20 "$BB" serve --models-root "$MODELS" --port 0 --token 'has space in it!!'
expect_error "token" "$TMP/none" env BB_TOKEN=tooshort timeout 20 "$BB" serve --models-root "$MODELS" --port 0
start_server "$TMP/srv0" "$BB" serve --models-root "$MODELS" --host 0.0.0.0 --port 0 --token "$TOKEN"
URL=$(printf '%s' "$URL" | sed 's|//0\.0\.0\.0:|//127.0.0.1:|')
expect_auth 401 "" GET /v1/jobs
expect_auth 200 "Bearer $TOKEN" GET /v1/jobs
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null

# 2b. The Python adapter takes the token the same way (its jobs need torch; listing does not).
BB_TOKEN=$TOKEN start_server "$TMP/py" python3 endpoint/lm_eval_endpoint.py --models-root "$MODELS" --port 0
expect_auth 401 "" GET /v1/jobs
expect_auth 401 "Bearer $WRONG" DELETE /v1/jobs/0123456789abcdef
expect_auth 200 "" GET /v1/health
expect_auth 200 "Bearer $TOKEN" GET /v1/jobs
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
timeout 20 python3 endpoint/lm_eval_endpoint.py --models-root "$MODELS" --host 0.0.0.0 --port 0 \
	> "$TMP/py0.out" 2> "$TMP/py0.err"
rc=$?
[ $rc -eq 2 ] || fail "the Python adapter on 0.0.0.0 without a token: exit $rc, expected 2"
grep -q "token" "$TMP/py0.err" || { cat "$TMP/py0.err" >&2; fail "the Python adapter's refusal does not name the token"; }

# 3. eval --endpoint local, end to end: the same accuracy as through the served endpoint.
"$BB" eval --endpoint local --model "$MODELS/tinystories-656k" --data-dir "$DATA" --tasks piqa \
	--limit 4 -q -o "$TMP/local.json" > "$TMP/local.out" 2> "$TMP/err" || { cat "$TMP/err"; fail "eval --endpoint local"; }
[ "$(json_get "$TMP/local.json" 'j["results"]["piqa"]["acc,none"]')" = \
  "$(json_get "$TMP/remote.json" 'j["results"]["piqa"]["acc,none"]')" ] || fail "local and served acc differ"
cmp -s "$TMP/local.out" "$TMP/remote.out" || fail "local and served printed scores differ"
# ... with custom tasks from the demo folder (the tasks root is that folder) ...
"$BB" eval --endpoint local --model "$MODELS/tinystories-656k" --data-dir "$DATA" \
	--tasks experiments/demo-tasks/story_cloze.json,experiments/demo-tasks/story_endings.json \
	--limit 3 -q -o "$TMP/demo.json" > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; fail "eval --endpoint local, demo tasks"; }
# ... and descriptors sharing no folder but "/" are refused, not served with a root of "/".
mkdir -p "$TMP/elsewhere"
cp experiments/demo-tasks/story_text.json experiments/demo-tasks/story_text.jsonl "$TMP/elsewhere/"
expect_error "share no folder" "$TMP/both.json" "$BB" eval --endpoint local --model "$MODELS/tinystories-656k" \
	--data-dir "$DATA" --tasks "$TMP/elsewhere/story_text.json,$(pwd)/experiments/demo-tasks/story_cloze.json" \
	--limit 2 -q -o "$TMP/both.json"

# 4. While a long local job runs, its port refuses a process without the token.
"$BB" eval --endpoint local --model "$MODELS/tinystories-656k" --data-dir "$DATA" --tasks mmlu \
	-q -o "$TMP/long.json" > /dev/null 2> "$TMP/long.err" &
EVAL_PID=$!
trap 'kill "$EVAL_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
port= i=0
while [ -z "$port" ]; do
	kill -0 "$EVAL_PID" 2>/dev/null || { cat "$TMP/long.err" >&2; fail "the long eval ended early"; }
	port=$(ss -ltnpH 2>/dev/null | grep "pid=$EVAL_PID," | sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' | head -1)
	i=$((i + 1)); [ $i -lt 600 ] || fail "the local server's port never appeared"
	[ -n "$port" ] || sleep 0.1
done
URL=http://127.0.0.1:$port
# Wait until the job is in (health answers anyone and counts the jobs), then try it.
i=0
until [ "$(areq "" GET /v1/health)" = 200 ] && [ "$(field 'j["jobs"]["running"] + j["jobs"]["queued"]')" = 1 ]; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "the local job never showed in /v1/health"
	sleep 0.1
done
expect_auth 401 "" GET /v1/jobs
expect_auth 401 "Bearer $WRONG" GET /v1/jobs
expect_auth 401 "" DELETE /v1/jobs/0000000000000001
expect_auth 401 "" POST /v1/jobs "$JOB"
expect_auth 200 "" GET /v1/health
[ "$(field 'j["jobs"]["running"] + j["jobs"]["queued"]')" = 1 ] || fail "the local job is gone"
kill "$EVAL_PID"; wait "$EVAL_PID" 2>/dev/null
echo "401 without the token, on serve and on eval --endpoint local (port $port)" >&2
