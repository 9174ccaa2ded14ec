"""Tick conversion: vn.py field names, aware Asia/Shanghai datetimes, unknown wire keys ignored."""
import unittest
from datetime import datetime

import msgpack

from mdhub.latency import LatencyStats
from mdhub.tick import SHANGHAI, Tick


def sample() -> dict:
    return {"symbol": "rb2701", "exchange": "SHFE", "datetime": 1795570503500, "localtime": 1795570503505, "trading_day": "20261125",
            "name": "螺纹钢2701", "volume": 446090.0, "last_price": 3002.0, "bid_price_1": 3002.0, "ask_volume_5": 2.0, "seq": 1172, "iseq": 7,
            "gw_recv_ts": 1796505060270278, "hub_recv_ts": 1796505060270412, "hub_pub_ts": 1796505060270514, "gateway_name": "sim-a",
            "source": "sim-a", "run_id": "r1", "a_key_from_a_newer_hub": [1, 2]}


class TickTest(unittest.TestCase):
    def test_from_wire(self) -> None:
        t = Tick.from_wire(msgpack.unpackb(msgpack.packb(sample()), raw=False), recv_ts=1796505060271514)
        self.assertEqual(t.vt_symbol, "rb2701.SHFE")
        self.assertEqual(t.datetime, datetime(2026, 11, 25, 9, 35, 3, 500000, tzinfo=SHANGHAI))
        self.assertEqual(t.datetime.utcoffset().total_seconds(), 8 * 3600)
        self.assertIsInstance(t.localtime, datetime)
        self.assertEqual(t.localtime.tzinfo, SHANGHAI)
        self.assertIsInstance(t.last_price, float)
        self.assertEqual((t.iseq, t.seq, t.name, t.trading_day), (7, 1172, "螺纹钢2701", "20261125"))
        self.assertEqual(t.open_price, 0.0)  # absent price: 0, as vn.py compares
        self.assertFalse(t.from_snapshot)
        self.assertFalse(hasattr(t, "__dict__"))  # slots

    def test_to_wire_round_trip(self) -> None:
        m = sample()
        w = Tick.from_wire(m).to_wire()
        for k, v in m.items():
            if k != "a_key_from_a_newer_hub":
                self.assertEqual(w[k], v, k)

    def test_latency_from_hub_stamps(self) -> None:
        stats = LatencyStats()
        stats.add(Tick.from_wire(sample(), recv_ts=1796505060271514))
        stats.add(Tick.from_wire(sample(), recv_ts=1796505060271514, from_snapshot=True))  # not counted
        s = stats.summary()
        self.assertEqual(s["hop"]["count"], 1)
        self.assertAlmostEqual(s["hop"]["p50"], 1.0)
        self.assertAlmostEqual(s["hub"]["p50"], 0.102)
        self.assertAlmostEqual(s["total"]["p50"], 1.236)


if __name__ == "__main__":
    unittest.main()
