"""Check 4: AutoRound's AutoScheme on tinystories-656k, MXFP4/MXFP8, against
`bitbudget scores` and `bitbudget recipe --strategy sensitivity`, on the same calibration
sequences.

Calibration: AutoScheme 0.16.1 takes no list of strings (GenScheme raises "`dataset` must be
a string"), so the strings go in a local .json file, which its `local` loader reads: each
string tokenized with BOS and truncated to seqlen, the list shuffled with seed 42. bitbudget
joins its text and cuts chunks of seqlen - 1 tokens after BOS. The strings are built so that
both pick the same 16 sequences: each exactly seqlen - 1 tokens long and ending in ";",
which no vocabulary entry merges with a following "▁", so the joined text tokenizes as the
strings do.

Scores: AutoScheme runs three times, in this process (AR_ENABLE_AUTO_SCHEME_PARALLEL=0), so
that a patch of its classes reaches the scoring:
- stock. Its per-layer scores are its weight term alone: the scoring replay runs each
  Linear through `_ScoreLinear`, which never calls the wrapper's `_qdq_act`, so the
  activation term (the only term the method takes for MX-only options) is never taken and
  the replayed blocks see unquantized activations; 0.16.1 turns the weight term on for
  every option of 8 bits or fewer (its comment: without it every MX score is 0). Checked:
  the activation term is exactly 0 on every layer, and the scores are the weight terms
  (read from the wrappers, which a spy keeps).
- "act term": the two deviations undone -- the replay through the wrapper's own forward
  (`_custom_score_forward = False`, AutoRound's own switch, as its GGUF wrappers set it)
  and no weight term (`need_weight_grad=False`, as the documented method has it for
  MX-only options). Reported, not compared: it still backpropagates through AutoRound's
  quantizer graph, whose derivative is not 1 (Q(x)/x per element, plus the shared
  exponent's path), where bitbudget passes the gradient straight through.
- neutralised: the same plus a straight-through activation quantizer (the same values,
  derivative 1). Compared with bitbudget's scores, 1e-3 relative on every layer.
The neutralised scores are also computed directly in torch (torch_deltaloss), in float32
(compared: the patches leave AutoScheme computing exactly that) and in float64 (reported:
how far float rounding alone moves the scores through the quantizers' steps, the scale of
what is left between bitbudget and AutoScheme).

Selection: bitbudget's recipe on stock AutoScheme's scores picks stock AutoScheme's
layer_config, and on bitbudget's own scores the neutralised AutoScheme's, at 4.5, 5 and 6
bits. docs/parity.md has the figures."""
import contextlib
import glob
import json
import os

from common import Result, bb, encode, load_hf_model, load_hf_tokenizer, model_dir

MODEL = "tinystories-656k"
OPTIONS = ("MXFP4", "MXFP8")
NSAMPLES, SEQLEN, BATCH = 16, 256, 8
BUDGETS = ("4.5", "5", "6")
SCORE_TOL = 1e-3
REFERENCE_TOL = 1e-5  # the same computation in the same float32 kernels, summed apart
CALIB = os.path.join(os.path.dirname(__file__), "..", "..", "experiments", "calibration",
                     "default.txt")
VARIANTS = ("stock", "act-term", "neutralised")
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


def straight_through(qdq_act):
    """AutoRound's activation quantizer with the same values and a derivative of 1, as
    bitbudget's backward has it (engine/model_backward.c, lin_bwd)."""
    def wrapped(self, x, *args, **kwargs):
        q, scale, zp = qdq_act(self, x, *args, **kwargs)
        return q.detach() + (x - x.detach()), scale, zp
    return wrapped


@contextlib.contextmanager
def patched_autoscheme(variant, wrappers, losses):
    """AutoRound's scoring wrapper as `variant` has it (module docstring); every wrapper it
    makes is appended to wrappers, so its two terms can be read after the run, and each
    calibration batch's loss to losses[format]. Undone on exit."""
    from auto_round.auto_scheme import delta_loss
    from auto_round.wrapper import WrapperLinear
    cls = delta_loss.AutoSchemeWrapperLinear
    saved_init, saved_qdq_act = cls.__init__, WrapperLinear._qdq_act
    saved_forward = delta_loss.model_forward

    def model_forward(*args, **kwargs):
        output, prepared = saved_forward(*args, **kwargs)
        # the option being scored is the one the latest wrappers were made for
        losses.setdefault(wrappers[-1].parity_key[1], []).append(output.loss.item())
        return output, prepared

    def init(self, *args, **kwargs):
        if variant != "stock":
            kwargs["need_weight_grad"] = False
        saved_init(self, *args, **kwargs)
        if variant != "stock":
            self._custom_score_forward = False
        # read now: AutoRound strips the scheme's attributes after scoring, and a layer
        # wrapped before is named "....orig_layer" by then
        self.parity_key = (self.orig_layer.tmp_name.removesuffix(".orig_layer"),
                           f"MXFP{self.orig_layer.bits}")
        wrappers.append(self)

    cls.__init__, delta_loss.model_forward = init, model_forward
    if variant == "neutralised":
        WrapperLinear._qdq_act = straight_through(saved_qdq_act)
    try:
        yield
    finally:
        cls.__init__, WrapperLinear._qdq_act = saved_init, saved_qdq_act
        delta_loss.model_forward = saved_forward


def autoscheme(tmp, path, variant):
    """AutoScheme's choices {budget: {layer: format}}, its scores {layer: {format: score}}
    from its cache files, its terms {(layer, format): (activation, weight)} and its mean
    calibration loss {format: loss}."""
    cache = os.path.join(tmp, f"autoscheme-cache-{variant}")
    os.environ["AR_AUTO_SCHEME_CACHE"] = cache
    os.environ["AR_ENABLE_AUTO_SCHEME_PARALLEL"] = "0"
    import torch
    from auto_round.auto_scheme.gen_auto_scheme import AutoScheme, GenScheme
    model = load_hf_model(MODEL)
    layers = [n for n, m in model.named_modules()
              if isinstance(m, torch.nn.Linear) and n.startswith("model.layers.")]
    scheme = AutoScheme(avg_bits=[float(b) for b in BUDGETS], options=OPTIONS,
                        nsamples=NSAMPLES, seqlen=SEQLEN, batch_size=BATCH, dataset=path,
                        ignore_scale_zp_bits=True, device_map="cpu")
    wrappers, losses = [], {}
    with patched_autoscheme(variant, wrappers, losses):
        configs = GenScheme(scheme, model, layers, {}, dataset=path, device_map="cpu",
                            tokenizer=load_hf_tokenizer(MODEL)).get_layer_config()
    chosen = {b: {layer: f"MXFP{cfg['bits']}" for layer, cfg in configs[float(b)].items()}
              for b in BUDGETS}
    scores = {}
    for name in glob.glob(os.path.join(cache, "*.json")):
        with open(name) as f:
            data = json.load(f)
        for layer, (_, loss) in data["layer_scores"].items():
            scores.setdefault(layer, {})[OPTIONS[data["scheme_index"]]] = loss
    terms = {w.parity_key: (w.act_score, w.weight_score) for w in wrappers}
    loss = {o: sum(batches) / len(batches) for o, batches in losses.items()}
    return dict(chosen=chosen, scores=scores, terms=terms, loss=loss)


def torch_deltaloss(strings, option, dtype):
    """The neutralised scores written directly in torch, no AutoScheme code: transformers'
    model in dtype, every budget Linear's weight and input quantized by AutoRound's
    quant_mx (decided in float32), the input's quantizer straight-through, the calibration
    loss backpropagated batch by batch; {layer: sum |dL/dQ(x) * (x - Q(x))|}."""
    import torch
    from auto_round.data_type.mxfp import quant_mx
    bits = int(option[len("MXFP"):])

    def qdq(x):
        return quant_mx(x.float(), bits=bits, group_size=32, data_type="mx_fp")[0].to(dtype)

    model = load_hf_model(MODEL).to(dtype)
    model.requires_grad_(False)
    scores = {}

    def quantize_input(name):
        def hook(module, args):
            x = args[0]
            q = qdq(x).detach()
            diff = (x - q).detach()

            def accumulate(grad):
                scores[name] = scores.get(name, 0.0) + (grad * diff).abs().sum().item()
            out = q + (x - x.detach())
            out.register_hook(accumulate)
            return (out,)
        return hook

    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and name.startswith("model.layers."):
            with torch.no_grad():
                module.weight.copy_(qdq(module.weight))
            module.register_forward_pre_hook(quantize_input(name))
    ids = torch.tensor([encode(MODEL, s, True) for s in strings])
    for batch in ids.split(BATCH):
        embeds = model.model.embed_tokens(batch).requires_grad_(True)
        model(inputs_embeds=embeds, labels=batch).loss.backward()
    return scores


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
            for variant in VARIANTS:
                _RUN[variant] = autoscheme(tmp, json_path, variant)
            import torch
            _RUN["torch"] = {(o, bits): torch_deltaloss(strings, o, dtype)
                             for o in OPTIONS
                             for bits, dtype in ((32, torch.float32), (64, torch.float64))}
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


def of_option(scores, option):
    """{layer: score} of one option from {layer: {option: score}}."""
    return {layer: by_option[option] for layer, by_option in scores.items()}


def relative_diffs(ours, theirs):
    """{layer: |ours - theirs| / theirs} over theirs' layers."""
    return {layer: abs(ours[layer] - theirs[layer]) / theirs[layer] for layer in theirs}


def stock_explained(tmp):
    """Stock AutoScheme's scores are its weight term alone: its activation term is 0 on every
    layer and option, and each score is the weight term the wrapper summed."""
    run = runs(tmp)
    stock = run["stock"]
    act = max(a for a, _ in stock["terms"].values())
    off = max(abs(stock["scores"][layer][o] - w) / w
              for (layer, o), (_, w) in stock["terms"].items())
    ratios = [run["bb"]["scores"][layer][o] / stock["scores"][layer][o]
              for layer in stock["scores"] for o in OPTIONS]
    return Result(max(act, off), 0, f"{len(stock['terms'])} layer x option terms: activation "
                  f"term at most {act:g}, score - weight term at most {off:.3g} (relative); "
                  f"bitbudget's scores {min(ratios):.3g}x to {max(ratios):.3g}x these "
                  "(not compared)")


def scores(option):
    def compare(tmp):
        run = runs(tmp)
        ours = of_option(run["bb"]["scores"], option)
        worst = {v: relative_diffs(ours, of_option(run[v]["scores"], option))
                 for v in VARIANTS}
        layer = max(worst["neutralised"], key=worst["neutralised"].get)
        return Result(worst["neutralised"][layer], SCORE_TOL,
                      f"{len(worst['neutralised'])} layers against the neutralised AutoScheme "
                      f"(worst {layer}); not compared: act term "
                      f"{max(worst['act-term'].values()):.3g}, stock "
                      f"{max(worst['stock'].values()):.3g}; mean calibration loss "
                      f"bitbudget {run['bb']['loss'][option]:.7g}, AutoScheme "
                      f"{run['neutralised']['loss'][option]:.7g}")
    return compare


def torch_reference(option):
    """The neutralised AutoScheme against torch_deltaloss in float32: the patches leave it
    computing exactly that. The float64 run shows how far float32 rounding alone moves the
    scores (a rounding that lands on the other side of a quantizer's step moves the rest)."""
    def compare(tmp):
        run = runs(tmp)
        f32, f64 = run["torch"][option, 32], run["torch"][option, 64]
        ref = relative_diffs(of_option(run["neutralised"]["scores"], option), f32)
        move = relative_diffs(f64, f32)
        return Result(max(ref.values()), REFERENCE_TOL,
                      f"{len(ref)} layers; (not compared) the float64 computation moves "
                      f"up to {max(move.values()):.3g} from the float32 one")
    return compare


def recipe_choices(tmp, scores_json, budget, tag):
    """bitbudget recipe --strategy sensitivity on scores_json (a scores file): {layer: format}."""
    scores_path = os.path.join(tmp, f"autoscheme-{tag}-scores.json")
    with open(scores_path, "w") as f:
        json.dump(scores_json, f)
    recipe_path = os.path.join(tmp, f"autoscheme-recipe-{tag}-{budget}.json")
    bb("recipe", "--model", model_dir(MODEL), "--strategy", "sensitivity", "--scores",
       scores_path, "--options", ",".join(OPTIONS), "--avg-bits", budget, "-o", recipe_path)
    with open(recipe_path) as f:
        return {layer: v["weight"] for layer, v in json.load(f)["layers"].items()}


def count_differences(ours, chosen):
    return sum(ours.get(layer) != chosen[layer] for layer in chosen) + \
        len(set(ours) ^ set(chosen))


def selection(budget):
    """bitbudget's recipe on stock AutoScheme's own scores against its choice."""
    def compare(tmp):
        run = runs(tmp)
        chosen = run["stock"]["chosen"][budget]
        ours = recipe_choices(tmp, dict(run["bb"], scores=run["stock"]["scores"]), budget,
                              "stock")
        own = count_differences(recipe_choices(tmp, run["bb"], budget, "bitbudget"), chosen)
        return Result(count_differences(ours, chosen), 0,
                      f"{len(chosen)} layers; bitbudget's recipe on stock AutoScheme's scores; "
                      f"(not compared) {own} chosen differently on bitbudget's own scores")
    return compare


def selection_neutralised(budget):
    """bitbudget's recipe on bitbudget's own scores against the neutralised AutoScheme's
    choice."""
    def compare(tmp):
        run = runs(tmp)
        chosen = run["neutralised"]["chosen"][budget]
        ours = recipe_choices(tmp, run["bb"], budget, "bitbudget")
        act_term = count_differences(ours, run["act-term"]["chosen"][budget])
        return Result(count_differences(ours, chosen), 0,
                      f"{len(chosen)} layers; bitbudget's recipe on bitbudget's scores; "
                      f"(not compared) {act_term} chosen differently by the act-term "
                      "AutoScheme")
    return compare


CHECKS = [("autoscheme/calibration", calibration),
          ("autoscheme/scores/stock-explained", stock_explained)] + \
         [(f"autoscheme/scores/{o}", scores(o)) for o in OPTIONS] + \
         [(f"autoscheme/torch-reference/{o}", torch_reference(o)) for o in OPTIONS] + \
         [(f"autoscheme/selection/{b}", selection(b)) for b in BUDGETS] + \
         [(f"autoscheme/selection-neutralised/{b}", selection_neutralised(b))
          for b in BUDGETS]
