"""adapter_scores.py: the Python adapter's scores jobs: DeltaLoss with autograd (first-order
terms of weights and MX activations per layer and option) or the weight-error proxy, on the
calibration sequences `bitbudget scores` picks.
Never parses a request (adapter_jobs.py has checked the spec); imports torch only inside a job.
"""
import json
import re

from adapter_common import json_safe, torch_device
from adapter_quant import block_of, mx_qdq, qdq


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
