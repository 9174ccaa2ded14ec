"""Stand-in for vnpy.trader.object: the dataclasses a market-data gateway builds or receives."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime as Datetime
from logging import INFO

from .constant import Direction, Exchange, Interval, Offset, OptionType, OrderType, Product


@dataclass
class BaseData:
    gateway_name: str
    extra: dict | None = field(default=None, init=False)


@dataclass
class TickData(BaseData):
    symbol: str
    exchange: Exchange
    datetime: Datetime
    name: str = ""
    volume: float = 0
    turnover: float = 0
    open_interest: float = 0
    last_price: float = 0
    last_volume: float = 0
    limit_up: float = 0
    limit_down: float = 0
    open_price: float = 0
    high_price: float = 0
    low_price: float = 0
    pre_close: float = 0
    bid_price_1: float = 0
    bid_price_2: float = 0
    bid_price_3: float = 0
    bid_price_4: float = 0
    bid_price_5: float = 0
    ask_price_1: float = 0
    ask_price_2: float = 0
    ask_price_3: float = 0
    ask_price_4: float = 0
    ask_price_5: float = 0
    bid_volume_1: float = 0
    bid_volume_2: float = 0
    bid_volume_3: float = 0
    bid_volume_4: float = 0
    bid_volume_5: float = 0
    ask_volume_1: float = 0
    ask_volume_2: float = 0
    ask_volume_3: float = 0
    ask_volume_4: float = 0
    ask_volume_5: float = 0
    localtime: Datetime | None = None

    def __post_init__(self) -> None:
        self.vt_symbol = f"{self.symbol}.{self.exchange.value}"


@dataclass
class BarData(BaseData):
    symbol: str
    exchange: Exchange
    datetime: Datetime
    interval: Interval | None = None
    volume: float = 0
    open_price: float = 0
    high_price: float = 0
    low_price: float = 0
    close_price: float = 0

    def __post_init__(self) -> None:
        self.vt_symbol = f"{self.symbol}.{self.exchange.value}"


@dataclass
class LogData(BaseData):
    msg: str
    level: int = INFO

    def __post_init__(self) -> None:
        self.time = Datetime.now()


@dataclass
class ContractData(BaseData):
    symbol: str
    exchange: Exchange
    name: str
    product: Product
    size: float
    pricetick: float
    min_volume: float = 1
    max_volume: float | None = None
    stop_supported: bool = False
    net_position: bool = False
    history_data: bool = False
    option_strike: float | None = None
    option_underlying: str | None = None
    option_type: OptionType | None = None
    option_listed: Datetime | None = None
    option_expiry: Datetime | None = None
    option_portfolio: str | None = None
    option_index: str | None = None

    def __post_init__(self) -> None:
        self.vt_symbol = f"{self.symbol}.{self.exchange.value}"


@dataclass
class SubscribeRequest:
    symbol: str
    exchange: Exchange

    def __post_init__(self) -> None:
        self.vt_symbol = f"{self.symbol}.{self.exchange.value}"


@dataclass
class OrderRequest:
    symbol: str
    exchange: Exchange
    direction: Direction
    type: OrderType
    volume: float
    price: float = 0
    offset: Offset = Offset.NONE
    reference: str = ""

    def __post_init__(self) -> None:
        self.vt_symbol = f"{self.symbol}.{self.exchange.value}"


@dataclass
class CancelRequest:
    orderid: str
    symbol: str
    exchange: Exchange

    def __post_init__(self) -> None:
        self.vt_symbol = f"{self.symbol}.{self.exchange.value}"


@dataclass
class QuoteRequest:
    symbol: str
    exchange: Exchange
    bid_price: float
    bid_volume: int
    ask_price: float
    ask_volume: int

    def __post_init__(self) -> None:
        self.vt_symbol = f"{self.symbol}.{self.exchange.value}"


@dataclass
class HistoryRequest:
    symbol: str
    exchange: Exchange
    start: Datetime
    end: Datetime | None = None
    interval: Interval | None = None

    def __post_init__(self) -> None:
        self.vt_symbol = f"{self.symbol}.{self.exchange.value}"
