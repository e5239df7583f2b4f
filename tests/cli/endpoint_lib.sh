# Helpers for the endpoint tests (t3*.sh), on top of lib.sh: start a server on a free
# loopback port, send requests with curl, and check that every answer is JSON (errors:
# {"error": "one line"}). Never leaves a server running: the EXIT trap stops it.

# start_server LOG ARGS...: run ARGS (a command that prints "listening on URL") in the
# background and set URL and SERVER_PID once it listens (10 s at most).
start_server() {
	log=$1
	shift
	: > "$log.out"
	"$@" > "$log.out" 2> "$log.err" &
	SERVER_PID=$!
	trap 'kill "$SERVER_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
	i=0
	while [ $i -lt 100 ]; do
		URL=$(sed -n 's/^listening on //p' "$log.out")
		[ -n "$URL" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log.err" >&2; fail "server died: $*"; }
		sleep 0.1
		i=$((i + 1))
	done
	fail "server never printed 'listening on': $*"
}

# req METHOD PATH [BODY]: the HTTP status on stdout, the body in $TMP/body.
req() {
	if [ $# -ge 3 ]; then
		curl -s -m 30 -o "$TMP/body" -w '%{http_code}' -X "$1" \
			-H 'Content-Type: application/json' --data-binary "$3" "$URL$2"
	else
		curl -s -m 30 -o "$TMP/body" -w '%{http_code}' -X "$1" "$URL$2"
	fi
}

# check_json FILE STATUS: the body is JSON; an error status carries a one-line "error".
check_json() {
	python3 - "$1" "$2" <<'EOF' || { cat "$1" >&2; fail "bad answer body (status $2)"; }
import json, sys
j = json.load(open(sys.argv[1]))
if int(sys.argv[2]) >= 400:
    assert isinstance(j, dict) and isinstance(j.get("error"), str), j
    assert "\n" not in j["error"] and j["error"], j
EOF
}

# expect_status WANT METHOD PATH [BODY]: the answer has status WANT (one of "A|B") and a
# JSON body.
expect_status() {
	want=$1
	shift
	got=$(req "$@")
	case "|$want|" in
	*"|$got|"*) ;;
	*) cat "$TMP/body" >&2; fail "$1 $2: status $got, expected $want" ;;
	esac
	check_json "$TMP/body" "$got"
	# BB_CATALOGUE=FILE collects "test<TAB>request<TAB>status: error" (docs/reliability.md)
	[ -z "${BB_CATALOGUE:-}" ] || [ "$got" -lt 400 ] || printf '%s\t%s %s %s\t%s: %s\n' "$0" "$1" "$2" \
		"${3:-}" "$got" "$(field 'j["error"]')" >> "$BB_CATALOGUE"
}

# field EXPR: a Python expression on the last answer's JSON (bound to j).
field() {
	json_get "$TMP/body" "$1"
}

# wait_status ID STATES SECONDS: poll job ID until its status is one of STATES ("a|b");
# prints the status.
wait_status() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		expect_status 200 GET "/v1/jobs/$1" > /dev/null
		s=$(field 'j["status"]')
		case "|$2|" in *"|$s|"*) echo "$s"; return 0 ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	fail "job $1 stayed '$s', never reached $2"
}
