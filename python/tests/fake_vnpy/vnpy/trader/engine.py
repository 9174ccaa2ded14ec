"""Stand-in for vnpy.trader.engine.MainEngine: gateways by name, and the contract and tick store
(OmsEngine's) that CtaEngine and DataRecorder ask before they subscribe."""
from __future__ import annotations

from typing import Optional

from vnpy.event import Event, EventEngine

from .event import EVENT_CONTRACT, EVENT_LOG, EVENT_TICK
from .gateway import BaseGateway
from .object import ContractData, LogData, SubscribeRequest, TickData


class MainEngine:
    def __init__(self, event_engine: Optional[EventEngine] = None) -> None:
        self.event_engine = event_engine or EventEngine()
        self.event_engine.start()
        self.gateways: dict[str, BaseGateway] = {}
        self.exchanges: list = []
        self.contracts: dict[str, ContractData] = {}
        self.ticks: dict[str, TickData] = {}
        self.logs: list[LogData] = []
        self.event_engine.register(EVENT_CONTRACT, self._on_contract)
        self.event_engine.register(EVENT_TICK, self._on_tick)
        self.event_engine.register(EVENT_LOG, self._on_log)

    def add_gateway(self, gateway_class: type[BaseGateway], gateway_name: str = "") -> BaseGateway:
        gateway_name = gateway_name or gateway_class.default_name
        gateway = gateway_class(self.event_engine, gateway_name)
        self.gateways[gateway_name] = gateway
        for exchange in gateway.exchanges:
            if exchange not in self.exchanges:
                self.exchanges.append(exchange)
        return gateway

    def get_gateway(self, gateway_name: str) -> Optional[BaseGateway]:
        return self.gateways.get(gateway_name)

    def get_default_setting(self, gateway_name: str) -> Optional[dict]:
        gateway = self.get_gateway(gateway_name)
        return gateway.get_default_setting() if gateway else None

    def connect(self, setting: dict, gateway_name: str) -> None:
        gateway = self.get_gateway(gateway_name)
        if gateway:
            gateway.connect(setting)

    def subscribe(self, req: SubscribeRequest, gateway_name: str) -> None:
        gateway = self.get_gateway(gateway_name)
        if gateway:
            gateway.subscribe(req)

    def get_contract(self, vt_symbol: str) -> Optional[ContractData]:
        return self.contracts.get(vt_symbol)

    def get_tick(self, vt_symbol: str) -> Optional[TickData]:
        return self.ticks.get(vt_symbol)

    def close(self) -> None:
        self.event_engine.stop()
        for gateway in self.gateways.values():
            gateway.close()

    def _on_contract(self, event: Event) -> None:
        self.contracts[event.data.vt_symbol] = event.data

    def _on_tick(self, event: Event) -> None:
        self.ticks[event.data.vt_symbol] = event.data

    def _on_log(self, event: Event) -> None:
        self.logs.append(event.data)
