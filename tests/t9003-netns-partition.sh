#!/bin/sh
# Several hosts: a producer, an edge, procs p1 and p2, a retry node and a
# worker, each in a network namespace of its own, joined by veth pairs to a
# bridge in another namespace. In the middle of a run p2's link is cut for
# several seconds: pushes for p2's partitions are answered BUSY (and resent),
# pushes for p1 go on, and once the link returns everything drains, checked
# against the worker's ledger. Needs root; otherwise the whole test is a skip.
#
# Only namespaces this script creates are touched: the veth pairs are made
# inside them, on a private subnet, so no route or link of the machine's own
# network changes and no packet leaves them.
. "$(dirname "$0")/lib.sh"

NETNS=""                # namespaces made so far, deleted by the trap
PREFIX="pf$$n"          # $$: parallel runs cannot collide
SUBNET=10.77.0

s_netns_cleanup () {
    status=$?
    # The producer first: with no edge to answer it, it would resend for
    # its whole timeout, and s_stop_all waits for its pipeline
    for pid in $(ip netns pids "${PREFIX}-prod" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    s_stop_all
    for ns in $NETNS; do
        # Whatever still runs in it (ours only: the name is unique to this run)
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    NETNS=""
    (exit "$status")
    s_cleanup
}
trap s_netns_cleanup EXIT
trap 'exit 1' HUP INT TERM

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
    echo "1..0 # SKIP network namespaces need root and iproute2"
    exit 0
fi
if ! ip netns add "${PREFIX}-br" 2>"$T/netns.err"; then
    echo "1..0 # SKIP cannot create a network namespace: $(head -n 1 "$T/netns.err")"
    exit 0
fi
NETNS="${PREFIX}-br"

# host NAME OCTET: a namespace with lo up and eth0 at $SUBNET.OCTET, whose
# other end (port vNAME) is on the bridge; on_NAME runs pushfabric there
host () {
    ns="${PREFIX}-$1"
    ip netns add "$ns" || return 1
    NETNS="$NETNS $ns"
    ip -n "$ns" link set lo up &&
    ip -n "${PREFIX}-br" link add "v$1" type veth peer name eth0 netns "$ns" &&
    ip -n "${PREFIX}-br" link set "v$1" master br0 up &&
    ip -n "$ns" addr add "$SUBNET.$2/24" dev eth0 &&
    ip -n "$ns" link set eth0 up || return 1
    printf '#!/bin/sh\nexec ip netns exec %s "%s" "$@"\n' "$ns" "$PUSHFABRIC" >"$T/on-$1"
    chmod +x "$T/on-$1"
}
build_hosts () {
    ip -n "${PREFIX}-br" link set lo up &&
    ip -n "${PREFIX}-br" link add br0 type bridge forward_delay 0 &&
    ip -n "${PREFIX}-br" link set br0 up &&
    host prod 1 && host edge 2 && host p1 3 && host p2 4 && host retry 5 && host work 6
}
build_hosts; built=$?
ok $built "six hosts on a bridge, each in a namespace of its own"
[ "$built" -eq 0 ] || exit 1

# on HOST COMMAND...: run a lib.sh command (node_start ...) with pushfabric on HOST
on () {
    saved=$PUSHFABRIC; PUSHFABRIC="$T/on-$1"; shift
    "$@"; rc=$?
    PUSHFABRIC=$saved
    return $rc
}

# The fabric of 'pushfabric init', each node bound on its own host's address,
# the edge serving the producer host only
fabric_init || exit 1
awk -v e1="$SUBNET.2" -v p1="$SUBNET.3" -v p2="$SUBNET.4" -v r1="$SUBNET.5" \
    -v producer="$SUBNET.1" '
    BEGIN { address["e1"] = e1; address["p1"] = p1; address["p2"] = p2; address["r1"] = r1 }
    /^    [^ #=]+$/ { node = $1 }
    /tcp:\/\/127\.0\.0\.1:/ { sub(/127\.0\.0\.1/, address[node]) }
    /^ +allow *=/ { sub(/=.*/, "= " producer) }
    /^ +heartbeat-timeout *=/ { sub(/=.*/, "= 3000") }
    /^ +base-delay *=/ { sub(/=.*/, "= 200") }
    { print }' "$CFG" >"$T/fabric.cfg.new" && mv "$T/fabric.cfg.new" "$CFG"
is "$(grep -c "tcp://$SUBNET\." "$CFG"), $(grep -v '^ *#' "$CFG" | grep -c '127\.0\.0\.1')" "10, 0" \
    "every endpoint is on its node's host, none on 127.0.0.1"

on p1 node_start proc p1 && on p2 node_start proc p2 && on retry node_start retry r1 &&
    on edge node_start edge e1 || exit 1

ip netns exec "${PREFIX}-work" "$PYTHON3" "$top_srcdir/tests/pfworker.py" "$CFG" \
    "$T/ledger" --ping 0.3 --credit 20 --seconds 180 2>"$T/worker.err" &
NODE_PIDS="$NODE_PIDS $!"

# About 60 messages a second for 24 s, with empty keys: partitioned by their
# random ids, so both procs get about half. send.out: "TIME VERDICT ID".
total=1440
"$PYTHON3" -c '
import sys, time
for batch in range(96):
    sys.stdout.write("".join("m%04d\n" % (batch * 15 + n) for n in range(15)))
    sys.stdout.flush()
    time.sleep(0.25)' 2>"$T/feed.err" |
    { "$T/on-prod" send --topic netns --timeout 60000 - 2>"$T/send.err"; echo $? >"$T/send.rc"; } |
    "$PYTHON3" -u -c 'import sys, time
for line in sys.stdin: sys.stdout.write("%.6f %s" % (time.time(), line)); sys.stdout.flush()' \
    >"$T/send.out" &
sender=$!
NODE_PIDS="$NODE_PIDS $sender"
verdicts () { awk -v verdict="$1" '$2 == verdict' "$T/send.out" | wc -l | tr -d ' '; }

delivered_by () { awk -v proc="$1" '$8 == proc' "$T/ledger" 2>/dev/null | grep -q .; }
wait_for 15 delivered_by p1 && wait_for 15 delivered_by p2
ok $? "before the cut both procs deliver"
sleep 3                 # a few seconds of traffic to both before the cut

# Cut p2's host off: its bridge port goes down, so its eth0 loses carrier
cut_at=$(date +%s.%N)
ip -n "${PREFIX}-br" link set vp2 down
wait_for 15 grep -q "proc 'p2' unreachable" "$T/e1.log"
ok $? "the edge finds p2 unreachable and answers BUSY for its partitions"
acks_before=$(verdicts ACK)
sleep 2
acks_after=$(verdicts ACK)
[ "$acks_after" -gt "$acks_before" ]
ok $? "ACKs keep arriving during the cut ($acks_before, 2 s later $acks_after)"
# A cut of at least 8 s: longer than the 5 s ZMTP heartbeat timeout
while [ "$(echo "$(date +%s.%N) $cut_at" | awk '{ print ($1 - $2 < 8) }')" = 1 ]; do
    sleep 0.2
done
healed_at=$(date +%s.%N)
ip -n "${PREFIX}-br" link set vp2 up
diag "p2 cut off for $(echo "$healed_at $cut_at" | awk '{ printf "%.1f", $1 - $2 }') s"
wait_for 60 grep -q "proc 'p2' reachable again" "$T/e1.log"
ok $? "the edge reaches p2 again after the link returns"

wait "$sender"
is "$(cat "$T/send.rc" 2>/dev/null)" 0 "the producer got a verdict for every message"
is "$(awk '$2 == "ACK" || $2 == "DUP"' "$T/send.out" | wc -l | tr -d ' ')" "$total" \
    "all $total messages accepted"
diag "verdicts: $(verdicts ACK) ACK, $(verdicts DUP) DUP"

# Settle: every accepted id done (in the ledger) or dead (in the dead-letter store)
settle () {
    awk '$2 == "ACK" || $2 == "DUP" { print $3 }' "$T/send.out" | sort -u >"$T/accepted"
    awk '$7 == "DONE" { print $3 }' "$T/ledger" 2>/dev/null | sort -u >"$T/done"
    "$T/on-prod" dlq list --json 2>/dev/null | "$PYTHON3" -c 'import json,sys
for r in json.load(sys.stdin): print(r["id"])' | sort -u >"$T/dead"
    sort -u "$T/done" "$T/dead" >"$T/finished"
    [ "$(comm -23 "$T/accepted" "$T/finished" | wc -l)" -eq 0 ]
}
for _ in $(seq 1 120); do settle && break; sleep 0.5; done
is "$(comm -23 "$T/accepted" "$T/finished" | wc -l | tr -d ' ')" 0 \
    "every accepted message ended done or dead, none missing"

# The verdicts by proc (from the ledger) and by time: during the cut p1's
# messages are accepted and p2's are not; p2's messages pushed during the cut
# (payload mNNNN is pushed about NNNN / 60 s into the run, so older than a
# p1 message accepted during the cut) are accepted once the link returns
verdicts_by () {
    awk -v from="$1" -v to="$2" -v proc="$3" '
        FNR == NR { owner [$3] = $8; next }
        ($2 == "ACK" || $2 == "DUP") && $1 > from && $1 < to && owner [$3] == proc' \
        "$T/ledger" "$T/send.out" | wc -l | tr -d ' '
}
# from a second into the cut: verdicts already on their way may still arrive
cut_in=$(echo "$cut_at" | awk '{ printf "%.6f", $1 + 1 }')
cut_p1=$(verdicts_by "$cut_in" "$healed_at" p1)
cut_p2=$(verdicts_by "$cut_in" "$healed_at" p2)
[ "$cut_p1" -gt 0 ]; ok $? "p1's messages are accepted during the cut ($cut_p1)"
is "$cut_p2" 0 "p2's messages are not accepted during the cut"
held=$(awk -v cut="$cut_at" -v healed="$healed_at" '
    FNR == NR { owner [$3] = $8; number [$3] = substr ($6, 2) + 0; next }
    $2 != "ACK" && $2 != "DUP" { next }
    owner [$3] == "p1" && $1 > cut && $1 < healed && number [$3] > newest { newest = number [$3] }
    owner [$3] == "p2" && $1 > healed { late [number [$3]] = 1 }
    END { for (n in late) if (n < newest) count++; print count + 0 }' "$T/ledger" "$T/send.out")
[ "$held" -gt 0 ]
ok $? "p2's messages pushed during the cut are accepted after it ($held)"
awk -v from="$healed_at" '$8 == "p2" && $1 > from' "$T/ledger" | grep -q .
ok $? "p2 delivers again after the link returns"
! grep -q 'CREDIT EXCEEDED' "$T/worker.err"; ok $? "the worker never held more than its credit"
diag "deliveries: p1 $(awk '$8 == "p1"' "$T/ledger" | wc -l | tr -d ' '),"\
     "p2 $(awk '$8 == "p2"' "$T/ledger" | wc -l | tr -d ' '),"\
     "redelivered $(awk '$5 > 1' "$T/ledger" | wc -l | tr -d ' '),"\
     "dead $(wc -l <"$T/dead" | tr -d ' ')"
done_testing
