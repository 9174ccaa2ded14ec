"""The tick as a strategy sees it: vn.py's TickData field names, typed, with timezone-aware datetimes.

The wire carries ``datetime`` and ``localtime`` as epoch milliseconds of the exchange clock
(Asia/Shanghai) and the hub's stamps as epoch microseconds of the hub host's clock
(docs/wire-protocol.md). Here the first two become aware ``datetime`` objects in Asia/Shanghai, as vn.py
gateways give them; the stamps stay integers so latency arithmetic stays exact.
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from typing import Any, Optional
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def from_epoch_ms(ms: int | float) -> datetime:
    """Epoch milliseconds to an aware datetime in Asia/Shanghai."""
    return datetime.fromtimestamp(ms / 1000, SHANGHAI)


def to_epoch_ms(dt: datetime) -> int:
    """An aware datetime back to epoch milliseconds (exact for millisecond values)."""
    return round(dt.timestamp() * 1000)


@dataclass(slots=True)
class Tick:
    """One published market state of one instrument."""

    symbol: str
    exchange: str
    datetime: datetime
    name: str = ""
    volume: float = 0.0
    turnover: float = 0.0
    open_interest: float = 0.0
    last_price: float = 0.0
    last_volume: float = 0.0
    limit_up: float = 0.0
    limit_down: float = 0.0
    open_price: float = 0.0
    high_price: float = 0.0
    low_price: float = 0.0
    pre_close: float = 0.0
    bid_price_1: float = 0.0
    bid_price_2: float = 0.0
    bid_price_3: float = 0.0
    bid_price_4: float = 0.0
    bid_price_5: float = 0.0
    ask_price_1: float = 0.0
    ask_price_2: float = 0.0
    ask_price_3: float = 0.0
    ask_price_4: float = 0.0
    ask_price_5: float = 0.0
    bid_volume_1: float = 0.0
    bid_volume_2: float = 0.0
    bid_volume_3: float = 0.0
    bid_volume_4: float = 0.0
    bid_volume_5: float = 0.0
    ask_volume_1: float = 0.0
    ask_volume_2: float = 0.0
    ask_volume_3: float = 0.0
    ask_volume_4: float = 0.0
    ask_volume_5: float = 0.0
    localtime: Optional[datetime] = None
    #: The source instance that delivered the winning copy (vn.py's name for it).
    gateway_name: str = ""
    # The hub's additions.
    trading_day: str = ""
    pre_settlement: float = 0.0
    settlement: float = 0.0
    average_price: float = 0.0
    pre_open_interest: float = 0.0
    source: str = ""
    seq: int = 0
    iseq: int = 0
    gw_recv_ts: int = 0
    hub_recv_ts: int = 0
    hub_pub_ts: int = 0
    run_id: str = ""
    #: When this process read it off the socket, epoch microseconds of this host's clock.
    recv_ts: int = 0
    #: True for a state taken from the snapshot service (a join, a recovery) rather than the live stream.
    from_snapshot: bool = False

    @property
    def vt_symbol(self) -> str:
        return f"{self.symbol}.{self.exchange}"

    @classmethod
    def from_wire(cls, m: dict[str, Any], recv_ts: int = 0, from_snapshot: bool = False) -> "Tick":
        """Builds a Tick from a decoded wire map; keys it does not know are ignored (wire v1 may add keys)."""
        args = [m.get(k, d) for k, d in _WIRE_PLAN]
        args[_DATETIME_AT] = from_epoch_ms(m["datetime"])
        lt = m.get("localtime")
        args[_LOCALTIME_AT] = from_epoch_ms(lt) if lt else None
        args[_RECV_AT] = recv_ts
        args[_SNAPSHOT_AT] = from_snapshot
        return cls(*args)

    def to_wire(self) -> dict[str, Any]:
        """The wire map again (datetimes as epoch ms): for recording, or for tools that speak the wire."""
        out = {f.name: getattr(self, f.name) for f in _FIELDS if f.name not in ("recv_ts", "from_snapshot")}
        out["datetime"] = to_epoch_ms(self.datetime)
        out["localtime"] = to_epoch_ms(self.localtime) if self.localtime else 0
        return out


_FIELDS = fields(Tick)
_WIRE_PLAN: tuple[tuple[str, Any], ...] = tuple((f.name, None if f.default is MISSING else f.default) for f in _FIELDS)
_NAMES = [f.name for f in _FIELDS]
_DATETIME_AT = _NAMES.index("datetime")
_LOCALTIME_AT = _NAMES.index("localtime")
_RECV_AT = _NAMES.index("recv_ts")
_SNAPSHOT_AT = _NAMES.index("from_snapshot")

