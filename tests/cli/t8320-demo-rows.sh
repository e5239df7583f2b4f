# A demo section's own "rows" (the null baseline: random seeds) are appended to the
# experiment's rows on the demo set only: the paper's plan of table2 lists exactly the
# file's four rows per model, the demo plan those four and the five random seeds, each a
# quantize+eval and a kld job on TinyStories-656K and unreachable on stories260K; a malformed
# or clashing demo row, or a "paired_tests" other than "all" or "budget", is a one-line
# error (exit 2).
. tests/cli/lib.sh
paper_rows=$(json_get experiments/table2.json "len(j['rows'])")
demo_rows=$(json_get experiments/table2.json "len(j['demo']['rows'])")
[ "$paper_rows" -eq 4 ] && [ "$demo_rows" -eq 5 ] || fail "table2 has $paper_rows rows, $demo_rows demo rows"

"$BB" run experiments/table2.json --dry-run --results "$TMP/r1" > "$TMP/paper.txt" 2>&1 ||
	fail "paper dry run"
grep -q "Random" "$TMP/paper.txt" && fail "the paper's plan has a random row"
[ "$(grep -c "^Qwen3-8B .* eval " "$TMP/paper.txt")" -eq 1 ] || fail "paper BF16 eval rows"

SHARED="$SHARED" "$BB" run experiments/table2.json --demo --dry-run --results "$TMP/r2" \
	> "$TMP/demo.txt" 2>&1 || fail "demo dry run"
for seed in 1 2 3 4 5; do
	grep -q "^TinyStories-656K *Random seed $seed *quantize+eval *5.0000 .* to do" "$TMP/demo.txt" ||
		fail "no eval job for seed $seed"
	grep -q "^TinyStories-656K *Random seed $seed *kld *5.0000 .* to do" "$TMP/demo.txt" ||
		fail "no kld job for seed $seed"
	grep -q "^stories260K *Random seed $seed .* unreachable" "$TMP/demo.txt" ||
		fail "seed $seed not unreachable on stories260K"
done
[ "$(grep -c "^TinyStories-656K .*quantize+eval" "$TMP/demo.txt")" -eq 8 ] ||
	fail "TinyStories-656K should have 3 + 5 quantized rows"

bad() { # NAME PYTHON-EDIT PATTERN: table2 edited, then refused with one line naming PATTERN
	python3 -c "import json,sys; j=json.load(open('experiments/table2.json')); $2; json.dump(j, open(sys.argv[1], 'w'))" "$TMP/$1.json"
	expect_error "$3" "$TMP/none-$1" env SHARED="$SHARED" "$BB" run "$TMP/$1.json" --demo \
		--dry-run --results "$TMP/r-$1"
}
bad empty "j['demo']['rows'] = []" "'demo: rows' must be a non-empty list"
bad clash "j['demo']['rows'][0]['label'] = 'Ours'" "demo: rows\[0\]: label 'Ours' is used twice"
bad nobits "del j['demo']['rows'][2]['avg_bits']" "demo: rows\[2\]: 'avg_bits' must be a number"
bad tests "j['paired_tests'] = 'some'" "'paired_tests' must be \"all\" or \"budget\""
exit 0
