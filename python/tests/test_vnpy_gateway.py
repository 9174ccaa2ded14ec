"""The vn.py gateway against a real hub — through a STAND-IN for vn.py, not real vn.py.

vn.py cannot be installed on these machines, so this test puts python/tests/fake_vnpy first on sys.path:
a small package that mirrors VeighNa's documented BaseGateway abstract class, TickData / ContractData /
SubscribeRequest / LogData dataclasses, Exchange / Product enums, the event engine and MainEngine's
``get_contract`` → ``subscribe`` path (fake_vnpy/README.md). Passing here shows the gateway keeps that
contract; it does not show it ran inside VeighNa itself.
"""
import importlib
import inspect
import sys
import time
import unittest
from datetime import datetime
from pathlib import Path

from .hubproc import Hub, wait_for

FAKE_VNPY = Path(__file__).with_name("fake_vnpy")


def import_against_stand_in():  # type: ignore[no-untyped-def]
    """Imports vnpy (the stand-in) and mdhub.vnpy; refuses a real vnpy, so the output never misleads."""
    sys.path.insert(0, str(FAKE_VNPY))
    vnpy = importlib.import_module("vnpy")
    if not getattr(vnpy, "STAND_IN", False):
        raise AssertionError(f"expected the vn.py stand-in, found {vnpy.__file__}")
    return vnpy, importlib.import_module("mdhub.vnpy")


class VnpyGatewayTest(unittest.TestCase):
    hub: Hub

    @classmethod
    def setUpClass(cls) -> None:
        print("\nvn.py gateway: these tests run against the vn.py STAND-IN in python/tests/fake_vnpy (VeighNa's documented "
              "BaseGateway/TickData/ContractData contract), not against real vn.py, which is not installed here.")
        cls.vnpy, cls.gw_module = import_against_stand_in()
        cls.hub = Hub(hub_id="pyvnpy").start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.hub.cleanup()

    def test_gateway_class_keeps_the_contract(self) -> None:
        from vnpy.trader.constant import Exchange
        from vnpy.trader.gateway import BaseGateway

        gw = self.gw_module.MdhubGateway
        self.assertTrue(issubclass(gw, BaseGateway))
        self.assertEqual(inspect.getattr_static(gw, "__abstractmethods__"), frozenset())  # every abstract method implemented
        self.assertEqual(gw.default_name, "MDHUB")
        self.assertEqual(set(gw.default_setting), {"pub_address", "snapshot_address"})
        self.assertEqual({e.value for e in gw.exchanges}, {"SHFE", "DCE", "CZCE", "CFFEX", "INE", "GFEX", "SSE", "SZSE"})
        self.assertTrue(all(isinstance(e, Exchange) for e in gw.exchanges))

    def test_strategy_path_receives_tickdata_with_documented_types(self) -> None:
        from vnpy.event import EventEngine
        from vnpy.trader.constant import Direction, Exchange, OrderType, Product
        from vnpy.trader.engine import MainEngine
        from vnpy.trader.event import EVENT_TICK
        from vnpy.trader.object import ContractData, OrderRequest, SubscribeRequest, TickData

        main_engine = MainEngine(EventEngine())
        self.addCleanup(main_engine.close)
        ticks: list[TickData] = []
        main_engine.event_engine.register(EVENT_TICK, lambda e: ticks.append(e.data))
        gateway = main_engine.add_gateway(self.gw_module.MdhubGateway)
        self.assertEqual(gateway.gateway_name, "MDHUB")

        # A subscription made before connect (DataRecorder restoring its list) is kept and made at connect.
        main_engine.subscribe(SubscribeRequest("SR701", Exchange.CZCE), "MDHUB")
        setting = {"pub_address": self.hub.pub, "snapshot_address": self.hub.snapshot}
        main_engine.connect(setting, "MDHUB")

        # CtaEngine's path: the contract first, then a SubscribeRequest to the contract's gateway.
        contract = wait_for("the rb2701.SHFE contract", lambda: main_engine.get_contract("rb2701.SHFE"))
        self.assertIsInstance(contract, ContractData)
        self.assertEqual((contract.gateway_name, contract.product, contract.size, contract.pricetick), ("MDHUB", Product.FUTURES, 10.0, 1.0))
        options = [c for c in main_engine.contracts.values() if c.product == Product.OPTION and c.exchange not in (Exchange.SSE, Exchange.SZSE)]
        self.assertTrue(options)
        self.assertEqual([c.vt_symbol for c in options if c.option_type is None or not c.option_strike or not c.option_underlying], [])
        main_engine.subscribe(SubscribeRequest(contract.symbol, contract.exchange), contract.gateway_name)

        wait_for("ticks of both instruments", lambda: {"rb2701.SHFE", "SR701.CZCE"} <= {t.vt_symbol for t in ticks}, timeout=20)
        time.sleep(1.0)
        got = list(ticks)
        self.assertEqual({t.vt_symbol for t in got}, {"rb2701.SHFE", "SR701.CZCE"})
        for t in got:
            self.assertIsInstance(t, TickData)
            self.assertEqual(t.gateway_name, "MDHUB")
            self.assertIsInstance(t.exchange, Exchange)
            self.assertIsInstance(t.datetime, datetime)
            self.assertEqual(t.datetime.utcoffset().total_seconds(), 8 * 3600)
            self.assertEqual(str(t.datetime.tzinfo), "Asia/Shanghai")
            self.assertIsInstance(t.localtime, datetime)
            for name in ("last_price", "volume", "turnover", "open_interest", "bid_price_1", "ask_volume_5", "limit_up"):
                self.assertIsInstance(getattr(t, name), float, name)
            self.assertIsInstance(t.extra["iseq"], int)
        per_instrument: dict[str, list[int]] = {}
        for t in got:
            per_instrument.setdefault(t.vt_symbol, []).append(t.extra["iseq"])
        for vt, iseqs in per_instrument.items():
            self.assertEqual(iseqs, list(range(iseqs[0], iseqs[0] + len(iseqs))), vt)
        self.assertTrue(got[0].extra["from_snapshot"] or got[0].extra["iseq"] == 1)

        # Orders are not this gateway's business: "not supported" in the log, no exception.
        self.assertEqual(gateway.send_order(OrderRequest("rb2701", Exchange.SHFE, Direction.LONG, OrderType.LIMIT, 1, 3000.0)), "")
        gateway.query_account()
        gateway.query_position()
        wait_for("the log lines", lambda: sum("not supported" in log.msg for log in main_engine.logs) >= 3)
        self.assertTrue(any("contracts loaded" in log.msg for log in main_engine.logs))
        print(f"vn.py gateway (stand-in): {len(got)} TickData of {sorted(per_instrument)}, "
              f"{len(main_engine.contracts)} contracts, {len(main_engine.logs)} log lines")


if __name__ == "__main__":
    unittest.main()
