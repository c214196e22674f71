#!/bin/sh
# A backlog larger than open-in-memory: the proc keeps the rest in its
# database alone and reads it back as workers take messages. Nothing is
# lost or delivered twice, per-key order holds, across a kill -9 too, and
# stats count the whole backlog. Failed messages, and in strict order the
# messages their keys hold back, do not keep the backlog from moving.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
sed -i -e 's/^\( *\)max-pending = .*/&\n\1open-in-memory = 40/' \
       -e 's/heartbeat-timeout = .*/heartbeat-timeout = 1000/' \
       -e 's/base-delay = .*/base-delay = 60000/' "$CFG"
is "$(grep -c 'open-in-memory = 40' "$CFG")" 2 "both procs keep at most 40 open messages in memory"
node_start proc p1 && node_start proc p2 && node_start edge e1 && node_start retry r1 || exit 1
pending () {
    pf stats p1 p2 --json | "$PYTHON3" -c \
        'import json, sys; s = json.load(sys.stdin); print(sum(s[p]["gauges"]["pending"] for p in s))'
}

# 12 keys x 25 messages, pushed in order per key; payload KEY.N; no worker yet
push_keys key 12 "$T/sent"
is "$(grep -c '^ACK ' "$T/sent")" 300 "300 messages accepted"
grep -q 'notice proc/p1 backlog waits on disk' "$T/p1.log" \
    && grep -q 'notice proc/p2 backlog waits on disk' "$T/p2.log"
ok $? "each proc logged that its backlog waits on disk"
is "$(pending)" 300 "stats count all 300 as pending, on disk or in memory"

# The backlog survives a kill -9; the restarted proc reads 40 back at first
node_kill p1
node_start proc p1 || exit 1
is "$(grep -c 'store open' "$T/p1.log")" 2 "p1 was restarted"
grep 'store open' "$T/p1.log" | tail -n 1 | grep -q ' open=[1-9][0-9]* '
ok $? "and counts its open messages, the backlog on disk with them"
is "$(grep -c 'backlog waits on disk' "$T/p1.log")" 2 "it keeps its backlog on disk after the restart too"
is "$(pending)" 300 "stats still count 300 pending"

# done_in_order LEDGER PAYLOAD: wait (up to 40 s) for 150 deliveries of
# payloads matching the regular expression PAYLOAD answered DONE, and print
# what pforder.py finds in them ("6 0 0": 6 keys, all in order)
done_in_order () {
    wait_for 40 sh -c "[ \$(grep -c ' $2 DONE ' '$1') -ge 150 ]"
    grep " $2 DONE " "$1" >"$1.done"
    "$PYTHON3" "$top_srcdir/tests/pforder.py" "$1.done"
}

# Workers killed: wait until both procs have let go of every one of them
kill_workers () {
    kill "$@" 2>/dev/null; wait "$@" 2>/dev/null
    for proc in p1 p2; do
        wait_for 20 sh -c "[ \$(grep -c 'worker connected' '$T/$proc.log') -le \
                            \$(grep -c 'worker lost\|worker gone' '$T/$proc.log') ]"
    done
}

worker "$T/ledger" --credit 3 --seconds 60 2>"$T/w1.err" &
w1=$!
worker "$T/ledger" --credit 3 --batch 4 --seconds 60 2>"$T/w2.err" &
w2=$!
wait_for 60 sh -c "[ \$(wc -l <'$T/ledger') -ge 300 ]"; ok $? "all 300 messages delivered"
kill_workers $w1 $w2

is "$(awk '{print $3}' "$T/ledger" | sort | uniq -d | wc -l | tr -d ' ')" 0 "each message delivered once"
is "$(awk '{print $6}' "$T/ledger" | sort -u | wc -l | tr -d ' ')" 300 "every payload was delivered"
"$PYTHON3" "$top_srcdir/tests/pforder.py" "$T/ledger" >"$T/order"
is "$(cat "$T/order")" "12 0 0" "12 keys each delivered in order, one message of a key at a time"
grep -q 'backlog read back from disk' "$T/p1.log" && grep -q 'backlog read back from disk' "$T/p2.log"
ok $? "each proc logged when its backlog was all back in memory"
for _ in $(seq 1 50); do [ "$(open_count)" -eq 0 ] && break; sleep 0.1; done
is "$(open_count)" 0 "done messages leave the store"
is "$(pending)" 0 "stats show nothing pending"

# Past the backlog, new messages go straight to memory again
echo "key0.25" | pf send --topic orders --key key0 - >>"$T/sent"
(worker "$T/ledger2" --seconds 20 --count 1 2>/dev/null)
is "$(awk '{print $6}' "$T/ledger2")" "key0.25" "a message after the backlog is delivered"
sleep 1.5       # heartbeat-timeout: the procs let that worker go

# Failed messages held by the retry node (a minute before their next
# attempt) stay in memory without holding the backlog back: 60 that fail,
# then 6 keys x 25 that a worker finishes
for k in $(seq 0 59); do echo "fk$k.x"; done | pf send --topic orders - >"$T/sent3"
push_keys more 6 "$T/sent3"
is "$(grep -c '^ACK ' "$T/sent3")" 210 "210 more messages accepted"
worker "$T/ledger3" --credit 5 --fail-payload-suffix .x --seconds 60 2>"$T/w3.err" &
w3=$!
is "$(done_in_order "$T/ledger3" 'more[0-5]\.[0-9]*')" "6 0 0" \
   "while 60 failed messages wait in the retry node, the 150 others are all delivered, in order"
kill_workers $w3
is "$(grep -c ' FAIL ' "$T/ledger3")" 60 "each failed message was delivered once"
is "$(pending)" 60 "stats count the 60 failed messages as pending"

# ordering = strict: a key whose first message failed holds its later ones
# in memory, and they do not hold back the other keys' messages on disk
node_stop p1 && node_stop p2
sed -i 's/ordering = relaxed/ordering = strict/' "$CFG"
node_start proc p1 && node_start proc p2 || exit 1
seq 0 59 | sed "s/^/stuck./" | pf send --topic orders --key stuck - >"$T/sent4"
push_keys late 6 "$T/sent4"
is "$(grep -c '^ACK ' "$T/sent4")" 210 "210 messages accepted by strict procs"
worker "$T/ledger4" --credit 5 --fail-payload stuck.0 --seconds 60 2>"$T/w4.err" &
w4=$!
is "$(done_in_order "$T/ledger4" 'late[0-5]\.[0-9]*')" "6 0 0" \
   "while the key 'stuck' waits for its failed first message, the 150 others are all delivered, in order"
kill_workers $w4
is "$(grep -c ' stuck\.' "$T/ledger4")" 1 "only the failed first message of 'stuck' was delivered"
is "$(pending)" 120 "stats count the 60 of 'stuck' and the 60 failed before as pending"
done_testing
