"""Who is asking: session cookie (with CSRF for changes) or bearer token; roles operator < officer < admin.

Dependencies that do no I/O are async (no worker thread). Authentication is synchronous and holds a
database connection only while it looks the token up (api/database.py says why); routes open their own
sessions (ApiDatabase.session) and close them before they return."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from api.database import RETRY_AFTER_S, ApiDatabase
from runtime.center import Center
from store import repo

SESSION_COOKIE = "binwatch_session"
CSRF_HEADER = "X-CSRF-Token"
RANK = {"operator": 0, "officer": 1, "admin": 2}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    via: str  # session / api


async def get_center(request: Request) -> Center:
    center: Center = request.app.state.center
    return center


async def get_database(request: Request) -> ApiDatabase:
    db: ApiDatabase | None = getattr(request.app.state, "db", None)
    if db is None:
        raise HTTPException(503, "the service is starting; the database is not open yet",
                            headers={"Retry-After": str(RETRY_AFTER_S)})  # fmt: skip
    return db


def current_user(request: Request, db: Annotated[ApiDatabase, Depends(get_database)]) -> Principal:
    """Who is asking. The token is looked up in a session of its own, closed before the route runs, so
    no connection is held while the route waits for a worker thread or while a live feed streams."""
    auth = request.headers.get("Authorization", "")
    with db.session() as s:
        if auth.startswith("Bearer "):
            return _api_user(s, auth[7:].strip())
        return _session_user(s, request)


def _api_user(s: Session, token: str) -> Principal:
    found = repo.user_for_token(s, token, "api")
    if found is None:
        raise HTTPException(401, "invalid, expired or revoked API token, or its user is disabled")
    return Principal(found[0].username, found[0].role, "api")


def session_idle(request: Request) -> dt.timedelta:
    """How long a browser session may go unused (Settings.session_idle_min) before it must log in again."""
    center: Center = request.app.state.center
    return center.settings.session_idle


def _session_user(s: Session, request: Request) -> Principal:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise HTTPException(401, "not logged in")
    idle = session_idle(request)
    found = repo.user_for_token(s, cookie, "session", idle)
    if found is None:
        raise HTTPException(
            401, f"session expired, ended, or unused for more than {idle.total_seconds() / 60:g} minutes; log in again"
        )  # fmt: skip
    user, token = found
    if request.method not in SAFE_METHODS and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), token.csrf):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header (CSRF protection)")
    return Principal(user.username, user.role, "session")


def require(role: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(user: Annotated[Principal, Depends(current_user)]) -> Principal:
        if RANK[user.role] < RANK[role]:
            raise HTTPException(403, f"this needs the {role} role; {user.username} is {user.role}")
        return user

    return check


CenterDep = Annotated[Center, Depends(get_center)]
DatabaseDep = Annotated[ApiDatabase, Depends(get_database)]
Operator = Annotated[Principal, Depends(require("operator"))]
Officer = Annotated[Principal, Depends(require("officer"))]
Admin = Annotated[Principal, Depends(require("admin"))]
