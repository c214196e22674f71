#!/usr/bin/python3
"""worker.py - handle deliveries from a pushfabric proc in Python (pyzmq).

usage: worker.py --endpoint E --server-key-file keys/nodes/p1.cert
                 --cert keys/secret/worker.cert_secret
                 [--topics P1,P2] [--credit N] [--fail-every N] [--count N]
                 [--heartbeat-ms MS]

Speaks the PF1 worker protocol (pushfabric-protocol(7)) directly: a DEALER
socket, a CURVE client with this worker's key pair and the proc's public key,
connected to the proc's `workers` endpoint. Sends READY (topic prefixes and
credit) whenever the connection is made, again after the proc restarted,
and after a DISCONNECT; answers each DELIVER with DONE, or with FAIL for
every Nth delivery when --fail-every N is given; answers PING with PONG and
sends PING when idle, at least every --heartbeat-ms (default 3000: keep it
under a third of the proc's heartbeat-timeout, or the proc counts the worker
as lost, and answers its PINGs without delivering to it). Prints one line per delivery, "DONE id attempt" or
"FAIL id attempt", and exits 0 after --count deliveries, or on Ctrl-C.

A fabric has several procs; a worker serves each of them with one socket
(run one worker.py per proc, or extend Worker to several sockets).
"""
import argparse
import signal
import sys
import time

import zmq
import zmq.utils.monitor


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


class Worker:
    def __init__(self, args):
        server_public, _ = read_cert(args.server_key_file)
        public, secret = read_cert(args.cert)
        if not secret:
            raise ValueError(f"{args.cert}: no secret-key")
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.curve_publickey = public
        self.socket.curve_secretkey = secret
        self.socket.curve_serverkey = server_public
        # Send only over a live connection: a READY queued for a dead one
        # would reach a restarted proc late, out of turn
        self.socket.immediate = 1
        self.socket.sndtimeo = 1000
        self.socket.linger = 1000
        # The monitor says when a connection is made, so that READY goes to
        # a proc that restarted (it has forgotten us) as well as to a new one
        self.monitor = self.socket.get_monitor_socket(
            zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        self.socket.connect(args.endpoint)
        self.endpoint = args.endpoint
        self.ready = [b"", b"PF1", b"READY", args.topics.encode(), str(args.credit).encode()]
        self.heartbeat = args.heartbeat_ms / 1000
        self.fail_every = args.fail_every
        self.refused = False    # our key was refused: said once
        self.handled = 0
        self.last_sent = time.monotonic()

    def send(self, *frames, wait=False):
        """Send one PF1 message, without waiting unless asked: without a
        connection it fails, and the proc delivers again what we could not
        answer. READY waits a little, as right after the handshake the
        socket may not have taken the connection yet."""
        try:
            self.socket.send_multipart([b"", b"PF1", *frames], 0 if wait else zmq.NOBLOCK)
            self.last_sent = time.monotonic()
        except zmq.Again:
            if frames[0] != b"PING":
                print(f"worker.py: cannot send {frames[0].decode()} to {self.endpoint}",
                      file=sys.stderr)

    def handle(self, mid, topic, key, attempt, payload):
        """The work itself. Returns None for DONE, else the FAIL reason."""
        self.handled += 1
        if self.fail_every and self.handled % self.fail_every == 0:
            return f"failing every {self.fail_every}th delivery on purpose"
        return None

    def on_message(self, frames):
        """Act on one message from the proc: frames after the routing."""
        if len(frames) < 3 or frames[0] != b"" or frames[1] != b"PF1":
            print("worker.py: ignoring a malformed message", file=sys.stderr)
            return False
        command, fields = frames[2], frames[3:]
        if command == b"DELIVER" and len(fields) == 5:
            mid, topic, key, attempt, payload = fields
            reason = self.handle(mid, topic, key, int(attempt), payload)
            if reason is None:
                self.send(b"DONE", mid)
            else:
                self.send(b"FAIL", mid, reason.encode())
            print(f"{'DONE' if reason is None else 'FAIL'} {mid.decode()} {attempt.decode()}",
                  flush=True)
            return True
        if command == b"PING":
            self.send(b"PONG")
        elif command == b"DISCONNECT":
            # The proc does not know us (it restarted, or we were silent too
            # long): it has taken back what we held; register again
            self.send(*self.ready[2:], wait=True)
        return False

    def on_event(self):
        event = zmq.utils.monitor.recv_monitor_message(self.monitor)
        if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self.refused = False
            self.send(*self.ready[2:], wait=True)
        elif not self.refused:
            self.refused = True
            print(f"worker.py: {self.endpoint} refused our key: is its public "
                  "certificate in the fabric's keys/workers/?", file=sys.stderr)

    def close(self):
        """Close the sockets, letting the last answers out (linger)."""
        self.socket.disable_monitor()
        self.monitor.close()
        self.socket.close()
        zmq.Context.instance().term()

    def run(self, count):
        """Serve until count deliveries (0: forever) or SIGINT/SIGTERM."""
        poller = zmq.Poller()
        poller.register(self.socket, zmq.POLLIN)
        poller.register(self.monitor, zmq.POLLIN)
        delivered = 0
        while not count or delivered < count:
            timeout = max(0.0, self.last_sent + self.heartbeat - time.monotonic())
            ready = dict(poller.poll(int(timeout * 1000) + 1))
            if self.monitor in ready:
                self.on_event()
            if self.socket in ready:
                while self.socket.poll(0, zmq.POLLIN):
                    if self.on_message(self.socket.recv_multipart()):
                        delivered += 1
            if time.monotonic() - self.last_sent >= self.heartbeat:
                # Any message is a sign of life; an idle worker sends PING
                self.send(b"PING")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", required=True,
                        help="the proc's workers endpoint, e.g. tcp://127.0.0.1:7611")
    parser.add_argument("--server-key-file", required=True,
                        help="the proc's certificate (keys/nodes/NAME.cert)")
    parser.add_argument("--cert", required=True,
                        help="this worker's key pair (keys/secret/worker.cert_secret)")
    parser.add_argument("--topics", default="", help="topic prefixes, comma-separated (default: all)")
    parser.add_argument("--credit", type=int, default=10, help="deliveries held at once (default 10)")
    parser.add_argument("--fail-every", type=int, default=0, help="answer FAIL to every Nth delivery")
    parser.add_argument("--count", type=int, default=0, help="exit after N deliveries")
    parser.add_argument("--heartbeat-ms", type=int, default=3000,
                        help="PING when idle this long (default 3000)")
    args = parser.parse_args()

    # SIGTERM stops like Ctrl-C: whatever is not answered, the proc delivers again
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        worker = Worker(args)
    except (OSError, ValueError, zmq.ZMQError) as error:
        print(f"worker.py: {error}", file=sys.stderr)
        return 1
    try:
        worker.run(args.count)
    except KeyboardInterrupt:
        pass
    worker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
