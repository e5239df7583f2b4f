#!/bin/sh
# t7120: temporaries left by a SIGKILL are removed by the next writer of the same output,
# and only those whose process is gone. quantize builds its checkpoint in
# "<out>.tmp.<pid>.XXXXXX"; killed with SIGKILL mid-write it leaves that folder, and the
# next quantize to the same --out removes it, while a temporary named with a live pid (a
# concurrent quantize's) stays. The atomic file writer's "<file>.tmp.<pid>.XXXXXX" follow
# the same rule at the next write of that file.
. tests/cli/lib.sh
SYN="$TMP/syn"
$BB_TEST_TOOL synth "$SYN" --hidden 1024 --intermediate 4096 --layers 4 --heads 8 --kv 4 \
	--vocab 256 > /dev/null || fail "synth"
$BB recipe --model "$SYN" --strategy head --options MXFP4,MXFP8 --avg-bits 6 -o "$TMP/r.json" \
	2> /dev/null || fail "recipe"
sleep 600 &
live=$! # stands for a concurrent writer: its temporaries must survive
trap 'kill $live 2> /dev/null; rm -rf "$TMP"' EXIT
sh -c 'echo $$' > "$TMP/dead.pid"
dead=$(cat "$TMP/dead.pid") # a process that has exited
kill -0 "$dead" 2> /dev/null && fail "pid $dead should be gone"

# ---- quantize killed with SIGKILL while it writes a shard (retried if it wins the race) ----
mkdir "$TMP/k"
killed=
for try in 1 2 3 4 5; do
	rm -rf "$TMP/k/"*
	$BB quantize --model "$SYN" --recipe "$TMP/r.json" --out "$TMP/k/q" --threads 1 \
		> /dev/null 2>&1 &
	pid=$!
	i=0 # as soon as the temporary folder holds the shard being written
	until [ -n "$(ls -A "$TMP/k/"q.tmp.* 2> /dev/null)" ]; do
		i=$((i + 1)); [ $i -lt 2000 ] && kill -0 $pid 2> /dev/null || break
		sleep 0.005
	done
	kill -KILL $pid 2> /dev/null
	wait $pid 2> /dev/null
	if [ $? -eq 0 ]; then
		echo "note: try $try: quantize finished before SIGKILL arrived" >&2
		continue
	fi
	killed=$pid
	break
done
[ -n "$killed" ] || fail "SIGKILL never arrived while quantize was writing"
stale=$(ls "$TMP/k" | grep '^q\.tmp\.') || { ls -la "$TMP/k" >&2; fail "the kill left no temporary folder"; }
[ ! -e "$TMP/k/q" ] || fail "the killed quantize left a checkpoint at --out"
mkdir "$TMP/k/q.tmp.$live.abcdef"
echo partial > "$TMP/k/q.tmp.$live.abcdef/model.safetensors"
$BB quantize --model "$SYN" --recipe "$TMP/r.json" --out "$TMP/k/q" --threads 2 \
	> /dev/null 2> "$TMP/q.err" || { cat "$TMP/q.err" >&2; fail "quantize after the kill"; }
[ ! -e "$TMP/k/$stale" ] || fail "the killed quantize's temporary folder $stale is still there"
echo "$stale" | grep -q "^q\.tmp\.$killed\.......$" || fail "$stale: not named with the pid $killed"
[ "$(cat "$TMP/k/q.tmp.$live.abcdef/model.safetensors")" = partial ] ||
	fail "a live process's temporary folder was removed"
[ -s "$TMP/k/q/model.safetensors" ] || fail "no checkpoint after the kill"

# ---- the atomic file writer: the same rule for files ----
for pid in $dead $live; do echo partial > "$TMP/out.json.tmp.$pid.abcdef"; done
echo partial > "$TMP/other.json.tmp.$dead.abcdef" # another file's: not this writer's business
$BB recipe --model "$SYN" --strategy tail --options MXFP4,MXFP8 --avg-bits 6 \
	-o "$TMP/out.json" 2> /dev/null || fail "recipe -o out.json"
[ ! -e "$TMP/out.json.tmp.$dead.abcdef" ] || fail "a dead process's temporary file is still there"
[ -e "$TMP/out.json.tmp.$live.abcdef" ] || fail "a live process's temporary file was removed"
[ -e "$TMP/other.json.tmp.$dead.abcdef" ] || fail "another output's temporary file was removed"
json_get "$TMP/out.json" 'j["strategy"]' | grep -qx tail || fail "out.json is not the recipe"
exit 0
