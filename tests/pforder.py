"""pforder.py - per-key order in a pfworker.py ledger.

The test messages' payloads are NAME.N, pushed in order of N per key.
Prints "KEYS DISORDER OVERLAP": how many payload names were delivered, how
many of them arrived out of order at least once, and how many times two
deliveries of one key were held by workers at the same time.

usage: pforder.py LEDGER
"""
import sys
import collections


def main(path):
    lines = [line.split() for line in open(path)]
    lines.sort(key=lambda fields: float(fields[0]))
    seen, spans = collections.defaultdict(list), collections.defaultdict(list)
    for received, answered, _rid, key, _attempt, payload, _status, _proc in lines:
        name, number = payload.split(".")
        seen[name].append(int(number))
        spans[key].append((float(received), float(answered)))
    overlap = 0
    for key_spans in spans.values():
        key_spans.sort()
        for (_a0, a1), (b0, _b1) in zip(key_spans, key_spans[1:]):
            if b0 < a1 - 0.0005:
                overlap += 1
    disorder = sum(1 for numbers in seen.values() if numbers != sorted(numbers))
    print(len(seen), disorder, overlap)


if __name__ == "__main__":
    main(sys.argv[1])
