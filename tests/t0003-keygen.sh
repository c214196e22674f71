#!/bin/sh
# t0003-keygen: 'pushfabric keygen NAME' writes NAME.cert and a private
# NAME.cert_secret, both with the metadata name and, with --topics, topics;
# it never overwrites a file and rejects a NAME outside [A-Za-z0-9._-]+.
. "$(dirname "$0")/lib.sh"
umask 022

# cert_field FILE PATH: a value of a zcert file, e.g. curve/public-key, or
# "absent" (zcert writes every value quoted, at 4 spaces per level)
cert_field () {
    "$PYTHON3" - "$@" <<'PY'
import sys
path, want, stack = sys.argv[1], sys.argv[2], []
for line in open(path):
    body = line.strip()
    if not body or body.startswith('#'):
        continue
    name, _, value = (part.strip() for part in body.partition('='))
    del stack[(len(line) - len(line.lstrip(' '))) // 4:]
    stack.append(name)
    if '/'.join(stack) == want:
        print(value.strip('"') if _ else '')
        sys.exit(0)
print('absent')
PY
}

# key_pair_ok PUBLIC SECRET: the secret key gives the public key (checked
# where python3-cryptography is installed, else only the lengths)
key_pair_ok () {
    "$PYTHON3" - "$@" <<'PY'
import sys
public, secret = sys.argv[1], sys.argv[2]
if len(public) != 40 or len(secret) != 40:
    sys.exit(f'keys of {len(public)} and {len(secret)} characters, not 40')
try:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
except ImportError:
    sys.exit(0)
Z85 = ('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
       '.-:+=^!/*?&<>()[]{}@%$#')
def z85(text):
    data = b''
    for start in range(0, len(text), 5):
        number = 0
        for char in text[start:start + 5]:
            number = number * 85 + Z85.index(char)
        data += number.to_bytes(4, 'big')
    return data
derived = X25519PrivateKey.from_private_bytes(z85(secret)).public_key()
sys.exit(derived.public_bytes(Encoding.Raw, PublicFormat.Raw) != z85(public))
PY
}

layout () {
    (cd "$1" && find . -exec stat -c '%a %n' {} + | LC_ALL=C sort -k 2)
}

# ---- a pair with topics ---------------------------------------------------------
K="$T/keys"
mkdir "$K"
pf keygen alice --dir "$K/" --topics orders.,billing. >"$T/out" 2>"$T/err"
ok $? "keygen NAME --dir D --topics P1,P2 exits 0"
is "$(cat "$T/err")" "" "keygen writes nothing on stderr"
is "$(layout "$K")" "755 .
644 ./alice.cert
600 ./alice.cert_secret" "keygen writes D/NAME.cert and D/NAME.cert_secret, the secret 0600"
public=$(cert_field "$K/alice.cert" curve/public-key)
is "$(cat "$T/out")" "public certificate: $K/alice.cert
secret certificate: $K/alice.cert_secret
public key: $public" "keygen prints the two paths and the public key"
is "$(cert_field "$K/alice.cert_secret" curve/public-key)" "$public" \
    "both files hold the same public key"
is "$(cert_field "$K/alice.cert" curve/secret-key)" absent \
    "the public certificate holds no secret key"
check "the secret key gives the public key" \
    key_pair_ok "$public" "$(cert_field "$K/alice.cert_secret" curve/secret-key)"
is "$(cert_field "$K/alice.cert" metadata/topics)" "orders.,billing." \
    "--topics is the metadata topics of the public certificate"
is "$(cert_field "$K/alice.cert_secret" metadata/topics)" "orders.,billing." \
    "and of the secret one"
is "$(cert_field "$K/alice.cert" metadata/name) $(cert_field "$K/alice.cert_secret" metadata/name)" \
    "alice alice" "both carry the metadata name"

# ---- defaults -------------------------------------------------------------------
mkdir "$T/here"
(cd "$T/here" && pf keygen bob.worker_2-b >"$T/out" 2>&1)
ok $? "keygen takes a NAME of letters, digits, '.', '_' and '-'"
is "$(layout "$T/here")" "755 .
644 ./bob.worker_2-b.cert
600 ./bob.worker_2-b.cert_secret" "without --dir, keygen writes into the current folder"
is "$(head -n 1 "$T/out")" "public certificate: bob.worker_2-b.cert" \
    "and names the files as they are found from there"
is "$(cert_field "$T/here/bob.worker_2-b.cert" metadata/topics)" absent \
    "without --topics, no topics metadata is written"

# ---- never overwrites -------------------------------------------------------------
before=$(cat "$K"/alice.* | cksum)
pf keygen alice --dir "$K" >"$T/out" 2>"$T/err"
is "$?" 1 "keygen refuses to overwrite with exit status 1"
is "$(cat "$T/err")" "pushfabric: '$K/alice.cert' already exists" \
    "the refusal is one line naming the file"
is "$(cat "$K"/alice.* | cksum)" "$before" "a refusal changes neither file"

rm "$K/alice.cert"
before=$(cksum <"$K/alice.cert_secret")
pf keygen alice --dir "$K" >/dev/null 2>"$T/err"
is "$?" 1 "keygen refuses when only NAME.cert_secret exists"
is "$(cksum <"$K/alice.cert_secret") $(test -e "$K/alice.cert" && echo written)" "$before " \
    "and neither changes it nor writes NAME.cert"

pf keygen carol --dir "$T/no-such-folder" >/dev/null 2>"$T/err"
is "$?" 1 "keygen into a missing folder exits 1"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "with one line on stderr"

# ---- usage errors -------------------------------------------------------------------
for name in 'a/b' 'x y' 'caf€' 'semi;colon' ''; do
    pf keygen "$name" --dir "$K" >/dev/null 2>&1
    is "$?" 2 "NAME '$name' is a usage error"
done
for topics in 'a,,b' 'orders.,' '' 'with space'; do
    pf keygen dave --dir "$K" --topics "$topics" >/dev/null 2>&1
    is "$?" 2 "--topics '$topics' is a usage error"
done
is "$(layout "$K")" "755 .
600 ./alice.cert_secret" "a usage error writes nothing"
pf keygen >/dev/null 2>&1
is "$?" 2 "keygen without NAME is a usage error"
pf keygen a b --dir "$K" >/dev/null 2>&1
is "$?" 2 "keygen with two NAMEs is a usage error"
pf keygen eve --dir >/dev/null 2>&1
is "$?" 2 "--dir without a value is a usage error"
pf keygen eve --bogus >/dev/null 2>&1
is "$?" 2 "an unknown option is a usage error"

# ---- help ---------------------------------------------------------------------------
pf keygen --help >"$T/out" 2>&1
ok $? "keygen --help exits 0"
synopsis=$(sed -n '/^\.SH SYNOPSIS/{n;p;q;}' "$top_srcdir/man/pushfabric-keygen.1" \
    | sed 's/\\f[BIRP]//g; s/\\-/-/g')
is "$(head -n 1 "$T/out")" "usage: $synopsis" "the usage line is the man page's SYNOPSIS"

done_testing
