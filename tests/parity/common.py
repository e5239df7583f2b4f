"""Shared plumbing of the parity checks: where bitbudget and the models are, how to run
bitbudget and bb-parity-tool, the result every check returns, and the pool that runs the
long subprocesses (lm-eval, bitbudget eval) side by side."""
import concurrent.futures
import functools
import glob
import json
import os
import subprocess
import time
from dataclasses import dataclass

BB = os.environ.get("BB", "bin/bitbudget")
TOOL = os.environ.get("BB_PARITY_TOOL", "build/tests/bb-parity-tool")
SHARED = os.environ.get("SHARED", "../shared")
MODELS = ("tinystories-656k", "stories260k")
DATA_DIR = os.path.join(SHARED, "data", "lm-eval")
HELLASWAG_ROWS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                              "tasks", "hellaswag.validation.jsonl")


def model_dir(name):
    return os.path.join(SHARED, "models", name)


def local_data_dir(tmp):
    """One folder with the shared rows and the hand-made hellaswag rows, as --data-dir."""
    path = os.path.join(tmp, "data")
    if not os.path.isdir(path):
        os.makedirs(path)
        for src in glob.glob(os.path.join(DATA_DIR, "*.jsonl")) + [HELLASWAG_ROWS]:
            os.symlink(os.path.abspath(src), os.path.join(path, os.path.basename(src)))
    return path


@dataclass
class Result:
    """A check's outcome: the largest difference it measured and the most it allows
    (0 for checks that must agree exactly: ids, bits, documents)."""
    max_diff: float
    tolerance: float
    detail: str = ""

    @property
    def passed(self):
        return self.max_diff <= self.tolerance


def once(cache, key, make):
    """make() the first time key is asked for, then its value again; a failure is kept and
    raised again, so the checks that share a run fail alike without running it twice."""
    if key not in cache:
        try:
            cache[key] = make()
        except Exception as e:
            cache[key] = e
    if isinstance(cache[key], Exception):
        raise cache[key]
    return cache[key]


# Long runs at once: one a core. Each process computes on one thread (run.py sets
# OMP_NUM_THREADS=1): on a shared 2-core machine two-thread torch spins against other
# processes, 10x slower than one thread (docs/benchmarks.md, "Parity suite").
JOBS = int(os.environ.get("PARITY_JOBS") or os.cpu_count() or 1)
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=JOBS)
_STARTED = {}
RUN_SECONDS = {}  # key: wall time of each finished run, for run.py's last lines


def start(key, make):
    """Begin make() in the pool (JOBS at a time) unless key was begun already; its future,
    whose result() is make()'s value or raises its failure again, so the checks that share
    a run fail alike without running it twice. make must not wait on another started run
    (the pool could fill with waiters)."""
    if key not in _STARTED:
        _STARTED[key] = _POOL.submit(_timed, key, make)
    return _STARTED[key]


def _timed(key, make):
    begun = time.monotonic()
    try:
        return make()
    finally:
        RUN_SECONDS[key] = time.monotonic() - begun


def stop():
    """Drop the runs not begun; wait for the others."""
    _POOL.shutdown(wait=True, cancel_futures=True)


def read_lm_eval_samples(out):
    """The samples lm-eval's --log_samples wrote under out, by (task, doc_id)."""
    samples = {}
    for path in glob.glob(os.path.join(out, "*", "samples_*.jsonl")):
        task = os.path.basename(path)[len("samples_"):].rsplit("_", 1)[0]
        with open(path) as f:
            for line in f:
                doc = json.loads(line)
                samples[(task, doc["doc_id"])] = doc
    return samples


def run(argv, stdin=None):
    """Run argv (never through a shell); its stdout, or an exception naming its stderr."""
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}...: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def bb(*args):
    return run([BB, *args])


def tool_lines(args, items):
    """Feed bb-parity-tool one JSON value a line; its answers, parsed, in order."""
    out = run([TOOL, *args], "".join(json.dumps(x) + "\n" for x in items))
    return [json.loads(line) for line in out.splitlines()]


def load_hf_model(name):
    """The shared checkpoint as transformers loads it: float32, eager attention."""
    import torch
    from transformers import LlamaForCausalLM
    model = LlamaForCausalLM.from_pretrained(model_dir(name), dtype=torch.float32,
                                             attn_implementation="eager")
    return model.eval()


def load_hf_tokenizer(name):
    """transformers' AutoTokenizer. Note: transformers 5 rebuilds a LlamaTokenizer's
    pipeline instead of reading tokenizer.json as is (docs/parity.md, check 2), so ids
    that must match tokenizer.json come from raw_tokenizer."""
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(model_dir(name))


@functools.cache
def raw_tokenizer(name):
    """The `tokenizers` library on the folder's tokenizer.json, exactly as written."""
    from tokenizers import Tokenizer
    return Tokenizer.from_file(os.path.join(model_dir(name), "tokenizer.json"))


@functools.cache
def bos_id(name):
    with open(os.path.join(model_dir(name), "config.json")) as f:
        return json.load(f)["bos_token_id"]


def encode(name, text, bos):
    """tokenizer.json's ids of text, with no template tokens, BOS first when bos."""
    ids = raw_tokenizer(name).encode(text, add_special_tokens=False).ids
    return [bos_id(name)] + ids if bos else ids
