#!/usr/bin/env python3
"""Subscribe to an mdhub tick stream with pyzmq + msgpack (no mdhub code needed).

    /usr/bin/python3 examples/python/subscriber.py                       # every tick, default endpoint
    /usr/bin/python3 examples/python/subscriber.py rb2601.SHFE '*.CZCE'  # one instrument, one exchange
    /usr/bin/python3 examples/python/subscriber.py --endpoint tcp://127.0.0.1:7701 --count 10 --json '*'

Debian: apt-get install python3-zmq python3-msgpack. See docs/wire-protocol.md.
"""
import argparse
import datetime as dt
import json
import sys
import time

import msgpack
import zmq

CST = dt.timezone(dt.timedelta(hours=8))
EXCHANGES = {"SHFE", "DCE", "CZCE", "CFFEX", "INE", "GFEX", "SSE", "SZSE"}


def topic_prefix(pattern: str) -> bytes:
    """rb2601.SHFE -> b'tick.SHFE.rb2601.'; *.SHFE -> b'tick.SHFE.'; * -> b'tick.'"""
    if pattern in ("*", "*.*"):
        return b"tick."
    symbol, _, exchange = pattern.rpartition(".")
    if exchange not in EXCHANGES or not symbol:
        raise SystemExit(f"bad pattern {pattern!r}: use SYMBOL.EXCHANGE, *.EXCHANGE or *")
    if symbol == "*":
        return f"tick.{exchange}.".encode()
    return f"tick.{exchange}.{symbol}.".encode()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("patterns", nargs="*", default=["*"])
    ap.add_argument("--endpoint", default="tcp://127.0.0.1:7701")
    ap.add_argument("--count", type=int, default=0, help="exit after N ticks (0 = run until Ctrl-C)")
    ap.add_argument("--timeout", type=float, default=0, help="exit with status 3 if no tick within N seconds")
    ap.add_argument("--json", action="store_true", help="print one JSON object per tick")
    args = ap.parse_args()

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 1_000_000)
    sub.connect(args.endpoint)
    for p in args.patterns:
        sub.setsockopt(zmq.SUBSCRIBE, topic_prefix(p))
    sub.setsockopt(zmq.SUBSCRIBE, b"heartbeat")

    n = 0
    started = time.monotonic()
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    try:
        while args.count == 0 or n < args.count:
            # Checked on every turn: heartbeats keep arriving, so a quiet poll may never come.
            if args.timeout and n == 0 and time.monotonic() - started > args.timeout:
                print("no tick received", file=sys.stderr)
                return 3
            if not poller.poll(500):
                continue
            topic, payload = sub.recv_multipart()
            msg = msgpack.unpackb(payload, raw=False)
            if topic == b"heartbeat":
                continue
            n += 1
            if args.json:
                print(json.dumps(msg, ensure_ascii=False), flush=True)
                continue
            # vn.py users: datetime is epoch milliseconds of the exchange timestamp (Asia/Shanghai).
            when = dt.datetime.fromtimestamp(msg["datetime"] / 1000, CST)
            print(
                f"{when:%H:%M:%S.%f}"[:-3],
                f"{msg['symbol']}.{msg['exchange']:<6}",
                f"last={msg['last_price']:<10g} vol={msg['volume']:<10g}",
                f"bid={msg['bid_price_1']:g}x{msg['bid_volume_1']:g} ask={msg['ask_price_1']:g}x{msg['ask_volume_1']:g}",
                f"seq={msg['seq']} src={msg['source']}",
                flush=True,
            )
    except KeyboardInterrupt:
        pass
    finally:
        sub.close(0)
        ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
