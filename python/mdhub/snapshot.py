"""One-shot requests to the hub's snapshot service (``last``, ``instruments``).

A DEALER socket per request: a lost reply can never lock it (as a REQ socket would), and the socket
is gone when the call returns, so any thread may call these. The streaming client keeps its own
DEALER for the merge and never blocks on it.
"""
from __future__ import annotations

from typing import Any, Optional

import msgpack
import zmq


class SnapshotError(Exception):
    """The snapshot service refused a request (``code`` is its error code) or did not answer in time."""

    def __init__(self, message: str, code: str = "timeout") -> None:
        super().__init__(message)
        self.code = code


def request(endpoint: str, body: dict[str, Any], timeout: float = 5.0, context: Optional[zmq.Context] = None) -> dict[str, Any]:
    """Sends one request and returns the reply map; raises :class:`SnapshotError`."""
    ctx = context or zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        sock.send(msgpack.packb(body, use_bin_type=True))
        if not sock.poll(int(timeout * 1000), zmq.POLLIN):
            raise SnapshotError(f"no reply from the snapshot service at {endpoint} within {timeout:g} s")
        reply = msgpack.unpackb(sock.recv_multipart()[-1], raw=False)
    finally:
        sock.close(0)
    if not isinstance(reply, dict) or not reply.get("ok"):
        code = reply.get("error", "bad_reply") if isinstance(reply, dict) else "bad_reply"
        message = reply.get("message", "") if isinstance(reply, dict) else repr(reply)
        raise SnapshotError(f"snapshot service refused {body.get('op')!r}: {message}", code)
    return reply
