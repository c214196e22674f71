#!/bin/sh
# kill -9 of a proc and of the retry node, each restarted, in the middle of
# a run with failing deliveries: at the end every accepted message is done
# or dead, none missing, checked against ledgers kept outside the fabric.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
sed -i 's/base-delay = .*/base-delay = 200/; s/max-attempts = .*/max-attempts = 3/;
        s/heartbeat-timeout = .*/heartbeat-timeout = 1500/' "$CFG"
node_start proc p1 && node_start proc p2 && node_start retry r1 && node_start edge e1 || exit 1
worker () { ledger=$1; shift; exec "$PYTHON3" "$top_srcdir/tests/pfworker.py" "$CFG" "$ledger" --ping 0.3 "$@"; }

# Payloads ending in 7 fail once, those ending in 13 always (they end dead)
worker "$T/ledger1" --credit 20 --fail-payload-suffix 7:1 --fail-payload-suffix 13:99 --seconds 60 2>"$T/w1.err" &
w1=$!
worker "$T/ledger2" --credit 20 --batch 10 --fail-payload-suffix 7:1 --fail-payload-suffix 13:99 --seconds 60 2>"$T/w2.err" &
w2=$!
"$PYTHON3" -c '
import sys, time
for batch in range(30):
    sys.stdout.write("".join("k%d.%d\n" % (n % 20, batch * 100 + n) for n in range(100)))
    sys.stdout.flush()
    time.sleep(0.1)' | pf send --topic chaos --timeout 60000 - >"$T/send.out" 2>"$T/send.err" &
sender=$!
sleep 1; node_kill p1
sleep 1; node_start proc p1 || exit 1
sleep 0.5; node_kill r1
sleep 1; node_start retry r1 || exit 1
wait "$sender"; ok $? "the producer got a verdict for every message"
is "$(grep -c '^\(ACK\|DUP\) ' "$T/send.out")" 3000 "all 3000 messages accepted"

# Settle: every accepted id done (in a ledger) or dead (in the dead-letter store)
settle () {
    cut -d' ' -f2 "$T/send.out" | sort -u >"$T/accepted"
    cat "$T/ledger1" "$T/ledger2" 2>/dev/null | awk '$7 == "DONE" {print $3}' | sort -u >"$T/done"
    pf dlq list --json 2>/dev/null | "$PYTHON3" -c 'import json,sys
for r in json.load(sys.stdin): print(r["id"])' | sort -u >"$T/dead"
    sort -u "$T/done" "$T/dead" >"$T/finished"
    [ "$(comm -23 "$T/accepted" "$T/finished" | wc -l)" -eq 0 ]
}
for _ in $(seq 1 120); do settle && break; sleep 0.5; done
kill $w1 $w2 2>/dev/null
is "$(comm -23 "$T/accepted" "$T/finished" | wc -l | tr -d ' ')" 0 "every accepted message ended done or dead, none missing"
expected_dead=$(cat "$T/ledger1" "$T/ledger2" | awk '$6 ~ /13$/ {print $3}' | sort -u | wc -l | tr -d ' ')
is "$(wc -l <"$T/dead" | tr -d ' ')" "$expected_dead" "exactly the always-failing messages are dead ($expected_dead)"
is "$(comm -12 "$T/done" "$T/dead" | wc -l | tr -d ' ')" 0 "no message is both done and dead"
! grep -q 'CREDIT EXCEEDED' "$T/w1.err" "$T/w2.err"; ok $? "no worker ever held more than its credit"
redelivered=$(cat "$T/ledger1" "$T/ledger2" | awk '$5 > 1' | wc -l | tr -d ' ')
diag "redeliveries: $redelivered"
done_testing
