"""The streaming client: one SUB socket for the stream, one DEALER for snapshots, read on the caller's thread.

The client reads its sockets only when the strategy asks for the next item (an iterator step, or the
loop behind the callbacks). That keeps a slow strategy's backlog inside ZeroMQ, bounded by the receive
high-water mark, instead of in an unbounded Python queue, and it makes liveness honest: the hub is
declared down only after a read found the socket empty *and* nothing arrived for ``stale_after``
seconds of this process's monotonic clock, so a consumer working through a backlog never reads as
"hub down", and no clock of another host is ever compared with ours.

Socket calls happen only on the thread that runs the loop; ``subscribe``, ``unsubscribe`` and
``close`` may be called from any thread: they queue a command and wake the loop through a pipe.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import Any, Callable, Iterator, Optional

import msgpack
import zmq

from . import snapshot as snapshot_service
from .events import Event, HubDown, HubLog, HubStatus, HubUp, StreamSelected
from .latency import LatencyStats
from .patterns import Pattern, Subscriptions, parse_pattern
from .sync import Item, Sequencer
from .tick import Tick

DEFAULT_PUB = "tcp://127.0.0.1:7701"
DEFAULT_SNAPSHOT = "tcp://127.0.0.1:7702"

log = logging.getLogger("mdhub")

TickHandler = Callable[[Tick], None]
EventHandler = Callable[[Event], None]

#: Most messages read in one loop turn before it looks at snapshot replies, commands and timers again.
_READ_BURST = 64
#: Timers (snapshot timeouts) are looked at least this often while the socket never runs dry.
_TIMER_EVERY = 0.05


def _now_us() -> int:
    return time.time_ns() // 1000


class Client:
    """Subscribes to an mdhub and delivers a merged, gap-checked stream of :class:`Tick` and events.

    ``pub`` and ``snapshot`` are the hub's endpoints. ``stale_after`` (seconds) is the silence after
    which the hub counts as down; ``rcvhwm`` the SUB socket's receive high-water mark (set before
    connecting); ``snapshot_timeout``/``snapshot_attempts`` bound each snapshot request; ``batch=False``
    keeps wide subscriptions on per-tick topics even when the hub offers the batch stream; ``logs=True``
    also delivers the hub's log records.
    """

    def __init__(
        self,
        pub: str = DEFAULT_PUB,
        snapshot: str = DEFAULT_SNAPSHOT,
        *,
        stale_after: float = 2.0,
        rcvhwm: int = 1_000_000,
        snapshot_timeout: float = 2.0,
        snapshot_attempts: int = 3,
        batch: bool = True,
        logs: bool = False,
        context: Optional[zmq.Context] = None,
    ) -> None:
        self.pub_endpoint = pub
        self.snapshot_endpoint = snapshot
        self.stale_after = stale_after
        self.snapshot_timeout = snapshot_timeout
        self.snapshot_attempts = snapshot_attempts
        self._ctx = context or zmq.Context.instance()
        self._sub = self._ctx.socket(zmq.SUB)
        self._sub.setsockopt(zmq.RCVHWM, rcvhwm)
        self._sub.setsockopt(zmq.LINGER, 0)
        self._sub.setsockopt(zmq.RECONNECT_IVL, 100)
        self._sub.setsockopt(zmq.RECONNECT_IVL_MAX, 2000)
        self._sub.connect(pub)
        self._dealer = self._ctx.socket(zmq.DEALER)
        self._dealer.setsockopt(zmq.LINGER, 0)
        self._dealer.connect(snapshot)
        self._wake_r, self._wake_w = os.pipe()
        self._wake_lock = threading.Lock()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._poller = zmq.Poller()
        self._poller.register(self._sub, zmq.POLLIN)
        self._poller.register(self._dealer, zmq.POLLIN)
        self._poller.register(self._wake_r, zmq.POLLIN)

        self._subs = Subscriptions()
        self._seq = Sequencer(self._subs)
        self._seq.on_restart = self._on_restart
        self._batch_allowed = batch
        #: What the hub's heartbeat said: None before the first one (wide patterns take both topics).
        self._batch: Optional[bool] = None if batch else False
        self._fixed = {b"heartbeat", b"status"} | ({b"log"} if logs else set())
        self._applied: set[bytes] = set()
        self._commands: "queue.SimpleQueue[tuple[str, list[Pattern]]]" = queue.SimpleQueue()
        self._loop_lock = threading.Lock()
        self._closed = False
        self._thread: Optional[threading.Thread] = None
        self._tick_handlers: list[TickHandler] = []
        self._event_handlers: list[EventHandler] = []
        self._last_msg = time.monotonic()
        self._up: Optional[bool] = None
        self._last_timers = 0.0
        #: The latest heartbeat of the current run (a dict as on the wire), None before the first.
        self.heartbeat: Optional[dict[str, Any]] = None
        self.latency = LatencyStats()
        self._counters = {"messages": 0, "ticks": 0, "bad_messages": 0, "callback_errors": 0, "snapshot_errors": 0}
        self._reconcile()

    # ---- public API ---------------------------------------------------------------------------------

    def subscribe(self, *patterns: str) -> None:
        """Adds patterns (``rb2701.SHFE``, ``*.SHFE``, ``rb*.SHFE``, ``*``); any thread, any time.
        Raises ValueError for a bad pattern. New instruments are joined with a snapshot."""
        self._command("sub", [parse_pattern(p) for p in patterns])

    def unsubscribe(self, *patterns: str) -> None:
        """Removes patterns; ticks of instruments no other pattern matches stop."""
        self._command("unsub", [parse_pattern(p) for p in patterns])

    def on_tick(self, handler: TickHandler) -> TickHandler:
        """Registers a tick callback for :meth:`run`/:meth:`start` (usable as a decorator)."""
        self._tick_handlers.append(handler)
        return handler

    def on_event(self, handler: EventHandler) -> EventHandler:
        """Registers an event callback, called by :meth:`run`/:meth:`start` and :meth:`ticks`."""
        self._event_handlers.append(handler)
        return handler

    def next(self, timeout: Optional[float] = None) -> Optional[Item]:
        """The next tick or event, or None after ``timeout`` seconds without one (None: wait until
        :meth:`close`). Only one thread at a time may read."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._loop_lock:
            while True:
                out = self._seq.out
                if out:
                    item = out.popleft()
                    if type(item) is Tick:
                        self._counters["ticks"] += 1
                        self.latency.add(item)
                    return item
                if self._closed:
                    return None
                self._step(deadline)
                if deadline is not None and not self._seq.out and time.monotonic() >= deadline:
                    return None

    def events(self, timeout: Optional[float] = None) -> Iterator[Item]:
        """Iterates ticks and events in stream order; ends after ``timeout`` idle seconds or at close."""
        while True:
            item = self.next(timeout)
            if item is None:
                return
            yield item

    def ticks(self, timeout: Optional[float] = None) -> Iterator[Tick]:
        """Iterates ticks; events go to the :meth:`on_event` callbacks. Ends after ``timeout`` idle
        seconds or at close."""
        for item in self.events(timeout):
            if type(item) is Tick:
                yield item
            else:
                self._dispatch(item)

    def run(self, duration: Optional[float] = None) -> None:
        """Delivers everything to the callbacks until :meth:`close` (or for ``duration`` seconds)."""
        deadline = None if duration is None else time.monotonic() + duration
        while not self._closed:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            item = self.next(remaining)
            if item is not None:
                self._dispatch(item)

    def start(self) -> threading.Thread:
        """Runs :meth:`run` in a daemon thread; callbacks are called from it."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="mdhub-client", daemon=True)
            self._thread.start()
        return self._thread

    def close(self, timeout: float = 5.0) -> None:
        """Stops the loop (from any thread) and closes the sockets."""
        if self._closed and self._sub.closed:
            return
        self._closed = True
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._loop_lock.acquire(timeout=timeout):
            try:
                if not self._sub.closed:
                    self._sub.close(0)
                    self._dealer.close(0)
                    with self._wake_lock:  # never write to a descriptor number the process reused
                        os.close(self._wake_r)
                        os.close(self._wake_w)
                        self._wake_w = -1
            finally:
                self._loop_lock.release()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def run_id(self) -> Optional[str]:
        """The hub run the stream belongs to (None before the first message)."""
        return self._seq.run_id

    @property
    def hub_up(self) -> Optional[bool]:
        """True while messages arrive, False after :class:`HubDown`, None before the first message."""
        return self._up

    @property
    def batch_stream(self) -> Optional[bool]:
        """Whether wide subscriptions use the batch stream (None until the first heartbeat)."""
        return self._batch

    @property
    def patterns(self) -> list[str]:
        return [p.text for p in self._subs]

    @property
    def instrument_states(self) -> dict[str, str]:
        """Instruments whose data state is not ``ok``, as last announced."""
        return dict(self._seq.states)

    def stats(self) -> dict[str, int]:
        """Counters: messages read, ticks delivered, duplicates dropped, gaps, snapshots merged, ticks
        held for a snapshot right now, undecodable messages, callback errors, refused snapshot requests."""
        return {**self._counters, **self._seq.counters, "held": self._seq.held_ticks}

    def instruments(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Reference data of every instrument the hub knows (``{op: "instruments"}``), as sent."""
        return snapshot_service.request(self.snapshot_endpoint, {"op": "instruments"}, timeout, self._ctx)["instruments"]

    def last(self, *vt_symbols: str, timeout: float = 5.0) -> dict[str, Tick]:
        """The hub's last published state of the named instruments (all without names), by vt_symbol."""
        body: dict[str, Any] = {"op": "last"}
        if vt_symbols:
            body["instruments"] = list(vt_symbols)
        reply = snapshot_service.request(self.snapshot_endpoint, body, timeout, self._ctx)
        now = _now_us()
        return {f"{t['symbol']}.{t['exchange']}": Tick.from_wire(t, now, from_snapshot=True) for t in reply["ticks"]}

    # ---- the loop -------------------------------------------------------------------------------------

    def _step(self, deadline: Optional[float]) -> None:
        """One turn: commands, a burst of messages, snapshot replies, timers; waits when there is
        nothing to do."""
        self._apply_commands()
        read, drained = self._read_stream()
        if self._dealer.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            self._read_replies()
        now = time.monotonic()
        if drained or now - self._last_timers >= _TIMER_EVERY:
            self._timers(now, drained)
        self._send_requests(now)
        if read or self._seq.out:
            return
        wait = self._next_timer(now)
        if deadline is not None:
            wait = min(wait, deadline - now)
        if wait > 0 and not self._closed:
            ready = dict(self._poller.poll(wait * 1000))
            if ready.get(self._wake_r):
                try:
                    os.read(self._wake_r, 4096)
                except BlockingIOError:
                    pass

    def _read_stream(self) -> tuple[int, bool]:
        """Reads messages until one gives something to deliver (held ticks, heartbeats and duplicates
        do not), at most a burst; (how many, whether the socket ran dry). Reading no further keeps a slow
        strategy's backlog in ZeroMQ, where the high-water mark bounds it."""
        sub, out = self._sub, self._seq.out
        for n in range(_READ_BURST):
            if out:
                return n, False
            try:
                frames = sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return n, True
            self._on_message(frames, _now_us())
        return _READ_BURST, False

    def _on_message(self, frames: list[bytes], recv_ts: int) -> None:
        self._last_msg = time.monotonic()
        self._counters["messages"] += 1
        try:
            topic, payload = frames[0], frames[-1]
            msg = msgpack.unpackb(payload, raw=False)
            if not isinstance(msg, dict):
                raise ValueError("payload is not a map")
        except Exception:  # a malformed message never ends the stream; it is counted
            self._counters["bad_messages"] += 1
            return
        seq = self._seq
        run = msg.get("run_id")
        if self._up is not True:
            self._up = True
            seq.out.append(HubUp(run if isinstance(run, str) else seq.run_id))
        if not seq.on_run(run if isinstance(run, str) else None):
            return
        try:
            if topic.startswith(b"tick."):
                seq.on_tick(msg, recv_ts)
            elif topic.startswith(b"batch."):
                for t in msg.get("ticks") or ():
                    t.setdefault("run_id", run)
                    seq.on_tick(t, recv_ts)
            elif topic == b"heartbeat":
                self.heartbeat = msg
                self._select_stream(msg.get("features") or ())
                seq.on_heartbeat(msg)
            elif topic == b"status":
                if not seq.on_status(msg):
                    seq.out.append(HubStatus(str(msg.get("kind")), msg))
            elif topic == b"log":
                seq.out.append(HubLog(str(msg.get("level")), str(msg.get("msg")), str(msg.get("area")), msg))
        except (KeyError, TypeError, AttributeError):  # a map without the keys its topic promises
            self._counters["bad_messages"] += 1

    def _read_replies(self) -> None:
        while True:
            try:
                frames = self._dealer.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                reply = msgpack.unpackb(frames[-1], raw=False)
            except Exception:
                self._counters["bad_messages"] += 1
                continue
            if not isinstance(reply, dict):
                continue
            req = self._seq.requests.get(reply.get("id"))  # type: ignore[arg-type]
            if req is None:
                continue
            if reply.get("ok"):
                self._seq.on_reply(req.id, reply, _now_us())
            else:
                self._counters["snapshot_errors"] += 1
                self._failed_attempt(req.id, f"{reply.get('error')}: {reply.get('message')}")

    def _timers(self, now: float, drained: bool) -> None:
        self._last_timers = now
        silent = now - self._last_msg
        if drained and silent >= self.stale_after and self._up is not False:
            self._up = False
            self._seq.out.append(HubDown(silent))
        for req in list(self._seq.requests.values()):
            if req.sent_at is not None and now - req.sent_at >= self.snapshot_timeout:
                if self._up:
                    self._failed_attempt(req.id, f"no reply within {self.snapshot_timeout:g} s")
                else:
                    req.sent_at = None  # the hub is away: ask again once it is back, uncounted

    def _failed_attempt(self, req_id: int, error: str) -> None:
        req = self._seq.requests[req_id]
        req.attempts += 1
        if req.attempts >= self.snapshot_attempts:
            self._seq.give_up(req_id, error)
        else:
            req.sent_at = None

    def _next_timer(self, now: float) -> float:
        """Seconds until a timer needs the loop (the liveness deadline, a snapshot timeout)."""
        wait = 1.0
        if self._up is not False:
            wait = min(wait, self._last_msg + self.stale_after - now)
        for req in self._seq.requests.values():
            if req.sent_at is not None:
                wait = min(wait, req.sent_at + self.snapshot_timeout - now)
        return max(wait, 0.001)

    def _send_requests(self, now: float) -> None:
        # Only once the stream delivers: the subscriptions are in effect, so the snapshot cannot be
        # older than the first live tick the client will see.
        if not self._up:
            return
        for req in self._seq.unsent():
            try:
                self._dealer.send(msgpack.packb(req.payload(), use_bin_type=True), zmq.NOBLOCK)
            except zmq.Again:
                return
            req.sent_at = now

    # ---- subscriptions --------------------------------------------------------------------------------

    def _command(self, op: str, patterns: list[Pattern]) -> None:
        if self._closed:
            raise RuntimeError("the client is closed")
        self._commands.put((op, patterns))
        self._wake()

    def _apply_commands(self) -> None:
        if self._commands.empty():
            return
        changed = False
        while True:
            try:
                op, patterns = self._commands.get_nowait()
            except queue.Empty:
                break
            if op == "sub":
                added = self._subs.add(patterns)
                if added:
                    self._seq.join(added, "join")
                    changed = True
            elif self._subs.remove(patterns):
                self._seq.forget()
                changed = True
        if changed:
            self._reconcile()

    def _reconcile(self) -> None:
        """Brings the SUB socket's topic prefixes in line: new ones first, then the old ones go, so a
        change of stream never leaves a moment with neither subscribed."""
        want = self._subs.prefixes(self._batch) | self._fixed
        for p in sorted(want - self._applied):
            self._sub.setsockopt(zmq.SUBSCRIBE, p)
        for p in sorted(self._applied - want):
            self._sub.setsockopt(zmq.UNSUBSCRIBE, p)
        self._applied = want

    def _select_stream(self, features: Any) -> None:
        feats = tuple(f for f in features if isinstance(f, str)) if isinstance(features, (list, tuple)) else ()
        batch = self._batch_allowed and "batch" in feats
        if batch != self._batch:
            self._batch = batch
            self._reconcile()
            self._seq.out.append(StreamSelected("batch" if batch else "tick", feats))

    def _on_restart(self, previous: str, run_id: str) -> None:
        # The new run's hub may serve other features: take both streams until its first heartbeat.
        if self._batch_allowed:
            self._batch = None
            self._reconcile()

    def _wake(self) -> None:
        with self._wake_lock:
            if self._wake_w < 0:
                return
            try:
                os.write(self._wake_w, b"x")
            except BlockingIOError:
                pass  # the pipe is full: the loop wakes anyway

    def _dispatch(self, item: Item) -> None:
        handlers: list[Any] = self._tick_handlers if type(item) is Tick else self._event_handlers
        for h in handlers:
            try:
                h(item)
            except Exception:  # a strategy's exception never ends the stream
                self._counters["callback_errors"] += 1
                log.exception("mdhub callback %r failed on %r", h, type(item).__name__)
