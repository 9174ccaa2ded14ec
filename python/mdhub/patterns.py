"""Subscription patterns, the one grammar mdhub uses everywhere (gateways, groups, CLI, both clients).

    *, all            every instrument
    *.SHFE            every instrument of one exchange
    rb*.SHFE          every instrument of one product, by its exact code (``c*.DCE`` is corn, never
                      ``cs``; ``m_o*.DCE`` the soybean-meal options; ``IO*.CFFEX`` the index options)
    rb2701.SHFE       one instrument (vn.py's vt_symbol)

ZeroMQ filters by byte prefix, so a product pattern subscribes to the broader topic prefix
``tick.DCE.c`` and the client drops ``cs2701`` by parsing the product code out of each instrument id
(the rules of packages/core/src/market/products.ts, without the product table, which stays on the hub).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Literal, Optional

EXCHANGES: tuple[str, ...] = ("SHFE", "DCE", "CZCE", "CFFEX", "INE", "GFEX", "SSE", "SZSE")

TICK_PREFIX = b"tick."
BATCH_PREFIX = b"batch."

_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,39}$")
_PRODUCT = re.compile(r"^[A-Za-z0-9_]{1,12}$")

# Instrument id forms per exchange (markets.json instrument_id_rules), as the hub parses them.
_LOWER_FUT = re.compile(r"^([a-z]{1,3})\d{4}$")
_LOWER_OPT = re.compile(r"^([a-z]{1,3})\d{4}-?[CP]-?\d+(?:\.\d+)?$")
_MONTHLY_AVG = re.compile(r"^(?:([a-z]{1,3})_f\d{4}|([A-Za-z]{1,3})\d{4}F)$")
_CZCE_FUT = re.compile(r"^([A-Z]{1,3})\d{3,4}$")
_CZCE_OPT = re.compile(r"^([A-Z]{1,3})\d{3,4}-?[CP]-?\d+(?:\.\d+)?$")
_CFFEX_FUT = re.compile(r"^([A-Z]{1,2})\d{4}$")
_CFFEX_OPT = re.compile(r"^([A-Z]{2})\d{4}-[CP]-\d+(?:\.\d+)?$")


def product_of(symbol: str, exchange: str) -> Optional[str]:
    """The product code an instrument id names: ``rb`` for rb2701, ``m_o`` for m2701-C-2850, ``SR`` for
    SR701, ``IO`` for IO2612-C-4000; None when the id does not fit the exchange's form (SSE and SZSE
    option ids never name their underlying)."""
    if exchange == "CFFEX":
        m = _CFFEX_FUT.match(symbol) or _CFFEX_OPT.match(symbol)
        return m.group(1) if m else None
    if exchange in ("SSE", "SZSE"):
        return None
    czce = exchange == "CZCE"
    m = (_CZCE_FUT if czce else _LOWER_FUT).match(symbol)
    if m:
        return m.group(1)
    m = (_CZCE_OPT if czce else _LOWER_OPT).match(symbol)
    if m:
        return f"{m.group(1)}_o"
    m = _MONTHLY_AVG.match(symbol) if exchange == "DCE" else None
    if m:
        return f"{(m.group(1) or m.group(2)).lower()}_f"
    return None


PatternKind = Literal["all", "exchange", "product", "instrument"]


@dataclass(frozen=True, slots=True)
class Pattern:
    """One parsed subscription pattern."""

    text: str
    kind: PatternKind
    exchange: Optional[str] = None
    product: Optional[str] = None
    symbol: Optional[str] = None

    @property
    def wide(self) -> bool:
        """True for patterns whose instruments are not known in advance (the snapshot is asked for all)."""
        return self.kind != "instrument"

    @property
    def vt_symbol(self) -> Optional[str]:
        return f"{self.symbol}.{self.exchange}" if self.kind == "instrument" else None

    def matches(self, symbol: str, exchange: str) -> bool:
        if self.kind == "all":
            return True
        if exchange != self.exchange:
            return False
        if self.kind == "exchange":
            return True
        if self.kind == "instrument":
            return symbol == self.symbol
        return product_of(symbol, exchange) == self.product

    def tick_prefixes(self) -> tuple[bytes, ...]:
        """Per-tick topic prefixes that carry this pattern's ticks (a product's may carry more)."""
        if self.kind == "all":
            return (TICK_PREFIX,)
        base = f"tick.{self.exchange}."
        if self.kind == "exchange":
            return (base.encode(),)
        if self.kind == "instrument":
            return (f"{base}{self.symbol}.".encode(),)
        letters = self.product.split("_")[0] if self.product else ""
        # DCE monthly-average futures come as l_f2609 or L2602F: both spellings start the topic.
        forms = {letters, letters.upper()} if self.product and self.product.endswith("_f") else {letters}
        return tuple(sorted(f"{base}{f}".encode() for f in forms))

    def batch_prefix(self) -> Optional[bytes]:
        """The batch stream's topic prefix for wide exchange patterns (wire v1.1), None for the rest:
        an instrument stays on its per-tick topic, and a product is narrow enough to stay there too."""
        if self.kind == "all":
            return BATCH_PREFIX
        if self.kind == "exchange":
            return f"batch.{self.exchange}.".encode()
        return None


def parse_pattern(text: str) -> Pattern:
    """Parses one pattern; raises ValueError naming what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"pattern {text!r} is not a string")
    t = text.strip()
    if t in ("*", "all", "*.*"):
        return Pattern(t, "all")
    head, dot, exchange = t.rpartition(".")
    if not dot or not head or not exchange:
        raise ValueError(f"bad pattern {t!r}: expected *, *.EXCHANGE, PRODUCT*.EXCHANGE or SYMBOL.EXCHANGE")
    if exchange not in EXCHANGES:
        raise ValueError(f"bad pattern {t!r}: unknown exchange {exchange} (one of {', '.join(EXCHANGES)})")
    if head == "*":
        return Pattern(t, "exchange", exchange=exchange)
    if head.endswith("*"):
        code = head[:-1]
        if not _PRODUCT.match(code):
            raise ValueError(f"bad pattern {t!r}: {code!r} is not a product code")
        if exchange in ("SSE", "SZSE"):
            raise ValueError(f"bad pattern {t!r}: {exchange} option ids do not name their underlying; use *.{exchange} or list the instruments")
        return Pattern(t, "product", exchange=exchange, product=code)
    if "*" in head:
        raise ValueError(f"bad pattern {t!r}: a wildcard may only end a product code (rb*.SHFE) or stand alone (*.SHFE)")
    if not _SYMBOL.match(head):
        raise ValueError(f"bad pattern {t!r}: {head!r} is not an instrument id")
    return Pattern(t, "instrument", exchange=exchange, symbol=head)


class Subscriptions:
    """The patterns a client holds, with a per-instrument match cache (a wide stream asks per tick)."""

    def __init__(self) -> None:
        self._patterns: dict[str, Pattern] = {}
        self._cache: dict[tuple[str, str], bool] = {}
        #: Whether ``*`` is held: then the hub-wide ``seq`` is contiguous for this client too.
        self.has_all = False

    def add(self, patterns: Iterable[Pattern]) -> list[Pattern]:
        """Adds patterns; returns those that were new."""
        added = [p for p in patterns if p.text not in self._patterns]
        for p in added:
            self._patterns[p.text] = p
        if added:
            self._changed()
        return added

    def remove(self, patterns: Iterable[Pattern]) -> list[Pattern]:
        """Removes patterns; returns those that were held."""
        removed = [self._patterns.pop(p.text) for p in patterns if p.text in self._patterns]
        if removed:
            self._changed()
        return removed

    def _changed(self) -> None:
        self._cache.clear()
        self.has_all = any(p.kind == "all" for p in self._patterns.values())

    def __iter__(self):
        return iter(tuple(self._patterns.values()))

    def __len__(self) -> int:
        return len(self._patterns)

    def matches(self, symbol: str, exchange: str) -> bool:
        key = (symbol, exchange)
        hit = self._cache.get(key)
        if hit is None:
            hit = any(p.matches(symbol, exchange) for p in self._patterns.values())
            if len(self._cache) > 200_000:  # a garbage stream cannot grow it without bound
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def prefixes(self, batch: Optional[bool]) -> set[bytes]:
        """Topic prefixes to hold on the SUB socket. ``batch`` is what the hub's heartbeat said: None
        before the first heartbeat (wide patterns take both topics; the merge drops duplicates by iseq),
        True for the batch stream, False for per-tick topics."""
        out: set[bytes] = set()
        for p in self._patterns.values():
            bp = p.batch_prefix()
            if bp is None or batch is not True:
                out.update(p.tick_prefixes())
            if bp is not None and batch is not False:
                out.add(bp)
        return out
