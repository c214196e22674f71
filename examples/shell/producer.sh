#!/bin/sh
# producer.sh - push messages from the shell with `pushfabric send`.
#
# usage: producer.sh [CONFIG]
#
# CONFIG is a fabric configuration (default: $PUSHFABRIC_CONFIG, else
# ./fabric.cfg), for example one made by `pushfabric init demo` and started
# with `pushfabric up -c demo/fabric.cfg`. Set PUSHFABRIC to use a pushfabric
# program that is not on the PATH.
#
# `pushfabric send` prints one line per message (ACK id, DUP id or
# NACK id REASON text), resends on BUSY with the same id, and exits 1 if any
# message was refused, so `set -e` stops this script at the first failure.

set -eu

CFG=${1:-${PUSHFABRIC_CONFIG:-./fabric.cfg}}
PUSHFABRIC=${PUSHFABRIC:-pushfabric}

# Each argument is one message, with a fresh UUIDv4 id.
"$PUSHFABRIC" send -c "$CFG" --topic demo.events "hello" "world"

# With -, each line of standard input is one message. A key keeps the
# messages of one customer in order.
printf '%s\n' 'order 1 created' 'order 1 paid' 'order 1 shipped' |
    "$PUSHFABRIC" send -c "$CFG" --topic demo.orders --key customer-42 -

# A message id of our own makes a retry safe: the fabric answers DUP, and
# does not store or deliver the message again, if that id was already accepted.
id=invoice-$(date +%Y%m%d)-0001
"$PUSHFABRIC" send -c "$CFG" --topic demo.invoices --id "$id" '{"total": 42}'
"$PUSHFABRIC" send -c "$CFG" --topic demo.invoices --id "$id" '{"total": 42}'

# The verdict lines are easy to count.
seq 1 100 | "$PUSHFABRIC" send -c "$CFG" --topic demo.numbers - |
    awk '{ count [$1]++ } END { for (verdict in count) print verdict, count [verdict] }'
