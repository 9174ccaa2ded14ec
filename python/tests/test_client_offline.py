"""The client without a hub: liveness from its own clock, bad patterns refused, close from another thread."""
import threading
import time
import unittest

import mdhub

from .hubproc import free_ports


class OfflineClientTest(unittest.TestCase):
    def setUp(self) -> None:
        pub, snap = free_ports(2)  # nothing listens there
        self.client = mdhub.Client(f"tcp://127.0.0.1:{pub}", f"tcp://127.0.0.1:{snap}", stale_after=0.3)
        self.addCleanup(self.client.close)

    def test_no_hub_is_down_after_stale_after(self) -> None:
        self.client.subscribe("*")
        started = time.monotonic()
        item = self.client.next(timeout=2)
        self.assertIsInstance(item, mdhub.HubDown)
        self.assertGreaterEqual(item.silent_for, 0.3)
        self.assertGreaterEqual(time.monotonic() - started, 0.25)
        self.assertIs(self.client.hub_up, False)
        self.assertIsNone(self.client.next(timeout=0.3))  # said once
        self.assertEqual(self.client.stats()["held"], 0)

    def test_bad_pattern_is_refused_in_the_callers_thread(self) -> None:
        with self.assertRaises(ValueError):
            self.client.subscribe("rb2701")

    def test_close_from_another_thread_ends_the_iteration(self) -> None:
        self.client.subscribe("rb2701.SHFE")
        threading.Timer(0.5, self.client.close).start()
        started = time.monotonic()
        self.assertEqual(list(self.client.ticks()), [])
        self.assertLess(time.monotonic() - started, 3)
        with self.assertRaises(RuntimeError):
            self.client.subscribe("*")


if __name__ == "__main__":
    unittest.main()
