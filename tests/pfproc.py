"""pfproc.py - a fake proc for the retry node's tests (pyzmq, CURVE).

Connects a DEALER with the proc's name as routing id to the retry node's
endpoint, as a real proc does, runs the steps it is given in order, and
prints one line for each message it waits for:
    TAKEN seq,seq... | DEAD seq,seq... | REINJECT seq=S attempt=N id=I topic=T
    key=K payload=P after=MS [replay=N] | TIMEOUT CMD
(one REINJECT line per entry; replay=N when seq is a replay ticket, the top
bit set, N the rest of it).

usage: pfproc.py CFG [--name PROC] [--retry NAME] STEP...
steps:
  fail SEQ ATTEMPT ID PAYLOAD [REASON]   send FAILED with one entry (topic
                                         t.retry, key "k"); starts the clock
  expect CMD [MS]       wait up to MS (default 8000) for CMD (TAKEN, DEAD,
                        REINJECT) and print it; others stay queued
  expect-n REINJECT N [MS]  wait for REINJECT messages until they hold N
                        entries, print them (as the last REINJECT)
  none CMD MS           print "NONE CMD" if no CMD comes within MS, else it
  reinjected            answer the last REINJECT (REINJECTED seq new-seq);
                        a replay ticket gets a new seq of its own from 1000
                        on, the same for every answer to it, as a real proc
  reinjected-id ID      the same, for its entries of message id ID only
  gone                  answer the last DEAD (GONE seq...)
  raw CMD HEX           send a link message with this body
  sh COMMAND            run a shell command (its output goes to ours)
"""
import os
import struct
import subprocess
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pf1 import config_value, read_cert  # noqa: E402


REPLAY = 1 << 63
STEPS = ("fail", "expect", "expect-n", "none", "reinjected", "reinjected-id", "gone", "raw",
         "sh")


def put_short(data):
    return bytes([len(data)]) + data


def entry(seq, partition, attempt, reason, rid, topic, key, payload):
    return (struct.pack(">QII", seq, partition, attempt) + put_short(reason)
            + put_short(rid) + put_short(topic) + put_short(key)
            + struct.pack(">I", len(payload)) + payload)


def parse_entries(data):
    out, pos = [], 0
    while pos < len(data):
        seq, partition, attempt = struct.unpack(">QII", data[pos:pos + 16]); pos += 16
        fields = []
        for _ in range(4):
            size = data[pos]; pos += 1
            fields.append(data[pos:pos + size]); pos += size
        (size,) = struct.unpack(">I", data[pos:pos + 4]); pos += 4
        payload = data[pos:pos + size]; pos += size
        out.append((seq, partition, attempt, fields[0], fields[1], fields[2], fields[3], payload))
    return out


def seqs(data):
    return [struct.unpack(">Q", data[i:i + 8])[0] for i in range(0, len(data), 8)]


def first_retry(cfg):
    section = None
    with open(cfg) as handle:
        for line in handle:
            text = line.split("#", 1)[0].rstrip()
            if not text.strip():
                continue
            depth = (len(text) - len(text.lstrip())) // 4
            if depth == 0:
                section = text.strip()
            elif depth == 1 and section == "retry":
                return text.strip()
    return None


class FakeProc:
    def __init__(self, cfg, name, retry):
        base = os.path.dirname(os.path.abspath(cfg))
        keys = os.path.join(base, config_value(cfg, "fabric", "", "keys") or "keys")
        public, secret = read_cert(os.path.join(keys, "secret", name + ".cert_secret"))
        server, _ = read_cert(os.path.join(keys, "nodes", retry + ".cert"))
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.setsockopt(zmq.IDENTITY, name.encode())
        self.socket.setsockopt(zmq.LINGER, 1000)
        self.socket.curve_publickey = public
        self.socket.curve_secretkey = secret
        self.socket.curve_serverkey = server
        self.socket.connect(config_value(cfg, "retry", retry, "endpoint"))
        self.queue = []
        self.started = time.monotonic()
        self.last = {}
        self.replays = {}           # ticket -> the new seq it got

    def new_seq(self, seq):
        if not seq & REPLAY:
            return seq
        return self.replays.setdefault(seq, 1000 + len(self.replays))

    def send(self, command, body):
        self.socket.send_multipart([b"PL1", command.encode(), body])

    def receive(self, timeout_ms):
        if self.socket.poll(timeout_ms):
            frames = self.socket.recv_multipart()
            if len(frames) == 3 and frames[0] == b"PL1":
                self.queue.append((frames[1].decode(), frames[2], time.monotonic()))
            else:
                print("GARBAGE " + " ".join(f.hex() for f in frames))
            return True
        return False

    def take(self, command, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            for index, (cmd, body, at) in enumerate(self.queue):
                if cmd == command:
                    del self.queue[index]
                    return body, at
            left = deadline - time.monotonic()
            if left <= 0:
                return None, None
            self.receive(int(left * 1000) + 1)

    def describe(self, command, body, at):
        if command in ("TAKEN", "DEAD"):
            return command + " " + ",".join(str(s) for s in seqs(body))
        lines = []
        for seq, _, attempt, _, rid, topic, key, payload in parse_entries(body):
            line = ("REINJECT seq=%d attempt=%d id=%s topic=%s key=%s payload=%s after=%d"
                    % (seq, attempt, rid.decode(errors="replace"), topic.decode(),
                       key.decode(errors="replace"), payload.decode(errors="replace"),
                       (at - self.started) * 1000))
            if seq & REPLAY:
                line += " replay=%d" % (seq & ~REPLAY)
            lines.append(line)
        return "\n".join(lines)


def main(argv):
    cfg = argv.pop(0)
    name, retry = "p1", None
    while argv and argv[0].startswith("--"):
        option, value = argv.pop(0), argv.pop(0)
        if option == "--name":
            name = value
        elif option == "--retry":
            retry = value
    proc = FakeProc(cfg, name, retry or first_retry(cfg))
    while argv:
        step = argv.pop(0)
        if step == "fail":
            seq, attempt, rid, payload = int(argv[0]), int(argv[1]), argv[2], argv[3]
            del argv[:4]
            reason = argv.pop(0) if argv and argv[0] not in STEPS else "boom"
            proc.started = time.monotonic()
            raw = lambda text: text.encode("utf-8", "surrogateescape")  # noqa: E731
            proc.send("FAILED", entry(seq, 7, attempt, raw(reason), raw(rid),
                                      b"t.retry", b"k", raw(payload)))
        elif step in ("expect", "none"):
            command = argv.pop(0)
            timeout = int(argv.pop(0)) if argv and argv[0].isdigit() else 8000
            body, at = proc.take(command, timeout)
            if body is None:
                print(("NONE " if step == "none" else "TIMEOUT ") + command)
            else:
                proc.last[command] = body
                print(proc.describe(command, body, at))
            sys.stdout.flush()
        elif step == "expect-n":
            command, count = argv.pop(0), int(argv.pop(0))
            timeout = int(argv.pop(0)) if argv and argv[0].isdigit() else 8000
            deadline = time.monotonic() + timeout / 1000
            got, lines = b"", []
            while len(parse_entries(got)) < count:
                left = int((deadline - time.monotonic()) * 1000)
                body, at = proc.take(command, max(left, 0))
                if body is None:
                    lines.append("TIMEOUT " + command)
                    break
                got += body
                lines.append(proc.describe(command, body, at))
            proc.last[command] = got
            print("\n".join(lines))
            sys.stdout.flush()
        elif step in ("reinjected", "reinjected-id"):
            only = argv.pop(0).encode() if step == "reinjected-id" else None
            answer = b""
            for seq, _, _, _, rid, *_ in parse_entries(proc.last.get("REINJECT", b"")):
                if only is None or rid == only:
                    answer += struct.pack(">QQ", seq, proc.new_seq(seq))
            proc.send("REINJECTED", answer)
        elif step == "gone":
            proc.send("GONE", proc.last.get("DEAD", b""))
        elif step == "raw":
            command, body = argv.pop(0), bytes.fromhex(argv.pop(0))
            proc.send(command, body)
        elif step == "sh":
            sys.stdout.flush()
            subprocess.call(argv.pop(0), shell=True)
        else:
            sys.exit("pfproc.py: unknown step " + step)
    # Let the last answers leave before the socket closes
    time.sleep(0.2)


if __name__ == "__main__":
    main(sys.argv[1:])
