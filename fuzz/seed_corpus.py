#!/usr/bin/env python3
"""seed_corpus.py: (re)generate the fuzzers' seed corpus, fuzz/corpus/<harness>/.

Run from the repository root after `make` (it calls bin/bitbudget and bb-test-tool):
    python3 fuzz/seed_corpus.py [SHARED]
Every seed is a small valid input (under 20 kB) or a near miss, taken from the shared
models (config.json, tokenizer.json, the first bytes of a safetensors header), the test
fixtures, the shipped experiments and recipes made here. A seed's file name says where it
comes from. The corpus is committed; what libFuzzer learns goes to build-fuzz/corpus/.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

SHARED = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SHARED", "../shared")
OUT = "fuzz/corpus"
LIMIT = 20000


def put(harness, name, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > LIMIT:
        print("skip %s/%s: %d bytes" % (harness, name, len(data)))
        return
    os.makedirs(os.path.join(OUT, harness), exist_ok=True)
    with open(os.path.join(OUT, harness, name), "wb") as f:
        f.write(data)


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def safetensors(tensors, metadata=None):
    """A .safetensors image: tensors is [(name, dtype, shape, bytes)]."""
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def seeds_safetensors(tmp):
    put("fuzz_safetensors", "dtypes.safetensors", safetensors([
        ("a.f32", "F32", [2, 2], struct.pack("<4f", 1, -2, 0.5, 3e38)),
        ("b.f16", "F16", [3], b"\x00\x3c\x00\xc0\x00\x7c"),
        ("c.bf16", "BF16", [1, 2], b"\x80\x3f\x00\x80"),
        ("d.i8", "I8", [2], b"\x01\xff"), ("e.u8", "U8", [1], b"\x07"),
        ("f.bool", "BOOL", [1], b"\x01"), ("g.i64", "I64", [1], struct.pack("<q", -5)),
        ("h.f64", "F64", [], struct.pack("<d", 2.5)), ("i.empty", "F32", [0, 4], b""),
    ], {"format": "pt"}))
    # A whole small checkpoint of each family, made by bb-test-tool.
    tool = os.environ.get("BB_TEST_TOOL", "build/tests/bb-test-tool")
    for family in ("llama", "qwen3"):
        d = os.path.join(tmp, family)
        subprocess.run([tool, "synth", d, "--hidden", "16", "--intermediate", "32", "--layers", "1",
                        "--heads", "2", "--kv", "1", "--vocab", "16", "--family", family],
                       check=True, stdout=subprocess.DEVNULL)
        put("fuzz_safetensors", "synth-%s.safetensors" % family, read(os.path.join(d, "model.safetensors")))
        put("fuzz_config", "synth-%s.json" % family, read(os.path.join(d, "config.json")))
    # The shared models' headers and the first bytes of their data (truncated: a near miss).
    for m in ("tinystories-656k", "stories260k"):
        raw = read(os.path.join(SHARED, "models", m, "model.safetensors"))
        n = struct.unpack("<Q", raw[:8])[0]
        put("fuzz_safetensors", "%s-header.safetensors" % m, raw[: 8 + n + 64])


def seeds_config():
    for m in ("tinystories-656k", "stories260k"):
        put("fuzz_config", "%s.json" % m, read(os.path.join(SHARED, "models", m, "config.json")))
    for d in sorted(os.listdir("experiments/models")):
        if os.path.isdir(os.path.join("experiments/models", d)):
            put("fuzz_config", "%s.json" % d, read(os.path.join("experiments/models", d, "config.json")))


def seeds_tokenizer():
    sep = b"\n--config--\n"
    base = "tests/fixtures/tokenizer"
    for d in sorted(os.listdir(base)):
        p = os.path.join(base, d)
        if not os.path.isdir(p):
            continue
        tok = read(os.path.join(p, "tokenizer.json"))
        cfg = os.path.join(p, "tokenizer_config.json")
        put("fuzz_tokenizer", "fixture-%s" % d, tok + (sep + read(cfg) if os.path.exists(cfg) else b""))
    p = os.path.join(SHARED, "models", "stories260k")
    put("fuzz_tokenizer", "stories260k", read(os.path.join(p, "tokenizer.json")) + sep +
        read(os.path.join(p, "tokenizer_config.json")))


def seeds_recipes(tmp):
    bb = os.environ.get("BB", "bin/bitbudget")
    tiny = os.path.join(SHARED, "models", "tinystories-656k")
    runs = [("head5", ["--strategy", "head", "--options", "MXFP4,MXFP8", "--avg-bits", "5"]),
            ("tail6-int", ["--strategy", "tail", "--options", "W4G32,W8G32-asym", "--avg-bits", "6"]),
            ("pure-autoround", ["--strategy", "pure", "--options", "MXFP4,MXFP8", "--avg-bits", "4",
                                "--export", "autoround"])]
    for name, args in runs:
        out = os.path.join(tmp, name + ".json")
        subprocess.run([bb, "recipe", "--model", tiny, *args, "-o", out], check=True,
                       stderr=subprocess.DEVNULL)
        put("fuzz_recipe", name + ".json", read(out))
    layers = json.loads(read(os.path.join(tmp, "head5.json")))["layers"]
    scores = {"options": ["MXFP4", "MXFP8"], "method": "proxy",
              "scores": {k: {"MXFP4": 1.0 + i / 10, "MXFP8": 0.01 * i} for i, k in enumerate(layers)}}
    put("fuzz_scores", "proxy.json", json.dumps(scores, indent=1))
    put("fuzz_scores", "int.json", json.dumps({"options": ["W4G32", "W8G32-asym", "BF16"], "scores": {
        "model.layers.0.mlp.up_proj": {"W4G32": 2.5, "W8G32-asym": 0, "BF16": 0}}}))


def seeds_experiments():
    for p in sorted(os.listdir("experiments")):
        if p.endswith(".json"):
            put("fuzz_experiment", p, read(os.path.join("experiments", p)))
    for p in sorted(os.listdir("tests/fixtures/experiments")):
        put("fuzz_experiment", "fixture-" + p, read(os.path.join("tests/fixtures/experiments", p)))


def seeds_task_rows():
    data = os.path.join(SHARED, "data", "lm-eval")
    def head(path, n):
        with open(path, "rb") as f:
            return b"".join(f.readline() for _ in range(n))
    put("fuzz_task_rows", "0-lambada", b"\x00" + head(os.path.join(data, "lambada_openai.test.jsonl"), 3))
    put("fuzz_task_rows", "1-hellaswag", b"\x01" + read("tests/fixtures/tasks/hellaswag.validation.jsonl"))
    put("fuzz_task_rows", "2-piqa", b"\x12" + head(os.path.join(data, "piqa.validation.jsonl"), 3))
    put("fuzz_task_rows", "2-piqa-bad-row", b"\x02" + read("tests/fixtures/tasks/bad_row/piqa.validation.jsonl"))
    put("fuzz_task_rows", "3-winogrande", b"\x03" + read("tests/fixtures/tasks/winogrande.validation.jsonl"))
    first = {}
    with open(os.path.join(data, "mmlu.test.jsonl"), "rb") as f:
        for line in f:
            row = json.loads(line)
            if row["subject"] not in first:
                row["question"] = row["question"][:60]
                row["choices"] = [c[:20] for c in row["choices"]]
                first[row["subject"]] = json.dumps(row).encode() + b"\n"
    put("fuzz_task_rows", "4-mmlu", b"\x04" + b"".join(first.values()))
    put("fuzz_task_rows", "5-mc", b"\x05" + read("tests/fixtures/tasks/custom/story_mc.jsonl")[:4000])
    put("fuzz_task_rows", "6-cloze", b"\x16" + read("tests/fixtures/tasks/custom/story_cloze.jsonl")[:4000])
    put("fuzz_task_rows", "7-text", b"\x07" + read("tests/fixtures/tasks/custom/story_text.jsonl")[:4000])
    for name in ("story_mc", "story_cloze", "story_text"):
        desc = json.loads(read("tests/fixtures/tasks/custom/%s.json" % name))
        desc["data"] = "rows.jsonl"
        put("fuzz_task_rows", "8-desc-" + name, b"\x08" + json.dumps(desc).encode())


def seeds_server_body():
    jobs = [
        {"kind": "evaluate", "model": "tiny", "tasks": ["lambada_openai", "piqa"], "limit": 3,
         "num_fewshot": 0, "add_bos_token": True, "batch_size": "auto", "seed": 0, "log_samples": False},
        {"model": "tiny", "tasks": "piqa,mmlu", "recipe": {"model": "tiny", "options": ["MXFP4", "MXFP8"],
         "layers": {"model.layers.0.mlp.up_proj": {"weight": "MXFP8", "act": "MXFP8"}}}},
        {"model": "tiny-escape", "tasks": ["piqa"]},
        {"model": "tiny", "tasks": ["data/fz.json"]},
        {"kind": "scores", "model": "tiny", "options": ["MXFP4", "MXFP8"], "method": "deltaloss",
         "nsamples": 16, "seqlen": 256, "batch": 8, "seed": 42, "calib_text": "Once upon a time."},
        {"kind": "scores", "model": "/tmp/../etc", "options": "W4G128,W8G32-asym", "method": "proxy"},
    ]
    for i, j in enumerate(jobs):
        put("fuzz_server_body", "jobs-%d" % i, b"\x00" + json.dumps(j).encode())
    comps = [
        {"model": "any", "prompt": [[1, 80, 147], [1, 5, 6]], "max_tokens": 1, "echo": True, "logprobs": 1,
         "temperature": 0, "seed": 1234, "stop": ["\n\n"]},
        {"prompt": "Once upon a time", "max_tokens": 2, "logprobs": 3, "stop": "."},
        {"prompt": ["a", "b"], "max_tokens": 0, "echo": True, "n": 1},
    ]
    for i, c in enumerate(comps):
        put("fuzz_server_body", "completions-%d" % i, b"\x01" + json.dumps(c).encode())
    put("fuzz_server_body", "tokenize", b"\x02" + json.dumps({"prompt": "Hello <s> world", "add_special_tokens": False}).encode())
    put("fuzz_server_body", "detokenize", b"\x03" + json.dumps({"tokens": [1, 2, 300, 5]}).encode())


def seeds_job_spec():
    """Job specs as `bitbudget run` writes them (harness/runner.c), and near misses."""
    common = {"key": "0" * 64, "experiment": "demo-mini", "model_name": "TinyStories-656K",
              "model": "../shared/models/tinystories-656k",
              "result": "results/cache/" + "0" * 64 + ".json", "tmp_dir": "results/tmp"}
    scores = dict(common, kind="scores", options=["MXFP4", "MXFP8", "W4G128-asym"],
                  method="deltaloss", nsamples=16, seqlen=256,
                  calib="experiments/calibration/default.txt")
    evaluate = dict(common, kind="eval", row="Head 8-bit", strategy="head",
                    recipe="results/recipes/demo-mini/tiny/head-8-bit.json",
                    recipe_sha256="f" * 64, achieved_avg_bits=5.5, predicted_loss=0.125,
                    tasks=["experiments/demo-tasks/story_cloze.json", "piqa"], limit=8,
                    add_bos_token=True, log_samples=True, endpoint_version="bitbudget-engine 0.1.0",
                    scratch="results/scratch", keep_checkpoint=False)
    put("fuzz_job_spec", "scores.json", json.dumps(scores, indent=1))
    put("fuzz_job_spec", "eval.json", json.dumps(evaluate, indent=1))
    put("fuzz_job_spec", "eval-bf16.json", json.dumps(dict(evaluate, recipe="", recipe_sha256="bf16",
                                                           achieved_avg_bits=16, predicted_loss=-1)))
    put("fuzz_job_spec", "no-limit.json", json.dumps({k: v for k, v in evaluate.items() if k != "limit"}))
    put("fuzz_job_spec", "tasks-numbers.json", json.dumps(dict(evaluate, tasks=[1, 2])))
    put("fuzz_job_spec", "options-number.json", json.dumps(dict(scores, options=[4])))
    put("fuzz_job_spec", "limit-huge.json", json.dumps(dict(evaluate, limit=1e98)))
    kld = dict(common, kind="kld", row="Head 8-bit", strategy="head",
               recipe="results/recipes/demo-mini/tiny/head-8-bit.json", recipe_sha256="f" * 64,
               achieved_avg_bits=5.5, predicted_loss=0.125, eval_text="experiments/eval/default.txt",
               calib="experiments/calibration/default.txt", context=0,
               reference_dir="results/cache/kld-reference", endpoint_version="bitbudget-engine 0.1.0")
    put("fuzz_job_spec", "kld.json", json.dumps(kld, indent=1))
    put("fuzz_job_spec", "kld-empty-recipe.json", json.dumps(dict(kld, recipe="")))


def seeds_results(tmp):
    bb = os.environ.get("BB", "bin/bitbudget")
    tiny = os.path.join(SHARED, "models", "tinystories-656k")
    out = os.path.join(tmp, "r.json")
    subprocess.run([bb, "eval", "--endpoint", "local", "--model", tiny, "--tasks",
                    "piqa,tests/fixtures/tasks/custom/story_cloze.json", "--limit", "2", "-q",
                    "--data-dir", os.path.join(SHARED, "data", "lm-eval"), "-o", out],
                   check=True, stdout=subprocess.DEVNULL)
    r = json.loads(read(out))
    r.pop("samples", None)
    # the endpoint names the model by its real path: keep this machine's out of the repo
    real = os.path.realpath(SHARED)
    text = json.dumps(r).replace(real, "../shared").replace(real.replace("/", "__"), "..__shared")
    put("fuzz_results", "local-piqa-cloze.json", text)
    put("fuzz_results", "minimal.json", json.dumps({
        "results": {"lambada_openai": {"acc,none": 0.5}, "piqa": {"acc,none": 1},
                    "mmlu": {"acc,none": 0.25}, "story_cloze": {"perplexity,none": 12.5}},
        "configs": {}, "versions": {}, "n-shot": {}, "higher_is_better": {}, "n-samples": {}, "config": {}}))
    # the answers to a submission and to polls (docs/endpoint.md)
    put("fuzz_results", "submitted.json", json.dumps({"id": "0123456789abcdef", "status": "queued"}))
    put("fuzz_results", "poll-running.json", json.dumps({"status": "running", "progress": {"done": 3, "total": 10}}))
    put("fuzz_results", "poll-failed.json", json.dumps({"status": "failed", "error": "out of memory"}))


def seeds_plots():
    """NUL-separated texts: name, title, set label, two models, three row labels, a task;
    then bytes for the numbers (fuzz/fuzz_plots.c)."""
    def texts(*fields, numbers=b"\x01\x02\x03\x04\x05\x06"):
        return b"\x00".join(f.encode() for f in fields) + b"\x00" + numbers
    put("fuzz_plots", "demo-mini", texts(
        "demo-mini", "Demo mini: BF16, pure and head at 5 bits on the demo model",
        "DEMO set: TinyStories-656K on the project's demo tasks", "TinyStories-656K", "Llama3.1-8B-I",
        "BF16", "Pure 4-bit", "Head 8-bit", "story_cloze"))
    put("fuzz_plots", "hostile", texts(
        "n'$(touch x)'", "Title `touch x` \\n {/Symbol a} @m", "set ' \" ' \"",
        "M`touch x`", "it's '' \"q\"", 'H5" noenhanced; system("touch x"); #',
        "' . system('touch x') . '", "a\nb\tc\x01\x7f", "task|&<>%$_{}~^\\"))
    put("fuzz_plots", "empty", b"\x00" * 9)


def seeds_kld_reference():
    """KLD reference files (docs/formats.md): a valid one with the harness's key, and near
    misses: truncated, a changed logit, a foreign magic."""
    import hashlib
    key = b"0123456789abcdef" * 4
    rows = struct.pack("<8f", 0.5, -1.0, 2.0, 0.0, 1.5, 1.5, -3.0, 0.25)  # 2 positions, V 4
    digest = hashlib.sha256(rows).hexdigest().encode()
    head = b"BBKLDREF" + struct.pack("<IIQ", 1, 4, 2) + key
    put("fuzz_kld_reference", "valid-v4-n2.bin", head + digest + rows)
    put("fuzz_kld_reference", "truncated.bin", head + digest + rows[:-4])
    put("fuzz_kld_reference", "changed-logit.bin", head + digest + rows[:-1] + b"\x40")
    put("fuzz_kld_reference", "foreign-magic.bin", b"GGUF" + head[4:] + digest + rows)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        seeds_safetensors(tmp)
        seeds_config()
        seeds_tokenizer()
        seeds_recipes(tmp)
        seeds_experiments()
        seeds_task_rows()
        seeds_server_body()
        seeds_job_spec()
        seeds_results(tmp)
        seeds_plots()
        seeds_kld_reference()
    return 0


if __name__ == "__main__":
    sys.exit(main())
