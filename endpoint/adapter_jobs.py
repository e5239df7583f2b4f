"""adapter_jobs.py: the Python adapter's reader of POST /v1/jobs bodies (docs/endpoint.md):
each field checked, the model resolved under --models-root, a spec dict for the job kinds.
Never serves a checkpoint outside --models-root; never runs a job or touches torch.
"""
import json
import os

from adapter_common import HttpError
from adapter_quant import parse_format

TASKS = ["lambada_openai", "hellaswag", "piqa", "winogrande", "mmlu"]
EVALUATE_KEYS = {"kind", "model", "recipe", "tasks", "limit", "num_fewshot", "add_bos_token",
                 "batch_size", "seed", "log_samples"}
SCORES_KEYS = {"kind", "model", "options", "method", "nsamples", "seqlen", "batch", "seed",
               "calib_text"}
KLD_KEYS = {"kind", "model", "recipe", "text", "context"}
KIND_KEYS = {"evaluate": EVALUATE_KEYS, "scores": SCORES_KEYS, "kld": KLD_KEYS}


def resolve_model(root, name):
    """Real path of checkpoint folder `name` under root, or HttpError 400/404."""
    if not isinstance(name, str) or not name:
        raise HttpError(400, "model: expected a path (string)")
    if ".." in name.split("/"):
        raise HttpError(400, f"model '{name}': '..' is not allowed in a model path")
    if name.startswith("/") and not (root == "/" or name == root or name.startswith(root + "/")):
        raise HttpError(400, f"model '{name}': absolute paths must lie under the models root")
    real = os.path.realpath(name if name.startswith("/") else os.path.join(root, name))
    if not (root == "/" or real == root or real.startswith(root + "/")) or not os.path.exists(real):
        raise HttpError(404, f"model '{name}' not found under the models root")
    if not os.path.isfile(os.path.join(real, "config.json")):
        raise HttpError(404, f"model '{name}' is not a checkpoint folder (no config.json)")
    return real


def get_int(req, key, lo, hi, default):
    v = req.get(key)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or not lo <= v <= hi:
        raise HttpError(400, f"{key}: expected an integer in [{lo}, {hi}]")
    return int(v)


def get_bool(req, key):
    v = req.get(key)
    if v is not None and not isinstance(v, bool):
        raise HttpError(400, f"{key}: expected true or false")
    return v


def get_names(req, key, limit):
    v = req.get(key)
    names = v.split(",") if isinstance(v, str) else v
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise HttpError(400, f"{key}: expected a list of names")
    names = [n for n in names if n]
    if not names:
        raise HttpError(400, f"{key}: the list is empty")
    if len(set(names)) != len(names) or len(names) > limit:
        raise HttpError(400, f"{key}: names repeat or more than {limit}")
    return names


def parse_job(req, settings):
    """Validate a POST /v1/jobs body into a spec dict; HttpError 400/404 otherwise."""
    if not isinstance(req, dict):
        raise HttpError(400, "the body must be a JSON object")
    kind = req.get("kind") or "evaluate"
    if kind not in KIND_KEYS:
        raise HttpError(400, 'kind: expected "evaluate", "scores" or "kld"')
    for key in req:
        if key not in KIND_KEYS[kind]:
            raise HttpError(400, f"unknown field '{key}' for a {kind} job")
    spec = {"kind": kind, "model": req.get("model"), "seed": get_int(req, "seed", 0, 2**63 - 1,
                                                                       42 if kind == "scores" else 0)}
    if not isinstance(spec["model"], str):
        raise HttpError(400, "model: expected a path (string)")
    {"scores": parse_scores, "kld": parse_kld, "evaluate": parse_evaluate}[kind](req, spec,
                                                                               settings)
    spec["model_dir"] = resolve_model(settings.models_root, spec["model"])
    return spec


def parse_evaluate(req, spec, settings):
    spec["tasks"] = get_names(req, "tasks", 64)
    for t in spec["tasks"]:
        if t not in TASKS:
            raise HttpError(400, f"unknown task '{t}' (known: {json.dumps(TASKS)})")
    fewshot = get_int(req, "num_fewshot", 0, 2**31 - 1, 0)
    if fewshot != 0:
        raise HttpError(400, f"num_fewshot: only 0 is supported (got {fewshot})")
    spec["limit"] = get_int(req, "limit", 0, 2**31 - 1, 0)
    bs = req.get("batch_size")
    spec["batch_size"] = bs if bs == "auto" else get_int(req, "batch_size", 0, 1 << 20, 0)
    spec["add_bos_token"] = get_bool(req, "add_bos_token")
    spec["log_samples"] = bool(get_bool(req, "log_samples"))
    spec["recipe"] = parse_recipe(req)


def parse_recipe(req):
    recipe = req.get("recipe")
    if recipe is not None and not (isinstance(recipe, dict) and isinstance(recipe.get("layers"), dict)):
        raise HttpError(400, "recipe: expected a recipe object with \"layers\"")
    for name, entry in ((recipe or {}).get("layers") or {}).items():
        if not isinstance(entry, dict):
            raise HttpError(400, f"recipe: layer '{name}' is not an object")
        parse_format(entry.get("weight", "BF16"))
        parse_format(entry.get("act", "BF16"))
    return recipe


def parse_scores(req, spec, settings):
    spec["options"] = get_names(req, "options", 8)
    spec["formats"] = [parse_format(o) for o in spec["options"]]
    method = req.get("method") or "deltaloss"
    if method not in ("deltaloss", "proxy"):
        raise HttpError(400, 'method: expected "deltaloss" or "proxy"')
    spec["method"] = method
    spec["nsamples"] = get_int(req, "nsamples", 1, 100000, 16)
    spec["seqlen"] = get_int(req, "seqlen", 2, 1 << 20, 256)
    spec["batch"] = get_int(req, "batch", 1, 4096, 8)
    text = req.get("calib_text")
    if text is not None and not isinstance(text, str):
        raise HttpError(400, "calib_text: expected a string")
    if method == "deltaloss" and text is None and not settings.calib:
        raise HttpError(400, "calib_text: required (this server has no calibration file)")
    spec["calib_text"] = text


def parse_kld(req, spec, settings):
    spec["recipe"] = parse_recipe(req)
    spec["context"] = get_int(req, "context", 1, 1 << 20, 0)
    text = req.get("text")
    if text is not None and not isinstance(text, str):
        raise HttpError(400, "text: expected a string")
    if text is None and not settings.eval_text:
        raise HttpError(400, "text: required (this server has no evaluation text)")
    spec["text"] = text
