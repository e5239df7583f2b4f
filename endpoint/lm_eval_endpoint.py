#!/usr/bin/env python3
"""lm_eval_endpoint.py: bitbudget's evaluation endpoint protocol (docs/endpoint.md) served by
the real lm-eval, to evaluate on GPU machines and to check the C evaluator against lm-eval.

Usage: python endpoint/lm_eval_endpoint.py --port 8000 --models-root DIR [--host 127.0.0.1]
       [--workers 1] [--max-queue 16] [--max-body 1048576] [--calib FILE] [--device cuda]
       [--data-dir DIR] [--eval-text FILE]
Requirements: torch, transformers, lm-eval, imported lazily inside a job (the protocol needs
only the standard library; tests/endpoint/test_lm_eval_endpoint.py runs without them).
Evaluate jobs: lm_eval.simple_evaluate on HFLM(pretrained=PATH, dtype=auto, add_bos_token=..),
MX activations fake-quantized by forward pre-hooks from config.json's quantization_config (or
the job's recipe, which also quantizes weights). With --data-dir, the tasks read the local
JSONL files `bitbudget eval --data-dir` reads (lm-eval's own task configs pointed at them by
endpoint/lm_eval_tasks.py), so no dataset is downloaded. Scores jobs: DeltaLoss with
autograd. KLD jobs: the reference logits computed once per model, text and context and kept
in memory; KL in float64 from float32 logits over lm-eval's rolling windows, as
`bitbudget kld` measures it.
This file is the HTTP server, the job queue and the command line; the rest lies beside it:
adapter_jobs.py (reading a job), adapter_evaluate.py, adapter_scores.py, adapter_kld.py (the
three job kinds), adapter_quant.py (number formats, recipes, checkpoints), adapter_common.py.
Never serves a checkpoint outside --models-root; never runs a job on the HTTP thread.
"""
import argparse
import hmac
import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The adapter's modules lie beside this file: found from any current folder, whether this
# file runs as a script or is loaded by path (the tests).
ENDPOINT_DIR = os.path.dirname(os.path.abspath(__file__))
if ENDPOINT_DIR not in sys.path:
    sys.path.insert(0, ENDPOINT_DIR)

from adapter_common import HttpError  # noqa: E402
from adapter_evaluate import run_evaluate  # noqa: E402
from adapter_jobs import KIND_KEYS, TASKS, parse_job  # noqa: E402
from adapter_kld import run_kld  # noqa: E402
from adapter_quant import FORMATS  # noqa: E402
from adapter_scores import run_scores  # noqa: E402

VERSION = "0.1.0"


class JobCancelled(Exception):
    """Raised inside a running job once it is cancelled, so that it stops at its next batch."""


# ---- the queue ----

class Job:
    def __init__(self, jid, spec):
        self.id, self.spec, self.kind, self.model = jid, spec, spec["kind"], spec["model"]
        self.status, self.done, self.total = "queued", 0, 0
        self.result = self.error = None
        self.owned = self.cancel = False
        self.submitted, self.started, self.finished = time.time(), None, None

    def json(self):
        o = {"id": self.id, "kind": self.kind, "model": self.model, "status": self.status,
             "progress": {"done": self.done, "total": self.total}, "submitted": self.submitted}
        if self.started:
            o["started"] = self.started
        if self.finished:
            o["finished"] = self.finished
        if self.status in ("failed", "cancelled"):
            o["error"] = self.error
        return o


class Jobs:
    def __init__(self, settings):
        self.settings, self.jobs, self.stopping = settings, [], False
        self.cond = threading.Condition()
        self.threads = [threading.Thread(target=self._worker, daemon=True)
                        for _ in range(settings.workers)]
        for t in self.threads:
            t.start()

    def _find(self, jid):
        job = next((j for j in self.jobs if j.id == jid), None)
        if job is None:
            raise HttpError(404, f"no job '{jid[:64]}'")
        return job

    def _trim(self):
        final = [j for j in self.jobs if j.status in ("done", "failed", "cancelled") and not j.owned]
        for j in final[:max(0, len(final) - self.settings.keep_finished)]:
            self.jobs.remove(j)

    def _run(self, job):
        def stop_if_cancelled():
            with self.cond:
                if job.cancel:
                    raise JobCancelled("cancelled")

        def progress(done, total):  # after each calibration batch
            with self.cond:
                job.done, job.total = done, total
            stop_if_cancelled()
        if job.kind == "scores":
            return run_scores(job.spec, self.settings, progress)
        if job.kind == "kld":
            return run_kld(job.spec, self.settings, progress)
        return run_evaluate(job.spec, self.settings, stop_if_cancelled)

    def _worker(self):
        while True:
            with self.cond:
                while not self.stopping and not any(j.status == "queued" for j in self.jobs):
                    self.cond.wait()
                if self.stopping:
                    return
                job = next(j for j in self.jobs if j.status == "queued")
                job.status, job.owned, job.started = "running", True, time.time()
            result, error = None, None
            try:
                result = self._run(job)
            except Exception as e:  # a failed job reports its error, the server goes on
                error = f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__
            with self.cond:
                job.owned, job.finished, job.spec = False, time.time(), None
                if job.cancel:
                    job.status, job.error = "cancelled", "cancelled"
                elif error:
                    job.status, job.error = "failed", error
                else:
                    job.status, job.result = "done", result
                    job.total = job.total or 1
                    job.done = job.total
                self._trim()

    def submit(self, req):
        spec = parse_job(req, self.settings)
        with self.cond:
            waiting = sum(j.status == "queued" for j in self.jobs)
            if waiting >= self.settings.max_queue:
                raise HttpError(503, f"queue full ({waiting} jobs waiting); retry later")
            jid = secrets.token_hex(8)
            job = Job(jid, spec)
            self.jobs.append(job)
            self.cond.notify()
            return 202, job.json()

    def get(self, jid):
        with self.cond:
            return 200, self._find(jid).json()

    def list(self):
        with self.cond:
            return 200, {"jobs": [j.json() for j in self.jobs]}

    def result(self, jid):
        with self.cond:
            job = self._find(jid)
            if job.status in ("queued", "running"):
                raise HttpError(409, f"job '{jid}' is {job.status} ({job.done}/{job.total}); "
                                "its result is not ready")
            if job.status == "cancelled":
                raise HttpError(410, f"job '{jid}' was cancelled")
            if job.status == "failed":
                raise HttpError(410, f"job '{jid}' failed: {job.error}")
            return job.result

    def delete(self, jid):
        with self.cond:
            job = self._find(jid)
            if job.status in ("queued", "running") or job.owned:
                status = 200 if job.status == "queued" else 202
                job.cancel, job.status, job.error = True, "cancelled", "cancelled"
                if not job.owned:
                    job.spec, job.finished = None, time.time()
                out = job.json()
                self._trim()
                return status, out
            self.jobs.remove(job)
            return 200, dict(job.json(), deleted=True)

    def counts(self):
        with self.cond:
            queued = sum(j.status == "queued" for j in self.jobs)
            running = sum(j.owned for j in self.jobs)
            return {"queued": queued, "running": running,
                    "finished": len(self.jobs) - queued - running}

    def stop(self):
        """Cancel every job and wait for the workers: a running job stops at its next batch.
        (Exiting with a worker still inside torch aborts the process.)"""
        with self.cond:
            self.stopping = True
            for j in self.jobs:
                j.cancel = True
            self.cond.notify_all()
        for t in self.threads:
            t.join()


# ---- HTTP ----

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bitbudget-lm-eval/" + VERSION

    def log_message(self, fmt, *args):
        if self.server.settings.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def _send(self, status, obj=None, text=None, allow=None, close=False):
        data = ((text if text is not None else json.dumps(obj)) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if allow:
            self.send_header("Allow", allow)
        if status == 503:
            self.send_header("Retry-After", "1")
        if status == 401:
            self.send_header("WWW-Authenticate", "Bearer")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        limit = self.server.settings.max_body
        length, coding = self.headers.get("Content-Length"), self.headers.get("Transfer-Encoding")
        if length is not None and coding is not None:
            raise HttpError(400, "both Content-Length and Transfer-Encoding; a request may "
                            "carry one of them")
        if coding is not None:
            if coding.strip().lower() != "chunked":
                raise HttpError(400, f"Transfer-Encoding '{coding[:64]}' is not supported "
                                "(only chunked)")
            raw = self._read_chunked(limit)
        else:
            length = length or "0"
            if not length.isdigit():
                raise HttpError(400, "bad Content-Length")
            if int(length) > limit:
                raise HttpError(413, f"the body is larger than {limit} bytes")
            raw = self.rfile.read(int(length))
        if not raw:
            raise HttpError(400, "empty body; expected a JSON object")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise HttpError(400, f"the body is not valid JSON ({e})")
        if not isinstance(body, dict):
            raise HttpError(400, "the body must be a JSON object")
        return body

    def _read_chunked(self, limit):
        """A chunked body, refused with 413 as soon as its chunks pass limit."""
        raw = b""
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)
            except ValueError:
                raise HttpError(400, "bad chunked encoding (a chunk size that is not hex)")
            if size < 0:
                raise HttpError(400, "bad chunked encoding (a negative chunk size)")
            if size == 0:
                break
            if len(raw) + size > limit:
                raise HttpError(413, f"the body is larger than {limit} bytes")
            raw += self.rfile.read(size)
            self.rfile.readline(1024)  # the CRLF ending the chunk
        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
            pass  # trailer fields, ignored
        return raw

    def _route(self, method):
        jobs, path = self.server.jobs, self.path.split("?")[0]
        m = re.fullmatch(r"/v1/jobs/([0-9a-f]{1,32})(/result)?", path)
        if path == "/v1/health":
            self._allow(method, "GET")
            return 200, self._health()
        self._check_token()
        if path == "/v1/jobs":
            self._allow(method, "GET, POST")
            return jobs.list() if method == "GET" else jobs.submit(self._body())
        if m and m.group(2):
            self._allow(method, "GET")
            return 200, jobs.result(m.group(1))
        if m:
            self._allow(method, "GET, DELETE")
            return jobs.get(m.group(1)) if method == "GET" else jobs.delete(m.group(1))
        if path in ("/v1/completions", "/tokenizer_info", "/tokenize", "/detokenize"):
            raise HttpError(404, "this server has no completions model (use bitbudget serve "
                            "--completions-model DIR)")
        raise HttpError(404, f"no such resource '{path[:200]}'")

    def _check_token(self):
        """As bitbudget serve --token: every resource but /v1/health needs the bearer token."""
        token = self.server.settings.token
        if token is None:
            return
        got = self.headers.get("Authorization", "")
        if got[:7].lower() == "bearer ":
            got = got[7:].lstrip(" ")
        else:
            got = ""
        if not hmac.compare_digest(got.encode(), token.encode()):
            raise HttpError(401, "missing or wrong bearer token (send 'Authorization: Bearer TOKEN')")

    def _allow(self, method, allowed):
        if method not in allowed.split(", "):
            raise HttpError(405, f"{method} is not allowed on {self.path[:200]} "
                            f"(allowed: {allowed})", allow=allowed)

    def _health(self):
        s = self.server.settings
        return {"name": "bitbudget", "backend": "lm-eval", "version": VERSION, "tasks": TASKS,
                "formats": FORMATS, "kinds": list(KIND_KEYS), "computes_scores": True,
                "completions_model": None, "max_body_bytes": s.max_body, "workers": s.workers,
                "max_queue": s.max_queue, "jobs": self.server.jobs.counts()}

    def _handle(self, method):
        try:
            status, out = self._route(method)
            if isinstance(out, str):
                self._send(status, text=out)
            else:
                self._send(status, out)
        except HttpError as e:
            self._send(e.status, {"error": str(e)}, allow=e.allow,
                       close=e.status in (400, 411, 413))

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")


class Settings:
    def __init__(self, models_root, workers=1, max_queue=16, max_body=1 << 20,
                 keep_finished=64, calib=None, device=None, verbose=False, token=None,
                 data_dir=None, eval_text=None):
        self.models_root = os.path.realpath(models_root)
        if not os.path.isdir(self.models_root):
            raise SystemExit(f"error: --models-root '{models_root}': not a folder")
        self.workers, self.max_queue, self.max_body = workers, max_queue, max_body
        self.keep_finished, self.calib, self.device, self.verbose = keep_finished, calib, device, verbose
        self.token = token
        self.eval_text = eval_text
        self.data_dir = data_dir and os.path.realpath(data_dir)
        if data_dir and not os.path.isdir(self.data_dir):
            raise SystemExit(f"error: --data-dir '{data_dir}': not a folder")


def is_loopback(host):
    """Whether every address host resolves to is a loopback one."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return all(_loopback_address(i[4][0]) for i in infos)


def _loopback_address(addr):
    ip = ipaddress.ip_address(addr.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def check_token(ap, token, host):
    """--token, else $BB_TOKEN: 16-256 printable characters, required off loopback."""
    if token and not (16 <= len(token) <= 256 and all(" " < c < "\x7f" for c in token)):
        ap.error("--token: expected 16 to 256 printable characters without spaces")
    if not token and not is_loopback(host):
        ap.error(f"--host '{host}' is not a loopback address: a --token (or BB_TOKEN) is required")
    return token or None


def make_server(host, port, settings):
    """A ThreadingHTTPServer answering the protocol; call serve_forever(), then
    shutdown() and server.jobs.stop()."""
    srv = ThreadingHTTPServer((host, port), Handler)
    srv.daemon_threads = True
    srv.settings, srv.jobs = settings, Jobs(settings)
    return srv


MAIN_PID = os.getpid()


def stop_on_signal(signum, frame):
    if os.getpid() != MAIN_PID:  # a worker lm-eval forked, told to stop: stop quietly
        os._exit(0)
    raise KeyboardInterrupt


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--models-root", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--max-queue", type=int, default=16)
    ap.add_argument("--max-body", type=int, default=1 << 20)
    ap.add_argument("--keep-finished", type=int, default=64)
    ap.add_argument("--calib", help="calibration text for scores jobs without calib_text")
    ap.add_argument("--eval-text", help="evaluation text for kld jobs without text (default: "
                    "experiments/eval/default.txt beside this script)",
                    default=os.path.normpath(os.path.join(
                        ENDPOINT_DIR, "..", "experiments", "eval", "default.txt")))
    ap.add_argument("--device", help="torch device (default: cuda if available)")
    ap.add_argument("--data-dir", help="the tasks' local JSONL files, as bitbudget eval "
                    "--data-dir (default: lm-eval downloads them)")
    ap.add_argument("--verbose", action="store_true", help="log every request on stderr")
    ap.add_argument("--token", default=os.environ.get("BB_TOKEN") or None,
                    help="bearer token required on every resource but /v1/health (default "
                    "$BB_TOKEN); required unless --host is a loopback address")
    a = ap.parse_args(argv)
    token = check_token(ap, a.token, a.host)
    if min(a.workers, a.max_queue, a.keep_finished) < 1 or a.max_body < 1024:
        ap.error("--workers, --max-queue, --keep-finished must be >= 1, --max-body >= 1024")
    srv = make_server(a.host, a.port, Settings(a.models_root, a.workers, a.max_queue,
                                               a.max_body, a.keep_finished, a.calib, a.device,
                                               a.verbose, token, a.data_dir,
                                               a.eval_text))
    print(f"listening on http://{a.host}:{srv.server_address[1]}", flush=True)
    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.jobs.stop()
        srv.server_close()


if __name__ == "__main__":
    main()
