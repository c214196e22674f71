#!/bin/sh
# Stop the whole fabric with messages pending (some never delivered, some
# handed to the retry node), start it again: all of them are delivered.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
sed -i 's/base-delay = .*/base-delay = 300/; s/heartbeat-timeout = .*/heartbeat-timeout = 1500/' "$CFG"
start_all () { node_start retry r1 && node_start proc p1 && node_start proc p2 && node_start edge e1; }
stop_all () { node_stop e1; node_stop p1; node_stop p2; node_stop r1; }
worker () { ledger=$1; shift; exec "$PYTHON3" "$top_srcdir/tests/pfworker.py" "$CFG" "$ledger" --ping 0.3 "$@"; }
start_all || exit 1

seq 1 400 | sed 's/^/m/' | pf send --topic restart --key k - >"$T/sent"
is "$(grep -c '^ACK ' "$T/sent")" 400 "400 messages accepted"
# One worker fails the first 5 it sees, so they sit with the retry node
(worker "$T/l1" --fail-all --count 5 --seconds 10 2>/dev/null)
stop_all; ok $? "the whole fabric stops cleanly with 400 messages pending"
start_all || exit 1
(worker "$T/l2" --count 400 --seconds 40 2>/dev/null)
cut -d' ' -f2 "$T/sent" | sort >"$T/accepted"
awk '$7 == "DONE" {print $3}' "$T/l2" | sort -u >"$T/done"
cmp -s "$T/accepted" "$T/done"; ok $? "after the restart every message is delivered and done"
awk '$7 == "FAIL" {print $3}' "$T/l1" | sort -u >"$T/failed"
awk '$7 == "DONE" && $5 >= 2 {print $3}' "$T/l2" | sort -u >"$T/later"
is "$(comm -23 "$T/failed" "$T/later" | wc -l | tr -d ' ')/$(wc -l <"$T/failed" | tr -d ' ')" "0/5" \
   "the 5 that failed before the stop came back with a later attempt"
done_testing
