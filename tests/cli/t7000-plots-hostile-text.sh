# run and report: text from the experiment file never runs anything. A title with
# backquotes, a row label that closes gnuplot's double quotes and calls system(), a model
# display name with backquotes (each would touch a file in the test's folder), and an
# experiment name that closes a shell quote (refused as a name) go through `bitbudget run` on the demo
# set and `bitbudget report`: no file is touched, and the pictures show the text as it is.
# bitbudget runs in $TMP/w/run, where a relative `touch` would land (../shared, as the
# in-process endpoint's default task data, is a link to the shared folder).
. tests/cli/lib.sh
SHARED_ABS=$(cd "$SHARED" && pwd)
mkdir -p "$TMP/w/run" && ln -s "$SHARED_ABS" "$TMP/w/shared"
python3 - "$TMP" > "$TMP/hostile.json" <<'PY'
import json, os, sys
tmp = sys.argv[1]
exp = json.load(open("tests/fixtures/experiments/demo-mini.json"))
exp["demo"]["tasks"] = [os.path.abspath(t) for t in exp["demo"]["tasks"]]
exp["name"] = "n'$(touch pwned-name)'"
exp["title"] = "Title `touch %s/pwned-title` end" % tmp
exp["rows"] = [
    {"label": "BF16 @x {/Symbol a}", "strategy": "bf16"},
    {"label": 'H5" noenhanced; system("touch %s/pwned-label"); #' % tmp,
     "strategy": "head", "avg_bits": 5},
]
exp["demo"]["name"] = "M`touch %s/pwned-model`" % tmp
json.dump(exp, sys.stdout)
PY
NAME=n.hostile
LABEL="H5\" noenhanced; system(\"touch $TMP/pwned-label\"); #"
set -- "$TMP/hostile.json" --demo --limit 2 --results "$TMP/results" --reports "$TMP/reports" \
	--plots "$TMP/plots" --scratch "$TMP/scratch"
bb() { (cd "$TMP/w/run" && SHARED="$SHARED_ABS" $BB "$@"); }
no_command_ran() {
	[ -z "$(find "$TMP" -name 'pwned*')" ] || fail "$1 ran a command from the experiment: $(find "$TMP" -name 'pwned*')"
}
# An experiment name is one file name of a few safe characters (item 3): a shell quote in
# it is refused before anything runs or is written.
bb run "$@" > "$TMP/out" 2> "$TMP/err" && fail "run accepted the name n'\$(touch pwned-name)'"
grep -q "'name' must be one file name" "$TMP/err" || fail "name refusal: $(cat "$TMP/err")"
[ ! -e "$TMP/results" ] && [ ! -e "$TMP/plots" ] || fail "a refused run wrote files"
no_command_ran run
sed -i "s/\"name\": \"n'[^\"]*'\"/\"name\": \"$NAME\"/" "$TMP/hostile.json"
grep -q "\"name\": \"$NAME\"" "$TMP/hostile.json" || fail "could not rename the experiment"
bb run "$@" > "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err"; no_command_ran run; fail "run"; }
no_command_ran run
# The pictures exist and hold the text literally (SVG keeps " and ` as they are).
BARS="$TMP/plots/$NAME-bars.svg"
[ -s "$BARS" ] && [ -s "$TMP/plots/$NAME-bars.png" ] || fail "no bars picture: $(ls "$TMP/plots")"
grep -qF "Title \`touch $TMP/pwned-title\` end" "$BARS" || fail "title not shown literally"
grep -qF "$LABEL" "$BARS" || fail "label not shown literally"
grep -qF "BF16 @x {/Symbol a}" "$BARS" || fail "enhanced-text markup interpreted"
grep -qF "M\`touch $TMP/pwned-model\`" "$BARS" || fail "model name not shown literally"
grep -qF "$NAME: M\`touch" "$TMP/plots/$NAME-recipes-m-touch-tmp-"*".svg" || fail "recipe map title"
# report rewrites everything from the cache: again nothing runs.
rm -rf "$TMP/plots" "$TMP/reports"
bb report "$@" > "$TMP/out2" 2> "$TMP/err2" || { cat "$TMP/err2"; no_command_ran report; fail "report"; }
no_command_ran report
grep -qF "$LABEL" "$BARS" || fail "report: label not shown literally"
# The scripts hold the text only inside gnuplot strings: read back, each equals the input.
grep -qF "'H5\" noenhanced; system(\"touch $TMP/pwned-label\"); #'" "$TMP/plots/data/$NAME-bars.gp" ||
	fail "label not a single-quoted gnuplot string"
