#!/bin/sh
# The retry node against a fake proc (tests/pfproc.py): FAILED answered
# TAKEN, re-injection after the backoff with the next attempt, dead letters
# at max-attempts (DEAD until GONE), the dlq commands, replays with tickets
# (several in flight, resent, answered twice, across a kill -9), and a
# kill -9 of the retry node between TAKEN and the re-injection.
. "$(dirname "$0")/lib.sh"

pfproc () { "$PYTHON3" "$top_srcdir/tests/pfproc.py" "$CFG" "$@"; }
field () {  # field NAME LINE: the value of NAME=value in LINE
    echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

pf retry --help >"$T/out"; ok $? "retry --help exits 0"
head -n 1 "$T/out" | grep -q "^usage: pushfabric retry NAME"; ok $? "and starts with its usage line"
pf dlq --help >"$T/out"; ok $? "dlq --help exits 0"
head -n 1 "$T/out" | grep -q "^usage: pushfabric dlq list"; ok $? "and starts with its usage line"
pf dlq frobnicate 2>/dev/null; is $? 2 "an unknown dlq command is a usage error"

fabric_init || exit 1
sed -i "s/max-attempts = 8/max-attempts = 3/" "$CFG"
node_start retry r1 || exit 1
DB="$T/fabric/data/r1.db"

# ---- Re-injection after the backoff -----------------------------------------
pfproc fail 1 1 m-1 hello expect TAKEN expect REINJECT reinjected >"$T/out"
is "$(sed -n 1p "$T/out")" "TAKEN 1" "FAILED is answered TAKEN with its seq"
line=$(sed -n 2p "$T/out")
is "$(field seq "$line") $(field attempt "$line") $(field id "$line") $(field payload "$line")" \
   "1 2 m-1 hello" "the message comes back as REINJECT with the next attempt"
after=$(field after "$line")
[ "${after:-0}" -ge 800 ] && [ "$after" -lt 3000 ]
ok $? "no earlier than base-delay less 20 % jitter (after ${after:-?} ms)"
wait_for 5 test "$(sql "$DB" 'SELECT count(*) FROM retries')" = 0
ok $? "REINJECTED makes the retry node forget it"

# ---- A repeated FAILED ------------------------------------------------------
pfproc fail 2 2 m-2 again expect TAKEN fail 2 2 m-2 again expect TAKEN \
       expect REINJECT 6000 reinjected none REINJECT 3500 >"$T/out"
is "$(grep -c '^TAKEN 2$' "$T/out")" 2 "a repeated FAILED is answered TAKEN again"
line=$(grep '^REINJECT' "$T/out")
is "$(echo "$line" | wc -l | tr -d ' ') $(field attempt "$line")" "1 3" \
   "and re-injected once, with attempt 3"
[ "$(field after "$line")" -ge 1600 ]; ok $? "after the second backoff (base-delay * 2 less jitter)"
grep -q "^NONE REINJECT" "$T/out"; ok $? "nothing more is re-injected"

# ---- Dead letters -----------------------------------------------------------
pfproc fail 3 3 m-3 poison crashed expect TAKEN fail 3 3 m-3 poison crashed expect TAKEN \
       expect DEAD >"$T/out"
is "$(tr '\n' ' ' <"$T/out")" "TAKEN 3 TAKEN 3 DEAD 3 " "FAILED at max-attempts is answered TAKEN, then DEAD"
pfproc expect DEAD gone >"$T/out"
is "$(cat "$T/out")" "DEAD 3" "DEAD is sent again until the proc answers GONE"
wait_for 5 test "$(sql "$DB" 'SELECT count(*) FROM retries')" = 0
ok $? "GONE makes the retry node forget the hand-off"

pf dlq list --json >"$T/list.json"; ok $? "dlq list --json exits 0"
"$PYTHON3" - "$T/list.json" <<'PY' >"$T/out" 2>&1
import json, sys, time
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, rows
row = rows[0]
assert row["id"] == "m-3" and row["topic"] == "t.retry" and row["key"] == "6b", row
assert row["attempts"] == 3 and row["reason"] == "crashed" and row["size"] == 6, row
assert abs(row["dead_at"] - time.time()) < 60, row
PY
ok $? "one dead letter for a repeated FAILED, with id, topic, key, attempts, reason, dead_at" \
    || sed 's/^/#   /' "$T/out" "$T/list.json"
pf dlq list >"$T/out"
grep -q "^m-3 .* 3 .*crashed$" "$T/out"; ok $? "dlq list prints it as a table row"
is "$(pf dlq show m-3)" "poison" "dlq show prints the payload"
pf dlq show nope >"$T/out" 2>"$T/err"; is $? 1 "dlq show of an unknown id exits 1"
is "$(cat "$T/err")" "pushfabric: no dead letter 'nope'" "with one line naming it"
pf dlq replay nope 2>/dev/null; is $? 1 "dlq replay of an unknown id exits 1"

pf dlq replay m-3 >"$T/out"; ok $? "dlq replay exits 0"
n3=$(sql "$DB" "SELECT number FROM dead WHERE name = 'm-3'")
line=$(pfproc expect REINJECT 8000 reinjected)
is "$(field attempt "$line") $(field id "$line") $(field payload "$line") $(field replay "$line")" \
   "1 m-3 poison $n3" "a replay is a REINJECT of attempt 1 whose seq is a ticket with the dead letter's number"
"$PYTHON3" -c 'import sys; a, n = int(sys.argv[1]), int(sys.argv[2]); assert n > 0 and a == (1 << 63) | n' \
    "$(field seq "$line")" "$n3" 2>/dev/null
ok $? "the ticket is the top bit with the number (seq=$(field seq "$line") number=$n3)"
wait_for 5 sh -c "! $PUSHFABRIC dlq list | grep -q m-3"
ok $? "the dead letter leaves the store once the proc answered REINJECTED with its ticket"
is "$(grep -c "dead letter replayed number=$n3 " "$T/r1.log")" 1 "the retry node logs the replay once"

pfproc fail 4 3 m-4 x expect TAKEN expect DEAD gone >/dev/null
pfproc fail 6 3 m-6 keep expect TAKEN expect DEAD gone >/dev/null
is "$(pf dlq list --json | "$PYTHON3" -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)))')" \
   "m-4 m-6" "dlq list shows the dead letters in the order they died"
is "$(pf dlq purge m-4)" "purged 1 dead letter" "dlq purge ID removes one"
pf dlq purge m-4 >/dev/null 2>"$T/err"; is $? 1 "purging it again exits 1"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "with one line"

# ---- kill -9 between TAKEN and the re-injection -----------------------------
is "$(pfproc fail 5 1 m-5 survivor expect TAKEN)" "TAKEN 5" "FAILED is taken"
node_kill r1
node_start retry r1 || exit 1
line=$(pfproc expect REINJECT 8000 reinjected)
is "$(field seq "$line") $(field attempt "$line") $(field payload "$line")" "5 2 survivor" \
   "after kill -9 and restart the re-injection still comes"
pf dlq list | grep -q "^m-6 "; ok $? "dead letters survive the kill"

# ---- Replays in flight together, each answered by its ticket ----------------
pfproc fail 7 3 m-7 seven expect TAKEN expect DEAD gone >/dev/null
pfproc fail 8 3 m-8 eight expect TAKEN expect DEAD gone >/dev/null
n7=$(sql "$DB" "SELECT number FROM dead WHERE name = 'm-7'")
n8=$(sql "$DB" "SELECT number FROM dead WHERE name = 'm-8'")
# GONE of an unknown seq first, so that the retry node sees the fake proc
# connected; m-7's answer is withheld once, then given twice
pfproc raw GONE 00000000000003e7 \
       sh "$PUSHFABRIC dlq replay m-7 >/dev/null" sh "$PUSHFABRIC dlq replay m-8 >/dev/null" \
       expect-n REINJECT 2 reinjected-id m-8 \
       expect REINJECT 6000 reinjected reinjected none REINJECT 4000 >"$T/out"
is "$(sed -n 1,2p "$T/out" | while read -r l; do field replay "$l"; done | sort | tr '\n' ' ')" \
   "$(printf '%s\n' "$n7" "$n8" | sort | tr '\n' ' ')" \
   "two replays are in flight to one proc at once, each with its own ticket" \
   || sed 's/^/#   /' "$T/out"
line=$(sed -n 3p "$T/out")
is "$(field replay "$line") $(field id "$line") $(sed -n 4p "$T/out")" "$n7 m-7 NONE REINJECT" \
   "the unanswered one is sent again with the same ticket, and no more once answered"
dlq=$(pf dlq list)
! echo "$dlq" | grep -q "^m-[78] "; ok $? "both dead letters leave the store"
echo "$dlq" | grep -q "^m-6 "; ok $? "a repeated answer removes no other dead letter"
is "$(grep -c "dead letter replayed number=$n7 " "$T/r1.log") $(grep -c "dead letter replayed number=$n8 " "$T/r1.log")" \
   "1 1" "each replay is taken as answered once"
is "$(sed -n "s/.*dead letter replayed number=\($n7\|$n8\) .*/\1/p" "$T/r1.log" | tr '\n' ' ')" \
   "$n8 $n7 " "m-8 was answered first, while m-7 still waited"

# ---- kill -9 with a replay in flight ----------------------------------------
pfproc fail 9 3 m-9 nine expect TAKEN expect DEAD gone >/dev/null
n9=$(sql "$DB" "SELECT number FROM dead WHERE name = 'm-9'")
pf dlq replay m-9 >/dev/null
before=$(pfproc expect REINJECT 8000)
node_kill r1
node_start retry r1 || exit 1
after=$(pfproc expect REINJECT 8000 reinjected)
is "$(field seq "$after") $(field replay "$after") $(field id "$after")" \
   "$(field seq "$before") $n9 m-9" "after kill -9 and restart the replay is sent again with the same ticket"
wait_for 5 sh -c "! $PUSHFABRIC dlq list | grep -q '^m-9 '"
ok $? "and its answer removes the dead letter"

# ---- Purge all, stop, unreachable -------------------------------------------
is "$(pf dlq purge --all)" "purged 1 dead letter" "dlq purge --all"
is "$(pf dlq list)" "no dead letters" "the store is empty"
node_stop r1; is $? 0 "SIGTERM stops the retry node with exit status 0"
start=$(date +%s)
pf dlq list >/dev/null 2>"$T/err"; is $? 1 "dlq list with the retry node down exits 1"
[ $(( $(date +%s) - start )) -le 6 ]; ok $? "within a few seconds"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "with one line"
grep -q "retry 'r1'" "$T/err"; ok $? "naming the node"
done_testing
