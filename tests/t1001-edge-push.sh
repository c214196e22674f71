#!/bin/sh
# The PF1 client protocol end to end: ACK, DUP, every NACK reason and PING,
# in the single and the batch form, against real nodes.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
sed -i 's/max-payload = .*/max-payload = 1000/' "$CFG"
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1
pf1 () { "$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" "$@"; }

is "$(pf send --topic orders.new --id order-1 hello)" "ACK order-1" "send: a new id is ACKed"
is "$(pf send --topic orders.new --id order-1 other)" "DUP order-1" "send: the same id again is DUP"
is "$(pf1 push m-1 orders.new k1 payload)" "ACK m-1" "PUSH: new id ACK"
is "$(pf1 push m-1 orders.new k1 payload)" "DUP m-1" "PUSH: repeated id DUP, whatever the payload"
is "$(pf1 ping)" "PONG" "PING is answered PONG"

long_id=$(printf 'i%.0s' $(seq 1 129))
long_key=$(printf 'k%.0s' $(seq 1 256))
big=$(printf 'x%.0s' $(seq 1 1001))
is "$(pf1 push 'has space' t k p | cut -d' ' -f1,4)" "NACK BAD_ID" "PUSH: id with a space is BAD_ID"
is "$(pf1 push "$long_id" t k p | cut -d' ' -f1,3)" "NACK BAD_ID" "PUSH: id of 129 bytes is BAD_ID"
is "$(pf1 push n-1 'bad topic' k p | cut -d' ' -f1-3)" "NACK n-1 BAD_TOPIC" "PUSH: topic with a space is BAD_TOPIC"
is "$(pf1 push n-2 t "$long_key" p | cut -d' ' -f1-3)" "NACK n-2 BAD_KEY" "PUSH: key of 256 bytes is BAD_KEY"
is "$(pf1 push n-3 t k "$big" | cut -d' ' -f1-3)" "NACK n-3 TOO_LARGE" "PUSH: payload over max-payload is TOO_LARGE"
is "$(pf1 frames PF1 PUSH n-4 t k | cut -d' ' -f1-3)" "NACK n-4 MALFORMED" "PUSH with a missing frame is MALFORMED, id echoed"
is "$(pf1 frames PF1 SHOVE n-5 | awk '{print $1, $2}')" "NACK MALFORMED" "unknown command is MALFORMED"
is "$(pf1 frames PF2 PUSH n-6 t k p | awk '{print $1, $2}')" "NACK MALFORMED" "wrong protocol frame is MALFORMED"

pf keygen limited --dir "$T/fabric/keys/clients" --topics orders.,audit >/dev/null
mv "$T/fabric/keys/clients/limited.cert_secret" "$T/limited.cert_secret"
is "$(pf1 --cert "$T/limited.cert_secret" push f-1 payments.in k p | cut -d' ' -f1-3)" \
   "NACK f-1 FORBIDDEN" "PUSH: topic outside the certificate's prefixes is FORBIDDEN"
is "$(pf1 --cert "$T/limited.cert_secret" push f-2 orders.eu k p)" "ACK f-2" \
   "PUSH: topic inside the certificate's prefixes is ACKed"

# The batch form: every record judged on its own (a key cannot be too long
# there: its length is one byte)
out=$(pf1 batch b-1:orders.new:k:one b-2:orders.new:k:two m-1:orders.new:k1:again \
      'b 3:orders.new:k:bad' b-4:bad/topic:k:x b-5:orders.new:k:@1001 b-1:orders.new:k:dup \
      "$long_id:orders.new:k:x")
echo "$out" | sed 's/^/# /'
is "$(echo "$out" | grep -c '^ACK b-[12]$')" 2 "PUSHB: two new records ACKed"
is "$(echo "$out" | grep -c '^DUP \(m-1\|b-1\)$')" 2 "PUSHB: an earlier id and a repeat within the batch are DUP"
is "$(echo "$out" | grep -c '^NACK b 3 BAD_ID')" 1 "PUSHB: bad id NACKed BAD_ID"
is "$(echo "$out" | grep -c '^NACK b-4 BAD_TOPIC')" 1 "PUSHB: bad topic NACKed BAD_TOPIC"
is "$(echo "$out" | grep -c '^NACK b-5 TOO_LARGE')" 1 "PUSHB: large payload NACKed TOO_LARGE"
is "$(echo "$out" | grep -c "^NACK $long_id BAD_ID")" 1 "PUSHB: id of 129 bytes NACKed BAD_ID"
is "$(pf1 --cert "$T/limited.cert_secret" batch f-3:payments:k:p | cut -d' ' -f1-3)" \
   "NACK f-3 FORBIDDEN" "PUSHB: forbidden topic NACKed FORBIDDEN"
# A truncated batch: the first record whole, the second cut short
good=$(printf '\003t-1\001t\000\000\000\000\001p' | od -An -tx1 | tr -d ' \n')
is "$(pf1 rawbatch "${good}0374" | awk '{print $1, $2}')" "NACK MALFORMED" "PUSHB: truncated batch is MALFORMED"

stored=$( (sql "$T/fabric/data/p1.db" "select id from ids"; sql "$T/fabric/data/p2.db" "select id from ids") | sort)
is "$(echo "$stored" | tr '\n' ' ')" "b-1 b-2 f-2 m-1 order-1 " "only ACKed ids are stored, once each"
done_testing
