# Long strings reach their destination whole, or fail with one line saying what is too
# long: never cut short silently (the fixed buffers they went through before cut them at
# 256, 512 or 2,048 bytes). recipe -o into a folder 3,000 characters deep, in both its
# folder and its {bits} form; a pin's regex and --model longer than a recipe holds; a
# scores --options list past 512 bytes; an --endpoint URL past 256; a recipe's path of
# 400 characters in its error; a tokenizer.json field nested 25 Sequences deep.
. tests/cli/lib.sh
long="$TMP"
while [ ${#long} -lt 3000 ]; do
	long="$long/$(printf 'd%.0s' $(seq 200))"
done
mkdir -p "$long" || fail "cannot make the long folder"
recipe() {
	$BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 5 "$@"
}

# recipe -o: the folder form and the {bits} form, the whole path
recipe -o "$TMP/short.json" 2>/dev/null || fail "recipe to a short path"
recipe -o "$long/" 2>"$TMP/err" || { cat "$TMP/err"; fail "recipe -o a long folder"; }
cmp "$TMP/short.json" "$long/head-5.json" || fail "no head-5.json in the long folder"
recipe -o "$long/r-{bits}-{bits}.json" 2>"$TMP/err" || { cat "$TMP/err"; fail "recipe -o {bits}"; }
cmp "$TMP/short.json" "$long/r-5-5.json" || fail "{bits} under the long folder"

# a pin's regex longer than 255 bytes, and a --model longer than a recipe's 255: one line
regex=$(printf 'x%.0s' $(seq 300))
expect_error "the regex is longer than 255 bytes" "$TMP/pin.json" \
	recipe --pin "$regex=MXFP8" -o "$TMP/pin.json"
ln -s "$(cd "$TINY" && pwd)" "$long/model" || fail "cannot link the model"
expect_error "^error: --model '.*/model' is longer than the 255 bytes a recipe holds$" \
	"$TMP/model.json" $BB recipe --model "$long/model" --strategy head \
	--options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/model.json"

# scores --options: the whole list is read (MXFP9 sits past byte 512)
commas=$(printf ',%.0s' $(seq 600))
expect_error "MXFP9" "$TMP/scores.json" $BB scores --model "$TINY" \
	--options "MXFP4${commas}MXFP9" --method proxy -o "$TMP/scores.json"

# eval --endpoint: the whole URL is used (nothing listens on port 1)
url="http://127.0.0.1:1/$(printf 'u%.0s' $(seq 300))/END"
expect_error "endpoint 'http://127.0.0.1:1/u*/END': POST /v1/jobs: " "$TMP/eval.json" \
	$BB eval --endpoint "$url" --tries 1 --model m --tasks piqa -o "$TMP/eval.json"

# a recipe's error names its whole path (it was cut at 280 characters)
deep="$TMP/$(printf 'p%.0s' $(seq 180))/$(printf 'q%.0s' $(seq 180))"
mkdir -p "$deep" && echo '{' > "$deep/bad-recipe.json"
expect_error "^error: '$deep/bad-recipe.json': not valid JSON$" "$TMP/q" \
	$BB quantize --model "$TINY" --recipe "$deep/bad-recipe.json" --out "$TMP/q"

# tokenizer.json: a Replace without content 25 Sequences deep; the message names the field
# by its whole path (it was cut at 255 bytes, ".content" lost)
mkdir "$TMP/tok"
for f in config.json model.safetensors tokenizer_config.json; do
	ln -s "$(cd "$TINY" && pwd)/$f" "$TMP/tok/$f"
done
python3 - "$TINY/tokenizer.json" "$TMP/tok/tokenizer.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
step = {"type": "Replace", "pattern": {"String": " "}}
for _ in range(25):
    step = {"type": "Sequence", "normalizers": [step]}
t["normalizer"] = step
json.dump(t, open(sys.argv[2], "w"))
PY
field="normalizer$(printf '.normalizers\\[0\\]%.0s' $(seq 25)).content is missing"
expect_error "tokenizer.json': $field$" "$TMP/gen.out" \
	$BB generate --model "$TMP/tok" --max-tokens 1
