"""Admission: how many requests the API works on at once, and how long the others wait their turn.

A burst (every wall browser reconnecting its live feed after a restart, plus their event lists) would
otherwise take every request through the framework at once: the event loop then works through
hundreds of requests before it reads the next one, and /healthz waited behind all of them. So at most
`Admission.limit` requests are between their arrival and the start of their response; the others
wait in arrival order, each for at most `wait_s`, then answer 503 with Retry-After. A request holds
its place only until its response starts, so a live feed (SSE) holds none while it streams. /healthz
and /metrics never wait: they are how an operator sees the burst.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NEVER_WAIT = frozenset({"/healthz", "/metrics"})
# Places per API worker thread: a request in progress waits for a thread for each synchronous step, so a
# second one per thread keeps the threads busy while the first one's step is handed back.
REQUESTS_PER_THREAD = 2


@dataclass
class Admission:
    """The places of one running server (made in its event loop) and what became of the requests."""

    limit: int
    wait_s: float
    places: asyncio.Semaphore = field(init=False)
    in_progress: int = 0
    waiting: int = 0
    refused: int = 0  # answered 503 after waiting wait_s

    def __post_init__(self) -> None:
        if self.limit < 1 or not self.wait_s > 0:
            raise ValueError(f"admission needs limit >= 1 and wait_s > 0; got {self.limit}, {self.wait_s}")
        self.places = asyncio.Semaphore(self.limit)

    async def enter(self) -> bool:
        """Wait for a place, at most wait_s; False (and counted) when none came."""
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait_s):
                await self.places.acquire()
        except TimeoutError:
            self.refused += 1
            return False
        finally:
            self.waiting -= 1
        self.in_progress += 1
        return True

    def leave(self) -> None:
        self.in_progress -= 1
        self.places.release()


class AdmissionControl:
    """ASGI middleware applying the app's Admission (app.state.admission, set while the server runs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        admission: Admission | None = getattr(scope["app"].state, "admission", None) if "app" in scope else None
        if scope["type"] != "http" or admission is None or scope["path"] in NEVER_WAIT:
            await self.app(scope, receive, send)
            return
        if not await admission.enter():
            await _refuse(send, admission)
            return
        held = True

        def leave() -> None:
            nonlocal held
            if held:
                held = False
                admission.leave()

        async def send_and_leave(message: Message) -> None:
            if message["type"] == "http.response.start":
                leave()
            await send(message)

        try:
            await self.app(scope, receive, send_and_leave)
        finally:
            leave()


async def _refuse(send: Send, admission: Admission) -> None:
    retry = max(1, math.ceil(admission.wait_s / 2))
    body = json.dumps({
        "detail": f"too busy: {admission.limit} requests are being worked on and this one waited "
                  f"{admission.wait_s:g} s for its turn; try again in {retry} s"
    }).encode()  # fmt: skip
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"retry-after", str(retry).encode())]  # fmt: skip
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
