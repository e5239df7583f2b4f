# The bad-input catalogue of the core: each input gives a one-line error naming what is
# wrong, a non-zero exit, and no output file (recipe -o and quantize --out both checked).
. tests/cli/lib.sh
broken_model() { # broken_model KIND: a copy of tinystories with a corrupted safetensors file
	mkdir -p "$TMP/$1"
	cp "$TINY/config.json" "$TINY/tokenizer.json" "$TMP/$1/"
	$BB_TEST_TOOL corrupt "$TINY/model.safetensors" "$TMP/$1/model.safetensors" "$1" || fail "corrupt $1"
}
both() { # both PATTERN MODEL [RECIPE-OPTIONS]: recipe and quantize must refuse
	expect_error "$1" "$TMP/out.json" $BB recipe --model "$2" --strategy pure --options MXFP4,MXFP8 --avg-bits 4 -o "$TMP/out.json"
	expect_error "$1" "$TMP/qout" $BB quantize --model "$2" --recipe "$TMP/good.json" --out "$TMP/qout"
}
$BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/good.json" 2>/dev/null || fail "good recipe"

broken_model truncate;            both "tensor '.*' ends at byte .* past the data section" "$TMP/truncate"
broken_model offset-out-of-range; both "tensor 'lm_head.weight' ends at byte 2624064, past the data section" "$TMP/offset-out-of-range"
broken_model overlap;             both "overlap" "$TMP/overlap"
broken_model unknown-dtype;       both "unknown dtype 'F12'" "$TMP/unknown-dtype"
broken_model wrong-size;          both "holds 1048576 bytes but its shape and dtype need 1049088" "$TMP/wrong-size"
broken_model bad-json;            both "header is not a JSON object" "$TMP/bad-json"
broken_model header-too-long;     both "header length .* is out of bounds" "$TMP/header-too-long"

# config.json problems
mkdir "$TMP/nohidden" && grep -v hidden_size "$TINY/config.json" > "$TMP/nohidden/config.json"
both "missing key 'hidden_size'" "$TMP/nohidden"
mkdir "$TMP/gpt2" && sed 's/"llama"/"gpt2"/' "$TINY/config.json" > "$TMP/gpt2/config.json"
both "model_type 'gpt2' is not supported" "$TMP/gpt2"
mkdir "$TMP/shape" && sed 's/"intermediate_size": 384/"intermediate_size": 256/' "$TINY/config.json" > "$TMP/shape/config.json"
ln -s "$(cd "$TINY" && pwd)/model.safetensors" "$TMP/shape/model.safetensors"
both "tensor 'model.layers.0.mlp.gate_proj.weight' has shape \[384, 128\] but config.json implies \[256, 128\]" "$TMP/shape"
mkdir "$TMP/notjson" && echo '{"model_type": "llama",' > "$TMP/notjson/config.json"
both "config.json': not valid JSON" "$TMP/notjson"
both "No such file or directory" "$TMP/does-not-exist"

# options and budgets
expect_error "unknown format 'MXFP5'" "$TMP/o.json" $BB recipe --model "$TINY" --strategy pure --options MXFP4,MXFP5 --avg-bits 4 -o "$TMP/o.json"
expect_error "average of 3.5 bits is infeasible: these options reach 4.0000 to 8.0000" "$TMP/o.json" $BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 3.5 -o "$TMP/o.json"
expect_error "average of 8.01 bits is infeasible" "$TMP/o.json" $BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 8.01 -o "$TMP/o.json"
expect_error "unknown strategy 'greedy'" "$TMP/o.json" $BB recipe --model "$TINY" --strategy greedy --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o.json"
expect_error "'abc' is not a number" "$TMP/o.json" $BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits abc -o "$TMP/o.json"
expect_error "option MXFP4 is given twice" "$TMP/o.json" $BB recipe --model "$TINY" --strategy head --options MXFP4,mxfp4 --avg-bits 4 -o "$TMP/o.json"
expect_error "--threads: '0' is not an integer" "$TMP/qout" $BB quantize --model "$TINY" --recipe "$TMP/good.json" --out "$TMP/qout" --threads 0

# scores files
printf '{"options": ["MXFP4", "MXFP8"], "scores": {"model.layers.0.self_attn.q_proj": {"MXFP4": -1, "MXFP8": 0}}}' > "$TMP/neg.json"
expect_error "needs a finite score >= 0 for MXFP4" "$TMP/o.json" $BB recipe --model "$TINY" --strategy sensitivity --scores "$TMP/neg.json" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o.json"
printf '{"options": ["MXFP4", "MXFP8"], "scores": {"model.layers.0.self_attn.q_proj": {"MXFP4": 1, "MXFP8": 0}}}' > "$TMP/partial.json"
expect_error "scores have no entry for layer 'model.layers.0.self_attn.k_proj'" "$TMP/o.json" $BB recipe --model "$TINY" --strategy sensitivity --scores "$TMP/partial.json" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o.json"
printf '{"options": ["MXFP4"' > "$TMP/trunc.json"
expect_error "not valid JSON" "$TMP/o.json" $BB recipe --model "$TINY" --strategy sensitivity --scores "$TMP/trunc.json" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o.json"

# recipes
printf '{"layers": ' > "$TMP/r-trunc.json"
expect_error "not valid JSON" "$TMP/qout" $BB quantize --model "$TINY" --recipe "$TMP/r-trunc.json" --out "$TMP/qout"
sed 's/"MXFP8"/"MXFP9"/' "$TMP/good.json" > "$TMP/r-format.json"
expect_error "unknown format 'MXFP9'" "$TMP/qout" $BB quantize --model "$TINY" --recipe "$TMP/r-format.json" --out "$TMP/qout"
grep -v 'model.layers.0.self_attn.k_proj' "$TMP/good.json" | python3 -c "
import json,sys; r=json.load(open('$TMP/good.json')); del r['layers']['model.layers.0.self_attn.k_proj']; json.dump(r, open('$TMP/r-missing.json','w'))"
expect_error "recipe has no entry for layer 'model.layers.0.self_attn.k_proj'" "$TMP/qout" $BB quantize --model "$TINY" --recipe "$TMP/r-missing.json" --out "$TMP/qout"
python3 -c "
import json; r=json.load(open('$TMP/good.json')); r['layers']['model.layers.0.mlp.up_proj']={'weight':'W4G128','act':'MXFP4'}; json.dump(r, open('$TMP/r-act.json','w'))"
expect_error "MX activations need an MX weight" "$TMP/qout" $BB quantize --model "$TINY" --recipe "$TMP/r-act.json" --out "$TMP/qout"
