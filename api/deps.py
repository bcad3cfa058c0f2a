"""Who is asking: session cookie (with CSRF for changes) or bearer token; roles operator < officer < admin."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from runtime.center import Center
from store import repo
from store.db import session_scope

SESSION_COOKIE = "binwatch_session"
CSRF_HEADER = "X-CSRF-Token"
RANK = {"operator": 0, "officer": 1, "admin": 2}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# A browser session (cookie) unused for longer than this is refused (401) and must log in again; API
# tokens (`binwatch user token`) are not affected. Here until runtime Settings can carry it (config.py).
SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    via: str  # session / api


def get_center(request: Request) -> Center:
    center: Center = request.app.state.center
    return center


def get_session(center: Annotated[Center, Depends(get_center)]) -> Iterator[Session]:
    if center.engine is None:
        raise HTTPException(503, "the service is starting; the database is not open yet")
    with session_scope(center.engine) as s:
        yield s


def current_user(request: Request, s: Annotated[Session, Depends(get_session, scope="function")]) -> Principal:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        found = repo.user_for_token(s, auth[7:].strip(), "api")
        if found is None:
            raise HTTPException(401, "invalid, expired or revoked API token, or its user is disabled")
        return Principal(found[0].username, found[0].role, "api")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise HTTPException(401, "not logged in")
    found = repo.user_for_token(s, cookie, "session", SESSION_IDLE_TIMEOUT)
    if found is None:
        raise HTTPException(
            401, f"session expired, ended, or unused for more than {SESSION_IDLE_TIMEOUT.total_seconds() / 60:g} "
                 "minutes; log in again"
        )  # fmt: skip
    user, token = found
    if request.method not in SAFE_METHODS and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), token.csrf):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header (CSRF protection)")
    return Principal(user.username, user.role, "session")


def require(role: str) -> Callable[[Principal], Principal]:
    def check(user: Annotated[Principal, Depends(current_user)]) -> Principal:
        if RANK[user.role] < RANK[role]:
            raise HTTPException(403, f"this needs the {role} role; {user.username} is {user.role}")
        return user

    return check


CenterDep = Annotated[Center, Depends(get_center)]
# scope="function": the session commits before the response is sent, so a client acting on the response
# (a browser navigating right after logging in) always finds what was written.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
Operator = Annotated[Principal, Depends(require("operator"))]
Officer = Annotated[Principal, Depends(require("officer"))]
Admin = Annotated[Principal, Depends(require("admin"))]
