"""Check 4 (part): AutoRound's AutoScheme on tinystories-656k, MXFP4/MXFP8, against
`bitbudget scores` and `bitbudget recipe --strategy sensitivity`, on the same calibration
sequences. AutoScheme 0.16.1 takes no list of strings (GenScheme raises "`dataset` must be a
string"), so the strings go in a local .json file, which its `local` loader reads: each
string tokenized with BOS and truncated to seqlen, the list shuffled with seed 42. bitbudget
joins its text and cuts chunks of seqlen - 1 tokens after BOS. The strings are built so that
both pick the same 16 sequences: each exactly seqlen - 1 tokens long and ending in ";",
which no vocabulary entry merges with a following "▁", so the joined text tokenizes as the
strings do. Checked: the sequences are equal (as a set: the scores are sums over equal
batches); bitbudget's recipe on AutoScheme's own scores picks AutoScheme's layer_config at
4.5, 5 and 6 bits. The per-layer scores themselves differ (docs/parity.md, open); each
selection line reports the largest ratio, not compared."""
import glob
import json
import os

from common import Result, bb, encode, load_hf_model, load_hf_tokenizer, model_dir

MODEL = "tinystories-656k"
OPTIONS = ("MXFP4", "MXFP8")
NSAMPLES, SEQLEN, BATCH = 16, 256, 8
BUDGETS = ("4.5", "5", "6")
CALIB = os.path.join(os.path.dirname(__file__), "..", "..", "experiments", "calibration",
                     "default.txt")
_RUN = {}


def calibration_strings():
    """NSAMPLES strings of exactly SEQLEN - 1 tokens, each ending in ";", from the words of
    the default calibration text (words holding <unk> or ";" skipped)."""
    def count(text):
        return len(encode(MODEL, text, False))
    with open(CALIB) as f:
        words = iter(w for w in f.read().split()
                     if ";" not in w and 0 not in encode(MODEL, w, False))
    strings = []
    while len(strings) < NSAMPLES:
        current = ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            n = count(candidate + ";")
            if n == SEQLEN - 1:
                strings.append(candidate + ";")
                break
            if n < SEQLEN - 1:
                current = candidate
        else:
            raise RuntimeError("the calibration text is too short for the check")
    return strings


def autoscheme(tmp, path):
    """{budget: {layer: format}} chosen by AutoScheme, and {layer: {format: score}} from
    its per-scheme cache files."""
    os.environ["AR_AUTO_SCHEME_CACHE"] = os.path.join(tmp, "autoscheme-cache")
    os.environ["AR_ENABLE_AUTO_SCHEME_PARALLEL"] = "0"
    import torch
    from auto_round.auto_scheme.gen_auto_scheme import AutoScheme, GenScheme
    model = load_hf_model(MODEL)
    layers = [n for n, m in model.named_modules()
              if isinstance(m, torch.nn.Linear) and n.startswith("model.layers.")]
    scheme = AutoScheme(avg_bits=[float(b) for b in BUDGETS], options=OPTIONS,
                        nsamples=NSAMPLES, seqlen=SEQLEN, batch_size=BATCH, dataset=path,
                        ignore_scale_zp_bits=True, device_map="cpu")
    configs = GenScheme(scheme, model, layers, {}, dataset=path, device_map="cpu",
                        tokenizer=load_hf_tokenizer(MODEL)).get_layer_config()
    chosen = {b: {layer: f"MXFP{cfg['bits']}" for layer, cfg in configs[float(b)].items()}
              for b in BUDGETS}
    scores = {}
    for cache in glob.glob(os.path.join(os.environ["AR_AUTO_SCHEME_CACHE"], "*.json")):
        with open(cache) as f:
            data = json.load(f)
        for layer, (_, loss) in data["layer_scores"].items():
            scores.setdefault(layer, {})[OPTIONS[data["scheme_index"]]] = loss
    return chosen, scores


def bitbudget_scores(tmp, text_path):
    out = os.path.join(tmp, "autoscheme-bb-scores.json")
    bb("scores", "--model", model_dir(MODEL), "--options", ",".join(OPTIONS), "--calib",
       text_path, "--nsamples", str(NSAMPLES), "--seqlen", str(SEQLEN), "--batch", str(BATCH),
       "-o", out)
    with open(out) as f:
        return json.load(f)


def runs(tmp):
    """Both sides, once for the checks that read them (a failure too)."""
    if not _RUN:
        try:
            strings = calibration_strings()
            json_path = os.path.join(tmp, "autoscheme-calib.json")
            text_path = os.path.join(tmp, "autoscheme-calib.txt")
            with open(json_path, "w") as f:
                json.dump(strings, f)
            with open(text_path, "w") as f:
                f.write(" ".join(strings))
            _RUN.update(strings=strings, json=json_path, text=text_path,
                        bb=bitbudget_scores(tmp, text_path))
            _RUN["chosen"], _RUN["scores"] = autoscheme(tmp, json_path)
        except Exception as e:
            _RUN["error"] = e
    if "error" in _RUN:
        raise _RUN["error"]
    return _RUN


def calibration(tmp):
    """AutoRound's dataloader against bitbudget's cut (engine/model/calib.c: all chunks of
    SEQLEN - 1 tokens after BOS when NSAMPLES of them are all the text holds)."""
    from auto_round.calib_dataset import get_dataloader
    run = runs(tmp)
    loader = get_dataloader(load_hf_tokenizer(MODEL), SEQLEN, dataset_name=run["json"],
                            seed=42, bs=BATCH, nsamples=NSAMPLES)
    theirs = sorted(row.tolist() for batch in loader for row in batch["input_ids"])
    with open(run["text"]) as f:
        ids = encode(MODEL, f.read(), False)
    body = SEQLEN - 1
    ours = sorted(encode(MODEL, "", True) + ids[i * body:(i + 1) * body]
                  for i in range(len(ids) // body))
    differ = len(theirs) != len(ours) or theirs != ours
    return Result(int(differ), 0, f"{len(theirs)} sequences from AutoRound, {len(ours)} from "
                  f"bitbudget's cut of the joined text, equal: {not differ}")


def selection(budget):
    def compare(tmp):
        run = runs(tmp)
        scores_path = os.path.join(tmp, "autoscheme-their-scores.json")
        theirs = dict(run["bb"], scores=run["scores"])
        with open(scores_path, "w") as f:
            json.dump(theirs, f)
        recipe_path = os.path.join(tmp, f"autoscheme-recipe-{budget}.json")
        bb("recipe", "--model", model_dir(MODEL), "--strategy", "sensitivity", "--scores",
           scores_path, "--options", ",".join(OPTIONS), "--avg-bits", budget, "-o",
           recipe_path)
        with open(recipe_path) as f:
            ours = {layer: v["weight"] for layer, v in json.load(f)["layers"].items()}
        chosen = run["chosen"][budget]
        differ = [layer for layer in chosen if ours.get(layer) != chosen[layer]]
        ratio = max(run["bb"]["scores"][layer][o] / run["scores"][layer][o]
                    for layer in run["scores"] for o in OPTIONS)
        return Result(len(differ) + len(set(ours) ^ set(chosen)), 0,
                      f"{len(chosen)} layers, {len(differ)} chosen differently from "
                      f"AutoScheme; (not compared, open) bitbudget's scores up to "
                      f"{ratio:.3g}x AutoScheme's")
    return compare


CHECKS = [("autoscheme/calibration", calibration)] + \
         [(f"autoscheme/selection/{b}", selection(b)) for b in BUDGETS]
