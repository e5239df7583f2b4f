#!/bin/sh
# make bench: the project's benchmarks, each printing medians measured in this run.
#   1. quantize vs cp: a synthetic bf16 checkpoint with the shapes of two Llama-3.1-8B
#      decoder blocks (hidden 4096, intermediate 14336, 32/8 heads; small vocabulary so the
#      file is the blocks), quantized with three recipes; the same file copied with cp.
#      Both are made durable (quantize fsyncs; cp is followed by sync), and both read a
#      warm page cache. Reported: GB/s and the ratio quantize / cp.
#   2. the exact knapsack on 10,000 layers x 4 options;
#   3. bitbudget kld on both shared models over experiments/eval/default.txt: a cold run
#      (the reference computed, then one pass), a warm one (the reference read from the
#      cache, one pass) and a warm one with pure MXFP4 (one pass): wall, CPU, max RSS;
#   4. one frontier job's two halves (make frontier): the evaluation of one recipe on the
#      demo tasks and its KLD pass (reference cached), each with 1 and with 2 OpenMP
#      threads, on both shared models: wall and CPU, median of REPEATS;
#   5. every other build/bench/bench_* program (the engine's, when present).
# Figures are recorded by hand in docs/benchmarks.md. BENCH_DIR sets the scratch folder.
set -eu
BB=$(pwd)/bin/bitbudget
TOOL=$(pwd)/build/tests/bb-test-tool
DIR=${BENCH_DIR:-$(pwd)/build/bench-data}
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-$(nproc)}
mkdir -p "$DIR"
trap 'rm -rf "$DIR/q" "$DIR/copy"' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

if [ ! -f "$DIR/llama2blocks/model.safetensors" ]; then
	echo "bench: generating the synthetic checkpoint (2 Llama-3.1-8B blocks, bf16)..."
	$TOOL synth "$DIR/llama2blocks" --hidden 4096 --intermediate 14336 --layers 2 \
		--heads 32 --kv 8 --vocab 256 --dtype bf16
fi
SRC="$DIR/llama2blocks"
BYTES=$(stat -c %s "$SRC/model.safetensors")
cat "$SRC/model.safetensors" > /dev/null # warm the page cache for both contenders

for spec in "head MXFP4,MXFP8 5" "pure MXFP4,MXFP8 4" "pure W4G128,W2G128 2"; do
	set -- $spec
	$BB recipe --model "$SRC" --strategy $1 --options $2 --avg-bits $3 -o "$DIR/recipe.json" 2>/dev/null
	: > "$DIR/t.cp"
	: > "$DIR/t.q"
	i=0
	while [ $i -lt "$REPEATS" ]; do
		rm -rf "$DIR/copy" "$DIR/q"
		mkdir "$DIR/copy"
		t0=$(now); cp "$SRC/model.safetensors" "$DIR/copy/"; sync "$DIR/copy/model.safetensors"; t1=$(now)
		echo "$t1 - $t0" | bc -l >> "$DIR/t.cp"
		t0=$(now); $BB quantize --model "$SRC" --recipe "$DIR/recipe.json" --out "$DIR/q" --threads "$THREADS" 2>/dev/null; t1=$(now)
		echo "$t1 - $t0" | bc -l >> "$DIR/t.q"
		i=$((i + 1))
	done
	cp_s=$(median < "$DIR/t.cp")
	q_s=$(median < "$DIR/t.q")
	printf 'quantize %-6s %-16s %.2f GB in %.3f s = %.2f GB/s; cp %.3f s = %.2f GB/s; ratio quantize/cp %.2f (median of %d, %d threads)\n' \
		"$1" "$2@$3" "$(echo "$BYTES / 1000000000" | bc -l)" "$q_s" "$(echo "$BYTES / 1000000000 / $q_s" | bc -l)" \
		"$cp_s" "$(echo "$BYTES / 1000000000 / $cp_s" | bc -l)" "$(echo "$q_s / $cp_s" | bc -l)" "$REPEATS" "$THREADS"
done

# kld_time NAME ARGS...: median wall, user+sys and max RSS of REPEATS runs of bitbudget kld;
# a NAME starting with "cold" empties the reference cache before each run.
kld_time() {
	name=$1
	shift
	: > "$DIR/t.kld"
	i=0
	while [ $i -lt "$REPEATS" ]; do
		case $name in cold*) rm -rf "$DIR/kld-cache" ;; esac
		/usr/bin/time -f '%e %U %S %M' -o "$DIR/t.one" $BB kld --cache "$DIR/kld-cache" "$@" \
			-o "$DIR/kld.json" 2>/dev/null
		cat "$DIR/t.one" >> "$DIR/t.kld"
		i=$((i + 1))
	done
	printf 'kld %-8s %-18s wall %6.2f s  cpu %6.2f s  max RSS %4d MiB  (median of %d; %s tokens)\n' \
		"$name" "$model" "$(awk '{print $1}' "$DIR/t.kld" | median)" \
		"$(awk '{print $2 + $3}' "$DIR/t.kld" | median)" "$(($(awk '{print $4}' "$DIR/t.kld" | median) / 1024))" \
		"$REPEATS" "$(python3 -c "import json; print(json.load(open('$DIR/kld.json'))['n_tokens'])")"
}
for spec in "tinystories-656k 4" "stories260k 6.92"; do
	set -- $spec
	model=$1
	$BB recipe --model "${SHARED:-../shared}/models/$1" --strategy pure --options MXFP4,MXFP8 \
		--avg-bits $2 -o "$DIR/pure.json" 2>/dev/null
	kld_time cold --model "${SHARED:-../shared}/models/$1"
	kld_time warm --model "${SHARED:-../shared}/models/$1"
	kld_time warm-mx4 --model "${SHARED:-../shared}/models/$1" --recipe "$DIR/pure.json"
done
rm -rf "$DIR/kld-cache"

# job_time NAME THREADS CMD...: median wall and user+sys of REPEATS runs of CMD with
# OMP_NUM_THREADS=THREADS.
job_time() {
	name=$1 threads=$2
	shift 2
	: > "$DIR/t.job"
	i=0
	while [ $i -lt "$REPEATS" ]; do
		OMP_NUM_THREADS=$threads /usr/bin/time -f '%e %U %S' -o "$DIR/t.one" "$@" 2>/dev/null
		cat "$DIR/t.one" >> "$DIR/t.job"
		i=$((i + 1))
	done
	printf 'frontier job %-18s %-5s %d thread(s)  wall %6.2f s  cpu %6.2f s  (median of %d)\n' \
		"$model" "$name" "$threads" "$(awk '{print $1}' "$DIR/t.job" | median)" \
		"$(awk '{print $2 + $3}' "$DIR/t.job" | median)" "$REPEATS"
}
TASKS=experiments/demo-tasks/story_cloze.json,experiments/demo-tasks/story_endings.json,experiments/demo-tasks/story_text.json
for spec in "tinystories-656k 5" "stories260k 7.5"; do
	set -- $spec
	model=$1
	m="${SHARED:-../shared}/models/$1"
	$BB recipe --model "$m" --strategy head --options MXFP4,MXFP8 --avg-bits $2 -o "$DIR/head.json" 2>/dev/null
	$BB kld --model "$m" --cache "$DIR/kld-cache" -o "$DIR/kld.json" 2>/dev/null # the reference, once
	for threads in 1 2; do
		job_time eval $threads $BB eval --endpoint local --model "$m" --recipe "$DIR/head.json" \
			--tasks $TASKS --log-samples --quiet -o "$DIR/eval.json"
		job_time kld $threads $BB kld --model "$m" --recipe "$DIR/head.json" --cache "$DIR/kld-cache" \
			-o "$DIR/kld.json"
	done
done
rm -rf "$DIR/kld-cache"

for b in build/bench/bench_*; do
	[ -x "$b" ] || continue # the compiler's dependency files (.d) beside the programs
	"$b"
done
