#!/bin/sh
# pushfabric up: starts every node, shows the demo flowing, restarts a node
# that dies, and stops them all on SIGTERM.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1

pf up --demo --seconds 4 -c "$CFG" >"$T/demo.out" 2>"$T/demo.err"
ok $? "up --demo --seconds 4 exits 0"
grep '^demo: ' "$T/demo.out" | tail -n 1 >"$T/demo.last"
sed 's/^/# /' "$T/demo.last"
accepted=$(sed -n 's/.*accepted=\([0-9]*\).*/\1/p' "$T/demo.last")
[ "${accepted:-0}" -gt 0 ]; ok $? "the demo shows messages accepted ($accepted)"
grep -q "refused=0" "$T/demo.out"; ok $? "and none refused"
done=$(sed -n 's/.* done=\([0-9]*\).*/\1/p' "$T/demo.last")
[ "${done:-0}" -gt 0 ]; ok $? "the demo worker finished messages ($done)"
grep -q "failed attempt 1, retrying" "$T/demo.out"; ok $? "and failed some, which the retry node took"
is "$(grep -c 'ready ' "$T/demo.err")" 4 "every node of the config became ready"
is "$(grep -c "/[a-z0-9]* stopped$" "$T/demo.err")" 4 "every node stopped cleanly"
grep '^node ' "$T/demo.out" | head -n 4 | sed 's/ pid=[0-9]* uptime=[0-9]*s / /' >"$T/status"
is "$(tr '\n' ';' <"$T/status")" "node r1 retry running restarts=0 last_exit=-;node p1 proc running restarts=0 last_exit=-;node p2 proc running restarts=0 last_exit=-;node e1 edge running restarts=0 last_exit=-;" \
   "up prints one status line per node"

# up writes a fabric itself when the config does not exist
pf up --seconds 1 -c "$T/fresh/fabric.cfg" >"$T/fresh.out" 2>&1
ok $? "up with a missing config exits 0"
[ -f "$T/fresh/fabric.cfg" ] && [ -f "$T/fresh/keys/secret/p1.cert_secret" ]
ok $? "and first wrote a fabric in the config's folder"

# A node killed under up is restarted
"$PUSHFABRIC" up -c "$CFG" 2>"$T/up.err" >"$T/up.out" &
up=$!
NODE_PIDS="$NODE_PIDS $up"
wait_for 20 sh -c "[ \$(grep -c 'ready ' '$T/up.err') -ge 4 ]"; ok $? "up starts every node"
victim=$(sed -n "s/.*started proc 'p1' pid=\([0-9]*\).*/\1/p" "$T/up.err" | head -n 1)
kill -KILL "$victim"
wait_for 20 sh -c "[ \$(grep -c 'proc/p1 ready' '$T/up.err') -ge 2 ]"
ok $? "a proc killed with SIGKILL is restarted"
grep -q "proc 'p1' exited (signal 9), restarting" "$T/up.err"; ok $? "and the restart is logged"
wait_for 10 grep -q '^node p1 proc running .* restarts=1 last_exit=signal:9$' "$T/up.out"
ok $? "the status line of the proc shows its restart and how it last exited"
is "$(pf send -c "$CFG" --topic after.restart --id r-1 x)" "ACK r-1" "the fabric serves after the restart"
kill -TERM "$up"; wait "$up"; ok $? "up exits 0 on SIGTERM"
sleep 0.2
pgrep -f "pushfabric .* -c $CFG" >/dev/null; is $? 1 "no node is left running"
done_testing
