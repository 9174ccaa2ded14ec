"""Against a real hub: the batch stream (wire v1.1). A ``*`` client picks it by itself when the heartbeat
announces ``batch`` and receives the same ticks, in the same order per instrument, as a client held on the
per-tick topics over the same window — in far fewer messages."""
import json
import threading
import time
import unittest

import mdhub

from .hubproc import Hub
from .support import Recorder, pump, pump_until, stream_problems

WINDOW_S = 6.0


class BatchStreamTest(unittest.TestCase):
    def setUp(self) -> None:
        self.hub = Hub(hub_id="pybatch").start()
        self.addCleanup(self.hub.cleanup)

    def test_star_client_takes_the_batch_stream_and_sees_the_per_tick_stream(self) -> None:
        batched = mdhub.Client(self.hub.pub, self.hub.snapshot)
        per_tick = mdhub.Client(self.hub.pub, self.hub.snapshot, batch=False)
        self.addCleanup(batched.close)
        self.addCleanup(per_tick.close)
        recs = {"batch": Recorder(), "tick": Recorder()}
        for name, client in (("batch", batched), ("tick", per_tick)):
            client.subscribe("*")
            pump_until(client, recs[name], f"the {name} client's join and first heartbeat",
                       lambda r=recs[name], c=client: bool(r.events(mdhub.SnapshotApplied)) and c.heartbeat is not None)
        features = tuple(batched.heartbeat.get("features") or ())
        if "batch" not in features:
            self.fail(f"the hub does not announce the batch stream: heartbeat features are {list(features)}, "
                      f"expected 'batch' (wire v1.1, docs/wire-protocol.md); heartbeat: {batched.heartbeat}")

        threads = [threading.Thread(target=pump, args=(c, recs[n], WINDOW_S)) for n, c in (("batch", batched), ("tick", per_tick))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(0.1)

        self.assertIs(batched.batch_stream, True)
        self.assertIs(per_tick.batch_stream, False)
        self.assertEqual([e.stream for e in recs["batch"].events(mdhub.StreamSelected)], ["batch"])
        self.assertEqual(recs["tick"].events(mdhub.StreamSelected), [])
        for name, rec in recs.items():
            self.assertEqual(stream_problems(rec.ticks), [], name)
            self.assertEqual(rec.events(mdhub.Gap), [], name)

        # Per instrument, over the iseq range both saw live: the same states in the same order.
        def by_instrument(rec: Recorder) -> dict[str, list[tuple]]:
            out: dict[str, list[tuple]] = {}
            for t in rec.ticks:
                if not t.from_snapshot:
                    out.setdefault(t.vt_symbol, []).append((t.iseq, t.seq, t.datetime, t.volume, t.last_price, t.bid_price_1, t.ask_price_1, t.source))
            return out

        a, b = by_instrument(recs["batch"]), by_instrument(recs["tick"])
        compared = 0
        for vt in sorted(set(a) & set(b)):
            lo = max(a[vt][0][0], b[vt][0][0])
            hi = min(a[vt][-1][0], b[vt][-1][0])
            sa = [x for x in a[vt] if lo <= x[0] <= hi]
            sb = [x for x in b[vt] if lo <= x[0] <= hi]
            self.assertEqual(sa, sb, vt)
            compared += len(sa)
        self.assertGreater(compared, 1000)
        sa_, sb_ = batched.stats(), per_tick.stats()
        print(json.dumps({"python_e2e": "batch-stream", "features": list(features), "ticks_compared": compared,
                          "instruments": len(set(a) & set(b)), "batch_messages": sa_["messages"], "batch_ticks": sa_["ticks"],
                          "per_tick_messages": sb_["messages"], "per_tick_ticks": sb_["ticks"]}))
        self.assertLess(sa_["messages"], 0.7 * sb_["messages"], "the batch stream carries the same ticks in fewer messages")


if __name__ == "__main__":
    unittest.main()
