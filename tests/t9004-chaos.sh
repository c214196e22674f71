#!/bin/sh
# A short, bounded chaos run (tests/chaos): two edges, three procs, a retry
# node and three workers under load from three producers (one of them the
# resending, journalling tests/pfproducer.py), with nodes, workers and
# producers killed and nodes and workers paused on a seeded schedule; the
# ledger kept outside the fabric must show nothing lost, nothing accepted
# twice and every key first delivered in its proc's commit order. The procs
# keep at most 50 open messages in memory, so backlogs wait on disk and are
# read back under the faults too.
# `tests/chaos --rounds 1000` is the long run.
. "$(dirname "$0")/lib.sh"

timeout 150 "$PYTHON3" "$top_srcdir/tests/chaos" --rounds 8 --seconds 25 --seed 37 --open-in-memory 50 \
    >"$T/chaos.out" 2>"$T/chaos.err"
ok $? "the chaos run exits 0"
sed 's/^/# /' "$T/chaos.out"
summary=$(tail -n 1 "$T/chaos.out")
for want in lost=0 double_accepted=0 order_violations=0; do
    case " $summary " in
        *" $want "*) ok 0 "summary has $want" ;;
        *) ok 1 "summary has $want"; sed 's/^/#   /' "$T/chaos.err" | tail -n 20 ;;
    esac
done
case "$summary" in *" messages=0 "*) ok 1 "messages were accepted" ;; *) ok 0 "messages were accepted" ;; esac
case "$summary" in
    *" backlogs_on_disk=0 "*) ok 1 "backlogs waited on disk and came back" ;;
    *" backlogs_on_disk="*) ok 0 "backlogs waited on disk and came back" ;;
    *) ok 1 "backlogs waited on disk and came back" ;;
esac
case "$summary" in
    *" ordered_keys=0 "* | *" ordered_keys="[0-9]" "*) ok 1 "the order check covered keys" ;;
    *" ordered_keys="*) ok 0 "the order check covered keys" ;;
    *) ok 1 "the order check covered keys" ;;
esac
done_testing
