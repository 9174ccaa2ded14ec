"""Typed events a client delivers beside ticks, in stream order.

Match on the class (``isinstance`` or ``match``); every event is a frozen dataclass. Unknown status
kinds from a newer hub arrive as :class:`HubStatus`, never as an error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Union


@dataclass(frozen=True, slots=True)
class HubUp:
    """The first message arrived, or messages arrive again after :class:`HubDown`."""

    run_id: Optional[str]


@dataclass(frozen=True, slots=True)
class HubDown:
    """The client drained its socket and has seen nothing for ``silent_for`` seconds of its own
    monotonic clock (``stale_after``). A consumer working through a backlog never sees this."""

    silent_for: float


@dataclass(frozen=True, slots=True)
class HubRestart:
    """A new ``run_id``: the hub restarted, ``seq``/``iseq`` start again at 1. The client forgot its
    per-instrument state and takes a fresh snapshot (a :class:`SnapshotApplied` with reason
    ``restart`` follows)."""

    previous_run_id: str
    run_id: str


GapCause = Literal["iseq", "seq", "states_replaced"]


@dataclass(frozen=True, slots=True)
class Gap:
    """Ticks were lost or replaced. ``instrument`` is the vt_symbol, or None for a hole in the hub-wide
    ``seq`` of a ``*`` subscription (then every instrument is re-fetched). ``expected``/``got`` are the
    sequence numbers around the hole (None for ``states_replaced``). The client re-fetches the affected
    instruments from the snapshot service; a :class:`SnapshotApplied` with reason ``gap`` follows."""

    instrument: Optional[str]
    cause: GapCause
    expected: Optional[int]
    got: Optional[int]
    run_id: Optional[str]


@dataclass(frozen=True, slots=True)
class SnapshotApplied:
    """A snapshot reply was merged: ``instruments`` instruments are in sync from it on; ``delivered`` of
    them got a state from it (a tick with ``from_snapshot=True``: a state the client did not have yet);
    the others had nothing published yet, or nothing newer than what the client delivered."""

    reason: str
    instruments: int
    delivered: int
    run_id: str
    seq: int


@dataclass(frozen=True, slots=True)
class SnapshotFailed:
    """The snapshot service did not answer ``attempts`` requests while the hub was up (or refused
    them). The held live ticks were released as they came; their state may lack what was lost."""

    reason: str
    attempts: int
    error: str


@dataclass(frozen=True, slots=True)
class InstrumentState:
    """An instrument's data state changed: ``ok``, ``stale`` (no healthy source feeds it inside its
    session: the last state may be old) or ``suspect`` (its recent copies were all rejected by
    cleansing). Every instrument starts as ``ok``; events come from the hub's ``instrument_state``
    status events and from snapshot replies (``origin``)."""

    vt_symbol: str
    state: str
    reason: str
    origin: Literal["status", "snapshot"]


@dataclass(frozen=True, slots=True)
class StreamSelected:
    """Which topics carry the wide subscriptions (``*``, ``*.EXCH``): ``batch`` when the hub's heartbeat
    lists the feature (wire v1.1), ``tick`` otherwise."""

    stream: Literal["batch", "tick"]
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HubStatus:
    """Any other status event of the hub (``source_state``, ``failover``, ``counters`` …), as sent."""

    kind: str
    data: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class HubLog:
    """A record of the hub's log topic (only with ``logs=True``)."""

    level: str
    msg: str
    area: str
    data: dict[str, Any] = field(hash=False)


Event = Union[HubUp, HubDown, HubRestart, Gap, SnapshotApplied, SnapshotFailed, InstrumentState, StreamSelected, HubStatus, HubLog]
