"""adapter_quant.py: the number formats of the Python adapter and what applies them to a
torch model: MX and INT quantize-dequantize, a recipe's weights and activation hooks, and the
loading of a `bitbudget quantize` checkpoint (../shared/docs/autoround-autoscheme.md
sections 2.2 and 3).
Never parses a request, never runs a job; imports torch only inside the functions that use it.
"""
import json
import os
import re

from adapter_common import HttpError

FORMATS = ["MXFP4", "MXFP8", "BF16", "W<b>G<g>", "W<b>G<g>-asym"]  # as /v1/health lists them

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


def load_quantized_checkpoint(model_dir, device):
    """The model of a `bitbudget quantize` checkpoint: its weights are stored already
    fake-quantized, and its config.json's quantization_config (quant_method "bitbudget",
    read by checkpoint_recipe for the activations) is one transformers refuses to load, so
    the config is read without it."""
    from transformers import AutoConfig, AutoModelForCausalLM
    config = AutoConfig.from_pretrained(model_dir)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_pretrained(model_dir, config=config, dtype="auto")
    return model.to(device)
