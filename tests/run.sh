#!/bin/sh
# Runs every test and prints one summary line, "N passed, N failed".
#   - each build/tests/test_* program prints PASS/FAIL lines, one per test function;
#   - each tests/cli/t*.sh script is one test: exit status 0 is a pass.
# Exits non-zero if anything failed. SHARED points at the shared data (default ../shared).
SHARED=${SHARED:-../shared}
export SHARED
export BB="$(pwd)/bin/bitbudget" BB_TEST_TOOL="$(pwd)/build/tests/bb-test-tool"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	echo "== $t"
	"$t" > "$log.out" 2>&1
	status=$?
	cat "$log.out"
	grep -E '^(PASS|FAIL) ' "$log.out" >> "$log"
	if [ $status -ne 0 ] && ! grep -q '^FAIL ' "$log.out"; then
		echo "FAIL $t (exit $status without a FAIL line)" | tee -a "$log"
	fi
	rm -f "$log.out"
done
for t in tests/cli/t*.sh; do
	[ -f "$t" ] || continue
	if sh "$t" > "$log.out" 2>&1; then
		echo "PASS $t" | tee -a "$log"
	else
		cat "$log.out"
		echo "FAIL $t" | tee -a "$log"
	fi
	rm -f "$log.out"
done
passed=$(grep -c '^PASS ' "$log")
failed=$(grep -c '^FAIL ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
