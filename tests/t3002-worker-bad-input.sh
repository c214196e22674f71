#!/bin/sh
# A worker that misbehaves is ignored or told DISCONNECT, with a log line,
# and no message changes state because of it.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1
pf send --topic t --key k --id held-1 payload >/dev/null

# raw worker: send the given frames (after the empty one) to each proc, print replies
raw () {
    "$PYTHON3" - "$CFG" "$@" <<'PY'
import os, sys, zmq
sys.path.insert(0, os.environ["top_srcdir"] + "/tests")
import pf1, pfworker
cfg, frames = sys.argv[1], [a.encode() for a in sys.argv[2:]]
keys = os.path.join(os.path.dirname(os.path.abspath(cfg)), "keys")
public, secret = pf1.read_cert(os.path.join(keys, "secret", "worker.cert_secret"))
context = zmq.Context()
for name in pfworker.proc_names(cfg):
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.curve_publickey, socket.curve_secretkey = public, secret
    socket.curve_serverkey = pf1.read_cert(os.path.join(keys, "nodes", name + ".cert"))[0]
    socket.connect(pf1.config_value(cfg, "proc", name, "workers"))
    socket.send_multipart([b""] + frames)
    if socket.poll(2000):
        reply = socket.recv_multipart()
        print(" ".join(f.decode(errors="replace") for f in reply[2:]))
    else:
        print("NOTHING")
PY
}
state () { sql "$T/fabric/data/p1.db" "select id, state, attempts from msgs"; sql "$T/fabric/data/p2.db" "select id, state, attempts from msgs"; }
before=$(state)

is "$(raw PF1 DONE held-1 | sort -u)" "DISCONNECT" "DONE from a worker that never sent READY gets DISCONNECT"
is "$(raw PF1 READY '' 0 | sort -u)" "DISCONNECT" "READY with credit 0 gets DISCONNECT"
is "$(raw PF1 READY '' 10001 | sort -u)" "DISCONNECT" "READY with credit 10001 gets DISCONNECT"
is "$(raw PF1 READY '' 5 0 | sort -u)" "DISCONNECT" "READY with batch size 0 gets DISCONNECT"
is "$(raw PF1 SHOVE x | sort -u)" "DISCONNECT" "an unknown command gets DISCONNECT"
is "$(raw PF2 garbage | sort -u)" "DISCONNECT" "a wrong protocol frame gets DISCONNECT"
is "$(raw PF1 PING | sort -u)" "PONG" "PING is answered before READY"
is "$(raw PF1 FAIL held-1 reason | sort -u)" "DISCONNECT" "FAIL from an unknown worker gets DISCONNECT"
is "$(state)" "$before" "no message changed state"
grep -q "DISCONNECT" "$T/p1.log"; ok $? "the proc logs what it refused"

# A known worker answering for an id it does not hold is ignored and logged
worker () { ledger=$1; shift; exec "$PYTHON3" "$top_srcdir/tests/pfworker.py" "$CFG" "$ledger" "$@"; }
(worker "$T/ledger" --count 1 --seconds 10 2>/dev/null)
is "$(awk '{print $3, $7}' "$T/ledger")" "held-1 DONE" "a real worker still gets and finishes the message"
done_testing
