"""Login throttling and the bound on argon2 work (issue 16, accounts).

Throttling is a sliding window kept in the database (table login_failures), so it holds on SQLite and
PostgreSQL and across processes: at most LOGIN_FAILURES_MAX failed logins per user name and per client
address in any LOGIN_WINDOW. Once a user name or an address has that many, its further attempts answer
429 with Retry-After, without a password check, until the oldest of those failures is LOGIN_WINDOW old
(so a steady guesser gets 5 tries per 15 minutes, not 200 in 40 s). Refused attempts are not counted.

Every password hash or verify runs in one of HASH_SLOTS (a process-wide semaphore): argon2 takes
64 MiB each, so 40 parallel logins must not take 40 x 64 MiB. A login that finds no slot within
HASH_WAIT_S answers 503 with Retry-After.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException
from sqlalchemy import Engine

from store import repo
from store.db import session_scope
from store.tables import utcnow

LOGIN_FAILURES_MAX = 5
LOGIN_WINDOW = dt.timedelta(minutes=15)
HASH_SLOT_COUNT = 2
HASH_SLOTS = threading.BoundedSemaphore(HASH_SLOT_COUNT)  # argon2 computations at once, per process
HASH_WAIT_S = 2.0  # a verify takes 0.1-0.4 s: waiting longer than this means a burst


_RESERVED_LOCK = threading.Lock()
_reserved: Counter[str] = Counter()  # password checks under way in this process, per "user:NAME" / "address:IP"


def throttled(engine: Engine, username: str, address: str, in_flight: int = 0) -> tuple[float, str]:
    """(seconds to wait, "user" or "address") when this attempt is to be refused, else (0.0, "").

    `in_flight`: count the password checks of this process under way for the user name or address as
    failures (they may be), so that parallel attempts cannot pass the limit together."""
    now = utcnow()
    with session_scope(engine) as s:
        by_user, by_address = repo.recent_login_failures(s, username, address, now - LOGIN_WINDOW, LOGIN_FAILURES_MAX)
    waits = []
    for times, what, key in ((by_user, "user", f"user:{username}"), (by_address, "address", f"address:{address}")):
        pending = _reserved[key] if in_flight else 0
        if len(times) >= LOGIN_FAILURES_MAX:
            waits.append(((times[-1] + LOGIN_WINDOW - now).total_seconds(), what))
        elif len(times) + pending >= LOGIN_FAILURES_MAX:
            waits.append((1.0, what))  # the checks under way decide; ask again in a second
    return max(waits) if waits else (0.0, "")


def _refuse(engine: Engine, username: str, address: str, wait_s: float, what: str) -> None:
    repo.record_login_failure(engine, username, address, f"throttled-{what}", False, utcnow() - LOGIN_WINDOW)
    retry = max(1, math.ceil(wait_s))
    who = f"user {username!r}" if what == "user" else f"address {address}"
    raise HTTPException(
        429,
        f"too many failed logins for {who}: {LOGIN_FAILURES_MAX} within {LOGIN_WINDOW.total_seconds() / 60:g} "
        f"minutes; try again in {retry} s",
        headers={"Retry-After": str(retry)},
    )


def refuse_if_throttled(engine: Engine, username: str, address: str) -> None:
    """429 with Retry-After (audited) when the user name or the address has used up its failures."""
    wait_s, what = throttled(engine, username, address)
    if wait_s > 0:
        _refuse(engine, username, address, wait_s, what)


@contextmanager
def password_check(engine: Engine, username: str, address: str) -> Iterator[None]:
    """Judge the throttle again, counting the checks under way, and reserve this check until it is
    recorded (a failure must be committed inside the block); 429 as refuse_if_throttled."""
    keys = (f"user:{username}", f"address:{address}")
    with _RESERVED_LOCK:
        wait_s, what = throttled(engine, username, address, in_flight=1)
        if wait_s <= 0:
            _reserved.update(keys)
    if wait_s > 0:
        _refuse(engine, username, address, wait_s, what)
    try:
        yield
    finally:
        with _RESERVED_LOCK:
            _reserved.subtract(keys)
            for key in keys:
                if _reserved[key] <= 0:
                    del _reserved[key]


@contextmanager
def hash_slot(username: str = "", address: str = "", engine: Engine | None = None) -> Iterator[None]:
    """Hold one of HASH_SLOTS; 503 with Retry-After (audited as a login refusal when `engine` is given)
    if none frees up within HASH_WAIT_S."""
    if not HASH_SLOTS.acquire(timeout=HASH_WAIT_S):
        if engine is not None:
            repo.record_login_failure(engine, username, address, "busy", False, utcnow() - LOGIN_WINDOW)
        raise HTTPException(
            503,
            f"too many password checks at once (at most {HASH_SLOT_COUNT} run together; waited {HASH_WAIT_S:g} s); "
            "try again",
            headers={"Retry-After": "1"},
        )
    try:
        yield
    finally:
        HASH_SLOTS.release()
