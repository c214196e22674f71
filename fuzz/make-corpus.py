#!/usr/bin/env python3
"""make-corpus.py - write the seed corpus of each fuzz target into fuzz/corpus/.

Run from anywhere: python3 fuzz/make-corpus.py. It rewrites the files it
names and leaves others (saved findings) alone. The frame encoding is
pf_fuzz_frames in fuzz.h: a frame count byte, then per frame a big-endian
u16 length and the bytes."""

import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def frames(*parts):
    out = bytes([len(parts)])
    for part in parts:
        part = part.encode() if isinstance(part, str) else part
        out += struct.pack(">H", len(part)) + part
    return out


def short(data):
    data = data.encode() if isinstance(data, str) else data
    return bytes([len(data)]) + data


def push_record(id, topic, key, payload):
    return short(id) + short(topic) + short(key) + struct.pack(">I", len(payload)) + payload


def deliver_record(id, topic, key, attempt, payload):
    return (short(id) + short(topic) + short(key) + struct.pack(">II", attempt, len(payload))
            + payload)


def pf1(command, *args):
    return frames(b"", "PF1", command, *args)


def pl1(command, body):
    return frames("PL1", command, body)


def link_msg(ticket, partition, record):
    return struct.pack(">QI", ticket, partition) + record


def link_entry(seq, partition, attempt, reason, record):
    return struct.pack(">QII", seq, partition, attempt) + short(reason) + record


def link_verdict(ticket, status, retry_after):
    return struct.pack(">Q", ticket) + status.encode() + struct.pack(">I", retry_after)


r1 = push_record("id-1", "orders.eu", "k1", b"hello")
r2 = push_record("id-2", "audit", "", b"")
d1 = deliver_record("id-1", "orders.eu", "k1", 1, b"hello")
d2 = deliver_record("id-2", "audit", "", 3, b"x" * 40)

CORPUS = {
    "proto_client": {
        "push": pf1("PUSH", "id-1", "orders.eu", "k1", "hello"),
        "push-bad-id": pf1("PUSH", "id 1", "orders.eu", "", "x"),
        "push-bad-topic": pf1("PUSH", "id-3", "orders/eu", "k", ""),
        "pushb": pf1("PUSHB", r1 + r2),
        "pushb-truncated": pf1("PUSHB", r1 + r2[:-3]),
        "ping": pf1("PING"),
        "short": pf1("PUSH", "id-1"),
        "control-ping": frames("PFC1", "PING"),
        "control-dlq": frames(b"", "PFC1", "DLQ-LIST", "10", "orders."),
    },
    "proto_worker": {
        "ready": pf1("READY", "orders.,audit", "100"),
        "ready-batch": pf1("READY", "", "10", "50"),
        "done": pf1("DONE", "id-1"),
        "doneb": pf1("DONEB", short("id-1") + short("id-2")),
        "fail": pf1("FAIL", "id-1", "boom"),
        "deliver": pf1("DELIVER", "id-1", "orders.eu", "k1", "2", "hello"),
        "deliverb": pf1("DELIVERB", d1 + d2),
        "verdicts": pf1("VERDICTS", b"A" + short("id-1") + b"D" + short("id-2")
                        + b"N" + short("id-3") + short("BAD_TOPIC") + short("topic bad")
                        + b"B" + short("id-4") + struct.pack(">I", 200)),
        "nack": pf1("NACK", "id-1", "TOO_LARGE", "payload is larger than max-payload"),
        "busy": pf1("BUSY", "id-1", "250"),
    },
    "link": {
        "msgs": pl1("MSGS", link_msg(1, 7, r1) + link_msg(2, 63, r2)),
        "verdicts": pl1("VERDICTS", link_verdict(1, "A", 0) + link_verdict(2, "B", 100)),
        "failed": pl1("FAILED", link_entry(10, 3, 1, "boom", r1)),
        "reinject": pl1("REINJECT", link_entry((1 << 63) | 5, 3, 2, "", r2)),
        "taken": pl1("TAKEN", struct.pack(">QQ", 10, 11)),
        "reinjected": pl1("REINJECTED", struct.pack(">QQ", 10, 12)),
        "raw-msgs": link_msg(1, 7, r1),
        "raw-entries": link_entry(10, 3, 1, "timeout", r2),
    },
    "config": {
        "minimal": """fabric
edge
    e1
        frontend = tcp://127.0.0.1:7600
proc
    p1
        endpoint = tcp://127.0.0.1:7610
        workers = tcp://127.0.0.1:7611
        db = p1.db
""",
        "full": """fabric
    partitions = 64           # keep it for the life of the fabric
    dedupe-window = 86400     # seconds
    max-payload = 1048576     # bytes
    max-batch = 4194304       # bytes
    keys = keys               # relative to this file's folder

edge
    e1
        frontend = tcp://127.0.0.1:7600
        control = tcp://127.0.0.1:7609
        reply-timeout = 2000  # ms
        allow = 127.0.0.1

proc
    p1
        endpoint = tcp://127.0.0.1:7610
        workers = tcp://127.0.0.1:7611
        control = tcp://127.0.0.1:7619
        db = data/p1.db
        synchronous = normal
        ordering = relaxed
        max-pending = 1000000
        delivery-timeout = 30000
        heartbeat-timeout = 10000
    p2
        endpoint = tcp://127.0.0.1:7620
        workers = tcp://127.0.0.1:7621
        db = data/p2.db
        partitions = 0-15,40-47
        ordering = strict

retry
    r1
        endpoint = tcp://127.0.0.1:7630
        control = tcp://127.0.0.1:7639
        db = data/r1.db
        base-delay = 1000     # ms
        max-delay = 3600000   # ms
        max-attempts = 8
""",
        "bad-indent": "fabric\n   partitions = 8\n",
        "bad-value": "fabric\n    partitions = lots\n",
        "quoted": 'fabric\n    keys = "my keys"   # quoted\n',
    },
}

for target, files in CORPUS.items():
    files["empty"] = b""
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
