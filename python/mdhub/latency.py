"""Latency of delivered ticks from the hub's own stamps.

Every tick carries ``gw_recv_ts`` (the winning gateway process received it), ``hub_recv_ts`` (the hub
took it off the gateway link) and ``hub_pub_ts`` (the hub published it), epoch microseconds of the
hub host's clock; the client stamps ``recv_ts`` when it reads the message. The differences that
involve ``recv_ts`` mean something only when this process runs on the hub's host (one clock) or on a
host whose clock is synchronised with it to well under the latency measured (PTP, not plain NTP).
``recv_ts`` is when the strategy's loop read the message, so a consumer behind its socket sees its
own backlog in ``hop`` — which is what its decisions experience.
"""
from __future__ import annotations

from collections import deque
from typing import Iterable

from .tick import Tick


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


class LatencyStats:
    """Rolling latency figures, in milliseconds, over the last ``window`` live ticks.

    ``hop``: hub publish to this process's read; ``hub``: inside the hub (link to publish);
    ``total``: gateway receipt to this process's read. Snapshot ticks are not counted (their stamps are
    from when the state was first published).
    """

    def __init__(self, window: int = 100_000) -> None:
        self._hop: deque[int] = deque(maxlen=window)
        self._hub: deque[int] = deque(maxlen=window)
        self._total: deque[int] = deque(maxlen=window)

    def add(self, t: Tick) -> None:
        if t.from_snapshot or not t.recv_ts or not t.hub_pub_ts:
            return
        self._hop.append(t.recv_ts - t.hub_pub_ts)
        self._hub.append(t.hub_pub_ts - t.hub_recv_ts)
        if t.gw_recv_ts:
            self._total.append(t.recv_ts - t.gw_recv_ts)

    def add_all(self, ticks: Iterable[Tick]) -> None:
        for t in ticks:
            self.add(t)

    def reset(self) -> None:
        self._hop.clear()
        self._hub.clear()
        self._total.clear()

    def summary(self) -> dict[str, dict[str, float]]:
        """``{"hop": {"count", "p50", "p90", "p99", "max"}, "hub": …, "total": …}`` in milliseconds."""
        out: dict[str, dict[str, float]] = {}
        for name, values in (("hop", self._hop), ("hub", self._hub), ("total", self._total)):
            s = sorted(values)
            out[name] = {
                "count": len(s),
                "p50": percentile(s, 50) / 1000,
                "p90": percentile(s, 90) / 1000,
                "p99": percentile(s, 99) / 1000,
                "max": (s[-1] / 1000) if s else float("nan"),
            }
        return out
