#!/usr/bin/env python3
"""fault_endpoint.py: an evaluation endpoint (docs/endpoint.md) that misbehaves on purpose.

It speaks the jobs protocol well enough for `bitbudget eval` and `bitbudget run`: health,
POST /v1/jobs, GET /v1/jobs/{id}, GET /v1/jobs/{id}/result, DELETE. A job is "running"
for --job-seconds after it was submitted, then "done"; its result is lm-eval's results
JSON with canned numbers computed from the request (acc = a hash of model, recipe and task
mapped into [0, 1]), so the same job always gets the same result. Task names are those the
client asked for; a task given as the path of a custom task descriptor is answered under
the descriptor's "name", as the real servers do.

On a schedule (a seeded random draw per request, --fault-rate of them faulty; GET
/v1/health is never faulted, so a run can always start) it injects one of:

  refuse     close the connection without answering (the client sees no reply)
  stall      sleep --stall-seconds (past the client's timeout), then close
  http500    500 with a JSON error
  http503    503 "queue full" with Retry-After: 1
  cut        headers and half the body, then close (Content-Length promises more)
  truncated  200 with a complete HTTP answer whose JSON body is cut short
  schema     200 with JSON that breaks the protocol's schema: for a result, lm-eval's
             results without "results"; otherwise a JSON list instead of an object
  lose       (polls and results only) forget that job: 404 from now on
  restart    forget every job (a crashed and restarted server), then answer as usual
             (so the request that saw the restart gets its 404 if it named a job)

--result-fault KIND injects KIND into every result request (and nowhere else), for tests
of one failure at a time. KIND may also be one that is never drawn at random:

  huge       200 and a body of --huge-bytes (default 1 GiB) streamed without a
             Content-Length until the client stops reading (a server that will not stop)

--job-seconds inf makes every job stay "running" for ever. --result-json FILE answers every
result request with FILE's bytes as they are (a results object of the test's choosing).

Every request and every fault is counted in --stats FILE (JSON, rewritten atomically
after each request): {"requests": N, "faults": {"refuse": N, ...}, "jobs_submitted": N,
"results_served": N}. Standard library only.

  python3 tests/fault/fault_endpoint.py --port 0 --seed 1 --fault-rate 0.3 --stats s.json
  listening on http://127.0.0.1:PORT
"""
import argparse
import hashlib
import json
import os
import random
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = ["refuse", "stall", "http500", "http503", "cut", "truncated", "schema", "lose", "restart"]
RESULT_ONLY_KINDS = ["huge"]


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)
        self.jobs = {}
        self.stats = {"requests": 0, "faults": {k: 0 for k in KINDS + RESULT_ONLY_KINDS}, "jobs_submitted": 0,
                      "results_served": 0}

    def draw(self, method, path):
        """The fault for this request, or None (drawn under the lock: reproducible order)."""
        with self.lock:
            self.stats["requests"] += 1
            if path == "/v1/health":
                return None
            if self.args.result_fault and path.endswith("/result"):
                self.stats["faults"][self.args.result_fault] += 1
                return self.args.result_fault
            if self.rng.random() >= self.args.fault_rate:
                return None
            kinds = [k for k in KINDS if k != "lose" or (method == "GET" and path.count("/") >= 3)]
            kind = self.rng.choice(kinds)
            self.stats["faults"][kind] += 1
            return kind

    def save_stats(self):
        if not self.args.stats:
            return
        with self.lock:
            text = json.dumps(self.stats, indent=1, sort_keys=True)
        tmp = "%s.%d.%d.tmp" % (self.args.stats, os.getpid(), threading.get_ident())
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, self.args.stats)


def result_name(task):
    """A custom task (a descriptor path) is answered under the descriptor's name."""
    if "/" in task or task.endswith(".json"):
        try:
            with open(task) as f:
                name = json.load(f).get("name")
            if isinstance(name, str) and name:
                return name
        except (OSError, ValueError):
            pass
    return task


def canned_result(job):
    """lm-eval's results JSON for a job, with numbers computed from the request."""
    req = job["request"]
    tasks = req.get("tasks", [])
    if isinstance(tasks, str):
        tasks = [t for t in tasks.split(",") if t]
    limit = req.get("limit") or 100
    recipe = json.dumps(req.get("recipe"), sort_keys=True)
    out = {"results": {}, "groups": {}, "group_subtasks": {}, "configs": {}, "versions": {},
           "n-shot": {}, "higher_is_better": {}, "n-samples": {},
           "config": {"model": "fault-endpoint", "model_args": "pretrained=%s" % req.get("model"),
                      "limit": req.get("limit"), "batch_size": 1},
           "fault_endpoint": True}
    for task in tasks:
        name = result_name(task)
        digest = hashlib.sha256(("%s\n%s\n%s" % (req.get("model"), recipe, name)).encode()).digest()
        acc = int.from_bytes(digest[:8], "big") / 2.0 ** 64
        out["results"][name] = {"alias": name, "acc,none": acc, "acc_stderr,none": 0.01}
        out["group_subtasks"][name] = []
        out["configs"][name] = {"task": name, "num_fewshot": 0, "output_type": "loglikelihood"}
        out["versions"][name] = 1.0
        out["n-shot"][name] = 0
        out["higher_is_better"][name] = {"acc": True}
        out["n-samples"][name] = {"original": limit, "effective": limit}
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set by main

    def log_message(self, fmt, *args):  # quiet: the stats file says what happened
        pass

    # ---- answers ----

    def send_body(self, status, body, extra=None):
        data = body if isinstance(body, bytes) else (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, msg, extra=None):
        self.send_body(status, {"error": msg}, extra)

    def drop(self):
        """Close the connection without a word."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- faults ----

    def fault(self, kind, answer):
        """Misbehave as kind says; answer() gives the status and body a good server sends.
        Returns True when the request was dealt with."""
        s = self.state
        if kind == "refuse":
            self.drop()
        elif kind == "stall":
            time.sleep(s.args.stall_seconds)
            self.drop()
        elif kind == "http500":
            self.error(500, "injected internal error")
        elif kind == "http503":
            self.error(503, "injected: queue full", {"Retry-After": "1"})
        elif kind in ("cut", "truncated"):
            status, body = answer()
            data = (json.dumps(body) + "\n").encode()
            half = data[: max(1, len(data) // 2)]
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data) if kind == "cut" else len(half)))
            self.end_headers()
            self.wfile.write(half)
            self.wfile.flush()
            if kind == "cut":
                self.drop()
        elif kind == "huge":
            self.stream_huge()
        elif kind == "schema":
            status, body = answer()
            if isinstance(body, dict) and "results" in body:
                body = {k: v for k, v in body.items() if k != "results"}
            else:
                body = [body]
            self.send_body(status, body)
        else:
            return False
        return True

    def stream_huge(self):
        """--huge-bytes of JSON-looking text, no Content-Length, until done or cut off."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b'{"pad": "' + b"x" * (1 << 20)
        left = self.state.args.huge_bytes
        try:
            while left > 0:
                self.wfile.write(chunk[:left])
                left -= len(chunk)
        except OSError:
            pass  # the client hung up: what a size cap does

    # ---- routes ----

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def job_view(self, job):
        now = time.time()
        done = now - job["submitted"] >= self.state.args.job_seconds
        v = {"id": job["id"], "kind": "evaluate", "model": job["request"].get("model"),
             "status": "done" if done else "running",
             "progress": {"done": 10 if done else 5, "total": 10},
             "submitted": job["submitted"], "started": job["submitted"]}
        if done:
            v["finished"] = job["submitted"] + self.state.args.job_seconds
        return v

    def handle_any(self, method):
        s = self.state
        path = self.path.split("?")[0]
        body = self.read_body() if method == "POST" else b""
        kind = s.draw(method, path)
        try:
            if kind == "restart":
                with s.lock:
                    s.jobs.clear()
                kind = None
            if kind == "lose":
                parts = path.split("/")
                with s.lock:
                    s.jobs.pop(parts[3] if len(parts) > 3 else "", None)
                kind = None
            answer = lambda: self.route(method, path, body)
            if kind is None or not self.fault(kind, answer):
                status, reply = answer()
                self.send_body(status, reply)
        finally:
            s.save_stats()

    def route(self, method, path, body):
        """(status, JSON body) a well-behaved server answers."""
        s = self.state
        if path == "/v1/health" and method == "GET":
            with s.lock:
                n = len(s.jobs)
            return 200, {"name": "fault-endpoint", "version": "0.1.0", "tasks": [],
                         "formats": ["MXFP4", "MXFP8", "BF16"], "kinds": ["evaluate"],
                         "computes_scores": False, "completions_model": None,
                         "max_body_bytes": 1 << 20, "workers": 1, "max_queue": 16,
                         "jobs": {"queued": 0, "running": 0, "finished": n}}
        if path == "/v1/jobs" and method == "POST":
            try:
                req = json.loads(body)
                assert isinstance(req, dict) and isinstance(req.get("model"), str)
                assert req.get("tasks")
            except (ValueError, AssertionError):
                return 400, {"error": "bad job request"}
            job = {"id": uuid.uuid4().hex[:16], "request": req, "submitted": time.time()}
            with s.lock:
                s.jobs[job["id"]] = job
                s.stats["jobs_submitted"] += 1
            v = self.job_view(job)
            v["status"] = "queued"
            return 202, v
        if path.startswith("/v1/jobs/"):
            parts = path.split("/")
            with s.lock:
                job = s.jobs.get(parts[3])
            if job is None:
                return 404, {"error": "no such job '%s'" % parts[3]}
            if len(parts) == 5 and parts[4] == "result" and method == "GET":
                v = self.job_view(job)
                if v["status"] != "done":
                    return 409, {"error": "job %s is %s" % (job["id"], v["status"])}
                with s.lock:
                    s.stats["results_served"] += 1
                if s.args.result_json:
                    with open(s.args.result_json, "rb") as f:
                        return 200, f.read()
                return 200, canned_result(job)
            if len(parts) == 4 and method == "GET":
                return 200, self.job_view(job)
            if len(parts) == 4 and method == "DELETE":
                with s.lock:
                    s.jobs.pop(job["id"], None)
                return 200, {"id": job["id"], "deleted": True}
            return 405, {"error": "%s is not allowed on %s" % (method, path)}
        return 404, {"error": "no such resource '%s'" % path}

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fault-rate", type=float, default=0.3)
    ap.add_argument("--stall-seconds", type=float, default=3.0)
    ap.add_argument("--job-seconds", type=float, default=0.3)
    ap.add_argument("--stats", default=None)
    ap.add_argument("--result-fault", choices=KINDS + RESULT_ONLY_KINDS, default=None,
                    help="inject this fault into every GET /v1/jobs/{id}/result")
    ap.add_argument("--huge-bytes", type=int, default=1 << 30,
                    help="the size of the body the 'huge' fault streams")
    ap.add_argument("--result-json", default=None,
                    help="answer every result request with this file's bytes")
    args = ap.parse_args()
    Handler.state = State(args)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print("listening on http://%s:%d" % (args.host, server.server_address[1]), flush=True)
    Handler.state.save_stats()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
