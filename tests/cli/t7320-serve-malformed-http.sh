#!/bin/sh
# t7320: malformed HTTP sent over raw sockets (curl cannot send it) to `bitbudget serve`
# (docs/endpoint.md, "Malformed HTTP"). Ambiguous body framing reaches the server and is
# refused with the protocol's JSON error and the connection closed: two Content-Length
# headers (equal or not), two Transfer-Encoding headers, both headers at once, a
# Transfer-Encoding other than chunked. What libmicrohttpd answers itself before the
# server sees the request (bad chunking, Content-Length -1, HTTP/0.9, a URI longer than
# its buffer, HTTP/2.0) is the documented status with its own short HTML page, the
# connection closed; nothing is queued and the server keeps answering.
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh

ROOT="$TMP/models"
mkdir -p "$ROOT"
cp -r "$TINY" "$ROOT/tiny"
start_server "$TMP/serve" "$BB" serve --models-root "$ROOT" --port 0

python3 - "$URL" <<'PY' || fail "malformed HTTP"
import json, socket, sys
host, port = sys.argv[1].split("//")[1].split(":")
JOB = b'{"model": "tiny", "tasks": ["piqa"], "limit": 1}'

def exchange(data):
    """Send data, read until the server closes (10 s at most): (status, headers, body)."""
    s = socket.create_connection((host, int(port)), timeout=10)
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may close before reading everything
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        raise AssertionError("the connection was left open: %r" % out[:200])
    except ConnectionResetError:
        pass
    s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body

def post(headers, body):
    return b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + body

refused_with_json = [
    ("two equal Content-Length", post(b"Content-Length: %d\r\nContent-Length: %d\r\n" % (len(JOB), len(JOB)), JOB),
     "2 Content-Length headers; a request may carry one"),
    ("two different Content-Length", post(b"Content-Length: %d\r\nContent-Length: 5\r\n" % len(JOB), JOB),
     "2 Content-Length headers; a request may carry one"),
    ("two Transfer-Encoding", post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                                   b"%x\r\n%s\r\n0\r\n\r\n" % (len(JOB), JOB)),
     "2 Transfer-Encoding headers; a request may carry one"),
    ("Content-Length and Transfer-Encoding", post(b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(JOB),
                                                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(JOB), JOB)),
     "both Content-Length and Transfer-Encoding; a request may carry one of them"),
    ("Transfer-Encoding gzip", post(b"Transfer-Encoding: gzip\r\n", JOB),
     "Transfer-Encoding 'gzip' is not supported (only chunked)"),
]
for name, data, message in refused_with_json:
    status, headers, body = exchange(data)
    assert status == 400, (name, status, body)
    assert headers.get("content-type") == "application/json", (name, headers)
    assert headers.get("connection", "").lower() == "close", (name, headers)
    assert json.loads(body) == {"error": message}, (name, body)
    print("%-40s 400 %s" % (name, body.decode().strip()), file=sys.stderr)

# answered by libmicrohttpd before the request reaches the server: its status, its page
answered_by_mhd = [
    ("bad chunk size", post(b"Transfer-Encoding: chunked\r\n", b"zz\r\n" + JOB + b"\r\n0\r\n\r\n"), 400),
    ("Content-Length: -1", post(b"Content-Length: -1\r\n", JOB), 400),
    ("HTTP/0.9 request line", b"GET /v1/health\r\n", 400),
    ("URI of 70000 bytes", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("HTTP/2.0 request line", b"GET /v1/health HTTP/2.0\r\nHost: x\r\n\r\n", 505),
]
for name, data, want in answered_by_mhd:
    status, headers, body = exchange(data)
    assert status == want, (name, status, body[:100])
    assert b"<html>" in body and "application/json" not in headers.get("content-type", ""), (name, body[:100])
    assert headers.get("connection", "").lower() == "close", (name, headers)
    print("%-40s %d (libmicrohttpd's HTML page)" % (name, status), file=sys.stderr)
PY
expect_status 200 GET /v1/jobs
[ "$(field 'len(j["jobs"])')" = 0 ] || fail "a malformed request was queued: $(cat "$TMP/body")"
expect_status 200 GET /v1/health
exit 0
