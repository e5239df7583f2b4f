# Shared helpers for the CLI tests (tests/cli/t*.sh). Each test is one script; its exit
# status is its verdict. Run from the repository root by tests/run.sh, which sets
# BB (bin/bitbudget), BB_TEST_TOOL and SHARED.
set -u
: "${BB:=$(pwd)/bin/bitbudget}" "${BB_TEST_TOOL:=$(pwd)/build/tests/bb-test-tool}"
: "${SHARED:=../shared}"
TINY="$SHARED/models/tinystories-656k"
S260="$SHARED/models/stories260k"
LLAMA8B=experiments/models/Llama-3.1-8B-Instruct
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_error PATTERN NO_SUCH_FILE CMD...: CMD must exit non-zero, print exactly one
# line on stderr containing PATTERN, and leave NO_SUCH_FILE (its output) absent.
expect_error() {
	pattern=$1 output=$2
	shift 2
	"$@" > "$TMP/err.stdout" 2> "$TMP/err.stderr" && fail "succeeded: $*"
	[ "$(wc -l < "$TMP/err.stderr")" -eq 1 ] || { cat "$TMP/err.stderr" >&2; fail "not one line: $*"; }
	grep -q -- "$pattern" "$TMP/err.stderr" || { cat "$TMP/err.stderr" >&2; fail "no '$pattern': $*"; }
	[ ! -e "$output" ] || fail "left $output behind: $*"
	ls "$(dirname "$output")" | grep -q '\.tmp\.' && fail "left a temporary file: $*"
	# BB_CATALOGUE=FILE collects "test<TAB>command<TAB>error line" (docs/reliability.md)
	[ -z "${BB_CATALOGUE:-}" ] || printf '%s\t%s\t%s\n' "$0" "$*" "$(cat "$TMP/err.stderr")" >> "$BB_CATALOGUE"
	return 0
}

# json_get FILE EXPR: evaluate a Python expression on the parsed file (bound to j).
json_get() {
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}
