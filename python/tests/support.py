"""What several test files share: collecting a client's stream, checking it, and the tape comparison."""
from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

import mdhub
from mdhub import snapshot as snapshot_service

from .hubproc import ROOT, Hub

TAPE_CHECK = Path(__file__).with_name("tape_check.mjs")
#: Wire fields that must be equal between a client's copy and the hub's snapshot of a state.
COMPARED = ("symbol", "exchange", "datetime", "trading_day", "volume", "turnover", "open_interest", "last_price",
            "bid_price_1", "ask_price_1", "bid_volume_1", "ask_volume_1", "limit_up", "limit_down", "seq", "iseq", "run_id", "source")


class Recorder:
    """Everything a client delivered, in order, with the time each item was taken (monotonic)."""

    def __init__(self) -> None:
        self.items: list[tuple[float, Any]] = []

    def add(self, item: Any) -> None:
        self.items.append((time.monotonic(), item))

    @property
    def ticks(self) -> list[mdhub.Tick]:
        return [i for _, i in self.items if isinstance(i, mdhub.Tick)]

    def events(self, kind: type = object) -> list[Any]:
        return [i for _, i in self.items if not isinstance(i, mdhub.Tick) and isinstance(i, kind)]

    def last_by_instrument(self) -> dict[str, mdhub.Tick]:
        out: dict[str, mdhub.Tick] = {}
        for t in self.ticks:
            out[t.vt_symbol] = t
        return out


def pump(client: mdhub.Client, rec: Recorder, seconds: float, per_item: Optional[Callable[[Any], None]] = None) -> None:
    """Reads the client for ``seconds``, recording every item."""
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        item = client.next(min(left, 0.2))
        if item is not None:
            rec.add(item)
            if per_item:
                per_item(item)


def pump_until(client: mdhub.Client, rec: Recorder, what: str, done: Callable[[], bool], timeout: float = 20.0) -> None:
    until = time.monotonic() + timeout
    while not done():
        if time.monotonic() > until:
            raise AssertionError(f"timed out waiting for {what}")
        item = client.next(0.1)
        if item is not None:
            rec.add(item)


def stream_problems(ticks: list[mdhub.Tick], gaps_allowed: bool = False) -> list[str]:
    """Per instrument: the first state comes from the snapshot or is iseq 1; then iseq goes up by one,
    with no duplicate; a jump is allowed only for a snapshot state after a gap (``gaps_allowed``)."""
    problems: list[str] = []
    last: dict[str, int] = {}
    seen: set[tuple[str, int]] = set()
    for t in ticks:
        key = (t.vt_symbol, t.iseq)
        if key in seen:
            problems.append(f"{t.vt_symbol} iseq {t.iseq} delivered twice")
        seen.add(key)
        prev = last.get(t.vt_symbol)
        if prev is None:
            if not t.from_snapshot and t.iseq != 1:
                problems.append(f"{t.vt_symbol} starts at iseq {t.iseq} without a snapshot")
        elif t.iseq != prev + 1 and not (gaps_allowed and t.from_snapshot and t.iseq > prev):
            problems.append(f"{t.vt_symbol} iseq {prev} -> {t.iseq}{' (snapshot)' if t.from_snapshot else ''}")
        last[t.vt_symbol] = t.iseq
    return problems


def tape_check(hub: Hub, ticks: list[mdhub.Tick]) -> dict[str, Any]:
    """Compares delivered ticks with the simulator's ground-truth tape (python/tests/tape_check.mjs)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([{**t.to_wire(), "from_snapshot": t.from_snapshot} for t in ticks], f)
        path = f.name
    try:
        r = subprocess.run(["node", str(TAPE_CHECK), str(Path(hub.data_dir, "ready.json")), path], cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        Path(path).unlink(missing_ok=True)
    if r.returncode != 0:
        raise AssertionError(f"tape_check.mjs failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def hub_last(hub: Hub, instruments: Optional[list[str]] = None) -> dict[str, Any]:
    body: dict[str, Any] = {"op": "last"}
    if instruments is not None:
        body["instruments"] = instruments
    return snapshot_service.request(hub.snapshot, body)


def state_differences(mine: mdhub.Tick, theirs: dict[str, Any]) -> list[str]:
    wire = mine.to_wire()
    return [f"{k}: {wire.get(k)!r} != {theirs.get(k)!r}" for k in COMPARED if wire.get(k) != theirs.get(k)]


def mdhub_cli(hub: Hub, *args: str) -> subprocess.Popen[bytes]:
    """Starts one `mdhub` command against a running hub's data folder (its control socket)."""
    return subprocess.Popen(["node", str(ROOT / "packages/core/dist/cli.js"), *args, "--data-dir", hub.data_dir],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)


def stop_sources(hub: Hub) -> None:
    """Stops every source of a running hub (`mdhub gateway stop`), so nothing more is published."""
    procs = [mdhub_cli(hub, "gateway", "stop", name) for name in hub.ready["sources"]]
    for p in procs:
        out, _ = p.communicate(timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"mdhub gateway stop failed: {out.decode(errors='replace')}")
