"""Bad input answers 422 naming what was wrong (never 500), every answer is in the OpenAPI, one open
case per event (also under concurrent hand-overs), and a cooldown on manual shouts."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from runtime.center import Center, Settings
from store import repo
from store.db import session_scope
from tests.alerts.camera_server import WebhookServer
from tests.api.test_api import _events, _login, _users
from tests.conftest import silent_wav

BIG = str(2**63)
EID = "cam-a-littering-000010000-0"  # the first event _events records


def _json(text: str) -> dict[str, Any]:
    """A raw JSON body (httpx cannot encode a lone surrogate itself)."""
    return {"content": text.encode(), "headers": {"Content-Type": "application/json"}}


BAD_INPUT = [
    # (method, path template, path, request kwargs, what the 422 must say)
    ("GET", "/api/events", "/api/events", {"params": {"offset": BIG}}, "less than or equal to 2147483647"),
    ("GET", "/api/events", "/api/events", {"params": {"offset": -1}}, "greater than or equal to 0"),
    ("GET", "/api/events", "/api/events", {"params": {"limit": BIG}}, "less than or equal to 500"),
    ("GET", "/api/events", "/api/events", {"params": {"since": "0001-01-01T00:00:00+01:00"}}, "outside years 1-9999"),
    ("GET", "/api/events", "/api/events", {"params": {"until": "9999-12-31T23:59:59-01:00"}}, "outside years 1-9999"),
    ("GET", "/api/events", "/api/events", {"params": {"since": "0.5"}}, "ISO 8601 date-time"),
    ("GET", "/api/events", "/api/events", {"params": {"since": "1780000000"}}, "ISO 8601 date-time"),
    ("GET", "/api/events", "/api/events", {"params": {"since": "2026-06-01T08:00:00"}}, "needs a UTC offset"),
    ("GET", "/api/events", "/api/events", {"params": {"camera": "cam\x00a"}}, "should match pattern"),
    ("GET", "/api/events", "/api/events", {"params": {"community": "x" * 5000}}, "should match pattern"),
    ("GET", "/api/events", "/api/events", {"params": {"kind": "bogus"}}, "'littering', 'off_hours' or 'overflow'"),
    ("GET", "/api/warnings", "/api/warnings", {"params": {"since": "0.5"}}, "ISO 8601 date-time"),
    ("GET", "/api/events/{event_id}", "/api/events/" + "a" * 5000, {}, "at most 160 characters"),
    ("GET", "/api/cameras/{camera_id}/picture.jpg", "/api/cameras/%00/picture.jpg", {}, "should match pattern"),
    ("POST", "/api/cases/{case_id}/status", f"/api/cases/{BIG}/status", {"json": {"status": "closed"}},
     "less than or equal to 2147483647"),
    ("GET", "/api/cases/{case_id}/export", f"/api/cases/{BIG}/export", {}, "less than or equal to 2147483647"),
    ("POST", "/api/cases", "/api/cases", {"json": {"event_ids": [EID, EID]}}, "listed more than once: " + EID),
    ("POST", "/api/cases", "/api/cases", {"json": {"event_ids": ["a" * 5000]}}, "at most 160 characters"),
    ("POST", "/api/cases", "/api/cases", _json('{"event_ids": ["' + EID + '"], "notes": "\\ud800"}'),
     "lone UTF-16 surrogate (U+D800)"),
    ("POST", "/api/events/{event_id}/review", f"/api/events/{EID}/review",
     _json('{"verdict": "dismissed", "reason": "leaves \\udfff"}'), "lone UTF-16 surrogate (U+DFFF)"),
    ("POST", "/api/login", "/api/login", _json('{"username": "\\ud83d", "password": "whatever-123"}'),
     "lone UTF-16 surrogate"),
    ("POST", "/api/login", "/api/login", _json('{"username": "off\\u0000", "password": "whatever-123"}'), "NUL"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "template", "path", "kwargs", "says"), BAD_INPUT)
def test_bad_input_answers_422_naming_the_field_and_is_documented(
    client: TestClient, center: Center, render: Any, method: str, template: str, path: str, kwargs: dict[str, Any],
    says: str,
) -> None:  # fmt: skip
    _users(center)
    _events(center, render, 1, evidence=False)
    csrf = _login(client, "off")
    kwargs = dict(kwargs)  # the table's dict is shared by the SQLite and PostgreSQL runs
    headers = {**csrf, **kwargs.pop("headers", {})}
    r = client.request(method, path, headers=headers, **kwargs)
    assert r.status_code == 422, r.text
    assert says in r.text, r.text
    documented = client.get("/openapi.json").json()["paths"][template][method.lower()]["responses"]
    assert "422" in documented


# ---- every answer is documented ------------------------------------------------------------------

ANSWERS = [
    # (method, path template, path, who, expected status)
    ("GET", "/api/events", "/api/events", None, 401),
    ("GET", "/api/cases", "/api/cases", "op", 403),
    ("POST", "/api/events/{event_id}/ack", f"/api/events/{EID}/ack", "op-no-csrf", 403),
    ("GET", "/api/events/{event_id}", "/api/events/cam-a-overflow-000000001-1", "op", 404),
    ("GET", "/api/events/{event_id}/files/{name}", f"/api/events/{EID}/files/original.mp4", "op", 404),
    ("GET", "/api/cameras/{camera_id}/picture.jpg", "/api/cameras/cam-a/picture.jpg", "op", 404),
    ("POST", "/api/events/{event_id}/shout", f"/api/events/{EID}/shout", "op", 409),  # no speaker
    ("POST", "/api/cases/{case_id}/status", "/api/cases/7/status", "off", 404),
    ("GET", "/api/cases/{case_id}/export", "/api/cases/7/export", "off", 404),
    ("POST", "/api/login", "/api/login", None, 401),
]


@pytest.mark.parametrize(("method", "template", "path", "who", "status"), ANSWERS)
def test_every_answer_a_route_gives_is_in_the_openapi(
    client: TestClient, center: Center, render: Any, method: str, template: str, path: str, who: str | None,
    status: int,
) -> None:  # fmt: skip
    _users(center)
    _events(center, render, 1, evidence=False)
    headers = _login(client, who.removesuffix("-no-csrf")) if who else {}
    if who and who.endswith("-no-csrf"):
        headers = {}
    body = {"username": "off", "password": "wrong-password"} if path == "/api/login" else {"status": "closed"}
    r = client.request(method, path, headers=headers, json=body if method == "POST" else None)
    assert r.status_code == status, r.text
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    operation = client.get("/openapi.json").json()["paths"][template][method.lower()]
    assert str(status) in operation["responses"], f"{method} {template} answers {status}, not in its OpenAPI"
    assert "503" in operation["responses"]


# ---- one open case per event ---------------------------------------------------------------------


def _confirm(center: Center, ids: list[str]) -> None:
    assert center.engine is not None
    with session_scope(center.engine) as s:
        for eid in ids:
            repo.review(s, eid, "off", "confirmed")


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # each step: ("open", [event indexes]) or ("close", case number (1-based, in order opened))
        ([("open", [0]), ("open", [0])], [200, 409]),
        ([("open", [0]), ("open", [1, 0])], [200, 409]),  # nothing of the second case is created
        ([("open", [0]), ("close", 1), ("open", [0])], [200, 200, 200]),  # a closed case frees its events
        ([("open", [0]), ("open", [1])], [200, 200]),
    ],
)
def test_an_event_is_in_at_most_one_open_case(
    client: TestClient, center: Center, render: Any, steps: list[tuple[str, Any]], expected: list[int]
) -> None:
    _users(center)
    ids = _events(center, render, 2, evidence=False)
    _confirm(center, ids)
    csrf = _login(client, "off")
    opened: list[int] = []
    got = []
    for what, arg in steps:
        if what == "open":
            r = client.post("/api/cases", headers=csrf, json={"event_ids": [ids[i] for i in arg]})
            if r.status_code == 200:
                opened.append(r.json()["id"])
            else:
                assert "one open case at a time" in r.json()["detail"] and f"case {opened[0]}" in r.json()["detail"]
        else:
            for to in ("rectified", "closed"):
                r = client.post(f"/api/cases/{opened[arg - 1]}/status", headers=csrf, json={"status": to})
        got.append(r.status_code)
    assert got == expected
    cases = client.get("/api/cases").json()
    assert len(cases) == expected.count(200) - sum(1 for what, _ in steps if what == "close")
    open_events = [e for c in cases if c["status"] != "closed" for e in c["event_ids"]]
    assert len(open_events) == len(set(open_events))


def test_two_hand_overs_of_one_event_at_once_make_one_case(client: TestClient, center: Center, render: Any) -> None:
    """The second hand-over waits for the first one's transaction, then is refused (SQLite and PostgreSQL)."""
    (eid,) = _events(center, render, 1, evidence=False)
    _confirm(center, [eid])
    assert center.engine is not None
    first = Session(center.engine)
    first.begin()
    repo.open_case(first, [eid], "off")  # not committed yet
    outcome: dict[str, str] = {}

    def second() -> None:
        try:
            with session_scope(center.engine) as s:  # type: ignore[arg-type]
                outcome["opened"] = str(repo.open_case(s, [eid], "off2").id)
        except repo.CaseConflict as e:
            outcome["refused"] = str(e)

    t = threading.Thread(target=second)
    t.start()
    t.join(1.0)
    assert t.is_alive(), f"the second hand-over did not wait for the first: {outcome}"
    first.commit()
    first.close()
    t.join(10)
    assert "refused" in outcome and eid in outcome["refused"], outcome
    with session_scope(center.engine) as s:
        assert len(repo.list_cases(s)) == 1


# ---- a cooldown on manual shouts -----------------------------------------------------------------

CITY = """
city: 测试市
alerts: {cooldown_s: COOLDOWN, retries: 1, recordings: {littering: WAV, off_hours: WAV, overflow: WAV}}
communities:
- id: c01
  name: 阳光花园
  points:
  - id: c01-p1
    name: 1号投放点
    cameras:
    - {id: cam-a, name: A, source: "rtsp://192.0.2.10/a", speaker: {type: http_webhook, url: "HOOK"}}
    - {id: cam-b, name: B, source: "rtsp://192.0.2.10/b", speaker: {type: http_webhook, url: "HOOK"}}
"""


@pytest.fixture
def speaker() -> Iterator[WebhookServer]:
    hook = WebhookServer()
    yield hook
    hook.close()


@pytest.mark.parametrize(
    ("cooldown_s", "cameras", "expected", "heard"),
    [
        (30, ["cam-a", "cam-a"], [200, 429], 1),
        (30, ["cam-a", "cam-b", "cam-a", "cam-b"], [200, 200, 429, 429], 2),
        (0, ["cam-a", "cam-a"], [200, 200], 2),
    ],
)
def test_a_second_manual_shout_within_the_cooldown_answers_429_and_is_not_sent(
    tmp_path: Path, speaker: WebhookServer, cooldown_s: float, cameras: list[str], expected: list[int], heard: int
) -> None:
    cfg = tmp_path / "city.yaml"
    wav = silent_wav(tmp_path / "shout.wav")
    cfg.write_text(
        CITY.replace("COOLDOWN", str(cooldown_s)).replace("WAV", str(wav)).replace("HOOK", speaker.url),
        encoding="utf-8",
    )
    center = Center(Settings(config=cfg, data_dir=tmp_path / "data", start_cameras=False))
    with TestClient(create_app(center.settings, center)) as client:
        _users(center)
        assert center.engine is not None
        ids = {}
        with session_scope(center.engine) as s:
            for i, cam in enumerate(("cam-a", "cam-b")):
                from detector.rules.events import Event, EventKind

                ev = Event.started(cam, EventKind.LITTERING, 20.0, dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC), 10.0,
                                   (10, 20, 90, 80), 0.9, "z", object_id=i)  # fmt: skip
                repo.record_event(s, ev, "c01")
                ids[cam] = ev.event_id
        csrf = _login(client, "op")
        got = []
        for cam in cameras:
            r = client.post(f"/api/events/{ids[cam]}/shout", headers=csrf)
            got.append(r.status_code)
            if r.status_code == 429:
                assert 0 < int(r.headers["retry-after"]) <= cooldown_s and "cooldown_s" in r.json()["detail"]
        assert got == expected
        deadline = time.monotonic() + 10
        while len(speaker.received) < heard and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a shout that should not have been sent would arrive by now
        assert len(speaker.received) == heard, [r["json"]["event_id"] for r in speaker.received]
