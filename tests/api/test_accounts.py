"""Accounts (issue 16): login throttling and the bound on argon2 work, failed logins audited, users
disabled and tokens revoked (CLI and admin API), token lifetimes, the password policy, the idle timeout.
Real app, real SQLite and PostgreSQL (the `client`/`center` fixtures)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import service
from api import login_guard
from runtime.center import Center
from store import repo
from store.db import session_scope
from store.tables import AuditLog, AuthToken, LoginFailure
from tests.api.test_api import PASSWORDS, _login, _users

WRONG = "not-the-password-0"


def _client_from(client: TestClient, address: str) -> TestClient:
    """Another client of the same (started) app, from another address."""
    return TestClient(client.app, client=(address, 50000))


def _post_login(c: TestClient, name: str, password: str) -> Any:
    return c.post("/api/login", json={"username": name, "password": password})


def _age(center: Center, table: Any, column: Any, by: dt.timedelta) -> None:
    """Move every row's time `column` back by `by`, as if that much time had passed."""
    assert center.engine is not None
    with session_scope(center.engine) as s:
        for row in s.scalars(select(table)).all():
            value = getattr(row, column) or row.created
            setattr(row, column, value - by)


def _token(center: Center, name: str, days: int = 30) -> str:
    assert center.engine is not None
    with session_scope(center.engine) as s:
        return repo.issue_token(s, repo.get_user(s, name), "api", dt.timedelta(days=days))[0]


def _login_failed_reasons(center: Center) -> list[tuple[str, str]]:
    assert center.engine is not None
    with session_scope(center.engine) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "login-failed").order_by(AuditLog.id)).all()
        return [(r.username, str(r.detail.get("reason"))) for r in rows]


# ---- throttling ------------------------------------------------------------------------------------

A, B = "198.51.100.1", "198.51.100.2"
# (case, failures as (user, address), the attempt (user, address) with the right password, status, refused for)
THROTTLE = [
    ("5 failures of a user lock that user", [("op", A)] * 5, ("op", A), 429, "user 'op'"),
    ("the user stays locked from another address", [("op", A)] * 5, ("op", B), 429, "user 'op'"),
    ("5 failures from an address lock it for every user", [(f"ghost{i}", A) for i in range(5)], ("off", A), 429,
     f"address {A}"),
    ("another address is not locked", [(f"ghost{i}", A) for i in range(5)], ("off", B), 200, ""),
    ("4 failures are under the limit", [("op", A)] * 4, ("op", A), 200, ""),
    ("the failures count 15 minutes only", [("op", A)] * 5 + [("aged", A)], ("op", A), 200, ""),
]  # fmt: skip


@pytest.mark.parametrize(("case", "failures", "attempt", "status", "refused"), THROTTLE, ids=[t[0] for t in THROTTLE])
def test_login_is_throttled_per_user_and_per_address(
    client: TestClient, center: Center, monkeypatch: pytest.MonkeyPatch,
    case: str, failures: list[tuple[str, str]], attempt: tuple[str, str], status: int, refused: str,
) -> None:  # fmt: skip
    _users(center)
    for name, address in failures:
        if name == "aged":
            _age(center, LoginFailure, "at", login_guard.LOGIN_WINDOW + dt.timedelta(seconds=1))
            continue
        assert _post_login(_client_from(client, address), name, WRONG).status_code == 401
    checks: list[str] = []
    real_check = repo.check_login

    def counted_check(s: Any, username: str, password: str) -> repo.LoginCheck:
        checks.append(username)
        return real_check(s, username, password)

    monkeypatch.setattr(repo, "check_login", counted_check)
    name, address = attempt
    r = _post_login(_client_from(client, address), name, PASSWORDS[name])
    assert r.status_code == status, r.text
    if status == 429:
        assert checks == [], "a throttled login must not check the password"
        assert refused in r.json()["detail"] and "5 within 15 minutes" in r.json()["detail"]
        assert 0 < int(r.headers["Retry-After"]) <= 900
    else:
        assert checks == [name]


class _CountingHasher:
    """argon2's hasher, counting how many of its computations run at once."""

    def __init__(self, real: Any) -> None:
        self.real, self.lock, self.now, self.most, self.calls = real, threading.Lock(), 0, 0, 0

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self.lock:
            self.now += 1
            self.calls += 1
            self.most = max(self.most, self.now)
        try:
            return fn(*args)
        finally:
            with self.lock:
                self.now -= 1

    def hash(self, password: str) -> str:
        return str(self._run(self.real.hash, password))

    def verify(self, hashed: str, password: str) -> bool:
        return bool(self._run(self.real.verify, hashed, password))


@pytest.mark.parametrize("names", [["op"] * 40, [f"ghost{i}" for i in range(40)]], ids=["one user", "40 users"])
def test_40_parallel_wrong_logins_run_at_most_2_hashes(
    client: TestClient, center: Center, monkeypatch: pytest.MonkeyPatch, names: list[str]
) -> None:
    _users(center)
    counting = _CountingHasher(repo._hasher())
    monkeypatch.setattr(repo, "_HASHER", counting)
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda n: _post_login(client, n, WRONG), names))
    statuses = sorted(r.status_code for r in answers)
    assert counting.most <= login_guard.HASH_SLOT_COUNT, f"{counting.most} argon2 computations ran at once"
    assert set(statuses) <= {401, 429, 503}, statuses
    assert statuses.count(401) <= login_guard.LOGIN_FAILURES_MAX, statuses  # the rest throttled or told to wait
    assert counting.calls == statuses.count(401)
    assert all(r.headers.get("Retry-After", "").isdigit() for r in answers if r.status_code in (429, 503))
    assert _post_login(_client_from(client, B), "adm", PASSWORDS["adm"]).status_code == 200


def test_a_login_that_finds_no_hash_slot_answers_503(
    client: TestClient, center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    _users(center)
    monkeypatch.setattr(login_guard, "HASH_WAIT_S", 0.2)
    held = [login_guard.HASH_SLOTS.acquire() for _ in range(login_guard.HASH_SLOT_COUNT)]
    try:
        r = _post_login(client, "op", PASSWORDS["op"])
    finally:
        for _ in held:
            login_guard.HASH_SLOTS.release()
    assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.text
    assert "too many password checks at once" in r.json()["detail"]
    assert _post_login(client, "op", PASSWORDS["op"]).status_code == 200


# ---- failed logins audited -------------------------------------------------------------------------

AUDITED = [
    ("wrong password", [], ("op", WRONG), 401, "wrong-password"),
    ("unknown user", [], ("ghost", WRONG), 401, "unknown-user"),
    ("disabled user, right password", ["disable op"], ("op", PASSWORDS["op"]), 401, "disabled"),
    ("throttled user", ["fail op"] * 5, ("op", PASSWORDS["op"]), 429, "throttled-user"),
    ("throttled address", [f"fail ghost{i}" for i in range(5)], ("off", PASSWORDS["off"]), 429,
     "throttled-address"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "before", "attempt", "status", "reason"), AUDITED, ids=[a[0] for a in AUDITED])
def test_failed_logins_are_audited(
    client: TestClient, center: Center, case: str, before: list[str], attempt: tuple[str, str], status: int,
    reason: str,
) -> None:  # fmt: skip
    _users(center)
    assert center.engine is not None
    for step in before:
        verb, name = step.split()
        if verb == "disable":
            with session_scope(center.engine) as s:
                repo.set_disabled(s, name, True)
        else:
            assert _post_login(client, name, WRONG).status_code == 401
    earlier = len(_login_failed_reasons(center))
    r = _post_login(client, *attempt)
    assert r.status_code == status, r.text
    assert _login_failed_reasons(center)[earlier:] == [(attempt[0], reason)]
    with session_scope(center.engine) as s:
        last = s.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
        assert last.detail["address"] == "testclient"


# ---- disable, enable, passwd, tokens, revoke: the CLI and the admin API ----------------------------


def _cli(center: Center, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str,
         stdin: str = "") -> tuple[int, str, str]:  # fmt: skip
    """`binwatch user ...` on the center's database; (exit status, stdout, stderr)."""
    import io
    import sys

    assert center.engine is not None
    monkeypatch.setenv("BINWATCH_DB_URL", center.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    try:
        rc = service.main(["user", *argv, "--data", str(center.settings.data_dir)])
    except SystemExit as e:  # argparse refuses the arguments
        rc = int(e.code or 0)
    out = capsys.readouterr()
    return rc, out.out, out.err


def _admin(client: TestClient, center: Center, method: str, path: str, body: Any = None) -> Any:
    adm = _client_from(client, "192.0.2.99")
    headers = {"Authorization": f"Bearer {_token(center, 'adm')}"}
    return adm.request(method, path, json=body, headers=headers)


def _do(via: str, action: str, client: TestClient, center: Center, mp: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], token_id: str = "", password: str = "") -> None:  # fmt: skip
    """One account action on user op, through the CLI or the admin API; it must succeed."""
    if via == "cli":
        args = {
            "disable": ["disable", "op"], "enable": ["enable", "op"], "passwd": ["passwd", "op", "--password-stdin"],
            "revoke one": ["revoke", "op", token_id], "revoke all": ["revoke", "op", "--all"],
        }[action]  # fmt: skip
        rc, _, err = _cli(center, mp, capsys, *args, stdin=password + "\n")
        assert rc == 0, err
        return
    path, body = {
        "disable": ("/api/admin/users/op/disable", None), "enable": ("/api/admin/users/op/enable", None),
        "passwd": ("/api/admin/users/op/password", {"password": password}),
        "revoke one": (f"/api/admin/users/op/tokens/{token_id}/revoke", None),
        "revoke all": ("/api/admin/users/op/tokens/revoke", None),
    }[action]  # fmt: skip
    r = _admin(client, center, "POST", path, body)
    assert r.status_code == 200, r.text


NEW_PASSWORD = "heron-lantern-copper-42"
# (actions on op, then: does op's session work, token 1, token 2, the old password, the new password)
ACCOUNT_ACTIONS = [
    (["disable"], (401, 401, 401, 401, 401)),
    (["disable", "enable"], (401, 401, 401, 200, 401)),  # enabled again: log in again, tokens stay revoked
    (["revoke one"], (200, 401, 200, 200, 401)),
    (["revoke all"], (401, 401, 401, 200, 401)),
    (["passwd"], (401, 200, 200, 401, 200)),  # sessions end, API tokens stay
]


@pytest.mark.parametrize("via", ["cli", "api"])
@pytest.mark.parametrize(("actions", "after"), ACCOUNT_ACTIONS, ids=["+".join(a[0]) for a in ACCOUNT_ACTIONS])
def test_disable_enable_passwd_and_revoke_take_effect_at_once(
    client: TestClient, center: Center, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    via: str, actions: list[str], after: tuple[int, ...],
) -> None:  # fmt: skip
    _users(center)
    _login(client, "op")
    tokens = [_token(center, "op"), _token(center, "op")]
    assert client.get("/api/me").status_code == 200
    with session_scope(center.engine) as s:  # type: ignore[arg-type]
        ids = {t.id for t in repo.list_tokens(s, "op") if t.kind == "api"}
    token_id = next(i for i in ids if repo._sha256(tokens[0]).startswith(i))
    for action in actions:
        _do(via, action, client, center, monkeypatch, capsys, token_id, NEW_PASSWORD)
    session = client.get("/api/me").status_code
    by_token = [client.get("/api/me", headers={"Authorization": f"Bearer {t}"}).status_code for t in tokens]
    client.cookies.clear()
    other = _client_from(client, "192.0.2.50")
    old_pw, new_pw = (_post_login(other, "op", p).status_code for p in (PASSWORDS["op"], NEW_PASSWORD))
    assert (session, *by_token, old_pw, new_pw) == after


@pytest.mark.parametrize("via", ["cli", "api"])
def test_tokens_are_listed_without_their_secret(
    client: TestClient, center: Center, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    via: str,
) -> None:  # fmt: skip
    _users(center)
    _login(client, "op")
    used, unused = _token(center, "op", 1), _token(center, "op", 365)
    _age(center, AuthToken, "created", dt.timedelta(minutes=5))  # so that a use is noted (TOUCH_EVERY)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {used}"}).status_code == 200
    assert client.get("/api/me").status_code == 200  # the session
    if via == "cli":
        rc, text, err = _cli(center, monkeypatch, capsys, "tokens", "op")
        assert rc == 0, err
        rows = [line.split() for line in text.splitlines()[1:]]
        listed = {r[0]: (r[1], r[4] != "-") for r in rows}
    else:
        r = _admin(client, center, "GET", "/api/admin/users/op/tokens")
        assert r.status_code == 200, r.text
        text = r.text
        listed = {t["id"]: (t["kind"], t["last_used"] is not None) for t in r.json()}
    assert used not in text and unused not in text and client.cookies["binwatch_session"] not in text
    assert listed == {
        repo._sha256(used)[:16]: ("api", True),
        repo._sha256(unused)[:16]: ("api", False),
        repo._sha256(client.cookies["binwatch_session"])[:16]: ("session", True),
    }


ADMIN_REFUSALS = [
    ("POST", "/api/admin/users/ghost/disable", None, 404, "no user 'ghost'"),
    ("POST", "/api/admin/users/adm/disable", None, 409, "cannot disable themselves"),
    ("POST", "/api/admin/users/op/tokens/0123456789abcdef/revoke", None, 404, "has no token 0123456789abcdef"),
    ("POST", "/api/admin/users/op/password", {"password": "aaaaaaaaaa"}, 422, "at least 12 characters"),
    ("POST", "/api/admin/users", {"username": "op", "role": "operator", "password": NEW_PASSWORD}, 409, "exists"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "says"), ADMIN_REFUSALS)
def test_admin_user_routes_refuse_with_a_reason(
    client: TestClient, center: Center, method: str, path: str, body: Any, status: int, says: str
) -> None:
    _users(center)
    r = _admin(client, center, method, path, body)
    assert r.status_code == status and says in r.json()["detail"], r.text
    op = _login(client, "op")
    assert client.post(path, json=body, headers=op).status_code == 403  # admins only


# ---- token lifetime --------------------------------------------------------------------------------

DAYS = [
    ("-1", 2, "expected 1 to 365 days; got -1"), ("0", 2, "expected 1 to 365 days; got 0"),
    ("366", 2, "expected 1 to 365 days; got 366"), ("99999999", 2, "expected 1 to 365 days; got 99999999"),
    ("ten", 2, "expected a whole number of days from 1 to 365; got 'ten'"), ("1", 0, ""), ("365", 0, ""),
]  # fmt: skip


@pytest.mark.parametrize(("days", "rc", "says"), DAYS)
def test_token_lifetime_is_1_to_365_days(
    client: TestClient, center: Center, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    days: str, rc: int, says: str,
) -> None:  # fmt: skip
    _users(center)
    status, out, err = _cli(center, monkeypatch, capsys, "token", "op", "--days", days)
    assert (status, "Traceback" in err) == (rc, False), err
    assert says in err
    if rc == 0:
        r = client.get("/api/me", headers={"Authorization": f"Bearer {out.strip()}"})
        assert r.status_code == 200
        with session_scope(center.engine) as s:  # type: ignore[arg-type]
            (t,) = [t for t in repo.list_tokens(s, "op") if t.kind == "api"]
            assert abs((t.expires - t.created) - dt.timedelta(days=int(days))) < dt.timedelta(seconds=1)


@pytest.mark.parametrize("days", [-1, 0, 366, 99999999])
def test_the_store_refuses_api_tokens_outside_1_to_365_days(client: TestClient, center: Center, days: int) -> None:
    _users(center)
    assert center.engine is not None
    with session_scope(center.engine) as s, pytest.raises(repo.RecordError, match="lives 1 to 365 days"):
        repo.issue_token(s, repo.get_user(s, "op"), "api", dt.timedelta(days=days))


# ---- password policy -------------------------------------------------------------------------------

POLICY = [
    ("aaaaaaaaaa", "at least 12 characters; got 10"),
    ("aaaaaaaaaaaaaaaa", "at least 5 different characters"),
    ("qwerty123456", "20,000 most common passwords"),
    ("Password1234", "20,000 most common passwords"),
    ("zhou-is-my-name", "must not contain the user name"),
    ("heron-lantern-copper-42", ""),
]


@pytest.mark.parametrize("where", ["cli add", "cli passwd", "api add", "api passwd"])
@pytest.mark.parametrize(("password", "says"), POLICY, ids=[p[0] for p in POLICY])
def test_password_policy_applies_everywhere(
    client: TestClient, center: Center, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    where: str, password: str, says: str,
) -> None:  # fmt: skip
    _users(center)
    assert center.engine is not None
    if where.endswith("passwd"):
        with session_scope(center.engine) as s:
            repo.add_user(s, "zhou", "operator", "a-good-first-password-7")
    if where == "cli add":
        rc, _, err = _cli(center, monkeypatch, capsys, "add", "zhou", "--role", "operator", "--password-stdin",
                          stdin=password + "\n")  # fmt: skip
        refused = err if rc else ""
    elif where == "cli passwd":
        rc, _, err = _cli(center, monkeypatch, capsys, "passwd", "zhou", "--password-stdin", stdin=password + "\n")
        refused = err if rc else ""
    else:
        path, body = (
            ("/api/admin/users", {"username": "zhou", "role": "operator", "password": password})
            if where == "api add" else ("/api/admin/users/zhou/password", {"password": password})
        )  # fmt: skip
        r = _admin(client, center, "POST", path, body)
        assert r.status_code in (200, 422), r.text
        refused = r.json()["detail"] if r.status_code == 422 else ""
    assert (says in refused) if says else refused == ""
    works = _post_login(_client_from(client, "192.0.2.60"), "zhou", password).status_code == 200
    assert works == (not says)


# ---- idle timeout ----------------------------------------------------------------------------------

IDLE = [("session", 29, 200), ("session", 31, 401), ("api", 31, 200), ("api", 60 * 24 * 20, 200)]


@pytest.mark.parametrize(("kind", "idle_min", "status"), IDLE)
def test_an_idle_browser_session_must_log_in_again(
    client: TestClient, center: Center, kind: str, idle_min: int, status: int
) -> None:
    assert center.settings.session_idle == dt.timedelta(minutes=30)  # the default
    _users(center)
    headers = _login(client, "op") if kind == "session" else {"Authorization": f"Bearer {_token(center, 'op')}"}
    if kind == "api":
        client.cookies.clear()
    assert client.get("/api/me", headers=headers).status_code == 200
    _age(center, AuthToken, "last_used", dt.timedelta(minutes=idle_min))
    r = client.get("/api/me", headers=headers)
    assert r.status_code == status, r.text
    if kind == "session":
        page = client.get("/", follow_redirects=False)
        assert page.status_code == (200 if status == 200 else 303)
        if status == 401:
            assert "unused for more than 30 minutes" in r.json()["detail"]
            assert client.post("/api/events/cam-a-littering-000020000-0/ack", headers=headers).status_code == 401
