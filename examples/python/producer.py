#!/usr/bin/python3
"""producer.py - push messages to a pushfabric edge from Python (pyzmq).

usage: producer.py --endpoint E --server-key-file keys/nodes/e1.cert
                   --cert keys/secret/client.cert_secret --topic T --count N
                   [--key K] [--batch] [--timeout SECONDS]

Speaks the PF1 client protocol (pushfabric-protocol(7)) directly: a DEALER
socket, a CURVE client with this producer's key pair and the edge's public
key. Sends N messages with UUIDv4 ids, at most 1000 unanswered at a time, as
single PUSH messages or, with --batch, packed into PUSHB frames; resends with the same id on BUSY and when
no verdict comes within 5 seconds (the fabric dedupes by id). Prints one line
per final verdict: "ACK id", "DUP id" or "NACK id REASON text", and exits 0
when every message was accepted (ACK or DUP).
"""
import argparse
import collections
import struct
import sys
import time
import uuid

import zmq

BATCH_RECORDS = 1000        # records in one PUSHB (the protocol allows 10000)
WINDOW = 1000               # most messages sent and not yet answered
RESEND_AFTER = 5.0          # seconds without a verdict before a resend


def read_cert(path):
    """The (public, secret) Z85 keys of a czmq zcert file; secret may be None.

    A zcert file is ZPL text with a "curve" section:
        curve
            public-key = "..."
            secret-key = "..."
    """
    keys = {}
    with open(path) as handle:
        for line in handle:
            name, _, value = line.strip().partition("=")
            name = name.strip()
            if name in ("public-key", "secret-key"):
                keys[name] = value.strip().strip('"').encode()
    if len(keys.get("public-key", b"")) != 40:
        raise ValueError(f"{path}: no public-key of 40 characters")
    return keys["public-key"], keys.get("secret-key")


def short(data):
    """A u8 length, then the bytes (id, topic and key in PUSHB records)."""
    return bytes([len(data)]) + data


def encode_record(message):
    """One PUSHB record: id, topic, key, u32 payload length, payload."""
    mid, topic, key, payload = message
    return (short(mid) + short(topic) + short(key)
            + struct.pack(">I", len(payload)) + payload)


def decode_verdicts(data):
    """Yield (status, id, detail) from a VERDICTS frame.

    detail is "REASON text" for N, the retry-after in ms for B, else None.
    """
    pos = 0
    while pos < len(data):
        status = chr(data[pos])
        size = data[pos + 1]
        mid = data[pos + 2:pos + 2 + size]
        pos += 2 + size
        detail = None
        if status == "N":
            size = data[pos]
            reason = data[pos + 1:pos + 1 + size].decode()
            pos += 1 + size
            size = data[pos]
            text = data[pos + 1:pos + 1 + size].decode(errors="replace")
            pos += 1 + size
            detail = f"{reason} {text}"
        elif status == "B":
            detail = struct.unpack(">I", data[pos:pos + 4])[0]
            pos += 4
        yield status, mid, detail


class Producer:
    def __init__(self, args):
        server_public, _ = read_cert(args.server_key_file)
        public, secret = read_cert(args.cert)
        if not secret:
            raise ValueError(f"{args.cert}: no secret-key")
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.curve_publickey = public
        self.socket.curve_secretkey = secret
        self.socket.curve_serverkey = server_public
        self.socket.linger = 0
        self.socket.connect(args.endpoint)
        self.batch = args.batch
        self.pending = {}       # id -> (message, when to resend)
        self.accepted = 0
        self.refused = 0

    def send(self, messages):
        """Send messages (id, topic, key, payload) and note when to resend."""
        if self.batch:
            for start in range(0, len(messages), BATCH_RECORDS):
                records = b"".join(encode_record(message)
                                   for message in messages[start:start + BATCH_RECORDS])
                self.socket.send_multipart([b"", b"PF1", b"PUSHB", records])
        else:
            for message in messages:
                self.socket.send_multipart([b"", b"PF1", b"PUSH", *message])
        due = time.monotonic() + RESEND_AFTER
        for message in messages:
            self.pending[message[0]] = (message, due)

    def final(self, mid, line, accepted):
        """Report a final verdict once; verdicts for answered ids are late."""
        if self.pending.pop(mid, None) is None:
            return
        print(line, flush=True)
        if accepted:
            self.accepted += 1
        else:
            self.refused += 1

    def busy(self, mid, retry_after_ms):
        if mid in self.pending:
            message, _ = self.pending[mid]
            self.pending[mid] = (message, time.monotonic() + retry_after_ms / 1000)

    def handle(self, frames):
        """Act on one message from the edge: frames after the empty one."""
        if len(frames) < 3 or frames[0] != b"" or frames[1] != b"PF1":
            print("producer.py: ignoring a malformed message", file=sys.stderr)
            return
        command, fields = frames[2], frames[3:]
        if command in (b"ACK", b"DUP") and len(fields) == 1:
            self.final(fields[0], f"{command.decode()} {fields[0].decode()}", True)
        elif command == b"NACK" and len(fields) == 3:
            if not fields[0]:
                # A whole PUSHB was refused as malformed: our encoder is at
                # fault; its records are resent when RESEND_AFTER runs out.
                print(f"producer.py: edge refused a batch: {fields[2].decode()}",
                      file=sys.stderr)
            else:
                self.final(fields[0], "NACK {} {} {}".format(
                    *(field.decode(errors="replace") for field in fields)), False)
        elif command == b"BUSY" and len(fields) == 2:
            self.busy(fields[0], int(fields[1] or 0))
        elif command == b"VERDICTS" and len(fields) == 1:
            for status, mid, detail in decode_verdicts(fields[0]):
                if status == "B":
                    self.busy(mid, detail)
                elif status == "N":
                    self.final(mid, f"NACK {mid.decode()} {detail}", False)
                else:
                    name = "ACK" if status == "A" else "DUP"
                    self.final(mid, f"{name} {mid.decode()}", True)

    def resend_due(self):
        """Resend, with the same id, what was answered BUSY or not at all."""
        now = time.monotonic()
        due = [message for message, when in self.pending.values() if when <= now]
        if due:
            self.send(due)

    def run(self, messages, deadline):
        """Send messages, at most WINDOW unanswered at a time, and serve the
        socket until each has its final verdict or the deadline passes.
        Returns the messages never sent."""
        queue = collections.deque(messages)
        while (queue or self.pending) and time.monotonic() < deadline:
            room = WINDOW - len(self.pending)
            if queue and room > 0:
                self.send([queue.popleft() for _ in range(min(room, len(queue)))])
            next_due = min(when for _, when in self.pending.values())
            timeout = max(0, min(next_due, deadline) - time.monotonic())
            if self.socket.poll(int(timeout * 1000) + 1, zmq.POLLIN):
                while self.socket.poll(0, zmq.POLLIN):
                    self.handle(self.socket.recv_multipart())
            self.resend_due()
        return list(queue)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", required=True, help="edge frontend, e.g. tcp://127.0.0.1:7600")
    parser.add_argument("--server-key-file", required=True, help="the edge's certificate (keys/nodes/NAME.cert)")
    parser.add_argument("--cert", required=True, help="this producer's key pair (keys/secret/client.cert_secret)")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--key", default="", help="ordering key (default: none)")
    parser.add_argument("--batch", action="store_true", help="send PUSHB batches")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for all verdicts")
    args = parser.parse_args()

    try:
        producer = Producer(args)
    except (OSError, ValueError, zmq.ZMQError) as error:
        print(f"producer.py: {error}", file=sys.stderr)
        return 1
    topic, key = args.topic.encode(), args.key.encode()
    messages = [(str(uuid.uuid4()).encode(), topic, key, f"message {n + 1}".encode())
                for n in range(args.count)]
    unsent = producer.run(messages, time.monotonic() + args.timeout)
    failed = list(producer.pending) + [message[0] for message in unsent]
    for mid in failed:
        print(f"FAIL {mid.decode()} no verdict within {args.timeout:g} s")
    print(f"{args.count} pushed: {producer.accepted} accepted, {producer.refused} refused, "
          f"{len(failed)} failed")
    return 0 if producer.accepted == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
