"""A VeighNa (vn.py) gateway that takes market data from an mdhub: ``MdhubGateway``.

    from mdhub.vnpy import MdhubGateway
    main_engine.add_gateway(MdhubGateway)                   # named "MDHUB"
    main_engine.connect({"pub_address": "tcp://10.0.0.5:7701", "snapshot_address": "tcp://10.0.0.5:7702"}, "MDHUB")

At connect the gateway loads every instrument the hub knows from the snapshot service and pushes them
as ``ContractData`` (CtaEngine and DataRecorder subscribe only to instruments with a contract), then
streams real ``vnpy.trader.object.TickData`` through ``on_tick``: merged with snapshots, gap-checked,
restarts followed, as :class:`mdhub.Client` delivers them. Gaps, restarts, the hub's liveness and the
instruments' data states (stale, suspect) go to ``on_log``. The hub serves market data only: order
and query calls answer "not supported" through ``on_log``.

This is the only module of the package that imports vnpy.
"""
from __future__ import annotations

import logging
import re
import threading
from datetime import datetime
from typing import Any, Optional

from vnpy.event import EventEngine
from vnpy.trader.constant import Exchange, OptionType, Product
from vnpy.trader.gateway import BaseGateway
from vnpy.trader.object import (
    BarData,
    CancelRequest,
    ContractData,
    HistoryRequest,
    LogData,
    OrderRequest,
    QuoteRequest,
    SubscribeRequest,
    TickData,
)

from .client import DEFAULT_PUB, DEFAULT_SNAPSHOT, Client
from .events import Event, Gap, HubDown, HubRestart, HubUp, InstrumentState, SnapshotApplied, SnapshotFailed, StreamSelected
from .patterns import product_of
from .snapshot import SnapshotError
from .tick import SHANGHAI, Tick

#: TickData's own fields, copied by name from mdhub's Tick (which carries the same names).
_TICK_FIELDS: tuple[str, ...] = (
    "name", "volume", "turnover", "open_interest", "last_price", "last_volume", "limit_up", "limit_down",
    "open_price", "high_price", "low_price", "pre_close",
    *(f"{side}_{what}_{i}" for what in ("price", "volume") for side in ("bid", "ask") for i in range(1, 6)),
)
#: The hub's additions, kept in ``TickData.extra`` for strategies that want them.
_EXTRA_FIELDS: tuple[str, ...] = (
    "trading_day", "pre_settlement", "settlement", "average_price", "pre_open_interest", "source",
    "seq", "iseq", "run_id", "gw_recv_ts", "hub_recv_ts", "hub_pub_ts", "recv_ts", "from_snapshot",
)
#: Futures-exchange option ids name their terms: m2701-C-2850, SR701C5400, cu2612C83000, IO2612-C-4000.
_OPTION_ID = re.compile(r"^([A-Za-z]{1,3}\d{3,4})-?([CP])-?(\d+(?:\.\d+)?)$")
#: How long to wait between attempts to load the instruments while the hub has none (or is away), s.
_CONTRACT_RETRY_S = 2.0
#: How often the instruments are loaded again for those the hub learned of since, s.
_CONTRACT_REFRESH_S = 60.0


def tick_data(t: Tick, gateway_name: str) -> TickData:
    """An mdhub tick as vn.py's TickData (``datetime``/``localtime`` aware, Asia/Shanghai)."""
    td = TickData(
        gateway_name=gateway_name,
        symbol=t.symbol,
        exchange=Exchange(t.exchange),
        datetime=t.datetime,
        localtime=t.localtime,
        **{k: getattr(t, k) for k in _TICK_FIELDS},
    )
    td.extra = {k: getattr(t, k) for k in _EXTRA_FIELDS}
    return td


def contract_data(r: dict[str, Any], gateway_name: str) -> Optional[ContractData]:
    """One row of the ``instruments`` reply as ContractData; None when the row lacks what vn.py needs
    (a known exchange, a multiplier and a price tick: a guessed tick would round order prices wrong)."""
    try:
        exchange = Exchange(r.get("exchange"))
    except ValueError:
        return None
    size, pricetick = r.get("multiplier"), r.get("price_tick")
    if not size or not pricetick:
        return None
    option = r.get("kind") == "option"
    c = ContractData(
        gateway_name=gateway_name,
        symbol=r["symbol"],
        exchange=exchange,
        name=r.get("name") or r["symbol"],
        product=Product.OPTION if option else Product.FUTURES,
        size=size,
        pricetick=pricetick,
    )
    if option:
        # The hub passes on what the source's reference data says; what it lacks, the id tells
        # (not for SSE/SZSE ids such as 10008123, which name nothing).
        terms = _OPTION_ID.match(r["symbol"])
        underlying = r.get("underlying") or (terms.group(1) if terms else None)
        kind = r.get("option_type") or ({"C": "call", "P": "put"}[terms.group(2)] if terms else "")
        strike = r.get("strike") or (float(terms.group(3)) if terms else None)
        c.option_underlying = f"{underlying}.{exchange.value}" if underlying and "." not in underlying else underlying
        c.option_type = {"call": OptionType.CALL, "put": OptionType.PUT}.get(kind)
        c.option_strike = strike
        c.option_portfolio = product_of(r["symbol"], exchange.value) or r.get("product")
        c.option_index = f"{strike:g}" if strike is not None else None
        expiry = r.get("expiry")
        if expiry:
            c.option_expiry = datetime.strptime(expiry, "%Y%m%d").replace(tzinfo=SHANGHAI)
    return c


class MdhubGateway(BaseGateway):
    """VeighNa gateway over an mdhub's PUB and snapshot endpoints (market data only)."""

    default_name: str = "MDHUB"
    default_setting: dict[str, str | int | float | bool] = {
        "pub_address": DEFAULT_PUB,
        "snapshot_address": DEFAULT_SNAPSHOT,
    }
    exchanges: list[Exchange] = [
        Exchange.SHFE, Exchange.DCE, Exchange.CZCE, Exchange.CFFEX, Exchange.INE, Exchange.GFEX, Exchange.SSE, Exchange.SZSE,
    ]

    def __init__(self, event_engine: EventEngine, gateway_name: str = default_name) -> None:
        super().__init__(event_engine, gateway_name)
        self._lock = threading.Lock()
        self._client: Optional[Client] = None
        self._queued: list[str] = []
        self._closing = threading.Event()
        self._said_unsupported: set[str] = set()

    # ---- the contract ---------------------------------------------------------------------------------

    def connect(self, setting: dict) -> None:
        """Connects to the hub named in ``setting`` (returns at once; the rest happens in the background)."""
        pub = str(setting.get("pub_address") or DEFAULT_PUB)
        snapshot = str(setting.get("snapshot_address") or DEFAULT_SNAPSHOT)
        with self._lock:
            if self._client is not None:
                self._log(f"already connected to {self._client.pub_endpoint}; close first to connect elsewhere")
                return
            self._closing.clear()
            client = Client(pub, snapshot)
            client.on_tick(self._on_hub_tick)
            client.on_event(self._on_hub_event)
            self._client = client
            queued, self._queued = self._queued, []
        if queued:
            client.subscribe(*queued)
        client.start()
        threading.Thread(target=self._load_contracts, args=(client,), name="mdhub-contracts", daemon=True).start()
        self._log(f"connecting to mdhub at {pub} (snapshot service {snapshot})")

    def subscribe(self, req: SubscribeRequest) -> None:
        """Subscribes one instrument; before connect the request is kept and made at connect."""
        vt_symbol = f"{req.symbol}.{req.exchange.value}"
        with self._lock:
            if self._client is None:
                if vt_symbol not in self._queued:
                    self._queued.append(vt_symbol)
                return
            client = self._client
        client.subscribe(vt_symbol)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        self._closing.set()
        if client is not None:
            client.close()

    def send_order(self, req: OrderRequest) -> str:
        self._unsupported("send_order")
        return ""

    def cancel_order(self, req: CancelRequest) -> None:
        self._unsupported("cancel_order")

    def send_quote(self, req: QuoteRequest) -> str:
        self._unsupported("send_quote")
        return ""

    def cancel_quote(self, req: CancelRequest) -> None:
        self._unsupported("cancel_quote")

    def query_account(self) -> None:
        self._unsupported("query_account")

    def query_position(self) -> None:
        self._unsupported("query_position")

    def query_history(self, req: HistoryRequest) -> list[BarData]:
        self._unsupported("query_history")
        return []

    # ---- behind it ------------------------------------------------------------------------------------

    def _load_contracts(self, client: Client) -> None:
        """Pushes ContractData for every instrument the hub knows, and later for those it learns of (a
        hub that has just started knows none yet; a gateway reports its instruments as it subscribes).
        Runs until close, on its own thread: the snapshot service may be away for a while."""
        pushed: set[str] = set()
        while not self._closing.is_set() and self._client is client:
            try:
                rows = client.instruments()
            except SnapshotError as err:
                self._log(f"instruments not loaded ({err}); retrying in {_CONTRACT_RETRY_S:g} s", logging.WARNING)
                self._closing.wait(_CONTRACT_RETRY_S)
                continue
            fresh = [r for r in rows if r.get("vt_symbol") not in pushed]
            skipped = 0
            for r in fresh:
                c = contract_data(r, self.gateway_name)
                if c is None:
                    skipped += 1
                    continue
                self.on_contract(c)
                pushed.add(c.vt_symbol)
            if fresh:
                note = f" ({skipped} without a multiplier or price tick left out)" if skipped else ""
                self._log(f"{len(fresh) - skipped} contracts loaded from the hub{note}")
            self._closing.wait(_CONTRACT_RETRY_S if not pushed else _CONTRACT_REFRESH_S)

    def _on_hub_tick(self, t: Tick) -> None:
        self.on_tick(tick_data(t, self.gateway_name))

    def _on_hub_event(self, e: Event) -> None:
        if isinstance(e, Gap):
            where = e.instrument or "the hub-wide sequence"
            numbers = f": expected {e.expected}, got {e.got}" if e.expected is not None else ""
            self._log(f"gap in {where} ({e.cause}{numbers}); fetching the state from the snapshot service", logging.WARNING)
        elif isinstance(e, SnapshotApplied):
            self._log(f"snapshot merged ({e.reason}): {e.instruments} instruments in sync, {e.delivered} states from it")
        elif isinstance(e, SnapshotFailed):
            self._log(f"snapshot service did not answer ({e.reason}, {e.attempts} attempts: {e.error}); ticks go on as received", logging.ERROR)
        elif isinstance(e, HubRestart):
            self._log(f"hub restarted (run {e.previous_run_id} -> {e.run_id}): sequence numbers start again, fresh snapshot", logging.WARNING)
        elif isinstance(e, HubDown):
            self._log(f"hub down: nothing received for {e.silent_for:.1f} s", logging.ERROR)
        elif isinstance(e, HubUp):
            self._log(f"hub up (run {e.run_id})")
        elif isinstance(e, InstrumentState):
            level = logging.INFO if e.state == "ok" else logging.WARNING
            self._log(f"data state of {e.vt_symbol}: {e.state}" + (f" ({e.reason})" if e.reason else ""), level)
        elif isinstance(e, StreamSelected):
            self._log(f"wide subscriptions use the {e.stream} stream")

    def _unsupported(self, what: str) -> None:
        if what not in self._said_unsupported:  # once per method: some callers poll queries on a timer
            self._said_unsupported.add(what)
            self._log(f"{what} is not supported: mdhub serves market data only", logging.WARNING)

    def _log(self, msg: str, level: int = logging.INFO) -> None:
        self.on_log(LogData(msg=msg, gateway_name=self.gateway_name, level=level))
