"""Stand-in for vnpy.trader.constant (the members a market-data gateway for China uses)."""
from enum import Enum


class Exchange(Enum):
    CFFEX = "CFFEX"
    SHFE = "SHFE"
    CZCE = "CZCE"
    DCE = "DCE"
    INE = "INE"
    GFEX = "GFEX"
    SSE = "SSE"
    SZSE = "SZSE"
    BSE = "BSE"
    SGE = "SGE"
    LOCAL = "LOCAL"


class Product(Enum):
    EQUITY = "股票"
    FUTURES = "期货"
    OPTION = "期权"
    INDEX = "指数"
    SPOT = "现货"
    ETF = "ETF"
    BOND = "债券"
    SPREAD = "价差"
    FUND = "基金"


class OptionType(Enum):
    CALL = "看涨期权"
    PUT = "看跌期权"


class Direction(Enum):
    LONG = "多"
    SHORT = "空"


class OrderType(Enum):
    LIMIT = "限价"
    MARKET = "市价"


class Offset(Enum):
    NONE = ""
    OPEN = "开"
    CLOSE = "平"


class Interval(Enum):
    MINUTE = "1m"
    DAILY = "d"
