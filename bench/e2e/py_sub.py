"""pyzmq subscriber of the end-to-end benchmark (what a vn.py user runs).

    /usr/bin/python3 py_sub.py ENDPOINT FROM_NS TO_NS STOP_NS PREFIX...

A PREFIX starting with `batch.` takes the batch stream (wire v1.1): one message per exchange and publish
turn, a map whose `ticks` are the per-tick maps.

FROM_NS / TO_NS / STOP_NS are CLOCK_MONOTONIC nanoseconds (the same clock as Node's
process.hrtime.bigint()). FROM_NS 0: the window is not known yet; it arrives later as one line
"FROM_NS TO_NS STOP_NS" on standard input (the bench starts the subscriber before the hub has settled). Latency of a tick = receive time in epoch µs − gw_recv_ts, where the receive
time is time.clock_gettime_ns(CLOCK_MONOTONIC) taken after msgpack.unpackb, converted to epoch µs with
this process's own epoch − monotonic offset (CLOCK_REALTIME read between two CLOCK_MONOTONIC reads,
tightest of many tries). Prints one JSON line and exits after STOP_NS.
"""
import json
import select
import sys
import time

import msgpack
import zmq

CM = time.CLOCK_MONOTONIC
mono = time.clock_gettime_ns


def offset_us():
    best = None
    for _ in range(2000):
        a = mono(CM)
        r = time.time_ns()
        b = mono(CM)
        gap = b - a
        if best is None or gap < best[0]:
            best = (gap, r - (a + b) // 2)
    return best[1] / 1000.0, best[0] / 1000.0


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0
    i = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[i]


def main():
    endpoint = sys.argv[1]
    from_ns, to_ns, stop_ns = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    prefixes = sys.argv[5:] or ["tick."]
    off, off_gap = offset_us()
    ctx = zmq.Context()
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.RCVHWM, 1000000)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    for p in prefixes:
        s.setsockopt(zmq.SUBSCRIBE, p.encode())
    print(json.dumps({"t": "ready", "offset_us": off}), flush=True)
    lat = []
    received = 0
    in_window = 0
    unpack = msgpack.unpackb
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    waiting = from_ns == 0
    stdin_fd = sys.stdin.fileno()
    if waiting:
        stop_ns = 1 << 62

    def read_window():
        """The window line, once it is there (checked without blocking, also while draining)."""
        nonlocal from_ns, to_ns, stop_ns, waiting
        if not select.select([stdin_fd], [], [], 0)[0]:
            return True
        line = sys.stdin.readline()
        if not line:
            return False  # the bench went away
        from_ns, to_ns, stop_ns = (int(x) for x in line.split())
        waiting = False
        return True

    while True:
        if waiting and not read_window():
            break
        now = mono(CM)
        if now >= stop_ns:
            break
        if not poller.poll(100):
            continue
        n = 0
        while True:
            try:
                frames = s.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            m = unpack(frames[1], raw=False)
            t = mono(CM)
            if frames[0].startswith(b"batch."):
                # the batch stream: every tick of the message is in hand once it is unpacked
                ticks = m["ticks"]
                received += len(ticks)
                if from_ns <= t <= to_ns:
                    in_window += len(ticks)
                    now_us = t / 1000.0 + off
                    lat.extend(now_us - x["gw_recv_ts"] for x in ticks)
            else:
                received += 1
                if from_ns <= t <= to_ns:
                    in_window += 1
                    lat.append(t / 1000.0 + off - m["gw_recv_ts"])
            n += 1
            if (n & 255) == 0:
                if waiting and not read_window():
                    break
                if t >= stop_ns:
                    break
    lat.sort()
    secs = (to_ns - from_ns) / 1e9
    out = {
        "t": "result",
        "p50_us": round(pct(lat, 50), 1),
        "p99_us": round(pct(lat, 99), 1),
        "p999_us": round(pct(lat, 99.9), 1),
        "max_us": round(lat[-1], 1) if lat else 0,
        "received": received,
        "in_window": in_window,
        "rate_per_s": round(in_window / secs, 1) if secs > 0 else 0,
        "offset_us": off,
        "offset_read_gap_us": off_gap,
        "negative": sum(1 for x in lat if x < 0),
    }
    print(json.dumps(out), flush=True)
    s.close()
    ctx.term()


if __name__ == "__main__":
    main()
