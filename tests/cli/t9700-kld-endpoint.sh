#!/bin/sh
# t9700: KLD as an endpoint job kind. `bitbudget kld --endpoint URL` sends a kld job to
# `bitbudget serve --cache DIR`, whose answer equals `bitbudget kld` run here: the same
# reference key and every number identical (summary and each document), with a recipe and
# without, on the default text and on a text sent inline with its own context; the second
# job reads the server's cached reference. /v1/health advertises the kind; bad requests
# get 400 with one line, and the client one error line, exit 2, no file.
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh
MODELS=$(cd "$SHARED/models" && pwd)
start_server "$TMP/serve" "$BB" serve --models-root "$MODELS" --port 0 --cache "$TMP/served-cache"
KLD="$BB kld --cache $TMP/local-cache"

expect_status 200 GET /v1/health
[ "$(field '"kld" in j["kinds"]')" = True ] || fail "health does not advertise kld: $(cat "$TMP/body")"

# same_numbers SERVED LOCAL: every figure of the summary and of each document is equal,
# and so are the text's counts and the reference key.
same_numbers() {
	python3 - "$1" "$2" <<'PY' || fail "served $1 differs from local $2"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("n_tokens", "n_documents", "context", "reference_key", "summary", "documents"):
    assert a[k] == b[k], (k, a[k] if k != "documents" else "...", b[k] if k != "documents" else "...")
for k in ("n", "shared_token_ngrams", "text_token_ngrams", "shared_word_ngrams", "text_word_ngrams"):
    assert a["overlap"][k] == b["overlap"][k], k
assert a["summary"]["n_tokens"] == a["n_tokens"] > 0
PY
}

# ---- without a recipe: the model against itself, 0 on both sides ----
$BB kld --endpoint "$URL" --model tinystories-656k -o "$TMP/self-served.json" 2> "$TMP/err" ||
	{ cat "$TMP/err"; fail "kld --endpoint, no recipe"; }
$KLD --model "$TINY" -o "$TMP/self-local.json" 2>/dev/null || fail "kld local, no recipe"
same_numbers "$TMP/self-served.json" "$TMP/self-local.json"
[ "$(json_get "$TMP/self-served.json" "j['reference'], j['summary']['mean_kld'], j['recipe']")" = "computed 0 None" ] ||
	fail "served self: $(head -c 300 "$TMP/self-served.json")"
[ -f "$TMP/served-cache/$(json_get "$TMP/self-served.json" "j['reference_key']").bin" ] ||
	fail "the server did not keep the reference under --cache: $(ls "$TMP/served-cache")"

# ---- MXFP4 everywhere: the server's reference is cached now; numbers identical ----
$BB recipe --model "$TINY" --strategy pure --options MXFP4,MXFP8 --avg-bits 4 -o "$TMP/pure.json" 2>/dev/null || fail "pure recipe"
$BB kld --endpoint "$URL" --model tinystories-656k --recipe "$TMP/pure.json" -o "$TMP/pure-served.json" 2>/dev/null ||
	fail "kld --endpoint, pure"
$KLD --model "$TINY" --recipe "$TMP/pure.json" -o "$TMP/pure-local.json" 2>/dev/null || fail "kld local, pure"
same_numbers "$TMP/pure-served.json" "$TMP/pure-local.json"
[ "$(json_get "$TMP/pure-served.json" "j['reference'], j['summary']['mean_kld'] > 0.01, j['recipe']")" = "cached True pure" ] ||
	fail "served pure: $(head -c 300 "$TMP/pure-served.json")"

# ---- a text sent inline, with its own context (rolling windows) ----
printf 'Tom saw a big red ball in the park. He ran to it and kicked it very hard. The ball flew over the fence.\n\nThe cat sat on the mat.\n' > "$TMP/two.txt"
$BB kld --endpoint "$URL" --model tinystories-656k --recipe "$TMP/pure.json" --text "$TMP/two.txt" \
	--context 8 -o "$TMP/two-served.json" 2>/dev/null || fail "kld --endpoint --text"
$KLD --model "$TINY" --recipe "$TMP/pure.json" --text "$TMP/two.txt" --context 8 -o "$TMP/two-local.json" 2>/dev/null ||
	fail "kld local --text"
same_numbers "$TMP/two-served.json" "$TMP/two-local.json"
[ "$(json_get "$TMP/two-served.json" "j['n_documents'], j['context'], j['text'], j['reference']")" = "2 8 request computed" ] ||
	fail "inline text: $(head -c 300 "$TMP/two-served.json")"

# ---- --endpoint local stays in this process ----
$KLD --endpoint local --model "$TINY" --recipe "$TMP/pure.json" -o "$TMP/pure-inproc.json" 2>/dev/null || fail "--endpoint local"
same_numbers "$TMP/pure-inproc.json" "$TMP/pure-local.json"

# ---- bad requests: 400, one line, nothing queued ----
expect_status 400 POST /v1/jobs '{"kind": "kld", "model": "tinystories-656k", "tasks": ["piqa"]}'
field 'j["error"]' | grep -q "unknown field 'tasks'" || fail "unknown field: $(cat "$TMP/body")"
expect_status 400 POST /v1/jobs '{"kind": "kld", "model": "tinystories-656k", "text": 5}'
[ "$(field 'j["error"]')" = "text: expected a string" ] || fail "text: $(cat "$TMP/body")"
expect_status 400 POST /v1/jobs '{"kind": "kld", "model": "tinystories-656k", "context": 0}'
field 'j["error"]' | grep -q "^context" || fail "context: $(cat "$TMP/body")"
expect_status 400 POST /v1/jobs '{"kind": "kld", "model": "tinystories-656k", "recipe": {"layers": 3}}'
field 'j["error"]' | grep -q "recipe" || fail "recipe: $(cat "$TMP/body")"
expect_status 400 POST /v1/jobs '{"kind": "kld", "model": "../tinystories-656k"}'
expect_status 404 POST /v1/jobs '{"kind": "kld", "model": "nothing-here"}'
expect_status 400 POST /v1/jobs '{"kind": "kl", "model": "tinystories-656k"}'
field 'j["error"]' | grep -q '"kld"' || fail "kind: $(cat "$TMP/body")"

# ---- the client: a refusal is one error line, exit 2, no file ----
expect_error "not found under the models root" "$TMP/bad.json" \
	$BB kld --endpoint "$URL" --model nothing-here -o "$TMP/bad.json"
$BB kld --endpoint "$URL" --model nothing-here -o "$TMP/bad.json" 2>/dev/null; [ $? = 2 ] || fail "exit status of a refused job"
printf '\n\n' > "$TMP/blank.txt"
expect_error "no documents" "$TMP/bad.json" \
	$BB kld --endpoint "$URL" --model tinystories-656k --text "$TMP/blank.txt" -o "$TMP/bad.json"
exit 0
