# Long paths: a folder 3,000 characters deep (nested names of 200 characters; the kernel
# takes 4,096) works through `quantize --out` and `run --results/--reports/--plots/--scratch`
# exactly as a short one: the same weights, the same result key, the same report. Nothing
# is cut short silently. A path past the kernel's limit fails with one line saying so.
. tests/cli/lib.sh
long="$TMP"
while [ ${#long} -lt 3000 ]; do
	long="$long/$(printf 'd%.0s' $(seq 200))"
done
mkdir -p "$long" || fail "cannot make the long folder"

# quantize --out: the long folder holds the same checkpoint as a short one
$BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 5 \
	-o "$TMP/head.json" 2>/dev/null || fail recipe
$BB quantize --model "$TINY" --recipe "$TMP/head.json" --out "$TMP/q-short" 2>/dev/null ||
	fail "quantize to a short folder"
$BB quantize --model "$TINY" --recipe "$TMP/head.json" --out "$long/q" 2> "$TMP/err" ||
	{ cat "$TMP/err"; fail "quantize to a folder 3,000 characters long"; }
cmp "$TMP/q-short/model.safetensors" "$long/q/model.safetensors" ||
	fail "the long folder's checkpoint differs"

# run: every output folder 3,000 characters long; the same result as a short run
python3 - > "$TMP/bf16.json" <<'PY'
import json, sys
exp = json.load(open("tests/fixtures/experiments/demo-mini.json"))
exp["name"] = "bf16-only"
exp["rows"] = exp["rows"][:1]
json.dump(exp, sys.stdout)
PY
for where in "$TMP/short" "$long/run"; do
	$BB run "$TMP/bf16.json" --demo --limit 2 --results "$where/results" \
		--reports "$where/reports" --plots "$where/plots" --scratch "$where/scratch" \
		> /dev/null 2> "$TMP/err" || { cat "$TMP/err" >&2; fail "run with outputs under '$where'"; }
done
ls "$TMP/short/results/cache" > "$TMP/keys-short"
ls "$long/run/results/cache" > "$TMP/keys-long"
[ "$(grep -c '\.json$' "$TMP/keys-short")" -eq 1 ] || fail "no result from the short run"
cmp "$TMP/keys-short" "$TMP/keys-long" || fail "the long run's result key differs"
# the same report but for its date (the two runs may fall in different minutes)
grep -v '^- date: ' "$TMP/short/reports/bf16-only.md" > "$TMP/report-short"
grep -v '^- date: ' "$long/run/reports/bf16-only.md" > "$TMP/report-long"
grep -q '^| BF16 | 0\.[0-9]\{4\} (100\.0%) |$' "$TMP/report-short" || fail "no BF16 row in the report"
cmp "$TMP/report-short" "$TMP/report-long" || fail "the long run's report differs"
[ -s "$long/run/plots/data/bf16-only-means.dat" ] || fail "no plot data under the long folder"

# past the kernel's limit (4,096): one line with the reason (the message keeps the ends of
# an overlong path, core/error.c), non-zero, nothing written
toolong="$long"
while [ ${#toolong} -lt 4200 ]; do
	toolong="$toolong/$(printf 'e%.0s' $(seq 200))"
done
expect_error "\.\.\.[e/]*/q': File name too long$" "$toolong/q" \
	$BB quantize --model "$TINY" --recipe "$TMP/head.json" --out "$toolong/q"
