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
Never serves a checkpoint outside --models-root.
"""
import argparse
import hmac
import ipaddress
import json
import math
import os
import re
import secrets
import signal
import socket
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "0.1.0"
TASKS = ["lambada_openai", "hellaswag", "piqa", "winogrande", "mmlu"]
FORMATS = ["MXFP4", "MXFP8", "BF16", "W<b>G<g>", "W<b>G<g>-asym"]
EVALUATE_KEYS = {"kind", "model", "recipe", "tasks", "limit", "num_fewshot", "add_bos_token",
                 "batch_size", "seed", "log_samples"}
SCORES_KEYS = {"kind", "model", "options", "method", "nsamples", "seqlen", "batch", "seed",
               "calib_text"}
KLD_KEYS = {"kind", "model", "recipe", "text", "context"}
KIND_KEYS = {"evaluate": EVALUATE_KEYS, "scores": SCORES_KEYS, "kld": KLD_KEYS}


class JobCancelled(Exception):
    """Raised inside a running job once it is cancelled, so that it stops at its next batch."""


class HttpError(Exception):
    def __init__(self, status, message, allow=None):
        super().__init__(message)
        self.status, self.allow = status, allow


# ---- number formats (../shared/docs/autoround-autoscheme.md sections 2.2 and 3) ----

MX = {"MXFP4": (2, 3, 2, 6.0), "MXFP8": (4, 5, 8, 448.0)}  # ebits, mbits, emax, max_norm


def parse_format(name):
    """("mx", spec) / ("int", (bits, group, sym)) / ("keep", None); HttpError if unknown."""
    up = str(name).upper()
    if up in MX:
        return "mx", MX[up]
    if up in ("BF16", "W16", "FP16"):
        return "keep", None
    m = re.fullmatch(r"W(\d)G(\d+)(-ASYM|-SYM)?", up.replace("W4A16", "W4G128"))
    if m and 2 <= int(m.group(1)) <= 8 and int(m.group(2)) > 0:
        return "int", (int(m.group(1)), int(m.group(2)), m.group(3) != "-ASYM")
    raise HttpError(400, f"unknown format '{name}'")


def block_of(fmt):
    kind, spec = fmt
    return 32 if kind == "mx" else spec[1] if kind == "int" else 1


def mx_qdq(x, spec, block=32):
    """MX quantize-dequantize along the last dim: blocks of 32, shared exponent
    floor(log2(amax)) - emax clamped to [-127, 127], saturation, round half to even."""
    import torch
    ebits, mbits, emax, max_norm = spec
    shape, dtype, last = x.shape, x.dtype, x.shape[-1]
    t = x.float().reshape(-1, last)
    pad = 0 if last < block else (-last) % block
    if pad:
        t = torch.nn.functional.pad(t, (0, pad))
    t = t.reshape(-1, block if last >= block else last)
    amax = t.abs().amax(dim=-1, keepdim=True)
    lg = torch.where(amax == 0, torch.ones_like(amax), torch.floor(torch.log2(amax)))
    scale = torch.exp2(torch.clamp(lg - emax, -127, 127))
    y = torch.clamp(t / scale, -max_norm, max_norm)
    a = y.abs()
    p = torch.floor(torch.log2(torch.where(a == 0, torch.ones_like(a), a)))
    p = torch.clamp(p, min=2 - 2 ** (ebits - 1))
    step = 2.0 ** (mbits - 2)
    u = a / torch.exp2(p) * step
    r = torch.floor(u + 0.5)
    d = u - 0.5
    r = torch.where((d == torch.floor(d)) & (torch.remainder(d, 2) == 0), r - 1, r)
    q = torch.clamp(torch.sign(y) * r / step * torch.exp2(p), -max_norm, max_norm) * scale
    q = q.reshape(-1, last + pad)[:, :last]
    return q.reshape(shape).to(dtype)


def int_qdq(w, spec):
    """AutoRound's RTN for INT weights in groups along the last dim (fp16 scales)."""
    import torch
    bits, group, sym = spec
    shape, dtype = w.shape, w.dtype
    t = w.float().reshape(-1, group)
    wmin = torch.clamp(t.amin(dim=-1, keepdim=True), max=0)
    wmax = torch.clamp(t.amax(dim=-1, keepdim=True), min=0)
    if sym:
        maxq = 2 ** (bits - 1)
        max_v = torch.where(wmin.abs() > wmax, wmin.abs(), -wmax)
        s = (max_v / maxq).half().float()
        s = torch.where(s.abs() < 1e-5, torch.where(s < 0, -1e-5, 1e-5), s)
        q = torch.clamp(torch.round(t / s), -maxq, maxq - 1) * s
    else:
        maxq = 2 ** bits - 1
        s = torch.clamp(((wmax - wmin) / maxq).half().float(), min=1e-5)
        zp = torch.round(-wmin / s)
        q = (torch.clamp(torch.round(t / s) + zp, 0, maxq) - zp) * s
    return q.reshape(shape).to(dtype)


def qdq(x, fmt):
    kind, spec = fmt
    return mx_qdq(x, spec) if kind == "mx" else int_qdq(x, spec) if kind == "int" else x


def mx_input_hook(fmt):
    def hook(module, args):
        return (mx_qdq(args[0], fmt[1]),) + tuple(args[1:])
    return hook


def apply_recipe(model, recipe, weights):
    """Pre-hooks quantizing the inputs of MX layers; with weights, also qdq the weights."""
    import torch
    layers = (recipe or {}).get("layers") or {}
    hooked = 0
    for name, mod in model.named_modules():
        entry = layers.get(name)
        if entry is None or not isinstance(mod, torch.nn.Linear):
            continue
        if weights:
            with torch.no_grad():
                mod.weight.copy_(qdq(mod.weight, parse_format(entry.get("weight", "BF16"))))
        act = parse_format(entry.get("act", "BF16"))
        if act[0] == "mx":
            mod.register_forward_pre_hook(mx_input_hook(act))
            hooked += 1
    return hooked


def checkpoint_recipe(model_dir):
    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            qc = json.load(f).get("quantization_config")
    except (OSError, ValueError):
        return None
    return qc if isinstance(qc, dict) and isinstance(qc.get("layers"), dict) else None


# ---- requests ----

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


# ---- running jobs ----

def json_safe(o):
    """NaN/inf become null (bitbudget's strict JSON reader refuses bare NaN)."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): json_safe(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [json_safe(v) for v in o]
    return o


def torch_device(settings):
    """--device, else cuda where torch has it, else the CPU (HFLM's own default, cuda,
    fails on a machine without it)."""
    import torch
    return settings.device or ("cuda" if torch.cuda.is_available() else "cpu")


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


def load_quantized_checkpoint(model_dir, device):
    """The model of a `bitbudget quantize` checkpoint: its weights are stored already
    fake-quantized, and its config.json's quantization_config (quant_method "bitbudget",
    read by checkpoint_recipe for the activations) is one transformers refuses to load, so
    the config is read without it."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    config = AutoConfig.from_pretrained(model_dir)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_pretrained(model_dir, config=config, dtype="auto")
    return model.to(device)


def local_tasks(data_dir, include):
    """With --data-dir, a TaskManager holding only lm-eval's task configs pointed at the
    local rows (written into include); else None, lm-eval's defaults (the hub)."""
    if data_dir is None:
        return None
    from lm_eval.tasks import TaskManager
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:  # imported by path (tests) rather than run as a script
        sys.path.insert(0, here)
    from lm_eval_tasks import build_include_folder  # shared with the parity suite
    build_include_folder(include, data_dir)
    return TaskManager(include_path=include, include_defaults=False)


def pick_chunks(have, n, seed):
    """`bitbudget scores`'s seeded pick: splitmix64 driving a partial Fisher-Yates."""
    idx, mask = list(range(have)), (1 << 64) - 1
    for i in range(n):
        seed = (seed + 0x9E3779B97F4A7C15) & mask
        z = ((seed ^ (seed >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        j = i + (z ^ (z >> 31)) % (have - i)
        idx[i], idx[j] = idx[j], idx[i]
    return sorted(idx[:n])


def calib_tokens(spec, tok, settings):
    text = spec["calib_text"]
    if text is None:
        with open(settings.calib, encoding="utf-8") as f:
            text = f.read()
    ids = tok(text, add_special_tokens=False)["input_ids"]
    bos = tok.bos_token_id if tok("a")["input_ids"][:1] == [tok.bos_token_id] else None
    body = spec["seqlen"] - (bos is not None)
    have = len(ids) // body
    if have == 0:
        raise ValueError(f"calibration text: {len(ids)} tokens, too few for one sequence")
    seqs = [([bos] if bos is not None else []) + ids[k * body:(k + 1) * body]
            for k in pick_chunks(have, min(have, spec["nsamples"]), spec["seed"])]
    return seqs


def budget_linears(model):
    import torch
    pat = re.compile(r"model\.layers\.\d+\.(self_attn|mlp)\.\w+_proj$")
    return [(n, m) for n, m in model.named_modules() if pat.match(n) and isinstance(m, torch.nn.Linear)]


def add_weight_terms(layers, saved, acc):
    """The weight term of this batch, |dL/dQ(W) * (W - Q(W))| summed, then the gradient
    cleared: the absolute value is taken batch by batch (as AutoScheme's backward hooks and
    `bitbudget scores` do), not of the gradient accumulated over every batch."""
    for name, mod in layers:
        if mod.weight.grad is not None:
            diff = (saved[name] - mod.weight.detach()).float()
            acc[name] += float((mod.weight.grad.float() * diff).abs().sum())
            mod.weight.grad = None


def deltaloss_option(model, layers, fmt, need_w, seqs, batch, scores, k, progress):
    """One option's pass: everything k-quantized, forward + backward, first-order terms."""
    import torch
    saved, hooks, acc = {}, [], {n: 0.0 for n, _ in layers}
    for name, mod in layers:
        saved[name] = mod.weight.detach().clone()
        with torch.no_grad():
            mod.weight.copy_(qdq(saved[name], fmt))
        mod.weight.requires_grad_(need_w)
        if fmt[0] == "mx":
            def pre(module, args, name=name):
                x = args[0]
                q = mx_qdq(x.detach(), fmt[1])
                xq = x + (q - x).detach()  # Q(x) forward, gradient passes to x
                diff = (x.detach() - q).float()

                def on_grad(g):  # g = dL/dQ(x)
                    acc[name] += float((g.float() * diff).abs().sum())
                xq.register_hook(on_grad)
                return (xq,) + tuple(args[1:])
            hooks.append(mod.register_forward_pre_hook(pre))
    emb = model.get_input_embeddings().register_forward_hook(lambda m, i, o: o.requires_grad_())
    losses = []
    try:
        for b in range(0, len(seqs), batch):
            ids = torch.tensor(seqs[b:b + batch], device=model.device)
            loss = model(input_ids=ids, labels=ids, use_cache=False).loss
            loss.backward()
            losses.append(float(loss.detach()))
            if need_w:
                add_weight_terms(layers, saved, acc)
            progress(b // batch + 1, (len(seqs) + batch - 1) // batch)
    finally:
        emb.remove()
        for h in hooks:
            h.remove()
        for name, mod in layers:
            with torch.no_grad():
                mod.weight.copy_(saved[name])
            mod.weight.requires_grad_(False)
            mod.weight.grad = None
    for name in acc:
        scores[name][k] = acc[name]
    return sum(losses) / max(len(losses), 1)


def run_scores(spec, settings, progress):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    model = AutoModelForCausalLM.from_pretrained(spec["model_dir"], dtype=torch.float32)
    model.to(torch_device(settings))
    for p in model.parameters():
        p.requires_grad_(False)
    fmts, names = spec["formats"], spec["options"]
    fixed = [n for n, m in budget_linears(model) if any(m.in_features % block_of(f) for f in fmts if f[0] != "keep")]
    layers = [(n, m) for n, m in budget_linears(model) if n not in fixed]
    scores = {n: [0.0] * len(fmts) for n, _ in layers}
    out = {"options": names, "method": spec["method"], "model": spec["model"]}
    if spec["method"] == "proxy":
        for n, m in layers:
            scores[n] = [float(((m.weight.float() - qdq(m.weight, f).float()) ** 2).sum()) for f in fmts]
    else:
        seqs = calib_tokens(spec, AutoTokenizer.from_pretrained(spec["model_dir"]), settings)
        need_w = any(f[0] == "int" for f in fmts)
        out.update(nsamples=len(seqs), seqlen=spec["seqlen"], seed=spec["seed"], loss={})
        for k, f in enumerate(fmts):
            if f[0] != "keep":
                out["loss"][names[k]] = deltaloss_option(
                    model, layers, f, need_w, seqs, spec["batch"], scores, k,
                    lambda b, nb, k=k: progress(k * nb + b, len(fmts) * nb))
    out["fixed"] = fixed
    out["scores"] = {n: dict(zip(names, s)) for n, s in scores.items()}
    return json.dumps(json_safe(out), allow_nan=False)


# ---- kld jobs (docs/statistics.md, "KL divergence"; engine/model/kld.c is the definition) ----

KLD_REFERENCES = {}     # (model_dir, prefix, context, ids) -> [float32 logits per window]
KLD_REFERENCES_KEPT = 4  # about 76 MB each for the demo text on a 2048-token vocabulary
BLANK = " \t\r\v\f"


def split_documents(text):
    """Maximal runs of non-blank lines (a blank one holds only spaces, tabs, CR, VT, FF),
    each its lines joined by newlines: bitbudget kld's documents."""
    docs, run = [], []
    for line in text.split("\n"):
        if line.strip(BLANK):
            run.append(line)
        elif run:
            docs.append("\n".join(run))
            run = []
    return docs + (["\n".join(run)] if run else [])


def kld_windows(ids, prefix, context):
    """lm-eval's own rolling windows (as loglikelihood_rolling): (input, n_targets)."""
    from lm_eval.utils import get_rolling_token_windows, make_disjoint_window
    for ctx, cont in map(make_disjoint_window,
                         get_rolling_token_windows(ids, prefix, context, 1)):
        yield (ctx + cont)[:-1], len(cont)


def window_logits(model, windows, device):
    import torch
    out = []
    with torch.no_grad():
        for inp, n in windows:
            logits = model(torch.tensor([inp], device=device)).logits[0, -n:]
            out.append(logits.float().cpu())
    return out


def ngrams(seqs, n=13):
    return {tuple(s[i:i + n]) for s in seqs for i in range(len(s) - n + 1)}


def kld_overlap(settings, tok, docs, doc_ids):
    """Distinct 13-grams of the text's tokens and words also in the calibration text."""
    if not settings.calib:
        return None
    with open(settings.calib, encoding="utf-8") as f:
        calib = split_documents(f.read())
    words = lambda ds: [re.findall(r"[^ \t\n\r\v\f]+", d) for d in ds]  # noqa: E731
    ct = ngrams([tok.encode(d, add_special_tokens=False).ids for d in calib])
    tt, tw, cw = ngrams(doc_ids), ngrams(words(docs)), ngrams(words(calib))
    return {"calibration": settings.calib, "n": 13, "shared_token_ngrams": len(tt & ct),
            "text_token_ngrams": len(tt), "shared_word_ngrams": len(tw & cw),
            "text_word_ngrams": len(tw)}


def kld_summary(kld, ref_lp, q_lp, same, starts=None):
    """kld_summarize: the numbers of engine/model/kld.c over positions (numpy float64)."""
    import numpy as np
    n = len(kld)
    mean = float(kld.sum() / n)
    o = {"n_tokens": n, "mean_kld": mean,
         "se_kld": float(np.sqrt(((kld - mean) ** 2).sum() / (n - 1) / n)) if n > 1 else None,
         "se_kld_documents": None}
    if starts is not None and len(starts) > 2:
        g = len(starts) - 1
        e = [kld[a:b].sum() - (b - a) * mean for a, b in zip(starts, starts[1:])]
        o["se_kld_documents"] = float(np.sqrt(g / (g - 1) * sum(x * x for x in e)) / n)
    for key, p in (("median_kld", 50), ("p90_kld", 90), ("p99_kld", 99)):
        o[key] = float(np.percentile(kld, p))  # numpy's "linear", as kld_percentile
    o["max_kld"] = float(kld.max())
    o["top1_agreement_pct"] = 100 * float(same.sum()) / n
    sr, sq = float(ref_lp.sum()), float(q_lp.sum())
    o.update(ref_perplexity=math.exp(-sr / n), perplexity=math.exp(-sq / n),
             perplexity_ratio=math.exp((sr - sq) / n), mean_delta_logprob=(sq - sr) / n)
    return o


def compare_logits(ref, q, targets):
    """Per position: KL(P_ref || P_q) in float64, log-probabilities of the targets, and
    whether the argmaxes (the first on ties) agree."""
    import torch
    lr = torch.log_softmax(ref.double(), -1)
    lq = torch.log_softmax(q.double(), -1)
    p = lr.exp()
    kld = torch.where(p > 0, p * (lr - lq), torch.zeros_like(p)).sum(-1).clamp(min=0)
    t = torch.tensor(targets).unsqueeze(1)
    return (kld, lr.gather(1, t)[:, 0], lq.gather(1, t)[:, 0],
            ref.argmax(-1) == q.argmax(-1))


def run_kld(spec, settings, progress):
    import numpy as np
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM
    model_dir, device = spec["model_dir"], torch_device(settings)
    text = spec["text"]
    if text is None:
        with open(settings.eval_text, encoding="utf-8") as f:
            text = f.read()
    docs = split_documents(text)
    if not docs:
        raise ValueError("the text has no documents (only blank lines)")
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    prefix = cfg.get("bos_token_id")
    prefix = cfg.get("eos_token_id") if prefix is None else prefix
    length = cfg.get("max_position_embeddings")
    context = spec["context"] or length
    if context > length:
        raise ValueError(f"context {context}: longer than the model's {length} tokens")
    doc_ids = [tok.encode(d, add_special_tokens=False).ids for d in docs]
    windows = [w for ids in doc_ids for w in kld_windows(ids, prefix, context)]
    targets = [t for ids in doc_ids for t in ids]
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).to(device)
    model.eval()
    key = (model_dir, prefix, context, tuple(map(tuple, doc_ids)))
    cached = key in KLD_REFERENCES
    if not cached:
        KLD_REFERENCES[key] = window_logits(model, windows, device)
        while len(KLD_REFERENCES) > KLD_REFERENCES_KEPT:
            KLD_REFERENCES.pop(next(iter(KLD_REFERENCES)))
    progress(1, 2)
    apply_recipe(model, spec["recipe"], weights=True)
    ref = torch.cat(KLD_REFERENCES[key])
    q = torch.cat(window_logits(model, windows, device))
    kld, ref_lp, q_lp, same = (x.numpy() for x in compare_logits(ref, q, targets))
    starts = np.cumsum([0] + [len(ids) for ids in doc_ids])
    recipe = spec["recipe"]
    out = {"model": spec["model"],
           "recipe": (recipe.get("strategy") or "custom") if recipe else None,
           "text": "request" if spec["text"] is not None else settings.eval_text,
           "context": context, "n_documents": len(docs), "n_tokens": len(targets),
           "reference": "cached" if cached else "computed", "reference_key": None,
           "reference_file": None, "overlap": kld_overlap(settings, tok, docs, doc_ids),
           "summary": kld_summary(kld, ref_lp, q_lp, same, starts),
           "documents": [kld_summary(kld[a:b], ref_lp[a:b], q_lp[a:b], same[a:b])
                         for a, b in zip(starts, starts[1:])]}
    return json.dumps(json_safe(out), allow_nan=False)


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
                        os.path.dirname(os.path.abspath(__file__)), "..", "experiments", "eval",
                        "default.txt")))
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
