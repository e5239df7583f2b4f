"""Check 6: the served API against lm-eval's `local-completions`. `bitbudget serve
--completions-model` answers the real `lm_eval --model local-completions` (token-id
prompts, its default; model_args base_url, model and max_length=512, nothing else:
lm-eval tokenizes through the server's /tokenize) on lambada_openai, piqa, winogrande and
mmlu (57 subjects), the first 20 documents of each, with --log_samples; `bitbudget eval
--endpoint local --no-add-bos-token --log-samples` scores the same documents (lm-eval's API
backends never send BOS): check 5's BOS-off run, whose first 20 documents of these tasks
are the same requests scored the same way. Per document, the two define the requests
alike unless (counted, in this order):
- merged: a continuation merges into the context's last token; lm-eval sends the context
  alone and records log-likelihood 0, greedy (bitbudget scores from the first differing
  token);
- truncated: context + continuation longer than max_length - 1 = 511 tokens; lm-eval keeps
  the last 511, bitbudget (as the hf backend) the last 513 less the final one.
On the rest, every request's log-likelihood within check 5's tolerance and its greedy
flag equal, and every document's acc/acc_norm equal (near ties counted, as in check 5)."""
import os
import re
import subprocess
import sys

from check_tasks import (METRICS, compare_logliks, include_folder, local_data_dir, logliks,
                         near_tie, split_pair, start_bitbudget)
from common import BB, MODELS, SHARED, Result, encode, model_dir, read_lm_eval_samples, \
    run, start

LIMIT = "20"
TASKS = "lambada_openai,piqa,winogrande,mmlu"
MAX_LENGTH = 512


class Server:
    """`bitbudget serve --completions-model DIR --port 0` for the length of a with block;
    its URL from the "listening on" line it prints."""

    def __init__(self, name):
        self.argv = [BB, "serve", "--models-root", os.path.join(SHARED, "models"),
                     "--completions-model", model_dir(name), "--port", "0"]

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        found = re.search(r"listening on (http://\S+)", line)
        if not found:
            self.__exit__()
            raise RuntimeError(f"bitbudget serve did not start: {line!r}")
        return found.group(1)

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()


def lm_eval_command(name, url, include, out):
    """The command README.md gives (its minimal model_args), on the include folder."""
    lm_eval = os.path.join(os.path.dirname(sys.executable), "lm_eval")
    return [lm_eval, "run", "--model", "local-completions", "--model_args",
            f"base_url={url}/v1/completions,model={name},max_length={MAX_LENGTH}",
            "--tasks", TASKS, "--include_path", include, "--limit", LIMIT,
            "--log_samples", "--output_path", out]


def lm_eval_samples(name, tmp):
    out = os.path.join(tmp, f"lm-eval-served-{name}")
    with Server(name) as url:
        run(lm_eval_command(name, url, include_folder(tmp), out))
    return read_lm_eval_samples(out)


def bitbudget_samples(name, tmp):
    """Check 5's BOS-off samples of the tasks and documents lm-eval runs here."""
    samples, _ = start_bitbudget(name, False, tmp).result()
    return {(task, doc_id): doc for (task, doc_id), doc in samples.items()
            if task != "hellaswag" and doc_id < int(LIMIT)}


def start_lm_eval(name, tmp):
    return start(f"lm-eval-served/{name}", lambda: lm_eval_samples(name, tmp))


def prefetch(names, tmp):
    """Begin the runs the checks named need (the folders they read made first, as in
    check_tasks.prefetch)."""
    include_folder(tmp)
    local_data_dir(tmp)
    for m in MODELS:
        if any(n.endswith(f"/{m}") for n in names):
            start_lm_eval(m, tmp)
            start_bitbudget(m, False, tmp)


def both_runs(name, tmp):
    """Both sides' samples, shared by the two checks that read them (a failure too)."""
    return start_lm_eval(name, tmp).result(), bitbudget_samples(name, tmp)


def request_class(name, doc):
    """Why lm-eval's API backend defines the document's requests unlike bitbudget, or None
    when it defines them alike. lm-eval tokenizes through the server's /tokenize (it
    detects it and prefers it to tokenizer=), i.e. with tokenizer.json, as bitbudget does."""
    classes = set()
    for args in doc["arguments"].values():
        context, continuation = split_pair(args["arg_0"], args["arg_1"])
        n_context = len(encode(name, context, False))
        n_whole = len(encode(name, context + continuation, False))
        if n_whole <= n_context:
            classes.add("merged")
        elif n_whole > MAX_LENGTH - 1:
            classes.add("truncated")
    for kind in ("merged", "truncated"):
        if kind in classes:
            return kind
    return None


def classified(name, tmp):
    """(lm-eval's samples, bitbudget's, {class: documents}; class None: defined alike)."""
    theirs, ours = both_runs(name, tmp)
    classes = {}
    for key in theirs.keys() & ours.keys():
        classes.setdefault(request_class(name, theirs[key]), set()).add(key)
    return theirs, ours, classes


def greedy(doc):
    return [str(r[1]).lower() == "true" for r in doc["filtered_resps"]]


def left_out(classes):
    return ", ".join(f"{len(docs)} {kind}" for kind, docs in sorted(
        (k, v) for k, v in classes.items() if k is not None))


def requests(name, tmp):
    theirs, ours, classes = classified(name, tmp)
    alike = classes.get(None, set())
    worst, worst_ratio, n, mismatched = compare_logliks(ours, theirs, alike)
    unmatched = len(theirs.keys() ^ ours.keys()) + len(mismatched)
    greedy_differ = sum(g != h for key in alike - mismatched
                        for g, h in zip(greedy(ours[key]), greedy(theirs[key])))
    failed = unmatched or greedy_differ or not n
    return Result(float("inf") if failed else worst_ratio, 1.0,
                  f"(|diff| / (1e-4 + 1e-6 |loglik|)) max |diff| {worst:.3g}; {n} requests "
                  f"of {len(alike)} documents, greedy flags differ on {greedy_differ}, "
                  f"{unmatched} unmatched; left out: {left_out(classes) or 'none'}; "
                  f"{truncation_detail(theirs, ours, classes)}")


def truncation_detail(theirs, ours, classes):
    """How far apart the truncated requests are (not compared: defined differently)."""
    diffs = [abs(x - y) for key in classes.get("truncated", ())
             for x, y in zip(logliks(ours[key]), logliks(theirs[key]))]
    flips = sum(any(float(ours[key].get(m, 0)) != float(theirs[key].get(m, 0))
                    for m in METRICS) for key in classes.get("truncated", ()))
    return f"truncated: max |diff| {max(diffs, default=0):.3g}, {flips} documents flip"


def documents(name, tmp):
    theirs, ours, classes = classified(name, tmp)
    alike = classes.get(None, set())
    bad = {key for key in alike
           if any(float(ours[key].get(m, 0)) != float(theirs[key].get(m, 0))
                  for m in METRICS)}
    ties = {key for key in bad if near_tie(theirs[key])}
    detail = f"{len(alike)} documents, acc/acc_norm differ on {len(bad)}, of them " \
             f"{len(ties)} near ties; left out: {left_out(classes) or 'none'}"
    if bad - ties:
        detail += f", e.g. {sorted(bad - ties)[0]}"
    return Result(len(bad - ties) if alike else float("inf"), 0, detail)


def check(fn, name):
    return lambda tmp: fn(name, tmp)


CHECKS = [(f"served/{kind}/{m}", check(fn, m))
          for m in MODELS for kind, fn in (("requests", requests), ("documents", documents))]
