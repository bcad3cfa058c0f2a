"""The dispatcher against a real speaker server and a real SQLite store: attempts, cooldown, quiet hours,
escalation, and a slow or dead speaker that holds up nothing else."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from sqlalchemy import Engine

from alerts.dispatcher import CameraRoute, Dispatcher
from alerts.evidence import EvidenceError, EvidenceRecord
from alerts.speakers import make_speaker
from alerts.speakers.audio import speak_to_wav
from config import DEFAULT_MESSAGES, AlertPolicy, QuietWindow, SpeakerConfig
from detector.rules.events import Event, EventKind, EventState
from store import repo
from store.db import open_database, session_scope
from store.tables import EventRow
from tests.alerts.camera_server import CameraServer, WebhookServer

T0 = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)  # 18:00 in Shanghai


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = open_database(f"sqlite:///{tmp_path / 'binwatch.db'}")
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak_to_wav("请", "sit/cmn-latn-pinyin", tmp_path_factory.mktemp("tts"))


@pytest.fixture
def cameras() -> Iterator[list[CameraServer]]:
    servers = [CameraServer(), CameraServer()]
    yield servers
    for s in servers:
        s.close()


def _policy(recording: Path, **kw: object) -> AlertPolicy:
    base: dict[str, object] = {"retries": 3, "retry_backoff_s": 0.01, "cooldown_s": 60.0,
                               "recordings": {k.value: recording for k in EventKind}}  # fmt: skip
    return AlertPolicy.model_validate({**base, **kw})


def _route(camera_id: str, server: CameraServer, **kw: object) -> CameraRoute:
    cfg = TypeAdapter(SpeakerConfig).validate_python(
        {"type": "hikvision_isapi", "url": server.url, "password": "12345abc", "timeout_s": 1.0}
    )
    return CameraRoute(camera_id, "c01", make_speaker(cfg), **kw)  # type: ignore[arg-type]


def _event(camera: str, i: int, kind: EventKind = EventKind.LITTERING, wall: dt.datetime = T0) -> Event:
    return Event.started(camera, kind, 20.0 + i, wall, 10.0 + i, (10, 20, 30, 40), 0.9, "no_dump[0]", object_id=i)


def _attempts(engine: Engine, event_id: str) -> list[tuple[str, int, str]]:
    with session_scope(engine) as s:
        return [(a.action, a.attempt, a.outcome) for a in repo.attempts_of(s, event_id)]


def _wait(cond: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)


def test_a_confirmed_event_is_recorded_and_shouted(
    engine: Engine, cameras: list[CameraServer], recording: Path, tmp_path: Path
) -> None:
    d = Dispatcher(engine, _policy(recording), {"cam-a": _route("cam-a", cameras[0])}, tmp_path)
    ev = _event("cam-a", 1)
    d.handle(ev)
    d.close()
    assert sorted(_attempts(engine, ev.event_id)) == [("record", 1, "ok"), ("shout", 1, "ok")]
    assert [r.path for r in cameras[0].received] == ["/ISAPI/Event/triggers/notifications/AudioAlarm/1/test"]
    with session_scope(engine) as s:
        row = s.get(EventRow, ev.event_id)
        assert row is not None and (row.shouts, row.priority, row.community_id) == (1, 0, "c01")


def test_a_dead_speaker_is_retried_recorded_and_blocks_nobody(
    engine: Engine, cameras: list[CameraServer], recording: Path, tmp_path: Path
) -> None:
    cameras[0].behaviour, cameras[0].delay_s = "slow", 3.0  # camera a: answers after its timeout
    routes = {"cam-a": _route("cam-a", cameras[0]), "cam-b": _route("cam-b", cameras[1])}
    d = Dispatcher(engine, _policy(recording), routes, tmp_path)
    a, b = _event("cam-a", 1), _event("cam-b", 2)
    t0 = time.monotonic()
    d.handle(a)
    d.handle(b)
    assert time.monotonic() - t0 < 0.2, "handle() must never wait for an action"
    _wait(lambda: ("shout", 1, "ok") in _attempts(engine, b.event_id))
    assert ("shout", 1, "ok") in _attempts(engine, b.event_id)
    assert time.monotonic() - t0 < 2.0, "camera b's shout must not wait for camera a's slow speaker"
    d.close()
    shouts = [x for x in _attempts(engine, a.event_id) if x[0] == "shout"]
    assert shouts == [("shout", 1, "failed"), ("shout", 2, "failed"), ("shout", 3, "failed")]
    with session_scope(engine) as s:
        detail = [x.detail for x in repo.attempts_of(s, a.event_id) if x.action == "shout"]
    assert all("ReadTimeout" in x for x in detail)


def test_cooldown_and_quiet_hours_skip_the_shout_and_say_why(
    engine: Engine, cameras: list[CameraServer], recording: Path, tmp_path: Path
) -> None:
    quiet = (QuietWindow(start=dt.time(22, 0), end=dt.time(7, 0)),)
    routes = {"cam-a": _route("cam-a", cameras[0]), "cam-q": _route("cam-q", cameras[1], quiet_hours=quiet)}
    d = Dispatcher(engine, _policy(recording), routes, tmp_path)
    first, second = _event("cam-a", 1), _event("cam-a", 2)
    night = _event("cam-q", 3, wall=dt.datetime(2026, 6, 1, 15, 30, tzinfo=dt.UTC))  # 23:30 local
    for ev in (first, second, night):
        d.handle(ev)
    d.close()
    assert ("shout", 1, "ok") in _attempts(engine, first.event_id)
    assert ("shout", 1, "skipped") in _attempts(engine, second.event_id)
    assert ("shout", 1, "skipped") in _attempts(engine, night.event_id)
    with session_scope(engine) as s:
        rows = [*repo.attempts_of(s, second.event_id), *repo.attempts_of(s, night.event_id)]
        why = {a.event_id: a.detail for a in rows if a.action == "shout"}
    assert why[second.event_id].startswith("cooldown: this camera said littering")
    assert why[night.event_id] == "quiet hours 22:00-07:00"
    assert len(cameras[0].received) == 1 and cameras[1].received == []


def test_garbage_still_there_is_shouted_at_again_with_higher_priority(
    engine: Engine, cameras: list[CameraServer], recording: Path, tmp_path: Path
) -> None:
    policy = _policy(recording, escalate_after_s=0.3, escalate_max=2)
    d = Dispatcher(engine, policy, {"cam-a": _route("cam-a", cameras[0])}, tmp_path)
    stays, removed = _event("cam-a", 1), _event("cam-a", 2, EventKind.OVERFLOW)
    d.handle(stays)
    d.handle(removed)
    d.handle(replace(removed, state=EventState.END, t_s=25.0))  # cleared before the first escalation
    time.sleep(1.2)
    d.close()
    with session_scope(engine) as s:
        a, b = s.get(EventRow, stays.event_id), s.get(EventRow, removed.event_id)
        assert a is not None and (a.shouts, a.priority) == (3, 2)
        assert b is not None and (b.shouts, b.priority, b.state) == (1, 0, "end")


def test_failed_evidence_is_retried_and_recorded(engine: Engine, recording: Path, tmp_path: Path) -> None:
    d = Dispatcher(engine, _policy(recording), {}, tmp_path)
    ev = _event("cam-x", 1)
    calls: list[int] = []

    def make() -> EvidenceRecord:
        calls.append(1)
        raise EvidenceError("no packets in the ring for 0.0..30.0 s")

    released: list[int] = []
    d.handle(ev)
    d.add_evidence(ev, make, done=lambda: released.append(len(calls)))
    d.close()
    assert len(calls) == 3
    assert released == [3]  # the pre-roll is released once, after the last attempt, not after the first
    assert [x for x in _attempts(engine, ev.event_id) if x[0] == "evidence"] == [
        ("evidence", 1, "failed"), ("evidence", 2, "failed"), ("evidence", 3, "failed"),
    ]  # fmt: skip


def test_a_warning_is_shouted_with_its_own_words_shown_and_kept_but_not_recorded_as_an_event(
    engine: Engine, recording: Path, tmp_path: Path
) -> None:
    hook = WebhookServer()
    cfg = TypeAdapter(SpeakerConfig).validate_python({"type": "http_webhook", "url": hook.url, "timeout_s": 2.0})
    told: list[tuple[str, EventState]] = []
    d = Dispatcher(
        engine, _policy(recording, recordings={}), {"cam-a": CameraRoute("cam-a", "c01", make_speaker(cfg))}, tmp_path,
        notify=lambda e: told.append((e.event_id, e.state)),
    )  # fmt: skip
    start = _event("cam-a", 1)
    warning = replace(start, state=EventState.WARNING, t_s=12.0)
    d.handle(warning)
    other = replace(_event("cam-a", 2), state=EventState.WARNING)
    d.handle(other)  # the same camera warns again within the cooldown: skipped
    _wait(lambda: len(hook.received) == 1)
    d.handle(start)  # confirmed later: the event's own shout is not held back by the warning's cooldown
    d.close()
    hook.close()
    said = [(r["json"]["text"], r["json"]["warning"]) for r in hook.received]
    assert said == [(DEFAULT_MESSAGES["littering_warning"], True), (DEFAULT_MESSAGES["littering"], False)]
    assert told == [(start.event_id, EventState.WARNING), (other.event_id, EventState.WARNING),
                    (start.event_id, EventState.START)]  # fmt: skip
    assert sorted(_attempts(engine, start.event_id)) == [
        ("notify", 1, "ok"), ("notify", 1, "ok"), ("record", 1, "ok"), ("record", 1, "ok"), ("shout", 1, "ok"),
        ("warn", 1, "ok"),
    ]  # fmt: skip
    assert sorted(_attempts(engine, other.event_id)) == [("notify", 1, "ok"), ("record", 1, "ok"),
                                                         ("warn", 1, "skipped")]  # fmt: skip
    with session_scope(engine) as s:
        row = s.get(EventRow, start.event_id)
        assert row is not None and (row.state, row.shouts) == ("start", 1)  # the warning's shout is not the event's
        assert s.get(EventRow, other.event_id) is None  # a warning alone is no event, but it is kept
        assert sorted((w.event_id, w.community_id) for w in repo.list_warnings(s)) == [
            (start.event_id, "c01"), (other.event_id, "c01")
        ]  # fmt: skip
