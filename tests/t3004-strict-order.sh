#!/bin/sh
# ordering = strict: a failing message holds back the later messages of its
# key until it is done, so order holds across retries, while the other keys
# of the same partition keep flowing.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
sed -i 's/ordering = .*/ordering = strict/; s/base-delay = .*/base-delay = 300/;
        s/max-attempts = .*/max-attempts = 5/; s/heartbeat-timeout = .*/heartbeat-timeout = 2000/' "$CFG"
node_start proc p1 && node_start proc p2 && node_start retry r1 && node_start edge e1 || exit 1

# A second key in the same partition as key A (FNV-1a 64, 64 partitions)
other=$("$PYTHON3" -c '
def part(key):
    h = 14695981039346656037
    for b in key.encode():
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    return h % 64
print(next("B%d" % n for n in range(10000) if part("B%d" % n) == part("A")))')
seq 0 4 | sed 's/^/A./' | pf send --topic t --key A - >/dev/null
seq 0 9 | sed 's/^/B./' | pf send --topic t --key "$other" - >/dev/null
"$PYTHON3" "$top_srcdir/tests/pfworker.py" "$CFG" "$T/ledger" --ping 0.3 \
    --fail-payload A.1:2 --count 17 --seconds 20 2>/dev/null
awk '{print $6 "/" $5 "/" $7}' "$T/ledger" | tr '\n' ' ' | sed 's/^/# /'; echo
is "$(awk '$6 ~ /^A/ {print $6 "/" $5 "/" $7}' "$T/ledger" | tr '\n' ' ')" \
   "A.0/1/DONE A.1/1/FAIL A.1/2/FAIL A.1/3/DONE A.2/1/DONE A.3/1/DONE A.4/1/DONE " \
   "key A is delivered in order across the failure and its retries"
is "$(awk '$6 ~ /^B/ && $7 == "DONE"' "$T/ledger" | wc -l | tr -d ' ')" 10 "every message of key B is done"
first_a2=$(awk '$6 == "A.2" {print NR}' "$T/ledger")
last_b=$(awk '$6 ~ /^B/ {n = NR} END {print n}' "$T/ledger")
[ "$last_b" -lt "$first_a2" ]; ok $? "key $other, of the same partition, flowed while key A waited"
done_testing
