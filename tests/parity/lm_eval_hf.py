"""Check 5's oracle, one process per model: lm-eval's `hf` backend on the five tasks, BOS
forced on and then off, through `lm_eval.simple_evaluate` (the function `lm_eval run`
calls, with the same arguments check 5 gave the command line: CPU, float32, --samples,
--log_samples, batch 16; outputs equal, measured).

Why a script and not `lm_eval run` twice: one process per model imports torch,
transformers and lm-eval once, indexes only the include folder's tasks (the command
line also indexes lm-eval's thousands of built-in task files, 15 s a run) and picks the
documents once for both BOS settings (docs/benchmarks.md, "Parity suite"). Run by
check_tasks.py as a subprocess so that two models' runs share the machine's cores.

Usage: lm_eval_hf.py MODEL INCLUDE_DIR OUT_DIR (MODEL: a folder of $SHARED/models).
Writes OUT_DIR/bos-on.json and OUT_DIR/bos-off.json, each {"results", "samples", "merged"}:
lm-eval's results and per-document samples ({task: [sample]}) as simple_evaluate returns
them, and the lambada documents left out of its run (merged continuations,
check_tasks.chosen_documents)."""
import json
import os
import sys

# lm_eval_tasks.py lives beside the adapter (endpoint/), as in run.py.
sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "endpoint"))
from check_tasks import chosen_documents  # noqa: E402
from common import model_dir  # noqa: E402
from lm_eval_tasks import TASK_NAMES  # noqa: E402

BATCH_SIZE = 16


def evaluate(name, bos, chosen, manager):
    import lm_eval
    model = os.path.abspath(model_dir(name))
    return lm_eval.simple_evaluate(
        model="hf", model_args=f"pretrained={model},dtype=float32,add_bos_token={bos}",
        tasks=TASK_NAMES, samples=chosen, log_samples=True, device="cpu",
        batch_size=BATCH_SIZE, task_manager=manager)


def main(name, include, out):
    from lm_eval.tasks import TaskManager
    from lm_eval.utils import handle_non_serializable
    chosen, merged = chosen_documents(name, include)
    manager = TaskManager(include_path=include, include_defaults=False)
    os.makedirs(out, exist_ok=True)
    for bos in (True, False):
        res = evaluate(name, bos, chosen, manager)
        path = os.path.join(out, f"bos-{'on' if bos else 'off'}.json")
        with open(path + ".tmp", "w") as f:
            json.dump({"results": res["results"], "samples": res["samples"],
                       "merged": sorted(merged)}, f, default=handle_non_serializable)
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: lm_eval_hf.py MODEL INCLUDE_DIR OUT_DIR")
    main(*sys.argv[1:])
