# recipe --strategy random:SEED, the null baseline: the same seed gives the same file byte
# for byte, different seeds differ; the layers it raises are those an independent Python
# implementation of the documented draw (splitmix64, Fisher-Yates over the items, raise
# each that still fits) picks from `inspect --json`, so the choice does not depend on the
# machine or its C library; the manifest records the seed; -o DIR keeps seeds apart; an
# experiment's random rows are different recipes; a bad seed is a one-line error.
. tests/cli/lib.sh
r() { $BB recipe --options MXFP4,MXFP8 "$@" 2>/dev/null; }
r --model "$TINY" --strategy random:7 --avg-bits 5 -o "$TMP/a.json" || fail "random:7"
r --model "$TINY" --strategy random:7 --avg-bits 5 -o "$TMP/b.json" || fail "random:7 again"
cmp -s "$TMP/a.json" "$TMP/b.json" || fail "the same seed gave different recipes"
r --model $LLAMA8B --strategy random:1 --avg-bits 5 -o "$TMP/l1.json" || fail "llama random:1"
r --model $LLAMA8B --strategy random:2 --avg-bits 5 -o "$TMP/l2.json" || fail "llama random:2"
[ "$(json_get "$TMP/l1.json" "j['layers'] == json.load(open('$TMP/l2.json'))['layers']")" = False ] ||
	fail "seeds 1 and 2 raised the same layers"
st="j['manifest']['strategy']"
[ "$(json_get "$TMP/a.json" "(j['strategy'], $st['name'], $st['seed'])")" = "('random:7', 'random', 7)" ] ||
	fail "manifest: $(json_get "$TMP/a.json" "$st")"

# the independent reference: the draw as docs/formats.md describes it, from the inventory
cat > "$TMP/reference.py" <<'PY'
import json, sys
M = (1 << 64) - 1
def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)
def below(state, n):
    limit = (M + 1) - (M + 1) % n   # draws at or above the last whole multiple are redrawn
    while True:
        state, x = splitmix64(state)
        if x < limit:
            return state, x % n
inv, seed, target = json.load(open(sys.argv[1])), int(sys.argv[2]), float(sys.argv[3])
layers = inv["layers"]
free = [l for l in layers if l["in"] % 32 == 0]   # MX blocks of 32; the rest stay BF16
spent = sum(4 * l["params"] if l in free else 16 * l["params"] for l in layers)
budget = int(inv["total_params"] * target)      # targets here are exact in binary
order, state = list(range(len(free))), seed
for i in range(len(free) - 1, 0, -1):
    state, j = below(state, i + 1)
    order[i], order[j] = order[j], order[i]
raised = []
for j in order:
    extra = 4 * free[j]["params"]
    if spent + extra <= budget:
        spent += extra
        raised.append(free[j]["name"])
print(sorted(raised))
PY
for case in "$TINY 5 0" "$TINY 6.5 4294967295" "$S260 8 7" "$S260 9.5 3" \
	"$LLAMA8B 5.25 11" "$LLAMA8B 7 12345"; do
	set -- $case
	$BB inspect "$1" --json > "$TMP/inv.json" || fail "inspect $1"
	r --model "$1" --strategy "random:$3" --avg-bits "$2" -o "$TMP/c.json" ||
		fail "random:$3 on $1 at $2"
	want=$(python3 "$TMP/reference.py" "$TMP/inv.json" "$3" "$2")
	got=$(json_get "$TMP/c.json" "sorted(k for k, v in j['layers'].items() if v['weight'] == 'MXFP8')")
	[ "$want" = "$got" ] || fail "random:$3 on $1 at $2: raised $got, the reference $want"
	[ "$want" != "[]" ] || fail "random:$3 on $1 at $2: nothing raised, nothing compared"
done

# -o DIR: random-SEED-BITS.json, so seeds do not overwrite each other
mkdir "$TMP/dir"
r --model "$TINY" --strategy random:3 --avg-bits 5:5.5:0.5 -o "$TMP/dir" || fail "random:3 to a folder"
r --model "$TINY" --strategy random:4 --avg-bits 5 -o "$TMP/dir" || fail "random:4 to a folder"
[ "$(ls "$TMP/dir" | tr '\n' ' ')" = "random-3-5.5.json random-3-5.json random-4-5.json " ] ||
	fail "folder holds: $(ls "$TMP/dir")"

# an experiment names several seeds as rows; each is its own recipe (content key)
python3 - "$TMP/exp.json" <<'PY'
import json, sys
e = json.load(open("experiments/table2.json"))
e["name"] = "t9600"
e["rows"] = [{"label": f"Random {s}", "strategy": f"random:{s}", "avg_bits": 5} for s in (1, 2, 3)]
e["published"] = {}
json.dump(e, open(sys.argv[1], "w"))
PY
$BB run "$TMP/exp.json" --dry-run --results "$TMP/results" --reports "$TMP/reports" \
	--plots "$TMP/plots" > "$TMP/plan.txt" 2>/dev/null || fail "dry run of random rows"
[ "$(grep -c '^Llama3.1-8B-I *Random [123] ' "$TMP/plan.txt")" = 3 ] || fail "plan: $(cat "$TMP/plan.txt")"
[ "$(grep '^Llama3.1-8B-I' "$TMP/plan.txt" | awk '{print $(NF-2)}' | sort -u | wc -l)" = 3 ] ||
	fail "the three seeds share a content key"
recipes="$TMP/results/recipes/t9600/llama3.1-8b-i"
[ "$(ls "$recipes" | sed 's/-[0-9a-f]*\.json$//' | sort | tr '\n' ' ')" = "random-1 random-2 random-3 " ] ||
	fail "recipes: $(ls "$recipes")"

# bad seeds
for s in random random: random:x random:-1 random:4294967296; do
	expect_error "strategy '$s'" "$TMP/o.json" $BB recipe --model "$TINY" --strategy "$s" \
		--options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/o.json"
done
exit 0
