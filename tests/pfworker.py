"""pfworker.py - a PF1 test worker (pyzmq, CURVE) that keeps a ledger.

Connects one DEALER to every proc's `workers` endpoint, sends READY and
answers each delivery DONE or FAIL by rule, writing one ledger line per
delivery: "<received> <answered> <id> <key> <attempt> <payload> DONE|FAIL <proc>"
(times in seconds; key in hex, "-" when empty).
It checks, and reports on stderr, that it never holds more than its credit.

usage: pfworker.py CFG LEDGER [--credit N] [--batch N] [--topics P]
                   [--fail-payload TEXT[:MAX_ATTEMPT]]... [--fail-all]
                   [--fail-payload-suffix TEXT[:MAX_ATTEMPT]]...
                   [--silent-after N] [--seconds S] [--count N] [--slow MS]
                   [--ping SECONDS] [--hold-after N]
--silent-after N: after N deliveries send nothing at all (a lost worker);
--hold-after N: after N deliveries keep pinging but answer no delivery
(ledger status HELD). N = 0: from the start.
"""
import os
import sys
import time
import struct
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pf1  # noqa: E402


def proc_names(cfg):
    names, section = [], None
    with open(cfg) as handle:
        for line in handle:
            text = line.split("#", 1)[0].rstrip()
            if not text.strip():
                continue
            depth = (len(text) - len(text.lstrip())) // 4
            if depth == 0:
                section = text.strip()
            elif depth == 1 and section == "proc" and "=" not in text:
                names.append(text.strip())
    return names


def decode_deliverb(data):
    pos, out = 0, []
    while pos < len(data):
        fields = []
        for _ in range(3):
            size = data[pos]; pos += 1
            fields.append(data[pos:pos + size]); pos += size
        attempt, size = struct.unpack(">II", data[pos:pos + 8]); pos += 8
        payload = data[pos:pos + size]; pos += size
        out.append((fields[0], fields[1], fields[2], str(attempt).encode(), payload))
    return out


def main(argv):
    cfg, ledger_path = argv[0], argv[1]
    options = {"credit": "10", "batch": "1", "topics": "", "seconds": "30",
               "count": "0", "silent-after": "-1", "hold-after": "-1", "slow": "0",
               "ping": "1"}
    fail_rules, suffix_rules, fail_all, rest = [], [], False, argv[2:]
    while rest:
        option = rest.pop(0)[2:]
        if option == "fail-all":
            fail_all = True
        elif option == "fail-payload-suffix":
            text, _, limit = rest.pop(0).partition(":")
            suffix_rules.append((text.encode(), int(limit) if limit else 10 ** 9))
        elif option == "fail-payload":
            text, _, limit = rest.pop(0).partition(":")
            fail_rules.append((text.encode(), int(limit) if limit else 10 ** 9))
        else:
            options[option] = rest.pop(0)
    credit, batch = int(options["credit"]), int(options["batch"])
    base = os.path.dirname(os.path.abspath(cfg))
    keys = os.path.join(base, pf1.config_value(cfg, "fabric", "", "keys") or "keys")
    public, secret = pf1.read_cert(os.path.join(keys, "secret", "worker.cert_secret"))

    context = zmq.Context()
    sockets = {}
    for name in proc_names(cfg):
        socket = context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.curve_publickey, socket.curve_secretkey = public, secret
        socket.curve_serverkey = pf1.read_cert(os.path.join(keys, "nodes", name + ".cert"))[0]
        socket.connect(pf1.config_value(cfg, "proc", name, "workers"))
        sockets[socket] = name
    ready = [b"", b"PF1", b"READY", options["topics"].encode(), str(credit).encode()]
    if batch > 1:
        ready.append(str(batch).encode())
    for socket in sockets:
        socket.send_multipart(ready)

    poller = zmq.Poller()
    for socket in sockets:
        poller.register(socket, zmq.POLLIN)
    ledger = open(ledger_path, "a", buffering=1)
    end = time.time() + float(options["seconds"])
    held = {socket: 0 for socket in sockets}
    handled, silent_after, last_ping = 0, int(options["silent-after"]), time.time()
    count = int(options["count"])
    while time.time() < end and (count == 0 or handled < count):
        if silent_after >= 0 and handled >= silent_after:
            time.sleep(0.05)        # hold what we have and say nothing
            continue
        if time.time() - last_ping > float(options["ping"]):
            for socket in sockets:
                socket.send_multipart([b"", b"PF1", b"PING"])
            last_ping = time.time()
        for socket, _ in poller.poll(100):
            frames = socket.recv_multipart()
            command = frames[2]
            if command == b"DISCONNECT":
                held[socket] = 0
                socket.send_multipart(ready)
                continue
            if command == b"DELIVER":
                deliveries = [tuple(frames[3:8])]
            elif command == b"DELIVERB":
                deliveries = decode_deliverb(frames[3])
            else:
                continue
            held[socket] += len(deliveries)
            if held[socket] > credit:
                print("CREDIT EXCEEDED %d > %d" % (held[socket], credit), file=sys.stderr)
            done_ids = []
            received = time.time()
            hold_after = int(options["hold-after"])
            if hold_after >= 0 and handled >= hold_after:
                ledger.write("".join("%.6f %.6f %s %s %s %s HELD %s\n" % (
                    received, received, d[0].decode(), d[2].hex() or "-", d[3].decode(),
                    d[4].decode(errors="replace"), sockets[socket]) for d in deliveries))
                continue
            for rid, topic, key, attempt, payload in deliveries:
                if int(options["slow"]):
                    time.sleep(int(options["slow"]) / 1000)
                fail = fail_all or any(text == payload and int(attempt) <= limit
                                       for text, limit in fail_rules) \
                    or any(payload.endswith(text) and int(attempt) <= limit
                           for text, limit in suffix_rules)
                handled += 1
                # The ledger line first, then the answer: a worker killed in
                # between leaves a DONE the proc redelivers (at-least-once),
                # never a DONE the proc committed and no ledger knows of.
                ledger.write("%.6f %.6f %s %s %s %s %s %s\n" % (
                    received, time.time(), rid.decode(), key.hex() or "-", attempt.decode(),
                    payload.decode(errors="replace"), "FAIL" if fail else "DONE",
                    sockets[socket]))
                if fail:
                    socket.send_multipart([b"", b"PF1", b"FAIL", rid, b"failed on purpose"])
                elif command == b"DELIVERB":
                    done_ids.append(rid)
                else:
                    socket.send_multipart([b"", b"PF1", b"DONE", rid])
                held[socket] -= 1
            if done_ids:
                socket.send_multipart([b"", b"PF1", b"DONEB",
                                       b"".join(bytes([len(i)]) + i for i in done_ids)])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
