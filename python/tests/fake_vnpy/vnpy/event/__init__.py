"""Stand-in for vnpy.event: events go through a queue to handlers on one worker thread."""
from __future__ import annotations

from collections import defaultdict
from queue import Empty, Queue
from threading import Thread
from typing import Any, Callable

EVENT_TIMER = "eTimer"


class Event:
    def __init__(self, type: str, data: Any = None) -> None:
        self.type = type
        self.data = data


HandlerType = Callable[[Event], None]


class EventEngine:
    def __init__(self, interval: int = 1) -> None:
        self._queue: Queue[Event] = Queue()
        self._active = False
        self._thread = Thread(target=self._run, daemon=True)
        self._handlers: defaultdict[str, list[HandlerType]] = defaultdict(list)
        self._general: list[HandlerType] = []

    def _run(self) -> None:
        while self._active:
            try:
                event = self._queue.get(timeout=0.1)
            except Empty:
                continue
            for handler in self._handlers.get(event.type, []) + self._general:
                handler(event)

    def start(self) -> None:
        self._active = True
        self._thread.start()

    def stop(self) -> None:
        self._active = False
        self._thread.join()

    def put(self, event: Event) -> None:
        self._queue.put(event)

    def register(self, type: str, handler: HandlerType) -> None:
        if handler not in self._handlers[type]:
            self._handlers[type].append(handler)

    def register_general(self, handler: HandlerType) -> None:
        if handler not in self._general:
            self._general.append(handler)
