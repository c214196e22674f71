#!/bin/sh
# A proc whose database cannot be written (a full disk: a small tmpfs the
# test mounts) answers BUSY through the edge, logs it once, does not crash,
# keeps every message it ACKed, and takes messages again once space returns.
# A database on a read-only mount is refused with a clear error.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
    skip "disk trouble" "not root: cannot mount a small tmpfs"
    echo "1..$TAP_COUNT"; exit 0
fi
mkdir -p "$T/small" "$T/ro"
if ! mount -t tmpfs -o size=2m tmpfs "$T/small" 2>/dev/null; then
    skip "disk trouble" "cannot mount a tmpfs"
    echo "1..$TAP_COUNT"; exit 0
fi
# Stop the nodes before the mounts go, then the usual cleanup
trap 'status=$?; s_stop_all; umount "$T/ro" 2>/dev/null; umount "$T/small" 2>/dev/null
      (exit $status); s_cleanup' EXIT

fabric_init || exit 1
sed -i "s|db = data/p1.db|db = $T/small/p1.db|" "$CFG"
node_start proc p1 && node_start proc p2 && node_start edge e1 || exit 1

# push PREFIX COUNT: push PREFIX-1 ... one at a time, 8 KiB each, to
# keys of p1's partitions; print each answer; stop after 5 BUSY in a row
push () {
    "$PYTHON3" - "$CFG" "$@" <<'PY'
import os, sys, time, zmq
sys.path.insert(0, os.environ["top_srcdir"] + "/tests")
import pf1
cfg, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
def p1_key(n):
    # the first key from n on whose partition (FNV-1a % 64) p1 owns (0-31)
    while True:
        key = b"key-%d" % n
        h = 14695981039346656037
        for b in key:
            h = ((h ^ b) * 1099511628211) % (1 << 64)
        if h % 64 < 32:
            return key
        n += 1
keys = os.path.join(os.path.dirname(os.path.abspath(cfg)), "keys")
edge = pf1.first_edge(cfg)
context = zmq.Context()
sock = context.socket(zmq.DEALER)
sock.setsockopt(zmq.LINGER, 0)
sock.curve_publickey, sock.curve_secretkey = pf1.read_cert(os.path.join(keys, "secret", "client.cert_secret"))
sock.curve_serverkey = pf1.read_cert(os.path.join(keys, "nodes", edge + ".cert"))[0]
sock.connect(pf1.config_value(cfg, "edge", edge, "frontend"))
busy = 0
for n in range(1, count + 1):
    rid = b"%s-%d" % (prefix.encode(), n)
    sock.send_multipart([b"", b"PF1", b"PUSH", rid, b"t", p1_key(n), b"x" * 8192])
    if not sock.poll(5000):
        print("TIMEOUT " + rid.decode()); break
    line = pf1.describe(sock.recv_multipart())[0]
    print(line)
    busy = busy + 1 if line.startswith("BUSY") else 0
    if busy == 5:
        break
PY
}

push d 2000 >"$T/fill.out"
grep -c "^ACK" "$T/fill.out" >"$T/acked.count"
diag "until the disk was full: $(cat "$T/acked.count") ACK, then $(tail -n 1 "$T/fill.out")"
is "$(tail -n 5 "$T/fill.out" | cut -d' ' -f1 | sort -u)" "BUSY" "a push to a proc whose disk is full is answered BUSY"
is "$(grep -vc "^ACK\|^BUSY" "$T/fill.out")" "0" "and never NACK or silence"
[ "$(cat "$T/acked.count")" -gt 10 ]; ok $? "pushes were ACKed before the disk filled"
kill -0 "$(node_pid p1)" && kill -0 "$(node_pid e1)"; ok $? "the proc and the edge are still running"
is "$(grep -c "cannot be written" "$T/p1.log")" "1" "the proc logs the failure once"
k2=$("$PYTHON3" -c '
for n in range(1000):
    key = b"key-%d" % n
    h = 14695981039346656037
    for b in key:
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    if h % 64 >= 32:
        print(key.decode()); break')
is "$("$PYTHON3" "$top_srcdir/tests/pf1.py" "$CFG" push other-1 t "$k2" x)" "ACK other-1" \
   "the other proc's partitions are served meanwhile"

# A worker connected while the disk is full keeps its place: the proc neither
# flaps between failing and writable nor tells it DISCONNECT again and again
"$PYTHON3" "$top_srcdir/tests/pfworker.py" "$CFG" "$T/full.ledger" --ping 0.3 --seconds 4 \
    2>/dev/null
# (A nearly full disk may still take a small commit, such as a delivery's,
# so one more episode can be real; a flapping proc would log one a turn.)
[ "$(grep -c "cannot be written" "$T/p1.log")" -le 3 ]
ok $? "a worker on the full proc does not make it flap ($(grep -c "cannot be written" "$T/p1.log") failure lines in 4 s)"
[ "$(grep -c "DISCONNECT" "$T/p1.log")" -le 1 ]; ok $? "and is not told DISCONNECT again and again"

# Space returns
mount -o remount,size=64m "$T/small"; ok $? "the tmpfs grows to 64 MiB"
for _ in $(seq 1 30); do
    push r 1 >"$T/resume.out"; grep -q "^ACK" "$T/resume.out" && break; sleep 0.5
done
is "$(cat "$T/resume.out")" "ACK r-1" "once space returns, a push to the proc is ACKed again"
grep -q "writable again" "$T/p1.log"; ok $? "the proc logs that it writes again"
push e 20 >"$T/after.out"
is "$(cut -d' ' -f1 "$T/after.out" | sort -u)" "ACK" "pushes to keys of the full proc are ACKed again"

node_stop p1
grep "^ACK d-" "$T/fill.out" | cut -d' ' -f2 | sort >"$T/acked"
sql "$T/small/p1.db" "select id from ids" | grep "^d-" | sort >"$T/stored"
is "$(comm -23 "$T/acked" "$T/stored" | wc -l)" "0" "every id ACKed before the disk filled is in the proc's database"
is "$(comm -13 "$T/acked" "$T/stored" | tr '\n' ' ')" "" "and no id answered BUSY was stored"
is "$(sql "$T/small/p1.db" "select id from msgs" | grep "^d-" | sort | tr '\n' ' ')" \
   "$(tr '\n' ' ' <"$T/acked")" "each of them still waits for delivery"

# A database on a read-only mount
node_start proc p1 || exit 1
node_stop p1
cp "$T/small/p1.db" "$T/ro/p1.db"
if mount --bind "$T/ro" "$T/ro" 2>/dev/null && mount -o remount,bind,ro "$T/ro" 2>/dev/null; then
    sed -i "s|db = $T/small/p1.db|db = $T/ro/p1.db|" "$CFG"
    cp "$T/ro/p1.db" "$T/p1.db.before"
    pf proc p1 -c "$CFG" >/dev/null 2>"$T/p1-ro.log" &
    ro_pid=$!
    for _ in $(seq 1 100); do kill -0 "$ro_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$ro_pid" 2>/dev/null; then kill -KILL "$ro_pid"; fi
    wait "$ro_pid"; rc=$?
    is "$rc" "1" "a proc whose database is on a read-only mount exits 1"
    grep -q "p1.db" "$T/p1-ro.log"; ok $? "naming its database"
    diag "$(grep p1.db "$T/p1-ro.log" | head -n 1)"
    cmp -s "$T/ro/p1.db" "$T/p1.db.before"; ok $? "and the database is unchanged"
else
    skip "a database on a read-only mount" "cannot make a read-only bind mount"
fi
done_testing
