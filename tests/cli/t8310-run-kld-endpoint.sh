# bitbudget run measuring KLD through an endpoint (`bitbudget serve`): the kld jobs travel
# as endpoint kld jobs (recipe and text inline), the reference is kept in the server's
# --cache, not under results/, and every summary equals the same run's on "local".
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
awk 'BEGIN { RS = ""; ORS = "\n\n" } NR <= 2' experiments/eval/default.txt > "$TMP/eval.txt"
cat > "$TMP/exp.json" <<EOF
{
  "name": "kldremote", "title": "KLD through an endpoint",
  "options": ["MXFP4", "MXFP8"], "tasks": ["lambada_openai"],
  "models": [{"name": "X", "hf_id": "x/x", "dir": "x"}],
  "rows": [
    {"label": "BF16", "strategy": "bf16"},
    {"label": "Tail 7.5", "strategy": "tail", "avg_bits": 7.5},
    {"label": "Head 7.5", "strategy": "head", "avg_bits": 7.5}
  ],
  "demo": {
    "models": [
      {"model": "tinystories-656k", "name": "TinyStories-656K", "hf_id": "raincandy-u/TinyStories-656K"},
      {"model": "stories260k", "name": "stories260K", "hf_id": "karpathy/tinyllamas (stories260K)"}
    ],
    "tasks": ["$(pwd)/experiments/demo-tasks/story_cloze.json"], "note": "test"
  }
}
EOF
start_server "$TMP/serve" "$BB" serve --models-root / --tasks-root "$(pwd)/experiments/demo-tasks" \
	--port 0 --cache "$TMP/served-cache"
run() { # RESULTS ENDPOINTS
	$BB run "$TMP/exp.json" --demo --limit 3 --eval-text "$TMP/eval.txt" --endpoints "$2" \
		--results "$TMP/$1" --reports "$TMP/$1-reports" --plots "$TMP/$1-plots" \
		--scratch "$TMP/$1-scratch" > "$TMP/$1.out" 2> "$TMP/$1.err" ||
		{ cat "$TMP/$1.err" >&2; fail "run on $2"; }
}
run remote "$URL"
run local local
[ ! -e "$TMP/remote/cache/kld-reference" ] || fail "a remote run kept a reference under results/"
[ "$(ls "$TMP/served-cache" | wc -l)" -eq 2 ] || fail "the server did not keep one reference per model"
python3 - "$TMP/remote" "$TMP/local" "$URL" <<'PY' || fail "remote and local KLD differ"
import glob, json, sys
def klds(d):
    out = {}
    for f in glob.glob(d + "/cache/*.json"):
        j = json.load(open(f))
        if j.get("kind") == "kld":
            out[(j["model_name"], j["row"])] = (j["endpoint"], j["kld"]["summary"])
    return out
remote, local = klds(sys.argv[1]), klds(sys.argv[2])
assert len(remote) == 4 and remote.keys() == local.keys(), (remote.keys(), local.keys())
for k in remote:
    assert remote[k][0] == sys.argv[3] and local[k][0] == "local", (remote[k][0], local[k][0])
    assert remote[k][1] == local[k][1], (k, remote[k][1], local[k][1])
    assert remote[k][1]["mean_kld"] > 0, k
PY
exit 0
