"""pf1.py - a raw PF1 client for the tests (pyzmq, CURVE).

Sends exactly the frames a test asks for, so that malformed input can be
tried, and prints each answer as one line:
    ACK id | DUP id | NACK id REASON text | BUSY id ms | PONG | TIMEOUT

usage: pf1.py CFG [--cert FILE] [--edge NAME] [--server-key FILE] [--plain]
              [--timeout MS] COMMAND ARGS...
commands:
  push ID TOPIC KEY PAYLOAD       one single-form PUSH
  batch ID:TOPIC:KEY:PAYLOAD...   one PUSHB with these records ('@N' payload = N bytes)
  rawbatch HEX                    one PUSHB whose batch frame is these bytes
  frames F1 F2 ...                these frames after the empty one (hex with 0x prefix)
  ping                            PING
"""
import os
import re
import struct
import sys
import zmq


def read_cert(path):
    """Public and secret keys (Z85 bytes) of a czmq zcert file."""
    keys = {}
    with open(path) as handle:
        for line in handle:
            match = re.match(r'\s*(public|secret)-key\s*=\s*"(.*)"', line)
            if match:
                keys[match.group(1)] = match.group(2).encode()
    return keys.get("public"), keys.get("secret")


def config_value(cfg, section, name, key):
    """Value of section/name/key in a ZPL file (enough for our configs)."""
    path = []
    with open(cfg) as handle:
        for line in handle:
            text = line.split("#", 1)[0].rstrip()
            if not text.strip():
                continue
            depth = (len(text) - len(text.lstrip())) // 4
            path = path[:depth]
            item = text.strip()
            if "=" in item:
                k, v = [part.strip() for part in item.split("=", 1)]
                if path == [section, name] and k == key:
                    return v.strip('"')
            else:
                path.append(item)
    return None


def first_edge(cfg):
    path = []
    with open(cfg) as handle:
        for line in handle:
            text = line.split("#", 1)[0].rstrip()
            if text.strip() and (len(text) - len(text.lstrip())) == 4 and "=" not in text:
                if path == ["edge"]:
                    return text.strip()
            if text.strip() and not text.startswith(" "):
                path = [text.strip()]
    return None


def encode_record(spec):
    rid, topic, key, payload = spec.split(":", 3)
    if payload.startswith("@"):
        payload = "x" * int(payload[1:])
    parts = [rid.encode(), topic.encode(), key.encode()]
    out = b"".join(bytes([len(p)]) + p for p in parts)
    return out + struct.pack(">I", len(payload)) + payload.encode()


def decode_verdicts(data):
    lines, pos = [], 0
    while pos < len(data):
        status = chr(data[pos]); pos += 1
        size = data[pos]; pos += 1
        rid = data[pos:pos + size].decode(errors="replace"); pos += size
        if status == "N":
            size = data[pos]; pos += 1
            reason = data[pos:pos + size].decode(); pos += size
            size = data[pos]; pos += 1
            text = data[pos:pos + size].decode(); pos += size
            lines.append(f"NACK {rid} {reason} {text}")
        elif status == "B":
            (ms,) = struct.unpack(">I", data[pos:pos + 4]); pos += 4
            lines.append(f"BUSY {rid} {ms}")
        else:
            lines.append({"A": "ACK", "D": "DUP"}.get(status, "?" + status) + f" {rid}")
    return lines


def describe(frames):
    """One line per verdict in a reply."""
    if len(frames) < 3 or frames[0] != b"" or frames[1] != b"PF1":
        return ["GARBAGE " + " ".join(f.hex() for f in frames)]
    cmd, args = frames[2].decode(), [f.decode(errors="replace") for f in frames[3:]]
    if cmd == "VERDICTS":
        return decode_verdicts(frames[3])
    return [" ".join([cmd] + args)]


def main(argv):
    cfg = argv.pop(0)
    base = os.path.dirname(os.path.abspath(cfg))
    keys = os.path.join(base, config_value(cfg, "fabric", "", "keys") or "keys")
    cert = os.path.join(keys, "secret", "client.cert_secret")
    edge, server_key, plain, timeout = None, None, False, 5000
    while argv and argv[0].startswith("--"):
        option = argv.pop(0)
        if option == "--plain":
            plain = True
            continue
        value = argv.pop(0)
        if option == "--cert":
            cert = value
        elif option == "--edge":
            edge = value
        elif option == "--server-key":
            server_key = value
        elif option == "--timeout":
            timeout = int(value)
    edge = edge or first_edge(cfg)
    endpoint = config_value(cfg, "edge", edge, "frontend")
    server_key = server_key or os.path.join(keys, "nodes", edge + ".cert")

    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    if not plain:
        public, secret = read_cert(cert)
        socket.curve_publickey, socket.curve_secretkey = public, secret
        socket.curve_serverkey = read_cert(server_key)[0]
    socket.connect(endpoint)

    command, args = argv[0], argv[1:]
    if command == "push":
        frames, expected = [b"PUSH"] + [a.encode() for a in args], 1
    elif command == "batch":
        frames = [b"PUSHB", b"".join(encode_record(a) for a in args)]
        expected = len(args)
    elif command == "rawbatch":
        frames, expected = [b"PUSHB", bytes.fromhex(args[0])], 1
    elif command == "frames":
        frames = [bytes.fromhex(a[2:]) if a.startswith("0x") else a.encode() for a in args]
        expected = 1
    else:
        frames, expected = [b"PING"], 1
    if command != "frames":
        frames = [b"PF1"] + frames
    socket.send_multipart([b""] + frames)

    got = 0
    while got < expected:
        if not socket.poll(timeout):
            print("TIMEOUT")
            return 1
        for line in describe(socket.recv_multipart()):
            print(line)
            got += 1
            # a whole-batch NACK answers every record at once
            if line.startswith("NACK  "):
                got = expected
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
