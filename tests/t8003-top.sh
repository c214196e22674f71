#!/bin/sh
# pushfabric top, not on a terminal: one key=value line for the fabric and
# one per node at each refresh; rates that agree with the counters, the
# backlog that stats shows, a dead node shown down, an unknown node, a bad
# --interval; on a terminal (under script(1), when there is one) it redraws.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
node_start proc p1 && node_start proc p2 && node_start retry r1 && node_start edge e1 \
    || exit 1
NODES=4
# send N TAG: push N messages, a few keys, one `pushfabric send` per key
send () {
    for key in a b c d; do
        seq 1 "$(( $1 / 4 ))" | sed "s/^/$2-$key-/" | pf send --topic orders --key "$key" -
    done | cut -d' ' -f1 | sort | uniq -c | tr -s ' '
}
# q EXPR [FILE]: a Python expression on top's lines (default $T/top.out), with
#   L  every line as a dict, in order; R  the refreshes, each a list of lines
#   F  the fabric's lines; N(name)  a node's lines; n(value)  a number or None
cat >"$T/q.py" <<'PY'
import datetime, sys
L = [dict(f.split("=", 1) for f in line.split()) for line in open(sys.argv[1])]
R = {}
for line in L:
    R.setdefault(line["refresh"], []).append(line)
R = [R[k] for k in sorted(R, key=int)]
F = [l for l in L if l["role"] == "fabric"]
N = lambda name: [l for l in L if l["node"] == name]
n = lambda v: None if v == "-" else float(v)
COUNTERS = ["received", "accepted", "busy", "delivered", "done", "failed", "dead_lettered"]
# The documented format: these keys, in this order
KEYS_FABRIC = ["time", "refresh", "node", "role", "nodes", "up"]
KEYS_NODE = ["time", "refresh", "node", "role", "state"]
KEYS = [k for c in COUNTERS for k in (c, c + "_ps")] + ["clients", "workers", "pending",
        "inflight", "retrying", "dead_letters", "accept_p99_us", "e2e_p99_us"]
t = lambda l: datetime.datetime.fromisoformat(l["time"].rstrip("Z")).timestamp()
def spans(name):
    """(growth, rate, seconds between the refreshes) of each counter between
    a node's consecutive lines"""
    lines = N(name)
    for before, now in zip(lines, lines[1:]):
        for c in COUNTERS:
            if n(now[c]) is not None and n(before[c]) is not None:
                yield n(now[c]) - n(before[c]), n(now[c + "_ps"]), t(now) - t(before)
print(eval(sys.argv[2]))
PY
q () { "$PYTHON3" "$T/q.py" "${2:-$T/top.out}" "$1" 2>&1 | tail -n 1; }
# json EXPR: a Python expression on `stats --json` (as s)
json () { pf stats --json | "$PYTHON3" -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>&1 | tail -n 1; }
# top_start, then top_until EXPR: run `top --interval 500` in the background
# into $T/top.out until EXPR holds on its output (30 s at most), then SIGTERM
# it; $top_status is its exit status. top_started waits for its first refresh.
top_start () { "$PUSHFABRIC" top --interval 500 >"$T/top.out" 2>>"$T/top-live.err" & top_pid=$!; }
top_started () { wait_for 20 grep -q 'refresh=1 ' "$T/top.out"; }
top_holds () { [ "$(q "$1")" = True ]; }
top_until () {
    wait_for 30 top_holds "$1"
    kill -TERM "$top_pid"; wait "$top_pid"; top_status=$?
    cp "$T/top.out" "$T/top.out.$top_pid"     # for a look when a test fails
}

# ---- help and usage errors ----------------------------------------------------
pf top --help >"$T/out"; ok $? "top --help exits 0"
synopsis=$(sed -n '/^\.SH SYNOPSIS/{n;p;q;}' "$top_srcdir/man/pushfabric-top.1" \
    | sed 's/\\f[BIRP]//g; s/\\-/-/g')
is "$(head -n 1 "$T/out")" "usage: $synopsis" "the usage line is the man page's SYNOPSIS"
for bad in 99 3600001 abc 1s ''; do
    pf top --interval "$bad" --count 1 >"$T/out" 2>"$T/err"; status=$?
    is "$status/$(grep -c '^pushfabric: ' "$T/err")/$(wc -c <"$T/out" | tr -d ' ')" "2/1/0" \
       "--interval '$bad' is a usage error: exit 2, one error line, no output"
done
is "$(head -n 1 "$T/err")" "pushfabric: --interval must be a number from 100 to 3600000, not ''" \
   "the line names --interval, its range and the value"
pf top --count 0 >/dev/null 2>&1; is $? 2 "--count 0 is a usage error"
pf top e1 nosuch --count 1 >"$T/out" 2>"$T/err"; status=$?
is "$status/$(wc -l <"$T/err" | tr -d ' ')/$(wc -c <"$T/out" | tr -d ' ')" "1/1/0" \
   "an unknown node exits 1 with one line and no output"
grep -q "no node named 'nosuch'" "$T/err"; ok $? "the line names the node"

# ---- an idle fabric with a backlog, --count ------------------------------------
is "$(send 20 early)" " 20 ACK" "20 messages pushed (no worker yet)"
start=$(date +%s)
pf top --interval 500 --count 4 >"$T/top.out" 2>"$T/top-idle.err"; status=$?
is "$status/$(wc -c <"$T/top-idle.err" | tr -d ' ')" "0/0" "top --count 4 exits 0, says nothing on stderr"
is "$(( $(date +%s) - start <= 20 ))" 1 "and stops after its 4 refreshes (1.5 s, 20 s allowed)"
is "$(q '[l["refresh"] for l in L]')" \
   "$(q "[str(r) for r in range(1, 5) for _ in range($NODES + 1)]")" \
   "4 refreshes, each a line for the fabric and one per node"
is "$(q '[[l["node"] for l in r] for r in R] == [["*", "e1", "p1", "p2", "r1"]] * 4')" True \
   "the fabric first, then the nodes: edges, procs, retry"
is "$(q 'all(list(l) == (KEYS_FABRIC if l["role"] == "fabric" else KEYS_NODE) + KEYS for l in L)')" \
   True "every line has the documented keys in their order"
is "$(q 'sorted(set((l["role"], l.get("state", "-"), l.get("up", "-")) for l in L))')" \
   "[('edge', 'up', '-'), ('fabric', '-', '$NODES'), ('proc', 'up', '-'), ('retry', 'up', '-')]" \
   "every node is up"
is "$(q 'all(l[c + "_ps"] == "-" for l in R[0] for c in COUNTERS)')" True \
   "the first refresh has no rates"
is "$(q 'set(l[c + "_ps"] for r in R[1:] for l in r for c in COUNTERS) - {"-"}')" "{'0.0'}" \
   "on an idle fabric every later rate is 0.0"
is "$(q '[F[-1][k] for k in ("received", "accepted", "busy", "delivered", "pending")]')" \
   "['20', '20', '0', '0', '20']" "fabric: 20 received and accepted, none delivered, 20 pending"
is "$(q '[N(p)[-1]["pending"] for p in ("p1", "p2")]')" \
   "$(json '[str(s[p]["gauges"]["pending"]) for p in ("p1", "p2")]')" \
   "each proc's pending is the one stats shows"
is "$(q 'n(N("p1")[-1]["accepted"]) + n(N("p2")[-1]["accepted"])')" 20.0 \
   "the procs accepted the 20 between them"
is "$(q '[N("r1")[-1][k] for k in ("retrying", "dead_letters", "dead_lettered", "pending")]')" \
   "['0', '0', '0', '-']" "retry: its gauges and counter; a proc gauge is -"

# ---- pushes while it runs ------------------------------------------------------
top_start
top_started; ok $? "top without --count prints its first refresh"
is "$(send 40 live)" " 40 ACK" "40 more messages pushed while top runs"
top_until 'n(F[-1]["accepted"]) == 60'
is "$top_status" 0 "top sees the 60 accepted, and exits 0 on SIGTERM"
is "$(q 'len(L) == len(R) * 5 and [int(r[0]["refresh"]) for r in R] == list(range(1, len(R) + 1))')" \
   True "whole refreshes, numbered in order"
is "$(q 'all(a <= b for a, b in zip([n(l["accepted"]) for l in F], [n(l["accepted"]) for l in F][1:])) and n(F[0]["accepted"]) >= 20')" \
   True "the fabric's accepted only grows, from the 20 of before"
is "$(q 'n(N("e1")[-1]["accepted"]) - n(N("e1")[0]["accepted"])')" \
   40.0 "the edge's accepted grew by the 40 pushed"
is "$(q 'all(r is not None and r >= 0 and (d > 0) == (r > 0) for p in ("e1", "p1", "p2", "r1") for d, r, dt in spans(p))')" \
   True "every rate is a number >= 0, and > 0 exactly when its counter grew"
# The growth over the rate is the time between the node's answers, which is
# about the time between the refreshes: within half to twice, or 0.5 s
is "$(q 'all(dt / 2 - 0.5 <= d / r <= dt * 2 + 0.5 for p in ("e1", "p1", "p2") for d, r, dt in spans(p) if r)')" \
   True "each rate is its counter's growth over the time between refreshes"
is "$(q 'max(n(l["accepted_ps"]) or 0 for l in F) > 0')" True "the fabric shows accepted/s while the pushes go on"
is "$(q 'all(n(now["accept_p99_us"]) for before, now in zip(N("e1"), N("e1")[1:]) if n(now["accepted"]) > n(before["accepted"]))')" \
   True "a refresh with pushes accepted has an accept p99"
is "$(q 'all(0 < n(l["accept_p99_us"]) < 30e6 for l in N("e1") + F if l["accept_p99_us"] != "-")')" \
   True "accept p99s between 0 and 30 s"

# ---- a worker drains the backlog while it runs --------------------------------
top_start
top_started; ok $? "top started again"
(worker "$T/ledger" --seconds 30 --count 60 2>"$T/w.err")
is "$(wc -l <"$T/ledger" | tr -d ' ')" 60 "a worker finished the 60 messages"
top_until 'n(F[-1]["done"]) == 60 and n(F[-1]["pending"]) == 0 and n(F[-1]["inflight"]) == 0'
is "$top_status" 0 "top sees the 60 done, nothing pending or in flight"
is "$(q '[F[-1][k] for k in ("accepted", "delivered", "done", "failed", "dead_lettered")]')" \
   "['60', '60', '60', '0', '0']" "fabric: accepted, delivered, done, failed, dead_lettered"
is "$(q 'max(n(l["done_ps"]) or 0 for l in F) > 0')" True "the fabric shows done/s while the worker works"
is "$(q 'all(r is not None and r >= 0 and (d > 0) == (r > 0) for p in ("p1", "p2") for d, r, dt in spans(p))')" \
   True "the procs' rates agree with their counters"
is "$(q 'all(n(now["e2e_p99_us"]) for p in ("p1", "p2") for before, now in zip(N(p), N(p)[1:]) if n(now["done"]) > n(before["done"]))')" \
   True "a refresh with messages done has an end-to-end p99"
is "$(q 'all(0 < n(l["e2e_p99_us"]) < 600e6 for l in N("p1") + N("p2") + F if l["e2e_p99_us"] != "-")')" \
   True "end-to-end p99s between 0 and 10 minutes"
is "$(q 'n(F[-1]["workers"]) >= 0 and n(F[-1]["clients"]) >= 0')" True "the gauges are numbers"

# ---- a dead node ----------------------------------------------------------------
node_kill p2
start=$(date +%s)
pf top --interval 500 --count 3 >"$T/top.out" 2>"$T/top-dead.err"; status=$?
is "$status" 0 "with p2 killed, top --count 3 still exits 0"
is "$(( $(date +%s) - start <= 30 ))" 1 "and does not stall (30 s allowed)"
is "$(q '[l["refresh"] for l in L]')" \
   "$(q "[str(r) for r in range(1, 4) for _ in range($NODES + 1)]")" "3 refreshes of 5 lines"
is "$(q 'set(l["state"] for l in N("p2"))')" "{'down'}" "p2 is down at every refresh"
is "$(q 'set(v for l in N("p2") for k, v in l.items() if k not in ("time", "refresh", "node", "role", "state"))')" \
   "{'-'}" "with every number unknown"
is "$(q 'set(l["state"] for p in ("e1", "p1", "r1") for l in N(p))')" "{'up'}" "the others are up"
is "$(q 'set((l["nodes"], l["up"]) for l in F)')" "{('4', '3')}" "the fabric line counts 3 of 4 up"
pf top p2 --count 1 --interval 100 >"$T/top.out" 2>"$T/top-one.err"; status=$?
is "$status/$(q '[l["node"] + ":" + l.get("state", "-") for l in L]')" "0/['*:-', 'p2:down']" \
   "top NODE: the fabric line and that node's, shown down"

# ---- on a terminal --------------------------------------------------------------
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "'$PUSHFABRIC' top --count 2 --interval 200 -c '$CFG'" /dev/null \
        >"$T/tty.out" 2>&1
    is "$?" 0 "on a terminal, top --count 2 exits 0"
    is "$(grep -o "$(printf '\033')\[H$(printf '\033')\[2J" "$T/tty.out" | wc -l | tr -d ' ')" 2 \
       "and clears the screen at each refresh"
    grep -q 'pushfabric top - [0-9:]* - every 200 ms - 3 of 4 nodes up' "$T/tty.out"
    ok $? "with a header: time, interval, nodes up"
    grep -q '^p2  *proc  *DOWN ' "$T/tty.out"; ok $? "a dead node is shown DOWN"
else
    skip "top on a terminal" "no working script(1)"
fi
reports=$(grep -l "AddressSanitizer\|LeakSanitizer\|runtime error:" "$T"/top-*.err "$T"/err \
          "$T"/tty.out 2>/dev/null)
is "$reports" "" "top itself reported no crash or sanitizer finding"
done_testing
