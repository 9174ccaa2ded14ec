"""mdhub: a Python client for the mdhub market-data hub (pyzmq + msgpack only).

    import mdhub
    with mdhub.Client("tcp://127.0.0.1:7701", "tcp://127.0.0.1:7702") as client:
        client.subscribe("rb2701.SHFE", "*.CZCE")
        for tick in client.ticks(timeout=10):
            print(tick.vt_symbol, tick.datetime, tick.last_price)

docs/python.md describes the merge with snapshots, gaps, restarts, liveness and the vn.py gateway
(``mdhub.vnpy``, which is the only module that imports vnpy).
"""
from .client import DEFAULT_PUB, DEFAULT_SNAPSHOT, Client
from .events import (
    Event,
    Gap,
    HubDown,
    HubLog,
    HubRestart,
    HubStatus,
    HubUp,
    InstrumentState,
    SnapshotApplied,
    SnapshotFailed,
    StreamSelected,
)
from .latency import LatencyStats
from .patterns import EXCHANGES, Pattern, parse_pattern, product_of
from .snapshot import SnapshotError
from .tick import SHANGHAI, Tick

__version__ = "0.1.0"

__all__ = [
    "Client",
    "DEFAULT_PUB",
    "DEFAULT_SNAPSHOT",
    "EXCHANGES",
    "Event",
    "Gap",
    "HubDown",
    "HubLog",
    "HubRestart",
    "HubStatus",
    "HubUp",
    "InstrumentState",
    "LatencyStats",
    "Pattern",
    "SHANGHAI",
    "SnapshotApplied",
    "SnapshotError",
    "SnapshotFailed",
    "StreamSelected",
    "Tick",
    "parse_pattern",
    "product_of",
]
