#!/bin/sh
# t7200: `bitbudget run-job` reads its job spec strictly (endpoint/run_spec.c). Each
# malformed spec (a required field missing, a wrong type, a number out of range, an
# unknown field, a key that could name a path) gets exit 2 and one line naming the field,
# writes no result and nothing outside the test's folder: before the fix a spec without
# `limit` or with `tasks: [1, 2]` crashed (exit 139) and one without `tmp_dir` locked and
# wrote in "/". A well-formed scores spec still runs, with its fields passed on.
. tests/cli/lib.sh
ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
BB=$(cd "$(dirname "$BB")" && pwd)/$(basename "$BB")
MODEL=$(cd "$TINY" && pwd)
CALIB=$ROOT_DIR/experiments/calibration/default.txt
KEY=$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)
mkdir -p "$TMP/cwd" "$TMP/tmp"
# The spec files: a well-formed one of each kind, then each mutation of it. The model of
# the bad eval specs does not exist, so an old binary that accepted one fails fast.
python3 - "$TMP" "$KEY" "$MODEL" "$CALIB" <<'PY'
import json, os, sys
tmp, key, model, calib = sys.argv[1:]
common = {"key": key, "experiment": "t7200", "model_name": "tiny", "model": model,
          "result": os.path.join(tmp, "result.json"), "tmp_dir": os.path.join(tmp, "tmp")}
scores = dict(common, kind="scores", options=["MXFP4", "MXFP8"], method="proxy",
              nsamples=2, seqlen=16, calib=calib)
evaluate = dict(common, kind="eval", model=os.path.join(tmp, "no-model"), row="BF16",
                strategy="bf16", recipe="", recipe_sha256="bf16", achieved_avg_bits=16,
                predicted_loss=-1, tasks=["piqa"], limit=2, add_bos_token=False,
                log_samples=True, endpoint_version="x", scratch=os.path.join(tmp, "scratch"),
                keep_checkpoint=False)
def without(spec, *keys):
    return {k: v for k, v in spec.items() if k not in keys}
bad = {  # name: (spec, the field the error must name)
    "no-limit": (without(evaluate, "limit"), "limit"),
    "tasks-numbers": (dict(evaluate, tasks=[1, 2]), "tasks"),
    "tasks-empty": (dict(evaluate, tasks=[]), "tasks"),
    "options-number": (dict(scores, options=[4]), "options"),
    "options-unknown": (dict(scores, options=["MXFP5"]), "options"),
    "no-nsamples": (without(scores, "nsamples"), "nsamples"),
    "no-seqlen": (without(scores, "seqlen"), "seqlen"),
    "eval-no-tmp-dir": (without(evaluate, "tmp_dir"), "tmp_dir"),
    "scores-no-tmp-dir": (without(scores, "tmp_dir"), "tmp_dir"),
    "no-tmp-dir-no-key": (without(evaluate, "tmp_dir", "key"), "key"),
    "tmp-dir-empty": (dict(evaluate, tmp_dir=""), "tmp_dir"),
    "no-scratch": (without(evaluate, "scratch"), "scratch"),
    "no-result": (without(scores, "result"), "result"),
    "limit-negative": (dict(evaluate, limit=-1), "limit"),
    "limit-huge": (dict(evaluate, limit=1e98), "limit"),
    "limit-fraction": (dict(evaluate, limit=2.5), "limit"),
    "limit-string": (dict(evaluate, limit="2"), "limit"),
    "seqlen-huge": (dict(scores, seqlen=1e98), "seqlen"),
    "nsamples-string": (dict(scores, nsamples="16"), "nsamples"),
    "bos-number": (dict(evaluate, add_bos_token=1), "add_bos_token"),
    "bits-string": (dict(evaluate, achieved_avg_bits="16"), "achieved_avg_bits"),
    "model-number": (dict(scores, model=7), "model"),
    "method-unknown": (dict(scores, method="magic"), "method"),
    "kind-unknown": (dict(scores, kind="train"), "kind"),
    "no-kind": (without(scores, "kind"), "kind"),
    "unknown-field": (dict(evaluate, limt=3), "limt"),
    "scores-field-in-eval": (dict(evaluate, nsamples=3), "nsamples"),
    "key-path": (dict(evaluate, key="../../x"), "key"),
}
for name, (spec, field) in bad.items():
    json.dump(spec, open(os.path.join(tmp, name + ".json"), "w"))
    open(os.path.join(tmp, name + ".field"), "w").write(field)
json.dump(scores, open(os.path.join(tmp, "good-scores.json"), "w"))
open(os.path.join(tmp, "not-json.json"), "w").write('{"kind": "eval",')
open(os.path.join(tmp, "not-json.field"), "w").write("not valid JSON")
open(os.path.join(tmp, "array.json"), "w").write('[1, 2]')
open(os.path.join(tmp, "array.field"), "w").write("JSON object")
PY
# What "/" holds now: a spec without tmp_dir used to add /<key>.lock and /<key>.<pid>.json.
ls -a / > "$TMP/root-before"
cd "$TMP/cwd"
n=0
for field_file in "$TMP"/*.field; do
	name=$(basename "$field_file" .field)
	field=$(cat "$field_file")
	"$BB" run-job "$TMP/$name.json" --slot 1 > "$TMP/out" 2> "$TMP/err"
	rc=$?
	[ $rc -eq 2 ] || { cat "$TMP/err" >&2; fail "$name: exit $rc, expected 2"; }
	[ "$(wc -l < "$TMP/err")" -eq 1 ] || { cat "$TMP/err" >&2; fail "$name: not one line"; }
	grep -q -- "$field" "$TMP/err" || { cat "$TMP/err" >&2; fail "$name: the error does not name '$field'"; }
	grep -q "$name.json" "$TMP/err" || { cat "$TMP/err" >&2; fail "$name: the error does not name the spec file"; }
	[ ! -e "$TMP/result.json" ] || fail "$name: a result was written"
	[ -z "$(find "$TMP/tmp" "$TMP/cwd" -mindepth 1)" ] || { find "$TMP/tmp" "$TMP/cwd" >&2; fail "$name: files written"; }
	# BB_CATALOGUE=FILE collects "test<TAB>command<TAB>error line" (docs/reliability.md)
	[ -z "${BB_CATALOGUE:-}" ] || printf '%s\t%s\t%s\n' "$0" "bitbudget run-job $name.json" "$(cat "$TMP/err")" >> "$BB_CATALOGUE"
	n=$((n + 1))
done
cd "$ROOT_DIR"
ls -a / > "$TMP/root-after"
if ! cmp -s "$TMP/root-before" "$TMP/root-after"; then
	# Undo what an old binary did (only files named by this run's key), then fail.
	for f in $(comm -13 "$TMP/root-before" "$TMP/root-after" | grep -F "$KEY"); do rm -f "/$f"; done
	diff "$TMP/root-before" "$TMP/root-after" >&2
	fail "files appeared in /"
fi
[ $n -ge 30 ] || fail "only $n malformed specs tried"
# The well-formed scores spec runs: the result is the scores file of the spec's options
# and method, for every budget layer of the model.
"$BB" run-job "$TMP/good-scores.json" --slot 1 > "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err" >&2; fail "good scores spec"; }
"$BB" inspect "$MODEL" --json > "$TMP/inventory.json" || fail "inspect"
python3 - "$TMP/result.json" "$TMP/inventory.json" <<'PY' || fail "the scores job's result"
import json, sys
res, inv = (json.load(open(p)) for p in sys.argv[1:])
assert res["options"] == ["MXFP4", "MXFP8"], res["options"]
assert res["method"] == "proxy", res["method"]
layers = [l["name"] for l in inv["layers"]]
assert sorted(res["scores"]) == sorted(layers), (len(res["scores"]), len(layers))
PY
[ -e "$TMP/tmp/$KEY.lock" ] || fail "the job did not lock its key in its tmp_dir"
echo "$n malformed specs refused" >&2
