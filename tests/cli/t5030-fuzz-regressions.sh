#!/bin/sh
# t5030: every input the fuzzers ever crashed on (fuzz/regressions/<harness>/) and the
# whole seed corpus (fuzz/corpus/<harness>/) replayed through the harnesses, built
# without libFuzzer as $BB_BUILD/fuzz/replay_<name> (fuzz/replay.c). Under `make test` a
# replay must end normally; under `make test-asan` the same replays run with ASan, UBSan
# and LeakSanitizer, which is where a regression of a memory bug shows.
. tests/cli/lib.sh
BUILD_DIR=${BB_BUILD:-build}
n=0
for h in fuzz/fuzz_*.c; do
	name=$(basename "$h" .c)
	replay="$BUILD_DIR/fuzz/replay_${name#fuzz_}"
	[ -x "$replay" ] || fail "$replay is missing (make builds it)"
	for dir in "fuzz/regressions/$name" "fuzz/corpus/$name"; do
		[ -d "$dir" ] || continue
		"$replay" "$dir" > "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err" >&2; fail "$name: $dir"; }
		[ ! -s "$TMP/err" ] || { cat "$TMP/err" >&2; fail "$name: $dir wrote on stderr"; }
		n=$((n + $(sed -n 's/^replayed \([0-9]*\) input.*/\1/p' "$TMP/out")))
	done
done
[ $n -gt 50 ] || fail "only $n inputs replayed"
echo "replayed $n inputs" >&2
