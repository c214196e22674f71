#!/bin/sh
# worker.sh - handle deliveries from the shell with `pushfabric work`.
#
# usage: worker.sh [CONFIG]
#
# CONFIG is a fabric configuration (default: $PUSHFABRIC_CONFIG, else
# ./fabric.cfg), for example one made by `pushfabric init demo` and started
# with `pushfabric up -c demo/fabric.cfg`. Set PUSHFABRIC to use a pushfabric
# program that is not on the PATH. Stop it with Ctrl-C (or SIGTERM).
#
# `pushfabric work` serves every proc of the fabric and runs the command
# after -- once per delivery: the payload on its standard input, the message
# in PF_ID, PF_TOPIC, PF_ATTEMPT, PF_KEY_HEX (and PF_KEY when the key is
# text). Exit status 0 answers DONE; any other answers FAIL, with the end of
# its standard error as the reason, and the fabric tries again later with the
# next PF_ATTEMPT (or keeps the message as a dead letter: `pushfabric dlq list`).
#
# This one prints "DONE id attempt topic payload" for each message, and fails
# a message whose payload contains "fail" on its first two attempts, so a
# third delivery of it succeeds. Try:
#
#   pushfabric send -c "$CFG" --topic demo.events hello 'please fail'

set -eu

CFG=${1:-${PUSHFABRIC_CONFIG:-./fabric.cfg}}
PUSHFABRIC=${PUSHFABRIC:-pushfabric}

# The script is in single quotes: the variables are the delivery's, expanded
# by the sh that runs it, not by this one. It may be run more than once for
# a message (delivery is at least once), so it only prints.
exec "$PUSHFABRIC" work -c "$CFG" --topics demo. -- sh -c '
    payload=$(cat)
    case $payload in
        *fail*)
            if [ "$PF_ATTEMPT" -lt 3 ]; then
                echo "FAIL $PF_ID $PF_ATTEMPT $PF_TOPIC $payload"
                echo "payload asks to fail (attempt $PF_ATTEMPT)" >&2
                exit 1
            fi ;;
    esac
    echo "DONE $PF_ID $PF_ATTEMPT $PF_TOPIC $payload"
'
