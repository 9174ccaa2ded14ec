"""Runs the Python suite (stdlib unittest) as ``npm test`` does, and writes its counts as JSON.

    PYTHONPATH=python /usr/bin/python3 python/tests/run.py [--json FILE] [-k PATTERN ...]

The JSON (to FILE, and always as the last line of output) is
``{"passed": N, "failed": N, "skipped": N, "skips": ["test id: reason", ...], "notes": [...], "seconds": S}``.
An expected failure counts as a skip (it is listed), so MDHUB_REQUIRE_ALL=1 fails on it too; an
unexpected success counts as a failure.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _tests(suite: unittest.TestSuite) -> list[unittest.TestCase]:
    out: list[unittest.TestCase] = []
    for t in suite:
        out.extend(_tests(t) if isinstance(t, unittest.TestSuite) else [t])
    return out


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="also write the counts to this file")
    ap.add_argument("-k", dest="patterns", action="append", help="only tests whose id contains this (unittest -k)")
    args = ap.parse_args()
    # A SIGTERM (a CI timeout) ends the run like Ctrl-C, so hubproc's exit hook still stops every hub.
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [f"*{p}*" for p in args.patterns]
    suite = loader.discover(str(HERE), top_level_dir=str(HERE.parent))
    ran = [t.id() for t in _tests(suite)]  # before the run: a suite lets go of its tests as they finish
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skips = [f"{t.id()}: {reason}" for t, reason in result.skipped]
    skips += [f"{t.id()}: expected failure" for t, _ in result.expectedFailures]
    notes = ["the vn.py gateway tests ran against the stand-in python/tests/fake_vnpy, not real vn.py (not installable here)"] if any(".test_vnpy_gateway." in t for t in ran) else []
    counts = {
        "passed": result.testsRun - failed - len(skips),
        "failed": failed,
        "skipped": len(skips),
        "skips": skips,
        "notes": notes,
        "seconds": round(time.monotonic() - started, 1),
    }
    line = json.dumps(counts)
    if args.json:
        Path(args.json).write_text(line + "\n")
    print(f"python suite: {line}")
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
