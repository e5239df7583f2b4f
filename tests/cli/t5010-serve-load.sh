#!/bin/sh
# t5010: `bitbudget serve` under load, on loopback only: 16 concurrent clients x 25
# requests (health, small evaluate jobs, polls, results, and bad requests: malformed JSON,
# a path escape, an unknown resource, a wrong method, an oversized body), every answer
# checked (its status among those the protocol allows for it, its body JSON, an error a
# one-line {"error": ...}). Then the limits: a full queue answers 503 with Retry-After, a
# body over --max-body 413, a connection that stops sending is closed after
# --request-timeout, so are 70 idle connections, the server still answers afterwards, binds 127.0.0.1 by default, and stops cleanly on SIGTERM.
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh
command -v curl > /dev/null || fail "curl is required"
CLIENTS=16 REQUESTS=25

ROOT="$TMP/models"
mkdir -p "$ROOT"
cp -r "$TINY" "$ROOT/tiny"
start_server "$TMP/serve" "$BB" serve --models-root "$ROOT" --port 0 --workers 1 --max-queue 4 \
	--keep-finished 8 --max-body 65536 --request-timeout 2 --data-dir "$SHARED/data/lm-eval"
case "$URL" in http://127.0.0.1:*) ;; *) fail "not bound to loopback by default: $URL" ;; esac

# client C: REQUESTS requests; each line of $TMP/c$C/log is "N ALLOWED STATUS", the
# body in $TMP/c$C/N.
client() {
	d="$TMP/c$1"
	mkdir -p "$d"
	id=""
	n=0
	while [ $n -lt $REQUESTS ]; do
		case $(((n + $1) % 8)) in
		0) allowed=200 m=GET p=/v1/health b="" ;;
		1) allowed="202|503" m=POST p=/v1/jobs b='{"model": "tiny", "tasks": ["piqa"], "limit": 1}' ;;
		2) allowed="200|404" m=GET p="/v1/jobs/${id:-0123456789abcdef}" b="" ;;
		3) allowed="200|404|409|410" m=GET p="/v1/jobs/${id:-0123456789abcdef}/result" b="" ;;
		4) allowed=400 m=POST p=/v1/jobs b='{"model": "tiny", "tasks": ["piqa"' ;;
		5) allowed=400 m=POST p=/v1/jobs b='{"model": "../../etc", "tasks": ["piqa"]}' ;;
		6) allowed=404 m=GET p=/v1/nowhere b="" ;;
		7) allowed=405 m=PUT p=/v1/jobs b='{}' ;;
		esac
		if [ -n "$b" ]; then
			code=$(curl -s -m 30 -o "$d/$n" -w '%{http_code}' -X $m -H 'Content-Type: application/json' \
				--data-binary "$b" "$URL$p")
		else
			code=$(curl -s -m 30 -o "$d/$n" -w '%{http_code}' -X $m "$URL$p")
		fi
		echo "$n $allowed $code $m $p" >> "$d/log"
		if [ "$code" = 202 ]; then
			id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$d/$n" 2>/dev/null)
		fi
		n=$((n + 1))
	done
}

start=$(date +%s)
pids=""
c=1
while [ $c -le $CLIENTS ]; do
	client $c &
	pids="$pids $!"
	c=$((c + 1))
done
for p in $pids; do wait "$p" || fail "a client loop failed"; done
elapsed=$(($(date +%s) - start))

python3 - "$TMP" "$CLIENTS" "$REQUESTS" <<'EOF' || fail "load: bad answers"
import json, os, sys
tmp, clients, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
total, codes, bad = 0, {}, []
for c in range(1, clients + 1):
    d = os.path.join(tmp, "c%d" % c)
    lines = open(os.path.join(d, "log")).read().split("\n")[:-1]
    if len(lines) != requests:
        bad.append("client %d: %d answers" % (c, len(lines)))
    for line in lines:
        n, allowed, code, method, path = line.split(" ", 4)
        total += 1
        codes[code] = codes.get(code, 0) + 1
        if code not in allowed.split("|"):
            bad.append("%s %s: status %s, allowed %s" % (method, path, code, allowed))
            continue
        try:
            j = json.load(open(os.path.join(d, n)))
            assert isinstance(j, dict)
            if int(code) >= 400:
                assert isinstance(j.get("error"), str) and j["error"] and "\n" not in j["error"]
        except Exception as e:
            bad.append("%s %s: status %s, bad body (%r)" % (method, path, code, e))
print("load: %d requests, statuses %s" % (total, json.dumps(codes, sort_keys=True)), file=sys.stderr)
if bad:
    print("\n".join(bad[:20]), file=sys.stderr)
    sys.exit(1)
assert total == clients * requests
EOF
echo "load: $CLIENTS clients x $REQUESTS requests in ${elapsed}s" >&2

# ---- the limits, checked one at a time ----
expect_status 200 GET /v1/health
head -c 70000 /dev/zero | tr '\0' ' ' > "$TMP/big"
code=$(curl -s -m 30 -o "$TMP/body" -w '%{http_code}' -X POST --data-binary @"$TMP/big" "$URL/v1/jobs")
[ "$code" = 413 ] || fail "oversized body: status $code"
check_json "$TMP/body" 413
# A full queue: more submissions than one worker and 4 places can take. Each job is the
# whole piqa split (3676 requests, seconds of work), so none ends before the last
# submission; they are cancelled afterwards.
codes=""
for i in 1 2 3 4 5 6 7 8; do
	code=$(curl -s -m 30 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X POST \
		--data-binary '{"model": "tiny", "tasks": ["piqa"]}' "$URL/v1/jobs")
	[ "$code" = 202 ] && python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$TMP/body" >> "$TMP/slow-ids"
	check_json "$TMP/body" "$code"
	[ "$code" != 503 ] || grep -qi '^Retry-After: 1' "$TMP/headers" || fail "503 without Retry-After"
	codes="$codes $code"
done
case "$codes" in *503*) ;; *) fail "queue full: no 503 in$codes" ;; esac
while read -r id; do
	curl -s -m 30 -o /dev/null -X DELETE "$URL/v1/jobs/$id"
done < "$TMP/slow-ids"
# A request that stops sending half-way is closed after --request-timeout (2 s).
python3 - "$URL" <<'EOF' || fail "request timeout"
import socket, sys, time
host, port = sys.argv[1].split("//")[1].split(":")
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mo")
t0 = time.time()
s.settimeout(10)
try:
    data = s.recv(4096)
except socket.timeout:
    sys.exit("the connection was still open after 10 s")
waited = time.time() - t0
assert 1 <= waited <= 15, waited
print("request timeout: closed after %.1f s (%r)" % (waited, data[:40]), file=sys.stderr)
EOF
# 70 idle connections hold nothing for longer than --request-timeout: all are closed
# within 3 timeouts, and the server answers again.
python3 - "$URL" <<'EOF' || fail "idle connections"
import socket, sys, time
host, port = sys.argv[1].split("//")[1].split(":")
socks = []
for i in range(70):
    try:
        socks.append(socket.create_connection((host, int(port)), timeout=2))
    except OSError:
        break
time.sleep(6)
open_ = 0
for s in socks:
    s.setblocking(False)
    try:
        open_ += s.recv(1) != b""
    except BlockingIOError:
        open_ += 1
print("idle connections: %d opened, %d still open after 6 s" % (len(socks), open_), file=sys.stderr)
assert open_ == 0, open_
EOF
expect_status 200 GET /v1/health
kill -0 "$SERVER_PID" || fail "the server died under load"
kill -TERM "$SERVER_PID"
i=0
while kill -0 "$SERVER_PID" 2> /dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "the server did not stop on SIGTERM"
	sleep 0.1
done
wait "$SERVER_PID" || fail "the server exited non-zero on SIGTERM"
