#!/bin/sh
# t5040: the rest of the bad-input catalogue (docs/reliability.md; t1300 has the core's):
# each input gives one error line naming what is wrong, a non-zero exit and no output
# file. Config sizes that would overflow (found by fuzz/fuzz_config.c), the evaluation
# client's environment and endpoint failures, task data, experiment files, AutoRound
# recipes, and the server's options.
. tests/cli/lib.sh
O="$TMP/o.json"

# ---- config.json sizes (fuzz/regressions/fuzz_config/) ----
for f in layers-times-7-overflows-int params-overflow-int64; do
	mkdir "$TMP/$f" && cp "fuzz/regressions/fuzz_config/$f.json" "$TMP/$f/config.json"
done
expect_error "num_hidden_layers 400000000 is more than 65536" "$O" \
	$BB recipe --model "$TMP/layers-times-7-overflows-int" --strategy pure --options MXFP4 --avg-bits 4 -o "$O"
expect_error "these sizes make 4.4e+19 parameters, more than 1e+15" "$O" \
	$BB recipe --model "$TMP/params-overflow-int64" --strategy pure --options MXFP4 --avg-bits 4 -o "$O"

# ---- the evaluation client ----
BB_EVAL_TIMEOUT=abc expect_error "BB_EVAL_TIMEOUT: 'abc' is not an integer in \[1, 86400\]" "$O" \
	$BB eval --endpoint local --model "$TINY" --tasks piqa -o "$O"
BB_EVAL_RETRY_FOR=-1 expect_error "BB_EVAL_RETRY_FOR: '-1' is not a number" "$O" \
	$BB eval --endpoint local --model "$TINY" --tasks piqa -o "$O"
BB_EVAL_TRIES=0 expect_error "BB_EVAL_TRIES: '0' is not an integer" "$O" \
	$BB eval --endpoint local --model "$TINY" --tasks piqa -o "$O"
expect_error "POST /v1/jobs: Couldn't connect to server (gave up after 1 tries" "$O" \
	$BB eval --endpoint http://127.0.0.1:1 --tries 1 --model tiny --tasks piqa -o "$O"
expect_error "submitting the job: HTTP 400: unknown task 'boolq'" "$O" \
	$BB eval --endpoint local --model "$TINY" --tasks boolq -q -o "$O"
expect_error "eval: --tasks: 'piqa' is given twice" "$O" \
	$BB eval --endpoint local --model "$TINY" --tasks piqa,piqa -o "$O"

# ---- task data (through the local endpoint) ----
expect_error "bad_type.json': \"type\" must be \"multiple_choice\", \"cloze\" or \"perplexity\"" "$O" \
	$BB eval --endpoint local --model "$TINY" --tasks tests/fixtures/tasks/custom/bad_type.json -q -o "$O"
expect_error "piqa.validation.jsonl' line 3: field 'sol2' is missing or not a string" "$O" \
	$BB eval --endpoint local --model "$TINY" --tasks piqa --data-dir tests/fixtures/tasks/bad_row -q -o "$O"
expect_error "piqa.validation.jsonl' line 2: malformed JSON" "$O" \
	$BB eval --endpoint local --model "$TINY" --tasks piqa --data-dir tests/fixtures/tasks/bad_json -q -o "$O"

# A label far outside int (fuzz/regressions/fuzz_task_rows/): converting it was undefined.
mkdir "$TMP/huge_label"
tail -c +2 fuzz/regressions/fuzz_task_rows/label-1e98-overflows-int.jsonl > "$TMP/huge_label/piqa.validation.jsonl"
expect_error "piqa.validation.jsonl' line 1: field 'label' is 1e+98, not an integer in \[0, 1\]" "$O" \
	$BB eval --endpoint local --model "$TINY" --tasks piqa --data-dir "$TMP/huge_label" -q -o "$O"

# ---- a result that breaks lm-eval's schema (the fault endpoint, faulting results only) ----
: > "$TMP/ep.out"
python3 tests/fault/fault_endpoint.py --port 0 --fault-rate 0 --result-fault schema \
	--job-seconds 0 > "$TMP/ep.out" 2> "$TMP/ep.err" &
EP_PID=$!
trap 'kill $EP_PID 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
until URL=$(sed -n 's/^listening on //p' "$TMP/ep.out") && [ -n "$URL" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the fault endpoint did not start"; sleep 0.1
done
expect_error "endpoint: the result has no 'results' object (not lm-eval's results schema)" "$O" \
	$BB eval --endpoint "$URL" --model tiny --tasks piqa -q -o "$O"
kill $EP_PID

# ---- experiment files ----
exp() { # exp NAME PYTHON: demo-mini.json changed by PYTHON (on e) into $TMP/NAME.json
	python3 -c "import json; e = json.load(open('tests/fixtures/experiments/demo-mini.json')); $2; json.dump(e, open('$TMP/$1.json', 'w'))"
}
exp dup "e['rows'].append({'label': 'BF16', 'strategy': 'bf16'})"
exp bits "e['rows'][1]['avg_bits'] = 0"
exp dir "e['models'][0]['dir'] = '../x'"
exp opts "e['options'] = ['MXFP4'] * 9"
exp demo "e['demo']['model'] = 'nope'"
expect_error "rows\[3\]: label 'BF16' is used twice" "$TMP/x" $BB run "$TMP/dup.json" --paper --dry-run --results "$TMP/res"
expect_error "rows\[1\]: 'avg_bits' must be a number in (0, 16\]" "$TMP/x" $BB run "$TMP/bits.json" --paper --dry-run --results "$TMP/res"
expect_error "models\[0\]: 'dir' must be a plain folder name" "$TMP/x" $BB run "$TMP/dir.json" --paper --dry-run --results "$TMP/res"
expect_error "'options' must list 1 to 8 formats" "$TMP/x" $BB run "$TMP/opts.json" --paper --dry-run --results "$TMP/res"
expect_error "demo model 'nope' not found in MODEL_ROOT, models/ or" "$TMP/x" $BB run "$TMP/demo.json" --demo --dry-run --results "$TMP/res"

# ---- an AutoRound layer_config with a format bitbudget does not have ----
printf '{"model.layers.0.mlp.up_proj": {"bits": 3, "data_type": "mx_fp", "group_size": 32}}' > "$TMP/ar.json"
expect_error "layer 'model.layers.0.mlp.up_proj': unknown format 'MXFP3'" "$TMP/q" \
	$BB quantize --model "$TINY" --recipe "$TMP/ar.json" --out "$TMP/q"

# ---- the server's options ----
expect_error "--request-timeout: '0' is not an integer in \[1, 86400\]" "$TMP/none" \
	$BB serve --models-root "$TMP" --request-timeout 0
expect_error "models root '$TMP/nowhere': not a folder" "$TMP/none" $BB serve --models-root "$TMP/nowhere" --port 0
expect_error "max-body: '10' is not an integer" "$TMP/none" $BB serve --models-root "$TMP" --max-body 10

# ---- tokenizer.json (the fixtures of tests/unit/test_tokenizer.c, through the CLI) ----
for k in bad_json:"invalid json near byte 44" unigram:"model.type 'Unigram' is not supported (only BPE)" \
	wordpiece:"model.type 'WordPiece' is not supported" bad_merge:"model.merges\[1\] is not a string or a pair of strings" \
	bad_pretok:"pre_tokenizer.type 'BertPreTokenizer' is not supported"; do
	d="$TMP/tok-${k%%:*}"
	mkdir "$d"
	cp "$TINY/config.json" "$d/"
	ln -s "$(cd "$TINY" && pwd)/model.safetensors" "$d/model.safetensors"
	cp "tests/fixtures/tokenizer/${k%%:*}/tokenizer.json" "$d/"
	expect_error "tokenizer.json': ${k#*:}" "$TMP/none" $BB generate --model "$d" --prompt hi --max-tokens 1
done
