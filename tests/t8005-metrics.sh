#!/bin/sh
# The metrics key: a node serves GET /metrics over HTTP, the same text as
# `stats NODE --prometheus`; other paths and methods are refused; a port in
# use, a missing control endpoint or a bad value stop the node at start with
# one line.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
ports=$("$PYTHON3" -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')
edge_port=${ports% *}; proc_port=${ports#* }
sed -i "s|^\(        reply-timeout = .*\)|\1\n        metrics = 127.0.0.1:$edge_port|;
        s|^\(        db = data/p1.db\)|\1\n        metrics = 127.0.0.1:$proc_port|" "$CFG"
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1
grep -q "metrics served address=http://127.0.0.1:$edge_port/metrics" "$T/e1.log"
ok $? "the edge logs where it serves metrics"

# http METHOD PORT PATH: prints the status, the content type, then the body
http () {
    "$PYTHON3" - "$@" <<'PY'
import http.client, sys
method, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
conn.request(method, path)
response = conn.getresponse()
print(response.status)
print(response.getheader("Content-Type"))
sys.stdout.write(response.read().decode())
PY
}
for n in 1 2 3 4 5; do echo "m$n"; done | pf send --topic orders --key k - >"$T/sent"
is "$(grep -c '^ACK ' "$T/sent")" 5 "5 messages accepted"

http GET "$edge_port" /metrics >"$T/edge.http"
is "$(sed -n 1p "$T/edge.http")" 200 "GET /metrics on the edge: 200"
is "$(sed -n 2p "$T/edge.http")" "text/plain; version=0.0.4; charset=utf-8" \
   "with the Prometheus text content type"
tail -n +3 "$T/edge.http" >"$T/edge.metrics"
pf stats e1 --prometheus >"$T/edge.stats"
cmp -s "$T/edge.metrics" "$T/edge.stats"; ok $? "the body is what 'stats e1 --prometheus' prints"
grep -q '^pushfabric_accepted_total{node="e1",role="edge"} 5$' "$T/edge.metrics"
ok $? "and counts the 5 accepted"
"$PYTHON3" - "$T/edge.metrics" >"$T/check" <<'PY'
import re, sys
comment = re.compile(r'^# (HELP|TYPE) pushfabric_[a-z0-9_]+ .+$')
sample = re.compile(r'^pushfabric_[a-z0-9_]+\{node="e1",role="edge"(,le="[^"]+")?\} -?[0-9.e+]+$')
lines = open(sys.argv[1]).read().splitlines()
print(len(lines) > 10 and all(comment.match(l) or sample.match(l) for l in lines))
PY
is "$(cat "$T/check")" True "every line of /metrics is a HELP, a TYPE or a sample"

http GET "$proc_port" /metrics >"$T/proc.http"
is "$(sed -n 1p "$T/proc.http")" 200 "GET /metrics on a proc: 200"
grep -q '^pushfabric_pending{node="p1",role="proc"} [0-9]*$' "$T/proc.http"
ok $? "with the proc's gauges"
is "$(http GET "$edge_port" /other 2>/dev/null | head -n 1)" 404 "another path: 404"
is "$(http POST "$edge_port" /metrics 2>/dev/null | head -n 1)" 405 "POST: 405"
http HEAD "$edge_port" /metrics >"$T/head"
is "$(sed -n 1p "$T/head")/$(wc -l <"$T/head" | tr -d ' ')" "200/2" "HEAD: 200 without a body"
printf 'NONSENSE\r\n\r\n' | "$PYTHON3" -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', $edge_port), 5)
s.sendall(sys.stdin.buffer.read()); s.settimeout(5)
answer = s.recv(100)
print('closed' if not answer else answer.split(b' ')[1].decode())" >"$T/garbage" 2>&1
grep -qx 'closed\|400' "$T/garbage"; ok $? "a request that is not HTTP is refused ($(cat "$T/garbage"))"
is "$(http GET "$edge_port" /metrics | head -n 1)" 200 "the edge still serves metrics after it"

# A scrape the node's control endpoint does not answer is 503, not a hang:
# here the edge's own certificate is missing from keys/nodes/
mv "$T/fabric/keys/nodes/e1.cert" "$T/e1.cert"
start=$(date +%s)
http GET "$edge_port" /metrics >"$T/unanswered"
is "$(sed -n 1p "$T/unanswered")" 503 "a scrape the node cannot answer: 503"
grep -q "e1" "$T/unanswered"; ok $? "its body says which node did not answer"
is "$(( $(date +%s) - start <= 5 ))" 1 "within a few seconds"
mv "$T/e1.cert" "$T/fabric/keys/nodes/e1.cert"

# Start failures: one line, exit non-zero, before ready
node_stop p2
sed -i "s|^\(        db = data/p2.db\)|\1\n        metrics = 127.0.0.1:$edge_port|" "$CFG"
pf proc p2 -c "$CFG" >/dev/null 2>"$T/busy.err"; status=$?
[ "$status" -ne 0 ] && [ "$(wc -l <"$T/busy.err")" -eq 1 ] \
    && grep -q "cannot serve metrics on 127.0.0.1:$edge_port" "$T/busy.err"
ok $? "a port in use: exit non-zero, one line"
grep -q ' ready ' "$T/busy.err"; is $? 1 "and no ready line"
sed -i "s|metrics = 127.0.0.1:$edge_port$|metrics = 127.0.0.1:99999|" "$CFG"
pf proc p2 -c "$CFG" >/dev/null 2>"$T/bad.err"; status=$?
[ "$status" -ne 0 ] && [ "$(wc -l <"$T/bad.err")" -eq 1 ] && grep -q "ADDRESS:PORT" "$T/bad.err"
ok $? "a bad metrics value: exit non-zero, one line"
sed -i "/metrics = 127.0.0.1:99999/d" "$CFG"
sed -i '/^    p2$/,/^    [a-z]/{/control = /d}' "$CFG"
sed -i "s|^\(        db = data/p2.db\)|\1\n        metrics = 127.0.0.1:$edge_port|" "$CFG"
pf proc p2 -c "$CFG" >/dev/null 2>"$T/nocontrol.err"; status=$?
[ "$status" -ne 0 ] && [ "$(wc -l <"$T/nocontrol.err")" -eq 1 ] \
    && grep -q "needs a control endpoint" "$T/nocontrol.err"
ok $? "metrics without a control endpoint: exit non-zero, one line"

node_stop e1; ok $? "the edge with metrics stops cleanly"
node_stop p1; ok $? "the proc with metrics stops cleanly"
done_testing
