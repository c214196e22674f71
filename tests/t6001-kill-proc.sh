#!/bin/sh
# kill -9 of a proc in the middle of a pipelined stream from a resending
# client, then restart: every id the client saw ACK or DUP for is stored
# exactly once, and no id is answered twice.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1

# 6000 lines over about 3 seconds, read by one resending producer
"$PYTHON3" -c '
import sys, time
for batch in range(30):
    sys.stdout.write("".join("line %d %d\n" % (batch, n) for n in range(200)))
    sys.stdout.flush()
    time.sleep(0.1)' | pf send --topic stream --timeout 60000 - >"$T/send.out" 2>"$T/send.err" &
sender=$!
sleep 1
node_kill p1
sleep 1
node_start proc p1 || exit 1
wait "$sender"; ok $? "the producer ends with a verdict for every message"

is "$(wc -l <"$T/send.out" | tr -d ' ')" 6000 "6000 verdict lines"
is "$(grep -vc '^\(ACK\|DUP\) ' "$T/send.out")" 0 "every message was accepted (ACK or DUP)"
is "$(cut -d' ' -f2 "$T/send.out" | sort | uniq -d | wc -l | tr -d ' ')" 0 "no id answered twice"
(sql "$T/fabric/data/p1.db" "select id from ids"; sql "$T/fabric/data/p2.db" "select id from ids") \
    | sort >"$T/stored"
cut -d' ' -f2 "$T/send.out" | sort >"$T/answered"
is "$(uniq -d "$T/stored" | wc -l | tr -d ' ')" 0 "no id is stored twice"
cmp -s "$T/stored" "$T/answered"; ok $? "the stored ids are exactly the answered ids"
is "$(grep -c "store open" "$T/p1.log")" 2 "the proc was restarted in the middle of the stream"
grep -q "proc 'p1' unreachable" "$T/e1.log"; ok $? "and the edge answered BUSY meanwhile"
grep -n "proc 'p1' \(connected\|disconnected\)" "$T/e1.log" | sed 's/ .*proc / /' | tr '\n' ';' \
    >"$T/links"
grep -q "warning edge/e1 proc 'p1' disconnected" "$T/e1.log" \
    && [ "$(grep -c "proc 'p1' connected" "$T/e1.log")" -ge 2 ]
ok $? "the edge logged the proc's connection, its loss and its return ($(cat "$T/links"))"
done_testing
