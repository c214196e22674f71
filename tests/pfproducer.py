"""pfproducer.py - a resending PF1 producer (pyzmq, CURVE) that survives its
own restarts, for the chaos run.

Pipelines single-form PUSHes to one edge, at most --inflight without a final
verdict, and keeps a journal (appended with one write per line, so a SIGKILL
never leaves half a line):
    SEND id key payload     written before the message is first sent
    ACK id | DUP id         every such verdict received, even a second one
    NACK id REASON text     a refusal (final)
A message answered BUSY, or not answered within --resend-ms, is sent again
with the same id, key and payload, until it gets ACK, DUP or NACK. On start
the journal is read: every id sent without a final verdict is resent first
(same id, key and payload), then new messages follow, per key numbered on
from the journal: payload "KEY.N", with suffix "-f" when N % 10 == 7 on keys
whose index is 4 mod 8 (fails once) and "-dead" when N % 20 == 13 on keys
whose index is 5 mod 8 (fails for ever). Keys are NAMEk0 .. NAMEk(K-1), sent
in runs of --run messages of one key.

On SIGTERM (or after --seconds, or --count new messages) it sends nothing
new and resends what is still unanswered for at most --drain seconds, then
exits: 0 if every message has a final verdict, 1 if not.

usage: pfproducer.py CFG JOURNAL [--edge NAME] [--name NAME] [--keys K]
                     [--topic T] [--inflight N] [--resend-ms MS] [--rate N]
                     [--run N] [--seconds S] [--count N] [--drain S]
"""
import os
import signal
import sys
import time
import uuid
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pf1  # noqa: E402

FINAL = ("ACK", "DUP", "NACK")


def payload_for(key_index, key, number):
    payload = "%s.%d" % (key, number)
    if key_index % 8 == 4 and number % 10 == 7:
        payload += "-f"
    elif key_index % 8 == 5 and number % 20 == 13:
        payload += "-dead"
    return payload


def read_journal(path):
    """Messages sent without a final verdict (in order sent) and the next
    number of every key."""
    sent, final, numbers = {}, set(), {}
    if not os.path.exists(path):
        return [], numbers
    with open(path, errors="replace") as handle:
        for line in handle:
            if not line.endswith("\n"):
                continue                    # cut short: never the case, but safe
            parts = line.split()
            if len(parts) == 4 and parts[0] == "SEND":
                rid, key, payload = parts[1], parts[2], parts[3]
                sent[rid] = (key, payload)
                try:
                    number = int(payload.split(".", 1)[1].split("-", 1)[0])
                except (IndexError, ValueError):
                    continue
                numbers[key] = max(numbers.get(key, 0), number + 1)
            elif len(parts) >= 2 and parts[0] in FINAL:
                final.add(parts[1])
    return [(rid, key, payload) for rid, (key, payload) in sent.items()
            if rid not in final], numbers


class Journal:
    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        size = os.lseek(self.fd, 0, os.SEEK_END)
        if size:
            with open(path, "rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    os.write(self.fd, b"\n")

    def write(self, text):
        os.write(self.fd, (text + "\n").encode())


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cfg, journal_path = argv[0], argv[1]
    options = {"edge": None, "name": "P2", "keys": "24", "topic": "chaos", "inflight": "64",
               "resend-ms": "3000", "rate": "300", "run": "8", "seconds": "0", "count": "0",
               "drain": "30"}
    rest = argv[2:]
    while rest:
        option = rest.pop(0)
        if not option.startswith("--") or option[2:] not in options or not rest:
            print(__doc__, file=sys.stderr)
            return 2
        options[option[2:]] = rest.pop(0)
    keys_count, inflight_max = int(options["keys"]), int(options["inflight"])
    resend_s, rate, run = int(options["resend-ms"]) / 1000.0, float(options["rate"]), \
        int(options["run"])
    seconds, count, drain = float(options["seconds"]), int(options["count"]), \
        float(options["drain"])
    name, topic = options["name"], options["topic"].encode()

    base = os.path.dirname(os.path.abspath(cfg))
    keys_dir = os.path.join(base, pf1.config_value(cfg, "fabric", "", "keys") or "keys")
    edge = options["edge"] or pf1.first_edge(cfg)
    endpoint = pf1.config_value(cfg, "edge", edge, "frontend")
    public, secret = pf1.read_cert(os.path.join(keys_dir, "secret", "client.cert_secret"))
    server = pf1.read_cert(os.path.join(keys_dir, "nodes", edge + ".cert"))[0]

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(time.time()))

    unanswered, numbers = read_journal(journal_path)
    if unanswered or numbers:
        print("pfproducer %s: journal read, resending %d unanswered first" % (
            name, len(unanswered)), file=sys.stderr)
    journal = Journal(journal_path)
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.SNDHWM, 10000)
    socket.curve_publickey, socket.curve_secretkey, socket.curve_serverkey = \
        public, secret, server
    socket.connect(endpoint)

    pending = {}            # id -> [key, payload, resend at, answered BUSY]
    queue = list(unanswered)    # (id, key, payload) to send first, in order
    stats = {"new": 0, "resumed": len(unanswered), "sends": 0, "ACK": 0, "DUP": 0,
             "NACK": 0, "BUSY": 0, "timeouts": 0}
    began = time.time()
    key_index, in_run = 0, 0

    def send(rid, key, payload, now):
        frames = [b"", b"PF1", b"PUSH", rid.encode(), topic, key.encode(), payload.encode()]
        try:
            socket.send_multipart(frames, flags=zmq.NOBLOCK)
            stats["sends"] += 1
            pending[rid] = [key, payload, now + resend_s, False]
        except zmq.Again:
            pending[rid] = [key, payload, now + 0.2, True]

    def new_message():
        nonlocal key_index, in_run
        if in_run >= run:
            key_index, in_run = (key_index + 1) % keys_count, 0
        in_run += 1
        key = "%sk%d" % (name, key_index)
        number = numbers.get(key, 0)
        numbers[key] = number + 1
        return str(uuid.uuid4()), key, payload_for(key_index, key, number)

    while True:
        now = time.time()
        if not stopping and ((seconds and now - began >= seconds)
                             or (count and stats["new"] >= count)):
            stopping.append(now)
        if stopping and (not pending and not queue or now - stopping[0] >= drain):
            break
        # journalled messages first, then new ones, within the bound and rate
        while queue and len(pending) < inflight_max:
            rid, key, payload = queue.pop(0)
            send(rid, key, payload, now)
        while not stopping and not queue and len(pending) < inflight_max \
                and stats["new"] < rate * (now - began) + 1:
            rid, key, payload = new_message()
            journal.write("SEND %s %s %s" % (rid, key, payload))
            stats["new"] += 1
            send(rid, key, payload, now)
        for rid, entry in list(pending.items()):
            if entry[2] <= now:
                if not entry[3]:
                    stats["timeouts"] += 1
                send(rid, entry[0], entry[1], now)
        wait = min([entry[2] for entry in pending.values()] + [now + 0.05]) - now
        if not socket.poll(max(1, int(wait * 1000))):
            continue
        while True:
            try:
                frames = socket.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                break
            for line in pf1.describe(frames):
                parts = line.split(" ", 3)
                verdict, rid = parts[0], parts[1] if len(parts) > 1 else ""
                if verdict in ("ACK", "DUP"):
                    journal.write("%s %s" % (verdict, rid))
                    stats[verdict] += 1
                    pending.pop(rid, None)
                elif verdict == "NACK":
                    journal.write(line)
                    stats["NACK"] += 1
                    pending.pop(rid, None)
                elif verdict == "BUSY" and rid in pending:
                    stats["BUSY"] += 1
                    try:
                        wait_ms = min(int(parts[2]), 2000)
                    except (IndexError, ValueError):
                        wait_ms = 500
                    pending[rid][2] = time.time() + wait_ms / 1000.0
                    pending[rid][3] = True      # resent on BUSY, not a timeout
    left = len(pending) + len(queue)
    print("pfproducer %s: new=%d resumed=%d sends=%d ack=%d dup=%d nack=%d busy=%d "
          "timeouts=%d unanswered=%d" % (name, stats["new"], stats["resumed"], stats["sends"],
                                         stats["ACK"], stats["DUP"], stats["NACK"],
                                         stats["BUSY"], stats["timeouts"], left),
          file=sys.stderr)
    socket.close()
    context.term()
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
