#!/bin/sh
# t7330: text an endpoint supplies (a job id, an error, a job's failure reason, a status)
# never splits or colours `bitbudget eval`'s one-line error: control characters are
# written as \xHH, and a job id that is not made of letters, digits, '.', '_' and '-' is
# refused before it is put into a URL. The endpoint is a stub that answers each case.
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh

cat > "$TMP/stub.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
CASE = sys.argv[1]
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if CASE == "id":
            self.answer(202, {"id": "ab\r\nerror: forged line", "status": "queued"})
        elif CASE == "refused":
            self.answer(400, {"error": "bad\r\nforged line \x1b[31mred"})
        else:
            self.answer(202, {"id": "job-1", "status": "queued"})
    def do_GET(self):
        if CASE == "failed":
            self.answer(200, {"id": "job-1", "status": "failed", "error": "died\nforged line"})
        else:
            self.answer(200, {"id": "job-1", "status": "weird\r\nforged line"})
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening on http://127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
PY

# check CASE PATTERN: eval against the stub fails with one line holding PATTERN
check() {
	start_server "$TMP/stub-$1" python3 "$TMP/stub.py" "$1"
	expect_error "$2" "$TMP/out.json" "$BB" eval --endpoint "$URL" --model tiny --tasks piqa \
		--tries 1 -q -o "$TMP/out.json"
	grep -q "forged line" "$TMP/err.stderr" || fail "$1: the server's text is missing"
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2> /dev/null
}
check id 'the job id .ab\\x0d\\x0aerror: forged line. is not made of letters, digits'
check refused 'HTTP 400: bad\\x0d\\x0aforged line \\x1b\[31mred'
check failed 'job job-1 failed: died\\x0aforged line'
check status "unknown status 'weird\\\\x0d\\\\x0aforged line'"
exit 0
