#!/bin/sh
# t8210: what lm-eval's API backends read from `bitbudget serve --completions-model`
# (issue 14). /tokenizer_info's pad_token is tokenizer_config.json's (read here with
# Python's json; tinystories-656k's is "<unk>"). A string prompt to /v1/completions gets no
# BOS, as lm-eval's local-completions with tokenized_requests=False expects (its API
# backends never add BOS): it is scored exactly as the token ids /tokenize gives with
# add_special_tokens false, and "add_special_tokens": true gives those ids after BOS (a
# value that is not a boolean is a 400 naming it).
. tests/cli/lib.sh
. tests/cli/endpoint_lib.sh

ROOT="$TMP/models"
mkdir -p "$ROOT"
cp -r "$TINY" "$ROOT/tiny"
start_server "$TMP/serve" "$BB" serve --models-root "$ROOT" --port 0 --completions-model "$ROOT/tiny"

# ---- pad_token ----
expect_status 200 GET /tokenizer_info
want=$(json_get "$ROOT/tiny/tokenizer_config.json" 'json.dumps(j.get("pad_token"))')
got=$(field 'json.dumps(j["pad_token"])')
[ "$want" = '"<unk>"' ] || fail "the fixture model's pad_token is $want, expected \"<unk>\""
[ "$got" = "$want" ] || fail "/tokenizer_info pad_token is $got, tokenizer_config.json says $want"

# ---- string prompts: no BOS unless asked ----
TEXT='Once upon a time, there was a little girl named Lily.'
expect_status 200 POST /tokenize "{\"prompt\": \"$TEXT\", \"add_special_tokens\": false}"
ids=$(field 'json.dumps(j["tokens"])')
expect_status 200 POST /tokenize "{\"prompt\": \"$TEXT\", \"add_special_tokens\": true}"
ids_bos=$(field 'json.dumps(j["tokens"])')

# score BODY OUT: usage.prompt_tokens and the prompt's token_logprobs into OUT
score() {
	expect_status 200 POST /v1/completions "$1"
	field 'json.dumps([j["usage"]["prompt_tokens"], j["choices"][0]["logprobs"]["token_logprobs"][:-1]])' > "$2"
}
COMMON='"max_tokens": 1, "echo": true, "logprobs": 1'
score "{\"prompt\": \"$TEXT\", $COMMON}" "$TMP/string"
score "{\"prompt\": $ids, $COMMON}" "$TMP/ids"
score "{\"prompt\": \"$TEXT\", \"add_special_tokens\": true, $COMMON}" "$TMP/string_bos"
score "{\"prompt\": $ids_bos, $COMMON}" "$TMP/ids_bos"
python3 - "$TMP" "$ids" "$ids_bos" <<'PY' || fail "string prompts are not scored as their ids"
import json, sys
d, ids, ids_bos = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
assert ids_bos[1:] == ids and len(ids) > 5, (ids, ids_bos)   # BOS, then the same ids
load = lambda name: json.load(open(f"{d}/{name}"))
string, by_ids = load("string"), load("ids")
assert string[0] == len(ids), ("a string prompt got", string[0], "tokens, not", len(ids))
assert string == by_ids, (string, by_ids)
with_bos, ids_bos = load("string_bos"), load("ids_bos")
assert with_bos[0] == len(ids) + 1 and with_bos == ids_bos, (with_bos, ids_bos)
assert with_bos[1][2:] != string[1][1:], "BOS changed nothing"
PY
# a flag that is not a boolean is bad input: 400, one line naming it
expect_status 400 POST /v1/completions '{"prompt": "x", "max_tokens": 1, "add_special_tokens": "yes"}'
field 'j["error"]' | grep -q "add_special_tokens: expected true or false" || fail "no message"
echo "t8210: ok"
