#!/bin/sh
# Makes (or reuses) the parity suite's virtual environment, .venv-parity/, from
# requirements-parity.txt. The sha256 of the requirements file is recorded inside the
# venv after a successful install; a venv whose recorded hash matches is reused as is,
# any other is rebuilt from scratch, so a changed pin never leaves a half-old venv.
# Usage: sh tests/parity/venv.sh [VENV_DIR]   (default .venv-parity)
set -eu
venv=${1:-.venv-parity}
req=requirements-parity.txt
want=$(sha256sum "$req" | cut -d' ' -f1)
stamp="$venv/requirements.sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "parity: reusing $venv (requirements unchanged)"
	exit 0
fi
echo "parity: building $venv from $req"
rm -rf "$venv"
python3 -m venv "$venv"
# --no-deps: every need is pinned in the file, so nothing is left to the resolver
# (a loose torch requirement elsewhere would otherwise fetch a CUDA build).
# pip's log goes to a file (this machine's pip configuration is chatty); its tail is
# shown if the install fails.
if ! "$venv/bin/pip" install --no-deps -r "$req" > "$venv/pip-install.log" 2>&1 ||
	! "$venv/bin/pip" check >> "$venv/pip-install.log" 2>&1; then
	tail -20 "$venv/pip-install.log"
	echo "parity: installing $req failed (log: $venv/pip-install.log)" >&2
	exit 1
fi
echo "$want" > "$stamp"
