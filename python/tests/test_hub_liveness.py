"""Against a real hub: liveness is judged by this process's own clock and its own socket. A strategy so
slow that it works seconds behind the hub is never told "hub down"; a SIGKILLed hub is, once the
backlog is drained and nothing came for ``stale_after``."""
import json
import os
import signal
import time
import unittest

import mdhub

from .hubproc import Hub
from .support import Recorder

#: The strategy's work per tick: about half the hub's rate (~400 ticks/s), so it falls behind steadily.
WORK_PER_TICK = 0.005
STALE_AFTER = 2.0


class LivenessTest(unittest.TestCase):
    def setUp(self) -> None:
        self.hub = Hub(hub_id="pylive").start()
        self.addCleanup(self.hub.cleanup)

    def test_slow_consumer_is_never_down_and_a_killed_hub_is_once_drained(self) -> None:
        rec = Recorder()
        client = mdhub.Client(self.hub.pub, self.hub.snapshot, stale_after=STALE_AFTER)
        self.addCleanup(client.close)
        client.subscribe("*")
        max_lag = 0.0
        killed_at = None
        started = time.monotonic()
        last_tick_at = None
        while True:
            item = client.next(0.2)
            now = time.monotonic()
            if item is not None:
                rec.add(item)
            if isinstance(item, mdhub.Tick):
                last_tick_at = now
                if not item.from_snapshot:
                    max_lag = max(max_lag, time.time() - item.hub_pub_ts / 1e6)
                time.sleep(WORK_PER_TICK)
            if isinstance(item, mdhub.HubDown):
                break
            if killed_at is None and now - started > 6.0:
                os.kill(self.hub.proc.pid, signal.SIGKILL)
                killed_at = now
            self.assertLess(now - started, 60, "no HubDown within a minute")
        down_at = rec.items[-1][0]
        down: mdhub.HubDown = rec.items[-1][1]
        downs = rec.events(mdhub.HubDown)
        print(json.dumps({"python_e2e": "liveness", "ticks": len(rec.ticks), "max_lag_s": round(max_lag, 2),
                          "backlog_drained_s_after_kill": round(last_tick_at - killed_at, 2),
                          "down_s_after_last_tick": round(down_at - last_tick_at, 2), "silent_for": round(down.silent_for, 2)}))
        self.assertGreater(max_lag, STALE_AFTER + 0.5, "the consumer did lag well past stale_after behind the hub")
        self.assertEqual(len(downs), 1, "never down while working through the backlog")
        self.assertGreater(last_tick_at - killed_at, STALE_AFTER, "the hub was dead longer than stale_after while the backlog was still read")
        # Down once the socket was read empty and nothing had come for stale_after (its last message may be
        # a batch whose ticks the strategy was still working through, so the last tick can be nearer).
        self.assertGreaterEqual(down.silent_for, STALE_AFTER)
        self.assertLess(down_at - last_tick_at, STALE_AFTER + 1.0)
        self.assertIs(client.hub_up, False)


if __name__ == "__main__":
    unittest.main()
