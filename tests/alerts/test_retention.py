"""Retention deletes old evidence, keeps held and open-case evidence, and leaves a verifiable ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from alerts.evidence import EvidenceContext, EvidenceRequest, EvidenceStore
from alerts.ledger import LedgerAction
from detector.rules.events import Event, EventKind
from store import repo
from store.db import open_database, session_scope
from store.tables import EvidenceFileRow
from streams.ring import read_file_packets
from tests.conftest import binwatch

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def test_retention_respects_age_kind_hold_and_open_cases(render: Any, tmp_path: Path) -> None:
    clip, _ = render("littering", 42, width=640, height=360)
    codec, packets = read_file_packets(clip / "video.mp4", 0.0, 4.0)
    data = tmp_path / "data"
    store = EvidenceStore(data)
    engine = open_database(f"sqlite:///{data / 'binwatch.db'}")
    specs = {  # name: (kind, age in days)
        "old": (EventKind.LITTERING, 200), "held": (EventKind.LITTERING, 200), "in-case": (EventKind.OVERFLOW, 40),
        "young": (EventKind.LITTERING, 10), "closed-case": (EventKind.OVERFLOW, 40),
    }  # fmt: skip
    ids = {}
    for i, (name, (kind, age)) in enumerate(specs.items()):
        ev = Event.started(
            f"cam-{name}", kind, 2.0, NOW - dt.timedelta(days=age), 1.0, (1, 1, 9, 9), 0.9, "z", object_id=i
        )
        rec = store.write(EvidenceRequest(ev, EvidenceContext(ev.camera_id), codec, packets, [], None))
        with session_scope(engine) as s:
            repo.record_event(s, ev)
            repo.record_evidence(s, ev.event_id, {n: (d.size, d.sha256, d.sm3) for n, d in rec.files.items()})
        ids[name] = ev.event_id
    with session_scope(engine) as s:
        repo.set_legal_hold(s, ids["held"], True)
        for name in ("in-case", "closed-case"):
            repo.review(s, ids[name], "officer1", "confirmed")
        repo.open_case(s, [ids["in-case"]], "officer1")
        closed = repo.open_case(s, [ids["closed-case"]], "officer1")
        repo.advance_case(s, closed.id, "rectified")
        repo.advance_case(s, closed.id, "closed")
    engine.dispose()

    dry = binwatch("retention", "--data", str(data), "--now", NOW.isoformat(), "--dry-run", check=True)
    assert "would delete 2 event(s)' evidence; kept 2 past their limit" in dry.stdout
    assert all(store.complete(i) for i in ids.values())

    run = binwatch("retention", "--data", str(data), "--now", NOW.isoformat(), check=True)
    assert (
        "deleted 2 event(s)' evidence; kept 2 past their limit (legal hold or open case) and 1 within it" in run.stdout
    )
    assert {i for i in ids.values() if not store.complete(i)} == {ids["old"], ids["closed-case"]}
    deleted = [e for e in store.ledger.entries() if e.action is LedgerAction.DELETED]
    assert {e.event_id for e in deleted} == {ids["old"], ids["closed-case"]}
    assert deleted[0].actor == "retention" and "kept" in deleted[0].detail["reason"]
    assert binwatch("verify", "--all", "--data", str(data)).returncode == 0, "deletions are recorded, not tampering"
    engine = open_database(f"sqlite:///{data / 'binwatch.db'}")
    with session_scope(engine) as s:
        left = {r.event_id for r in s.query(EvidenceFileRow).all()}
    engine.dispose()
    assert left == {ids["held"], ids["in-case"], ids["young"]}
