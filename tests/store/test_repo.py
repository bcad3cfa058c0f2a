"""The records on SQLite and on the real PostgreSQL: events stored once, filters, reviews, cases, attempts."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select

from config import load_city_config
from detector.rules.events import Event, EventKind, EventState
from store import repo
from store.db import StoreError, open_database, session_scope
from store.tables import AuditLog, Camera, EventRow

CITY = Path(__file__).resolve().parents[2] / "config" / "example-city.yaml"
T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


def _event(i: int, kind: EventKind = EventKind.LITTERING, camera: str = "c01-p1-cam1") -> Event:
    return Event.started(camera, kind, 20.0 + i, T0 + dt.timedelta(minutes=i), 10.0 + i, (1, 2, 3, 4), 0.9,
                         "no_dump[0]", owner_track=3, object_id=i)  # fmt: skip


def test_migrations_create_every_table(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert {"events", "warnings", "evidence_files", "action_attempts", "reviews", "cases", "case_events", "users",
            "audit_log", "communities", "points", "cameras", "alembic_version"} <= names  # fmt: skip


def test_the_migrations_build_exactly_the_tables_the_code_declares(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from store.tables import Base

    with engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(c), Base.metadata) == []


def test_warnings_are_stored_once_listed_latest_first_and_never_taken_for_events(engine: Engine) -> None:
    warnings = [replace(_event(i, camera=cam), state=EventState.WARNING) for i, cam in enumerate(["a", "b", "a"])]
    with session_scope(engine) as s:
        assert [repo.record_warning(s, w, "c01") for w in warnings] == [True] * 3
        assert not repo.record_warning(s, warnings[0], "c01")
        with pytest.raises(ValueError, match="is a warning, not an event to record"):
            repo.record_event(s, warnings[0])
        with pytest.raises(ValueError, match="is a start step, not a warning"):
            repo.record_warning(s, _event(9))
    with session_scope(engine) as s:
        assert [w.event_id for w in repo.list_warnings(s)] == [warnings[2].event_id, warnings[1].event_id,
                                                                warnings[0].event_id]  # fmt: skip
        assert [w.event_id for w in repo.list_warnings(s, camera_id="a", limit=1)] == [warnings[2].event_id]
        since = T0 + dt.timedelta(minutes=1)
        assert [w.wall for w in repo.list_warnings(s, since=since)] == [since + dt.timedelta(minutes=1), since]


def test_config_sync_and_the_same_event_twice_is_stored_once(engine: Engine) -> None:
    city = load_city_config(CITY)
    with session_scope(engine) as s:
        repo.sync_config(s, city)
        repo.sync_config(s, city)  # idempotent
    with session_scope(engine) as s:
        assert s.query(Camera).count() == len(city.cameras())
        assert repo.record_event(s, _event(1), "c01") is True
    with session_scope(engine) as s:
        assert repo.record_event(s, _event(1), "c01") is False
        assert s.query(EventRow).count() == 1
        end = _event(1)
        from dataclasses import replace

        repo.record_event(s, replace(end, state=EventState.END, t_s=99.0))
    with session_scope(engine) as s:
        row = s.get(EventRow, _event(1).event_id)
        assert row is not None and (row.state, row.t_s, row.status) == ("end", 99.0, "new")
        assert row.wall == T0 + dt.timedelta(minutes=1)


def test_filters_and_pagination(engine: Engine) -> None:
    with session_scope(engine) as s:
        for i in range(12):
            kind = EventKind.OVERFLOW if i % 3 == 0 else EventKind.LITTERING
            repo.record_event(s, _event(i, kind, "cam-a" if i < 6 else "cam-b"), "c01" if i < 6 else "c02")
    with session_scope(engine) as s:
        rows, total = repo.list_events(s, repo.EventFilter(kind="littering"), limit=5)
        assert total == 8 and len(rows) == 5
        assert [r.wall for r in rows] == sorted((r.wall for r in rows), reverse=True)
        rows2, _ = repo.list_events(s, repo.EventFilter(kind="littering"), limit=5, offset=5)
        assert {r.event_id for r in rows} & {r.event_id for r in rows2} == set() and len(rows2) == 3
        rows, total = repo.list_events(s, repo.EventFilter(community_id="c02", camera_id="cam-b"))
        assert total == 6
        window = repo.EventFilter(since=T0 + dt.timedelta(minutes=3), until=T0 + dt.timedelta(minutes=5))
        assert repo.list_events(s, window)[1] == 2


def test_review_and_case_workflow(engine: Engine) -> None:
    with session_scope(engine) as s:
        for i in range(3):
            repo.record_event(s, _event(i))
    a, b, c = (_event(i).event_id for i in range(3))
    with session_scope(engine) as s:
        with pytest.raises(repo.RecordError, match="a dismissal needs a reason"):
            repo.review(s, a, "officer1", "dismissed", "  ")
        with pytest.raises(repo.RecordError, match="no event"):
            repo.review(s, "nope", "officer1", "confirmed")
        repo.review(s, a, "officer1", "confirmed")
        repo.review(s, b, "officer1", "dismissed", "a delivery parcel, picked up later")
    with session_scope(engine) as s, pytest.raises(repo.RecordError, match=f"not confirmed: {c}"):
        repo.open_case(s, [a, c], "officer1")
    with session_scope(engine) as s:
        case = repo.open_case(s, [a], "officer1", "handed to 城管 squad 2")
        case_id = case.id
    with session_scope(engine) as s:
        assert repo.events_under_case(s) == {a}
        with pytest.raises(repo.RecordError, match="can move to rectified"):
            repo.advance_case(s, case_id, "closed")
        repo.advance_case(s, case_id, "rectified", "owner cleaned up")
        repo.advance_case(s, case_id, "closed")
    with session_scope(engine) as s:
        assert repo.events_under_case(s) == set()
        assert s.get(EventRow, a).status == "case"  # type: ignore[union-attr]


def test_attempts_and_audit_are_kept_in_order(engine: Engine) -> None:
    with session_scope(engine) as s:
        repo.record_event(s, _event(0))
        eid = _event(0).event_id
        for n, outcome in enumerate(["failed", "failed", "ok"], start=1):
            repo.record_attempt(s, eid, "shout", "hikvision_isapi", n, T0, outcome, "" if outcome == "ok" else "401")
    with session_scope(engine) as s:  # a read is audited from a session of its own, as the API's reads are
        repo.audit(s, "officer1", "view", f"event:{eid}", {"file": "original.mp4"})
    with session_scope(engine) as s:
        assert [(a.attempt, a.outcome) for a in repo.attempts_of(s, eid)] == [(1, "failed"), (2, "failed"), (3, "ok")]
        (log,) = s.scalars(select(AuditLog)).all()
        assert log.detail == {"file": "original.mp4"}


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match=r"postgresql\+psycopg://\*\*\*@127.0.0.1:1/nowhere") as err:
        open_database("postgresql+psycopg://binwatch:secret@127.0.0.1:1/nowhere")
    assert "secret" not in str(err.value)


def test_users_have_argon2_hashes_and_no_weak_passwords(engine: Engine) -> None:
    with session_scope(engine) as s:
        for bad, message in [
            (("admin", "admin", "short"), "at least 12 characters; got 5"),
            (("admin", "admin", "aaaaaaaaaaaaaaaa"), "at least 5 different characters; got 1"),
            (("zhou", "admin", "administrator"), "one of the 20,000 most common"),
            (("zhou", "admin", "PassWord1234"), "one of the 20,000 most common"),  # case-insensitive
            (("admin", "admin", "the-admin-is-me"), "must not contain the user name"),
            (("admin", "root", "a-long-enough-pass"), "role must be one of"),
            (("bad name", "admin", "a-long-enough-pass"), "user name must be"),
        ]:
            with pytest.raises(repo.RecordError, match=message):
                repo.add_user(s, *bad)
        user = repo.add_user(s, "zhang_wei", "officer", "correct horse battery")
        assert user.password_hash.startswith("$argon2id$")
        with pytest.raises(repo.RecordError, match="exists"):
            repo.add_user(s, "zhang_wei", "admin", "another long password")
    with session_scope(engine) as s:
        assert repo.authenticate(s, "zhang_wei", "correct horse battery") is not None
        assert repo.authenticate(s, "zhang_wei", "wrong password!!") is None
        assert repo.authenticate(s, "nobody", "correct horse battery") is None


def test_events_never_tried_for_an_action_are_found_by_the_database(engine: Engine) -> None:
    """Start-up asks only for events with no evidence attempt at all (it read every event and attempt): one
    tried and failed, one tried for another action only, one of another camera, one never tried."""
    failed, shouted_only, other_camera, never = _event(1), _event(2), _event(3, camera="c01-p2-cam1"), _event(4)
    with session_scope(engine) as s:
        for e in (failed, shouted_only, other_camera, never):
            repo.record_event(s, e)
        repo.record_attempt(s, failed.event_id, "evidence", "files", 1, T0, "failed", "disk full")
        repo.record_attempt(s, shouted_only.event_id, "shout", "hikvision_isapi", 1, T0, "ok")
    with session_scope(engine) as s:
        assert repo.events_without_attempt(s, "evidence") == [e.event_id for e in (shouted_only, other_camera, never)]
        assert repo.events_without_attempt(s, "evidence", ["c01-p1-cam1"]) == [shouted_only.event_id, never.event_id]
        assert repo.events_without_attempt(s, "shout", []) == []
        assert repo.events_without_attempt(s, "shout") == [e.event_id for e in (failed, other_camera, never)]
