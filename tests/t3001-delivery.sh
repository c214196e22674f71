#!/bin/sh
# Delivery to workers: DONE, per-key order across several workers, credit,
# batches, and what a misbehaving worker gets.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
sed -i 's/heartbeat-timeout = .*/heartbeat-timeout = 1000/' "$CFG"
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1

# 12 keys x 25 messages, pushed in order per key; payload KEY.N
push_keys key 12 "$T/sent"
is "$(grep -c '^ACK ' "$T/sent")" 300 "300 messages accepted"

worker "$T/ledger" --credit 3 --slow 5 --seconds 30 2>"$T/w1.err" &
w1=$!
worker "$T/ledger" --credit 3 --slow 5 --seconds 30 2>"$T/w2.err" &
w2=$!
worker "$T/ledger" --credit 3 --batch 4 --slow 5 --seconds 30 2>"$T/w3.err" &
w3=$!
wait_for 30 sh -c "[ \$(wc -l <'$T/ledger') -ge 300 ]"; ok $? "all 300 messages delivered"
kill $w1 $w2 $w3 2>/dev/null; wait $w1 $w2 $w3 2>/dev/null

is "$(awk '{print $3}' "$T/ledger" | sort | uniq -d | wc -l | tr -d ' ')" 0 "each message delivered once"
is "$(awk '$5 != 1' "$T/ledger" | wc -l | tr -d ' ')" 0 "every delivery is attempt 1"
is "$(cut -d' ' -f8 "$T/ledger" | sort -u | wc -l | tr -d ' ')" 2 "both procs delivered"
! grep -q 'CREDIT EXCEEDED' "$T/w1.err" "$T/w2.err" "$T/w3.err"
ok $? "no worker ever held more than its credit"
# Order: within each key the payloads arrive 0, 1, 2, ...; and one at a time
"$PYTHON3" "$top_srcdir/tests/pforder.py" "$T/ledger" >"$T/order"
is "$(cat "$T/order")" "12 0 0" "12 keys each delivered in order, one message of a key at a time"
for _ in $(seq 1 50); do [ "$(open_count)" -eq 0 ] && break; sleep 0.1; done
is "$(open_count)" 0 "done messages leave the store"
is "$( (sql "$T/fabric/data/p1.db" "select count(*) from ids"; sql "$T/fabric/data/p2.db" "select count(*) from ids") | awk '{s+=$1} END {print s}')" 300 \
   "their ids stay for dedupe"

# Topics: a worker only gets the topics it asked for (the workers above
# are gone once heartbeat-timeout has passed)
sleep 1.5
pf send --topic audit.x --id topic-1 a >/dev/null
pf send --topic orders --id topic-2 b >/dev/null
(worker "$T/ledger2" --topics audit. --seconds 3 --count 1 2>/dev/null)
is "$(awk '{print $3}' "$T/ledger2")" "topic-1" "a worker with topic prefixes gets only those topics"
is "$(open_count)" 1 "a message no worker handles waits in the store"
done_testing
