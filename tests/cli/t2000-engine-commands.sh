# generate, loglik and scores on the shared TinyStories model, and their bad inputs.
. tests/cli/lib.sh
# From the BOS token alone the model writes its first training-style sentence (SOURCE.md).
$BB generate --model "$TINY" --max-tokens 16 > "$TMP/gen" 2>/dev/null || fail generate
grep -q '^Once upon a time, there was a little girl named Lily\.' "$TMP/gen" || fail "greedy text: $(cat "$TMP/gen")"
# loglik: JSON with a negative log-probability, one token, and " She" is not the greedy
# continuation (the float64 reference of t7600 gives -6.1203 and is_greedy false; t7600
# also checks greedy continuations both ways).
$BB loglik --model "$TINY" --context "Lily was happy." --continuation " She" > "$TMP/ll" || fail loglik
[ "$(json_get "$TMP/ll" "abs(j['logprob'] + 6.1203) < 1e-3, j['n_tokens'], j['is_greedy']")" = "True 1 False" ] || fail "loglik JSON: $(cat "$TMP/ll")"
$BB loglik --model "$TINY" --rolling "Once upon a time, there was a little girl named Lily." > "$TMP/roll" || fail rolling
# bits per byte and perplexities agree with the summed log-probability
[ "$(json_get "$TMP/roll" "abs(j['bits_per_byte'] + j['logprob'] / (j['n_bytes'] * 0.6931471805599453)) < 1e-9, abs(j['token_perplexity'] - 2.718281828459045 ** (-j['logprob'] / j['n_tokens'])) < 1e-6 * j['token_perplexity']")" = "True True" ] || fail "rolling metrics"
# scores -> recipe --strategy sensitivity at 5 bits: the README's sequence.
$BB scores --model "$TINY" --options MXFP4,MXFP8 --nsamples 4 --seqlen 64 -o "$TMP/scores.json" 2>/dev/null || fail scores
[ "$(json_get "$TMP/scores.json" "len(j['scores']), sorted(j['options']), all(v['MXFP4'] >= v['MXFP8'] >= 0 for v in j['scores'].values())")" = "14 ['MXFP4', 'MXFP8'] True" ] || fail "scores content"
$BB recipe --model "$TINY" --strategy sensitivity --scores "$TMP/scores.json" --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/ours.json" 2>/dev/null || fail "sensitivity recipe"
[ "$(json_get "$TMP/ours.json" "j['achieved_avg_bits'] <= 5, j['strategy']")" = "True sensitivity" ] || fail "recipe from scores"
$BB scores --model "$TINY" --options MXFP4,MXFP8 --method proxy -o "$TMP/proxy.json" 2>/dev/null || fail "proxy scores"
# Bad inputs: one line, non-zero exit, no output.
mkdir "$TMP/notok" && cp "$TINY/config.json" "$TINY/model.safetensors" "$TMP/notok/"
expect_error "tokenizer.json': cannot open" "$TMP/none" $BB generate --model "$TMP/notok" --max-tokens 3
: > "$TMP/empty.txt"
expect_error "the calibration text is empty" "$TMP/s2.json" $BB scores --model "$TINY" --options MXFP4,MXFP8 --calib "$TMP/empty.txt" -o "$TMP/s2.json"
expect_error "longer than the model's 512" "$TMP/none" $BB loglik --model "$TINY" --context "$(python3 -c "print('word ' * 3000)")" --continuation " end"
mkdir "$TMP/gelu" && sed 's/"silu"/"gelu"/' "$TINY/config.json" > "$TMP/gelu/config.json" && cp "$TINY/model.safetensors" "$TINY/tokenizer.json" "$TMP/gelu/"
expect_error "hidden_act" "$TMP/none" $BB generate --model "$TMP/gelu" --max-tokens 3
mkdir "$TMP/shape" && sed 's/"num_key_value_heads": 4/"num_key_value_heads": 8/' "$TINY/config.json" > "$TMP/shape/config.json" && cp "$TINY/model.safetensors" "$TINY/tokenizer.json" "$TMP/shape/"
expect_error "k_proj.weight' has shape" "$TMP/none" $BB generate --model "$TMP/shape" --max-tokens 3
