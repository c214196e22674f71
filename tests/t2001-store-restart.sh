#!/bin/sh
# Clean stop and restart of the nodes: SIGTERM exits 0 after committing,
# and a restarted proc still knows every id it accepted.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1

seq 1 500 | pf send --topic restart - >"$T/first.out"
is "$(grep -c '^ACK ' "$T/first.out")" 500 "500 messages ACKed"

node_stop e1; is $? 0 "the edge stops on SIGTERM with exit status 0"
node_stop p1; is $? 0 "proc p1 stops on SIGTERM with exit status 0"
node_stop p2; is $? 0 "proc p2 stops on SIGTERM with exit status 0"
grep -q "stopped" "$T/p1.log"; ok $? "the proc logs its stop"

node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1
grep -q "remembered=[1-9]" "$T/p1.log"; ok $? "a restarted proc reports the ids it remembers"
cut -d' ' -f2 "$T/first.out" | head -n 50 | while read -r id; do
    pf send --topic restart --id "$id" again
done >"$T/again.out"
is "$(grep -c '^DUP ' "$T/again.out")" 50 "after the restart every resent id is DUP"
total=$( (sql "$T/fabric/data/p1.db" "select count(*) from ids"; sql "$T/fabric/data/p2.db" "select count(*) from ids") | awk '{s+=$1} END {print s}')
is "$total" 500 "the stores hold each id once"
done_testing
