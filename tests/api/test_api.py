"""The API as operators, officers and admins use it: auth, roles, events, evidence, review, cases, live feed."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
import zipfile
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from alerts.evidence import EvidenceContext, EvidenceRequest
from alerts.ledger import LedgerAction
from detector.rules.events import Event, EventKind, EventState
from runtime.center import Center
from store import repo
from store.db import session_scope
from store.tables import AuditLog, User
from streams.ring import read_file_packets

T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
PASSWORDS = {"op": "operator-pass-123", "off": "officer-pass-123", "adm": "admin-pass-1234"}


def _users(center: Center) -> None:
    assert center.engine is not None
    with session_scope(center.engine) as s:
        for name, role in (("op", "operator"), ("off", "officer"), ("adm", "admin")):
            repo.add_user(s, name, role, PASSWORDS[name])


def _login(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/login", json={"username": name, "password": PASSWORDS[name]})
    assert r.status_code == 200, r.text
    return {"X-CSRF-Token": r.json()["csrf"]}


def _events(center: Center, render: Any, n: int = 3, evidence: bool = True) -> list[str]:
    assert center.engine is not None and center.evidence is not None
    clip, _ = render("littering", 42, width=640, height=360)
    codec, packets = read_file_packets(clip / "video.mp4", 0.0, 6.0)
    ids = []
    for i in range(n):
        kind = [EventKind.LITTERING, EventKind.OVERFLOW, EventKind.OFF_HOURS][i % 3]
        ev = Event.started("cam-a", kind, 20.0 + i, T0 + dt.timedelta(minutes=i), 10.0, (10, 20, 90, 80), 0.9, "z",
                           object_id=i)  # fmt: skip
        with session_scope(center.engine) as s:
            repo.record_event(s, ev, "c01")
        if evidence:
            center.evidence.write(EvidenceRequest(ev, EvidenceContext("cam-a"), codec, packets, [], None))
        ids.append(ev.event_id)
    return ids


def test_nobody_gets_in_without_logging_in(client: TestClient, center: Center) -> None:
    _users(center)
    assert client.get("/api/events").status_code == 401
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
    assert client.post("/api/login", json={"username": "op", "password": "wrong-password"}).status_code == 401
    assert client.post("/api/login", json={"username": "ghost", "password": "whatever-123"}).status_code == 401
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").json()["status"] == "ok"


def test_session_needs_csrf_for_changes_and_tokens_work(client: TestClient, center: Center, render: Any) -> None:
    _users(center)
    (eid,) = _events(center, render, 1, evidence=False)
    csrf = _login(client, "op")
    assert client.post(f"/api/events/{eid}/ack").status_code == 403, "no CSRF header"
    r = client.post(f"/api/events/{eid}/ack", headers=csrf)
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    client.post("/api/logout", headers=csrf)
    assert client.get("/api/events").status_code == 401
    assert center.engine is not None
    with session_scope(center.engine) as s:
        user = s.scalar(select(User).where(User.username == "off"))
        assert user is not None
        token, _ = repo.issue_token(s, user, "api", dt.timedelta(days=1))
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/events", headers=bearer).json()["total"] == 1
    assert client.post(f"/api/events/{eid}/review", headers=bearer, json={"verdict": "confirmed"}).status_code == 200
    assert client.get("/api/events", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_events_filter_and_paginate(client: TestClient, center: Center, render: Any) -> None:
    _users(center)
    _events(center, render, 6, evidence=False)
    _login(client, "op")
    page = client.get("/api/events", params={"limit": 4}).json()
    assert page["total"] == 6 and len(page["items"]) == 4
    walls = [e["wall"] for e in page["items"]]
    assert walls == sorted(walls, reverse=True)
    assert client.get("/api/events", params={"limit": 4, "offset": 4}).json()["items"][-1]["wall"] == T0.isoformat()
    assert client.get("/api/events", params={"kind": "overflow"}).json()["total"] == 2
    since = (T0 + dt.timedelta(minutes=3)).isoformat()
    assert client.get("/api/events", params={"since": since}).json()["total"] == 3
    assert client.get("/api/events", params={"since": "2026-06-01T08:00:00"}).status_code == 422
    assert client.get("/api/events", params={"limit": 0}).status_code == 422


def test_warnings_are_listed_with_their_shout_and_whether_they_became_an_event(
    client: TestClient, center: Center, render: Any
) -> None:
    _users(center)
    (eid,) = _events(center, render, 1, evidence=False)
    assert center.engine is not None
    with session_scope(center.engine) as s:
        became = Event.started("cam-a", EventKind.LITTERING, 11.0, T0 - dt.timedelta(seconds=9), 10.0,
                               (10, 20, 90, 80), 0.9, "z", object_id=0)  # fmt: skip
        assert became.event_id == eid  # the warning said before the event, under its id
        picked_up = replace(became, event_id="cam-b-littering-000050000-7", camera_id="cam-b", wall=T0)
        for w in (became, picked_up):
            repo.record_warning(s, replace(w, state=EventState.WARNING), "c01")
        repo.record_attempt(s, eid, "warn", "hikvision_isapi", 1, T0, "failed", "ReadTimeout")
        repo.record_attempt(s, eid, "warn", "hikvision_isapi", 2, T0, "ok")
        repo.record_attempt(s, eid, "shout", "hikvision_isapi", 1, T0, "failed", "ReadTimeout")  # the event's own
        repo.record_attempt(s, picked_up.event_id, "warn", "hikvision_isapi", 1, T0, "skipped", "quiet hours")
        repo.record_attempt(s, picked_up.event_id, "shout", "hikvision_isapi", 1, T0, "ok")  # not the warning's
    _login(client, "op")
    items = client.get("/api/warnings").json()["items"]
    assert [(w["event_id"], w["shout"], w["became_event"]) for w in items] == [
        (picked_up.event_id, "skipped", False), (eid, "ok", True)
    ]  # fmt: skip
    assert [w["event_id"] for w in client.get("/api/warnings", params={"camera": "cam-a"}).json()["items"]] == [eid]
    assert client.get("/api/warnings", params={"since": "2026-06-01T08:00:00"}).status_code == 422
    assert client.get(f"/api/events/{eid}").json()["warned_at"] == became.wall.isoformat()


def test_evidence_streams_with_ranges_and_every_view_is_logged(client: TestClient, center: Center, render: Any) -> None:
    _users(center)
    eid = _events(center, render, 1)[0]
    _login(client, "op")
    detail = client.get(f"/api/events/{eid}").json()
    assert detail["manifest"]["event"]["event_id"] == eid and "annotated.mp4" in detail["files"]
    full = client.get(f"/api/events/{eid}/files/original.mp4")
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    part = client.get(f"/api/events/{eid}/files/original.mp4", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == full.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
    assert client.get(f"/api/events/{eid}/files/../../etc/passwd").status_code == 404
    assert client.get(f"/api/events/{eid}/files/secret.txt").status_code == 404
    assert center.evidence is not None and center.engine is not None
    actions = [e.action for e in center.evidence.ledger.for_event(eid)]
    assert actions == [LedgerAction.CREATED, LedgerAction.VIEWED, LedgerAction.DOWNLOADED]
    with session_scope(center.engine) as s:
        logged = [(a.username, a.action) for a in s.query(AuditLog).order_by(AuditLog.id) if a.target == f"event:{eid}"]
    assert logged == [("op", "view"), ("op", "download")]


def test_the_event_response_carries_the_first_page_of_its_ledger_and_the_rest_pages(
    client: TestClient, center: Center, render: Any
) -> None:
    """Every view adds a custody entry: after hundreds of views the event response stays the size of one page
    (it carried the whole ledger, 141 KB after 405 entries), and the rest is read page by page, in order."""
    _users(center)
    eid = _events(center, render, 1)[0]
    assert center.evidence is not None
    for _ in range(130):
        center.evidence.ledger.append(eid, LedgerAction.VIEWED, "someone", {"via": "session"})
    _login(client, "op")
    first = client.get(f"/api/events/{eid}").json()["ledger"]  # created, 130 views, and this view
    assert (first["total"], first["offset"], first["limit"], len(first["items"])) == (132, 0, 50, 50)
    assert first["items"][0]["action"] == "created"
    seqs = [e["seq"] for e in first["items"]]
    pages = [client.get(f"/api/events/{eid}/ledger", params={"offset": o, "limit": 50}).json() for o in (50, 100)]
    assert [p["total"] for p in pages] == [132, 132] and [len(p["items"]) for p in pages] == [50, 32]
    seqs += [e["seq"] for p in pages for e in p["items"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 132
    assert [e.hash for e in center.evidence.ledger.for_event(eid)] == [
        e["hash"] for e in [*first["items"], *pages[0]["items"], *pages[1]["items"]]
    ]
    assert client.get(f"/api/events/{eid}/ledger", params={"offset": 500}).json()["items"] == []
    assert client.get(f"/api/events/{eid}/ledger", params={"limit": 0}).status_code == 422
    assert client.get(f"/api/events/{eid}/ledger", params={"limit": 501}).status_code == 422
    other = eid[:-1] + ("1" if eid[-1] == "0" else "0")  # well formed, not recorded
    assert client.get(f"/api/events/{other}/ledger").status_code == 404


def test_roles_review_cases_and_export(client: TestClient, center: Center, render: Any) -> None:
    _users(center)
    a, b = _events(center, render, 2)
    op = _login(client, "op")
    assert client.post(f"/api/events/{a}/review", headers=op, json={"verdict": "confirmed"}).status_code == 403
    assert client.get("/api/cases", headers=op).status_code == 403
    assert client.get("/api/admin/config").status_code == 403
    client.post("/api/logout", headers=op)
    off = _login(client, "off")
    r = client.post(f"/api/events/{b}/review", headers=off, json={"verdict": "dismissed"})
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    assert (
        client.post(f"/api/events/{b}/review", headers=off, json={"verdict": "dismissed", "reason": "树叶"}).status_code
        == 200
    )
    assert client.post("/api/cases", headers=off, json={"event_ids": [a]}).status_code == 422, "not yet confirmed"
    assert client.post(f"/api/events/{a}/review", headers=off, json={"verdict": "confirmed"}).status_code == 200
    case = client.post("/api/cases", headers=off, json={"event_ids": [a], "notes": "城管二中队"}).json()
    assert case["status"] == "handed_over"
    assert client.post(f"/api/cases/{case['id']}/status", headers=off, json={"status": "closed"}).status_code == 422
    assert client.post(f"/api/cases/{case['id']}/status", headers=off, json={"status": "rectified"}).status_code == 200
    z = client.get(f"/api/cases/{case['id']}/export")
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.content)) as pkg:
        review = json.loads(pkg.read("review.json"))[a]
        assert review["reviews"][0]["verdict"] == "confirmed" and f"originals/{a}/original.mp4" in pkg.namelist()
    assert center.evidence is not None
    assert [e.action for e in center.evidence.ledger.for_event(a)][-2:] == [LedgerAction.VERDICT, LedgerAction.EXPORTED]
    client.post("/api/logout", headers=off)
    _login(client, "adm")
    cfg = client.get("/api/admin/config").json()
    cam = cfg["communities"][0]["points"][0]["cameras"][0]
    assert cam["camera_id"] == "cam-a" and "secret" not in cam["source"] and cam["state"] == "not started"


def test_metrics_and_the_live_feed(client: TestClient, center: Center) -> None:
    _users(center)
    text = client.get("/metrics").text
    names = {line.split(" ")[2] for line in text.splitlines() if line.startswith("# TYPE")}
    assert names >= {"binwatch_events_total", "binwatch_camera_fps_in", "binwatch_camera_fps_out",
                     "binwatch_camera_dropped_frames_total", "binwatch_inference_seconds_total",
                     "binwatch_action_failures_total"}  # fmt: skip
    assert all(n.startswith("binwatch_") for n in names)
    _login(client, "op")
    got: list[str] = []

    def publish() -> None:
        deadline = time.monotonic() + 5
        while center.broker.subscribers == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        center.broker.publish("alert", {"event_id": "cam-a-littering-1", "kind": "littering"})

    threading.Thread(target=publish, daemon=True).start()
    with client.stream("GET", "/api/stream") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            got.append(line)
            if line.startswith("data:"):
                break
    assert "event: alert" in got and json.loads(got[-1][5:])["event_id"] == "cam-a-littering-1"


def test_api_is_documented_by_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/events", "/api/events/{event_id}/files/{name}", "/api/stream", "/api/cameras", "/api/cases"} <= set(
        paths
    )
