#!/bin/sh
# The command line: help, usage errors, and one-line errors for a bad
# config file or a missing certificate.
. "$(dirname "$0")/lib.sh"

pf --help >"$T/out"; ok $? "pushfabric --help exits 0"
grep -q '^  send ' "$T/out"; ok $? "--help lists the commands"
pf frobnicate 2>"$T/err"; is $? 2 "an unknown command exits 2"
grep -q "unknown command 'frobnicate'" "$T/err"; ok $? "and names it"
for command in init up edge proc retry keygen send work dlq stats top bench; do
    pf "$command" --help >"$T/out" 2>&1; ok $? "$command --help exits 0"
    head -n 1 "$T/out" | grep -q "^usage: pushfabric $command"; ok $? "$command --help starts with its usage line"
done
pf send --topic t 2>"$T/err"; is $? 2 "send without a payload is a usage error (exit 2)"

fabric_init || exit 1
cp "$CFG" "$T/good.cfg"
sed -i 's/max-pending = 1000000/max-pendin = 1000000/' "$CFG"
pf proc p1 -c "$CFG" 2>"$T/err"; is $? 1 "an unknown key stops the node with exit 1"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "with one line"
grep -q "fabric.cfg:[0-9]*: unknown key 'proc/p1/max-pendin'" "$T/err"; ok $? "naming the file, the line and the key"

cp "$T/good.cfg" "$CFG"
sed -i 's/reply-timeout = 2000/reply-timeout = soon/' "$CFG"
pf edge e1 -c "$CFG" 2>"$T/err"; is $? 1 "a bad value stops the node with exit 1"
grep -q "fabric.cfg:[0-9]*: .*reply-timeout" "$T/err"; ok $? "naming the line and the key"

cp "$T/good.cfg" "$CFG"
pf proc p9 -c "$CFG" 2>"$T/err"; is $? 1 "an unknown node name exits 1"
grep -q "no proc named 'p9'" "$T/err"; ok $? "and says so"

mv "$T/fabric/keys/secret/p1.cert_secret" "$T/p1.saved"
pf proc p1 -c "$CFG" 2>"$T/err"; is $? 1 "a missing certificate stops the node with exit 1"
grep -q "cannot read certificate '.*p1.cert_secret'" "$T/err"; ok $? "naming the certificate"
mv "$T/p1.saved" "$T/fabric/keys/secret/p1.cert_secret"

pf send -c "$T/nowhere.cfg" --topic t x 2>"$T/err"; is $? 1 "send with a missing config exits 1"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "with one line"
done_testing
