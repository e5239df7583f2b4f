#!/bin/sh
# t7310: the work and memory of one request are bounded (docs/endpoint.md, "Bounds").
# /v1/completions: just over MAX_REQUEST_TOKENS (32768 tokens of prompts plus max_tokens)
# and just over the answer estimate (16 MiB) get 413 with a message naming the limit, just
# under succeed; 257 prompts get a 400 that says so (not "prompts[0]: ..."); logprobs 21
# is a 400 naming the range. Completions run on the request pool: a health probe is
# answered while 2 long completions are computed. Scores jobs: a calibration step over
# the workspace bound (4 GiB, estimated from config.json) is a 413, one just under it is
# accepted and runs. Answers under the bounds are those today's main gave.
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh

ROOT="$TMP/models"
mkdir -p "$ROOT"
cp -r "$TINY" "$ROOT/tiny"
start_server "$TMP/serve" "$BB" serve --models-root "$ROOT" --port 0 --max-body 4000000 \
	--completions-model "$ROOT/tiny"

# body N_PROMPTS LEN MAX_TOKENS LOGPROBS ECHO: a request of token-id prompts, in $TMP/req
body() {
	python3 -c 'import json, sys
n, length, mt, lp, echo = map(int, sys.argv[1:6])
ids = [[(7 * p + 3 * i) % 2000 + 2 for i in range(length)] for p in range(n)]
r = {"prompt": ids, "max_tokens": mt, "echo": bool(echo)}
if lp >= 0:
    r["logprobs"] = lp
print(json.dumps(r))' "$@" > "$TMP/req"
}
post() {
	curl -s -m 600 -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary @"$TMP/req" "$URL/v1/completions"
}
expect_post() { # WANT PATTERN
	code=$(post)
	[ "$code" = "$1" ] || { head -c 300 "$TMP/body" >&2; fail "completions: status $code, expected $1"; }
	check_json "$TMP/body" "$code"
	[ -z "$2" ] || field 'j["error"]' | grep -q -- "$2" || { cat "$TMP/body" >&2; fail "message: no '$2'"; }
}

# ---- answers are what they were when completions ran on the connection threads ----
# (values printed by today's main for this request, before the request pool and bounds)
printf '%s' '{"prompt": [[1, 80, 147], [1, 5, 6, 7]], "max_tokens": 1, "echo": true, "logprobs": 1}' > "$TMP/req"
expect_post 200 ""
python3 - "$TMP/body" <<'PY' || fail "completions changed: $(cat "$TMP/body")"
import json, sys
j = json.load(open(sys.argv[1]))
want = [
    ("Once ", ["", "", "On", "ce "], [None, -11.657206, -11.523973, -0.019097],
     [None, {"On": -0.235425}, {"named ": -0.383006}, {"ce ": -0.019097}]),
    ("\"$'Y", ["", '"', "$", "'", "Y"], [None, -7.84982, -13.463312, -10.424502, -2.442612],
     [None, {"On": -0.235425}, {"M": -2.318142}, {"2": -2.190354}, {"Y": -2.442612}]),
]
assert [c["index"] for c in j["choices"]] == [0, 1]
def near(a, b):  # 1e-4: summation order may change with the number of threads
    return a is None and b is None or a is not None and b is not None and abs(a - b) < 1e-4
for c, (text, tokens, lps, tops) in zip(j["choices"], want):
    lp = c["logprobs"]
    assert c["text"] == text and lp["tokens"] == tokens, (c["text"], lp["tokens"])
    assert all(map(near, lp["token_logprobs"], lps)), lp["token_logprobs"]
    for got, top in zip(lp["top_logprobs"], tops):
        assert (got is None) == (top is None) and (top is None or (
            list(got) == list(top) and all(near(got[k], top[k]) for k in top))), (got, top)
assert j["usage"] == {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}, j["usage"]
PY

# ---- tokens per request: 64 prompts of 511 tokens + 1 generated = 32768 ----
body 64 511 1 -1 1
expect_post 200 ""
[ "$(field 'j["usage"]["prompt_tokens"], j["usage"]["completion_tokens"], len(j["choices"])')" = "32704 64 64" ] ||
	fail "just under the token bound: usage $(field 'j["usage"]')"
body 65 505 1 -1 1   # 65 x 506 = 32890
expect_post 413 "32890 tokens to compute in this request.*the limit is 32768 per request"

# ---- answer size: positions x (64 + 40 x logprobs) bytes against 16 MiB ----
# 200 prompts of 97 echoed tokens + 1 = 19600 positions; logprobs 20: 864 bytes each
# = 16934400 > 16777216; 96 tokens: 19400 positions, 16761600, just under.
body 200 97 1 20 1
expect_post 413 "the answer would be about 16934400 bytes (19600 positions with 20 logprobs each), the limit is 16777216 bytes"
body 200 96 1 20 1
expect_post 200 ""
python3 - "$TMP/body" <<'PY' || fail "just under the answer bound: bad answer"
import json, sys, os
j = json.load(open(sys.argv[1]))
assert len(j["choices"]) == 200
for c in j["choices"]:
    lp = c["logprobs"]
    assert len(lp["tokens"]) == 97 and lp["token_logprobs"][0] is None
    assert all(len(t) <= 20 for t in lp["top_logprobs"][1:])
size = os.path.getsize(sys.argv[1])
assert size <= 16777216, size # the estimate is an upper bound
print("answer just under the bound: %d bytes (estimate 16761600)" % size, file=sys.stderr)
PY

# ---- prompt count and logprobs ----
body 257 1 1 -1 0
expect_post 400 "^prompt: 257 prompts in one request, at most 256 are allowed$"
body 1 3 1 21 0
expect_post 400 "logprobs: expected an integer in \[0, 20\]"
body 2 600 1 -1 0
expect_post 400 "^prompts\[0\]: prompt: 600 tokens, the model's context is 512$"

# ---- completions run on the request pool, not on the HTTP threads ----
body 30 500 1 0 1  # seconds of work each on the tiny model
(post > /dev/null; post > /dev/null) &
busy=$!
sleep 0.3
t0=$(date +%s)
expect_status 200 GET /v1/health
[ $(($(date +%s) - t0)) -le 2 ] || fail "a health probe waited for completions"
wait $busy

# ---- scores jobs: the workspace of one calibration step ----
# tiny: 2 layers x 128 + 16 x 128 + 8 x 384 + 8 heads x 512 = 9472 floats per token; a
# step of B sequences of 512 tokens: 4 x 512 x 9472 x B bytes; 4 GiB / 19398656 = 221.4.
SC='"kind": "scores", "model": "tiny", "options": ["MXFP4", "MXFP8"], "seqlen": 512'
expect_status 413 POST /v1/jobs "{$SC, \"nsamples\": 1000, \"batch\": 4096, \"calib_text\": \"a\"}"
field 'j["error"]' | grep -q "batch 1000 x seqlen 512: a calibration step would need about 19399 MB of workspace, the limit is 4295 MB" ||
	fail "workspace: message $(field 'j["error"]')"
expect_status 413 POST /v1/jobs "{$SC, \"nsamples\": 222, \"batch\": 222, \"calib_text\": \"a\"}"
# just under: accepted; the short calibration text holds one sequence, so it runs fast
TEXT=$(python3 -c 'print(" ".join(["Once upon a time there was a little dog."] * 80))')
expect_status 202 POST /v1/jobs "{$SC, \"nsamples\": 221, \"batch\": 221, \"calib_text\": \"$TEXT\"}"
ID=$(field 'j["id"]')
[ "$(wait_status "$ID" "done|failed" 300)" = done ] || fail "the job just under the bound: $(field 'j')"
exit 0
