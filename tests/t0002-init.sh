#!/bin/sh
# t0002-init: 'pushfabric init DIR' writes a working single-machine fabric:
# fabric.cfg as the spec lays it out, every key pair with private modes, and
# data/. It refuses a folder that holds a fabric.cfg, leaves nothing behind
# when it fails, and keeps the key pairs it finds when run again.
. "$(dirname "$0")/lib.sh"
umask 022

# zpl.py: the ZPL rules of czmq's zconfig, enough to read what init writes
cat >"$T/zpl.py" <<'PY'
import re

def load(path):
    """Every item of a ZPL file as {'a/b/c': value or None}; raises on bad syntax."""
    tree, stack = {}, []
    for number, line in enumerate(open(path), 1):
        line = line.rstrip()
        body = line.lstrip(' ')
        indent = len(line) - len(body)
        if indent % 4:
            raise ValueError(f'{path}:{number}: indentation not a multiple of 4')
        if not body or body.startswith('#'):
            continue
        match = re.match(r'([A-Za-z0-9$_@.&+/-]+)\s*(=\s*(.*))?$', body)
        if indent // 4 > len(stack) or not match:
            raise ValueError(f'{path}:{number}: bad line {line!r}')
        del stack[indent // 4:]
        stack.append(match.group(1))
        value = match.group(3)
        if value is not None and value[:1] in ('"', "'"):
            value = value[1:value.index(value[0], 1)]
        elif value is not None:
            value = value.split('#')[0].rstrip()
        tree['/'.join(stack)] = value
    return tree

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
PY
py () { PYTHONPATH="$T" "$PYTHON3" "$@"; }

# check_config FILE BASE: the file holds exactly the keys and values the spec
# gives a single-machine fabric on ports BASE to BASE+39, and nothing else
check_config () {
    py - "$@" <<'PY'
import sys, zpl
path, base = sys.argv[1], int(sys.argv[2])
tcp = lambda offset: f'tcp://127.0.0.1:{base + offset}'
want = {
    'fabric': None, 'fabric/partitions': '64', 'fabric/dedupe-window': '86400',
    'fabric/max-payload': '1048576', 'fabric/max-batch': '4194304', 'fabric/keys': 'keys',
    'edge': None, 'edge/e1': None, 'edge/e1/frontend': tcp(0), 'edge/e1/control': tcp(9),
    'edge/e1/reply-timeout': '2000', 'edge/e1/allow': '127.0.0.1',
    'proc': None, 'retry': None, 'retry/r1': None,
    'retry/r1/endpoint': tcp(30), 'retry/r1/control': tcp(39), 'retry/r1/db': 'data/r1.db',
    'retry/r1/base-delay': '1000', 'retry/r1/max-delay': '3600000',
    'retry/r1/max-attempts': '8',
}
for name, offset in (('p1', 10), ('p2', 20)):
    node = f'proc/{name}'
    want.update({
        node: None, f'{node}/endpoint': tcp(offset), f'{node}/workers': tcp(offset + 1),
        f'{node}/control': tcp(offset + 9), f'{node}/db': f'data/{name}.db',
        f'{node}/synchronous': 'normal', f'{node}/ordering': 'relaxed',
        f'{node}/max-pending': '1000000', f'{node}/delivery-timeout': '30000',
        f'{node}/heartbeat-timeout': '10000',
    })
got = zpl.load(path)
for key in sorted(set(want) | set(got)):
    if want.get(key, 'absent') != got.get(key, 'absent'):
        print(f'{key}: got {got.get(key, "absent")!r}, want {want.get(key, "absent")!r}')
sys.exit(want != got)
PY
}

# check_certs KEYS: each node and identity has a whole key pair named after
# it, its public certificate carries the same public key, the keys are all
# different, and (where python3-cryptography is installed) the secret key
# gives the public key
check_certs () {
    py - "$@" <<'PY'
import sys, zpl
keys, failed, seen = sys.argv[1], [], set()
try:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
except ImportError:
    X25519PrivateKey = None
for name, folder in (('e1', 'nodes'), ('p1', 'nodes'), ('p2', 'nodes'), ('r1', 'nodes'),
                     ('client', 'clients'), ('worker', 'workers'), ('admin', 'admins')):
    public = zpl.load(f'{keys}/{folder}/{name}.cert')
    secret = zpl.load(f'{keys}/secret/{name}.cert_secret')
    key = public.get('curve/public-key') or ''
    if len(key) != 40 or key in seen:
        failed.append(f'{name}: public key {key!r} is not 40 characters, or not unique')
    seen.add(key)
    if 'curve/secret-key' in public:
        failed.append(f'{name}: the public certificate holds a secret key')
    if secret.get('curve/public-key') != key:
        failed.append(f'{name}: the secret certificate holds another public key')
    if public.get('metadata/name') != name or secret.get('metadata/name') != name:
        failed.append(f'{name}: metadata name is not {name!r}')
    secret_key = secret.get('curve/secret-key') or ''
    if len(secret_key) != 40:
        failed.append(f'{name}: secret key {secret_key!r} is not 40 characters')
    elif X25519PrivateKey:
        derived = X25519PrivateKey.from_private_bytes(zpl.z85(secret_key)).public_key()
        if derived.public_bytes(Encoding.Raw, PublicFormat.Raw) != zpl.z85(key):
            failed.append(f'{name}: the secret key does not give the public key')
print('\n'.join(failed))
sys.exit(1 if failed else 0)
PY
}

# layout DIR: mode and path of everything under DIR, sorted by path
layout () {
    (cd "$1" && find . -exec stat -c '%a %n' {} + | LC_ALL=C sort -k 2)
}

# ---- a new fabric -------------------------------------------------------------
F="$T/fab"
pf init "$F" >"$T/out" 2>"$T/err"
ok $? "init DIR exits 0"
is "$(cat "$T/err")" "" "init writes nothing on stderr"
is "$(tail -n 1 "$T/out")" "start it with: pushfabric up -c $F/fabric.cfg" \
    "init ends by saying how to start the fabric"
is "$(layout "$F")" "755 .
700 ./data
644 ./fabric.cfg
755 ./keys
755 ./keys/admins
644 ./keys/admins/admin.cert
755 ./keys/clients
644 ./keys/clients/client.cert
755 ./keys/nodes
644 ./keys/nodes/e1.cert
644 ./keys/nodes/p1.cert
644 ./keys/nodes/p2.cert
644 ./keys/nodes/r1.cert
700 ./keys/secret
600 ./keys/secret/admin.cert_secret
600 ./keys/secret/client.cert_secret
600 ./keys/secret/e1.cert_secret
600 ./keys/secret/p1.cert_secret
600 ./keys/secret/p2.cert_secret
600 ./keys/secret/r1.cert_secret
600 ./keys/secret/worker.cert_secret
755 ./keys/workers
644 ./keys/workers/worker.cert" \
    "init writes every key file, secrets 0600 in a 0700 folder, and a 0700 data/"
check "every key pair is whole, named, unique, and matches its public certificate" \
    check_certs "$F/keys"
check "fabric.cfg is ZPL with the spec's keys on ports 7600 to 7639" \
    check_config "$F/fabric.cfg" 7600
check "fabric.cfg leaves out the procs' partitions, but says how to set them" \
    grep -q '^        # partitions = ' "$F/fabric.cfg"

# ---- an existing fabric.cfg ---------------------------------------------------
before=$(cd "$F" && find . -type f -exec cksum {} + | LC_ALL=C sort -k 3)
pf init "$F/" >"$T/out" 2>"$T/err"
is "$?" 1 "init refuses a DIR holding a fabric.cfg with exit status 1"
is "$(cat "$T/err")" "pushfabric: '$F/fabric.cfg' already exists" \
    "the refusal is one line naming DIR/fabric.cfg"
is "$(cat "$T/out")" "" "a refusal prints nothing on stdout"
is "$(cd "$F" && find . -type f -exec cksum {} + | LC_ALL=C sort -k 3)" "$before" \
    "a refusal changes no file"

# ---- --base-port and -c -------------------------------------------------------
BASE=$(free_port_base)
pf init "$T/ports" --base-port "$BASE" -c "$T/no-such.cfg" >/dev/null 2>"$T/err"
ok $? "init takes --base-port, and accepts -c FILE without reading it"
check "--base-port N puts the fabric on ports N to N+39" \
    check_config "$T/ports/fabric.cfg" "$BASE"
CFG="$T/ports/fabric.cfg"
node_start proc p1
ok $? "a node starts from the written fabric.cfg and keys"
node_stop p1
pf init "$T/low" --base-port 1023 >/dev/null 2>&1
is "$?" 2 "--base-port below 1024 is a usage error"
pf init "$T/high" --base-port 65001 >/dev/null 2>&1
is "$?" 2 "--base-port above 65000 is a usage error"
test ! -e "$T/low" && test ! -e "$T/high"
ok $? "a usage error creates nothing"
pf init >/dev/null 2>&1
is "$?" 2 "init without DIR is a usage error"
pf init "$T/a" "$T/b" >/dev/null 2>&1
is "$?" 2 "init with two folders is a usage error"

# ---- a failed init leaves nothing, and can be run again -------------------------
mkdir "$T/broken" && : >"$T/broken/data"
pf init "$T/broken/" >"$T/out" 2>"$T/err"
is "$?" 1 "init fails when it cannot create DIR/data"
is "$(cat "$T/err")" "pushfabric: cannot create '$T/broken/data': it exists and is not a folder" \
    "the failure is one line naming the path"
is "$(cd "$T/broken" && find . | LC_ALL=C sort | tr '\n' ' ')" ". ./data " \
    "a failed init removes the keys it had written"
rm "$T/broken/data"
pf init "$T/broken" >/dev/null 2>&1
ok $? "init succeeds once the cause is gone"
check "and the fabric it writes then is whole" check_certs "$T/broken/keys"

pf init "$T/deep/er/fab" >/dev/null 2>&1
ok $? "init creates DIR with its parents"

# ---- run again without fabric.cfg: the keys are kept ----------------------------
secrets=$(cat "$F"/keys/secret/* | cksum)
rm "$F/fabric.cfg" "$F/keys/nodes/p1.cert"
pf init "$F" --base-port 30000 >/dev/null 2>"$T/err"
ok $? "init runs again in a DIR whose fabric.cfg was removed"
is "$(cat "$F"/keys/secret/* | cksum)" "$secrets" "the key pairs found there are kept"
check "a missing public certificate is written again from its key pair" \
    check_certs "$F/keys"
check "and fabric.cfg is written anew" check_config "$F/fabric.cfg" 30000

rm "$F/fabric.cfg" "$F/keys/secret/p2.cert_secret"
pf init "$F" >/dev/null 2>"$T/err"
is "$?" 1 "init refuses a public certificate without its key pair"
is "$(cat "$T/err")" "pushfabric: '$F/keys/nodes/p2.cert' exists but its key pair '$F/keys/secret/p2.cert_secret' does not" \
    "naming both files"
test ! -e "$F/fabric.cfg"
ok $? "and writes no fabric.cfg"

# ---- help ---------------------------------------------------------------------
pf init --help >"$T/out" 2>&1
ok $? "init --help exits 0"
synopsis=$(sed -n '/^\.SH SYNOPSIS/{n;p;q;}' "$top_srcdir/man/pushfabric-init.1" \
    | sed 's/\\f[BIRP]//g; s/\\-/-/g')
is "$(head -n 1 "$T/out")" "usage: $synopsis" "the usage line is the man page's SYNOPSIS"

done_testing
