# make check-layers (tests/check-layers.sh) catches a call up, and only a call up.
#
# Copies of the built libraries, in the Makefile's LAYERS order, are doctored one at a
# time: a small object added to a layer calls a function that only the layer above it
# defines, declared by hand (no #include, so only the symbols can give it away). The check
# must fail and name the symbol and both libraries; the same call added to the layer
# above, where it is a call within a layer or down, must pass. Then a source folder of the
# lowest layer that includes a header of a layer above must fail too. The real sources and
# libraries are only read.
. tests/cli/lib.sh
BUILD_DIR=${BB_BUILD:-build}
CHECK="$(pwd)/tests/check-layers.sh"
LAYERS=$(sed -n 's/^LAYERS *:= *//p' Makefile)
[ "$(echo $LAYERS | wc -w)" -ge 4 ] || fail "LAYERS in the Makefile: '$LAYERS'"
for layer in $LAYERS; do
	[ -f "$BUILD_DIR/lib$layer.a" ] || fail "no $BUILD_DIR/lib$layer.a (build first)"
done

# copy_libs DIR: the built libraries, untouched, into DIR; prints their paths in order.
copy_libs() {
	mkdir -p "$1"
	for layer in $LAYERS; do
		cp "$BUILD_DIR/lib$layer.a" "$1/"
		printf '%s ' "$1/lib$layer.a"
	done
}

# a_function LIB: one function the library defines.
a_function() {
	nm -P -g --defined-only "$1" | awk '$2 == "T" { print $1; exit }'
}

# add_call LIB SYMBOL: add to LIB an object whose function calls SYMBOL.
add_call() {
	printf 'void %s(void);\nvoid layer_probe(void);\nvoid layer_probe(void) { %s(); }\n' \
		"$2" "$2" > "$TMP/probe.c"
	${CC:-cc} -c "$TMP/probe.c" -o "$TMP/layer_probe.o" || fail "compile the probe"
	ar rcs "$1" "$TMP/layer_probe.o" || fail "ar $1"
}

libs=$(copy_libs "$TMP/clean")
sh "$CHECK" $libs > "$TMP/clean.out" 2>&1 ||
	{ cat "$TMP/clean.out"; fail "the untouched libraries fail"; }

lower=""
for upper in $LAYERS; do
	if [ -n "$lower" ]; then
		symbol=$(a_function "$BUILD_DIR/lib$upper.a")
		[ -n "$symbol" ] || fail "lib$upper.a defines no function"

		libs=$(copy_libs "$TMP/up-$lower")
		add_call "$TMP/up-$lower/lib$lower.a" "$symbol"
		sh "$CHECK" $libs > "$TMP/up.out" 2>&1 && fail "lib$lower.a calling $symbol passes"
		want="check-layers: lib$lower.a calls up: $symbol is defined in lib$upper.a, a layer above it"
		grep -qxF "$want" "$TMP/up.out" || { cat "$TMP/up.out"; fail "no line '$want'"; }
		[ "$(wc -l < "$TMP/up.out")" -eq 1 ] || { cat "$TMP/up.out"; fail "more than the one call up"; }

		libs=$(copy_libs "$TMP/within-$upper")
		add_call "$TMP/within-$upper/lib$upper.a" "$symbol"
		sh "$CHECK" $libs > "$TMP/within.out" 2>&1 ||
			{ cat "$TMP/within.out"; fail "lib$upper.a calling its own $symbol fails"; }
	fi
	lower=$upper
done

# An include from above, which nm cannot see: run in a tree of its own whose lowest
# layer's folder includes the next layer's header.
set -- $LAYERS
mkdir -p "$TMP/tree/$1/sub"
printf '#include "%s/any.h"\n' "$2" > "$TMP/tree/$1/sub/up.c"
libs=$(copy_libs "$TMP/tree/libs")
(cd "$TMP/tree" && sh "$CHECK" $libs) > "$TMP/include.out" 2>&1 &&
	fail "an include from above passes"
grep -q "^check-layers: $1/ includes from $2/, a layer above it: $1/sub/up.c:1:" "$TMP/include.out" ||
	{ cat "$TMP/include.out"; fail "the include is not named"; }
echo "ok"
