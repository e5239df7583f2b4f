# is_greedy and small task accuracies, checked against an independent reference.
# tests/ref/llama_ref.py shares no code with bitbudget: its own safetensors reader, its own
# BPE tokenizer from tokenizer.json, a float64 numpy forward pass, and lm-eval's request
# and metric rules for lambada_openai, piqa and winogrande (../shared/docs/lm-eval.md). It
# reproduces the reference values of ../shared/models/*/SOURCE.md (checked below first).
# Two things are compared per case: bitbudget's figure with the reference's, and both
# with a figure pinned here (so a change in either shows). A planted bug that forced
# is_greedy to true moved lambada_openai from 0.00 to 1.00 and every older test passed.
. tests/cli/lib.sh
REF="python3 tests/ref/llama_ref.py"
DATA="$SHARED/data/lm-eval"
command -v python3 > /dev/null && python3 -c 'import numpy' 2> /dev/null || fail "needs python3 with numpy"

# The reference itself: the greedy ids and log-probabilities SOURCE.md records.
python3 - "$TINY" "$S260" <<'PY' || fail "the reference does not reproduce SOURCE.md"
import sys
sys.path.insert(0, "tests/ref")
import numpy as np
import llama_ref
tiny, s260 = llama_ref.Llama(sys.argv[1]), llama_ref.Llama(sys.argv[2])
assert tiny.tok.encode("Once upon a time", True) == [1, 80, 147, 201, 282, 57]
seq = [1]
for _ in range(8):
    seq.append(int(np.argmax(tiny.logprobs(seq)[-1])))
assert seq[1:] == [147, 201, 282, 215, 286, 598, 1662, 356], seq
assert s260.tok.encode("Zoo", True) == [1, 410, 469, 347]
lp = s260.logprobs([1, 410, 469, 347])[-1]
assert [int(i) for i in np.argsort(-lp)[:3]] == [286, 464, 410]
assert abs(lp[286] - -1.5853) < 5e-5 and abs(lp[464] - -2.1038) < 5e-5, lp[[286, 464]]
PY

# loglik MODEL CONTEXT CONTINUATION GREEDY: the reference must say GREEDY (true/false:
# that pins the case), and bitbudget must agree on the flag, the token count and, within
# float32's rounding, the log-probability.
loglik() {
	$REF loglik "$1" "$2" "$3" > "$TMP/ref.json" || fail "reference loglik '$2' '$3'"
	$BB loglik --model "$1" --context "$2" --continuation "$3" > "$TMP/bb.json" || fail "loglik '$2' '$3'"
	[ "$(json_get "$TMP/ref.json" "str(j['is_greedy']).lower()")" = "$4" ] || fail "reference: '$2' + '$3' is_greedy is not $4"
	python3 - "$TMP/ref.json" "$TMP/bb.json" <<'PY' || fail "loglik '$2' '$3': $(cat "$TMP/bb.json") vs reference $(cat "$TMP/ref.json")"
import json, sys
r, b = (json.load(open(p)) for p in sys.argv[1:])
assert b["is_greedy"] is r["is_greedy"] and b["n_tokens"] == r["n_tokens"]
assert abs(b["logprob"] - r["logprob"]) < 1e-4 * max(1, abs(r["logprob"]))
PY
}
# greedy: each continuation is the model's own greedy text (SOURCE.md for "Zoo"); not
# greedy: the same text with one word changed, and the README's example.
loglik "$TINY" "Once upon a time" ", a little girl named Lily lived in a " true
loglik "$TINY" "Once upon a time" ", a little girl named Lily lived in the " false
loglik "$TINY" "Lily was happy." " She" false
loglik "$S260" "Zoo" " was a" true
loglik "$S260" "Zoo" " was the" false
loglik "$S260" "Lily was happy." " She had a big box of" true

# The same flag through `eval`: a cloze task (acc = is_greedy) of two greedy and two
# non-greedy rows scores 0.5, not 0 (flag always false) nor 1 (always true).
cat > "$TMP/cloze.jsonl" <<'ROWS'
{"context": "Once upon a time", "continuation": ", a little girl named Lily lived in a "}
{"context": "Once upon a time", "continuation": ", a little girl named Lily lived in the "}
{"context": "Lily was happy.", "continuation": " She"}
{"context": "Once upon a time", "continuation": ", a little girl named "}
ROWS
printf '{"name": "greedy_cloze", "type": "cloze", "data": "cloze.jsonl", "metrics": ["acc"]}\n' > "$TMP/cloze.json"
[ "$($REF acc "$TINY" "$TMP/cloze.jsonl" cloze 4 | python3 -c 'import json,sys; print(json.load(sys.stdin)["acc"])')" = 0.5 ] || fail "reference: cloze acc is not 0.5"
$BB eval --endpoint local --model "$TINY" --tasks "$TMP/cloze.json" --data-dir "$DATA" -o "$TMP/cloze-result.json" 2> /dev/null > /dev/null || fail "eval cloze"
[ "$(json_get "$TMP/cloze-result.json" "j['results']['greedy_cloze']['acc,none']")" = 0.5 ] || fail "cloze acc: $(json_get "$TMP/cloze-result.json" "j['results']")"

# Accuracies on the first 20 documents: bitbudget's evaluator, the reference, and the
# figures pinned here must agree exactly (each acc is a count over 20). The reference
# also reports the smallest margin that decided a document: it must be far above float32
# rounding, or an exact comparison would not be fair.
accuracies() { # MODEL LAMBADA PIQA WINOGRANDE
	model=$1
	$BB eval --endpoint local --model "$model" --tasks lambada_openai,piqa,winogrande --limit 20 \
		--data-dir "$DATA" -o "$TMP/result.json" 2> /dev/null > /dev/null || fail "eval $model"
	for task in lambada_openai:test:$2 piqa:validation:$3 winogrande:validation:$4; do
		IFS=: read name split pinned <<-EOF
		$task
		EOF
		$REF acc "$model" "$DATA/$name.$split.jsonl" "$name" 20 > "$TMP/ref-acc.json" || fail "reference $name"
		python3 - "$TMP/ref-acc.json" "$TMP/result.json" "$name" "$pinned" <<-'PY' || fail "$model $name"
		import json, sys
		ref, res, name, pinned = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], float(sys.argv[4])
		got = res["results"][name]["acc,none"]
		assert ref["margin"] > 1e-3, ("too close to call in float32", ref)
		assert ref["acc"] == pinned, ("reference", ref["acc"], "pinned", pinned)
		assert got == pinned, ("bitbudget", got, "pinned", pinned)
		PY
	done
}
accuracies "$TINY" 0.0 0.4 0.4
accuracies "$S260" 0.0 0.4 0.55
