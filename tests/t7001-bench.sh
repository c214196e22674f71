#!/bin/sh
# pushfabric bench: runs briefly against a fabric of its own and against one
# given with -c, with and without workers, prints its figures (table or
# JSON), and leaves no node running. It asserts no speed: this is to see that
# it works.
. "$(dirname "$0")/lib.sh"

# json FILE EXPRESSION: evaluate a Python expression over the JSON object j
json () {
    "$PYTHON3" -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v)
sys.exit(0 if v else 1)' "$1" "$2"
}

# No pushfabric process with one of this test's bench folders (under $T) in
# its argv; other bench runs on the machine are not ours
no_bench_nodes () { ! pgrep -f "pushfabric .* -c $T/pfbench\.[A-Za-z0-9]*/fabric.cfg" >/dev/null; }

TMPDIR=$T; export TMPDIR

pf bench --seconds 1 --window 100 --json >"$T/bench.json" 2>"$T/bench.err"
ok $? "bench --seconds 1 --json exits 0"
sed 's/^/#   /' "$T/bench.err" | head -n 5
check "its output is one JSON object" json "$T/bench.json" 'isinstance(j, dict)'
check "accepted_per_s > 0" json "$T/bench.json" 'j["accepted_per_s"] > 0'
check "baseline_per_s > 0" json "$T/bench.json" 'j["baseline_per_s"] > 0'
check "ratio > 0" json "$T/bench.json" 'j["ratio"] > 0'
check "accept percentiles are ordered" json "$T/bench.json" \
    '0 < j["accept_p50_us"] <= j["accept_p90_us"] <= j["accept_p99_us"] <= j["accept_p999_us"]'
check "done_per_s is 0 and e2e_p99_us null without workers" json "$T/bench.json" \
    'j["done_per_s"] == 0 and j["e2e_p99_us"] is None'
check "the parameters are reported" json "$T/bench.json" \
    '(j["producers"], j["window"], j["size"], j["seconds"], j["count"], j["form"], j["dup_share"], j["sync"]) == (1, 100, 100, 1, None, "batch", 0, "normal")'
check "every started node and bench report CPU and memory" json "$T/bench.json" \
    'sorted(p["name"] for p in j["processes"]) == ["bench", "edge/e1", "proc/p1", "proc/p2"] and all(p["cpu_s"] >= 0 and p["peak_rss_kb"] > 0 for p in j["processes"])'
check "nothing was refused or lost" json "$T/bench.json" 'j["refused"] == 0 and j["failed"] == 0'
check "without --floor the floor is null" json "$T/bench.json" \
    'j["floor"] is False and j["floor_per_s"] is None and j["floor_p99_us"] is None and j["floor_p99_ratio"] is None'
check "no node is left running" no_bench_nodes
is "$(ls -d "$T"/pfbench.* 2>/dev/null | wc -l | tr -d ' ')" 0 "the temporary fabric is removed"

# The floor: the same loop through a relay process to an echo process
pf bench --floor --window 1 --count 300 --json >"$T/floor.json" 2>"$T/floor.err" &
runner=$!
# bench is the child of the backgrounded shell function; the relay and the
# echo are bench's children that still carry its argv (forked, no exec)
floor_pids=""
for i in $(seq 1 200); do
    bench_pid=$(pgrep -P "$runner" | head -n 1)
    [ -n "$bench_pid" ] && floor_pids=$(pgrep -P "$bench_pid" -f "pushfabric bench --floor")
    [ "$(echo $floor_pids | wc -w)" -ge 2 ] && break
    sleep 0.05
done
wait "$runner"
ok $? "bench --floor --window 1 --count 300 --json exits 0"
sed 's/^/#   /' "$T/floor.err" | head -n 5
is "$(echo $floor_pids | wc -w | tr -d ' ')" 2 "the relay and the echo are processes of their own"
check "the floor measured its 300 round trips" json "$T/floor.json" \
    'j["floor"] is True and j["floor_per_s"] > 0 and j["floor_cpu_s"] > 0'
check "its percentiles are ordered, with ratios to the baseline" json "$T/floor.json" \
    '0 < j["floor_p50_us"] <= j["floor_p90_us"] <= j["floor_p99_us"] <= j["floor_p999_us"] and j["floor_p99_ratio"] > 0 and j["floor_ratio"] > 0'
check "the fabric's figures are there too" json "$T/floor.json" \
    'j["accepted"] == 300 and j["p99_ratio"] > 0'
left=0
for pid in $floor_pids; do kill -0 "$pid" 2>/dev/null && left=$((left + 1)); done
is "$left" 0 "no relay or echo is left running"
check "no node is left running" no_bench_nodes

# Workers that answer DONE at once: done/s, the backlog, end-to-end latency
pf bench --workers 1 --seconds 1 --window 100 --json >"$T/workers.json" 2>"$T/workers.err"
ok $? "bench --workers 1 --seconds 1 --json exits 0"
sed 's/^/#   /' "$T/workers.err" | head -n 5
check "done_per_s > 0" json "$T/workers.json" 'j["done_per_s"] > 0'
check "the e2e percentiles are numbers, and ordered" json "$T/workers.json" \
    'all(isinstance(j[k], int) for k in ("e2e_p50_us", "e2e_p90_us", "e2e_p99_us", "e2e_p999_us")) and 0 <= j["e2e_p50_us"] <= j["e2e_p90_us"] <= j["e2e_p99_us"] <= j["e2e_p999_us"]'
check "every measured message has an e2e sample, none redelivered" json "$T/workers.json" \
    'j["e2e_samples"] == j["accepted"] and j["redelivered"] == 0'
check "the backlog is reported" json "$T/workers.json" \
    'isinstance(j["backlog_start"], int) and isinstance(j["backlog_end"], int) and isinstance(j["done_ratio"], float)'
check "the worker parameters are reported" json "$T/workers.json" \
    '(j["workers"], j["worker_batch"], j["worker_credit"], j["prefill"], j["prefill_s"], j["proc_restart_s"]) == (1, 100, 1000, 0, None, None)'
check "the retry node runs with workers" json "$T/workers.json" \
    'sorted(p["name"] for p in j["processes"]) == ["bench", "edge/e1", "proc/p1", "proc/p2", "retry/r1"]'
check "nothing was refused or lost" json "$T/workers.json" 'j["refused"] == 0 and j["failed"] == 0'
check "no node is left running" no_bench_nodes

# A prefill, and a restart of p1 after the measurement
pf bench --workers 2 --worker-batch 10 --worker-credit 50 --prefill 2000 --count 500 \
    --no-baseline --restart-proc >"$T/restart.out" 2>"$T/restart.err"
ok $? "bench --prefill 2000 --restart-proc exits 0"
sed 's/^/#   /' "$T/restart.err" | head -n 5
grep -q "^prefill: 2000 messages in " "$T/restart.out"; ok $? "the table reports the prefill"
remembered=$(sed -n 's/^restart of proc\/p1: stopped in .*, ready .* s after its start, remembering \([0-9]*\) ids.*/\1/p' "$T/restart.out")
diag "p1 remembered ${remembered:-nothing} ids"
[ "${remembered:-0}" -gt 0 ] && [ "${remembered:-0}" -le 2600 ]
ok $? "and the restart of p1, with the ids it remembers (some of 2600)"
check "no node is left running" no_bench_nodes

pf bench --single --count 200 --window 10 --producers 2 --dup-share 0.2 --sync full \
    >"$T/single.out" 2>"$T/single.err"
ok $? "bench --single --count 200 --window 10 --producers 2 --dup-share 0.2 --sync full exits 0"
sed 's/^/#   /' "$T/single.err" | head -n 5
grep -q "single form" "$T/single.out"; ok $? "the table names the single form"
grep -q "sync full" "$T/single.out"; ok $? "and sync full"
accepted=$(sed -n 's/^accepted \([0-9]*\), duplicates \([0-9]*\),.*/\1 \2/p' "$T/single.out")
set -- $accepted
is "$(( ${1:-0} + ${2:-0} ))" 400 "400 messages answered ACK or DUP"
[ "${2:-0}" -gt 0 ]; ok $? "and some resends answered DUP (${2:-0})"
check "no node is left running" no_bench_nodes

# A running fabric, given with -c
fabric_init || exit 1
node_start proc p1 && node_start proc p2 && node_start edge e1
ok $? "a fabric is running"
pf bench -c "$CFG" --count 300 --no-baseline --json >"$T/c.json" 2>"$T/c.err"
ok $? "bench -c FILE --count 300 --no-baseline exits 0"
sed 's/^/#   /' "$T/c.err" | head -n 5
check "it accepted 300 messages" json "$T/c.json" 'j["accepted"] == 300'
check "without workers done_per_s is 0 and the backlog null" json "$T/c.json" \
    'j["done_per_s"] == 0 and j["backlog_end"] is None'
check "the baseline is null" json "$T/c.json" 'j["baseline_per_s"] is None and j["ratio"] is None'
check "only bench's own process is reported" json "$T/c.json" \
    '[p["name"] for p in j["processes"]] == ["bench"]'
kill -0 "$(node_pid e1)" && kill -0 "$(node_pid p1)"; ok $? "and left the fabric running"
pf bench -c "$CFG" --count 100 --no-baseline --floor >"$T/cf.out" 2>"$T/cf.err"
ok $? "bench -c FILE --no-baseline --floor exits 0"
sed 's/^/#   /' "$T/cf.err" | head -n 5
grep -Eq '^floor p99 \(us\) +[0-9]+ +- +-$' "$T/cf.out"
ok $? "the table has the floor's p99, without a baseline to divide by"
pf bench -c "$CFG" --count 300 --no-baseline --workers 1 --json >"$T/cw.json" 2>"$T/cw.err"
ok $? "bench -c FILE --workers 1 exits 0"
sed 's/^/#   /' "$T/cw.err" | head -n 5
check "its worker answered every measured message" json "$T/cw.json" \
    'j["accepted"] == 300 and j["e2e_samples"] == 300 and j["e2e_p99_us"] >= 0'

node_stop e1
pf bench -c "$CFG" --count 10 2>"$T/down.err" >/dev/null; is $? 1 "an edge that is down exits 1"
is "$(wc -l <"$T/down.err" | tr -d ' ')" 1 "with one line"
grep -q "did not answer PING" "$T/down.err"; ok $? "saying the edge did not answer"

pf bench --frobnicate 2>"$T/err"; is $? 2 "an unknown option exits 2"
grep -q "unknown option '--frobnicate'" "$T/err"; ok $? "and names it"
pf bench --count 10 --seconds 1 2>/dev/null; is $? 2 "--count with --seconds exits 2"
pf bench --dup-share 2 2>/dev/null; is $? 2 "a --dup-share above 1 exits 2"
pf bench -c "$CFG" --sync full 2>/dev/null; is $? 2 "--sync with -c exits 2"
pf bench --workers 1 --size 7 2>"$T/err"; is $? 2 "--workers with --size 7 exits 2"
grep -q "send time" "$T/err"; ok $? "as the payload cannot hold the send time"
pf bench --workers 1 --worker-batch 200 --worker-credit 100 2>/dev/null
is $? 2 "a --worker-batch above --worker-credit exits 2"
pf bench --worker-batch 10 2>/dev/null; is $? 2 "--worker-batch without --workers exits 2"
pf bench -c "$CFG" --restart-proc 2>/dev/null; is $? 2 "--restart-proc with -c exits 2"
pf bench --help >"$T/out"; ok $? "bench --help exits 0"
head -n 1 "$T/out" | grep -q "^usage: pushfabric bench"; ok $? "and starts with its usage line"
done_testing
