"""The API under bursts, on a real uvicorn server (SQLite and PostgreSQL): every request is answered,
200 or a deliberate 503 with Retry-After, never 500 and never hung; live feeds hold no database
connection; /healthz answers during the burst (issue 16, item 1). bench/load.py measures the same at
full size."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Connection

from api.app import create_app
from api.database import ApiDatabase
from runtime.center import Center, Settings
from store import repo
from store.db import session_scope

CLIENT_TIMEOUT_S = 20.0  # far beyond what a request may take here; the old code hung for 30 s


@dataclass(frozen=True)
class LiveServer:
    app: FastAPI
    url: str
    token: str  # an operator's API token

    @property
    def db(self) -> ApiDatabase:
        db: ApiDatabase = self.app.state.db
        return db

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"},
                                 timeout=CLIENT_TIMEOUT_S, limits=httpx.Limits(max_connections=None))  # fmt: skip


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """uvicorn serving create_app on 127.0.0.1 in a thread, with an operator's API token."""
    center = Center(settings)
    with session_scope(center.open_records()) as s:
        user = repo.add_user(s, "op", "operator", "operator-pass-123")
        token, _ = repo.issue_token(s, user, "api", dt.timedelta(days=1))
    app = create_app(center.settings, center)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield LiveServer(app, f"http://127.0.0.1:{port}", token)
    finally:
        center.broker.close()  # open live feeds end, as on Ctrl-C
        server.should_exit = True
        thread.join(30)


async def _open_feed(client: httpx.AsyncClient, opened: list[int], release: asyncio.Event) -> int:
    """Follow the live feed until `release`; its status is noted in `opened` once the first message came."""
    async with client.stream("GET", "/api/stream") as r:
        if r.status_code == 200:
            await anext(r.aiter_raw())
        opened.append(r.status_code)
        await release.wait()
        return r.status_code


def _all_answered(feeds: list[asyncio.Task[int]], opened: list[int], gets: list[asyncio.Task[httpx.Response]]) -> bool:
    """Every list answered, and every feed open (noted in `opened`) or ended (failed)."""
    return all(g.done() for g in gets) and len(opened) + sum(f.done() for f in feeds) >= len(feeds)


def _take_every_connection(db: ApiDatabase) -> list[Connection]:
    held = [db.engine.connect() for _ in range(db.connections_max)]
    for conn in held:
        conn.exec_driver_sql("SELECT 1")
    return held


def _close(connections: list[Connection]) -> None:
    for conn in connections:
        conn.close()


def _metric(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no sample {sample} in /metrics")


def test_a_burst_larger_than_the_pool_is_answered_and_feeds_hold_no_connection(center: Center) -> None:
    """40 live feeds and 40 event lists at once against 2 worker threads, 4 + 2 connections and 4 places:
    the old API (sessions held across thread hops) hung until its 30-s pool timeout and answered 500."""
    feeds, lists = 40, 40
    with live_server(replace(center.settings, api_threads=2)) as server:

        async def burst() -> tuple[list[int], list[httpx.Response], list[float], httpx.Response, float]:
            opened: list[int] = []
            release = asyncio.Event()
            async with server.client() as client:
                feed_tasks = [asyncio.create_task(_open_feed(client, opened, release)) for _ in range(feeds)]
                gets = [asyncio.create_task(client.get("/api/events")) for _ in range(lists)]
                healthz = []
                while not _all_answered(feed_tasks, opened, gets):
                    t0 = time.monotonic()
                    assert (await client.get("/healthz")).status_code == 200
                    healthz.append(time.monotonic() - t0)
                    await asyncio.sleep(0.05)
                # every feed is open: none holds a connection, and a request still gets one
                metrics = (await client.get("/metrics")).text
                in_use = _metric(metrics, 'binwatch_db_connections_in_use{pool="api"}')
                listed = await client.get("/api/events")
                release.set()
                return await asyncio.gather(*feed_tasks), await asyncio.gather(*gets), healthz, listed, in_use

        feed_codes, answers, healthz, listed, in_use = asyncio.run(burst())
    assert feed_codes == [200] * feeds
    assert {r.status_code for r in answers} <= {200, 503}, [r.text for r in answers if r.status_code not in (200, 503)]
    assert all("Retry-After" in r.headers for r in answers if r.status_code == 503)
    assert in_use == 0, "open live feeds hold database connections"
    assert listed.status_code == 200
    assert max(healthz) < 2.0, f"/healthz took {max(healthz):.2f} s during the burst"


def test_a_request_that_finds_no_free_connection_answers_503_with_retry_after(center: Center) -> None:
    with live_server(replace(center.settings, api_threads=1, db_wait_s=0.5)) as server:
        held = _take_every_connection(server.db)  # a stuck database

        async def while_held() -> tuple[httpx.Response, httpx.Response, str]:
            async with server.client() as client:
                busy = await client.get("/api/events")
                health = await client.get("/healthz")
                return busy, health, (await client.get("/metrics")).text

        busy, health, metrics = asyncio.run(while_held())
        _close(held)

        async def after() -> httpx.Response:
            async with server.client() as client:
                return await client.get("/api/events")

        again = asyncio.run(after())
    assert busy.status_code == 503 and busy.headers["Retry-After"].isdigit(), busy.text
    assert "no connection was free within 0.5 s" in busy.json()["detail"]
    assert health.status_code == 200
    assert _metric(metrics, 'binwatch_api_busy_total{reason="database"}') == 1
    assert again.status_code == 200


def test_a_request_that_waits_too_long_for_its_turn_answers_503_with_retry_after(center: Center) -> None:
    """1 thread, 2 places: two requests wait for a connection (the database is stuck for 3 s); a third
    waits 0.3 s for a place, then is refused; the two are answered once the database moves again."""
    with live_server(replace(center.settings, api_threads=1, db_wait_s=10.0, queue_wait_s=0.3)) as server:
        held = _take_every_connection(server.db)

        async def burst() -> tuple[list[httpx.Response], httpx.Response, str]:
            async with server.client() as client:
                first = [asyncio.create_task(client.get("/api/events")) for _ in range(2)]
                await asyncio.sleep(0.5)  # both have their places and wait for a connection
                third = await client.get("/api/events")
                metrics = (await client.get("/metrics")).text
                await asyncio.to_thread(_close, held)
                return await asyncio.gather(*first), third, metrics

        first, third, metrics = asyncio.run(burst())
    assert third.status_code == 503 and third.headers["Retry-After"].isdigit(), third.text
    assert "waited 0.3 s for its turn" in third.json()["detail"]
    assert _metric(metrics, 'binwatch_api_requests{state="in_progress"}') == 2
    assert _metric(metrics, 'binwatch_api_busy_total{reason="queue"}') == 1
    assert [r.status_code for r in first] == [200, 200]


def test_every_route_documents_503_with_retry_after(tmp_path: Path) -> None:
    schema = create_app(Settings(data_dir=tmp_path, start_cameras=False)).openapi()
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            if path.startswith("/api/"):
                assert "Retry-After" in op["responses"]["503"].get("headers", {}), f"{method.upper()} {path}"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("api_threads", 0, "api_threads must be 1 to 256; got 0"),
        ("api_threads", 1000, "api_threads must be 1 to 256; got 1000"),
        ("db_wait_s", 0.0, "db_wait_s must be more than 0 and at most 60 seconds; got 0.0"),
        ("queue_wait_s", 120.0, "queue_wait_s must be more than 0 and at most 60 seconds; got 120.0"),
    ],
)
def test_settings_refuse_unworkable_pools(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(**{field: value})  # type: ignore[arg-type]
