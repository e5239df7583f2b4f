"""adapter_kld.py: the Python adapter's kld jobs (docs/statistics.md, "KL divergence";
engine/model/kld.c is the definition): the reference logits computed once per model, text and
context and kept in memory; KL in float64 from float32 logits over lm-eval's rolling windows,
as `bitbudget kld` measures it.
Never parses a request (adapter_jobs.py has checked the spec); imports torch only inside a job.
"""
import json
import math
import os
import re

from adapter_common import json_safe, torch_device
from adapter_quant import apply_recipe

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
