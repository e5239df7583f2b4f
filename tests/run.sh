#!/bin/sh
# Runs every test and prints one summary line, "N passed, N failed".
#   - each build/tests/test_* program prints PASS/FAIL lines, one per test function;
#   - each tests/cli/t*.sh script is one test: exit status 0 is a pass.
# Exits non-zero if anything failed. SHARED points at the shared data (default ../shared).
# BB_BUILD is the build folder whose test programs run (default build; make test-asan:
# build-asan); BB and BB_TEST_TOOL, when set, name the CLI and the test helper (default
# bin/bitbudget and $BB_BUILD/tests/bb-test-tool). BB_SKIP lists CLI test scripts (base
# names, space-separated) not to run, each reported as a SKIP line. UPDATE_GOLDEN (rewrite
# the golden files, a deliberate act by hand) never reaches a test run from here, and
# BB_TEST_SUITE tells each test it runs inside the suite, where it refuses to rewrite them.
unset UPDATE_GOLDEN
export BB_TEST_SUITE=1
SHARED=${SHARED:-../shared}
BB_BUILD=${BB_BUILD:-build}
export SHARED BB_BUILD
export BB="${BB:-$(pwd)/bin/bitbudget}" BB_TEST_TOOL="${BB_TEST_TOOL:-$(pwd)/$BB_BUILD/tests/bb-test-tool}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$BB_BUILD"/tests/test_*; do
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
	case " ${BB_SKIP:-} " in *" $(basename "$t") "*) echo "SKIP $t"; continue ;; esac
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
