"""Every recorded event is accounted for: by its evidence, or by the recorded reason it has none.

Two checks use this: the start-up one (:func:`record_recovery`), which records a failed evidence
attempt for each write the previous process never finished, and ``binwatch verify --all``
(:func:`account`), which compares the records with the evidence both ways.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from alerts.evidence import Problem, Recovery
from alerts.ledger import LedgerAction
from store import repo
from store.db import session_scope

EVIDENCE = "evidence"  # the dispatcher's action name for evidence attempts (alerts.dispatcher.Action.EVIDENCE)
NEVER_WRITTEN = (
    "interrupted: the process ended before this event's evidence was written (no evidence and no attempt at start-up)"
)
FAILED = ("failed", "lost")  # outcomes that leave an event without evidence, with the reason in the detail


@dataclass(frozen=True)
class Accounting:
    events: int  # recorded events compared
    with_evidence: int
    failures: dict[str, str]  # event id -> the recorded reason it has no evidence
    deleted: list[str]  # evidence deleted by retention (the ledger says so)
    unfinished: list[str]  # .partial directories: a write in progress, or one that start-up will record
    problems: list[Problem]


def record_recovery(
    engine: Engine, recovery: Recovery, complete: set[str], camera_ids: Sequence[str] | None = None
) -> list[str]:
    """Record a failed evidence attempt for each interrupted write, and for each recorded event (of these
    cameras) that has neither evidence nor any evidence attempt; returns one note per record.

    ``complete``: event ids with complete evidence on disk. Run at start-up, before any camera starts,
    so no evidence of this process can be under way.
    """
    now = dt.datetime.now(dt.UTC)
    notes: list[str] = []
    with session_scope(engine) as s:
        for event_id, reason in sorted(recovery.interrupted.items()):
            repo.record_attempt(s, event_id, EVIDENCE, "files", 1, now, "failed", reason)
            notes.append(f"{event_id}: evidence recorded as failed: {reason}")
        # Only events never tried (found by the database, not by reading every event and attempt at start-up).
        for event_id in repo.events_without_attempt(s, EVIDENCE, camera_ids):
            if event_id in complete or event_id in recovery.interrupted:
                continue
            repo.record_attempt(s, event_id, EVIDENCE, "files", 1, now, "failed", NEVER_WRITTEN)
            notes.append(f"{event_id}: evidence recorded as failed: {NEVER_WRITTEN}")
    return notes


def account(
    engine: Engine, on_disk: set[str], deleted: set[str], unfinished: Sequence[str], only: Sequence[str] | None = None
) -> Accounting:
    """Compare recorded events (all, or ``only``) with the evidence directories, both ways.

    ``on_disk``: event ids with an evidence directory; ``deleted``: evidence the ledger says
    retention deleted. An event with neither evidence nor a recorded failure, and an evidence
    directory without a recorded event, are problems.
    """
    with session_scope(engine) as s:
        recorded = repo.event_ids(s)
        ids = recorded if only is None else [e for e in only if e in set(recorded)]
        last = repo.last_attempts(s, ids, EVIDENCE)
        failures = {e: a.detail for e, a in last.items() if a.outcome in FAILED and e not in on_disk}
    problems: list[Problem] = []
    if only is not None:
        problems += [Problem(e, "no such recorded event") for e in only if e not in set(recorded)]
    gone = sorted(e for e in ids if e not in on_disk and e in deleted)
    for e in ids:
        if e in on_disk or e in deleted or e in failures:
            continue
        a = last.get(e)
        why = "no evidence attempt" if a is None else f"last evidence attempt {a.outcome}: {a.detail or '-'}"
        problems.append(Problem(e, f"recorded event has no evidence and no recorded evidence failure ({why})"))
    candidates = on_disk if only is None else on_disk & set(only)
    for e in sorted(candidates - set(recorded)):
        problems.append(Problem(e, "orphan evidence directory: no recorded event has this id"))
    with_evidence = sum(1 for e in ids if e in on_disk)
    return Accounting(len(ids), with_evidence, failures, gone, list(unfinished), problems)


def deleted_by_retention(actions: Sequence[tuple[str, LedgerAction]]) -> set[str]:
    """Event ids whose latest creation/deletion entry in the ledger is a deletion."""
    state: dict[str, bool] = {}
    for event_id, action in actions:
        if action in (LedgerAction.CREATED, LedgerAction.RECOVERED):
            state[event_id] = False
        elif action is LedgerAction.DELETED:
            state[event_id] = True
    return {e for e, gone in state.items() if gone}
