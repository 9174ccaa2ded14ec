"""Against real hubs: the hub is stopped and a new one starts on the same data folder and ports. The
client must see the new run_id, say so (HubRestart), forget the old sequence numbers and join the new run
with a fresh snapshot; its subscriptions carry on without being made again."""
import json
import time
import unittest

import mdhub

from .hubproc import Hub, free_ports
from .support import Recorder, pump, pump_until, stream_problems


class RestartTest(unittest.TestCase):
    def test_new_run_is_detected_and_joined_with_a_fresh_snapshot(self) -> None:
        pub_port, snap_port = free_ports(2)
        endpoints = {"pub": f"tcp://127.0.0.1:{pub_port}", "snapshot": f"tcp://127.0.0.1:{snap_port}"}
        first = Hub(hub_id="pyrestart", **endpoints).start()
        self.addCleanup(first.cleanup)
        rec = Recorder()
        client = mdhub.Client(first.pub, first.snapshot)
        self.addCleanup(client.close)
        client.subscribe("*.SHFE", "SR701.CZCE")
        pump_until(client, rec, "the join", lambda: bool(rec.events(mdhub.SnapshotApplied)))
        pump(client, rec, 1.5)
        run1 = first.ready["runId"]
        self.assertEqual(client.run_id, run1)

        self.assertEqual(first.stop(), 0)
        second = Hub(data_dir=first.data_dir, hub_id="pyrestart", **endpoints).start()
        self.addCleanup(second.stop)
        run2 = second.ready["runId"]
        self.assertNotEqual(run1, run2)
        # Busy elsewhere for a while: libzmq reconnects by itself, the new run's ticks queue up, and the
        # client meets the new run in the middle of its stream (instruments already past iseq 1).
        time.sleep(2.0)
        pump_until(client, rec, "the restart snapshot",
                   lambda: any(isinstance(e, mdhub.SnapshotApplied) and e.reason == "restart" for e in rec.events()), timeout=30)
        pump(client, rec, 2.0)

        restarts = rec.events(mdhub.HubRestart)
        self.assertEqual(restarts, [mdhub.HubRestart(run1, run2)])
        at = next(i for i, (_, e) in enumerate(rec.items) if isinstance(e, mdhub.HubRestart))
        after = [t for _, t in rec.items[at:] if isinstance(t, mdhub.Tick)]
        before = [t for _, t in rec.items[:at] if isinstance(t, mdhub.Tick)]
        self.assertEqual({t.run_id for t in before}, {run1})
        self.assertEqual({t.run_id for t in after}, {run2}, "nothing of the old run after the restart")
        restart_snapshot = next(e for e in rec.events(mdhub.SnapshotApplied) if e.reason == "restart")
        self.assertEqual(restart_snapshot.run_id, run2)
        self.assertGreater(restart_snapshot.delivered, 0)
        self.assertEqual(sum(t.from_snapshot for t in after), restart_snapshot.delivered)
        self.assertTrue(any(t.vt_symbol == "SR701.CZCE" and not t.from_snapshot for t in after), "the narrow subscription carries on")
        self.assertTrue(any(t.exchange == "SHFE" and not t.from_snapshot for t in after), "the exchange subscription carries on")
        self.assertEqual(stream_problems(before), [])
        self.assertEqual(stream_problems(after), [], "the new run joined from its snapshot, iseq contiguous from there")
        self.assertEqual(rec.events(mdhub.Gap), [])
        downs = rec.events(mdhub.HubDown)
        print(json.dumps({"python_e2e": "hub-restart", "ticks_run1": len(before), "ticks_run2": len(after),
                          "restart_snapshot_states": restart_snapshot.delivered, "hub_down_events": len(downs),
                          "hub_up_events": len(rec.events(mdhub.HubUp))}))


if __name__ == "__main__":
    unittest.main()
