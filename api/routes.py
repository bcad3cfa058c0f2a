"""/api/...: cameras, events, evidence (range requests), live feed (SSE), actions, reviews, cases, admin."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, field_validator

from alerts.dispatcher import Action
from alerts.evidence import EvidenceError
from alerts.export import export_case
from alerts.ledger import LedgerAction
from api import login_guard
from api.deps import (
    SESSION_COOKIE,
    Admin,
    CenterDep,
    DatabaseDep,
    Officer,
    Operator,
    session_idle,
)
from api.evidence_files import (
    EVENT_ID_MAX,
    EVENT_ID_PATTERN,
    MEDIA_TYPES,
    SERVABLE,
    EvidenceAccessError,
    NoFollowFileResponse,
    listed_files,
    open_no_follow,
    read_manifest,
)
from detector.rules.events import Event, EventKind, EventState
from redact import redact_text, redact_url
from runtime.center import Center
from store import repo
from store.tables import EventRow, User, WarningRow, utcnow

router = APIRouter(prefix="/api")


EventId = Annotated[str, PathParam(
    max_length=EVENT_ID_MAX, pattern=EVENT_ID_PATTERN,
    description="An event id as binwatch makes them: <camera>-<kind>-<start ms, 9+ digits>-<object>, "
                "e.g. cam-a-littering-000020000-0.",
)]  # fmt: skip
LEDGER_PAGE = 50  # custody ledger entries in an event's response; GET /events/{id}/ledger pages the rest
DB_INT_MAX = 2**31 - 1  # an INTEGER column (case ids) on PostgreSQL
SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"  # community / point / camera ids (config.py)
STATUSES = Literal["new", "acknowledged", "confirmed", "dismissed", "case"]
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?$")


def _plain_text(value: str) -> str:
    """Refuse what no database column can hold: lone UTF-16 surrogates and NUL (PostgreSQL refuses NUL)."""
    for i, c in enumerate(value):
        if 0xD800 <= ord(c) <= 0xDFFF:
            raise ValueError(f"character {i} is a lone UTF-16 surrogate (U+{ord(c):04X}); expected valid Unicode")
        if c == "\0":
            raise ValueError(f"character {i} is NUL; expected text without NUL characters")
    return value


def _iso_datetime(value: object) -> object:
    if not isinstance(value, str) or not ISO_DATETIME.match(value):
        raise ValueError(
            f"expected an ISO 8601 date-time with a UTC offset, e.g. 2026-06-01T08:00:00+08:00; got {value!r}"
        )
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2026-06-01T08:00:00+08:00")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as e:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError(f"{value.isoformat()} is outside years 1-9999 once converted to UTC") from e


async def record_refused(request: Request, exc: repo.RecordError) -> JSONResponse:
    """What the records refused, by kind: 404 for what is not recorded (an event, a case, a user, a token),
    409 for what contradicts the records (a user who exists, an event in an open case), else 422."""
    status = 404 if isinstance(exc, repo.NotRecorded) else 409 if isinstance(exc, repo.Conflict) else 422
    return JSONResponse({"detail": str(exc)}, status_code=status)


async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """422 as FastAPI answers it, but always encodable: FastAPI echoes the refused input, and a lone
    surrogate from a JSON body (pydantic refuses it first, as "string_unicode") cannot be UTF-8."""
    errors = []
    for err in exc.errors():
        err = dict(err)
        bad = err.get("input")
        if err.get("type") == "string_unicode" and isinstance(bad, str):
            try:
                _plain_text(bad)
            except ValueError as e:
                err["msg"] = f"Value error, {e}"
        errors.append(err)
    text = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=False)
    return Response(text.encode("utf-8", "replace"), status_code=422, media_type="application/json")


Text = Annotated[str, AfterValidator(_plain_text)]
Moment = Annotated[dt.datetime, BeforeValidator(_iso_datetime), AfterValidator(_utc)]
EventIdItem = Annotated[str, Field(max_length=EVENT_ID_MAX, pattern=EVENT_ID_PATTERN)]

# ---- schemas -------------------------------------------------------------------------------------


class LoginIn(BaseModel):
    username: Text = Field(min_length=1, max_length=64)
    password: Text = Field(min_length=1, max_length=200)


class ReviewIn(BaseModel):
    verdict: Literal["confirmed", "dismissed"]
    reason: Text = Field(default="", max_length=2000, description="Required for a dismissal.")


class CaseIn(BaseModel):
    event_ids: list[EventIdItem] = Field(min_length=1, max_length=100, description="Distinct confirmed events.")
    notes: Text = Field(default="", max_length=4000)

    @field_validator("event_ids")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        twice = sorted({e for e in ids if ids.count(e) > 1})
        if twice:
            raise ValueError(f"each event may be listed once; listed more than once: {', '.join(twice)}")
        return ids


class CaseStatusIn(BaseModel):
    status: Literal["rectified", "closed"]
    notes: Text = Field(default="", max_length=4000)


class ErrorOut(BaseModel):
    detail: str = Field(description="What was wrong and what was expected.")


class FieldErrorOut(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class InvalidOut(BaseModel):
    detail: str | list[FieldErrorOut] = Field(description="The refused fields (request validation), or why.")


WHY = {
    206: "Part of the file (a Range request).",
    400: "The Range header is malformed.",
    401: "Not logged in, or the session or token expired.",
    403: "The user's role may not do this, or the CSRF header is missing or wrong.",
    404: "No such record or file.",
    409: "Conflicts with the records (e.g. the event is already in an open case, no speaker).",
    422: "A parameter or the body is invalid; the detail names it and what was expected.",
    416: "The Range asks for bytes past the end of the file.",
    429: "Too soon: a manual shout for this camera is cooling down, or too many failed logins (see Retry-After).",
    503: "The service is starting (the database is not open yet), no database connection was free in time, or "
    "too many password checks run at once; try again after Retry-After.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these status codes (503 always: any route may meet a starting service)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in sorted({*codes, 503}):
        out[code] = {"model": InvalidOut if code == 422 else ErrorOut, "description": WHY[code]}
        if code in (206, 400, 416):  # Starlette's range handling answers these itself, without a JSON body
            out[code] = {"description": WHY[code], "content": {"text/plain": {}}}
    for code in {429, 503} & out.keys():
        out[code]["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
    return out


def _event_json(r: EventRow) -> dict[str, Any]:
    return {
        "event_id": r.event_id, "camera_id": r.camera_id, "community_id": r.community_id, "kind": r.kind,
        "state": r.state, "status": r.status, "priority": r.priority, "wall": r.wall.isoformat(),
        "t_s": r.t_s, "t_start_s": r.t_start_s, "bbox": r.bbox, "score": r.score, "zone": r.zone,
        "shouts": r.shouts, "legal_hold": r.legal_hold,
    }  # fmt: skip


# ---- session -------------------------------------------------------------------------------------


@router.post("/login", tags=["auth"], responses=errors(401, 422, 429))
def login(body: LoginIn, response: Response, db: DatabaseDep, request: Request) -> dict[str, str]:
    """Log in (a session cookie and its CSRF token). Throttled per user name and per client address
    (api/login_guard.py): 5 failures in 15 minutes, then 429 with Retry-After until the oldest is 15
    minutes old; 503 with Retry-After when too many password checks run at once. Every refusal is audited."""
    engine = db.engine
    address = request.client.host if request.client else "unknown"
    login_guard.refuse_if_throttled(engine, body.username, address)
    # No database connection is held while waiting for a slot; the throttle is judged again in the slot,
    # where the failures of the logins that ran meanwhile are committed.
    with (
        login_guard.hash_slot(body.username, address, engine),
        login_guard.password_check(engine, body.username, address),
    ):
        with db.session() as s:
            check = repo.check_login(s, body.username, body.password)
        if check.user is None:
            repo.record_login_failure(engine, body.username, address, check.refusal, True,
                                      utcnow() - login_guard.LOGIN_WINDOW)  # fmt: skip
            raise HTTPException(401, "wrong user name or password (or the user is disabled)")
    with db.session() as s:
        try:  # disabled (or removed) since its password was checked
            user = repo.get_user(s, body.username)
            token, csrf = repo.issue_token(s, user, "session", dt.timedelta(hours=12))
        except repo.RecordError as e:
            raise HTTPException(401, f"wrong user name or password (or the user is disabled): {e}") from e
        repo.forget_login_failures(s, user.username)
        repo.audit(s, user.username, "login", "session", {"address": address})
        username, role = user.username, user.role
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600,
                        secure=request.url.scheme == "https")  # fmt: skip
    return {"username": username, "role": role, "csrf": csrf}


@router.post("/logout", tags=["auth"], responses=errors(401, 403))
def logout(request: Request, response: Response, db: DatabaseDep, user: Operator) -> dict[str, str]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with db.session() as s:
            repo.revoke_token(s, cookie)
    response.delete_cookie(SESSION_COOKIE)
    return {"ok": "logged out"}


@router.get("/me", tags=["auth"], responses=errors(401))
def me(user: Operator, request: Request, db: DatabaseDep) -> dict[str, str]:
    csrf = ""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with db.session() as s:
            found = repo.user_for_token(s, cookie, "session", session_idle(request))
            csrf = found[1].csrf if found else ""
    return {"username": user.username, "role": user.role, "csrf": csrf}


# ---- cameras -------------------------------------------------------------------------------------


@router.get("/cameras", tags=["cameras"], responses=errors(401))
def cameras(center: CenterDep, user: Operator) -> list[dict[str, Any]]:
    out = []
    assert center.city is not None
    for community, point, cam in center.city.cameras():
        rt = center.cameras.get(cam.id)
        h = rt.source.health() if rt else None
        out.append({
            "camera_id": cam.id, "name": cam.name, "community_id": community.id, "community": community.name,
            "point_id": point.id, "point": point.name, "source": redact_url(cam.source),
            "state": h.state.value if h else "not started", "fps_in": round(h.fps_in, 2) if h else 0.0,
            "fps_out": round(h.fps_out, 2) if h else 0.0, "dropped": h.dropped if h else 0,
            "reconnects": h.reconnects if h else 0, "last_error": h.last_error if h else None,
            "last_frame": dt.datetime.fromtimestamp(h.last_frame_wall, dt.UTC).isoformat()
            if h and h.last_frame_wall else None,
            "stream_s": round(h.stream_s, 2) if h and h.stream_s is not None else None,
            "events": dict(rt.events_total) if rt else {},
        })  # fmt: skip
    return out


@router.get(
    "/cameras/{camera_id}/picture.jpg", tags=["cameras"], response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "The camera's latest picture."},
               **errors(401, 404, 422)},
)  # fmt: skip
def picture(camera_id: Annotated[str, PathParam(pattern=SLUG)], center: CenterDep, user: Operator) -> Response:
    rt = center.cameras.get(camera_id)
    if rt is None:
        raise HTTPException(404, f"no running camera {camera_id!r}")
    if rt.picture is None:
        raise HTTPException(404, f"camera {camera_id} has no picture yet")
    return Response(rt.picture, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


# ---- events --------------------------------------------------------------------------------------


@router.get("/events", tags=["events"], responses=errors(401, 422))
def events(
    db: DatabaseDep, user: Operator,
    community: Annotated[str | None, Query(pattern=SLUG)] = None,
    camera: Annotated[str | None, Query(pattern=SLUG)] = None,
    kind: EventKind | None = None, status: STATUSES | None = None,
    since: Annotated[Moment | None, Query(description="From (inclusive), with a UTC offset.")] = None,
    until: Annotated[Moment | None, Query(description="Until (exclusive), with a UTC offset.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=DB_INT_MAX)] = 0,
) -> dict[str, Any]:  # fmt: skip
    with db.session() as s:
        rows, total = repo.list_events(
            s, repo.EventFilter(community, camera, kind, status, since, until), limit, offset
        )
        return {"total": total, "limit": limit, "offset": offset, "items": [_event_json(r) for r in rows]}


@router.get("/warnings", tags=["events"], responses=errors(401, 422))
def warnings(
    db: DatabaseDep, user: Operator, camera: Annotated[str | None, Query(pattern=SLUG)] = None,
    since: Annotated[Moment | None, Query(description="From (inclusive), with a UTC offset.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:  # fmt: skip
    """On-the-spot warnings, latest first: what was said, whether the speaker played it (its "warn"
    attempts), and whether the garbage has become a littering event (same id); not yet means picked up,
    still waiting, or its owner never left."""
    with db.session() as s:
        rows = repo.list_warnings(s, camera, since, limit)
        ids = [w.event_id for w in rows]
        shouts = repo.attempt_outcomes(s, ids, Action.WARN)
        events = repo.recorded_events(s, ids)
        return {"items": [{
            "event_id": w.event_id, "camera_id": w.camera_id, "community_id": w.community_id, "kind": w.kind,
            "wall": w.wall.isoformat(), "t_s": w.t_s, "bbox": w.bbox, "score": w.score, "zone": w.zone,
            "shout": _shout_outcome(shouts.get(w.event_id, [])), "became_event": w.event_id in events,
        } for w in rows]}  # fmt: skip


def _shout_outcome(outcomes: list[str]) -> str | None:
    """ok when any attempt played it, else the last attempt's outcome (failed / skipped); None: no speaker."""
    if "ok" in outcomes:
        return "ok"
    return outcomes[-1] if outcomes else None


@router.get("/events/{event_id}", tags=["events"], responses=errors(401, 404, 422))
def event_detail(event_id: EventId, center: CenterDep, db: DatabaseDep, user: Operator) -> dict[str, Any]:
    with db.session() as s:
        row = s.get(EventRow, event_id)
        if row is None:
            raise HTTPException(404, f"no event {event_id!r}")
        assert center.evidence is not None
        root = center.evidence.root
        manifest = read_manifest(root, event_id)
        if manifest is not None:
            center.evidence.ledger.append(event_id, LedgerAction.VIEWED, user.username, {"via": user.via})
        repo.audit(s, user.username, "view", f"event:{event_id}")
        warned = s.get(WarningRow, event_id)
        return {
            "event": _event_json(row),
            "warned_at": warned.wall.isoformat() if warned is not None else None,  # said on the spot before this
            "manifest": manifest,
            "files": [n for n in listed_files(manifest) if _servable(root, event_id, n)] if manifest else [],
            "attempts": [
                {
                    "action": a.action,
                    "backend": a.backend,
                    "attempt": a.attempt,
                    "outcome": a.outcome,
                    "detail": redact_text(a.detail),  # stored redacted; rows written before that are redacted here
                    "started": a.started.isoformat(),
                    "finished": a.finished.isoformat(),
                }
                for a in repo.attempts_of(s, event_id)
            ],
            "ledger": _ledger_page(center, event_id, 0, LEDGER_PAGE),  # the rest: GET /events/{id}/ledger
            "records": repo.case_records(s, [event_id])[event_id],
        }


def _ledger_page(center: Center, event_id: str, offset: int, limit: int) -> dict[str, Any]:
    assert center.evidence is not None
    entries, total = center.evidence.ledger.page_for_event(event_id, offset, limit)
    return {"total": total, "limit": limit, "offset": offset, "items": [{**e.body(), "hash": e.hash} for e in entries]}


@router.get("/events/{event_id}/ledger", tags=["evidence"], responses=errors(401, 404, 422))
def event_ledger(
    event_id: EventId, center: CenterDep, db: DatabaseDep, user: Operator,
    limit: Annotated[int, Query(ge=1, le=500)] = LEDGER_PAGE, offset: Annotated[int, Query(ge=0, le=DB_INT_MAX)] = 0,
) -> dict[str, Any]:  # fmt: skip
    """A page of an event's custody ledger entries, oldest first (the event itself carries the first page)."""
    with db.session() as s:
        if s.get(EventRow, event_id) is None:
            raise HTTPException(404, f"no event {event_id!r} in the records")
    return _ledger_page(center, event_id, offset, limit)


def _servable(root: Path, event_id: str, name: str) -> bool:
    try:
        os.close(open_no_follow(root, (event_id, name)))
    except EvidenceAccessError:
        return False
    return True


@router.get(
    "/events/{event_id}/files/{name}", tags=["evidence"], response_class=FileResponse,
    responses={200: {"content": {MEDIA_TYPES[Path(n).suffix]: {} for n in SERVABLE}, "description": "The file."},
               **errors(206, 400, 401, 404, 416, 422)},
)  # fmt: skip
def evidence_file(
    event_id: EventId, name: str, request: Request, center: CenterDep, db: DatabaseDep, user: Operator
) -> NoFollowFileResponse:
    """One file of a recorded event's evidence, if its manifest lists it (ranges supported).

    Nothing is served through a symbolic link, nor for an id that is not a recorded event."""
    if name not in SERVABLE:
        raise HTTPException(404, f"no evidence file {name!r}; expected one of {', '.join(SERVABLE)}")
    with db.session() as s:
        if s.get(EventRow, event_id) is None:
            raise HTTPException(404, f"no event {event_id!r} in the records")
        assert center.evidence is not None
        root = center.evidence.root
        manifest = read_manifest(root, event_id)
        if manifest is None:
            raise HTTPException(404, f"event {event_id} has no manifest (evidence still being written, or deleted)")
        if name not in listed_files(manifest):
            raise HTTPException(404, f"{name} is not listed in the manifest of event {event_id}")
        try:
            response = NoFollowFileResponse(root, event_id, name)
        except EvidenceAccessError as e:
            raise HTTPException(404, f"event {event_id}: {e}") from e
        rng = request.headers.get("range", "")
        if not rng or rng.replace(" ", "").startswith("bytes=0-"):  # a player's follow-up range reads are one viewing
            center.evidence.ledger.append(event_id, LedgerAction.DOWNLOADED, user.username, {"file": name})
            repo.audit(s, user.username, "download", f"event:{event_id}", {"file": name})
        return response


@router.get(
    "/stream", tags=["events"], response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events."}, **errors(401)},
)  # fmt: skip
async def stream(center: CenterDep, user: Operator) -> StreamingResponse:
    """Server-Sent Events: `alert` for every confirmed event, as it is confirmed."""
    return StreamingResponse(center.broker.subscribe(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})  # fmt: skip


@router.post("/events/{event_id}/ack", tags=["actions"], responses=errors(401, 403, 404, 422))
def ack(event_id: EventId, db: DatabaseDep, user: Operator) -> dict[str, Any]:
    with db.session() as s:
        row = repo.acknowledge(s, event_id, user.username)
        repo.audit(s, user.username, "acknowledge", f"event:{event_id}")
        return _event_json(row)


@router.post("/events/{event_id}/shout", tags=["actions"], responses=errors(401, 403, 404, 409, 422, 429))
def shout_again(
    event_id: EventId, center: CenterDep, db: DatabaseDep, user: Operator, request: Request
) -> dict[str, str]:
    """Shout at an event's camera again; within the alert policy's cooldown_s of the last manual
    shout for that camera the answer is 429 with Retry-After, and nothing is queued."""
    with db.session() as s:
        row = s.get(EventRow, event_id)
        if row is None:
            raise HTTPException(404, f"no event {event_id!r}")
        assert center.dispatcher is not None
        cooldown_s = center.dispatcher.policy.cooldown_s
        wait_s = _manual_shouts(request).reserve(row.camera_id, cooldown_s)
        if wait_s > 0:
            raise HTTPException(
                429, f"camera {row.camera_id} was asked to shout again less than {cooldown_s:g} s ago (the alert "
                     f"policy's cooldown_s); try again in {math.ceil(wait_s)} s",
                headers={"Retry-After": str(math.ceil(wait_s))},
            )  # fmt: skip
        event = Event(row.event_id, row.camera_id, EventKind(row.kind), EventState.START, row.t_s, row.t_start_s,
                      row.wall, (row.bbox[0], row.bbox[1], row.bbox[2], row.bbox[3]), row.score, row.zone)  # fmt: skip
        if not center.dispatcher.shout_again(event):
            _manual_shouts(request).release(row.camera_id)
            raise HTTPException(409, f"camera {row.camera_id} has no speaker configured")
        repo.audit(s, user.username, "shout", f"event:{event_id}")
        return {"ok": "shout queued"}


class ManualShouts:
    """When each camera was last asked to shout again by hand (the dispatcher's own cooldown is for
    automatic shouts only: an operator's shout goes through it). One per application."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def reserve(self, camera_id: str, cooldown_s: float) -> float:
        """0.0 when a shout may go now (and it is noted), else the seconds left of the cooldown."""
        with self._lock:
            now = time.monotonic()
            last = self._last.get(camera_id)
            if last is not None and now - last < cooldown_s:
                return cooldown_s - (now - last)
            self._last[camera_id] = now
            return 0.0

    def release(self, camera_id: str) -> None:
        """Forget a reservation whose shout was not queued."""
        with self._lock:
            self._last.pop(camera_id, None)


_MANUAL_SHOUTS_LOCK = threading.Lock()


def _manual_shouts(request: Request) -> ManualShouts:
    with _MANUAL_SHOUTS_LOCK:
        shouts: ManualShouts | None = getattr(request.app.state, "manual_shouts", None)
        if shouts is None:
            shouts = request.app.state.manual_shouts = ManualShouts()
        return shouts


@router.post("/events/{event_id}/review", tags=["review"], responses=errors(401, 403, 404, 422))
def review(event_id: EventId, body: ReviewIn, center: CenterDep, db: DatabaseDep, user: Officer) -> dict[str, Any]:
    with db.session() as s:
        r = repo.review(s, event_id, user.username, body.verdict, body.reason)
        assert center.evidence is not None
        center.evidence.ledger.append(event_id, LedgerAction.VERDICT, user.username,
                                      {"verdict": body.verdict, "reason": body.reason})  # fmt: skip
        repo.audit(s, user.username, "review", f"event:{event_id}", {"verdict": body.verdict})
        return {"event_id": event_id, "verdict": r.verdict, "by": r.username}


@router.get("/cases", tags=["cases"], responses=errors(401, 403))
def cases(db: DatabaseDep, user: Officer) -> list[dict[str, object]]:
    with db.session() as s:
        return repo.list_cases(s)


@router.post("/cases", tags=["cases"], responses=errors(401, 403, 409, 422))
def new_case(body: CaseIn, db: DatabaseDep, user: Officer) -> dict[str, Any]:
    """Hand confirmed events over as one case; an event already in an open case answers 409."""
    with db.session() as s:
        case = repo.open_case(s, body.event_ids, user.username, body.notes)
        repo.audit(s, user.username, "hand-over", f"case:{case.id}", {"events": body.event_ids})
        return {"id": case.id, "status": case.status}


CaseId = Annotated[int, PathParam(ge=1, le=DB_INT_MAX)]


@router.post("/cases/{case_id}/status", tags=["cases"], responses=errors(401, 403, 404, 422))
def case_status(case_id: CaseId, body: CaseStatusIn, db: DatabaseDep, user: Officer) -> dict[str, Any]:
    with db.session() as s:
        case = repo.advance_case(s, case_id, body.status, body.notes)
        repo.audit(s, user.username, "case-status", f"case:{case_id}", {"status": body.status})
        return {"id": case.id, "status": case.status}


@router.get(
    "/cases/{case_id}/export", tags=["cases"], response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "The case package."},
               **errors(401, 403, 404, 409, 422)},
)  # fmt: skip
def export(
    case_id: CaseId, center: CenterDep, db: DatabaseDep, user: Officer, background: BackgroundTasks
) -> FileResponse:
    with db.session() as s:
        case = next((c for c in repo.list_cases(s) if c["id"] == case_id), None)
        if case is None:
            raise HTTPException(404, f"no case {case_id}")
        ids = list(case["event_ids"])  # type: ignore[call-overload]
        assert center.evidence is not None
        tmp = Path(tempfile.mkdtemp(prefix="binwatch-case-")) / f"case-{case_id}.zip"
        try:
            export_case(center.evidence, ids, tmp, user.username, repo.case_records(s, ids))
        except EvidenceError as e:
            raise HTTPException(409, str(e)) from e
        repo.audit(s, user.username, "export", f"case:{case_id}", {"events": ids})
        background.add_task(shutil.rmtree, tmp.parent, True)
        return FileResponse(tmp, media_type="application/zip", filename=tmp.name)


@router.get("/admin/config", tags=["admin"], responses=errors(401, 403))
def admin_config(center: CenterDep, user: Admin) -> dict[str, Any]:
    assert center.city is not None
    live = {c["camera_id"]: c for c in cameras(center, user)}
    return {
        "city": center.city.city, "timezone": center.city.timezone,
        "communities": [{
            "id": c.id, "name": c.name, "district": c.district,
            "schedule": c.schedule.model_dump(mode="json") if c.schedule else None,
            "quiet_hours": [q.model_dump(mode="json") for q in c.quiet_hours],
            "points": [{"id": p.id, "name": p.name, "address": p.address,
                        "cameras": [live[cam.id] | {"speaker": cam.speaker.type if cam.speaker else None}
                                    for cam in p.cameras]} for p in c.points],
        } for c in center.city.communities],
    }  # fmt: skip


# ---- admin: users and tokens -----------------------------------------------------------------------

UserName = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="A user name.")]
TokenId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$", description="A token's id, as listed.")]


class NewUserIn(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    role: Literal["operator", "officer", "admin"]
    password: Text = Field(min_length=1, max_length=200, description="At least 12 characters, not a common one.")


class PasswordIn(BaseModel):
    password: Text = Field(min_length=1, max_length=200, description="At least 12 characters, not a common one.")


def _user_json(u: User, tokens: int) -> dict[str, Any]:
    return {"username": u.username, "role": u.role, "disabled": u.disabled, "created": u.created.isoformat(),
            "tokens": tokens}  # fmt: skip


@router.get("/admin/users", tags=["admin"], responses=errors(401, 403))
def admin_users(db: DatabaseDep, user: Admin) -> list[dict[str, Any]]:
    """Every user, with whether it is disabled and how many live tokens it has."""
    with db.session() as s:
        return [_user_json(u, len(repo.list_tokens(s, u.username))) for u in repo.list_users(s)]


@router.post("/admin/users", tags=["admin"], responses=errors(401, 403, 409, 422))
def admin_add_user(body: NewUserIn, db: DatabaseDep, user: Admin) -> dict[str, Any]:
    """Add a user; the password policy applies (at least 12 characters, not a common password)."""
    with db.session() as s:
        with login_guard.hash_slot():
            new = repo.add_user(s, body.username, body.role, body.password)
        repo.audit(s, user.username, "user-add", f"user:{body.username}", {"role": body.role})
        return _user_json(new, 0)


@router.post("/admin/users/{name}/password", tags=["admin"], responses=errors(401, 403, 404, 422))
def admin_password(name: UserName, body: PasswordIn, db: DatabaseDep, user: Admin) -> dict[str, Any]:
    """Set a user's password (the policy applies); the user's browser sessions end, API tokens stay."""
    with db.session() as s:
        with login_guard.hash_slot():
            changed = repo.set_password(s, name, body.password)
        repo.audit(s, user.username, "user-passwd", f"user:{name}")
        return _user_json(changed, len(repo.list_tokens(s, name)))


@router.post("/admin/users/{name}/disable", tags=["admin"], responses=errors(401, 403, 404, 409, 422))
def admin_disable(name: UserName, db: DatabaseDep, user: Admin) -> dict[str, Any]:
    """Disable a user: no login, and every token of the user stops working at once."""
    if name == user.username:
        raise HTTPException(409, f"an admin cannot disable themselves ({name}); ask another admin or use the CLI")
    with db.session() as s:
        changed = repo.set_disabled(s, name, True)
        repo.audit(s, user.username, "user-disable", f"user:{name}")
        return _user_json(changed, 0)


@router.post("/admin/users/{name}/enable", tags=["admin"], responses=errors(401, 403, 404, 422))
def admin_enable(name: UserName, db: DatabaseDep, user: Admin) -> dict[str, Any]:
    with db.session() as s:
        changed = repo.set_disabled(s, name, False)
        repo.audit(s, user.username, "user-enable", f"user:{name}")
        return _user_json(changed, len(repo.list_tokens(s, name)))


@router.get("/admin/users/{name}/tokens", tags=["admin"], responses=errors(401, 403, 404, 422))
def admin_tokens(name: UserName, db: DatabaseDep, user: Admin) -> list[dict[str, Any]]:
    """A user's live tokens (sessions and API tokens): id, kind, created, expires, last used; never the secret."""
    with db.session() as s:
        tokens = repo.list_tokens(s, name)
        return [{"id": t.id, "kind": t.kind, "created": t.created.isoformat(), "expires": t.expires.isoformat(),
                 "last_used": t.last_used.isoformat() if t.last_used else None} for t in tokens]  # fmt: skip


@router.post("/admin/users/{name}/tokens/revoke", tags=["admin"], responses=errors(401, 403, 404, 422))
def admin_revoke_all(name: UserName, db: DatabaseDep, user: Admin) -> dict[str, int]:
    """Revoke every token of a user (sessions included): they stop working at once."""
    with db.session() as s:
        n = repo.revoke_user_tokens(s, name, None)
        repo.audit(s, user.username, "token-revoke", f"user:{name}", {"tokens": "all", "revoked": n})
        return {"revoked": n}


@router.post("/admin/users/{name}/tokens/{token_id}/revoke", tags=["admin"], responses=errors(401, 403, 404, 422))
def admin_revoke(name: UserName, token_id: TokenId, db: DatabaseDep, user: Admin) -> dict[str, int]:
    """Revoke one token of a user, by the id that the token list shows."""
    with db.session() as s:
        n = repo.revoke_user_tokens(s, name, token_id)
        repo.audit(s, user.username, "token-revoke", f"user:{name}", {"token": token_id})
        return {"revoked": n}
