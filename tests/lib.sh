# lib.sh - TAP helpers for the shell tests, sourced by every tests/t*.sh.
#
# Gives each script a scratch folder $T (removed on success, kept on failure),
# a fabric config on kernel-chosen ports, and node_start/node_stop/node_kill,
# which start real nodes and wait (bounded) for their "ready" line. An EXIT
# trap stops every node the script started.

set -u
: "${PUSHFABRIC:=$(cd "$(dirname "$0")/.." && pwd)/src/pushfabric}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${PYTHON3:=/usr/bin/python3}"
: "${top_builddir:=$(cd "$(dirname "$PUSHFABRIC")/.." && pwd)}"
export PUSHFABRIC top_srcdir top_builddir PYTHON3

T=$(mktemp -d "${TMPDIR:-/tmp}/pftest.XXXXXX")
TAP_COUNT=0
TAP_FAILED=0
NODE_PIDS=""

pf () { "$PUSHFABRIC" "$@"; }

ok () {     # ok STATUS DESCRIPTION: STATUS 0 passes
    TAP_COUNT=$((TAP_COUNT + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $TAP_COUNT - $2"
    else
        TAP_FAILED=$((TAP_FAILED + 1))
        echo "not ok $TAP_COUNT - $2"
    fi
}

check () {  # check DESCRIPTION COMMAND...: runs the command, passes on exit 0
    desc=$1; shift
    if "$@" >"$T/check.out" 2>&1; then ok 0 "$desc"; else
        ok 1 "$desc"; sed 's/^/#   /' "$T/check.out" | tail -n 20; fi
}

is () {     # is GOT WANT DESCRIPTION
    if [ "$1" = "$2" ]; then ok 0 "$3"; else
        ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; fi
}

skip () {   # skip DESCRIPTION REASON
    TAP_COUNT=$((TAP_COUNT + 1))
    echo "ok $TAP_COUNT - $1 # SKIP $2"
}

diag () { echo "# $*"; }

free_port_base () {  # a base port with the next 40 ports free, below the ephemeral range
    "$PYTHON3" - <<'PY'
import random, socket
# Below the range the kernel gives out for outgoing connections: a node that
# restarts must find its port free again
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
for _ in range(200):
    base = random.randrange(10000, low - 50, 50)
    socks = []
    try:
        for port in range(base, base + 40):
            s = socket.socket(); s.bind(("127.0.0.1", port)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}

# fabric_init [init options...]: a fresh single-machine fabric in $T/fabric
fabric_init () {
    PORT_BASE=$(free_port_base)
    pf init "$T/fabric" --base-port "$PORT_BASE" "$@" >"$T/init.out" 2>&1 \
        || { cat "$T/init.out"; return 1; }
    CFG="$T/fabric/fabric.cfg"
    PUSHFABRIC_CONFIG=$CFG
    export PUSHFABRIC_CONFIG CFG PORT_BASE
}

# worker LEDGER [pfworker.py options]: a test worker keeping LEDGER; runs in
# a subshell (background or parenthesised), which it replaces
worker () { ledger=$1; shift; exec "$PYTHON3" "$top_srcdir/tests/pfworker.py" "$CFG" "$ledger" --ping 0.25 "$@"; }

# open_count: open messages in the databases of procs p1 and p2
open_count () {
    (sql "$T/fabric/data/p1.db" "select count(*) from msgs"; \
     sql "$T/fabric/data/p2.db" "select count(*) from msgs") | awk '{s+=$1} END {print s}'
}

# push_keys NAME KEYS OUT: 25 messages for each of the keys NAME0 to
# NAME(KEYS-1), sent in order per key (payload NAMEk.0 to NAMEk.24, topic
# orders), the keys side by side; their verdict lines are appended to OUT
push_keys () {
    senders=""
    for k in $(seq 0 $(($2 - 1))); do
        seq 0 24 | sed "s/^/$1$k./" | pf send --topic orders --key "$1$k" - >>"$3" &
        senders="$senders $!"
    done
    wait $senders
}

# node_start ROLE NAME [extra args]: start a node, wait for its ready line
node_start () {
    role=$1; name=$2; shift 2
    log="$T/$name.log"
    : >>"$log"
    start_line=$(wc -l <"$log")
    "$PUSHFABRIC" "$role" "$name" -c "$CFG" "$@" 2>>"$log" >/dev/null &
    pid=$!
    eval "PID_$name=$pid"
    NODE_PIDS="$NODE_PIDS $pid"
    for _ in $(seq 1 200); do
        if tail -n +"$((start_line + 1))" "$log" | grep -q ' ready \|"event":"ready"'; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "# $role $name exited before ready:"; sed 's/^/#   /' "$log" | tail -n 5
            return 1
        fi
        sleep 0.1
    done
    echo "# $role $name not ready after 20 s"; return 1
}

node_pid () { eval "echo \${PID_$1:-}"; }

node_stop () {  # SIGTERM and wait (bounded); returns the exit status
    pid=$(node_pid "$1")
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
}

node_kill () {  # SIGKILL and reap
    pid=$(node_pid "$1")
    [ -n "$pid" ] || return 0
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# wait_for SECONDS COMMAND...: poll until the command succeeds
wait_for () {
    limit=$(( $1 * 10 )); shift
    for _ in $(seq 1 "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

# sql DB QUERY: read a node's database (read-only, through Python's sqlite3)
sql () {
    "$PYTHON3" -c 'import sqlite3,sys
c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True)
text = lambda v: "" if v is None else v.decode(errors="replace") if isinstance(v, bytes) else str(v)
for row in c.execute(sys.argv[2]): print("|".join(text(v) for v in row))' "$1" "$2"
}

s_stop_all () {     # SIGTERM every node started, wait (bounded), then SIGKILL
    for pid in $NODE_PIDS; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $NODE_PIDS; do
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    NODE_PIDS=""
}

# Stop the nodes, check their logs for crash and sanitizer reports, print
# the plan. Returns non-zero if any test failed.
done_testing () {
    if [ -n "$NODE_PIDS" ]; then
        s_stop_all
        reports=$(grep -l "AddressSanitizer\|LeakSanitizer\|runtime error:\|Assertion .* failed" \
                  "$T"/*.log 2>/dev/null)
        if [ -z "$reports" ]; then ok 0 "no node logged a crash or sanitizer report"; else
            ok 1 "no node logged a crash or sanitizer report"
            for log in $reports; do sed 's/^/#   /' "$log" | head -n 40; done
        fi
    fi
    echo "1..$TAP_COUNT"
    [ "$TAP_FAILED" -eq 0 ]
}

s_cleanup () {
    status=$?
    s_stop_all
    if [ "$TAP_FAILED" -eq 0 ] && [ "$status" -eq 0 ]; then rm -rf "$T"; else
        echo "# scratch folder kept: $T"; fi
}
trap s_cleanup EXIT
