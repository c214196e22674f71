#!/bin/sh
# pushfabric stats: counters that match a known workload exactly, --json,
# --prometheus line by line, an unknown node, an unreachable one, and a
# control request without an admin certificate.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
node_start proc p1 && node_start proc p2 && node_start retry r1 && node_start edge e1 \
    || exit 1
pf1 () { "$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" "$@"; }
# json EXPR: evaluate a Python expression on `stats --json` (as s)
json () { "$PYTHON3" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/stats.json" "$1" 2>&1 | tail -n 1; }

pf stats --help >"$T/out"; ok $? "stats --help exits 0"
head -n 1 "$T/out" | grep -q "^usage: pushfabric stats"; ok $? "stats --help starts with its usage line"
pf stats --json --prometheus 2>/dev/null; is $? 2 "--json with --prometheus is a usage error"
check "stats answers before any traffic" pf stats

# The workload: 6 accepted (ids m-1..m-6), 2 duplicates, 3 NACK BAD_TOPIC
for n in 1 2 3 4 5 6; do pf1 push "m-$n" orders "key$n" "payload$n"; done >"$T/sent"
pf1 push m-1 orders key1 again >>"$T/sent"
pf1 push m-2 orders key2 again >>"$T/sent"
for n in 1 2 3; do pf1 push "bad-$n" 'no spaces' k x; done >>"$T/sent"
is "$(cut -d' ' -f1 "$T/sent" | sort | uniq -c | tr -s ' ' | tr '\n' ';')" \
   " 6 ACK; 2 DUP; 3 NACK;" "the workload got its verdicts"
(worker "$T/ledger" --seconds 20 --count 6 2>"$T/w.err")
is "$(wc -l <"$T/ledger" | tr -d ' ')" 6 "a worker finished the 6 messages"

# DONE reaches the proc just after the worker's ledger line
all_done () {
    pf stats --json >"$T/stats.json" \
        && [ "$(json 's["p1"]["counters"]["done"] + s["p2"]["counters"]["done"]')" = 6 ]
}
wait_for 10 all_done
ok $? "stats --json parses and shows the 6 done"
is "$(json 'sorted(s)')" "['e1', 'p1', 'p2', 'r1']" "--json: an object keyed by node name"
is "$(json 'all(sorted(v) == ["counters", "gauges", "latency", "role"] for v in s.values())')" \
   True "--json: each node has role, counters, gauges and latency"
is "$(json '[s[n]["role"] for n in sorted(s)]')" "['edge', 'proc', 'proc', 'retry']" "--json: roles"
c='s["e1"]["counters"]'
is "$(json "[$c[k] for k in ('received', 'accepted', 'duplicates', 'nack_bad_topic', 'nack_malformed', 'busy')]")" \
   "[11, 6, 2, 3, 0, 0]" "edge counters: received, accepted, duplicates, nack_bad_topic, nack_malformed, busy"
is "$(json 's["e1"]["latency"]["accept_us"]["count"]')" 8 "edge: accept latency of the 8 pushes the procs answered"
is "$(json 'sorted(s["e1"]["latency"]["accept_us"])')" "['count', 'p50', 'p90', 'p99', 'p999']" \
   "--json: a latency has count and percentiles"
is "$(json 's["e1"]["gauges"]["clients"] >= 1')" True "edge gauge: clients"
sum () { json "sum(s[p]['$1'][k] for p in ('p1', 'p2') for k in ['$2'])"; }
is "$(sum counters accepted)/$(sum counters duplicates)/$(sum counters received)" "6/2/8" \
   "procs: accepted, duplicates, received"
is "$(sum counters delivered)/$(sum counters done)/$(sum counters failed)" "6/6/0" \
   "procs: delivered, done, failed"
is "$(sum gauges pending)/$(sum gauges inflight)" "0/0" "procs: nothing pending or in flight"
is "$(json 'sum(s[p]["latency"]["e2e_us"]["count"] for p in ("p1", "p2"))')" 6 \
   "procs: end-to-end latency of the 6 done"
is "$(json 's["p1"]["gauges"]["db_bytes"] > 0')" True "proc gauge: database size"
is "$(json 'sorted(s["r1"]["counters"].items())')" \
   "[('dead_lettered', 0), ('replayed', 0), ('retried', 0)]" "retry counters"
is "$(json 'sorted(s["r1"]["gauges"])')" "['db_bytes', 'dead_letters', 'retrying']" "retry gauges"

# The table names every node
pf stats >"$T/table"; ok $? "stats prints a table"
is "$(grep -c '^[a-z0-9]* (\(edge\|proc\|retry\))$' "$T/table")" 4 "the table has a block per node"
grep -q '^  nack_bad_topic  *3$' "$T/table"; ok $? "the table shows the counters"

# --prometheus, line by line
pf stats --prometheus >"$T/prom"; ok $? "stats --prometheus"
"$PYTHON3" - "$T/prom" >"$T/prom.check" <<'PY'
import re, sys
comment = re.compile(r'^# (HELP|TYPE) pushfabric_[a-z0-9_]+ .+$')
sample = re.compile(r'^pushfabric_[a-z0-9_]+\{node="[^"]+",role="(edge|proc|retry)"(,le="[^"]+")?\} -?[0-9.e+]+$')
bad = [l for l in open(sys.argv[1]).read().splitlines() if not (comment.match(l) or sample.match(l))]
print(len(bad)); [print(l) for l in bad[:5]]
PY
is "$(head -n1 "$T/prom.check")" 0 "every --prometheus line is a HELP, a TYPE or a sample"
grep -q '^pushfabric_accepted_total{node="e1",role="edge"} 6$' "$T/prom"; ok $? "--prometheus: counters end in _total"
grep -q '^# TYPE pushfabric_pending gauge$' "$T/prom"; ok $? "--prometheus: gauges"
grep -q '^pushfabric_accept_us_bucket{node="e1",role="edge",le="+Inf"} 8$' "$T/prom" \
    && grep -q '^pushfabric_accept_us_count{node="e1",role="edge"} 8$' "$T/prom" \
    && grep -q '^# TYPE pushfabric_e2e_us histogram$' "$T/prom"
ok $? "--prometheus: histograms with buckets and count"

# One node, an unknown node, an unreachable node
is "$(pf stats p1 --json | "$PYTHON3" -c 'import json,sys; print(list(json.load(sys.stdin)))')" \
   "['p1']" "stats NODE asks that node only"
pf stats nosuch >"$T/out" 2>"$T/err"; status=$?
is "$status/$(wc -l <"$T/err" | tr -d ' ')" "1/1" "an unknown node exits 1 with one line"
grep -q "nosuch" "$T/err"; ok $? "the line names the node"
node_stop p2
start=$(date +%s)
pf stats p2 >"$T/out" 2>"$T/err"; status=$?
is "$status/$(wc -l <"$T/err" | tr -d ' ')" "1/1" "an unreachable node exits 1 with one line"
grep -q "p2" "$T/err"; ok $? "the line names it"
is "$(( $(date +%s) - start <= 5 ))" 1 "within a few seconds"

# A client certificate is not an admin's: the control endpoint says nothing
mv "$T/fabric/keys/secret/admin.cert_secret" "$T/admin.cert_secret"
cp "$T/fabric/keys/secret/client.cert_secret" "$T/fabric/keys/secret/admin.cert_secret"
pf stats e1 >"$T/out" 2>"$T/err"; status=$?
is "$status" 1 "a control request with a producer's certificate is not answered"
grep -q "did not answer" "$T/err"; ok $? "the client only sees the silence"
mv "$T/admin.cert_secret" "$T/fabric/keys/secret/admin.cert_secret"
check "the admin certificate is answered again" pf stats e1
done_testing
