"""Check 1: bitbudget's C engine against transformers' LlamaForCausalLM (float32, eager
attention) on the shared models: the log-softmax of every position of four texts, the
rolling log-likelihood `bitbudget loglik --rolling` prints, 64 greedy tokens, and the same
log-softmax with a recipe applied (weights and MX activations quantized in torch by
the Python adapter's own functions, endpoint/adapter_quant.py)."""
import json
import os

from adapter_quant import apply_recipe  # endpoint/, put on sys.path by run.py
from common import MODELS, Result, bb, bos_id, encode, load_hf_model, model_dir, \
    raw_tokenizer, tool_lines

TEXTS = [
    "Once upon a time, there was a little girl named Lily. She loved to play outside.",
    "Tom said, \"Let's go to the park!\"\nHis mom smiled and said yes.",
    "The 3 cats ate 12 fish; then they slept until 7 o'clock.",
    "Zebra? Quantum! xylophone... ünïcödé — 你好",
]
LOGPROB_TOL = 1e-4


def torch_logsoftmax(model, ids):
    import torch
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].double().log_softmax(-1)


def max_logsoftmax_diff(model, name, recipe=None):
    import torch
    id_lists = [encode(name, t, bos=True) for t in TEXTS]
    args = ["logsoftmax", model_dir(name)] + ([recipe] if recipe else [])
    ours = tool_lines(args, id_lists)
    return max(float((torch.tensor(o, dtype=torch.float64) -
                      torch_logsoftmax(model, ids)).abs().max())
               for o, ids in zip(ours, id_lists))


def logsoftmax(name):
    return Result(max_logsoftmax_diff(load_hf_model(name), name),
                  LOGPROB_TOL, f"{len(TEXTS)} texts, every position and vocabulary entry")


def rolling(name):
    """`loglik --rolling` scores every token of the text from BOS alone (lm-eval's
    loglikelihood_rolling with one window: these texts are shorter than max_length)."""
    model = load_hf_model(name)
    worst = 0.0
    for text in TEXTS:
        ids = encode(name, text, bos=False)
        lsm = torch_logsoftmax(model, [bos_id(name)] + ids[:-1])
        theirs = float(sum(lsm[i, t] for i, t in enumerate(ids)))
        ours = json.loads(bb("loglik", "--model", model_dir(name), "--rolling", text))
        worst = max(worst, abs(ours["logprob"] - theirs))
    return Result(worst, LOGPROB_TOL, "summed log-likelihood of each text")


def greedy(name):
    """64 greedy tokens after a prompt: the texts must be identical (diff = number of
    differing characters plus the length difference)."""
    import torch
    model = load_hf_model(name)
    prompt = "Once upon a time"
    ids = torch.tensor([encode(name, prompt, bos=True)])
    out = model.generate(ids, max_new_tokens=64, do_sample=False,
                         pad_token_id=model.config.eos_token_id)
    # BOS dropped by hand: tinystories-656k's tokenizer.json does not mark it special.
    theirs = raw_tokenizer(name).decode(out[0, 1:].tolist(), skip_special_tokens=True)
    ours = bb("generate", "--model", model_dir(name), "--prompt", prompt,
              "--max-tokens", "64").rstrip("\n")
    diff = sum(a != b for a, b in zip(ours, theirs)) + abs(len(ours) - len(theirs))
    return Result(diff, 0, f"{out.shape[1] - ids.shape[1]} new tokens")


def with_recipe(name, tmp):
    """A head recipe mixing MXFP4 and MXFP8: the torch model quantized by the Python
    adapter's apply_recipe against the engine with --recipe."""
    recipe = os.path.join(tmp, f"head-{name}.json")
    bits = "8" if name == "stories260k" else "6"  # stories260k's down_proj stay BF16
    bb("recipe", "--model", model_dir(name), "--strategy", "head", "--options",
       "MXFP4,MXFP8", "--avg-bits", bits, "-o", recipe)
    model = load_hf_model(name)
    with open(recipe) as f:
        apply_recipe(model, json.load(f), weights=True)
    return Result(max_logsoftmax_diff(model, name, recipe),
                  LOGPROB_TOL, f"head recipe at {bits} bits, weights and activations")


CHECKS = [(f"engine/{kind}/{m}", (lambda fn, m: lambda tmp: fn(m))(fn, m))
          for kind, fn in (("logsoftmax", logsoftmax), ("rolling", rolling),
                           ("greedy64", greedy))
          for m in MODELS] + \
         [(f"engine/recipe/{m}", (lambda m: lambda tmp: with_recipe(m, tmp))(m))
          for m in MODELS]
