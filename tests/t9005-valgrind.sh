#!/bin/sh
# A short integration run with an edge and a proc under valgrind memcheck:
# no invalid access, no definite leak, and both still stop with status 0
# (valgrind's --error-exitcode turns any error into status 99).
. "$(dirname "$0")/lib.sh"

if ! command -v valgrind >/dev/null 2>&1; then
    echo "1..0 # SKIP valgrind is not installed"; exit 0
fi
if ldd "$PUSHFABRIC" 2>/dev/null | grep -q libasan; then
    echo "1..0 # SKIP an AddressSanitizer build cannot run under valgrind"; exit 0
fi
fabric_init || exit 1
real=$PUSHFABRIC
cat >"$T/vg" <<EOF2
#!/bin/sh
exec valgrind --quiet --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=99 \
    --log-file="$T/vg.\$2.%p.log" "$real" "\$@"
EOF2
chmod +x "$T/vg"
node_start proc p2 || exit 1
PUSHFABRIC="$T/vg" node_start proc p1 || exit 1
PUSHFABRIC="$T/vg" node_start edge e1 || exit 1

seq 1 300 | sed 's/^/vg./' | pf send --topic vg --timeout 60000 - >"$T/sent"
is "$(grep -c '^ACK ' "$T/sent")" 300 "300 messages accepted through an edge and a proc under valgrind"
"$PYTHON3" "$top_srcdir/tests/pfworker.py" "$CFG" "$T/ledger" --ping 0.3 --count 300 \
    --fail-payload vg.7 --seconds 60 2>/dev/null
[ "$(wc -l <"$T/ledger")" -ge 299 ]; ok $? "and delivered to a worker"

ls "$T"/vg.e1.*.log "$T"/vg.p1.*.log >/dev/null 2>&1; ok $? "the edge and the proc run under valgrind"
node_stop e1; is $? 0 "the edge under valgrind stops with status 0 (no error, no definite leak)"
node_stop p1; is $? 0 "the proc under valgrind stops with status 0 (no error, no definite leak)"
reports=$(cat "$T"/vg.*.log 2>/dev/null)
if [ -z "$reports" ]; then ok 0 "valgrind reported nothing"; else
    ok 1 "valgrind reported nothing"; echo "$reports" | head -n 60 | sed 's/^/#   /'; fi
done_testing
