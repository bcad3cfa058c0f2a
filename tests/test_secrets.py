"""A canary secret in every place a city puts credentials, run through the real things, then looked for
everywhere binwatch writes text: it must be nowhere (issue 16, deliverable 3).

Placements: an RTSP URL's userinfo, an RTSP URL's ``?password=``, a webhook URL's userinfo and its
``?token=``, a webhook header, a Hikvision speaker's password, two YAML files that do not parse (the
secret on the offending line), and a PostgreSQL URL's password. Run: ``check-config -v`` and its
errors, a command on a PostgreSQL URL, and the monitoring center itself, once on SQLite and once on the
real PostgreSQL server reached through a URL with the canary as its password (its cameras reconnecting
to RTSP servers that are down, webhook shouts against a real local server that answers 500, a
Hikvision shout against a real digest-auth server, the API, a case export). Scanned: every log
record and everything written to stdout/stderr, every API response body, /metrics, the live feed (SSE)
while an event is dispatched, every row of every table of the database (and the SQLite files), every
file under the data directory (manifests, ledger), every file of the case package, and the command-line
output. Each scanned output is also checked to be there
and to have gone through the secret-bearing path, so the test cannot pass by seeing nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import re
import socket
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from alerts.evidence import EvidenceContext, EvidenceRequest
from api.app import create_app
from detector.rules.events import Event, EventKind
from runtime.center import Center, Settings
from store import repo
from store.db import session_scope
from streams.ring import read_file_packets
from streams.writer import H264Writer
from tests.alerts.camera_server import CameraServer, WebhookServer
from tests.conftest import binwatch, silent_wav
from tests.store.conftest import PG_ADMIN
from tests.streams.conftest import synthetic_frames

CANARY = "cnry7Qx2"  # every placement's secret starts with it; found anywhere, it names its placement
PLACEMENTS = ("rtsp-userinfo", "rtsp-query", "webhook-userinfo", "webhook-token", "webhook-header",
              "speaker-password", "yaml-quoted", "yaml-alias", "postgres-password")  # fmt: skip
T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
ADMIN = ("canary-admin", "admin-pass-canary-1")


def secret(placement: str) -> str:
    return f"{CANARY}-{placement}"


def _closed_port() -> int:
    """A loopback port nothing listens on: a camera there is refused at once, and reconnects."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _city(hook: str, speaker: str, recording: Path) -> str:
    port = _closed_port()
    webhook = (
        hook.replace("http://", f"http://hook:{secret('webhook-userinfo')}@") + f"?token={secret('webhook-token')}"
    )
    return f"""
city: 金丝雀市
alerts: {{retries: 3, retry_backoff_s: 0, cooldown_s: 0, recordings: {{littering: {recording}}}}}
communities:
- id: c01
  points:
  - id: c01-p1
    cameras:
    - id: cam-a
      source: rtsp://admin:{secret("rtsp-userinfo")}@127.0.0.1:{port}/Streaming/Channels/102
      speaker: {{type: http_webhook, url: "{webhook}", headers: {{X-Token: {secret("webhook-header")}}}, timeout_s: 2}}
    - id: cam-b
      source: rtsp://127.0.0.1:{port}/live?user=admin&password={secret("rtsp-query")}&channel=1
      speaker: {{type: hikvision_isapi, url: "{speaker}", username: admin, password: {secret("speaker-password")},
                 timeout_s: 2}}
"""


BROKEN_YAML = {  # the secret on the line PyYAML complains about
    "yaml-quoted": 'communities:\n- id: c01\n  points:\n  - id: p1\n    cameras:\n    - id: cam-x\n'
                   f'      source: "rtsp://admin:{secret("yaml-quoted")}@10.0.0.1/ch1\n',
    "yaml-alias": "communities:\n- id: c01\n  points:\n  - id: p1\n    cameras:\n    - id: cam-x\n      source: x.mp4\n"
                  f"      speaker: {{type: dahua_cgi, url: 'http://10.0.0.2', password: *{secret('yaml-alias')}}}\n",
}  # fmt: skip


@dataclass
class Outputs:
    """Everything scanned, by where it came from."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, where: str, content: str | bytes) -> str:
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        self.texts[where] = self.texts.get(where, "") + text
        return text

    def leaks(self) -> list[str]:
        """Where the canary is, with the placements it came from."""
        out = []
        for where, text in self.texts.items():
            if (i := text.find(CANARY)) >= 0:
                placements = sorted(set(re.findall(CANARY + r"-([a-z-]+)", text)))
                out.append(f"{where}: {placements} in ...{text[max(0, i - 80) : i + 40]!r}...")
        return out


@pytest.fixture
def outputs() -> Outputs:
    return Outputs()


@pytest.fixture
def servers() -> Iterator[tuple[WebhookServer, CameraServer]]:
    hook = WebhookServer(status=500, echo="X-Token")  # its answer quotes the header: redacted as a known secret
    speaker = CameraServer(password=secret("speaker-password"))
    yield hook, speaker
    hook.close()
    speaker.close()


def _clip(path: Path) -> Path:
    with H264Writer(path, 320, 240, 25.0, gop_s=1.0) as writer:
        for frame in synthetic_frames(75, 320, 240):
            writer.write(frame)
    return path


def _wait(cond: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (the embedded SQLite file), or a fresh database on the real PostgreSQL server, reached with a URL
    whose password is a canary (the server trusts 127.0.0.1, so any password opens it: the URL is used for real)."""
    if request.param == "sqlite":
        yield None
        return
    import psycopg

    name = f"binwatch_canary_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(PG_ADMIN.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    host = PG_ADMIN.split("@", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql+psycopg://postgres:{secret('postgres-password')}@{host}/{name}"
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


def test_the_canary_secret_is_nowhere(
    tmp_path: Path,
    servers: tuple[WebhookServer, CameraServer],
    db_url: str | None,
    outputs: Outputs,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    hook, speaker = servers
    city = tmp_path / "city.yaml"
    city.write_text(_city(hook.url, speaker.url, silent_wav(tmp_path / "say.wav")), encoding="utf-8")
    assert all(secret(p) in city.read_text() for p in PLACEMENTS[:6])

    _command_line(city, tmp_path, outputs)
    caplog.set_level(logging.DEBUG)
    _monitoring_center(city, tmp_path, db_url, hook, speaker, outputs)
    _database(db_url or f"sqlite:///{tmp_path / 'data' / 'binwatch.db'}", outputs)
    for f in sorted(p for p in (tmp_path / "data").rglob("*") if p.is_file()):
        outputs.add(f"data file {f.relative_to(tmp_path)}", f.read_bytes())
    assert any("manifest.json" in where for where in outputs.texts) and any("ledger" in w for w in outputs.texts)

    logs = outputs.add("log records", "\n".join(caplog.text.splitlines()))
    assert "[cam-b] cannot open rtsp source rtsp://127.0.0.1:" in logs, "cam-b's reconnects are logged"
    assert "[cam-a] cannot open rtsp source rtsp://***@127.0.0.1:" in logs, "cam-a's reconnects are logged"
    assert "/live?user=admin&password=***&channel=1" in logs
    assert "attempt 3/3 via http_webhook failed" in logs and "hook?token=***" in logs, "failed webhooks are logged"
    captured = capfd.readouterr()
    outputs.add("stdout", captured.out)
    outputs.add("stderr", captured.err)
    assert not outputs.leaks(), "the canary leaked:\n" + "\n".join(outputs.leaks())


def _command_line(city: Path, tmp_path: Path, outputs: Outputs) -> None:
    run = binwatch("check-config", "-v", str(city))
    text = outputs.add("check-config -v", run.stdout + run.stderr)
    assert run.returncode == 0, text
    assert "c01/c01-p1/cam-a: rtsp://***@127.0.0.1:" in text and "/live?user=admin&password=***&channel=1" in text
    for placement, broken in BROKEN_YAML.items():
        f = tmp_path / f"{placement}.yaml"
        f.write_text(broken, encoding="utf-8")
        run = binwatch("check-config", "-v", str(f))
        text = outputs.add(f"check-config {placement}", run.stdout + run.stderr)
        last_line = broken.count("\n")  # the secret's line: PyYAML's position is reported, not the line
        assert run.returncode == 1 and "not valid YAML" in text and f"line {last_line}" in text, text
    db_url = f"postgresql+psycopg://binwatch:{secret('postgres-password')}@127.0.0.1:{_closed_port()}/nowhere"
    run = binwatch("user", "tokens", "nobody", "--data", str(tmp_path / "pg"), env={"BINWATCH_DB_URL": db_url})
    text = outputs.add("user tokens (PostgreSQL URL)", run.stdout + run.stderr)
    assert run.returncode == 2 and "cannot open or migrate database postgresql+psycopg://***@127.0.0.1:" in text, text


def _monitoring_center(
    city: Path, tmp_path: Path, db_url: str | None, hook: WebhookServer, speaker: CameraServer, outputs: Outputs
) -> None:
    center = Center(Settings(config=city, data_dir=tmp_path / "data", db_url=db_url))
    with TestClient(create_app(center.settings, center)) as client:
        a, b = _events(center, _clip(tmp_path / "clip.mp4"))
        _wait(lambda: all(rt.source.health().reconnects >= 2 for rt in center.cameras.values()), "reconnects")
        csrf = _login(client, center)

        def get(path: str) -> Any:
            r = client.get(path)
            outputs.add(f"GET {path}", r.content)
            assert r.status_code == 200, (path, r.text)
            return r.json() if "json" in r.headers["content-type"] else r.text

        for eid in (a, b):
            r = client.post(f"/api/events/{eid}/shout", headers=csrf)
            assert r.status_code == 200, r.text
        _wait(lambda: len(_attempts(center, a)) == 3 and len(_attempts(center, b)) == 1, "the shouts")
        assert len(hook.received) == 3 and len(speaker.received) == 1, "both speakers were really called"
        assert hook.received[0]["headers"]["X-Token"] == secret("webhook-header")

        cams = {c["camera_id"]: c for c in get("/api/cameras")}
        assert "password=***&channel=1" in cams["cam-b"]["source"] and "***@" in cams["cam-a"]["source"]
        assert "password=***" in cams["cam-b"]["last_error"] and "***@" in cams["cam-a"]["last_error"]
        config = get("/api/admin/config")["communities"][0]["points"][0]["cameras"]
        assert [c["speaker"] for c in config] == ["http_webhook", "hikvision_isapi"]
        attempts = get(f"/api/events/{a}")["attempts"]
        assert [x["outcome"] for x in attempts] == ["failed"] * 3
        assert all("HTTP 500" in x["detail"] and "***@127.0.0.1" in x["detail"] for x in attempts), attempts
        assert all(x["detail"].endswith("the device reported an error: unknown token ***") for x in attempts), attempts
        assert [x["outcome"] for x in get(f"/api/events/{b}")["attempts"]] == ["ok"]
        for path in ("/api/events", "/api/warnings", "/healthz", "/api/me", "/api/cases"):
            get(path)
        assert 'binwatch_action_failures_total{action="shout"} 3.0' in get("/metrics")
        _case_package(client, csrf, [a, b], outputs)
        for eid in (a, b):
            get(f"/api/events/{eid}")  # the ledger now holds the verdicts and the export
        _live_feed(center, outputs)


def _live_feed(center: Center, outputs: Outputs) -> None:
    """What the wall's live feed (SSE, /api/stream) carries while the dispatcher takes a new event of cam-b."""
    assert center.dispatcher is not None
    messages: list[str] = []
    following = threading.Event()

    async def follow() -> None:
        async for message in center.broker.subscribe(keepalive_s=0.2):  # the generator /api/stream streams
            messages.append(message)
            following.set()
            if message.startswith("event: alert"):
                return

    reader = threading.Thread(target=asyncio.run, args=(follow(),))
    reader.start()
    assert following.wait(10), "the feed never opened"
    ev = Event.started("cam-b", EventKind.LITTERING, 40.0, T0, 30.0, (10, 20, 90, 80), 0.9, "z", object_id=9)
    center.dispatcher.handle(ev)
    reader.join(10)
    text = outputs.add("live feed (SSE)", "".join(messages))
    assert f'"event_id": "{ev.event_id}"' in text and '"camera_id": "cam-b"' in text, text


def _events(center: Center, clip: Path) -> tuple[str, str]:
    assert center.engine is not None and center.evidence is not None
    codec, packets = read_file_packets(clip, 0.0, 3.0)
    ids = []
    for i, camera in enumerate(("cam-a", "cam-b")):
        ev = Event.started(camera, EventKind.LITTERING, 20.0 + i, T0, 10.0, (10, 20, 90, 80), 0.9, "z", object_id=i)
        with session_scope(center.engine) as s:
            repo.record_event(s, ev, "c01")
        context = EvidenceContext(camera, community_id="c01", point_id="c01-p1")
        center.evidence.write(EvidenceRequest(ev, context, codec, packets, [], None))
        ids.append(ev.event_id)
    return ids[0], ids[1]


def _login(client: TestClient, center: Center) -> dict[str, str]:
    assert center.engine is not None
    with session_scope(center.engine) as s:
        repo.add_user(s, ADMIN[0], "admin", ADMIN[1])
    r = client.post("/api/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    assert r.status_code == 200, r.text
    return {"X-CSRF-Token": r.json()["csrf"]}


def _attempts(center: Center, event_id: str) -> list[str]:
    assert center.engine is not None
    with session_scope(center.engine) as s:
        return [a.outcome for a in repo.attempts_of(s, event_id) if a.action == "shout"]


def _case_package(client: TestClient, csrf: dict[str, str], ids: list[str], outputs: Outputs) -> None:
    for eid in ids:
        r = client.post(f"/api/events/{eid}/review", headers=csrf, json={"verdict": "confirmed"})
        assert r.status_code == 200, r.text
    case = client.post("/api/cases", headers=csrf, json={"event_ids": ids, "notes": "canary"}).json()
    z = client.get(f"/api/cases/{case['id']}/export")
    assert z.status_code == 200, z.text
    with zipfile.ZipFile(io.BytesIO(z.content)) as pkg:
        names = pkg.namelist()
        assert f"manifests/{ids[0]}/manifest.json" in names and "review.json" in names
        for name in names:
            outputs.add(f"case package {name}", pkg.read(name))


def _database(url: str, outputs: Outputs) -> None:
    """Every row of every table, SQLite or PostgreSQL (an SQLite file is also scanned with the data directory)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as db:
            tables = sa.inspect(db).get_table_names()
            rows = {t: db.execute(sa.text(f'SELECT * FROM "{t}"')).fetchall() for t in tables}
    finally:
        engine.dispose()
    assert rows["action_attempts"] and rows["cameras"] and rows["events"] and rows["users"]
    for table, content in rows.items():
        outputs.add(f"database table {table}", "\n".join(map(repr, content)))
    sources = " ".join(map(repr, rows["cameras"]))
    assert "rtsp://***@127.0.0.1" in sources and "password=***" in sources
