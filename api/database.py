"""The API's database connections: a pool of its own, sized to the API's worker threads, with a bounded wait.

Every synchronous route and dependency runs on one of AnyIO's worker threads (40 by default). The API
used the center's pool (5 + 10 connections) through a session that a dependency opened and FastAPI
closed only after the response was serialized, which is one more step on a worker thread. Under a
burst, the requests holding the connections waited for a worker while every worker waited for a
connection: 60 parallel GET /api/events, or 100 live feeds connecting at once, stalled the whole API
for 30 s and answered 500 (`QueuePool limit of size 5 overflow 10 reached`, issue 16). So:

- A request holds a connection only while it runs on a worker thread: authentication looks the token
  up in a session of its own (api/deps.py), and routes open their session (`ApiDatabase.session`) and
  close it before they return. A live feed (SSE) holds none while it streams.
- The API has `Settings.api_threads` worker threads and CONNECTIONS_PER_THREAD connections for each:
  the session, and a short transaction of its own that records a token's use or a read's audit row
  best effort while the session is open (store/repo.py). The overflow, one more per thread, is a
  margin. So a worker never waits for a connection unless the database itself is stuck.
- The cameras' records keep the center's engine: a burst of readers cannot starve event recording.
- A checkout that finds no connection within `Settings.db_wait_s` raises sqlalchemy.exc.TimeoutError,
  which the API answers with 503 and Retry-After (`busy_response`).
- How many requests are worked on at once, and how long the others wait, is api/admission.py's part.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import anyio.to_thread
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from api.security import internal_error
from runtime.center import Settings
from store.db import Pool, connect, session_scope

CONNECTIONS_PER_THREAD = 2
RETRY_AFTER_S = 2


@dataclass
class ApiDatabase:
    """The API's engine, the worker threads it is sized to, and how many requests found it busy."""

    engine: Engine
    pool: Pool
    threads: int
    _busy: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def session(self) -> AbstractContextManager[Session]:
        """A session committed on success and rolled back on error, to open and close within one
        synchronous route or dependency: a request must not hold a connection while it waits for a worker."""
        return session_scope(self.engine)

    @property
    def connections_max(self) -> int:
        return self.pool.size + self.pool.overflow

    @property
    def busy(self) -> int:
        """Requests answered 503 because no connection was free within the pool's timeout."""
        with self._lock:
            return self._busy

    def count_busy(self) -> None:
        with self._lock:
            self._busy += 1


def pool_for(settings: Settings) -> Pool:
    threads = settings.api_threads
    return Pool(size=CONNECTIONS_PER_THREAD * threads, overflow=threads, timeout_s=settings.db_wait_s)


def open_api_database(records: Engine, settings: Settings) -> ApiDatabase:
    """A second engine on the center's (migrated) records, sized to the API's worker threads."""
    pool = pool_for(settings)
    return ApiDatabase(connect(records.url.render_as_string(hide_password=False), pool), pool, settings.api_threads)


def limit_worker_threads(threads: int) -> None:
    """Run the API's synchronous routes and dependencies on at most `threads` threads (AnyIO's default
    limiter, 40 unless set); called in the event loop that serves the API."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads


async def busy_response(request: Request, exc: sa_exc.TimeoutError) -> JSONResponse:
    """503 with Retry-After for a request that found no free database connection within the wait."""
    db: ApiDatabase | None = getattr(request.app.state, "db", None)
    if db is not None:
        db.count_busy()
    wait = f" within {db.pool.timeout_s:g} s" if db is not None else ""
    return JSONResponse(
        {"detail": f"the database is busy: no connection was free{wait}; try again in {RETRY_AFTER_S} s"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


DISK_FULL_RETRY_AFTER_S = 60
_DISK_FULL_SQLSTATE = "53100"  # PostgreSQL's disk_full


def disk_full(exc: sa_exc.OperationalError) -> bool:
    """Whether the database refused a write for lack of space (SQLite's "database or disk is full",
    PostgreSQL's disk_full)."""
    return "database or disk is full" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == _DISK_FULL_SQLSTATE


async def store_error_response(request: Request, exc: sa_exc.OperationalError) -> JSONResponse:
    """A database that cannot write for lack of space is a state to wait out (503 with Retry-After, e.g. a
    login, which records its session); any other operational error is a 500 like every unhandled one."""
    if not disk_full(exc):
        return await internal_error(request, exc)
    return JSONResponse(
        {"detail": "the records' disk is full: this request could not be recorded; reading events and evidence "
                   f"still works; try again in {DISK_FULL_RETRY_AFTER_S} s"},
        status_code=503,
        headers={"Retry-After": str(DISK_FULL_RETRY_AFTER_S)},
    )  # fmt: skip
