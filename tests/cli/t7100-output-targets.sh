#!/bin/sh
# t7100: what an output path may name (core/fileio.c, output_resolve), for every command
# that writes files. "-" is stdout; a character device or a FIFO is written through and
# stays what it was (a socket gets a connection); a symbolic link is followed, its target
# replaced and the link kept (a link to /proc/self/fd/1 reaches stdout); a folder or a
# block device is refused with
# exit 2, one error line, and left as it was. quantize writes a folder: it takes a new
# path, an empty folder or a link to one, and refuses everything else. `report` (and
# `run`) apply the rule to reports/<name>.{md,csv,tex}: all three are written, or none.
. tests/cli/lib.sh

out_recipe() { $BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 5 -o "$1"; }
out_scores() { $BB scores --model "$TINY" --options MXFP4,MXFP8 --method proxy -o "$1"; }
out_eval() {
	$BB eval --endpoint local --model "$TINY" --tasks experiments/demo-tasks/story_cloze.json \
		--limit 2 -q -o "$1"
}

# has_key FILE KEY: FILE is a JSON object with KEY (each command's output has its own).
has_key() {
	python3 -c "import json,sys; assert sys.argv[2] in json.load(open(sys.argv[1]))" "$1" "$2" \
		2> /dev/null
}

# refused WHAT PATTERN CMD...: exit 2, one error line matching PATTERN, nothing on stdout.
refused() {
	what=$1 pattern=$2
	shift 2
	"$@" > "$TMP/refused.out" 2> "$TMP/refused.err"
	status=$?
	[ $status -eq 2 ] || { cat "$TMP/refused.err" >&2; fail "$what: exit $status, expected 2"; }
	# one line, besides the "run: <experiment>: model set" note report and run begin with
	[ "$(grep -vc '^run: ' "$TMP/refused.err")" -eq 1 ] || { cat "$TMP/refused.err" >&2; fail "$what: not one line"; }
	grep -q -- "$pattern" "$TMP/refused.err" || { cat "$TMP/refused.err" >&2; fail "$what: no '$pattern'"; }
	[ ! -s "$TMP/refused.out" ] || fail "$what: wrote to stdout"
	[ -z "${BB_CATALOGUE:-}" ] || printf '%s\t%s\t%s\n' "$0" "$*" "$(grep -v '^run: ' "$TMP/refused.err")" >> "$BB_CATALOGUE"
}

# file_targets NAME KEY: out_NAME against each kind of target; KEY is in its JSON output.
file_targets() {
	name=$1 key=$2 d="$TMP/$1"
	mkdir "$d"
	# A character device (mknod c 1 3 is /dev/null) is written through, not replaced.
	mknod "$d/null" c 1 3 || fail "mknod"
	out_$name "$d/null" > /dev/null 2> "$d/err" || { cat "$d/err" >&2; fail "$name: -o a character device"; }
	[ -c "$d/null" ] || fail "$name: the character device was replaced by a regular file"
	# A FIFO: a reader gets the whole output, and the FIFO stays a FIFO.
	mkfifo "$d/fifo"
	timeout 120 cat "$d/fifo" > "$d/from-fifo" &
	reader=$!
	out_$name "$d/fifo" > /dev/null 2> "$d/err" || { kill $reader; cat "$d/err" >&2; fail "$name: -o a FIFO"; }
	wait $reader || fail "$name: nothing was written into the FIFO"
	[ -p "$d/fifo" ] || fail "$name: the FIFO was replaced"
	has_key "$d/from-fifo" "$key" || fail "$name: the FIFO's reader did not get the output"
	# A link to a regular file: the file is replaced, the link kept.
	echo old > "$d/real"
	ln -s real "$d/link"
	out_$name "$d/link" > /dev/null 2> "$d/err" || { cat "$d/err" >&2; fail "$name: -o a link"; }
	[ -L "$d/link" ] && [ "$(readlink "$d/link")" = real ] || fail "$name: the link was replaced"
	has_key "$d/real" "$key" || fail "$name: the link's target was not written"
	# stdout, as "-" and through a link to /proc/self/fd/1.
	out_$name - > "$d/dash" 2> "$d/err" || { cat "$d/err" >&2; fail "$name: -o -"; }
	has_key "$d/dash" "$key" || fail "$name: -o - did not write stdout"
	[ ! -e ./- ] || fail "$name: -o - wrote a file named '-'"
	ln -s /proc/self/fd/1 "$d/stdout" # stdout a pipe: the stream, not a file to replace
	{ out_$name "$d/stdout" 2> "$d/err"; echo $? > "$d/status"; } | cat > "$d/via-link"
	[ "$(cat "$d/status")" = 0 ] || { cat "$d/err" >&2; fail "$name: -o /proc/self/fd/1"; }
	[ -L "$d/stdout" ] || fail "$name: the link to /proc/self/fd/1 was replaced"
	has_key "$d/via-link" "$key" || fail "$name: a link to /proc/self/fd/1 did not reach stdout"
	# A block device is never written or replaced (mknod b 7 0: loop0; nothing opens it).
	mknod "$d/blk" b 7 0 || fail "mknod b"
	refused "$name: -o a block device" "is a block device" out_$name "$d/blk"
	[ -b "$d/blk" ] || fail "$name: the block device was replaced"
	ls "$d" | grep -q '\.tmp\.' && fail "$name: a temporary file was left"
	return 0
}

file_targets recipe layers
file_targets scores scores

# A socket: the output goes through a connection to it.
python3 - "$TMP/recipe/sock" "$TMP/recipe/from-sock" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(120)
c, _ = s.accept()
c.settimeout(120)
data = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    data += b
open(sys.argv[2], "wb").write(data)
PY
listener=$!
i=0
until [ -S "$TMP/recipe/sock" ]; do
	i=$((i + 1)); [ $i -lt 1200 ] || fail "the socket's listener did not start"; sleep 0.1
done
out_recipe "$TMP/recipe/sock" 2> /dev/null || { kill $listener; fail "recipe: -o a socket"; }
wait $listener || fail "recipe: the socket's listener failed"
[ -S "$TMP/recipe/sock" ] || fail "recipe: the socket was replaced"
has_key "$TMP/recipe/from-sock" layers || fail "recipe: the socket's listener did not get the recipe"
file_targets eval results

# A folder: refused by scores and eval (before any work), left empty.
for name in scores eval; do
	mkdir "$TMP/$name/dir"
	refused "$name: -o a folder" "is a folder" out_$name "$TMP/$name/dir"
	[ -z "$(ls -A "$TMP/$name/dir")" ] || fail "$name: wrote into the folder"
done
# recipe documents folder output: <folder>/<strategy>-<bits>.json.
mkdir "$TMP/recipe/dir"
out_recipe "$TMP/recipe/dir" 2> /dev/null || fail "recipe: -o a folder"
has_key "$TMP/recipe/dir/head-5.json" layers || fail "recipe: -o a folder: no head-5.json"

# ---- quantize: the checkpoint is a folder ----
Q="$TMP/quantize"
mkdir "$Q"
cp "$TMP/recipe/real" "$Q/r.json"
quantize() { $BB quantize --model "$TINY" --recipe "$Q/r.json" --threads 2 --out "$1"; }
mknod "$Q/null" c 1 3
refused "quantize: --out a character device" "is a character device, not a folder" quantize "$Q/null"
[ -c "$Q/null" ] || fail "quantize: the character device was replaced"
mkfifo "$Q/fifo"
refused "quantize: --out a FIFO" "is a FIFO, not a folder" quantize "$Q/fifo"
[ -p "$Q/fifo" ] || fail "quantize: the FIFO was replaced"
refused "quantize: --out -" "a checkpoint is a folder, not stdout" quantize -
echo keep > "$Q/file"
ln -s file "$Q/link-to-file"
refused "quantize: --out a link to a file" "is a regular file, not a folder" quantize "$Q/link-to-file"
[ "$(cat "$Q/file")" = keep ] && [ -L "$Q/link-to-file" ] || fail "quantize: the file or its link changed"
mkdir "$Q/full"
echo x > "$Q/full/x"
refused "quantize: --out a folder with files" "already exists and is not an empty folder" quantize "$Q/full"
[ "$(ls "$Q/full")" = x ] || fail "quantize: the full folder changed"
# A link to an empty folder: the checkpoint replaces the folder, the link stays.
mkdir "$Q/empty"
ln -s empty "$Q/link-to-folder"
quantize "$Q/link-to-folder" 2> "$Q/err" || { cat "$Q/err" >&2; fail "quantize: --out a link to an empty folder"; }
[ -L "$Q/link-to-folder" ] && [ "$(readlink "$Q/link-to-folder")" = empty ] || fail "quantize: the link was replaced"
cmp "$Q/empty/tokenizer.json" "$TINY/tokenizer.json" || fail "quantize: the linked folder holds no checkpoint"
has_key "$Q/empty/config.json" quantization_config || fail "quantize: no quantization_config"
ls "$Q" | grep -q '\.tmp\.' && fail "quantize: a temporary folder was left"

# ---- run and report: reports/<name>.{md,csv,tex} ----
EXP=tests/fixtures/experiments/demo-mini.json
report() {
	$BB report $EXP --demo --limit 2 --results "$TMP/results" --reports "$TMP/reports" \
		--plots "$TMP/plots" "$@"
}
$BB run $EXP --demo --limit 2 --results "$TMP/results" --reports "$TMP/reports" \
	--plots "$TMP/plots" --scratch "$TMP/scratch" > /dev/null 2> "$TMP/run.err" ||
	{ cat "$TMP/run.err" >&2; fail "run"; }
R="$TMP/reports"
cp "$R/demo-mini.md" "$TMP/expected.md"
# The Markdown report as a link to a file, the CSV as a FIFO, the LaTeX through stdout.
mv "$R/demo-mini.md" "$TMP/md-target"
ln -s "$TMP/md-target" "$R/demo-mini.md"
rm "$R/demo-mini.csv"
mkfifo "$R/demo-mini.csv"
timeout 120 cat "$R/demo-mini.csv" > "$TMP/from-fifo.csv" &
reader=$!
rm "$R/demo-mini.tex"
ln -s /proc/self/fd/1 "$R/demo-mini.tex"
report > "$TMP/report.out" 2> "$TMP/report.err" || { kill $reader; cat "$TMP/report.err" >&2; fail "report"; }
wait $reader || fail "report: nothing was written into the FIFO"
[ -L "$R/demo-mini.md" ] && [ -p "$R/demo-mini.csv" ] && [ -L "$R/demo-mini.tex" ] ||
	{ ls -la "$R" >&2; fail "report: a link or the FIFO was replaced"; }
cmp "$TMP/md-target" "$TMP/expected.md" || fail "report: the link's target is not the report"
grep -q '^experiment,model,row' "$TMP/from-fifo.csv" || fail "report: the FIFO's reader got no CSV"
grep -q '^\\begin{tabular}' "$TMP/report.out" || fail "report: the LaTeX did not reach stdout"
# A folder where a report goes: exit 2, and none of the three is written.
rm "$R/demo-mini.md" "$R/demo-mini.csv" "$R/demo-mini.tex"
mkdir "$R/demo-mini.tex"
refused "report: reports/<name>.tex is a folder" "demo-mini.tex' is a folder" report
[ ! -e "$R/demo-mini.md" ] && [ ! -e "$R/demo-mini.csv" ] || fail "report: wrote part of the reports"
# --reports naming a file: exit 2, the file unchanged.
echo keep > "$TMP/not-a-folder"
refused "report: --reports a file" "cannot create the folder: Not a directory" report --reports "$TMP/not-a-folder"
[ "$(cat "$TMP/not-a-folder")" = keep ] || fail "report: the file given as --reports changed"
exit 0
