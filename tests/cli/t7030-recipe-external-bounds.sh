# recipe --strategy external:CMD: the program runs without a shell, within a deadline and
# an output cap. One that sleeps (and has started a child of its own) is killed at
# --deadline; one that prints past the 16 MiB cap is killed there; a command line with an
# unterminated quote is refused before anything runs. Each: one line naming what went
# wrong, exit 2, no recipe, and no process of the strategy left.
. tests/cli/lib.sh
cat > "$TMP/sleeper.py" <<'PY'
import os, sys, time
if os.fork() == 0:  # a child of its own: the whole process group must go
    os.execvp(sys.executable, [sys.executable, sys.argv[0] + ".child"])
time.sleep(300)
PY
printf 'import time\ntime.sleep(300)\n' > "$TMP/sleeper.py.child"
cat > "$TMP/flood.py" <<'PY'
import sys, time
sys.stdout.write("x" * (17 << 20))  # past the 16 MiB cap, then wait to be killed
sys.stdout.flush()
time.sleep(300)
PY
recipe() { timeout 120 $BB recipe --model "$TINY" --options MXFP4,MXFP8 --avg-bits 5 "$@"; }
no_strategy_left() {
	i=0 # killed and reaped before recipe returns; 5 s for a grandchild to be reaped by init
	while pgrep -f "$TMP/" > /dev/null; do
		i=$((i + 1)); [ $i -lt 50 ] || { pgrep -fa "$TMP/" >&2; fail "$1: strategy left running"; }
		sleep 0.1
	done
}
# refused PATTERN OUTPUT ARGS...: recipe ARGS exits 2 with one line holding PATTERN on
# stderr, nothing on stdout, and no OUTPUT.
refused() {
	pattern=$1 output=$2
	shift 2
	recipe "$@" > "$TMP/stdout" 2> "$TMP/stderr"
	status=$?
	[ $status -eq 2 ] || { cat "$TMP/stderr"; fail "exit $status, expected 2: $*"; }
	[ "$(wc -l < "$TMP/stderr")" -eq 1 ] && grep -qF -- "$pattern" "$TMP/stderr" ||
		{ cat "$TMP/stderr"; fail "expected one line with '$pattern': $*"; }
	[ ! -s "$TMP/stdout" ] && [ ! -e "$output" ] || fail "output written: $*"
}
refused "external strategy 'python3 $TMP/sleeper.py' ran past its deadline of 1 s and was killed" \
	"$TMP/o1.json" --strategy "external:python3 $TMP/sleeper.py" --deadline 1 -o "$TMP/o1.json"
no_strategy_left deadline
refused "external strategy 'python3 $TMP/flood.py' printed more than 16 MiB and was killed" \
	"$TMP/o2.json" --strategy "external:python3 $TMP/flood.py" -o "$TMP/o2.json"
no_strategy_left cap
refused "external strategy: unterminated ' quote in: 'oops" "$TMP/o3.json" \
	--strategy "external:python3 'oops" -o "$TMP/o3.json"
refused "--deadline: '0' is not a number" "$TMP/o4.json" \
	--strategy "external:python3 $TMP/flood.py" --deadline 0 -o "$TMP/o4.json"
# No shell: a ';' in CMD is part of an argument like any other (printf prints it).
refused "external strategy 'printf %s x;touch $TMP/pwned': output is not valid JSON" "$TMP/o5.json" \
	--strategy "external:printf %s x;touch $TMP/pwned" -o "$TMP/o5.json"
[ ! -e "$TMP/pwned" ] || fail "';' in CMD ran a command"
