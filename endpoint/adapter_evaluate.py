"""adapter_evaluate.py: the Python adapter's evaluate jobs: lm_eval.simple_evaluate on HFLM,
MX activations (and a job's recipe weights) fake-quantized, lm-eval's task configs pointed at
--data-dir's local rows by endpoint/lm_eval_tasks.py.
Never parses a request (adapter_jobs.py has checked the spec); imports lm-eval only inside a job.
"""
import json
import tempfile

from adapter_common import json_safe, torch_device
from adapter_quant import apply_recipe, checkpoint_recipe, load_quantized_checkpoint


def run_evaluate(spec, settings, stop_if_cancelled=lambda: None):
    import lm_eval
    from lm_eval.models.huggingface import HFLM
    args = {"pretrained": spec["model_dir"], "dtype": "auto"}
    if spec["add_bos_token"] is not None:
        args["add_bos_token"] = spec["add_bos_token"]
    if spec["batch_size"]:
        args["batch_size"] = spec["batch_size"]
    args["device"] = torch_device(settings)
    stored = checkpoint_recipe(spec["model_dir"])
    model = args["pretrained"] if stored is None else \
        load_quantized_checkpoint(spec["model_dir"], args["device"])
    lm = HFLM(**dict(args, pretrained=model, tokenizer=spec["model_dir"]))
    recipe = spec["recipe"] or stored
    if recipe and getattr(lm, "model", None) is not None:
        apply_recipe(lm.model, recipe, weights=spec["recipe"] is not None)
    if getattr(lm, "model", None) is not None:  # each forward (a batch) checks for a cancel
        lm.model.register_forward_pre_hook(lambda module, args: stop_if_cancelled())
    with tempfile.TemporaryDirectory(prefix="bb-lm-eval-tasks-") as include:
        res = lm_eval.simple_evaluate(model=lm, tasks=spec["tasks"], num_fewshot=0,
                                      limit=spec["limit"] or None, random_seed=spec["seed"],
                                      log_samples=spec["log_samples"],
                                      task_manager=local_tasks(settings.data_dir, include))
    cfg = res.setdefault("config", {})
    cfg["model"] = "hf"
    cfg["model_args"] = ",".join(f"{k}={v}" for k, v in args.items())
    return json.dumps(json_safe(res), default=str, allow_nan=False)


def local_tasks(data_dir, include):
    """With --data-dir, a TaskManager holding only lm-eval's task configs pointed at the
    local rows (written into include); else None, lm-eval's defaults (the hub)."""
    if data_dir is None:
        return None
    from lm_eval.tasks import TaskManager
    from lm_eval_tasks import build_include_folder  # shared with the parity suite
    build_include_folder(include, data_dir)
    return TaskManager(include_path=include, include_defaults=False)
