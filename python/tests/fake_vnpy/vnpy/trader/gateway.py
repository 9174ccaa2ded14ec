"""Stand-in for vnpy.trader.gateway.BaseGateway: the abstract class every VeighNa gateway implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from vnpy.event import Event, EventEngine

from .constant import Exchange
from .event import EVENT_CONTRACT, EVENT_LOG, EVENT_TICK
from .object import BarData, CancelRequest, ContractData, HistoryRequest, LogData, OrderRequest, QuoteRequest, SubscribeRequest, TickData


class BaseGateway(ABC):
    default_name: str = ""
    default_setting: dict[str, str | int | float | bool] = {}
    exchanges: list[Exchange] = []

    def __init__(self, event_engine: EventEngine, gateway_name: str) -> None:
        self.event_engine = event_engine
        self.gateway_name = gateway_name

    def on_event(self, type: str, data: Any = None) -> None:
        self.event_engine.put(Event(type, data))

    def on_tick(self, tick: TickData) -> None:
        self.on_event(EVENT_TICK, tick)
        self.on_event(EVENT_TICK + tick.vt_symbol, tick)

    def on_log(self, log: LogData) -> None:
        self.on_event(EVENT_LOG, log)

    def on_contract(self, contract: ContractData) -> None:
        self.on_event(EVENT_CONTRACT, contract)

    def write_log(self, msg: str) -> None:
        self.on_log(LogData(msg=msg, gateway_name=self.gateway_name))

    @abstractmethod
    def connect(self, setting: dict) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def subscribe(self, req: SubscribeRequest) -> None: ...

    @abstractmethod
    def send_order(self, req: OrderRequest) -> str: ...

    @abstractmethod
    def cancel_order(self, req: CancelRequest) -> None: ...

    def send_quote(self, req: QuoteRequest) -> str:
        return ""

    def cancel_quote(self, req: CancelRequest) -> None:
        return

    @abstractmethod
    def query_account(self) -> None: ...

    @abstractmethod
    def query_position(self) -> None: ...

    def query_history(self, req: HistoryRequest) -> list[BarData]:
        return []

    def get_default_setting(self) -> dict[str, str | int | float | bool]:
        return self.default_setting
