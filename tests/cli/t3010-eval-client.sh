#!/bin/sh
# t3010: `bitbudget eval`, the endpoint client: --endpoint local on the tiny model writes
# lm-eval's results schema and prints the scores; against a fake endpoint (python3
# http.server) it retries 503s and resubmits a lost job, sends the job as given, and
# fails with a one-line error and no file on a 4xx, on a schema-breaking result, and when
# the endpoint stays down.
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh

# ---- --endpoint local ----
"$BB" eval --endpoint local --model "$TINY" --tasks lambada_openai,piqa --limit 5 \
	--data-dir "$SHARED/data/lm-eval" -o "$TMP/local.json" > "$TMP/local.out" 2> "$TMP/local.err" ||
	{ cat "$TMP/local.err" >&2; fail "eval --endpoint local"; }
python3 - "$TMP/local.json" "$TMP/local.out" <<'EOF' || fail "eval --endpoint local: results"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config"):
    assert isinstance(r[k], dict), k
acc = [r["results"][t]["acc,none"] for t in ("lambada_openai", "piqa")]
assert all(0 <= a <= 1 for a in acc), acc
assert all(r["n-samples"][t]["effective"] == 5 for t in ("lambada_openai", "piqa"))
lines = open(sys.argv[2]).read().splitlines()
assert lines == ["lambada_openai acc %.4f" % acc[0], "piqa acc %.4f" % acc[1],
                 "mean acc %.4f" % (sum(acc) / 2)], lines
EOF
expect_error "unknown task 'boolq'" "$TMP/bad.json" \
	"$BB" eval --endpoint local --model "$TINY" --tasks boolq -o "$TMP/bad.json" -q
expect_error "no such model folder" "$TMP/bad.json" \
	"$BB" eval --endpoint local --model "$TMP/nothing" --tasks piqa -o "$TMP/bad.json"
expect_error "--limit" "$TMP/bad.json" \
	"$BB" eval --endpoint local --model "$TINY" --tasks piqa --limit abc -o "$TMP/bad.json"
expect_error "required" "$TMP/bad.json" "$BB" eval --endpoint local --tasks piqa -o "$TMP/bad.json"

# ---- a fake endpoint ----
cat > "$TMP/fake.py" <<'EOF'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
mode, log = sys.argv[1], sys.argv[2]
state = {"posts": 0, "polls": 0}
GOOD = {"results": {"piqa": {"acc,none": 0.5}, "mmlu": {"acc,none": 0.25}}, "configs": {},
        "versions": {}, "n-shot": {}, "higher_is_better": {}, "n-samples": {}, "config": {}}
BROKEN = {"results": {"piqa": {"acc,none": 0.5}, "mmlu": {"acc,none": 0.25}}}

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def send(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        state["posts"] += 1
        with open(log, "a") as f:
            f.write(body.decode() + "\n")
        if mode == "down" or (mode == "flaky" and state["posts"] <= 2):
            return self.send(503, {"error": "busy"})
        if mode == "refuse":
            return self.send(400, {"error": "unknown task 'nope'"})
        self.send(202, {"id": "ab%02d" % state["posts"], "status": "queued"})
    def do_GET(self):
        jid = self.path.split("/")[3]
        if self.path.endswith("/result"):
            return self.send(200, BROKEN if mode == "broken" else GOOD)
        state["polls"] += 1
        if mode == "lose" and state["polls"] == 1:
            return self.send(404, {"error": "no job '%s'" % jid})
        running = mode in ("flaky", "lose") and state["polls"] < 3
        self.send(200, {"id": jid, "kind": "evaluate", "status": "running" if running else "done",
                        "progress": {"done": state["polls"], "total": 3}})

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening on http://127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
EOF
cat > "$TMP/recipe.json" <<'EOF'
{"model": "x", "strategy": "pure", "options": ["MXFP4"], "accounting": "weights",
 "target_avg_bits": 4, "achieved_avg_bits": 4,
 "layers": {"model.layers.0.mlp.up_proj": {"weight": "MXFP4", "act": "MXFP4"}}}
EOF

# 503 twice, then it works: two warnings, the file, the scores, the job as given.
start_server "$TMP/flaky" python3 "$TMP/fake.py" flaky "$TMP/flaky.log"
"$BB" eval --endpoint "$URL/" --model some/model --tasks piqa,mmlu --limit 5 --add-bos-token \
	--recipe "$TMP/recipe.json" -o "$TMP/flaky.json" > "$TMP/out" 2> "$TMP/err" ||
	{ cat "$TMP/err" >&2; fail "eval against a flaky endpoint"; }
[ "$(grep -c '^warning: POST /v1/jobs: HTTP 503: busy; retrying' "$TMP/err")" = 2 ] ||
	{ cat "$TMP/err" >&2; fail "flaky: expected two retry warnings"; }
printf 'piqa acc 0.5000\nmmlu acc 0.2500\nmean acc 0.3750\n' > "$TMP/expect"
cmp "$TMP/expect" "$TMP/out" || fail "flaky: scores on stdout"
[ "$(json_get "$TMP/flaky.json" 'j["results"]["mmlu"]["acc,none"]')" = 0.25 ] || fail "flaky: file"
python3 - "$TMP/flaky.log" <<'EOF' || fail "flaky: the job sent"
import json, sys
jobs = [json.loads(l) for l in open(sys.argv[1])]
assert len(jobs) == 3 and all(j == jobs[0] for j in jobs), jobs
j = jobs[0]
assert (j["kind"], j["model"], j["tasks"], j["limit"], j["num_fewshot"], j["add_bos_token"]) == \
    ("evaluate", "some/model", ["piqa", "mmlu"], 5, 0, True), j
assert j["recipe"]["layers"]["model.layers.0.mlp.up_proj"] == {"weight": "MXFP4", "act": "MXFP4"}, j
EOF
kill "$SERVER_PID"

# The server loses the job (404 on the first poll): submitted again, then it works.
start_server "$TMP/lose" python3 "$TMP/fake.py" lose "$TMP/lose.log"
"$BB" eval --endpoint "$URL" --model m --tasks piqa,mmlu -o "$TMP/lose.json" > "$TMP/out" 2> "$TMP/err" ||
	{ cat "$TMP/err" >&2; fail "eval against an endpoint that loses the job"; }
grep -q "lost job ab01; submitting it again" "$TMP/err" || fail "lose: no warning"
[ "$(wc -l < "$TMP/lose.log")" -eq 2 ] || fail "lose: not resubmitted once"
[ -f "$TMP/lose.json" ] || fail "lose: no file"
kill "$SERVER_PID"

# A result without lm-eval's schema: one line, no file.
start_server "$TMP/broken" python3 "$TMP/fake.py" broken "$TMP/broken.log"
expect_error "no 'configs' object" "$TMP/broken.json" \
	"$BB" eval --endpoint "$URL" --model m --tasks piqa -o "$TMP/broken.json"
kill "$SERVER_PID"

# A 4xx: the server's message, one line, no file, exit status 2.
start_server "$TMP/refuse" python3 "$TMP/fake.py" refuse "$TMP/refuse.log"
expect_error "HTTP 400: unknown task 'nope'" "$TMP/refused.json" \
	"$BB" eval --endpoint "$URL" --model m --tasks nope -o "$TMP/refused.json"
"$BB" eval --endpoint "$URL" --model m --tasks nope -o "$TMP/refused.json" 2> /dev/null
[ $? -eq 2 ] || fail "a 4xx must exit with status 2"
kill "$SERVER_PID"

# Always 503: gives up after --retry-for, no file.
start_server "$TMP/down" python3 "$TMP/fake.py" down "$TMP/down.log"
"$BB" eval --endpoint "$URL" --model m --tasks piqa --retry-for 1 -o "$TMP/down.json" \
	> /dev/null 2> "$TMP/err" && fail "eval succeeded against a dead endpoint"
tail -n 1 "$TMP/err" | grep -q "^error: .*HTTP 503: busy (gave up after" ||
	{ cat "$TMP/err" >&2; fail "down: last line"; }
[ ! -e "$TMP/down.json" ] || fail "down: left a file"
"$BB" eval --endpoint "$URL" --model m --tasks piqa --tries 2 -o "$TMP/down.json" \
	> /dev/null 2> "$TMP/err" && fail "eval succeeded against a dead endpoint (--tries)"
grep -q "gave up after 2 tries" "$TMP/err" || fail "--tries 2 not honoured"
kill "$SERVER_PID"

# Nothing listening at all.
"$BB" eval --endpoint http://127.0.0.1:9 --model m --tasks piqa --tries 1 -o "$TMP/none.json" \
	2> "$TMP/err" && fail "eval succeeded with nothing listening"
grep -q "^error: endpoint 'http://127.0.0.1:9'" "$TMP/err" || fail "connection refused: message"
[ "$("$BB" eval --help | head -c 22)" = "usage: bitbudget eval " ] || fail "eval --help"
exit 0
