#!/bin/sh
# check-layers.sh LIB...: the check behind `make check-layers`. The libraries are given
# lowest layer first (the Makefile's LAYERS); each may use only the symbols defined in
# itself or in a library before it, plus the system's (libc, cJSON, OpenMP, ...: any
# symbol that no library given here defines).
#
# It reads what the linker reads: every global symbol a library leaves undefined (nm),
# looked up among the symbols the libraries define. So a call up is caught however it was
# declared, even by a prototype written by hand instead of an #include. One line per
# offending (library, symbol), naming the symbol and both libraries; exit 1 if any.
#
# Also, what nm cannot see (a type or macro from a header above): no source file of a
# layer includes a header from the folder of a layer above it. A library libX.a is the
# layer X, built from the folder X/ (subfolders included).
#
# It only reads: the libraries, and the sources under the current folder.
set -u
[ $# -gt 0 ] || { echo "usage: check-layers.sh LIB... (lowest layer first)" >&2; exit 2; }
for lib; do
	[ -f "$lib" ] || { echo "check-layers: no library $lib" >&2; exit 2; }
done

# One line per global symbol: "RANK LIBRARY defines|uses SYMBOL".
symbol_table() {
	rank=0
	for lib; do
		nm -P -g "$lib" | awk -v rank="$rank" -v lib="${lib##*/}" '
			/\]:$/ || NF < 2 { next }         # "lib.a[member.o]:" headers
			{ print rank, lib, ($2 == "U" || $2 == "w" || $2 == "v" ? "uses" : "defines"), $1 }'
		rank=$((rank + 1))
	done
}

# A symbol's home is the lowest library defining it; a use is an upward call when the
# home ranks above the user.
calls_up() {
	awk '
		$3 == "defines" && !($4 in home) { home[$4] = $1; home_lib[$4] = $2 }
		$3 == "uses" { n++; user_rank[n] = $1; user_lib[n] = $2; symbol[n] = $4 }
		END {
			for (k = 1; k <= n; k++) {
				s = symbol[k]
				if (!(s in home) || home[s] <= user_rank[k] || seen[user_lib[k], s]++)
					continue
				printf "check-layers: %s calls up: %s is defined in %s, a layer above it\n",
					user_lib[k], s, home_lib[s]
				bad = 1
			}
			exit bad
		}'
}

# The layer names, lowest first, from the library names.
layers() {
	for lib; do
		name=${lib##*/lib}
		echo "${name%.a}"
	done
}

includes_up() {
	bad=0
	below=""
	for layer in $(layers "$@"); do
		for lower in $below; do
			[ -d "$lower" ] || continue
			hits=$(grep -rnE --include='*.[ch]' "#include \"$layer/" "$lower" 2>/dev/null)
			[ -z "$hits" ] && continue
			echo "$hits" | sed "s|^|check-layers: $lower/ includes from $layer/, a layer above it: |"
			bad=1
		done
		below="$below $layer"
	done
	return $bad
}

status=0
symbol_table "$@" | calls_up || status=1
includes_up "$@" || status=1
exit $status
