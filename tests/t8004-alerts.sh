#!/bin/sh
# Alerts: a proc's backlog-alert and p99-alert each log one WARNING line when
# crossed and one INFO line when cleared, and count in the stats.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
# Alerts on every proc: a backlog over 10 messages, an end-to-end p99 over
# 300 ms, the p99 taken over one-second windows
sed -i 's/^\( *\)ordering = \(.*\)/&\n\1backlog-alert = 10\n\1p99-alert = 300\n\1alert-window = 1000/' \
    "$CFG"
is "$(grep -c 'backlog-alert = 10' "$CFG")" 2 "both procs have alerts configured"
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1
json () { "$PYTHON3" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/stats.json" "$1" 2>&1 | tail -n 1; }
alert_lines () {    # alert_lines WORD NAME: lines "alert WORD alert=NAME" in both proc logs
    cat "$T/p1.log" "$T/p2.log" | grep -c "alert $1 alert=$2 "
}

pf stats p1 p2 --json >"$T/stats.json"
is "$(json '[s[p]["gauges"][g] for p in ("p1", "p2") for g in ("backlog_alert", "p99_alert")]')" \
   "[0, 0, 0, 0]" "no alert raised at the start"

# 60 messages of one key wait on one proc with no worker: over 10
seq 1 60 | sed 's/^/m/' | pf send --topic orders --key a - >"$T/sent"
is "$(grep -c '^ACK ' "$T/sent")" 60 "60 messages accepted"
wait_for 10 sh -c "[ \$(cat '$T/p1.log' '$T/p2.log' | grep -c 'alert raised alert=backlog ') -ge 1 ]"
ok $? "the backlog alert is raised"
owner=p1; grep -q 'alert raised alert=backlog ' "$T/p2.log" && owner=p2
grep 'alert raised alert=backlog ' "$T/$owner.log" | grep -q ' warning .* value=[0-9]* threshold=10 '
ok $? "raised as one warning line with the value and the threshold"
sleep 1.5
is "$(alert_lines raised backlog)" 1 "a backlog that stays high logs no second line"
pf stats p1 p2 --json >"$T/stats.json"
is "$(json "[s['$owner']['counters']['backlog_alerts'], s['$owner']['gauges']['backlog_alert']]")" \
   "[1, 1]" "stats: backlog_alerts counts the raise, the backlog_alert gauge is 1"
is "$(alert_lines raised p99)" 0 "no p99 alert while nothing is done"

# A worker drains them; they waited seconds, so the p99 of that window is
# over 300 ms; the backlog falls back under the threshold
"$PYTHON3" "$top_srcdir/tests/pfworker.py" "$CFG" "$T/ledger" --ping 0.25 --slow 20 \
    --count 60 --seconds 30 2>"$T/w.err"
is "$(wc -l <"$T/ledger" | tr -d ' ')" 60 "a worker did the 60 messages"
wait_for 10 sh -c "[ \$(cat '$T/p1.log' '$T/p2.log' | grep -c 'alert cleared alert=backlog ') -ge 1 ]"
ok $? "the backlog alert clears once the backlog is back under it"
grep 'alert cleared alert=backlog ' "$T/$owner.log" | grep -q ' info '
ok $? "cleared as one info line"
wait_for 10 sh -c "[ \$(cat '$T/p1.log' '$T/p2.log' | grep -c 'alert raised alert=p99 ') -ge 1 ]"
ok $? "the p99 alert is raised for a window of slow deliveries"
grep 'alert raised alert=p99 ' "$T/$owner.log" | grep -q ' warning .* threshold=300000 unit=us'
ok $? "raised as a warning line with the threshold in microseconds"
# Next windows: nothing waits and nothing is slow any more
wait_for 10 sh -c "[ \$(cat '$T/p1.log' '$T/p2.log' | grep -c 'alert cleared alert=p99 ') -ge 1 ]"
ok $? "the p99 alert clears when the fabric is quick again"
is "$(alert_lines raised backlog)/$(alert_lines cleared backlog)/$(alert_lines raised p99)/$(alert_lines cleared p99)" \
   "1/1/1/1" "one line each: raised and cleared, backlog and p99"
pf stats p1 p2 --json >"$T/stats.json"
is "$(json "[s['$owner']['counters'][c] for c in ('backlog_alerts', 'p99_alerts')]")" "[1, 1]" \
   "stats: each alert counted once"
is "$(json '[s[p]["gauges"][g] for p in ("p1", "p2") for g in ("backlog_alert", "p99_alert")]')" \
   "[0, 0, 0, 0]" "stats: no alert raised at the end"
pf stats p1 p2 --prometheus | grep -q "^pushfabric_p99_alerts_total{node=\"$owner\",role=\"proc\"} 1$"
ok $? "prometheus: pushfabric_p99_alerts_total"

# Bad values are refused at start with one line
sed -i 's/backlog-alert = 10/backlog-alert = -1/' "$CFG"
pf proc p1 -c "$CFG" 2>"$T/bad.err" >/dev/null; status=$?
[ "$status" -ne 0 ] && [ "$(wc -l <"$T/bad.err")" -eq 1 ] && grep -q 'backlog-alert' "$T/bad.err"
ok $? "a negative backlog-alert: exit non-zero with one line naming the key"

done_testing
