#!/bin/sh
# BUSY when the owning proc is down, in both forms, while the other proc's
# partitions go on; served again once the proc is back.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1
pf1 () { "$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" "$@"; }
# A key of each proc: with 64 partitions spread over p1 and p2, p1 owns 0-31
key_of () {
    "$PYTHON3" -c '
import sys
want_low = sys.argv[1] == "p1"
for n in range(1000):
    key = "key-%d" % n
    h = 14695981039346656037
    for b in key.encode():
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    if (h % 64 < 32) == want_low:
        print(key); break' "$1"
}
k1=$(key_of p1); k2=$(key_of p2)

node_kill p2
is "$(pf1 push a-1 t "$k2" x | cut -d' ' -f1,2)" "BUSY a-1" "PUSH for a partition of a dead proc is BUSY"
is "$(pf1 push a-2 t "$k1" x)" "ACK a-2" "PUSH for the live proc's partition is ACKed meanwhile"
out=$(pf1 batch "b-1:t:$k1:x" "b-2:t:$k2:x")
is "$(echo "$out" | sort | cut -d' ' -f1,2 | tr '\n' ' ')" "ACK b-1 BUSY b-2 " \
   "PUSHB: BUSY for the dead proc's record, ACK for the other"
retry=$(pf1 push a-3 t "$k2" x | cut -d' ' -f3)
[ "$retry" -gt 0 ] 2>/dev/null; ok $? "BUSY carries a retry-after hint ($retry ms)"
grep -q "proc 'p2' unreachable" "$T/e1.log"; ok $? "the edge logs the BUSY episode"

node_start proc p2 || exit 1
wait_for 10 sh -c "\"$PYTHON3\" \"$top_srcdir/tests/pf1.py\" \"$CFG\" push a-1 t \"$k2\" x | grep -q '^ACK a-1'"
ok $? "after the proc restarts, the resend of a BUSY id is ACKed"
is "$(pf send --topic t --key "$k2" --id a-4 x)" "ACK a-4" "send resends until the proc takes it"
done_testing
