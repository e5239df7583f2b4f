#!/bin/sh
# t7300: slow clients cannot make `bitbudget serve` unreachable (docs/endpoint.md,
# "Connections"). With the default limits, 200 connections that each send one header line
# every 2 s are held for 30 s while health probes keep being answered (each within 5 s,
# nine in ten within 1 s); a connection that sends nothing is closed after the default
# 10 s idle timeout; and --max-connections-per-ip N closes the N+1-th connection from one
# address at once while the first N stay open.
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh

ROOT="$TMP/models"
mkdir -p "$ROOT"
cp -r "$TINY" "$ROOT/tiny"
start_server "$TMP/serve" "$BB" serve --models-root "$ROOT" --port 0

python3 - "$URL" <<'PY' || fail "slow clients made the server unreachable"
import socket, selectors, statistics, sys, threading, time, urllib.request
host, port = sys.argv[1].split("//")[1].split(":")
port = int(port)
N, SECONDS, EVERY = 200, 30, 2.0

def open_nonblocking(n):
    """n connections, connected in parallel (a full listen queue must not stall the test)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE)
    connected, deadline = set(), time.time() + 5
    while len(connected) < n and time.time() < deadline:
        for key, _ in sel.select(timeout=0.2):
            if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected.add(key.fileobj)
            sel.unregister(key.fileobj)
    return [s for s in socks if s in connected]

def still_open(s):
    """The server has not closed s (no EOF, no reset)."""
    try:
        return s.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False

latencies, failures = [], []
def probe(stop):
    while not stop.is_set():
        t0 = time.time()
        try:
            with urllib.request.urlopen("http://%s:%d/v1/health" % (host, port), timeout=5) as r:
                assert r.status == 200 and b'"bitbudget"' in r.read()
            latencies.append(time.time() - t0)
        except Exception as e:
            failures.append("%.1f s: %r" % (time.time() - t0, e))
        stop.wait(0.5)

idle = open_nonblocking(1)
slow = open_nonblocking(N)
start = time.time()
for s in slow:
    s.send(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
stop = threading.Event()
prober = threading.Thread(target=probe, args=(stop,))
prober.start()
idle_closed_at = None
line = 0
while time.time() - start < SECONDS:
    time.sleep(EVERY)
    line += 1
    for s in slow:
        try:
            s.send(b"X-Slow-%d: x\r\n" % line)
        except OSError:
            pass
    if idle_closed_at is None and idle and not still_open(idle[0]):
        idle_closed_at = time.time() - start
stop.set()
prober.join()
held = sum(still_open(s) for s in slow)
lat = sorted(latencies)
print("slow clients: %d of %d connected, %d held after %d s; health probes: %d answered "
      "(median %.3f s, max %.3f s), %d failed; an idle connection closed after %s s"
      % (len(slow), N, held, SECONDS, len(lat), statistics.median(lat) if lat else -1,
         lat[-1] if lat else -1, len(failures), idle_closed_at), file=sys.stderr)
assert not failures, failures[:5]
assert len(lat) >= 20, "too few probes answered"
assert sum(x <= 1.0 for x in lat) >= 0.9 * len(lat), "probes slower than 1 s: %s" % lat[-5:]
# the slow clients really held their connections for the whole time (not refused)
assert held >= N - 5, "only %d slow connections held" % held
assert idle_closed_at is not None and idle_closed_at >= 5, "idle connection: %s" % idle_closed_at
PY
kill -0 "$SERVER_PID" || fail "the server died"
expect_status 200 GET /v1/health
kill "$SERVER_PID"
wait "$SERVER_PID"

# ---- the per-address limit ----
start_server "$TMP/serve2" "$BB" serve --models-root "$ROOT" --port 0 --max-connections-per-ip 8
python3 - "$URL" <<'PY' || fail "--max-connections-per-ip"
import socket, sys, time
host, port = sys.argv[1].split("//")[1].split(":")
held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(8)]
time.sleep(0.5)  # let the server accept them all
extra = socket.create_connection((host, int(port)), timeout=5)
extra.settimeout(5)
try:
    got = extra.recv(100)
except socket.timeout:
    sys.exit("the 9th connection from one address stayed open")
except ConnectionResetError:
    got = b""
assert got == b"", got
for s in held:
    s.setblocking(False)
    try:
        assert s.recv(1) != b"", "one of the first 8 was closed"
    except BlockingIOError:
        pass
print("per-ip limit 8: the 9th connection was closed at once, the first 8 stayed open",
      file=sys.stderr)
PY
expect_status 200 GET /v1/health # the 8 closed with the script: the address is served again
