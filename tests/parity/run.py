"""The parity suite's runner (make parity): runs every check of tests/parity/check_*.py
in order and prints one line per check -- PASS or FAIL, its name, the largest difference
it measured against the real Python stack and its tolerance -- then "N passed, N failed".
Exits non-zero when any check fails. An argument (a regular expression) runs only the
checks whose names match it. Hugging Face's hub is never contacted: models and data come
from $SHARED.

The long runs (lm-eval's and bitbudget's evaluations of checks 5 and 6) are begun first,
in a pool of one process a core (common.start), while the main thread runs the other
checks in order; the checks of 5 and 6 come last and read the runs as they finish. Every
process computes on one thread (OMP_NUM_THREADS=1)."""
import os
import re
import shutil
import sys
import tempfile
import time
import traceback

for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE",
            "HF_DATASETS_DISABLE_PROGRESS_BARS", "TQDM_DISABLE"):
    os.environ[var] = "1"
os.environ["TRANSFORMERS_VERBOSITY"] = "error"
# One thread a process (torch, bitbudget's OpenMP, OpenBLAS), set before torch is imported
# and inherited by every subprocess: the suite runs one process a core instead.
os.environ["OMP_NUM_THREADS"] = "1"
# A fresh cache each run: nothing left over from another run (or another checkout) is
# read, and nothing is left behind.
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="bb-parity-hf-")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(HERE, "..", "..", "endpoint"))  # lm_eval_tasks, adapter_quant
import check_endpoint_py  # noqa: E402  (after the environment is set)
import check_autoscheme  # noqa: E402  (after the environment is set)
import check_engine  # noqa: E402
import check_kld  # noqa: E402
import check_quantizer  # noqa: E402
import check_served  # noqa: E402
import check_tasks  # noqa: E402
import check_tokenizer  # noqa: E402
import common  # noqa: E402

# Checks 5 and 6 last: their runs go on in the background meanwhile.
SUITE = (check_engine, check_tokenizer, check_quantizer, check_autoscheme, check_endpoint_py,
         check_kld, check_tasks, check_served)


def run_check(name, fn, tmp):
    start = time.monotonic()
    try:
        res = fn(tmp)
        verdict = "PASS" if res.passed else "FAIL"
        line = f"max_diff={res.max_diff:.3g} tol={res.tolerance:g} {res.detail}"
    except Exception as e:  # a check that cannot run fails, naming why
        verdict, line = "FAIL", f"error: {e}"
        traceback.print_exc(file=sys.stderr)
    print(f"{verdict} {name}: {line} ({time.monotonic() - start:.1f} s)", flush=True)
    return verdict == "PASS"


def main():
    pattern = re.compile(sys.argv[1] if len(sys.argv) > 1 else "")
    tmp = tempfile.mkdtemp(prefix="bb-parity-")
    passed = failed = 0
    try:
        for module in SUITE:
            if hasattr(module, "prefetch"):
                module.prefetch([n for n, _ in module.CHECKS if pattern.search(n)], tmp)
        for module in SUITE:
            for name, fn in module.CHECKS:
                if pattern.search(name):
                    if run_check(name, fn, tmp):
                        passed += 1
                    else:
                        failed += 1
    finally:
        common.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(os.environ["HF_HOME"], ignore_errors=True)
    for key, seconds in common.RUN_SECONDS.items():
        print(f"background run {key}: {seconds:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
