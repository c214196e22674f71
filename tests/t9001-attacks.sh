#!/bin/sh
# The attack suite: refused peers, forbidden and oversized input, a crowd of
# clients, a lying worker and a control request without an admin key, while
# a steady producer alongside is served throughout; at the end the databases
# hold exactly the ids that were accepted, nothing from the attacks.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
# Small limits keep the oversized frames cheap: the edge drops frames over
# max(max-batch, max-payload) + 64 KiB = 320 KiB without an answer
sed -i -e 's/max-payload = .*/max-payload = 65536/' -e 's/max-batch = .*/max-batch = 262144/' \
       -e 's/allow = 127.0.0.1/deny = 127.0.0.2/' "$CFG"
[ "$(ulimit -n)" -ge 4096 ] 2>/dev/null || ulimit -n 4096 2>/dev/null || :
node_start proc p1 && node_start proc p2 && node_start retry r1 && node_start edge e1 || exit 1
pf1 () { "$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" "$@"; }
attack () { "$PYTHON3" "$top_srcdir/tests/pfattack.py" "$CFG" "$@"; }
stored () { (sql "$T/fabric/data/p1.db" "select id from ids"; sql "$T/fabric/data/p2.db" "select id from ids") | sort; }
state () { (sql "$T/fabric/data/p1.db" "select id, state, attempts from msgs where id like 'held-%'"
            sql "$T/fabric/data/p2.db" "select id, state, attempts from msgs where id like 'held-%'") | sort; }

# Messages for the lying worker to claim, before anything else
for n in 1 2 3; do pf send --topic t --key "held-$n" --id "held-$n" x >/dev/null; done
echo "held-1 held-2 held-3" | tr ' ' '\n' >"$T/accepted"

attack steady "$T/steady.ids" "$T/stop" --seconds 240 >"$T/steady.out" 2>"$T/steady.err" &
steady_pid=$!
wait_for 10 test -s "$T/steady.ids"; ok $? "the steady producer is served"

# Who gets no service at all
pf keygen stranger --dir "$T" >/dev/null
is "$(pf1 --timeout 1500 --server-key "$T/fabric/keys/nodes/p1.cert" push x-1 t k p)" "TIMEOUT" \
   "a client with a wrong server key gets no answer"
is "$(pf1 --timeout 1500 --cert "$T/stranger.cert_secret" push x-2 t k p)" "TIMEOUT" \
   "a client with an unknown key gets no answer"
is "$(pf1 --timeout 1500 --plain push x-3 t k p)" "TIMEOUT" "a plaintext client gets no answer"
cp "$T/stranger.cert" "$T/fabric/keys/clients/"
sleep 1.1   # the certificate folder is re-read when its time stamp changes
is "$(pf1 --cert "$T/stranger.cert_secret" push ok-1 t k p)" "ACK ok-1" \
   "a certificate added at run time is served"
echo ok-1 >>"$T/accepted"
rm "$T/fabric/keys/clients/stranger.cert"
sleep 1.1
is "$(pf1 --timeout 1500 --cert "$T/stranger.cert_secret" push x-4 t k p)" "TIMEOUT" \
   "the certificate removed at run time is refused at its next connection"
is "$(attack from 127.0.0.2 x-5 --timeout 1500)" "TIMEOUT" "an address on the deny list gets no answer"
is "$(attack from 127.0.0.3 ok-2)" "ACK ok-2" "an address not on the deny list is served"
echo ok-2 >>"$T/accepted"

# Clear refusals
pf keygen narrow --dir "$T" --topics orders. >/dev/null
cp "$T/narrow.cert" "$T/fabric/keys/clients/"
sleep 1.1
is "$(pf1 --cert "$T/narrow.cert_secret" push x-6 billing.x k p)" \
   "NACK x-6 FORBIDDEN topic is outside this client's allowed prefixes" \
   "a topic outside the certificate's prefixes is NACK FORBIDDEN"
is "$(pf1 --cert "$T/narrow.cert_secret" push ok-3 orders.x k p)" "ACK ok-3" \
   "a topic inside them is ACKed"
echo ok-3 >>"$T/accepted"
is "$(attack bigframe 65537 x-7 | cut -d' ' -f1-3)" "NACK x-7 TOO_LARGE" \
   "a payload over max-payload is NACK TOO_LARGE"
is "$(attack bigframe 1048576 x-8 --timeout 2000)" "TIMEOUT" \
   "a frame over ZMQ_MAXMSGSIZE drops the connection without an answer"
is "$(pf1 ping)" "PONG" "and the edge goes on serving"
is "$(attack manyframes 10000 | cut -d' ' -f1-3)" "NACK f MALFORMED" \
   "a message of 10,000 frames is NACK MALFORMED (its fourth frame echoed as the id)"
is "$(attack bigbatch 5 60000 x-9 | cut -d' ' -f1-3)" "NACK  TOO_LARGE" \
   "a batch over max-batch is NACK TOO_LARGE as a whole"
is "$(attack bigbatch 10001 1 x-10 | cut -d' ' -f1-3)" "NACK  MALFORMED" \
   "a batch of 10,001 records is NACK MALFORMED as a whole"

# A crowd: 1,000 clients at once, and some that connect and never speak
out=$(attack crowd 1000 5 --seconds 120)
is "$out" "answered=1000 acked=1000 busy=${out##*busy=}" "1,000 clients at once are all answered ACK"
diag "$out"
seq 0 999 | sed 's/^/c-/' >>"$T/accepted"
is "$(pf1 ping)" "PONG" "the edge serves after the crowd has gone"

# A worker answering for ids it does not hold
before=$(state)
out=$("$PYTHON3" - "$CFG" <<'PY'
import os, sys, zmq
sys.path.insert(0, os.environ["top_srcdir"] + "/tests")
import pf1, pfworker
cfg = sys.argv[1]
keys = os.path.join(os.path.dirname(os.path.abspath(cfg)), "keys")
public, secret = pf1.read_cert(os.path.join(keys, "secret", "worker.cert_secret"))
context = zmq.Context()
for name in pfworker.proc_names(cfg):
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.curve_publickey, sock.curve_secretkey = public, secret
    sock.curve_serverkey = pf1.read_cert(os.path.join(keys, "nodes", name + ".cert"))[0]
    sock.connect(pf1.config_value(cfg, "proc", name, "workers"))
    # READY for a topic nobody sends, so that nothing is delivered to it
    for frames in ([b"READY", b"nothing.here", b"5"], [b"DONE", b"held-1"], [b"DONE", b"nope-1"],
                   [b"FAIL", b"held-2", b"lie"], [b"FAIL", b"nope-2", b"lie"], [b"PING"]):
        sock.send_multipart([b"", b"PF1"] + frames)
    replies = []
    while sock.poll(2000):
        reply = sock.recv_multipart()
        replies.append(" ".join(f.decode(errors="replace") for f in reply[2:]))
        if replies[-1] == "PONG":
            break
    print(name, ",".join(replies) or "NOTHING")
PY
)
is "$(echo "$out" | awk '{print $2}' | sort -u)" "PONG" \
   "DONE and FAIL for ids a worker does not hold are ignored (only the PING is answered)"
is "$(state)" "$before" "no message changed state"
cat "$T/p1.log" "$T/p2.log" | grep -q "does not hold, ignored"; ok $? "the proc logs what it ignored"

# Control without an admin certificate: the retry node's endpoint, and the
# edge's and proc's where they answer an admin
admin="$T/fabric/keys/secret/admin.cert_secret"
client="$T/fabric/keys/secret/client.cert_secret"
for node in r1 e1 p1; do
    if [ "$(attack control "$admin" "$node" PING)" = TIMEOUT ]; then
        skip "control requests to $node" "$node answers no control request"; continue
    fi
    is "$(attack control "$client" "$node" PING)" "TIMEOUT" \
       "a control request to $node with a client certificate gets nothing"
    is "$(attack control "$T/stranger.cert_secret" "$node" PING)" "TIMEOUT" \
       "a control request to $node with an unknown certificate gets nothing"
done
pf dlq list >/dev/null; ok $? "an admin's control request is served"

# The steady producer: every message ACKed and stored
touch "$T/stop"
for _ in $(seq 1 150); do kill -0 "$steady_pid" 2>/dev/null || break; sleep 0.1; done
kill "$steady_pid" 2>/dev/null
wait "$steady_pid"
out=$(cat "$T/steady.out")
sent=$(echo "$out" | sed -n 's/^sent=\([0-9]*\) .*/\1/p')
is "$out" "sent=$sent acked=$sent" "every push of the steady producer was ACKed"
[ "${sent:-0}" -ge 50 ]; ok $? "the steady producer ran all along ($sent pushes)"
is "$(cat "$T/steady.err")" "" "and it got no unexpected answer"

cat "$T/steady.ids" >>"$T/accepted"
is "$(stored | tr '\n' ' ')" "$(sort "$T/accepted" | tr '\n' ' ')" \
   "the databases hold exactly the accepted ids, nothing from the attacks"
is "$( (sql "$T/fabric/data/p1.db" "select id from msgs"; sql "$T/fabric/data/p2.db" "select id from msgs") | sort | tr '\n' ' ')" \
   "$(sort "$T/accepted" | tr '\n' ' ')" "and each of them waits for delivery"
is "$(sql "$T/fabric/data/r1.db" "select (select count(*) from retries) + (select count(*) from dead)")" "0" \
   "the retry node holds nothing"
grep -q "key refused" "$T/e1.log"; ok $? "the edge logs the refused keys"
done_testing
