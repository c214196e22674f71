#!/bin/sh
# Who gets service: unknown keys, plaintext clients, certificates added and
# removed at run time, and the IP allow and deny lists.
. "$(dirname "$0")/lib.sh"

fabric_init || exit 1
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1
pf1 () { "$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" "$@"; }

pf keygen stranger --dir "$T" >/dev/null
is "$(pf1 --timeout 1500 --cert "$T/stranger.cert_secret" push u-1 t k p)" "TIMEOUT" \
   "a client with an unknown key gets no answer"
is "$(pf1 --timeout 1500 --plain push u-2 t k p)" "TIMEOUT" "a plaintext client gets no answer"
grep -q "key refused" "$T/e1.log"; ok $? "the refused key is logged"

cp "$T/stranger.cert" "$T/fabric/keys/clients/"
sleep 1.1   # the certificate folder is re-read when its time stamp changes
is "$(pf1 --cert "$T/stranger.cert_secret" push u-3 t k p)" "ACK u-3" \
   "a certificate added at run time is served without a restart"
rm "$T/fabric/keys/clients/stranger.cert"
sleep 1.1
is "$(pf1 --timeout 1500 --cert "$T/stranger.cert_secret" push u-4 t k p)" "TIMEOUT" \
   "a certificate removed at run time is refused at the next connection"

node_stop e1
sed -i 's/allow = .*/allow = 127.0.0.2/' "$CFG"
node_start edge e1 || exit 1
is "$(pf1 --timeout 1500 push u-5 t k p)" "TIMEOUT" "an address outside the allow list gets no answer"

node_stop e1
sed -i 's/allow = .*/deny = 127.0.0.1/' "$CFG"
node_start edge e1 || exit 1
is "$(pf1 --timeout 1500 push u-6 t k p)" "TIMEOUT" "an address on the deny list gets no answer"

node_stop e1
sed -i 's/deny = .*/deny = 127.0.0.9/' "$CFG"
node_start edge e1 || exit 1
is "$(pf1 push u-7 t k p)" "ACK u-7" "an address not on the deny list is served"

stored=$( (sql "$T/fabric/data/p1.db" "select id from ids"; sql "$T/fabric/data/p2.db" "select id from ids") | sort | tr '\n' ' ')
is "$stored" "u-3 u-7 " "nothing from refused clients was stored"
done_testing
