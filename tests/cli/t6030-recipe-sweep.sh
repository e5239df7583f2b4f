# recipe --avg-bits START:STOP:STEP: one recipe per budget (inclusive) from one scores file
# in one call, named by -o PATTERN ({bits}) or into -o FOLDER; the knapsack's optimum can
# only fall as the budget grows; a budget that fails leaves no files at all.
. tests/cli/lib.sh
SCORES=tests/fixtures/scores/llama-3.1-8b-hand.json
sweep() { $BB recipe --model $LLAMA8B --strategy sensitivity --scores $SCORES --options MXFP4,MXFP8 "$@"; }
sweep --avg-bits 4.25:8:0.25 -o "$TMP/ours-{bits}.json" 2>/dev/null || fail "sweep"
[ "$(ls "$TMP" | grep -c '^ours-.*\.json$')" -eq 16 ] || { ls "$TMP"; fail "expected 16 recipes"; }
for b in 4.25 4.5 4.75 5 5.25 6 7.75 8; do [ -s "$TMP/ours-$b.json" ] || fail "no recipe for $b"; done
python3 - "$TMP" <<'PY' || fail "sweep content"
import json, os, sys
prev = None
for i in range(16):
    b = 4.25 + 0.25 * i
    name = f"ours-{b:g}.json"
    r = json.load(open(os.path.join(sys.argv[1], name)))
    assert r["target_avg_bits"] == b and r["achieved_avg_bits"] <= b + 1e-12, (name, r["achieved_avg_bits"])
    opt = r["manifest"]["solver"]["optimum"]
    assert prev is None or opt <= prev, (name, opt, prev)   # a larger budget never costs score
    prev = opt
assert prev == sum(v["MXFP8"] for v in json.load(open("tests/fixtures/scores/llama-3.1-8b-hand.json"))["scores"].values())
PY
# the same budgets one call at a time give the same files
sweep --avg-bits 5.25 -o "$TMP/one.json" 2>/dev/null || fail "single"
cmp "$TMP/one.json" "$TMP/ours-5.25.json" || fail "a sweep's recipe differs from the single one"
# into a folder: <strategy>-<bits>.json
mkdir "$TMP/dir"
$BB recipe --model $LLAMA8B --strategy head --options MXFP4,MXFP8 --avg-bits 4:5:0.5 -o "$TMP/dir" 2>/dev/null || fail "folder"
[ "$(ls "$TMP/dir" | tr '\n' ' ')" = "head-4.5.json head-4.json head-5.json " ] || fail "folder names: $(ls "$TMP/dir")"
# errors: nowhere to write, a bad range, an infeasible budget inside it (no file written)
expect_error "give -o a pattern with {bits} or a folder" "$TMP/x.json" sweep --avg-bits 4:5:0.5 -o "$TMP/x.json"
expect_error "give -o a pattern with {bits} or a folder" "$TMP/x.json" sweep --avg-bits 4:5:0.5
expect_error "STEP > 0 and STOP >= START" "$TMP/x.json" sweep --avg-bits 5:4:0.5 -o "$TMP/x.json"
expect_error "'4:5' is not B or START:STOP:STEP" "$TMP/x.json" sweep --avg-bits 4:5 -o "$TMP/x.json"
mkdir "$TMP/none"
expect_error "avg-bits 8.5: average of 8.5 bits is infeasible" "$TMP/none/x" sweep --avg-bits 7.5:8.5:0.5 -o "$TMP/none/s-{bits}.json"
[ -z "$(ls "$TMP/none")" ] || fail "a failed sweep left files"
