"""Check 5: the five tasks through `bitbudget eval --endpoint local --log-samples`
against lm-eval's `hf` backend (CPU, float32, the shared checkpoint folder; lm_eval_hf.py,
one process per model for both BOS settings, beside bitbudget's runs) on lm-eval's
own task configs pointed at the same local rows (lm_eval_tasks.py), the first 50
documents of each (sub)task (lm-eval's --samples, = --limit 50 less the lambada
documents whose continuation merges into the context, where lm-eval's hf backend asserts), with
BOS forced on and forced off. Three checks per model and BOS setting, on the documents the
two define alike (same token ids from transformers' AutoTokenizer, which lm-eval uses, and
from tokenizer.json, which bitbudget follows; the others are counted): every request's
log-likelihood within 1e-4 (+ 1e-6 relative); every document's acc and acc_norm equal
(but for near ties: the best two choices closer than two tolerances, counted);
every aggregate (acc, acc_norm, perplexity and their stderr, per task and for the mmlu
group) equal within 1e-4 relative where no document was left out."""
import functools
import json
import os
import sys
import threading

from common import MODELS, Result, bb, encode, local_data_dir, model_dir, run, start
from lm_eval_tasks import TASK_NAMES, build_include_folder

LIMIT = "50"
# A request agrees when |diff| <= 1e-4 + 1e-6 |log-likelihood|: 1e-4 absolute as the issue
# asks, plus float32's relative precision for the long sums (a piqa continuation is -280).
LOGLIK_ABS, LOGLIK_REL = 1e-4, 1e-6
# Aggregates: acc and acc_norm follow from the documents (equal, checked exactly above);
# perplexity is exp(-mean log-likelihood), so requests agreeing within 1e-4 move it by up
# to 1e-4 relative, and its bootstrapped stderr with it.
AGGREGATE_RTOL = 1e-4
# lm-eval's mmlu category groups (bitbudget writes them too), between mmlu and its subjects.
MMLU_CATEGORIES = {"mmlu_stem", "mmlu_other", "mmlu_social_sciences", "mmlu_humanities"}
METRICS = ("acc", "acc_norm")
LM_EVAL_HF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lm_eval_hf.py")


_SETUP = threading.Lock()  # the folders below are made once, by whichever thread asks first


def include_folder(tmp):
    """lm-eval's task configs pointed at the local rows (lm_eval_tasks.py), once a suite."""
    path = os.path.join(tmp, "tasks")
    with _SETUP:
        if not os.path.isdir(path):
            build_include_folder(path, local_data_dir(tmp))
    return path


def merged_continuations(name, tasks):
    """lambada documents whose continuation merges into the context's last token under
    the tokenizer lm-eval's hf backend uses: its _encode_pair leaves no continuation
    token and the backend asserts. bitbudget scores them from the first differing token;
    lm-eval cannot, so they are left out of its run and counted (docs/parity.md)."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir(name))
    task = tasks["lambada_openai"]
    task.build_all_requests(limit=int(LIMIT), rank=0, world_size=1)
    merged = set()
    for inst in task.instances:
        context, continuation = split_pair(*inst.arguments)
        whole = tok(context + continuation, add_special_tokens=False)["input_ids"]
        if len(whole) <= len(tok(context, add_special_tokens=False)["input_ids"]):
            merged.add(("lambada_openai", inst.doc_id))
    return merged


def chosen_documents(name, include):
    """lm-eval's --samples: the first LIMIT documents of every (sub)task, as --limit
    picks them, less the merged continuations; and the set left out."""
    from lm_eval_tasks import load_tasks
    tasks = load_tasks(include)
    merged = merged_continuations(name, tasks)
    chosen = {task_name: [i for i in range(min(int(LIMIT), len(list(task.eval_docs))))
                          if (task_name, i) not in merged]
              for task_name, task in tasks.items()}
    return chosen, merged


def lm_eval_runs(name, tmp):
    """{bos: ({(task, doc_id): sample}, results, the documents left out)} from lm-eval's
    hf backend, both BOS settings in one process (lm_eval_hf.py)."""
    out = os.path.join(tmp, f"lm-eval-{name}")
    run([sys.executable, LM_EVAL_HF, name, include_folder(tmp), out])
    runs = {}
    for bos in (True, False):
        with open(os.path.join(out, f"bos-{'on' if bos else 'off'}.json")) as f:
            res = json.load(f)
        samples = {(task, doc["doc_id"]): doc
                   for task, docs in res["samples"].items() for doc in docs}
        runs[bos] = samples, res["results"], {tuple(key) for key in res["merged"]}
    return runs


def bitbudget_run(name, bos, tmp):
    out = os.path.join(tmp, f"bitbudget-{name}-{bos}.json")
    bb("eval", "--endpoint", "local", "--model", model_dir(name), "--tasks",
       ",".join(TASK_NAMES), "--limit", LIMIT, "--data-dir", local_data_dir(tmp),
       "--log-samples", "--quiet", "--add-bos-token" if bos else "--no-add-bos-token",
       "-o", out)
    with open(out) as f:
        res = json.load(f)
    samples = {(task, doc["doc_id"]): doc
               for task, docs in res["samples"].items() for doc in docs}
    return samples, res["results"]


def start_lm_eval(name, tmp):
    return start(f"lm-eval-hf/{name}", lambda: lm_eval_runs(name, tmp))


def start_bitbudget(name, bos, tmp):
    """bitbudget's run; check 6 reads the BOS-off one too (its first 20 documents)."""
    key = f"bitbudget-eval/{name}/bos-{'on' if bos else 'off'}"
    return start(key, lambda: bitbudget_run(name, bos, tmp))


def prefetch(names, tmp):
    """Begin the runs the checks named need, the longest (lm-eval's) first. The folders
    they read are made here, before any run or other check can look for them half made
    (check_tokenizer.py and check_endpoint_py.py read them too)."""
    include_folder(tmp)
    local_data_dir(tmp)
    wanted = [(m, bos) for m in MODELS for bos in (True, False)
              if any(n.endswith(f"/{m}/bos-{'on' if bos else 'off'}") for n in names)]
    for m in dict.fromkeys(m for m, _ in wanted):
        start_lm_eval(m, tmp)
    for m, bos in wanted:
        start_bitbudget(m, bos, tmp)


def both_runs(name, bos, tmp):
    """Both runs, shared by the three checks that read them (a failure too)."""
    theirs, ours = start_lm_eval(name, tmp), start_bitbudget(name, bos, tmp)
    return theirs.result()[bos], ours.result()


def logliks(doc):
    """Each request's log-likelihood; lm-eval writes them as strings."""
    return [float(r[0]) for r in doc["filtered_resps"]]


def compare_logliks(ours, theirs, keys):
    """Each key's requests compared: (max |diff|, max |diff| over its tolerance, requests
    compared, the keys whose documents have different numbers of requests)."""
    worst, worst_ratio, n, unmatched = 0.0, 0.0, 0, set()
    for key in keys:
        a, b = logliks(ours[key]), logliks(theirs[key])
        if len(a) != len(b):
            unmatched.add(key)
            continue
        for x, y in zip(a, b):
            worst = max(worst, abs(x - y))
            worst_ratio = max(worst_ratio, abs(x - y) / (LOGLIK_ABS + LOGLIK_REL * abs(y)))
        n += len(a)
    return worst, worst_ratio, n, unmatched


def split_pair(context, continuation):
    """lm-eval's _encode_pair moves the context's trailing spaces to the continuation."""
    n_spaces = len(context) - len(context.rstrip())
    return context[:len(context) - n_spaces], context[len(context) - n_spaces:] + continuation


def tokenized_alike(name, doc):
    """True when transformers' AutoTokenizer (lm-eval's hf backend) and tokenizer.json
    (bitbudget) give the same ids for every request of the document: its context and its
    context + continuation (docs/parity.md: they differ on characters tinystories-656k
    maps to <unk>)."""
    tok = _autotokenizer(name)
    for context, continuation in request_pairs(doc):
        context, continuation = split_pair(context, continuation)
        for text in (context, context + continuation):
            if tok(text, add_special_tokens=False)["input_ids"] != encode(name, text, False):
                return False
    return True


def request_pairs(doc):
    """(context, continuation) of each request: lm-eval's sample files hold them as
    {"gen_args_0": {"arg_0", "arg_1"}}, simple_evaluate's results as lists."""
    args = doc["arguments"]
    if isinstance(args, dict):
        return [(a["arg_0"], a["arg_1"]) for a in args.values()]
    return [(a[0], a[1]) for a in args]


_TOKENIZERS = {}


def _autotokenizer(name):
    if name not in _TOKENIZERS:
        from transformers import AutoTokenizer
        _TOKENIZERS[name] = AutoTokenizer.from_pretrained(model_dir(name))
    return _TOKENIZERS[name]


@functools.cache
def comparable(name, bos, tmp):
    """(lm-eval's samples, bitbudget's, the documents both define alike, the documents left
    out: merged continuations and those tokenized differently); once for the three checks
    (tokenizing every document again took 10-30 s a check)."""
    (theirs, _, merged), (ours, _) = both_runs(name, bos, tmp)
    differ = {key for key in theirs.keys() & ours.keys()
              if not tokenized_alike(name, theirs[key])}
    alike = (theirs.keys() & ours.keys()) - differ
    return theirs, ours, alike, merged, differ


def requests(name, bos, tmp):
    theirs, ours, alike, merged, differ = comparable(name, bos, tmp)
    worst, worst_ratio, n, unmatched = compare_logliks(ours, theirs, alike)
    missing = ((set(theirs) ^ set(ours)) - merged) | unmatched
    return Result(worst_ratio if not missing else float("inf"), 1.0,
                  f"(|diff| / (1e-4 + 1e-6 |loglik|)) max |diff| {worst:.3g}; {n} requests of "
                  f"{len(alike)} documents, {len(missing)} unmatched, left out: "
                  f"{len(merged)} merged continuations, {len(differ)} documents tokenized "
                  f"differently by AutoTokenizer")


def near_tie(doc):
    """True when lm-eval's best two choices are closer than two request tolerances: a
    tie at float32 precision, which either side may break either way."""
    best = sorted(logliks(doc), reverse=True)[:2]
    return len(best) == 2 and best[0] - best[1] <= 2 * (LOGLIK_ABS + LOGLIK_REL * abs(best[0]))


def differing_documents(name, bos, tmp):
    """(documents whose acc/acc_norm differ, those of them that are near ties)."""
    theirs, ours, alike, _, _ = comparable(name, bos, tmp)
    bad = {key for key in alike
           if any(float(ours[key].get(m, 0)) != float(theirs[key].get(m, 0))
                  for m in METRICS)}
    return bad, {key for key in bad if near_tie(theirs[key])}


def documents(name, bos, tmp):
    _, _, alike, _, differ = comparable(name, bos, tmp)
    bad, ties = differing_documents(name, bos, tmp)
    detail = f"{len(alike)} documents ({len(differ)} tokenized differently left out), " \
             f"acc/acc_norm differ on {len(bad)}, of them {len(ties)} near ties"
    if bad - ties:
        detail += f", e.g. {sorted(bad - ties)[0]}"
    return Result(len(bad - ties), 0, detail)


def aggregates(name, bos, tmp):
    """Per task and group, where no document was left out (a task with a merged
    continuation, a document tokenized differently or a near tie scored differently, and
    the groups holding it, are aggregated over different documents)."""
    _, _, _, merged, differ = comparable(name, bos, tmp)
    (_, theirs, _), (_, ours) = both_runs(name, bos, tmp)
    _, ties = differing_documents(name, bos, tmp)
    skipped = {task for task, _ in merged | differ | ties}
    if any(task.startswith("mmlu_") for task in skipped):
        skipped |= {"mmlu"} | MMLU_CATEGORIES
    worst, n, first = 0.0, 0, ""
    for task, metrics in theirs.items():
        if task in skipped:
            continue
        for key, value in metrics.items():
            if "," not in key or not isinstance(value, (int, float)):
                continue  # names, aliases, sizes; "N/A" stderr of a one-row task
            ours_value = ours.get(task, {}).get(key)
            if not isinstance(ours_value, (int, float)):
                rel = float("inf")
            else:
                rel = abs(ours_value - value) / max(abs(value), 1e-12)
            if rel > worst:
                worst, first = rel, f"{task} {key}: {ours_value} vs {value}"
            n += 1
    return Result(worst, AGGREGATE_RTOL,
                  f"{n} aggregates, {len(skipped)} tasks/groups with documents left out not "
                  f"compared; worst {first}")


def check(fn, name, bos):
    return lambda tmp: fn(name, bos, tmp)


CHECKS = [(f"tasks/{kind}/{m}/bos-{'on' if bos else 'off'}", check(fn, m, bos))
          for m in MODELS for bos in (True, False)
          for kind, fn in (("requests", requests), ("documents", documents),
                           ("aggregates", aggregates))]
