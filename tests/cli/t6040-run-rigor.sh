# run: the rigor features end to end on the demo set (embedded engine, proxy scores, the
# first 12 documents): per-document samples kept in every result with the recipe's
# SHA-256, recipes with manifests naming the scores and their calibration file, the report
# with every accounting, paired significance, daggers and the proxy table, and the
# frontier and proxy pictures.
. tests/cli/lib.sh
$BB run tests/fixtures/experiments/rigor-mini.json --demo --limit 12 --score-method deltaloss \
	--nsamples 2 --seqlen 32 --results "$TMP/results" --reports "$TMP/reports" \
	--plots "$TMP/plots" --scratch "$TMP/scratch" > "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err"; fail "run"; }
MD="$TMP/reports/rigor-mini.md"
RECIPE=$(ls "$TMP/results/recipes/rigor-mini/tinystories-656k/"ours-*.json) # named by content
python3 - "$TMP/results" "$TMP/reports/rigor-mini.csv" "$RECIPE" <<'PY' || fail "results, recipes and CSV"
import csv, hashlib, json, os, sys
results, rows, recipe = sys.argv[1], list(csv.DictReader(open(sys.argv[2]))), sys.argv[3]
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
for r in rows:
    res = json.load(open(os.path.join(results, "cache", r["key"] + ".json")))
    samples = res["lm_eval"]["samples"]
    assert len(samples["story_cloze"]) == 12 and all(s["acc"] in (0, 1) for s in samples["story_cloze"])
    assert res["log_samples"] is True
    if r["strategy"] == "bf16":
        assert r["recipe_sha256"] == "" and res["recipe_sha256"] == "bf16"
    else:  # result and CSV cell both name the recipe file they came from
        assert r["recipe_sha256"] == res["recipe_sha256"] == sha(res["recipe"]), r
    assert r["bits_weights"] and r["bits_scales_zp"]
m = json.load(open(recipe))["manifest"]
scores = [f for f in os.listdir(os.path.join(results, "scores")) if f.endswith(".json")][0]
assert m["scores"]["sha256"] == sha(os.path.join(results, "scores", scores))
assert m["scores"]["calib_sha256"] == sha("experiments/calibration/default.txt")
assert m["scores"]["method"] == "deltaloss" and m["scores"]["nsamples"] == 2 and m["scores"]["seqlen"] == 32
assert m["solver"]["optimum"] >= 0
head = [r for r in rows if r["strategy"] == "head"][0]
assert head["vs_ours"] == "Ours" and head["ci_lo"] and head["p_bootstrap"], head
PY
grep -q '^### Average bits under each accounting$' "$MD" || fail "accounting table"
grep -q '^| TinyStories-656K | Head 8-bit | 5.0000 | 5.2500 | 5.2500 | n/a | [0-9a-f]\{12\} |$' "$MD" || fail "accounting row"
grep -q '^| Ours − BF16 | [-+]0\.[0-9]\{4\} | \[[-+]0\.[0-9]\{4\}, [-+]0\.[0-9]\{4\}\] | ' "$MD" || fail "significance row"
grep -q 'story_cloze [0-9]*/[0-9]* p=' "$MD" || fail "McNemar"
grep -q '^Spearman ρ' "$MD" || fail "Spearman"
grep -q 'not significantly different from Ours' "$MD" || fail "dagger footnote"
for f in frontier-tinystories-656k proxy-vs-accuracy-tinystories-656k; do
	[ -s "$TMP/plots/$f.png" ] && [ -s "$TMP/plots/$f.svg" ] || fail "no $f picture"
done
