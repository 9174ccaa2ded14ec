"""Against a real hub on simulated sources: joining a running stream with a snapshot, with no hole and no
duplicate, checked against the simulator's ground-truth tape; narrow, product and run-time subscriptions."""
import json
import time
import unittest

import mdhub

from .hubproc import Hub
from .support import Recorder, hub_last, pump, pump_until, state_differences, stream_problems, tape_check


class SnapshotMergeTest(unittest.TestCase):
    hub: Hub

    @classmethod
    def setUpClass(cls) -> None:
        cls.hub = Hub(hub_id="pymerge").start()
        time.sleep(2.0)  # the client joins a stream that has been running: instruments have states

    @classmethod
    def tearDownClass(cls) -> None:
        cls.hub.cleanup()

    def test_join_mid_stream_delivers_the_tape_without_hole_or_duplicate(self) -> None:
        rec = Recorder()
        with mdhub.Client(self.hub.pub, self.hub.snapshot) as client:
            client.subscribe("*")
            pump(client, rec, 9.0)
            stats = client.stats()
        ticks = rec.ticks
        applied = rec.events(mdhub.SnapshotApplied)
        self.assertEqual([a.reason for a in applied], ["join"])
        first_tick_at = next(i for i, (_, item) in enumerate(rec.items) if isinstance(item, mdhub.Tick))
        applied_at = next(i for i, (_, item) in enumerate(rec.items) if isinstance(item, mdhub.SnapshotApplied))
        self.assertLess(first_tick_at, applied_at, "the snapshot's states come first, then SnapshotApplied")
        self.assertGreater(applied[0].delivered, 100)
        self.assertEqual(rec.events(mdhub.Gap), [])
        self.assertEqual(stream_problems(ticks), [])
        snapshot_ticks = [i for i, (_, item) in enumerate(rec.items) if isinstance(item, mdhub.Tick) and item.from_snapshot]
        self.assertEqual(len(snapshot_ticks), applied[0].delivered)
        self.assertLess(max(snapshot_ticks), applied_at)
        tape = tape_check(self.hub, ticks)
        print(json.dumps({"python_e2e": "snapshot-merge", "ticks": len(ticks), "snapshot_states": applied[0].delivered,
                          "expected_in_window": tape["expected"], "duplicates_dropped": stats["duplicates"],
                          "stream": "batch" if client.batch_stream else "tick"}))
        self.assertGreater(tape["expected"], 1000)
        self.assertEqual(tape["missing"], [], f"{tape['missing_count']} tape states missing")
        self.assertEqual(tape["duplicates"], [])
        self.assertEqual(tape["invented"], [])

    def test_narrow_product_and_run_time_subscriptions(self) -> None:
        rec = Recorder()
        with mdhub.Client(self.hub.pub, self.hub.snapshot) as client:
            client.subscribe("rb2701.SHFE", "c*.DCE")
            pump(client, rec, 3.0)
            got = {t.vt_symbol for t in rec.ticks}
            self.assertIn("rb2701.SHFE", got)
            self.assertTrue(any(mdhub.product_of(vt.split(".")[0], "DCE") == "c" for vt in got if vt.endswith(".DCE")), got)
            self.assertEqual({vt for vt in got if vt != "rb2701.SHFE" and mdhub.product_of(vt.split(".")[0], "DCE") != "c"}, set(),
                             "c*.DCE is corn only: never cs (corn starch), never another product")

            # At run time: one exchange more (joined with its own snapshot), corn no more.
            client.subscribe("*.CZCE")
            client.unsubscribe("c*.DCE")
            mark = len(rec.items)
            pump_until(client, rec, "the CZCE join", lambda: any(isinstance(e, mdhub.SnapshotApplied) for _, e in rec.items[mark:]))
            pump(client, rec, 3.0)
            later = [t for _, t in rec.items[mark:] if isinstance(t, mdhub.Tick)]
            self.assertTrue(any(t.exchange == "CZCE" and t.from_snapshot for t in later))
            self.assertTrue(any(t.exchange == "CZCE" and not t.from_snapshot for t in later))
            self.assertEqual([t.vt_symbol for t in later if t.exchange == "DCE"], [])
            self.assertEqual(stream_problems(rec.ticks), [])
            self.assertEqual(sorted(client.patterns), ["*.CZCE", "rb2701.SHFE"])

            # What the client holds is the hub's own state: compare with the service at the same iseq.
            hub = hub_last(self.hub, ["rb2701.SHFE"])["ticks"][0]
            pump_until(client, rec, "the client to reach the hub's state", lambda: rec.last_by_instrument()["rb2701.SHFE"].iseq >= hub["iseq"])
            mine = next(t for t in rec.ticks if t.vt_symbol == "rb2701.SHFE" and t.iseq == hub["iseq"])
            self.assertEqual(state_differences(mine, hub), [])
            self.assertIsNotNone(client.heartbeat)
            self.assertEqual(client.run_id, self.hub.ready["runId"])


if __name__ == "__main__":
    unittest.main()
