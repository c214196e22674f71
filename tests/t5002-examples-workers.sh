#!/bin/sh
# The example workers, in Python (pyzmq), C and shell (pushfabric work),
# against a live fabric: each takes its messages and answers DONE or FAIL.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
sed -i 's/base-delay = .*/base-delay = 200/' "$CFG"
node_start retry r1 && node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1
keys="$T/fabric/keys"
key () { sed -n 's/.*public-key = "\(.*\)"/\1/p' "$keys/nodes/$1.cert"; }
workers () { sed -n "/^    $1\$/,/^    [a-z]/s/^ *workers = //p" "$CFG" | head -n 1; }

# Python: one worker per proc (the example serves one proc)
seq 1 20 | sed 's/^/py./' | pf send --topic py - >/dev/null
for p in p1 p2; do
    "$PYTHON3" "$top_srcdir/examples/python/worker.py" --endpoint "$(workers $p)" \
        --server-key-file "$keys/nodes/$p.cert" --cert "$keys/secret/worker.cert_secret" \
        --topics py --count 100 --heartbeat-ms 500 >"$T/py.$p.out" 2>&1 &
    eval "py_$p=\$!"
done
wait_for 20 sh -c "[ \$(cat '$T'/py.*.out | grep -c '^DONE ') -ge 20 ]"
ok $? "the Python workers answered DONE for all 20 messages"
kill $py_p1 $py_p2 2>/dev/null

# C: serves both procs, fails every 4th delivery; the failures come back
seq 1 12 | sed 's/^/c./' | pf send --topic c - >/dev/null
"$top_builddir/examples/c/worker" "$keys/secret/worker.cert_secret" \
    "$(workers p1)" "$(key p1)" "$(workers p2)" "$(key p2)" \
    --topics c --fail-every 4 --count 15 >"$T/c.out" 2>&1 &
c_worker=$!
wait_for 20 sh -c "[ \$(grep -c '^DONE ' '$T/c.out') -ge 12 ]"
ok $? "the C worker finished all 12 messages"
grep -q '^FAIL .* 1$' "$T/c.out" && grep -q '^DONE .* 2$' "$T/c.out"
ok $? "and what it failed came back with attempt 2"
kill $c_worker 2>/dev/null

# Shell: pushfabric work runs a command per delivery
pf send --topic demo.events hello 'please fail' >/dev/null
PUSHFABRIC="$PUSHFABRIC" sh "$top_srcdir/examples/shell/worker.sh" "$CFG" >"$T/sh.out" 2>&1 &
sh_worker=$!
wait_for 20 sh -c "grep -q '^DONE .* please fail' '$T/sh.out' && grep -q '^DONE .* hello' '$T/sh.out'"
ok $? "the shell worker (pushfabric work) finished both messages"
grep '^DONE .* please fail' "$T/sh.out" | grep -q '^DONE [^ ]* 3 '
ok $? "the one it fails twice is done at attempt 3"
kill -TERM $sh_worker 2>/dev/null; wait $sh_worker 2>/dev/null
done_testing
