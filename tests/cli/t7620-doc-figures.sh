# The figures the docs show are what the shown commands print. In README.md and docs/*.md
# (not reliability.md, a record of past runs, nor benchmarks.md, timings), a `bitbudget`
# command in a ```sh block followed directly by lines starting with "# " is run, and each
# of those lines must be a line it printed (stdout or stderr), in that order; "..." in a
# shown line stands for any text. So "mean acc 0.3933" under a command that prints
# "mean acc 0.3000", or "is_greedy":false where it prints true, fails here.
# Each command runs without a shell (argv split as the shell would), in this test's own
# folder: "bin/bitbudget" is $BB, a "../shared" prefix is $SHARED, experiments/ is linked.
. tests/cli/lib.sh
ln -s "$(pwd)/experiments" "$TMP/experiments"
python3 - "$BB" "$(cd "$SHARED" && pwd)" "$TMP" README.md $(ls docs/*.md | grep -v -e reliability -e benchmarks) <<'PY' || fail "docs and commands disagree"
import re, shlex, subprocess, sys
bb, shared, tmp, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def examples(path):
    """(command line, [shown lines]) for each command followed by "# " lines."""
    out, in_sh, lines = [], False, open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            in_sh = not in_sh and line.strip() == "```sh"
        elif in_sh and line.startswith("bin/bitbudget "):
            cmd = line
            while cmd.endswith("\\"):
                i += 1
                cmd = cmd[:-1] + lines[i]
            shown = []
            while i + 1 < len(lines) and lines[i + 1].startswith("# "):
                i += 1
                shown.append(lines[i][2:])
            if shown:
                out.append((cmd, shown))
        i += 1
    return out

def matches(shown, line):
    pieces = shown.split("...")
    if len(pieces) == 1:
        return line == shown
    if not line.startswith(pieces[0]) or not line.endswith(pieces[-1]):
        return False
    at = len(pieces[0])
    for p in pieces[1:-1]:
        at = line.find(p, at)
        if at < 0:
            return False
        at += len(p)
    return len(line) >= len(pieces[0]) + len(pieces[-1])

checked = 0
for path in files:
    for cmd, shown in examples(path):
        argv = shlex.split(cmd)
        argv = [bb] + [shared + a[len("../shared"):] if a.startswith("../shared") else a for a in argv[1:]]
        r = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, (path, cmd, r.stderr)
        printed = [l for l in (r.stdout + "\n" + r.stderr).split("\n")]
        at = 0
        for s in shown:  # in order, each against a later printed line
            while at < len(printed) and not matches(s, printed[at]):
                at += 1
            assert at < len(printed), "%s: `%s` shows %r; it printed:\n%s" % (path, cmd, s, r.stdout + r.stderr)
            at += 1
        checked += 1
# the README's examples are among them: recipe (2), generate, loglik, eval; endpoint.md's eval
assert checked >= 6, checked
print(checked, "examples checked")
PY
