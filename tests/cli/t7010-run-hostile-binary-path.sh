# run: the program's own path reaches GNU Parallel's jobs as one word. bitbudget is
# copied into folders named like shell code (`a;touch ...;`, and one with spaces, $(...),
# backquotes and both quotes) and runs a one-row experiment through parallel from there:
# no command hidden in the path runs, and the result is there.
. tests/cli/lib.sh
python3 - > "$TMP/bf16.json" <<'PY'
import json, sys
exp = json.load(open("tests/fixtures/experiments/demo-mini.json"))
exp["name"] = "bf16-only"
exp["rows"] = exp["rows"][:1]
json.dump(exp, sys.stdout)
PY
n=0
for dir in "a;touch $TMP/pwned-1;" "b \$(touch $TMP/pwned-2) \`touch $TMP/pwned-3\` 'q\" c"; do
	n=$((n + 1))
	mkdir -p "$TMP/bin$n/$dir"
	cp "$BB" "$TMP/bin$n/$dir/bitbudget"
	"$TMP/bin$n/$dir/bitbudget" run "$TMP/bf16.json" --demo --limit 2 --results "$TMP/results$n" \
		--reports "$TMP/reports$n" --plots "$TMP/plots$n" --scratch "$TMP/scratch$n" \
		> "$TMP/out$n" 2> "$TMP/err$n" || { cat "$TMP/err$n"; fail "run from '$dir'"; }
	[ -z "$(find "$TMP" -maxdepth 1 -name 'pwned*')" ] || fail "the path '$dir' ran a command"
	[ "$(ls "$TMP/results$n/cache" | grep -c '\.json$')" -eq 1 ] || fail "no result from '$dir'"
	grep -q '^| BF16 | 0\.[0-9]\{4\} (100\.0%) |$' "$TMP/reports$n/bf16-only.md" || fail "report from '$dir'"
done
