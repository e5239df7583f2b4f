# bitbudget kld on the shared models: the summary's fields, a model against itself is 0,
# MXFP4 is not, the reference is computed once and then read from the cache (its file
# untouched), rolling windows measure every token once, corrupted cache files and bad
# inputs are refused with one line naming what is wrong.
. tests/cli/lib.sh
KLD="$BB kld --cache $TMP/cache"

# ---- the model against itself: all zeros; the reference is computed ----
$KLD --model "$TINY" -o "$TMP/self.json" 2> "$TMP/self.err" || { cat "$TMP/self.err"; fail "kld self"; }
grep -q "computing the reference of 9297 tokens" "$TMP/self.err" || fail "no progress line: $(cat "$TMP/self.err")"
[ "$(json_get "$TMP/self.json" "j['reference'], j['n_documents'], j['n_tokens'], j['context'], sum(d['n_tokens'] for d in j['documents'])")" = "computed 33 9297 512 9297" ] || fail "self header: $(head -c 600 "$TMP/self.json")"
[ "$(json_get "$TMP/self.json" "[j['summary'][k] for k in ('mean_kld', 'se_kld', 'median_kld', 'p90_kld', 'p99_kld', 'max_kld', 'mean_delta_logprob')], j['summary']['top1_agreement_pct'], j['summary']['perplexity_ratio']")" = "[0, 0, 0, 0, 0, 0, 0] 100 1" ] || fail "self is not zero: $(json_get "$TMP/self.json" "j['summary']")"
# the default evaluation text shares no 13-gram with the calibration text
[ "$(json_get "$TMP/self.json" "j['overlap']['n'], j['overlap']['shared_token_ngrams'], j['overlap']['shared_word_ngrams'], j['overlap']['text_token_ngrams'] > 8000")" = "13 0 0 True" ] || fail "overlap: $(json_get "$TMP/self.json" "j['overlap']")"
ref=$(json_get "$TMP/self.json" "j['reference_file']")
[ "$ref" = "$TMP/cache/$(json_get "$TMP/self.json" "j['reference_key']").bin" ] || fail "reference file $ref"
# 152-byte header, then 9297 positions of 2048 float32 logits
[ "$(stat -c %s "$ref")" = $((152 + 9297 * 2048 * 4)) ] || fail "reference size $(stat -c %s "$ref")"

# ---- a second run reads the cache: "cached", the file not rewritten ----
touch -d @1000000000 "$ref"
$KLD --model "$TINY" -o "$TMP/self2.json" 2> "$TMP/self2.err" || fail "kld self, cached"
[ "$(json_get "$TMP/self2.json" "j['reference'], j['summary']['mean_kld']")" = "cached 0" ] || fail "second run: $(head -c 400 "$TMP/self2.json")"
[ "$(stat -c %Y "$ref")" = 1000000000 ] || fail "the cached reference was rewritten"
grep -q "computing" "$TMP/self2.err" && fail "recomputed the reference"

# ---- MXFP4 everywhere: the same reference, a positive KLD; the summary checked against
# its per-document parts (token-weighted means) ----
$BB recipe --model "$TINY" --strategy pure --options MXFP4,MXFP8 --avg-bits 4 -o "$TMP/pure.json" 2>/dev/null || fail "pure recipe"
$KLD --model "$TINY" --recipe "$TMP/pure.json" -o "$TMP/pure-kld.json" 2>/dev/null || fail "kld pure"
[ "$(json_get "$TMP/pure-kld.json" "j['reference'], j['reference_key'] == '$(json_get "$TMP/self.json" "j['reference_key']")'")" = "cached True" ] || fail "the recipe did not share the reference"
check=$(json_get "$TMP/pure-kld.json" "
(lambda s, d, n: (
  s['mean_kld'] > 0.01, s['top1_agreement_pct'] < 100, s['perplexity_ratio'] > 1,
  abs(s['mean_kld'] - sum(x['mean_kld'] * x['n_tokens'] for x in d) / n) < 1e-12,
  abs(s['top1_agreement_pct'] - sum(x['top1_agreement_pct'] * x['n_tokens'] for x in d) / n) < 1e-9,
  abs(s['perplexity_ratio'] - s['perplexity'] / s['ref_perplexity']) < 1e-12,
  abs(s['max_kld'] - max(x['max_kld'] for x in d)) < 1e-15,
  s['median_kld'] <= s['p90_kld'] <= s['p99_kld'] <= s['max_kld'],
  s['se_kld'] > 0 and s['se_kld_documents'] > 0))(j['summary'], j['documents'], j['n_tokens'])")
[ "$check" = "(True, True, True, True, True, True, True, True, True)" ] || fail "pure summary: $check"

# ---- windows: with a 32-token context every token is still measured once; with the
# model's whole context the reference's log-likelihood is loglik --rolling's; each
# context is a key of its own ----
printf 'Tom saw a big red ball in the park. He ran to it and kicked it very hard. The ball flew over the fence, and a dog ran after it. Tom laughed and called the dog back, and they played with the ball until the sun went down and it was time to go home for dinner.\n\n\nThe cat sat on the mat.\n' > "$TMP/two.txt"
$KLD --model "$TINY" --text "$TMP/two.txt" --context 32 -o "$TMP/two32.json" 2>/dev/null || fail "kld --context 32"
$KLD --model "$TINY" --text "$TMP/two.txt" -o "$TMP/two.json" 2>/dev/null || fail "kld two documents"
for doc in "$(sed -n 1p "$TMP/two.txt")" "The cat sat on the mat."; do
	$BB loglik --model "$TINY" --rolling "$doc"
done > "$TMP/two.ll" || fail "loglik --rolling"
check=$(python3 -c "
import json, math, sys
k32, k = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ll = [json.loads(l) for l in open(sys.argv[3])]
n = sum(x['n_tokens'] for x in ll); lp = sum(x['logprob'] for x in ll)
print(k['n_documents'], k32['n_tokens'] == k['n_tokens'] == n, max(x['n_tokens'] for x in ll) > 32,
      k32['context'], k32['summary']['mean_kld'], k32['reference_key'] != k['reference_key'],
      abs(math.log(k['summary']['ref_perplexity']) + lp / n) < 1e-6)" "$TMP/two32.json" "$TMP/two.json" "$TMP/two.ll")
[ "$check" = "2 True True 32 0 True True" ] || fail "windows: $check"
[ "$(ls "$TMP/cache" | wc -l)" = 3 ] || fail "expected three references: $(ls "$TMP/cache")"

# ---- stories260k: its own tokenizer, its own reference ----
$KLD --model "$S260" -o "$TMP/s260.json" 2>/dev/null || fail "kld stories260k"
[ "$(json_get "$TMP/s260.json" "j['reference'], j['summary']['mean_kld'], j['n_tokens'] > 8000")" = "computed 0 True" ] || fail "stories260k: $(head -c 400 "$TMP/s260.json")"

# ---- a corrupted or truncated cache file is an error naming it, never read ----
cp "$ref" "$TMP/ref.good"
printf '\001' | dd of="$ref" bs=1 seek=100000 conv=notrunc 2>/dev/null
expect_error "$ref': its logits do not match their SHA-256" "$TMP/bad.json" $KLD --model "$TINY" -o "$TMP/bad.json"
cp "$TMP/ref.good" "$ref" && truncate -s -4 "$ref"
expect_error "$ref': .* bytes, expected .* (truncated" "$TMP/bad.json" $KLD --model "$TINY" -o "$TMP/bad.json"
printf 'not a reference' > "$ref"
expect_error "$ref': shorter than the header" "$TMP/bad.json" $KLD --model "$TINY" -o "$TMP/bad.json"
cp "$TMP/ref.good" "$ref"
$KLD --model "$TINY" -o "$TMP/again.json" 2>/dev/null || fail "the restored reference"

# ---- bad input: one line, exit 2, no output ----
expect_error "--model is required" "$TMP/bad.json" $KLD -o "$TMP/bad.json"
expect_error "--context" "$TMP/bad.json" $KLD --model "$TINY" --context 0 -o "$TMP/bad.json"
expect_error "context 513: longer than the model's 512" "$TMP/bad.json" $KLD --model "$TINY" --context 513 -o "$TMP/bad.json"
printf '\n  \n\t\n' > "$TMP/blank.txt"
expect_error "blank.txt': no documents" "$TMP/bad.json" $KLD --model "$TINY" --text "$TMP/blank.txt" -o "$TMP/bad.json"
expect_error "nope.txt" "$TMP/bad.json" $KLD --model "$TINY" --text "$TMP/nope.txt" -o "$TMP/bad.json"
expect_error "nope.txt" "$TMP/bad.json" $KLD --model "$TINY" --calib "$TMP/nope.txt" -o "$TMP/bad.json"
expect_error "a folder" "$TMP/bad.json" $KLD --model "$TINY" -o "$TMP/cache"
expect_error "bad option" "$TMP/bad.json" $KLD --model "$TINY" --frobnicate -o "$TMP/bad.json"
$KLD --model "$TINY" --context 0 > /dev/null 2>&1; [ $? = 2 ] || fail "exit status of a bad --context"
$KLD --model "$TINY" --text "$TMP/blank.txt" > /dev/null 2>&1; [ $? = 2 ] || fail "exit status of an empty text"
exit 0
