#!/bin/sh
# t7430: an endpoint's results are checked metric by metric before `bitbudget eval` writes
# them (client_check_results): a perplexity of -5 or inf, acc_norm "lots", acc 2, a NaN
# spelled as a string, a task that was not asked for, each get one error line naming the
# task and metric, exit 2 and no result file. Results that are right but unusual pass: a
# stderr "N/A" (lm-eval's word for one it could not compute), and mmlu's subtasks, which
# are not asked by name but listed under the group in group_subtasks.
# The endpoint (tests/fault/fault_endpoint.py --result-json) serves each results file.
. tests/cli/lib.sh
command -v python3 > /dev/null || fail "python3 is required"
EP_PID=
trap 'kill $EP_PID 2>/dev/null; rm -rf "$TMP"' EXIT

# results NAME PYTHON: write $TMP/NAME.json, lm-eval's results for piqa and lambada_openai
# after PYTHON (statements on r, the object; res = r["results"]) has changed it. Written
# as text so that 1e999 stays a number too large for a double (inf when read).
results() {
	python3 - "$TMP/$1.json" "$2" <<'EOF'
import json, sys
r = {"results": {}, "group_subtasks": {}, "configs": {}, "versions": {}, "n-shot": {},
     "higher_is_better": {}, "n-samples": {}, "config": {"model": "t7430"}}
for t, acc in (("piqa", 0.625), ("lambada_openai", 0.25)):
    r["results"][t] = {"alias": t, "acc,none": acc, "acc_stderr,none": 0.05}
    r["group_subtasks"][t] = []
r["results"]["piqa"].update({"acc_norm,none": 0.5, "acc_norm_stderr,none": 0.05})
r["results"]["lambada_openai"].update({"perplexity,none": 42.5, "perplexity_stderr,none": 3.0})
res = r["results"]
exec(sys.argv[2])
text = json.dumps(r).replace('"INF"', "1e999")
open(sys.argv[1], "w").write(text)
EOF
}

# serve FILE: (re)start the endpoint answering every result request with FILE.
serve() {
	[ -z "$EP_PID" ] || { kill "$EP_PID"; wait "$EP_PID" 2> /dev/null; }
	: > "$TMP/ep.out"
	python3 tests/fault/fault_endpoint.py --port 0 --fault-rate 0 --job-seconds 0 \
		--result-json "$1" > "$TMP/ep.out" 2> "$TMP/ep.err" &
	EP_PID=$!
	i=0
	until URL=$(sed -n 's/^listening on //p' "$TMP/ep.out") && [ -n "$URL" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { cat "$TMP/ep.err" >&2; fail "the fault endpoint did not start"; }
		sleep 0.1
	done
}

eval_tasks() { # eval_tasks TASKS: evaluate through the endpoint into $TMP/out.json
	$BB eval --endpoint "$URL" --model m --tasks "$1" -q -o "$TMP/out.json"
}

# refused NAME PYTHON PATTERN [TASKS]: that change to the results is refused with PATTERN.
refused() {
	results "$1" "$2"
	serve "$TMP/$1.json"
	expect_error "$3" "$TMP/out.json" eval_tasks "${4:-piqa,lambada_openai}"
	eval_tasks "${4:-piqa,lambada_openai}" > /dev/null 2>&1
	status=$?
	[ $status -eq 2 ] || fail "$1: exit $status, expected 2"
}

# The unchanged results pass, and their numbers are the ones printed.
results good "pass"
serve "$TMP/good.json"
eval_tasks piqa,lambada_openai > "$TMP/good.out" 2> "$TMP/good.err" || { cat "$TMP/good.err" >&2; fail "good results refused"; }
grep -q '^piqa acc 0.6250$' "$TMP/good.out" && grep -q '^mean acc 0.4375$' "$TMP/good.out" || fail "good: printed scores"
cmp -s "$TMP/out.json" /dev/null && fail "good: empty result file"
rm -f "$TMP/out.json"

refused ppl-negative 'res["lambada_openai"]["perplexity,none"] = -5' \
	"error: endpoint: results.lambada_openai.\"perplexity,none\" is not a valid perplexity value"
refused ppl-inf 'res["lambada_openai"]["perplexity,none"] = "INF"' \
	"error: endpoint: results.lambada_openai.\"perplexity,none\" is not a valid perplexity value"
refused acc-norm-lots 'res["piqa"]["acc_norm,none"] = "lots"' \
	"error: endpoint: results.piqa.\"acc_norm,none\" is not a valid acc_norm value"
refused acc-two 'res["piqa"]["acc,none"] = 2' \
	"error: endpoint: results.piqa.\"acc,none\" is not a valid acc value"
refused acc-nan 'res["piqa"]["acc,none"] = "NaN"' \
	"error: endpoint: results.piqa.\"acc,none\" is not a valid acc value"
refused stderr-negative 'res["piqa"]["acc_stderr,none"] = -0.1' \
	"error: endpoint: results.piqa.\"acc_stderr,none\" is not a valid acc_stderr value"
refused not-asked 'res["hellaswag"] = {"alias": "hellaswag", "acc,none": 0.3}' \
	"error: endpoint: the result has task 'hellaswag', which was not asked for"
refused not-asked-one 'pass' \
	"error: endpoint: the result has task 'lambada_openai', which was not asked for" piqa
refused entry-not-object 'res["piqa"] = 0.5' \
	"error: endpoint: results.piqa is not an object"

# Unusual but right: a stderr lm-eval could not compute, and a group's subtasks.
results na 'res["piqa"]["acc_stderr,none"] = "N/A"
res["mmlu"] = {"alias": "mmlu", "acc,none": 0.3, "acc_stderr,none": 0.01}
res["mmlu_stem"] = {"alias": " - stem", "acc,none": 0.3, "acc_stderr,none": 0.01}
res["mmlu_anatomy"] = {"alias": "  - anatomy", "acc,none": 0.3, "acc_stderr,none": 0.02}
r["group_subtasks"]["mmlu"] = ["mmlu_stem"]
r["group_subtasks"]["mmlu_stem"] = ["mmlu_anatomy"]'
serve "$TMP/na.json"
eval_tasks piqa,lambada_openai,mmlu > "$TMP/na.out" 2> "$TMP/na.err" || { cat "$TMP/na.err" >&2; fail "N/A stderr or mmlu subtasks refused"; }
grep -q '^mmlu acc 0.3000$' "$TMP/na.out" || fail "na: mmlu's acc not printed"
# ... but not a subtask of a group nobody asked for
rm -f "$TMP/out.json"
expect_error "error: endpoint: the result has task 'mmlu', which was not asked for" "$TMP/out.json" \
	eval_tasks piqa,lambada_openai
