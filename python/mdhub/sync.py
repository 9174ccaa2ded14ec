"""The merge of the live stream with snapshots: joins, gaps, restarts. Pure logic, no sockets.

Rules (docs/wire-protocol.md, "Joining the live stream with a snapshot"):

* An instrument is *held* while a snapshot request that will sync it is outstanding: its live ticks
  are queued. When the reply comes, the snapshot's state is delivered if it is newer than what the
  client delivered before, then the queued ticks with a higher ``iseq``, in order. An instrument the
  reply does not name had no published state when the reply was taken (its ``seq``), so its first
  tick must be ``iseq`` 1.
* A synced instrument passes ticks through while ``iseq`` goes up by one; a lower or equal ``iseq``
  is a duplicate (the batch and per-tick topics overlap while a client changes stream); a jump is a
  gap: the instrument is held again and re-fetched. While one request for gaps is out, the gaps found
  meanwhile are collected into the next.
* With ``*`` held, the hub-wide ``seq`` must be contiguous too. Each heartbeat names the last ``seq``
  published before it; when the previous heartbeat's ``seq`` is still not covered, ticks were lost
  that no ``iseq`` may reveal soon (an instrument that does not tick again): every instrument is
  re-fetched. (One heartbeat of slack, because batch messages of one publish turn may follow each
  other in any exchange order.)
* A new ``run_id`` (tick, heartbeat, status or snapshot reply) is a restart: forget everything, take
  a fresh snapshot. Messages of an earlier run that still sit in the socket are dropped.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from .events import Event, Gap, HubRestart, InstrumentState, SnapshotApplied, SnapshotFailed
from .patterns import Pattern, Subscriptions
from .tick import Tick

#: Most names one ``last`` request lists (the service's limit); more are asked for as "all".
MAX_NAMES_PER_REQUEST = 10_000
#: Sequence numbers seen ahead of a hole before the client stops waiting for the next heartbeat.
MAX_SEQ_AHEAD = 1_000_000

Item = Union[Tick, Event]


@dataclass(slots=True)
class SnapshotRequest:
    """One outstanding ``{op: "last"}`` request and the instruments it syncs."""

    id: int
    reason: str
    #: Instruments named explicitly (narrow subscriptions, gaps).
    names: set[str]
    #: Wide patterns whose not-yet-synced instruments this request syncs.
    scope: tuple[Pattern, ...]
    attempts: int = 0
    #: Monotonic time of the last send; None until it is sent (gaps found before then join it).
    sent_at: Optional[float] = None

    @property
    def ask_all(self) -> bool:
        return bool(self.scope) or len(self.names) > MAX_NAMES_PER_REQUEST

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"op": "last", "id": self.id}
        if not self.ask_all:
            body["instruments"] = sorted(self.names)
        return body

    def covers(self, vt: str, symbol: str, exchange: str) -> bool:
        return vt in self.names or any(p.matches(symbol, exchange) for p in self.scope)


@dataclass(slots=True)
class _Hold:
    request_id: int
    ticks: list[tuple[dict[str, Any], int]] = field(default_factory=list)


class Sequencer:
    """Per-instrument sequence state of one client; ticks and events to deliver collect in ``out``."""

    def __init__(self, subs: Subscriptions) -> None:
        self.subs = subs
        self.out: deque[Item] = deque()
        self.run_id: Optional[str] = None
        self._past_runs: set[str] = set()
        #: Last iseq delivered per instrument (0: synced, nothing published yet).
        self._last: dict[str, int] = {}
        self._held: dict[str, _Hold] = {}
        self.requests: dict[int, SnapshotRequest] = {}
        self._next_id = 1
        self._gap_draft: Optional[SnapshotRequest] = None
        #: Data state per instrument, as last announced (absent: ok).
        self.states: dict[str, str] = {}
        # Hub-wide seq watermark (only while `*` is held): all seqs up to _seq_low were seen or covered
        # by a snapshot; _seq_ahead holds those seen beyond a hole.
        self._seq_low: Optional[int] = None
        self._seq_ahead: set[int] = set()
        self._hb_seq_prev: Optional[int] = None
        self.counters = {"duplicates": 0, "gaps": 0, "snapshots": 0, "stale_run_dropped": 0}
        #: Called with (previous, new) run id after a restart reset (the client re-selects its stream).
        self.on_restart: Callable[[str, str], None] = lambda prev, new: None

    # ---- subscriptions ------------------------------------------------------------------------

    def join(self, patterns: list[Pattern], reason: str) -> None:
        """Starts syncing newly subscribed patterns: a snapshot request whose reply they merge with."""
        names = {p.vt_symbol for p in patterns if p.vt_symbol} - self._last.keys()
        scope = tuple(p for p in patterns if p.wide)
        if not names and not scope:
            return
        req = self._new_request(reason, names, scope)
        for vt in names:
            self._held.setdefault(vt, _Hold(req.id))

    def forget(self) -> None:
        """Drops the state of instruments no pattern matches any more (after an unsubscribe)."""
        for d in (self._last, self._held, self.states):
            for vt in [vt for vt in d if not self.subs.matches(*vt.rsplit(".", 1))]:
                del d[vt]
        if not self.subs.has_all:
            self._seq_low = None
            self._seq_ahead.clear()

    # ---- the stream -----------------------------------------------------------------------------

    def on_run(self, run_id: Optional[str]) -> bool:
        """Checks a message's run id; False when it belongs to an earlier run (drop the message)."""
        if run_id is None or run_id == self.run_id:
            return True
        if self.run_id is None:
            self.run_id = run_id
            return True
        if run_id in self._past_runs:
            self.counters["stale_run_dropped"] += 1
            return False
        previous = self.run_id
        self._past_runs.add(previous)
        self.run_id = run_id
        self.out.append(HubRestart(previous, run_id))
        self._last.clear()
        self._held.clear()
        self.requests.clear()
        self._gap_draft = None
        self._seq_low = None
        self._seq_ahead.clear()
        self._hb_seq_prev = None
        self.on_restart(previous, run_id)
        self.join(list(self.subs), "restart")
        return True

    def on_tick(self, m: dict[str, Any], recv_ts: int) -> None:
        """One live tick (a decoded wire map; its run already checked with :meth:`on_run`)."""
        symbol, exchange = m["symbol"], m["exchange"]
        if not self.subs.matches(symbol, exchange):
            return
        if self.subs.has_all:
            self._saw_seq(m["seq"])
        vt = f"{symbol}.{exchange}"
        hold = self._held.get(vt)
        if hold is not None:
            hold.ticks.append((m, recv_ts))
            return
        last = self._last.get(vt)
        if last is None:
            for req in self.requests.values():
                if req.covers(vt, symbol, exchange):
                    self._held[vt] = _Hold(req.id, [(m, recv_ts)])
                    return
            last = 0
        iseq = m["iseq"]
        if iseq <= last:
            self.counters["duplicates"] += 1
        elif iseq == last + 1:
            self._last[vt] = iseq
            self.out.append(Tick.from_wire(m, recv_ts))
        else:
            self._gap(vt, last + 1, iseq, [(m, recv_ts)])

    def on_heartbeat(self, hb: dict[str, Any]) -> None:
        """A heartbeat of the current run: checks the hub-wide seq of a ``*`` subscription."""
        seq = hb.get("seq")
        if not isinstance(seq, int):
            return
        prev, self._hb_seq_prev = self._hb_seq_prev, seq
        if self._seq_low is None or prev is None or self._seq_low >= prev or self._all_request_out():
            return
        got = min(self._seq_ahead) if self._seq_ahead else None
        self.counters["gaps"] += 1
        self.out.append(Gap(None, "seq", self._seq_low + 1, got, self.run_id))
        self._seq_low = max(prev, max(self._seq_ahead, default=prev))
        self._seq_ahead.clear()
        # Every synced instrument is held again until the reply: it may have lost its newest state.
        req = self._new_request("gap", set(), tuple(p for p in self.subs if p.wide))
        for vt in self._last:
            self._held.setdefault(vt, _Hold(req.id))

    def on_status(self, ev: dict[str, Any]) -> bool:
        """Handles the status kinds the merge needs; False for the rest (the client passes them on)."""
        kind = ev.get("kind")
        if kind == "instrument_state":
            vt = ev.get("vt_symbol")
            if isinstance(vt, str) and "." in vt and self.subs.matches(*vt.rsplit(".", 1)):
                self._set_state(vt, str(ev.get("state")), str(ev.get("reason") or ""), "status")
            return True
        if kind == "states_replaced":
            for vt in ev.get("instruments") or []:
                if isinstance(vt, str) and vt in self._last and vt not in self._held:
                    self.counters["gaps"] += 1
                    self.out.append(Gap(vt, "states_replaced", None, None, self.run_id))
                    req = self._gap_request()
                    req.names.add(vt)
                    self._held[vt] = _Hold(req.id)
            return False  # the event itself goes on to the strategy too
        return False

    # ---- snapshot replies -------------------------------------------------------------------------

    def on_reply(self, req_id: int, reply: dict[str, Any], recv_ts: int) -> None:
        """Merges a ``last`` reply into the stream."""
        req = self.requests.get(req_id)
        if req is None:
            return  # superseded (a restart) or answered before
        run = reply.get("run_id")
        if not self.on_run(run if isinstance(run, str) else None) or req_id not in self.requests:
            if req_id in self.requests:
                req.sent_at = None  # an earlier run's hub answered: ask again
            return
        del self.requests[req_id]
        if self._gap_draft is req:
            self._gap_draft = None
        self.counters["snapshots"] += 1
        snaps: dict[str, dict[str, Any]] = {}
        for t in reply.get("ticks") or []:
            snaps[f"{t['symbol']}.{t['exchange']}"] = t
        targets = [vt for vt, h in self._held.items() if h.request_id == req_id]
        for vt, t in snaps.items():
            if vt not in self._held and vt not in self._last and req.covers(vt, t["symbol"], t["exchange"]) and self.subs.matches(t["symbol"], t["exchange"]):
                targets.append(vt)
        states = reply.get("states") or {}
        delivered = 0
        for vt in targets:
            delivered += self._merge(vt, snaps.get(vt), self._held.pop(vt, None), recv_ts)
            if vt in states:
                self._set_state(vt, str(states[vt]), "snapshot", "snapshot")
        seq = reply.get("seq") if isinstance(reply.get("seq"), int) else 0
        if req.ask_all and self.subs.has_all:
            self._cover_seq(seq)
        self.out.append(SnapshotApplied(req.reason, len(targets), delivered, str(run), seq))

    def give_up(self, req_id: int, error: str) -> None:
        """The service did not answer: release the held ticks as they came, and say so."""
        req = self.requests.pop(req_id, None)
        if req is None:
            return
        if self._gap_draft is req:
            self._gap_draft = None
        self.out.append(SnapshotFailed(req.reason, req.attempts, error))
        for vt in [vt for vt, h in self._held.items() if h.request_id == req_id]:
            hold = self._held.pop(vt)
            if hold.ticks:  # accept the hole before the first held tick: nothing can fill it now
                self._last[vt] = max(self._last.get(vt, 0), hold.ticks[0][0]["iseq"] - 1)
            self._merge(vt, None, hold, 0)

    def unsent(self) -> list[SnapshotRequest]:
        """Requests to send now (new ones, and those to ask again). While one request for gaps is out,
        the next collects the gaps found meanwhile: an overflow that hits hundreds of instruments costs a
        few requests, not one per message read."""
        gap_out = any(r.sent_at is not None and r.reason == "gap" and not r.ask_all for r in self.requests.values())
        return [r for r in self.requests.values() if r.sent_at is None and not (gap_out and r is self._gap_draft)]

    @property
    def held_ticks(self) -> int:
        return sum(len(h.ticks) for h in self._held.values())

    # ---- internals --------------------------------------------------------------------------------

    def _new_request(self, reason: str, names: set[str], scope: tuple[Pattern, ...]) -> SnapshotRequest:
        req = SnapshotRequest(self._next_id, reason, names, scope)
        self._next_id += 1
        self.requests[req.id] = req
        return req

    def _gap_request(self) -> SnapshotRequest:
        if self._gap_draft is None or self._gap_draft.sent_at is not None or self._gap_draft.id not in self.requests:
            self._gap_draft = self._new_request("gap", set(), ())
        return self._gap_draft

    def _gap(self, vt: str, expected: int, got: int, ticks: list[tuple[dict[str, Any], int]]) -> None:
        self.counters["gaps"] += 1
        self.out.append(Gap(vt, "iseq", expected, got, self.run_id))
        req = self._gap_request()
        req.names.add(vt)
        self._held[vt] = _Hold(req.id, ticks)

    def _merge(self, vt: str, snap: Optional[dict[str, Any]], hold: Optional[_Hold], recv_ts: int) -> bool:
        """Delivers the snapshot's state if it is new, then the held ticks after it; True when the
        snapshot's state was delivered."""
        base = self._last.get(vt, 0)
        took_snapshot = snap is not None and snap["iseq"] > base
        if took_snapshot:
            self.out.append(Tick.from_wire(snap, recv_ts, from_snapshot=True))
            base = snap["iseq"]
        ticks = hold.ticks if hold else []
        for i, (m, r) in enumerate(ticks):
            iseq = m["iseq"]
            if iseq <= base:
                self.counters["duplicates"] += 1
            elif iseq == base + 1:
                self.out.append(Tick.from_wire(m, r))
                base = iseq
            else:
                # A hole between the snapshot and the live ticks: more was lost, or a subscription
                # took effect after the snapshot was taken. Sync again from this tick on.
                self._last[vt] = base
                self._gap(vt, base + 1, iseq, ticks[i:])
                return took_snapshot
        self._last[vt] = base
        return took_snapshot

    def _set_state(self, vt: str, state: str, reason: str, origin: str) -> None:
        if self.states.get(vt, "ok") == state:
            return
        if state == "ok":
            self.states.pop(vt, None)
        else:
            self.states[vt] = state
        self.out.append(InstrumentState(vt, state, reason, origin))  # type: ignore[arg-type]

    def _all_request_out(self) -> bool:
        return any(r.ask_all for r in self.requests.values())

    def _saw_seq(self, seq: int) -> None:
        low = self._seq_low
        if low is None:
            if len(self._seq_ahead) < MAX_SEQ_AHEAD:
                self._seq_ahead.add(seq)
            return
        if seq <= low:
            return
        if seq == low + 1:
            low += 1
            ahead = self._seq_ahead
            while ahead and (low + 1) in ahead:
                low += 1
                ahead.discard(low)
            self._seq_low = low
        elif len(self._seq_ahead) < MAX_SEQ_AHEAD:
            self._seq_ahead.add(seq)

    def _cover_seq(self, seq: int) -> None:
        """Everything up to the reply's seq is reflected in the snapshot just merged."""
        low = max(seq, self._seq_low or 0)
        ahead = {s for s in self._seq_ahead if s > low}
        while (low + 1) in ahead:
            low += 1
            ahead.discard(low)
        self._seq_low = low
        self._seq_ahead = ahead
