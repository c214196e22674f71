#!/bin/sh
# The example producers, in Python (pyzmq), C and shell, against a live fabric.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1
keys="$T/fabric/keys"
endpoint=$(sed -n 's/^ *frontend = //p' "$CFG" | head -n 1)
server_key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$keys/nodes/e1.cert")

"$PYTHON3" "$top_srcdir/examples/python/producer.py" --endpoint "$endpoint" \
    --server-key-file "$keys/nodes/e1.cert" --cert "$keys/secret/client.cert_secret" \
    --topic py.single --count 300 >"$T/py1.out" 2>&1
ok $? "the Python producer (single form) exits 0"
is "$(grep -c '^ACK ' "$T/py1.out")" 300 "and every message is ACKed"
"$PYTHON3" "$top_srcdir/examples/python/producer.py" --endpoint "$endpoint" \
    --server-key-file "$keys/nodes/e1.cert" --cert "$keys/secret/client.cert_secret" \
    --topic py.batch --count 3000 --batch >"$T/py2.out" 2>&1
ok $? "the Python producer (batch form) exits 0"
is "$(grep -c '^ACK ' "$T/py2.out")" 3000 "and every message is ACKed"

"$top_builddir/examples/c/producer" "$endpoint" "$server_key" "$keys/secret/client.cert_secret" \
    c.example 2000 >"$T/c.out" 2>&1
ok $? "the C producer exits 0"
is "$(grep -c '^ACK ' "$T/c.out")" 2000 "and every message is ACKed"

PATH="$(dirname "$PUSHFABRIC"):$PATH" sh "$top_srcdir/examples/shell/producer.sh" "$CFG" >"$T/sh.out" 2>&1
ok $? "the shell producer exits 0"
is "$(grep -c '^DUP invoice-' "$T/sh.out")" 1 "and its resent id is DUP"

stored=$( (sql "$T/fabric/data/p1.db" "select count(*) from ids"; sql "$T/fabric/data/p2.db" "select count(*) from ids") | awk '{s+=$1} END {print s}')
[ "$stored" -ge 5300 ]; ok $? "the stores hold what the examples pushed ($stored)"
done_testing
