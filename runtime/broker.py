"""Live messages for the browser (Server-Sent Events): thread-safe publish, asyncio subscribers."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any


class Broker:
    def __init__(self, max_queue: int = 100) -> None:
        self._subs: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = set()
        self._lock = threading.Lock()
        self._max = max_queue
        self.published = 0
        self.closed = False

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """From any thread: one SSE message to every subscriber (a slow subscriber loses its oldest)."""
        message = f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
        with self._lock:
            subs = list(self._subs)
            self.published += 1
        for loop, q in subs:
            loop.call_soon_threadsafe(self._put, q, message)

    def close(self) -> None:
        """End every subscription (the server is shutting down: open feeds must not hold it up)."""
        with self._lock:
            self.closed = True
            subs = list(self._subs)
        for loop, q in subs:
            loop.call_soon_threadsafe(self._put, q, "")

    def _put(self, q: asyncio.Queue[str], message: str) -> None:
        if q.full():
            q.get_nowait()
        q.put_nowait(message)

    async def subscribe(self, keepalive_s: float = 15.0) -> AsyncIterator[str]:
        q: asyncio.Queue[str] = asyncio.Queue(self._max)
        key = (asyncio.get_running_loop(), q)
        with self._lock:
            self._subs.add(key)
        try:
            yield ": connected\n\n"
            while not self.closed:
                try:
                    message = await asyncio.wait_for(q.get(), keepalive_s)
                except TimeoutError:
                    message = ": keep-alive\n\n"
                if not message:  # close()
                    return
                yield message
        finally:
            with self._lock:
                self._subs.discard(key)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)
