"""Check 2: bitbudget's tokenizer against the `tokenizers` library reading the same
tokenizer.json: the ids of every distinct context and continuation of the five tasks'
documents (lm-eval's own requests from the local rows, the hand-made hellaswag rows
included), the demo tasks' rows and Unicode edge cases, with BOS forced first and with
no template tokens. (transformers 5's AutoTokenizer is not the oracle here: it rebuilds a
LlamaTokenizer's pipeline instead of reading tokenizer.json; docs/parity.md.)"""
import glob
import json
import os

from common import MODELS, Result, encode, local_data_dir, model_dir, tool_lines
from lm_eval_tasks import build_include_folder, request_strings

HERE = os.path.dirname(os.path.abspath(__file__))

EDGE_CASES = [
    "", " ", "  ", "\n", "\n\n", "\t", " leading", "trailing ", "a  b", "é", "e\u0301",
    "ünïcödé", "你好世界", "日本語のテキスト", "😀", "👩‍👩‍👧", "🇫🇷", "\u00a0nbsp", "\u200bzero width",
    "\u2581already", "▁▁", "<s>", "</s>", "<unk>", "<|start_story|>", "<|end_story|>",
    "x<|end_story|>y", "Ω≈ç√∫", "\x7f", "\ufeffbom", "ﬁ ligature", "Ａ full width",
    "a" * 300, "The " * 100, "<0x41>", "0x41", "12345678901234567890", "!!!???...",
    "\r\n", "tab\tand\nnewline", "Ça va? Très bien.", "Straße", "İstanbul", "ß" * 5,
    "עברית", "العربية", "हिन्दी", "🙂🙃", "\U0010ffff",
]


def demo_strings():
    """Every string field of the demo tasks' rows (experiments/demo-tasks)."""
    strings = []
    for path in glob.glob(os.path.join(HERE, "..", "..", "experiments", "demo-tasks",
                                       "*.jsonl")):
        with open(path) as f:
            for line in f:
                strings += [v for v in json.loads(line).values() if isinstance(v, str)]
    return strings


_STRINGS = {}


def all_strings(tmp):
    if "all" not in _STRINGS:
        include = os.path.join(tmp, "tasks")
        if not os.path.isdir(include):
            build_include_folder(include, local_data_dir(tmp))
        _STRINGS["all"] = request_strings(include) + demo_strings() + EDGE_CASES
    return _STRINGS["all"]


def mismatches(name, strings, bos):
    ours = tool_lines(["tokenize", model_dir(name), "--bos" if bos else "--no-bos"], strings)
    return [s for s, o in zip(strings, ours) if o != encode(name, s, bos)]


def against_tokenizers(name, tmp):
    strings = all_strings(tmp)
    bad = mismatches(name, strings, True) + mismatches(name, strings, False)
    detail = f"{len(strings)} strings x BOS on/off"
    if bad:
        detail += f"; first differing: {json.dumps(bad[0])[:80]}"
    return Result(len(bad), 0, detail)


CHECKS = [(f"tokenizer/tokenizers/{m}", (lambda m: lambda tmp: against_tokenizers(m, tmp))(m))
          for m in MODELS]
