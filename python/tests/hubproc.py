"""Real hubs for the Python tests, started as a user starts them: the built CLI, ``ready.json``, SIGTERM.

Mirrors tests/e2e/helpers.ts (startHubProcess). A fresh data folder runs the simulated demo (three
simulated sources on the embedded SQLite). Every hub a test starts is stopped, and its gateway
children (``children.json``) are waited for, even when the test fails: :func:`stop_all` runs at exit.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "packages" / "core" / "dist" / "cli.js"
PYTHON_DIR = ROOT / "python"
#: Tests pin the simulated market clock so instrument ids are stable (rb2701, SR701 on 2026-11-25).
SIM_ANCHOR = "2026-11-25T09:35:00+08:00"

T = TypeVar("T")

_running: list["Hub"] = []


def wait_for(what: str, fn: Callable[[], Optional[T]], timeout: float = 20.0, every: float = 0.05) -> T:
    """Polls ``fn`` until it returns something truthy; raises AssertionError naming ``what``."""
    until = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > until:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone once reaped; other processes' zombies are reaped by init.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def free_ports(n: int) -> list[int]:
    """Ports free on loopback right now (bound and released together, so they differ)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Hub:
    """One ``mdhub start`` process."""

    def __init__(self, data_dir: Optional[str] = None, pub: str = "tcp://127.0.0.1:*", snapshot: str = "tcp://127.0.0.1:*", hub_id: str = "py", extra: tuple[str, ...] = ()) -> None:
        if not CLI.exists():
            raise AssertionError(f"{CLI} is missing: build the TypeScript first (npx tsc -b tsconfig.build.json)")
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="mdhub-py-")
        self.args = ["node", str(CLI), "start", "--data-dir", self.data_dir, "--pub", pub, "--snapshot", snapshot,
                     "--http", "127.0.0.1:0", "--hub-id", hub_id, "--sim-anchor", SIM_ANCHOR, *extra]
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.ready: dict[str, Any] = {}
        self._children: set[int] = set()

    def start(self) -> "Hub":
        ready_file = Path(self.data_dir, "ready.json")
        ready_file.unlink(missing_ok=True)
        out = open(Path(self.data_dir, "hub-output.log"), "ab")
        self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT)
        out.close()
        _running.append(self)

        def ready() -> Optional[dict[str, Any]]:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"hub exited early ({self.proc.returncode}):\n{self.output()[-3000:]}")
            try:
                r = json.loads(ready_file.read_text())
            except (OSError, ValueError):
                return None
            return r if r.get("pid") == self.proc.pid else None  # type: ignore[union-attr]

        self.ready = wait_for("hub ready file", ready, timeout=30)
        return self

    @property
    def pub(self) -> str:
        return self.ready["pub"]

    @property
    def snapshot(self) -> str:
        return self.ready["snapshot"]

    def output(self) -> str:
        try:
            return Path(self.data_dir, "hub-output.log").read_text(errors="replace")
        except OSError:
            return ""

    def child_pids(self) -> list[int]:
        try:
            pids = json.loads(Path(self.data_dir, "children.json").read_text())
        except (OSError, ValueError):
            return list(self._children)
        self._children.update(pids)
        return pids

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> Optional[int]:
        """Stops the hub (SIGKILL after ``timeout``) and waits until its gateway children are gone too."""
        if self.proc is None:
            return None
        self.child_pids()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for pid in sorted(self._children):
            wait_for(f"gateway {pid} gone", lambda: not alive(pid), timeout=10)
        if self in _running:
            _running.remove(self)
        return self.proc.returncode

    def cleanup(self) -> None:
        """Stops the hub if it runs, and removes a data folder it made."""
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def stop_all() -> None:
    for hub in list(_running):
        try:
            hub.stop(signal.SIGKILL)
        except AssertionError:
            pass


atexit.register(stop_all)
