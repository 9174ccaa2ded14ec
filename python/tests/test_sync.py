"""The merge of snapshots and live ticks, without sockets: what the wire doc's join rules promise."""
import unittest
from typing import Any, Optional

from mdhub.events import Gap, HubRestart, InstrumentState, SnapshotApplied, SnapshotFailed
from mdhub.patterns import Subscriptions, parse_pattern
from mdhub.sync import Sequencer
from mdhub.tick import Tick

BASE_MS = 1795570500000


def wire(vt: str, iseq: int, seq: int, run: str = "r1", **kw: Any) -> dict[str, Any]:
    symbol, exchange = vt.rsplit(".", 1)
    return {"symbol": symbol, "exchange": exchange, "datetime": BASE_MS + seq * 500, "localtime": BASE_MS + seq * 500 + 3,
            "iseq": iseq, "seq": seq, "run_id": run, "last_price": float(iseq), **kw}


class Harness:
    def __init__(self, *patterns: str) -> None:
        self.subs = Subscriptions()
        self.seq = Sequencer(self.subs)
        self.subscribe(*patterns)

    def subscribe(self, *patterns: str) -> None:
        added = self.subs.add([parse_pattern(p) for p in patterns])
        self.seq.join(added, "join")

    def tick(self, m: dict[str, Any]) -> None:
        if self.seq.on_run(m["run_id"]):
            self.seq.on_tick(m, 1)

    def request(self) -> int:
        reqs = self.seq.unsent()
        assert len(reqs) == 1, reqs
        reqs[0].sent_at = 0.0
        return reqs[0].id

    def reply(self, req_id: int, ticks: list[dict[str, Any]], seq: int, run: str = "r1", states: Optional[dict[str, str]] = None) -> None:
        self.seq.on_reply(req_id, {"ok": True, "run_id": run, "seq": seq, "ticks": ticks, "states": states or {}}, 2)

    def drain(self) -> list[Any]:
        out = list(self.seq.out)
        self.seq.out.clear()
        return out

    def delivered(self) -> list[tuple[str, int, bool]]:
        return [(t.vt_symbol, t.iseq, t.from_snapshot) for t in self.drain() if isinstance(t, Tick)]


class JoinTest(unittest.TestCase):
    def test_live_ticks_wait_for_the_snapshot_and_merge_without_hole_or_duplicate(self) -> None:
        h = Harness("rb2701.SHFE")
        rid = h.request()
        self.assertEqual(h.seq.requests[rid].payload(), {"op": "last", "id": rid, "instruments": ["rb2701.SHFE"]})
        for iseq, seq in ((5, 50), (6, 51), (7, 52)):
            h.tick(wire("rb2701.SHFE", iseq, seq))
        self.assertEqual(h.delivered(), [])  # held until the reply
        h.reply(rid, [wire("rb2701.SHFE", 6, 51)], seq=51)
        self.assertEqual(h.delivered(), [("rb2701.SHFE", 6, True), ("rb2701.SHFE", 7, False)])
        h.tick(wire("rb2701.SHFE", 8, 53))
        self.assertEqual(h.delivered(), [("rb2701.SHFE", 8, False)])

    def test_an_instrument_the_snapshot_does_not_name_starts_at_iseq_one(self) -> None:
        h = Harness("*.DCE")
        rid = h.request()
        self.assertNotIn("instruments", h.seq.requests[rid].payload())  # wide: ask for all, filter here
        h.tick(wire("c2701.DCE", 1, 10))
        h.reply(rid, [wire("m2701.DCE", 3, 9), wire("rb2701.SHFE", 4, 8)], seq=9)
        self.assertEqual(h.delivered(), [("c2701.DCE", 1, False), ("m2701.DCE", 3, True)])
        h.tick(wire("jd2701.DCE", 1, 11))  # first seen after the join: iseq 1 is right
        h.tick(wire("p2701.DCE", 2, 12))  # its iseq 1 was lost
        out = h.drain()
        self.assertEqual([(t.vt_symbol, t.iseq) for t in out if isinstance(t, Tick)], [("jd2701.DCE", 1)])
        gaps = [e for e in out if isinstance(e, Gap)]
        self.assertEqual([(g.instrument, g.expected, g.got, g.cause) for g in gaps], [("p2701.DCE", 1, 2, "iseq")])

    def test_product_pattern_filters_other_products_on_the_same_topic_prefix(self) -> None:
        h = Harness("c*.DCE")
        h.reply(h.request(), [], seq=0)
        h.tick(wire("c2701.DCE", 1, 1))
        h.tick(wire("cs2701.DCE", 1, 2))
        self.assertEqual(h.delivered(), [("c2701.DCE", 1, False)])

    def test_duplicates_from_overlapping_streams_are_dropped(self) -> None:
        h = Harness("*.SHFE", "rb2701.SHFE")
        h.reply(h.request(), [], seq=0)
        for m in (wire("rb2701.SHFE", 1, 1), wire("rb2701.SHFE", 1, 1), wire("rb2701.SHFE", 2, 2), wire("rb2701.SHFE", 2, 2)):
            h.tick(m)
        self.assertEqual(h.delivered(), [("rb2701.SHFE", 1, False), ("rb2701.SHFE", 2, False)])
        self.assertEqual(h.seq.counters["duplicates"], 2)


class GapTest(unittest.TestCase):
    def test_an_iseq_jump_is_a_gap_and_the_instrument_is_fetched_again(self) -> None:
        h = Harness("rb2701.SHFE", "cu2701.SHFE")
        h.reply(h.request(), [wire("rb2701.SHFE", 1, 1), wire("cu2701.SHFE", 1, 2)], seq=2)
        h.drain()
        h.tick(wire("rb2701.SHFE", 4, 7))
        h.tick(wire("cu2701.SHFE", 5, 8))  # two gaps in one burst: one request
        h.tick(wire("rb2701.SHFE", 5, 9))
        out = h.drain()
        self.assertEqual([(g.instrument, g.expected, g.got) for g in out if isinstance(g, Gap)], [("rb2701.SHFE", 2, 4), ("cu2701.SHFE", 2, 5)])
        rid = h.request()
        self.assertEqual(h.seq.requests[rid].payload()["instruments"], ["cu2701.SHFE", "rb2701.SHFE"])
        h.reply(rid, [wire("rb2701.SHFE", 5, 9), wire("cu2701.SHFE", 5, 8)], seq=9)
        out = h.drain()
        # The snapshot's state first, then only live ticks newer than it (the doc's rule).
        self.assertEqual([(t.vt_symbol, t.iseq, t.from_snapshot) for t in out if isinstance(t, Tick)], [("rb2701.SHFE", 5, True), ("cu2701.SHFE", 5, True)])
        applied = [e for e in out if isinstance(e, SnapshotApplied)]
        self.assertEqual((applied[0].reason, applied[0].instruments), ("gap", 2))

    def test_seq_hole_of_a_star_subscription_refetches_everything(self) -> None:
        h = Harness("*")
        h.reply(h.request(), [wire("rb2701.SHFE", 1, 1)], seq=1)
        h.drain()
        h.tick(wire("cu2701.SHFE", 1, 2))
        h.seq.on_heartbeat({"seq": 2})
        h.tick(wire("au2612.SHFE", 1, 4))  # seq 3 (of an instrument that does not tick again) was lost
        h.seq.on_heartbeat({"seq": 4})
        self.assertFalse(any(isinstance(e, Gap) for e in h.drain()))  # one heartbeat of slack
        h.seq.on_heartbeat({"seq": 4})
        gaps = [e for e in h.drain() if isinstance(e, Gap)]
        self.assertEqual([(g.instrument, g.cause, g.expected, g.got) for g in gaps], [(None, "seq", 3, 4)])
        rid = h.request()
        h.tick(wire("rb2701.SHFE", 2, 5))
        self.assertEqual(h.delivered(), [])  # every instrument waits for the reply
        h.reply(rid, [wire("rb2701.SHFE", 1, 1), wire("cu2701.SHFE", 1, 2), wire("ag2612.SHFE", 1, 3), wire("au2612.SHFE", 1, 4)], seq=4)
        self.assertEqual(h.delivered(), [("rb2701.SHFE", 2, False), ("ag2612.SHFE", 1, True)])

    def test_states_replaced_naming_a_held_instrument_is_a_gap(self) -> None:
        h = Harness("rb2701.SHFE")
        h.reply(h.request(), [wire("rb2701.SHFE", 3, 3)], seq=3)
        h.drain()
        self.assertFalse(h.seq.on_status({"kind": "states_replaced", "instruments": ["rb2701.SHFE", "cu2701.SHFE"]}))
        gaps = [e for e in h.drain() if isinstance(e, Gap)]
        self.assertEqual([(g.instrument, g.cause) for g in gaps], [("rb2701.SHFE", "states_replaced")])
        self.assertEqual(h.seq.requests[h.request()].names, {"rb2701.SHFE"})

    def test_a_service_that_never_answers_releases_the_held_ticks(self) -> None:
        h = Harness("rb2701.SHFE")
        rid = h.request()
        h.tick(wire("rb2701.SHFE", 7, 7))
        h.tick(wire("rb2701.SHFE", 8, 8))
        h.seq.give_up(rid, "no reply")
        out = h.drain()
        self.assertIsInstance(out[0], SnapshotFailed)
        self.assertEqual([(t.vt_symbol, t.iseq) for t in out if isinstance(t, Tick)], [("rb2701.SHFE", 7), ("rb2701.SHFE", 8)])


class RestartTest(unittest.TestCase):
    def test_new_run_resets_and_joins_again_and_old_run_messages_are_dropped(self) -> None:
        h = Harness("rb2701.SHFE")
        h.reply(h.request(), [wire("rb2701.SHFE", 9, 9)], seq=9)
        h.drain()
        h.tick(wire("rb2701.SHFE", 1, 1, run="r2"))
        out = h.drain()
        self.assertEqual(out, [HubRestart("r1", "r2")])
        h.tick(wire("rb2701.SHFE", 10, 10, run="r1"))  # still in the socket from the old run
        rid = h.request()
        h.reply(rid, [wire("rb2701.SHFE", 1, 1, run="r2")], seq=1, run="r2")
        self.assertEqual(h.delivered(), [("rb2701.SHFE", 1, True)])
        self.assertEqual(h.seq.counters["stale_run_dropped"], 1)

    def test_a_reply_from_a_new_run_is_a_restart_too(self) -> None:
        h = Harness("rb2701.SHFE")
        h.reply(h.request(), [], seq=0)
        h.tick(wire("rb2701.SHFE", 1, 1))
        h.drain()
        h.seq.on_status({"kind": "states_replaced", "instruments": ["rb2701.SHFE"]})
        rid = h.request()
        h.reply(rid, [wire("rb2701.SHFE", 1, 1, run="r2")], seq=1, run="r2")
        self.assertIn(HubRestart("r1", "r2"), h.drain())
        self.assertEqual(h.seq.unsent()[0].reason, "restart")


class StateTest(unittest.TestCase):
    def test_data_state_changes_become_events_once(self) -> None:
        h = Harness("*.SHFE")
        h.reply(h.request(), [wire("rb2701.SHFE", 1, 1), wire("cu2701.SHFE", 1, 2)], seq=2, states={"rb2701.SHFE": "stale", "cu2701.SHFE": "ok"})
        self.assertEqual([e for e in h.drain() if isinstance(e, InstrumentState)], [InstrumentState("rb2701.SHFE", "stale", "snapshot", "snapshot")])
        h.seq.on_status({"kind": "instrument_state", "vt_symbol": "rb2701.SHFE", "state": "stale", "reason": "x"})
        h.seq.on_status({"kind": "instrument_state", "vt_symbol": "rb2701.SHFE", "state": "ok", "reason": "fed again"})
        h.seq.on_status({"kind": "instrument_state", "vt_symbol": "c2701.DCE", "state": "stale", "reason": "not mine"})
        self.assertEqual(h.drain(), [InstrumentState("rb2701.SHFE", "ok", "fed again", "status")])


if __name__ == "__main__":
    unittest.main()
