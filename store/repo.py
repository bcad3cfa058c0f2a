"""Repositories: the only code that reads and writes the tables. Each function takes an open Session."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config import CityConfig
from detector.rules.events import Event, EventState
from redact import redact_text, redact_url
from store.tables import (
    ActionAttempt,
    AuditLog,
    AuthToken,
    Camera,
    Case,
    CaseEvent,
    Community,
    EventRow,
    EvidenceFileRow,
    LoginFailure,
    Point,
    Review,
    User,
    WarningRow,
    utcnow,
)

log = logging.getLogger("binwatch.store")


class RecordError(ValueError):
    """A request the records cannot accept (a dismissal without a reason, a weak password...)."""


class NotRecorded(RecordError):
    """What the request names is not in the records (an event, a case, a user, a token)."""


class Conflict(RecordError):
    """A request that contradicts what is recorded (a user who exists, an event already in an open case)."""


def sync_config(s: Session, city: CityConfig) -> None:
    """Make communities, points and cameras match the config (rows are upserted, never dropped)."""
    for c in city.communities:
        s.merge(Community(id=c.id, name=c.name, district=c.district))
        for p in c.points:
            s.merge(Point(id=p.id, community_id=c.id, name=p.name, address=p.address))
            for cam in p.cameras:
                s.merge(Camera(id=cam.id, point_id=p.id, name=cam.name, source_redacted=redact_url(cam.source)))


def record_event(s: Session, ev: Event, community_id: str = "") -> bool:
    """Store an event's lifecycle step; True when the event is new. The same START twice is stored once.

    A WARNING is refused: it is said on the spot, not a violation (its shout attempts are recorded
    under its id, which the event confirmed later for the same garbage takes).
    """
    if ev.state is EventState.WARNING:
        raise ValueError(f"{ev.event_id} is a warning, not an event to record")
    row = s.get(EventRow, ev.event_id)
    wall = ev.wall.astimezone(dt.UTC)
    if row is None:
        s.add(EventRow(
            event_id=ev.event_id, camera_id=ev.camera_id, community_id=community_id, kind=ev.kind.value,
            state=ev.state.value, status="new", priority=0, t_s=ev.t_s, t_start_s=ev.t_start_s, wall=wall,
            updated=utcnow(), bbox=[float(v) for v in ev.bbox], score=ev.score, zone=ev.zone,
            owner_track=ev.owner_track, shouts=0,
        ))  # fmt: skip
        s.flush()
        return True
    if ev.state is not EventState.START:  # a repeated START changes nothing
        row.state, row.t_s, row.updated = ev.state.value, ev.t_s, utcnow()
        if ev.state is EventState.UPDATE:
            row.bbox = [float(v) for v in ev.bbox]
    return False


def record_warning(s: Session, ev: Event, community_id: str = "") -> bool:
    """Store an on-the-spot warning; True when it is new (the same warning twice is stored once)."""
    if ev.state is not EventState.WARNING:
        raise ValueError(f"{ev.event_id} is a {ev.state.value} step, not a warning")
    if s.get(WarningRow, ev.event_id) is not None:
        return False
    s.add(WarningRow(
        event_id=ev.event_id, camera_id=ev.camera_id, community_id=community_id, kind=ev.kind.value, t_s=ev.t_s,
        t_start_s=ev.t_start_s, wall=ev.wall.astimezone(dt.UTC), bbox=[float(v) for v in ev.bbox], score=ev.score,
        zone=ev.zone,
    ))  # fmt: skip
    s.flush()
    return True


def list_warnings(
    s: Session, camera_id: str | None = None, since: dt.datetime | None = None, limit: int = 50
) -> Sequence[WarningRow]:
    """The latest warnings first."""
    q = select(WarningRow)
    if camera_id is not None:
        q = q.where(WarningRow.camera_id == camera_id)
    if since is not None:
        q = q.where(WarningRow.wall >= since.astimezone(dt.UTC))
    return s.scalars(q.order_by(WarningRow.wall.desc(), WarningRow.event_id).limit(limit)).all()


def record_evidence(s: Session, event_id: str, files: dict[str, tuple[int, str, str]]) -> None:
    """(size, sha256, sm3) per file name; idempotent."""
    for name, (size, sha, sm3) in files.items():
        exists = s.scalar(
            select(EvidenceFileRow).where(EvidenceFileRow.event_id == event_id, EvidenceFileRow.name == name)
        )
        if exists is None:
            s.add(EvidenceFileRow(event_id=event_id, name=name, size=size, sha256=sha, sm3=sm3))


def record_attempt(
    s: Session, event_id: str, action: str, backend: str, attempt: int, started: dt.datetime, outcome: str,
    detail: str = "",
) -> None:  # fmt: skip
    """Store one attempt of an action; its detail (an error text, which may quote a device's URL) is
    stored redacted (redact.redact_text), since every operator can read it."""
    s.add(ActionAttempt(
        event_id=event_id, action=action, backend=backend, attempt=attempt, started=started, finished=utcnow(),
        outcome=outcome, detail=redact_text(detail[:8000])[:4000],
    ))  # fmt: skip


def attempts_of(s: Session, event_id: str) -> Sequence[ActionAttempt]:
    return s.scalars(select(ActionAttempt).where(ActionAttempt.event_id == event_id).order_by(ActionAttempt.id)).all()


def recorded_events(s: Session, event_ids: Sequence[str]) -> set[str]:
    """Which of these ids are recorded events."""
    return set(s.scalars(select(EventRow.event_id).where(EventRow.event_id.in_(event_ids))))


def attempt_outcomes(s: Session, event_ids: Sequence[str], action: str) -> dict[str, list[str]]:
    """Outcomes (ok / failed / skipped) of one action's attempts for each of these ids, in order."""
    q = select(ActionAttempt.event_id, ActionAttempt.outcome).where(
        ActionAttempt.event_id.in_(event_ids), ActionAttempt.action == action
    )
    out: dict[str, list[str]] = {}
    for event_id, outcome in s.execute(q.order_by(ActionAttempt.id)):
        out.setdefault(event_id, []).append(outcome)
    return out


def bump_shouts(s: Session, event_id: str, escalate: bool) -> None:
    row = s.get(EventRow, event_id)
    if row is not None:
        row.shouts += 1
        if escalate:
            row.priority += 1


@dataclass(frozen=True)
class EventFilter:
    community_id: str | None = None
    camera_id: str | None = None
    kind: str | None = None
    status: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def list_events(s: Session, f: EventFilter, limit: int = 50, offset: int = 0) -> tuple[Sequence[EventRow], int]:
    """Newest first, with the total count for pagination."""
    q = select(EventRow)
    for column, value in (
        (EventRow.community_id, f.community_id), (EventRow.camera_id, f.camera_id),
        (EventRow.kind, f.kind), (EventRow.status, f.status),
    ):  # fmt: skip
        if value is not None:
            q = q.where(column == value)
    if f.since is not None:
        q = q.where(EventRow.wall >= f.since)
    if f.until is not None:
        q = q.where(EventRow.wall < f.until)
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = s.scalars(q.order_by(EventRow.wall.desc(), EventRow.event_id).limit(limit).offset(offset)).all()
    return rows, total


def review(s: Session, event_id: str, username: str, verdict: str, reason: str = "") -> Review:
    row = s.get(EventRow, event_id)
    if row is None:
        raise NotRecorded(f"no event {event_id!r}")
    if verdict not in ("confirmed", "dismissed"):
        raise RecordError(f"verdict must be 'confirmed' or 'dismissed'; got {verdict!r}")
    if verdict == "dismissed" and not reason.strip():
        raise RecordError("a dismissal needs a reason")
    r = Review(event_id=event_id, username=username, verdict=verdict, reason=reason)
    s.add(r)
    row.status, row.updated = verdict, utcnow()
    return r


CASE_FLOW = {"handed_over": ("rectified",), "rectified": ("closed",), "closed": ()}


class CaseConflict(Conflict):
    """A hand-over the records refuse because an event is already in an open case."""


def open_case(s: Session, event_ids: Sequence[str], username: str, notes: str = "") -> Case:
    """Hand confirmed events over as one case (移交); each event may be in one open case at a time.

    The events' rows are written first (a no-op update): PostgreSQL then holds their row locks and
    SQLite its write lock until the caller's transaction ends, so a second hand-over of the same event
    waits here, and then finds the first one's case and is refused (CaseConflict).
    """
    if not event_ids:
        raise RecordError("a case needs at least one event")
    twice = sorted({e for e in event_ids if list(event_ids).count(e) > 1})
    if twice:
        raise RecordError(f"each event may be listed once; listed more than once: {', '.join(twice)}")
    for eid in sorted(event_ids):  # one order for everyone: two hand-overs never wait on each other in a circle
        s.execute(
            update(EventRow).where(EventRow.event_id == eid).values(updated=EventRow.updated),
            execution_options={"synchronize_session": False},
        )
    rows = [s.get(EventRow, e) for e in event_ids]
    missing = [e for e, r in zip(event_ids, rows, strict=True) if r is None]
    if missing:
        raise RecordError(f"no such event(s): {', '.join(missing)}")
    unconfirmed = [r.event_id for r in rows if r is not None and r.status not in ("confirmed", "case")]
    if unconfirmed:
        raise RecordError(f"only confirmed events can be handed over; not confirmed: {', '.join(unconfirmed)}")
    taken = s.execute(
        select(CaseEvent.event_id, Case.id, Case.status)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.event_id.in_(event_ids), Case.status != "closed")
        .order_by(CaseEvent.event_id)
    ).all()
    if taken:
        held = "; ".join(f"{eid} is in case {cid} ({status})" for eid, cid, status in taken)
        raise CaseConflict(f"an event can be in one open case at a time: {held}; close that case first")
    case = Case(status="handed_over", notes=notes, created_by=username)
    s.add(case)
    s.flush()
    for r in rows:
        assert r is not None
        s.add(CaseEvent(case_id=case.id, event_id=r.event_id))
        r.status = "case"
    return case


def advance_case(s: Session, case_id: int, status: str, notes: str = "") -> Case:
    case = s.get(Case, case_id)
    if case is None:
        raise NotRecorded(f"no case {case_id}")
    if status not in CASE_FLOW[case.status]:
        allowed = ", ".join(CASE_FLOW[case.status]) or "nothing (closed)"
        raise RecordError(f"case {case_id} is {case.status}; it can move to {allowed}, not {status!r}")
    case.status, case.updated = status, utcnow()
    if notes:
        case.notes = (case.notes + "\n" + notes).strip()
    return case


def events_under_case(s: Session, open_only: bool = True) -> set[str]:
    q = select(CaseEvent.event_id).join(Case, Case.id == CaseEvent.case_id)
    if open_only:
        q = q.where(Case.status != "closed")
    return set(s.scalars(q).all())


READ_AUDITS = frozenset({"view", "download"})  # audited best effort: see audit()


class _Count:
    """A thread-safe counter (for /metrics)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


failed_read_audits = _Count()  # audit rows of reads that could not be written


def audit(s: Session, username: str, action: str, target: str, detail: dict[str, object] | None = None) -> None:
    """Add an audit row to the caller's transaction; a read's row (READ_AUDITS) is written best effort.

    A read must not fail because its audit row cannot be written (a full disk under SQLite): that
    row is committed in a transaction of its own, and a failure is logged and counted
    (``failed_read_audits``) instead of failing the read's own transaction. So a read is audited from a
    session that has written nothing: under SQLite, a session that holds the write lock would make that
    transaction wait for it (5 s) and lose the row.
    """
    row = AuditLog(username=username, action=action, target=target, detail=dict(detail or {}))
    if action not in READ_AUDITS:
        s.add(row)
        return
    try:
        with Session(s.get_bind()) as own, own.begin():
            own.add(row)
    except SQLAlchemyError as e:
        failed_read_audits.add()
        log.error("cannot write the audit row of %s's %s of %s (the read goes on): %s", username, action, target, e)


def case_records(s: Session, event_ids: Sequence[str]) -> dict[str, object]:
    """What the records say about these events: status, shouts, reviews and the cases they belong to."""
    out: dict[str, object] = {}
    for eid in event_ids:
        row = s.get(EventRow, eid)
        reviews = s.scalars(select(Review).where(Review.event_id == eid).order_by(Review.id)).all()
        case_ids = s.scalars(select(CaseEvent.case_id).where(CaseEvent.event_id == eid)).all()
        cases = [s.get(Case, c) for c in case_ids]
        out[eid] = {
            "status": row.status if row else "not in the records",
            "priority": row.priority if row else None,
            "shouts": row.shouts if row else None,
            "reviews": [{"by": r.username, "verdict": r.verdict, "reason": r.reason, "at": r.at.isoformat()}
                        for r in reviews],
            "cases": [{"id": c.id, "status": c.status, "notes": c.notes, "by": c.created_by} for c in cases if c],
        }  # fmt: skip
    return out


def set_legal_hold(s: Session, event_id: str, hold: bool) -> None:
    row = s.get(EventRow, event_id)
    if row is None:
        raise NotRecorded(f"no event {event_id!r}")
    row.legal_hold = hold


def held_events(s: Session) -> set[str]:
    """Events whose evidence must be kept: under legal hold or in a case that is not closed."""
    return set(s.scalars(select(EventRow.event_id).where(EventRow.legal_hold.is_(True))).all()) | events_under_case(s)


def forget_evidence_files(s: Session, event_id: str) -> None:
    for f in s.scalars(select(EvidenceFileRow).where(EvidenceFileRow.event_id == event_id)).all():
        s.delete(f)


ROLES = ("operator", "officer", "admin")
_HASHER = None
PASSWORD_MIN_CHARS = 12
PASSWORD_MIN_DISTINCT = 5  # "aaaaaaaaaaaa" and "abababababab" are long but not secret
# Royce Williams's 20,000 most common passwords (lowercased), as bundled with Django (BSD-3-Clause):
# see common-passwords.LICENSE beside it.
COMMON_PASSWORDS = Path(__file__).resolve().parent / "common-passwords.txt.gz"
API_TOKEN_DAYS = (1, 365)  # an API token lives at least one day and at most a year
TOUCH_EVERY = dt.timedelta(seconds=60)  # how stale a token's last_used may get (it is written at most this often)


def _hasher() -> Any:
    global _HASHER
    if _HASHER is None:
        from argon2 import PasswordHasher

        _HASHER = PasswordHasher()
    return _HASHER


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip())


def check_password(username: str, password: str) -> None:
    """Refuse a weak password (RecordError naming the rule): shorter than 12 characters, fewer than 5
    different characters, containing the user name (of 4+ characters), or one of the bundled common
    passwords (case-insensitive)."""
    if len(password) < PASSWORD_MIN_CHARS:
        raise RecordError(f"password must be at least {PASSWORD_MIN_CHARS} characters; got {len(password)}")
    if len(set(password)) < PASSWORD_MIN_DISTINCT:
        raise RecordError(
            f"password must have at least {PASSWORD_MIN_DISTINCT} different characters; got {len(set(password))}"
        )
    name, secret = username.lower(), password.lower()
    if secret == name or (len(name) >= 4 and name in secret):  # a name of 2-3 letters is in many good passwords
        raise RecordError("password must not contain the user name")
    if password.lower() in common_passwords():
        raise RecordError("password is one of the 20,000 most common passwords; choose another")


def add_user(s: Session, username: str, role: str, password: str) -> User:
    """A new user with an argon2id password hash; weak or common passwords are refused (check_password)."""
    if role not in ROLES:
        raise RecordError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").isalnum():
        raise RecordError(f"user name must be 1-64 letters, digits, '-' or '_'; got {username!r}")
    if s.scalar(select(User).where(User.username == username)) is not None:
        raise UserExists(f"user {username!r} exists")
    check_password(username, password)
    user = User(username=username, role=role, password_hash=_hasher().hash(password))
    s.add(user)
    s.flush()
    return user


class UnknownUser(NotRecorded):
    """No user of that name."""


class UserExists(Conflict):
    """A user of that name exists already."""


def get_user(s: Session, username: str) -> User:
    user = s.scalar(select(User).where(User.username == username))
    if user is None:
        raise UnknownUser(f"no user {username!r}")
    return user


def list_users(s: Session) -> Sequence[User]:
    return s.scalars(select(User).order_by(User.username)).all()


def set_password(s: Session, username: str, password: str) -> User:
    """A new password (check_password applies); the user's browser sessions end, API tokens stay."""
    user = get_user(s, username)
    check_password(username, password)
    user.password_hash = _hasher().hash(password)
    s.execute(delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.kind == "session"))
    return user


def set_disabled(s: Session, username: str, disabled: bool) -> User:
    """Disable (no login; every token of the user is deleted, so none works from now) or enable a user."""
    user = get_user(s, username)
    user.disabled = disabled
    if disabled:
        s.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    return user


@dataclass(frozen=True)
class LoginCheck:
    """The outcome of a password check: the user, or why not (unknown-user / wrong-password / disabled)."""

    user: User | None
    refusal: str = ""


def check_login(s: Session, username: str, password: str) -> LoginCheck:
    """Check a password with the same argon2 work whether or not the user exists or is disabled."""
    from argon2.exceptions import VerificationError

    user = s.scalar(select(User).where(User.username == username))
    if user is None:
        _hasher().hash(password)  # same work whether or not the user exists
        return LoginCheck(None, "unknown-user")
    try:
        _hasher().verify(user.password_hash, password)
    except VerificationError:
        return LoginCheck(None, "wrong-password")
    if user.disabled:
        return LoginCheck(None, "disabled")
    return LoginCheck(user)


def authenticate(s: Session, username: str, password: str) -> User | None:
    return check_login(s, username, password).user


def recent_login_failures(s: Session, username: str, address: str, since: dt.datetime, limit: int) -> tuple[
    list[dt.datetime], list[dt.datetime]
]:  # fmt: skip
    """When the latest (at most `limit`) failed logins since `since` were, newest first: for this user name,
    and from this address."""
    out = []
    for column, value in ((LoginFailure.username, username), (LoginFailure.address, address)):
        q = select(LoginFailure.at).where(column == value, LoginFailure.at >= since)
        out.append(list(s.scalars(q.order_by(LoginFailure.at.desc()).limit(limit))))
    return out[0], out[1]


def record_login_failure(
    bind: Engine, username: str, address: str, reason: str, counted: bool, forget_before: dt.datetime
) -> None:
    """Audit a refused login in a transaction of its own (it must outlive the 401), and, when `counted`,
    note it for throttling; rows older than `forget_before` are deleted. A write that fails is logged."""
    try:
        with Session(bind) as own, own.begin():
            own.add(AuditLog(username=username[:64], action="login-failed", target="session",
                             detail={"reason": reason, "address": address}))  # fmt: skip
            if counted:
                own.add(LoginFailure(at=utcnow(), username=username[:64], address=address[:64]))
                own.execute(delete(LoginFailure).where(LoginFailure.at < forget_before))
    except SQLAlchemyError as e:
        log.error("cannot record the failed login of %r from %s (%s): %s", username, address, reason, e)


def forget_login_failures(s: Session, username: str) -> None:
    """A successful login clears its user name's failures (not its address's)."""
    s.execute(delete(LoginFailure).where(LoginFailure.username == username))


def issue_token(s: Session, user: User, kind: str, lifetime: dt.timedelta) -> tuple[str, str]:
    """A new random token (returned once, stored as its SHA-256) and, for sessions, its CSRF token.

    An API token lives 1 to 365 days (RecordError otherwise); a disabled user gets none."""
    import secrets

    low, high = API_TOKEN_DAYS
    if kind == "api" and not dt.timedelta(days=low) <= lifetime <= dt.timedelta(days=high):
        raise RecordError(f"an API token lives {low} to {high} days; got {lifetime.total_seconds() / 86400:g} days")
    if lifetime <= dt.timedelta(0):
        raise RecordError(f"a token's lifetime must be positive; got {lifetime}")
    if user.disabled:
        raise RecordError(f"user {user.username!r} is disabled; enable it first")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24) if kind == "session" else ""
    now = utcnow()
    s.add(AuthToken(token_sha256=_sha256(token), user_id=user.id, kind=kind, csrf=csrf, created=now,
                    expires=now + lifetime))  # fmt: skip
    return token, csrf


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_token(
    s: Session, token: str, kind: str, idle: dt.timedelta | None = None
) -> tuple[User, AuthToken] | None:
    """The user and token row of a live token: not expired, of an enabled user, and (with `idle`) used
    within `idle` (last_used is written at most every TOUCH_EVERY, so it may end up to that much sooner).

    A use is noted best effort in a transaction of its own: a read must not fail for it (a full disk)."""
    row = s.get(AuthToken, _sha256(token))
    now = utcnow()
    if row is None or row.kind != kind or row.expires < now:
        return None
    last = row.last_used or row.created
    if idle is not None and now - last > idle:
        return None
    user = s.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    if now - last >= TOUCH_EVERY:
        try:
            with Session(s.get_bind()) as own, own.begin():
                own.execute(update(AuthToken).where(AuthToken.token_sha256 == row.token_sha256).values(last_used=now))
            row.last_used = now
        except SQLAlchemyError as e:
            log.error("cannot note the use of a token of %s (the request goes on): %s", user.username, e)
    return user, row


TOKEN_ID_CHARS = 16  # a token's public id: the first 16 hex digits of its SHA-256 (never the token)


@dataclass(frozen=True)
class TokenInfo:
    id: str
    kind: str  # session / api
    created: dt.datetime
    expires: dt.datetime
    last_used: dt.datetime | None


def list_tokens(s: Session, username: str) -> list[TokenInfo]:
    """A user's live tokens, newest first, by public id (the secret itself is never stored)."""
    user = get_user(s, username)
    q = select(AuthToken).where(AuthToken.user_id == user.id, AuthToken.expires >= utcnow())
    return [
        TokenInfo(r.token_sha256[:TOKEN_ID_CHARS], r.kind, r.created, r.expires, r.last_used)
        for r in s.scalars(q.order_by(AuthToken.created.desc(), AuthToken.token_sha256))
    ]


def revoke_user_tokens(s: Session, username: str, token_id: str | None) -> int:
    """Delete one of a user's tokens (by its public id) or, with None, all of them; how many went."""
    user = get_user(s, username)
    q = select(AuthToken.token_sha256).where(AuthToken.user_id == user.id)
    if token_id is not None:
        if not re.fullmatch(f"[0-9a-f]{{{TOKEN_ID_CHARS}}}", token_id):
            raise RecordError(f"a token id is {TOKEN_ID_CHARS} hex digits (see `tokens`); got {token_id!r}")
        q = q.where(AuthToken.token_sha256.startswith(token_id))
    hashes = list(s.scalars(q))
    if token_id is not None and not hashes:
        raise NotRecorded(f"user {username!r} has no token {token_id}")
    s.execute(
        delete(AuthToken).where(AuthToken.token_sha256.in_(hashes)), execution_options={"synchronize_session": False}
    )
    return len(hashes)


def revoke_token(s: Session, token: str) -> None:
    row = s.get(AuthToken, _sha256(token))
    if row is not None:
        s.delete(row)


def acknowledge(s: Session, event_id: str, username: str) -> EventRow:
    row = s.get(EventRow, event_id)
    if row is None:
        raise NotRecorded(f"no event {event_id!r}")
    if row.status == "new":
        row.status, row.updated = "acknowledged", utcnow()
    return row


def list_cases(s: Session) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for c in s.scalars(select(Case).order_by(Case.id.desc())).all():
        events = s.scalars(select(CaseEvent.event_id).where(CaseEvent.case_id == c.id)).all()
        out.append({
            "id": c.id, "status": c.status, "notes": c.notes, "created_by": c.created_by,
            "created": c.created.isoformat(), "updated": c.updated.isoformat(), "event_ids": list(events),
        })  # fmt: skip
    return out


def event_ids(s: Session, camera_ids: Sequence[str] | None = None) -> list[str]:
    """Every recorded event's id (of these cameras, if given), oldest first."""
    q = select(EventRow.event_id)
    if camera_ids is not None:
        q = q.where(EventRow.camera_id.in_(camera_ids))
    return list(s.scalars(q.order_by(EventRow.wall, EventRow.event_id)))


def events_without_attempt(s: Session, action: str, camera_ids: Sequence[str] | None = None) -> list[str]:
    """Recorded events (of these cameras, if given) with no attempt of ``action`` at all, oldest first:
    one query the database answers from its index, however many events it holds."""
    tried = select(ActionAttempt.id).where(ActionAttempt.event_id == EventRow.event_id, ActionAttempt.action == action)
    q = select(EventRow.event_id).where(~tried.exists())
    if camera_ids is not None:
        q = q.where(EventRow.camera_id.in_(camera_ids))
    return list(s.scalars(q.order_by(EventRow.wall, EventRow.event_id)))


def last_attempts(s: Session, event_ids: Sequence[str], action: str) -> dict[str, ActionAttempt]:
    """The latest attempt of one action for each of these ids that has one."""
    out: dict[str, ActionAttempt] = {}
    for i in range(0, len(event_ids), 500):  # bounded IN lists
        q = select(ActionAttempt).where(ActionAttempt.event_id.in_(event_ids[i : i + 500]),
                                        ActionAttempt.action == action)  # fmt: skip
        for a in s.scalars(q.order_by(ActionAttempt.id)):
            out[a.event_id] = a
    return out
