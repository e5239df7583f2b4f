"""test_lm_eval_endpoint.py: protocol tests of endpoint/lm_eval_endpoint.py without torch,
transformers or lm-eval: stand-in modules for lm_eval are put in sys.modules, the server
runs on a free loopback port in a thread, and requests go through urllib.

Run: python3 tests/endpoint/test_lm_eval_endpoint.py  (standard library only; exit status
is the verdict). Never touches anything outside its temporary folder.
"""
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import types
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ENDPOINT = os.path.join(HERE, "..", "..", "endpoint", "lm_eval_endpoint.py")


class FakeLM:
    """Stands in for lm_eval.models.huggingface.HFLM: records its arguments."""
    last_args = None

    def __init__(self, **kw):
        FakeLM.last_args = kw
        self.model = None


class Fake:
    """Controls the fake simple_evaluate: block until released, fail, or answer."""
    gate = threading.Event()
    fail = None
    nan_perplexity = True  # answer a NaN perplexity, which the endpoint sends as null
    calls = []


def fake_simple_evaluate(model, tasks, num_fewshot, limit, random_seed, log_samples,
                         task_manager=None):
    Fake.calls.append({"tasks": tasks, "limit": limit, "num_fewshot": num_fewshot,
                       "seed": random_seed})
    if not Fake.gate.wait(10):
        raise RuntimeError("the test never released the gate")
    if Fake.fail:
        raise ValueError(Fake.fail)
    res = {t: {"alias": t, "acc,none": 0.5, "acc_stderr,none": 0.1} for t in tasks}
    if Fake.nan_perplexity:
        res[tasks[0]]["perplexity,none"] = float("nan")
    return {"results": res, "configs": {t: {"task": t} for t in tasks},
            "versions": {t: 1.0 for t in tasks}, "n-shot": {t: 0 for t in tasks},
            "higher_is_better": {t: {"acc": True} for t in tasks},
            "n-samples": {t: {"original": 10, "effective": limit or 10} for t in tasks},
            "config": {"model": "HFLM", "limit": limit}}


def install_fakes():
    lm_eval = types.ModuleType("lm_eval")
    lm_eval.simple_evaluate = fake_simple_evaluate
    models = types.ModuleType("lm_eval.models")
    hf = types.ModuleType("lm_eval.models.huggingface")
    hf.HFLM = FakeLM
    lm_eval.models = models
    models.huggingface = hf
    torch = types.ModuleType("torch")  # asked only which device to use: a machine without cuda
    torch.cuda = types.SimpleNamespace(is_available=lambda: False)
    sys.modules.update({"lm_eval": lm_eval, "lm_eval.models": models,
                        "lm_eval.models.huggingface": hf, "torch": torch})


def load_endpoint():
    spec = importlib.util.spec_from_file_location("lm_eval_endpoint", ENDPOINT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class EndpointTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        install_fakes()
        cls.ep = load_endpoint()  # which puts endpoint/, its modules' folder, on sys.path
        cls.kld, cls.scores, cls.quant, cls.common = (importlib.import_module(m) for m in (
            "adapter_kld", "adapter_scores", "adapter_quant", "adapter_common"))
        cls.tmp = tempfile.TemporaryDirectory()
        root = os.path.join(cls.tmp.name, "models")
        outside = os.path.join(cls.tmp.name, "outside")
        for d in (os.path.join(root, "tiny"), outside, os.path.join(root, "empty")):
            os.makedirs(d)
        for d in (os.path.join(root, "tiny"), outside):
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump({"model_type": "llama"}, f)
        os.symlink(outside, os.path.join(root, "escape"))
        cls.outside = outside
        settings = cls.ep.Settings(root, workers=1, max_queue=2, max_body=4096, keep_finished=8)
        cls.srv = cls.ep.make_server("127.0.0.1", 0, settings)
        cls.url = "http://127.0.0.1:%d" % cls.srv.server_address[1]
        cls.thread = threading.Thread(target=cls.srv.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        Fake.gate.set()
        cls.srv.shutdown()
        cls.srv.jobs.stop()
        cls.srv.server_close()
        cls.tmp.cleanup()

    def setUp(self):
        Fake.fail = None
        Fake.nan_perplexity = True
        Fake.gate.set()
        self.wait_idle()

    # ---- helpers ----

    def call(self, method, path, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            text = e.read()
            out = json.loads(text)  # every answer, errors included, is JSON
            if e.code >= 400:
                self.assertIsInstance(out.get("error"), str)
                self.assertNotIn("\n", out["error"])
            return e.code, out

    def submit(self, **kw):
        job = {"kind": "evaluate", "model": "tiny", "tasks": ["piqa", "lambada_openai"],
               "limit": 3, "num_fewshot": 0}
        job.update(kw)
        return self.call("POST", "/v1/jobs", job)

    def poll(self, jid, want, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            status, job = self.call("GET", "/v1/jobs/" + jid)
            self.assertEqual(status, 200)
            if job["status"] in want:
                return job
            time.sleep(0.02)
        self.fail("job %s never reached %s" % (jid, want))

    def wait_idle(self):
        end = time.time() + 10
        while time.time() < end:
            counts = self.call("GET", "/v1/health")[1]["jobs"]
            if counts["queued"] == 0 and counts["running"] == 0:
                return
            time.sleep(0.02)

    # ---- tests ----

    def test_health(self):
        status, h = self.call("GET", "/v1/health")
        self.assertEqual(status, 200)
        self.assertEqual(h["name"], "bitbudget")
        self.assertTrue(h["computes_scores"])
        self.assertIn("piqa", h["tasks"])
        self.assertIn("MXFP4", h["formats"])
        self.assertEqual(h["max_body_bytes"], 4096)
        self.assertEqual(h["workers"], 1)

    def test_submit_poll_result(self):
        status, job = self.submit(add_bos_token=True, seed=7)
        self.assertEqual(status, 202)
        self.assertEqual(job["status"], "queued")
        job = self.poll(job["id"], ("done",))
        self.assertEqual(job["kind"], "evaluate")
        self.assertEqual(job["progress"]["done"], job["progress"]["total"])
        status, res = self.call("GET", "/v1/jobs/%s/result" % job["id"])
        self.assertEqual(status, 200)
        for key in ("results", "configs", "versions", "n-shot", "higher_is_better",
                    "n-samples", "config"):
            self.assertIn(key, res)
        self.assertEqual(res["results"]["piqa"]["acc,none"], 0.5)
        self.assertIsNone(res["results"]["piqa"]["perplexity,none"])  # NaN became null
        self.assertEqual(res["config"]["model"], "hf")
        self.assertEqual(FakeLM.last_args["device"], "cpu")  # no cuda: the CPU, not HFLM's cuda
        self.assertIn("add_bos_token=True", res["config"]["model_args"])
        self.assertTrue(FakeLM.last_args["pretrained"].endswith("/models/tiny"))
        self.assertEqual(Fake.calls[-1], {"tasks": ["piqa", "lambada_openai"], "limit": 3,
                                          "num_fewshot": 0, "seed": 7})
        status, gone = self.call("DELETE", "/v1/jobs/" + job["id"])
        self.assertEqual((status, gone.get("deleted")), (200, True))
        self.assertEqual(self.call("GET", "/v1/jobs/" + job["id"])[0], 404)

    def test_failed_job_reports_its_error(self):
        Fake.fail = "no data for piqa"
        status, job = self.submit()
        job = self.poll(job["id"], ("failed",))
        self.assertIn("no data for piqa", job["error"])
        status, err = self.call("GET", "/v1/jobs/%s/result" % job["id"])
        self.assertIn(status, (409, 410))
        self.assertIn("no data for piqa", err["error"])

    def test_cancel_running_and_queued(self):
        Fake.gate.clear()
        _, running = self.submit()
        self.poll(running["id"], ("running",))
        _, queued = self.submit()
        status, out = self.call("GET", "/v1/jobs/%s/result" % running["id"])
        self.assertEqual(status, 409)
        status, out = self.call("DELETE", "/v1/jobs/" + queued["id"])
        self.assertEqual((status, out["status"]), (200, "cancelled"))
        status, out = self.call("DELETE", "/v1/jobs/" + running["id"])
        self.assertIn(status, (200, 202))
        self.assertEqual(out["status"], "cancelled")
        Fake.gate.set()
        self.wait_idle()
        self.assertEqual(self.call("GET", "/v1/jobs/" + running["id"])[1]["status"], "cancelled")
        self.assertIn(self.call("GET", "/v1/jobs/%s/result" % running["id"])[0], (409, 410))

    def test_queue_full(self):
        Fake.gate.clear()
        _, first = self.submit()
        self.poll(first["id"], ("running",))
        codes = [self.submit()[0] for _ in range(4)]  # max_queue 2
        self.assertEqual(codes, [202, 202, 503, 503])
        Fake.gate.set()

    def test_bad_requests(self):
        cases = [
            (self.call("POST", "/v1/jobs", raw=b"{bad json"), 400),
            (self.call("POST", "/v1/jobs", raw=b"[1, 2]"), 400),
            (self.submit(tasks=["boolq"]), 400),
            (self.submit(num_fewshot=1), 400),
            (self.submit(limit=-1), 400),
            (self.submit(limt=3), 400),
            (self.submit(kind="train"), 400),
            (self.submit(recipe={"layers": {"a": {"weight": "FP3"}}}), 400),
            (self.call("POST", "/v1/jobs", {"kind": "scores", "model": "tiny",
                                            "options": ["MXFP4"], "method": "magic"}), 400),
            (self.submit(model="nothing-here"), 404),
            (self.submit(model="empty"), 404),
            (self.call("GET", "/v1/jobs/0123456789abcdef"), 404),
            (self.call("GET", "/v1/nowhere"), 404),
            (self.call("PUT", "/v1/jobs", {}), 405),
            (self.call("POST", "/v1/health", {}), 405),
        ]
        for (status, body), want in cases:
            self.assertEqual(status, want, body)

    def test_path_escapes(self):
        for model, codes in (("../outside", (400,)), ("tiny/../../outside", (400,)),
                             (self.outside, (400,)), ("escape", (400, 404)),
                             ("/etc", (400,))):
            status, body = self.submit(model=model)
            self.assertIn(status, codes, (model, body))
        jobs = self.call("GET", "/v1/jobs")[1]["jobs"]
        self.assertFalse([j for j in jobs if j["model"] != "tiny"])  # none was queued

    def test_oversized_body(self):
        status, body = self.call("POST", "/v1/jobs", raw=b"{" + b" " * 5000 + b"}")
        self.assertEqual(status, 413)

    def test_scores_job_validation(self):
        status, body = self.call("POST", "/v1/jobs", {"kind": "scores", "model": "tiny",
                                                      "options": ["MXFP4", "MXFP8"]})
        self.assertEqual(status, 400)  # no calib_text and no --calib
        self.assertIn("calib_text", body["error"])

    @unittest.skipUnless(os.access(os.environ.get("BB", ""), os.X_OK), "BB (bin/bitbudget) not set")
    def test_bitbudget_client_against_this_server(self):
        out = os.path.join(self.tmp.name, "results.json")
        argv = [os.environ["BB"], "eval", "--endpoint", self.url, "--model", "tiny",
                "--tasks", "piqa,lambada_openai", "--limit", "3", "-q", "-o", out]
        # lm-eval's NaN perplexity reaches the client as null: refused, nothing written
        run = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertEqual(run.stderr, 'error: endpoint: results.piqa."perplexity,none" is not '
                         'a valid perplexity value\n')
        self.assertFalse(os.path.exists(out))
        Fake.nan_perplexity = False
        run = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout, "piqa acc 0.5000\nlambada_openai acc 0.5000\nmean acc 0.5000\n")
        with open(out) as f:
            self.assertEqual(json.load(f)["results"]["piqa"]["acc,none"], 0.5)

    def test_kld_job_validation(self):
        status, h = self.call("GET", "/v1/health")
        self.assertIn("kld", h["kinds"])
        for body, status_want, words in (
                ({"text": 5}, 400, "text: expected a string"),
                ({"context": 0}, 400, "context"),
                ({"tasks": ["piqa"]}, 400, "unknown field 'tasks'"),
                ({"recipe": {"layers": {"a": {"weight": "FP3"}}}}, 400, "FP3"),
                ({}, 400, "text: required (this server has no evaluation text)"),
                ({"model": "../tiny", "text": "x"}, 400, "'..'")):
            status, out = self.call("POST", "/v1/jobs", {"kind": "kld", "model": "tiny", **body})
            self.assertEqual(status, status_want, out)
            self.assertIn(words, out["error"])

    def test_kld_documents_as_bitbudget_splits_them(self):
        # maximal runs of lines holding more than spaces, tabs, CR, VT and FF
        text = "a b\n c\n \t\n\n\r\nd\x0b\n\x0c\ne\n"
        self.assertEqual(self.kld.split_documents(text), ["a b\n c", "d\x0b", "e"])
        self.assertEqual(self.kld.split_documents("\n \n"), [])

    def test_pick_chunks_matches_bitbudget(self):
        # the values `bitbudget scores` picks (splitmix64 + partial Fisher-Yates, in C)
        self.assertEqual(self.scores.pick_chunks(10, 4, 42), [2, 3, 4, 5])
        self.assertEqual(self.scores.pick_chunks(100, 8, 7), [1, 5, 25, 34, 58, 62, 70, 87])

    def test_formats(self):
        self.assertEqual(self.quant.parse_format("mxfp4"), ("mx", (2, 3, 2, 6.0)))
        self.assertEqual(self.quant.parse_format("W4G128"), ("int", (4, 128, True)))
        self.assertEqual(self.quant.parse_format("W2G64-asym"), ("int", (2, 64, False)))
        self.assertEqual(self.quant.parse_format("BF16"), ("keep", None))
        self.assertIsNone(self.common.json_safe({"a": [float("inf")]})["a"][0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
