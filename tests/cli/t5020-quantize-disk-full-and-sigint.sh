#!/bin/sh
# t5020: `bitbudget quantize` when the disk fills up and when it is interrupted: each
# time a non-zero exit, exactly one "error:" line saying what happened (the progress
# lines before it are fine), no checkpoint under --out and no temporary folder or file
# beside it. The disk fills three ways: a file size limit (ulimit -f: writes fail with
# EFBIG; SIGXFSZ ignored, as a shell's default would kill the process instead), and, when
# this user may mount one, a small tmpfs (ENOSPC mid-write) with one shard or three.
# SIGINT arrives while the shards are being written.
. tests/cli/lib.sh
SYN="$TMP/syn"
$BB_TEST_TOOL synth "$SYN" --hidden 1024 --intermediate 4096 --layers 4 --heads 8 --kv 4 \
	--vocab 256 > /dev/null || fail "synth"
$BB_TEST_TOOL synth "$TMP/syn3" --hidden 1024 --intermediate 4096 --layers 4 --heads 8 --kv 4 \
	--vocab 256 --shards 3 > /dev/null || fail "synth (3 shards)"
$BB recipe --model "$SYN" --strategy head --options MXFP4,MXFP8 --avg-bits 6 -o "$TMP/r.json" \
	2> /dev/null || fail "recipe"

# refused WHAT PATTERN OUT: the last command failed cleanly (status in $status, stderr in
# $TMP/q.err) with one error line matching PATTERN and nothing left at or beside OUT.
refused() {
	[ "$status" -ne 0 ] || fail "$1: quantize succeeded"
	[ "$(grep -c '^error:' "$TMP/q.err")" -eq 1 ] || { cat "$TMP/q.err" >&2; fail "$1: not one error line"; }
	tail -1 "$TMP/q.err" | grep -q "^error: .*$2" || { cat "$TMP/q.err" >&2; fail "$1: no '$2'"; }
	[ ! -e "$3" ] || fail "$1: left $3 behind"
	ls -a "$(dirname "$3")" | grep -q '\.tmp\.' && { ls -la "$(dirname "$3")" >&2; fail "$1: left a temporary file"; }
	echo "$1: $(tail -1 "$TMP/q.err")" >&2
}

# ---- a file size limit: writes fail with EFBIG ----
# r.json was made for syn; applying it to syn3 (the same shapes in 3 shards) needs --force.
for model in "$SYN" "$TMP/syn3"; do
	mkdir -p "$TMP/ulimit"
	(trap '' XFSZ; ulimit -f 60000; exec $BB quantize --model "$model" --recipe "$TMP/r.json" \
		--out "$TMP/ulimit/q" --threads 2 --force) > /dev/null 2> "$TMP/q.err"
	status=$?
	refused "ulimit -f ($(basename "$model"))" "File too large" "$TMP/ulimit/q"
done

# ---- a small tmpfs: ENOSPC in the middle of a shard ----
if [ "$(id -u)" -eq 0 ] && mkdir -p "$TMP/small" && mount -t tmpfs -o size=40m tmpfs "$TMP/small" 2> /dev/null; then
	trap 'umount "$TMP/small" 2>/dev/null; rm -rf "$TMP"' EXIT
	for model in "$SYN" "$TMP/syn3"; do
		$BB quantize --model "$model" --recipe "$TMP/r.json" --out "$TMP/small/q" --threads 2 \
			--force > /dev/null 2> "$TMP/q.err"
		status=$?
		refused "tmpfs full ($(basename "$model"))" "No space left on device" "$TMP/small/q"
		[ -z "$(ls -A "$TMP/small")" ] || fail "tmpfs: files left behind"
	done
	umount "$TMP/small"
else
	echo "note: cannot mount a tmpfs here (not root or no permission): the ENOSPC case is skipped" >&2
fi

# ---- SIGINT while the shards are written (retried if quantize wins the race) ----
interrupted=no
for try in 1 2 3 4 5; do
	rm -rf "$TMP/int"
	mkdir -p "$TMP/int"
	$BB quantize --model "$SYN" --recipe "$TMP/r.json" --out "$TMP/int/q" --threads 1 \
		> /dev/null 2> "$TMP/q.err" &
	pid=$!
	i=0 # send it as soon as the temporary folder holds the shard being written
	until ls "$TMP/int" | grep -q '^q\.tmp\.' && [ -n "$(ls -A "$TMP/int/"q.tmp.* 2> /dev/null)" ]; do
		i=$((i + 1)); [ $i -lt 2000 ] && kill -0 $pid 2> /dev/null || break
		sleep 0.005
	done
	kill -INT $pid 2> /dev/null
	wait $pid
	status=$?
	if [ $status -eq 0 ]; then
		echo "note: try $try: quantize finished before SIGINT arrived" >&2
		continue
	fi
	refused "SIGINT" "interrupted" "$TMP/int/q"
	interrupted=yes
	break
done
[ $interrupted = yes ] || fail "SIGINT never arrived while quantize was writing"
