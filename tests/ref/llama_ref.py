#!/usr/bin/env python3
"""llama_ref.py: an independent reference for bitbudget's engine and evaluator, used by
the tests (tests/cli/t7600-*.sh). It shares no code with bitbudget: Python 3 and numpy only.

  - reads the safetensors file and config.json itself;
  - tokenizes with its own implementation of the Hugging Face BPE rules the shared models'
    tokenizer.json names (Prepend "▁" + Replace " " -> "▁" normalizer, no pre-tokenizer,
    merges by rank, byte fallback to <0xNN> pieces when the vocabulary has them, else
    <unk>, consecutive unknowns fused, BOS from the post-processor);
  - runs the Llama forward pass in float64 (RMSNorm, rotate-half RoPE, grouped-query
    attention, SwiGLU), with no quantization;
  - builds lm-eval's requests for lambada_openai, piqa and winogrande from the rules in
    ../shared/docs/lm-eval.md section 2 and scores them by those rules (acc = is_greedy
    for lambada, argmax of the summed log-likelihood, first index on ties, otherwise).

Usage:
  llama_ref.py loglik MODEL CONTEXT CONTINUATION
      prints {"logprob": float, "is_greedy": bool, "n_tokens": int}
  llama_ref.py acc MODEL JSONL TASK LIMIT
      the first LIMIT rows of JSONL as lm-eval's TASK (lambada_openai, piqa, winogrande) or
      as bitbudget's custom "cloze" task ({"context", "continuation"} rows, acc = is_greedy);
      prints {"acc": float, "margin": float}: margin is the smallest gap that decided a
      document (|logprob difference| between choices, or for lambada the smallest gap
      between the target token's logit and the best other one), so a caller can tell
      whether float32 rounding could flip a document.
"""
import json
import os
import struct
import sys

import numpy as np


# ---- checkpoint ----

def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    dtypes = {"F32": np.float32, "F16": np.float16}
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        if t["dtype"] == "BF16":  # widen bf16 by shifting its 16 bits into a float32
            raw = np.frombuffer(body[a:b], dtype=np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(body[a:b], dtype=dtypes[t["dtype"]])
        tensors[name] = arr.astype(np.float64).reshape(t["shape"])
    return tensors


# ---- tokenizer (Hugging Face BPE, as tokenizer.json describes it) ----

class Tokenizer:
    def __init__(self, path):
        j = json.load(open(path, encoding="utf-8"))
        model = j["model"]
        assert model["type"] == "BPE" and j["pre_tokenizer"] is None, "unsupported tokenizer"
        self.vocab = model["vocab"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        self.rank = {m: i for i, m in enumerate(merges)}
        self.unk = self.vocab[model["unk_token"]]
        self.byte_fallback = model.get("byte_fallback", False)
        self.fuse_unk = model.get("fuse_unk", False)
        single = j["post_processor"]["single"]
        self.bos = self.vocab[single[0]["SpecialToken"]["id"]] if "SpecialToken" in single[0] else None

    def _symbols(self, text):
        """Characters as pieces: in the vocabulary, as <0xNN> bytes, or (fused) <unk>."""
        syms = []
        for ch in text:
            if ch in self.vocab:
                syms.append(ch)
                continue
            if self.byte_fallback:
                pieces = ["<0x%02X>" % b for b in ch.encode("utf-8")]
                if all(p in self.vocab for p in pieces):
                    syms.extend(pieces)
                    continue
            if self.fuse_unk and syms and syms[-1] is None:
                continue
            syms.append(None)  # <unk>
        return syms

    def encode(self, text, add_bos):
        syms = self._symbols("\u2581" + text.replace(" ", "\u2581"))
        while True:  # merge the pair of lowest rank, leftmost first
            best = None
            for i in range(len(syms) - 1):
                r = self.rank.get((syms[i], syms[i + 1]))
                if r is not None and (best is None or r < best[0]):
                    best = (r, i)
            if best is None:
                break
            i = best[1]
            syms[i:i + 2] = [syms[i] + syms[i + 1]]
        ids = [self.unk if s is None else self.vocab[s] for s in syms]
        return ([self.bos] if add_bos and self.bos is not None else []) + ids


# ---- model ----

class Llama:
    def __init__(self, folder):
        self.cfg = json.load(open(os.path.join(folder, "config.json")))
        self.w = load_safetensors(os.path.join(folder, "model.safetensors"))
        self.tok = Tokenizer(os.path.join(folder, "tokenizer.json"))
        w = self.w
        # tied embeddings: either name may be the one stored
        self.embed = w.get("model.embed_tokens.weight", w.get("lm_head.weight"))
        self.head = w.get("lm_head.weight", self.embed)

    def logprobs(self, ids):
        """(len(ids), vocab) log-softmax of the next-token logits at every position."""
        c, w = self.cfg, self.w
        d, nh, nkv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        hd, eps = d // nh, c["rms_norm_eps"]
        n = len(ids)
        x = self.embed[ids]
        inv = 1.0 / c["rope_theta"] ** (np.arange(0, hd, 2) / hd)
        ang = np.outer(np.arange(n), inv)
        cos, sin = np.cos(np.concatenate([ang, ang], 1)), np.sin(np.concatenate([ang, ang], 1))

        def norm(v, g):
            return v / np.sqrt(np.mean(v * v, -1, keepdims=True) + eps) * g

        def rope(v):  # v (heads, n, hd), rotate-half convention
            half = hd // 2
            rot = np.concatenate([-v[..., half:], v[..., :half]], -1)
            return v * cos + rot * sin

        mask = np.triu(np.full((n, n), -np.inf), 1)
        for L in range(c["num_hidden_layers"]):
            p = "model.layers.%d." % L
            h = norm(x, w[p + "input_layernorm.weight"])
            q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(n, nh, hd).transpose(1, 0, 2)
            k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(n, nkv, hd).transpose(1, 0, 2)
            v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(n, nkv, hd).transpose(1, 0, 2)
            q, k = rope(q), rope(k)
            k, v = np.repeat(k, nh // nkv, 0), np.repeat(v, nh // nkv, 0)
            s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            a = (s / s.sum(-1, keepdims=True)) @ v
            x = x + a.transpose(1, 0, 2).reshape(n, d) @ w[p + "self_attn.o_proj.weight"].T
            h = norm(x, w[p + "post_attention_layernorm.weight"])
            g = h @ w[p + "mlp.gate_proj.weight"].T
            u = h @ w[p + "mlp.up_proj.weight"].T
            x = x + (g / (1 + np.exp(-g)) * u) @ w[p + "mlp.down_proj.weight"].T
        logits = norm(x, w["model.norm.weight"]) @ self.head.T
        m = logits.max(-1, keepdims=True)
        return logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))

    def loglik(self, context, continuation):
        """lm-eval's _encode_pair and loglikelihood: (logprob, is_greedy, n_tokens, margin).
        The tokenizer's default BOS is on (add_bos_token in tokenizer_config.json)."""
        stripped = context.rstrip()
        continuation = context[len(stripped):] + continuation
        whole = self.tok.encode(stripped + continuation, True)
        ctx = self.tok.encode(stripped, True)
        cont = whole[len(ctx):]
        assert cont, "empty continuation"
        inp = (ctx + cont)[-(self.cfg["max_position_embeddings"] + 1):][:-1]
        lp = self.logprobs(inp)[-len(cont):]
        total, greedy, margin = 0.0, True, np.inf
        for row, t in zip(lp, cont):
            total += row[t]
            others = np.delete(row, t)
            gap = row[t] - others.max()  # > 0: t is the argmax here
            greedy = greedy and gap > 0
            margin = min(margin, abs(gap))
        return total, greedy, len(cont), margin


# ---- tasks, from lm-eval's rules (../shared/docs/lm-eval.md section 2) ----

def requests(task, doc):
    """(list of (context, continuation), gold index or None for lambada)."""
    if task == "cloze":
        return [(doc["context"], doc["continuation"])], None
    if task == "lambada_openai":
        words = doc["text"].split(" ")
        return [(" ".join(words[:-1]), " " + words[-1])], None
    if task == "piqa":
        ctx = "Question: " + doc["goal"] + "\nAnswer:"
        return [(ctx, " " + doc["sol1"]), (ctx, " " + doc["sol2"])], doc["label"]
    if task == "winogrande":
        s = doc["sentence"]
        i = s.index("_")
        cont = " " + s[i + 1:].strip()
        return [(s[:i] + doc["option1"], cont), (s[:i] + doc["option2"], cont)], int(doc["answer"]) - 1
    raise SystemExit("llama_ref.py: unknown task " + task)


def accuracy(model, path, task, limit):
    docs = [json.loads(line) for line in open(path, encoding="utf-8")][:limit]
    correct, margin = 0, np.inf
    for doc in docs:
        reqs, gold = requests(task, doc)
        scores = [model.loglik(c, x) for c, x in reqs]
        if gold is None:
            correct += scores[0][1]
            margin = min(margin, scores[0][3])
            continue
        lps = [s[0] for s in scores]
        correct += int(np.argmax(lps)) == gold
        margin = min(margin, abs(lps[0] - lps[1]))
    return correct / len(docs), margin


def main(argv):
    if len(argv) == 5 and argv[1] == "loglik":
        lp, greedy, n, margin = Llama(argv[2]).loglik(argv[3], argv[4])
        print(json.dumps({"logprob": lp, "is_greedy": bool(greedy), "n_tokens": n, "margin": margin}))
    elif len(argv) == 6 and argv[1] == "acc":
        acc, margin = accuracy(Llama(argv[2]), argv[3], argv[4], int(argv[5]))
        print(json.dumps({"acc": acc, "margin": margin}))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
