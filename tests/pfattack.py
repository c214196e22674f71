"""pfattack.py - hostile and heavy PF1 clients for tests/t9001-attacks.sh.

usage: pfattack.py CFG COMMAND ARGS...
commands:
  steady OUT STOPFILE [--max N] [--seconds S]
      push s-1, s-2 ... one at a time (resending the same id on BUSY or
      silence) until STOPFILE exists; each id answered ACK or DUP is
      written to OUT; prints "sent=N acked=N" at the end
  crowd N IDLE [--seconds S]
      N clients connect at once and each pushes one message c-<n> (resent
      on BUSY); IDLE more connect and never send, and IDLE raw TCP
      connections never speak. Prints "answered=N acked=N busy=N"
  from SOURCE ID
      one PUSH from the source address SOURCE; prints the answer or TIMEOUT
  bigframe SIZE ID
      one PUSH whose payload is SIZE bytes; prints the answer or TIMEOUT
  bigbatch COUNT SIZE PREFIX
      one PUSHB of COUNT records PREFIX-<n> with SIZE-byte payloads;
      prints the answers (one line per verdict) or TIMEOUT
  manyframes COUNT
      a PUSH of COUNT frames in all; prints the answer or TIMEOUT
  control CERT NODE COMMAND
      a control request as CERT (a cert_secret file) to a node;
      prints the reply's frames or TIMEOUT
"""
import os
import socket as tcp
import sys
import time
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pf1  # noqa: E402


def keys_dir(cfg):
    base = os.path.dirname(os.path.abspath(cfg))
    return os.path.join(base, pf1.config_value(cfg, "fabric", "", "keys") or "keys")


def client(context, cfg, endpoint=None, cert=None, server=None):
    keys = keys_dir(cfg)
    edge = pf1.first_edge(cfg)
    public, secret = pf1.read_cert(cert or os.path.join(keys, "secret", "client.cert_secret"))
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.curve_publickey, sock.curve_secretkey = public, secret
    sock.curve_serverkey = pf1.read_cert(server or os.path.join(keys, "nodes", edge + ".cert"))[0]
    sock.connect(endpoint or pf1.config_value(cfg, "edge", edge, "frontend"))
    return sock


def push_frames(rid, payload=b"p", key=None):
    return [b"", b"PF1", b"PUSH", rid, b"t", key if key is not None else rid, payload]


def answer(sock, timeout):
    if not sock.poll(timeout):
        return "TIMEOUT"
    return " ".join(pf1.describe(sock.recv_multipart()))


def steady(cfg, out, stopfile, limit=5000, seconds=300):
    context = zmq.Context()
    sock = client(context, cfg)
    deadline = time.monotonic() + seconds
    sent = acked = 0
    with open(out, "w") as ledger:
        while sent < limit and time.monotonic() < deadline and not os.path.exists(stopfile):
            sent += 1
            rid = b"s-%d" % sent
            sock.send_multipart(push_frames(rid, b"steady", b"k%d" % (sent % 7)))
            while time.monotonic() < deadline:
                if not sock.poll(3000):         # silence: resend the same id
                    sock.send_multipart(push_frames(rid, b"steady", b"k%d" % (sent % 7)))
                    continue
                words = pf1.describe(sock.recv_multipart())[0].split()
                if len(words) < 2 or words[1] != rid.decode():
                    continue                    # a late answer to a resend
                if words[0] in ("ACK", "DUP"):
                    ledger.write(rid.decode() + "\n")
                    ledger.flush()
                    acked += 1
                    break
                if words[0] == "BUSY":
                    time.sleep(int(words[2]) / 1000)
                    sock.send_multipart(push_frames(rid, b"steady", b"k%d" % (sent % 7)))
                    continue
                print("unexpected answer: " + " ".join(words), file=sys.stderr)
                break
            time.sleep(0.02)
    print("sent=%d acked=%d" % (sent, acked))


def crowd(cfg, count, idle, seconds=90):
    context = zmq.Context()
    context.set(zmq.MAX_SOCKETS, count + idle + 100)
    deadline = time.monotonic() + seconds
    socks = [client(context, cfg) for _ in range(count)]
    silent = [client(context, cfg) for _ in range(idle)]
    edge = pf1.first_edge(cfg)
    host, port = pf1.config_value(cfg, "edge", edge, "frontend")[6:].rsplit(":", 1)
    raw = []
    for _ in range(idle):
        conn = tcp.create_connection((host, int(port)), timeout=5)
        raw.append(conn)
    poller = zmq.Poller()
    for index, sock in enumerate(socks):
        sock.send_multipart(push_frames(b"c-%d" % index))
        poller.register(sock, zmq.POLLIN)
    waiting = {sock: index for index, sock in enumerate(socks)}
    answered = acked = busy = 0
    while waiting and time.monotonic() < deadline:
        for sock, _ in poller.poll(1000):
            words = pf1.describe(sock.recv_multipart())[0].split()
            index = waiting.get(sock)
            if index is None or words[1] != "c-%d" % index:
                continue
            if words[0] == "BUSY":              # resend until it is decided
                busy += 1
                sock.send_multipart(push_frames(b"c-%d" % index))
                continue
            answered += 1
            acked += words[0] in ("ACK", "DUP")
            del waiting[sock]
    for conn in raw:
        conn.close()
    print("answered=%d acked=%d busy=%d" % (answered, acked, busy))


def main(argv):
    cfg, command, args = argv[0], argv[1], argv[2:]
    options = {}
    while len(args) >= 2 and args[-2].startswith("--"):
        options[args[-2][2:]] = int(args[-1])
        args = args[:-2]
    if command == "steady":
        steady(cfg, args[0], args[1], options.get("max", 5000), options.get("seconds", 300))
        return 0
    if command == "crowd":
        crowd(cfg, int(args[0]), int(args[1]), options.get("seconds", 90))
        return 0
    context = zmq.Context()
    if command == "from":
        edge = pf1.first_edge(cfg)
        target = pf1.config_value(cfg, "edge", edge, "frontend")[6:]
        sock = client(context, cfg, endpoint="tcp://%s:0;%s" % (args[0], target))
        sock.send_multipart(push_frames(args[1].encode()))
    elif command == "bigframe":
        sock = client(context, cfg)
        sock.send_multipart(push_frames(args[1].encode(), b"x" * int(args[0])))
    elif command == "bigbatch":
        sock = client(context, cfg)
        count, size, prefix = int(args[0]), int(args[1]), args[2]
        batch = b"".join(pf1.encode_record("%s-%d:t:k%d:@%d" % (prefix, n, n, size))
                         for n in range(count))
        sock.send_multipart([b"", b"PF1", b"PUSHB", batch])
        if not sock.poll(options.get("timeout", 5000)):
            print("TIMEOUT")
            return 0
        for line in pf1.describe(sock.recv_multipart()):
            print(line)
        return 0
    elif command == "manyframes":
        sock = client(context, cfg)
        sock.send_multipart([b"", b"PF1", b"PUSH"] + [b"f"] * (int(args[0]) - 3))
    elif command == "control":
        keys = keys_dir(cfg)
        sock = context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.curve_publickey, sock.curve_secretkey = pf1.read_cert(args[0])
        sock.curve_serverkey = pf1.read_cert(os.path.join(keys, "nodes", args[1] + ".cert"))[0]
        endpoint = [pf1.config_value(cfg, role, args[1], "control")
                    for role in ("retry", "edge", "proc")]
        sock.connect([e for e in endpoint if e][0])
        sock.send_multipart([b"", b"PFC1", args[2].encode()])
        if sock.poll(options.get("timeout", 2000)):
            print(" ".join(f.decode(errors="replace") for f in sock.recv_multipart()[1:]))
        else:
            print("TIMEOUT")
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(answer(sock, options.get("timeout", 3000)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
