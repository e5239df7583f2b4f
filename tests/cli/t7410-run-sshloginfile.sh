#!/bin/sh
# t7410: `bitbudget run --sshloginfile F` through a real OpenSSH server: the test starts
# its own sshd on a free loopback port (throw-away host and user keys, its config, pid
# file, authorized keys and log all in the test's folder), gives GNU Parallel two ssh
# logins to it, runs a small demo experiment over them and checks that every result
# equals a local run's and that both logins ran jobs. Nothing outside the folder is
# touched (keys and host checking by ssh options, not ~/.ssh), except sshd's privilege
# separation folder /run/sshd, created when absent as Debian's service would.
# sshd missing is a failure, not a skip: `make deps` installs openssh-server.
. tests/cli/lib.sh
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || fail "$SSHD is missing (make deps installs openssh-server)"
command -v ssh > /dev/null && command -v ssh-keygen > /dev/null || fail "ssh is missing (openssh-client)"
EXP=tests/fixtures/experiments/demo-mini.json
K="$TMP/ssh"
mkdir -m 700 "$K"
SSHD_PID=
trap '[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

ssh-keygen -q -t ed25519 -N '' -f "$K/host_key" || fail "ssh-keygen (host key)"
ssh-keygen -q -t ed25519 -N '' -f "$K/user_key" || fail "ssh-keygen (user key)"
cp "$K/user_key.pub" "$K/authorized_keys"
user=$(id -un)
[ "$(id -u)" -ne 0 ] || [ -d /run/sshd ] || mkdir -p -m 755 /run/sshd || fail "cannot create /run/sshd"

SSH_OPTS="-i $K/user_key -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
ssh_to() { ssh -p "$PORT" $SSH_OPTS "$@"; }

# start_sshd: sshd on a free port (a port taken between the check and the bind: try again).
start_sshd() {
	for try in 1 2 3 4 5; do
		PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		cat > "$K/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $K/host_key
PidFile $K/sshd.pid
AuthorizedKeysFile $K/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel INFO
EOF
		"$SSHD" -D -e -f "$K/sshd_config" 2>> "$K/sshd.log" &
		SSHD_PID=$!
		i=0
		while [ $i -lt 100 ] && kill -0 "$SSHD_PID" 2> /dev/null; do
			ssh_to "$user@127.0.0.1" true 2> "$K/probe.err" && return 0
			i=$((i + 1)); sleep 0.1
		done
		kill "$SSHD_PID" 2> /dev/null; wait "$SSHD_PID" 2> /dev/null; SSHD_PID=
	done
	cat "$K/sshd.log" "$K/probe.err" >&2
	fail "sshd did not start"
}
start_sshd

# Two logins to the same server, one job slot each (the options make them two logins
# for GNU Parallel, which merges identical ones).
printf '1/ssh -p %s %s %s@127.0.0.1\n1/ssh -p %s %s -o ConnectTimeout=60 %s@127.0.0.1\n' \
	"$PORT" "$SSH_OPTS" "$user" "$PORT" "$SSH_OPTS" "$user" > "$K/logins"

run() { # run DIR [OPTIONS]: the experiment into DIR
	d=$1
	shift
	PARALLEL_HOME="$TMP/parallel-home" TMPDIR="$TMP" $BB run $EXP --demo --limit 8 \
		--results "$d/results" --reports "$d/reports" --plots "$d/plots" \
		--scratch "$d/scratch" "$@" > "$d.out" 2> "$d.err" || { cat "$d.err" >&2; fail "run $d $*"; }
}
home_before=$(ls -la "$HOME/.ssh" 2> /dev/null | md5sum)
run "$TMP/remote" --sshloginfile "$K/logins"
run "$TMP/local"
[ "$(ls -la "$HOME/.ssh" 2> /dev/null | md5sum)" = "$home_before" ] || fail "~/.ssh changed"

# The same results (the lm-eval numbers and samples of every job) both ways, and the
# jobs ran on both logins: the joblog's Host column and sshd's accepted logins say so.
python3 - "$TMP/remote/results" "$TMP/local/results" "$PORT" <<'EOF' || fail "results differ"
import json, os, sys
remote, local, port = sys.argv[1], sys.argv[2], sys.argv[3]
names = sorted(os.listdir(os.path.join(local, "cache")))
assert len(names) == 3, names
assert sorted(os.listdir(os.path.join(remote, "cache"))) == names, "different jobs"
for n in names:
    a = json.load(open(os.path.join(remote, "cache", n)))
    b = json.load(open(os.path.join(local, "cache", n)))
    assert a["lm_eval"]["results"] == b["lm_eval"]["results"], n
    assert a["lm_eval"]["samples"] == b["lm_eval"]["samples"], n
    assert a["recipe_sha256"] == b["recipe_sha256"], n
hosts = [line.split("\t")[1] for line in open(os.path.join(remote, "demo-mini", "joblog.txt"))][1:]
logins = {h for h in hosts if "-p %s " % port in h}
assert len(hosts) == 3 and len(logins) == 2, hosts
EOF
accepted=$(grep -c "Accepted publickey for $user" "$K/sshd.log")
[ "$accepted" -ge 4 ] || { cat "$K/sshd.log" >&2; fail "sshd accepted $accepted logins, expected the probe and 3 jobs"; }
kill "$SSHD_PID"
wait "$SSHD_PID" 2> /dev/null
SSHD_PID=
echo "sshloginfile: 3 jobs over 2 logins to a loopback sshd, results equal a local run" >&2
