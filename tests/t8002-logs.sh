#!/bin/sh
# Logs: with log = json every line is a JSON object with time, level, node,
# event and fields; log-level drops the lines below it.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
# JSON logs for p1 and e1, warnings only for p2
sed -i 's|^\(        db = data/p1.db\)|\1\n        log = json|;
        s|^\(        db = data/p2.db\)|\1\n        log-level = warning|;
        s|^\(        reply-timeout = .*\)|\1\n        log = json|' "$CFG"
node_start proc p1 && node_start edge e1 || exit 1
# p2 logs no "ready" line at warning level: start it by hand, then check it serves
"$PUSHFABRIC" proc p2 -c "$CFG" 2>"$T/p2.log" &
p2=$!
NODE_PIDS="$NODE_PIDS $p2"
port=$(sed -n '/^    p2$/,/endpoint/s|.*endpoint = tcp://127.0.0.1:||p' "$CFG")
wait_for 20 "$PYTHON3" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)"
ok $? "proc p2 with log-level = warning starts"
pf keygen stranger --dir "$T" >/dev/null
"$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" --timeout 1000 --cert "$T/stranger.cert_secret" \
    push x-1 t k p >/dev/null
pf send --topic t --id j-1 x >/dev/null
# 30 NACKs at once, then one more a second later: two lines, the second
# counting the 29 held back
"$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" batch $(seq -f 'n-%g:bad#topic:k:p' 1 30) \
    >"$T/nacks"
sleep 1.2
"$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" push n-31 'bad#topic' k p >>"$T/nacks"
is "$(grep -c '^NACK n-[0-9]* BAD_TOPIC' "$T/nacks")" 31 "31 pushes answered NACK BAD_TOPIC"
# A BUSY episode: p1 gone, pushes for its partitions are answered BUSY
node_kill p1
for n in $(seq 1 8); do
    "$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" --timeout 3000 push "b-$n" t "key$n" p
done >"$T/busy"
grep -q '^BUSY ' "$T/busy"; ok $? "pushes for the partitions of a killed proc are answered BUSY"
wait_for 15 grep -q 'busy episode ended' "$T/e1.log"
ok $? "the edge logs the end of the BUSY episode once pushes stop getting BUSY"
node_stop e1

"$PYTHON3" - "$T/p1.log" "$T/e1.log" "$T/busy" >"$T/check" <<'PY'
import json, sys
bad, lines, events = 0, 0, []
for path in sys.argv[1:3]:
    for line in open(path):
        lines += 1
        try:
            record = json.loads(line)
            assert set(record) == {"time", "level", "node", "event", "fields"}
            assert isinstance(record["fields"], dict)
            events.append((record["node"], record["event"], record["fields"]))
        except Exception:
            bad += 1
print(lines, bad)
ready = [f for n, e, f in events if n == "proc/p1" and e == "ready"]
print("ready-endpoint" if ready and "endpoint" in ready[0] else "no-ready")
refused = [e for n, e, f in events if n == "edge/e1" and "refused" in e]
print("refused" if refused else "no-refused")
nacks = [f for n, e, f in events if n == "edge/e1" and e == "NACK"]
print(" ".join("%s/%s" % (f.get("reason"), f.get("suppressed")) for f in nacks))
busy = [(e, f) for n, e, f in events if n == "edge/e1" and e.startswith("busy episode")]
print(" ".join(e.split()[2].rstrip(":") for e, f in busy),
      sum(int(f.get("busy", 0)) for e, f in busy) == open(sys.argv[3]).read().count("BUSY "))
PY
lines=$(sed -n 1p "$T/check")
[ "${lines%% *}" -gt 3 ] && [ "${lines##* }" -eq 0 ]
ok $? "every line of a json log parses as one object with time, level, node, event, fields ($lines)"
is "$(sed -n 2p "$T/check")" "ready-endpoint" "the ready line carries its endpoint as a field"
is "$(sed -n 3p "$T/check")" "refused" "a refused client key leaves a line an operator can grep"
is "$(sed -n 4p "$T/check")" "BAD_TOPIC/0 BAD_TOPIC/29" \
   "NACKs leave a line at most once a second, the next one counting those held back"
is "$(sed -n 5p "$T/check")" "began ended True" \
   "a BUSY episode leaves a line when it begins and one when it ends, with its count"
kill -TERM $p2; wait $p2
grep -q "notice" "$T/p2.log"; is $? 1 "log-level = warning drops notice lines"
done_testing
