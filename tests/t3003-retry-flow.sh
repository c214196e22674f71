#!/bin/sh
# Failed deliveries: FAIL, delivery-timeout and a lost worker go through the
# retry node and come back with the next attempt number, no earlier than the
# backoff; at max-attempts a message ends in the dead-letter store.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
sed -i 's/base-delay = .*/base-delay = 400/; s/max-attempts = .*/max-attempts = 3/;
        s/heartbeat-timeout = .*/heartbeat-timeout = 1000/;
        s/delivery-timeout = .*/delivery-timeout = 1000/' "$CFG"
node_start proc p1 && node_start proc p2 && node_start retry r1 && node_start edge e1 || exit 1
# A worker that has exited is known to the procs until heartbeat-timeout
# passes; wait that long before the next message, so it goes to a live one
forget_workers () { sleep 1.3; }

# FAIL once, then DONE
pf send --topic t --key a --id fail-once once >/dev/null
(worker "$T/l1" --fail-payload once:1 --count 2 --seconds 10 2>/dev/null)
is "$(awk '$3 == "fail-once" {print $5, $7}' "$T/l1" | tr '\n' ' ')" "1 FAIL 2 DONE " \
   "FAIL is redelivered with attempt 2, then DONE"
gap=$(awk '$3 == "fail-once" {print $1}' "$T/l1" | tr '\n' ' ' | awk '{printf "%d", ($2 - $1) * 1000}')
# backoff for attempt 1: base-delay 400 ms, less at most 20 % jitter
[ "$gap" -ge 320 ]; ok $? "the redelivery came no earlier than the backoff (${gap} ms)"

# Max attempts: dead letter with the last reason
forget_workers
pf send --topic t --key b --id always-fails doomed >/dev/null
(worker "$T/l2" --fail-all --count 3 --seconds 15 2>/dev/null)
is "$(awk '$3 == "always-fails" {print $5}' "$T/l2" | tr '\n' ' ')" "1 2 3 " "attempts 1, 2 and 3 were made"
wait_for 5 sh -c "\"$PUSHFABRIC\" dlq list -c '$CFG' | grep -q always-fails"; ok $? "then it is a dead letter"
pf dlq list --json >"$T/dlq.json"
"$PYTHON3" -c 'import json,sys
rows=json.load(open(sys.argv[1]))
row=[r for r in rows if r["id"]=="always-fails"][0]
assert row["attempts"]==3 and row["topic"]=="t" and "on purpose" in row["reason"] and row["dead_at"]>0' "$T/dlq.json"
ok $? "dlq list --json shows id, topic, attempts, reason and dead_at"
is "$(pf dlq show always-fails)" "doomed" "dlq show prints the payload"

# Delivery timeout: a worker that holds a message, alive but answering nothing
forget_workers
pf send --topic t --key c --id slow-1 slow >/dev/null
worker "$T/l3" --hold-after 0 --seconds 30 2>/dev/null &
holder=$!
wait_for 10 grep -q slow-1 "$T/l3"
(worker "$T/l4" --count 1 --seconds 10 2>/dev/null)
kill $holder
is "$(awk '$3 == "slow-1" && $5 == 1 {print $7}' "$T/l3")" "HELD" "the holding worker got attempt 1"
is "$(awk '$3 == "slow-1" {print $7}' "$T/l4")" "DONE" "after delivery-timeout another attempt was made and DONE"
gap=$(cat "$T/l3" "$T/l4" | awk '$3 == "slow-1" {print $1}' | sort -n | head -n 2 | tr '\n' ' ' \
      | awk '{printf "%d", ($2 - $1) * 1000}')
[ "$gap" -ge 1300 ]; ok $? "attempt 2 came after delivery-timeout plus the backoff (${gap} ms)"

# Lost worker: holds a message and stops (SIGSTOP) past heartbeat-timeout
forget_workers
pf send --topic t --key d --id lost-1 lost >/dev/null
worker "$T/l5" --hold-after 0 --seconds 20 2>/dev/null &
lost=$!
wait_for 10 grep -q lost-1 "$T/l5"
kill -STOP $lost
pf send --topic t --key d --id lost-2 after >/dev/null
(worker "$T/l6" --count 2 --seconds 10 2>/dev/null)
kill -KILL $lost; kill -CONT $lost 2>/dev/null
is "$(awk '{print $3, $5, $7}' "$T/l6" | sort | tr '\n' ' ')" "lost-1 2 DONE lost-2 1 DONE " \
   "a lost worker's message comes back with attempt 2; the next of its key goes on"
grep -q "worker lost" "$T/p1.log" "$T/p2.log"; ok $? "the proc logs the lost worker"

# Replay and purge
forget_workers
pf dlq replay always-fails >/dev/null; ok $? "dlq replay exits 0"
(worker "$T/l7" --count 1 --seconds 10 2>/dev/null)
is "$(awk '{print $3, $5, $7}' "$T/l7")" "always-fails 1 DONE" "a replayed dead letter is delivered again with attempt 1"
wait_for 5 sh -c "! \"$PUSHFABRIC\" dlq list -c '$CFG' | grep -q always-fails"; ok $? "and leaves the dead-letter store"
# Its seq has no id row; once it is done, a restart must not give it out again
for p in p1 p2; do
    seq=$(sql "$T/fabric/data/$p.db" "select max(seq) from replays")
    [ -n "$seq" ] && owner=$p && replay_seq=$seq
done
node_stop "$owner" && node_start proc "$owner"
is "$(pf send --topic t --key b --id after-replay x)" "ACK after-replay" \
   "the replay's proc restarted and accepts its key again"
new_seq=$(sql "$T/fabric/data/$owner.db" "select seq from ids where cast(id as text) = 'after-replay'")
[ "${new_seq:-0}" -gt "${replay_seq:-0}" ]
ok $? "a message accepted after the restart gets a seq above the done replay's ($new_seq > $replay_seq)"
(worker "$T/l7b" --count 1 --seconds 10 2>/dev/null)
is "$(awk '{print $3, $7}' "$T/l7b")" "after-replay DONE" "and delivers it"
pf dlq show no-such-id 2>"$T/err"; is $? 1 "dlq show of an unknown id exits 1"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "with one line"
pf dlq replay no-such-id 2>/dev/null; is $? 1 "dlq replay of an unknown id exits 1"
pf dlq purge no-such-id 2>/dev/null; is $? 1 "dlq purge of an unknown id exits 1"
forget_workers
pf send --topic t --key e --id purge-me x >/dev/null
(worker "$T/l8" --fail-all --count 3 --seconds 15 2>/dev/null)
wait_for 5 sh -c "\"$PUSHFABRIC\" dlq list -c '$CFG' | grep -q purge-me"
pf dlq purge purge-me >/dev/null; ok $? "dlq purge exits 0"
pf dlq list | grep -q purge-me; is $? 1 "a purged dead letter is gone"
done_testing
