# The golden files checked independently, and kept out of reach of the suite.
#  - the two golden recipes (tests/golden/recipe-*.json, compared byte for byte by t6000)
#    are recomputed here from the model's config.json alone: layer shapes, parameter
#    counts, the budget and every average; the head recipe's layers by a walk written
#    here; the pins-and-groups recipe's optimum by a knapsack written here (a 0/1 DP over
#    exact integer costs), so the golden optimum is shown optimal, not only re-summed;
#  - UPDATE_GOLDEN (which makes t6000 and test_report rewrite the golden files) cannot
#    reach a test run by tests/run.sh (make test, make test-asan, .ci/run), and a test
#    run by the suite refuses to rewrite a golden file even if it is set.
. tests/cli/lib.sh
python3 - tests/golden/recipe-llama-head5.json tests/golden/recipe-llama-ours5-pins-groups.json \
	$LLAMA8B/config.json tests/fixtures/scores/llama-3.1-8b-hand.json <<'PY' || fail "golden recipes"
import json, sys
from fractions import Fraction
head, ours = (json.load(open(p)) for p in sys.argv[1:3])
cfg, scores = json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))["scores"]

# Layer shapes from the config (Llama: GQA k/v, SwiGLU), in execution order.
d, ff, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
kv = d // cfg["num_attention_heads"] * cfg["num_key_value_heads"]
kinds = [("self_attn", "q_proj", d, d), ("self_attn", "k_proj", kv, d), ("self_attn", "v_proj", kv, d),
         ("self_attn", "o_proj", d, d), ("mlp", "gate_proj", ff, d), ("mlp", "up_proj", ff, d),
         ("mlp", "down_proj", d, ff)]
layers = [("model.layers.%d.%s.%s" % (b, m, k), o * i) for b in range(L) for m, k, o, i in kinds]
params = dict(layers)
total = sum(params.values())
BITS = {"MXFP4": 4, "MXFP8": 8, "BF16": 16}
SCALE = {"MXFP4": Fraction(8, 32), "MXFP8": Fraction(8, 32), "BF16": 0}  # E8M0 per 32

def check_accounting(r):
    chosen = {k: v["weight"] for k, v in r["layers"].items()}
    assert list(chosen) == [n for n, _ in layers], "layers or their order"
    spent = sum(params[n] * BITS[f] for n, f in chosen.items())
    scaled = sum(params[n] * (BITS[f] + SCALE[f]) for n, f in chosen.items())
    b, m = r["manifest"]["budget"], r["manifest"]["model"]["budget_set"]
    assert m["total_params"] == b["total_params"] == total and m["layers"] == len(layers)
    assert b["budget_bits"] == 5 * total and b["spent_bits"] == spent <= 5 * total
    assert r["achieved_avg_bits"] == r["avg_bits"]["weights"] == spent / total
    assert abs(r["avg_bits"]["scales"] - float(scaled / total)) < 1e-12
    assert r["avg_bits"]["scales+zp"] == r["avg_bits"]["scales"]  # MX has no zero point
    pinned = sum(params[n] * BITS[v["weight"]] for n, v in r["layers"].items() if v.get("pinned"))
    assert b["pinned_bits"] == b["fixed_bits"] == pinned
    assert all(v["act"] == v["weight"] for v in r["layers"].values())
    return chosen

# head: raise whole layers to MXFP8 from the last one backwards; stop at the first that
# does not fit (the solver the manifest names).
chosen = check_accounting(head)
room, want = 5 * total - 4 * total, {n: "MXFP4" for n, _ in layers}
for n, p in reversed(layers):
    if 4 * p > room:
        break
    want[n], room = "MXFP8", room - 4 * p
assert chosen == want, "head layers"
assert sum(f == "MXFP8" for f in chosen.values()) == 56  # the README's 168 / 56 split

# pins and groups: down_proj of block 31 pinned BF16; q,k,v and gate,up share a format
# per block. Items: per block (q,k,v), o, (gate,up), down (block 31's down pinned). Raising
# an item from MXFP4 to MXFP8 costs 4 bits per parameter; every parameter count is a
# multiple of 4096 * 1024, so costs are small integers and a 0/1 knapsack DP is exact.
chosen = check_accounting(ours)
groups = []
for b in range(L):
    pre = "model.layers.%d." % b
    groups += [[pre + "self_attn." + k for k in ("q_proj", "k_proj", "v_proj")], [pre + "self_attn.o_proj"],
               [pre + "mlp.gate_proj", pre + "mlp.up_proj"]]
    if b != 31:
        groups.append([pre + "mlp.down_proj"])
pin = "model.layers.31.mlp.down_proj"
assert ours["layers"][pin] == {"weight": "BF16", "act": "BF16", "pinned": True}
unit = 4096 * 1024
cost = [sum(params[n] for n in g) // unit for g in groups]
assert all(sum(params[n] for n in g) % unit == 0 for g in groups)
gain = [sum(scores[n]["MXFP4"] - scores[n]["MXFP8"] for n in g) for g in groups]
base = sum(scores[n]["MXFP4"] for g in groups for n in g)
capacity = (5 * total - 4 * (total - params[pin]) - 16 * params[pin]) // (4 * unit)
best = [0.0] * (capacity + 1)  # best[c]: the largest score reduction within cost c
for c_i, g_i in zip(cost, gain):
    for c in range(capacity, c_i - 1, -1):
        best[c] = max(best[c], best[c - c_i] + g_i)
optimum = base - best[capacity]
solver = ours["manifest"]["solver"]
assert solver["items"] == len(groups) == 127, solver
assert abs(solver["optimum"] - optimum) < 1e-9 * optimum, (solver["optimum"], optimum)
got = sum(scores[n][f] for n, f in chosen.items() if n != pin)
assert abs(got - optimum) < 1e-9 * optimum, (got, optimum)
for g in groups:
    assert len({chosen[n] for n in g}) == 1, g
PY

# UPDATE_GOLDEN: tests/run.sh clears it and marks its children (BB_TEST_SUITE). A stand-in
# build folder holds one "unit test" that reports what it sees; every CLI script is skipped.
mkdir -p "$TMP/build/tests"
cat > "$TMP/build/tests/test_env" <<'SH'
#!/bin/sh
if [ -z "${UPDATE_GOLDEN+set}" ] && [ -n "${BB_TEST_SUITE:-}" ]; then echo "PASS env"; else echo "FAIL env"; fi
SH
chmod +x "$TMP/build/tests/test_env"
skip=$(cd tests/cli && echo t*.sh)
UPDATE_GOLDEN=1 BB_BUILD="$TMP/build" BB_SKIP="$skip" sh tests/run.sh > "$TMP/run.out" 2>&1 || { cat "$TMP/run.out" >&2; fail "run.sh passed UPDATE_GOLDEN on"; }
grep -q "^1 passed, 0 failed$" "$TMP/run.out" || fail "run.sh: $(tail -1 "$TMP/run.out")"
# ... and a golden test run inside the suite refuses to rewrite, leaving the files alone.
sum_before=$(cat tests/golden/* | sha256sum)
UPDATE_GOLDEN=1 BB_TEST_SUITE=1 sh tests/cli/t6000-recipe-manifest.sh > "$TMP/t6000.out" 2>&1 && fail "t6000 rewrote golden files under the suite"
grep -q "UPDATE_GOLDEN is refused inside the test suite" "$TMP/t6000.out" || fail "t6000: $(cat "$TMP/t6000.out")"
UPDATE_GOLDEN=1 BB_TEST_SUITE=1 "${BB_BUILD:-build}/tests/test_report" > "$TMP/report.out" 2>&1 && fail "test_report rewrote golden files under the suite"
grep -q "UPDATE_GOLDEN is refused inside the test suite" "$TMP/report.out" || fail "test_report: $(tail -3 "$TMP/report.out")"
[ "$(cat tests/golden/* | sha256sum)" = "$sum_before" ] || fail "golden files changed"
# No CI or test file sets it (the docs say how to, by hand).
grep -rnE '^[^#*]*UPDATE_GOLDEN=' .ci tests Makefile | grep -v "^tests/cli/t7610-" && fail "something sets UPDATE_GOLDEN"
exit 0
