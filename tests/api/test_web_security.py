"""What browsers are told: security headers on every response, no inline script, safe `next`, pages by role."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import safe_next
from runtime.center import Center
from tests.api.test_api import _login, _users

WEB = Path(__file__).resolve().parents[2] / "web"
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 303),  # not logged in: off to the login page
        ("GET", "/login", 200),
        ("GET", "/static/app.js", 200),
        ("GET", "/static/nope.js", 404),
        ("GET", "/api/events", 401),
        ("GET", "/api/no-such-route", 404),
        ("POST", "/api/login", 422),
        ("GET", "/healthz", 200),
        ("GET", "/metrics", 200),
        ("GET", "/openapi.json", 200),
    ],
)
def test_every_response_carries_the_security_headers(client: TestClient, method: str, path: str, status: int) -> None:
    r = client.request(method, path, follow_redirects=False)
    assert r.status_code == status, r.text
    for name, value in HEADERS.items():
        assert r.headers.get(name) == value, f"{path}: {name} is {r.headers.get(name)!r}, expected {value!r}"
    csp = r.headers.get("content-security-policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives.get("frame-ancestors") == "'none'", csp
    assert directives.get("script-src") == "'self'" and directives.get("style-src") == "'self'", csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp


def test_an_unhandled_error_is_a_500_with_the_security_headers_and_no_traceback(center: Center) -> None:
    """Starlette answers an unhandled error from its outermost layer, past the headers' middleware: the
    500 carried no CSP, nosniff or frame refusal. A route that fails as a bug would."""
    app = create_app(center.settings, center)

    @app.get("/api/fails")
    def fails() -> None:
        raise KeyError("camera-42 secret detail")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/fails")
    assert r.status_code == 500 and r.json() == {"detail": "internal error (KeyError); the server log has the details"}
    for name, value in HEADERS.items():
        assert r.headers.get(name) == value, f"{name} is {r.headers.get(name)!r}, expected {value!r}"
    assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", "")


def _inline_code(html: str) -> list[str]:
    """Inline scripts, style blocks, style attributes and on*= handlers in an HTML text."""
    found = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html, flags=re.I)
    found += re.findall(r"<style\b[^>]*>", html, flags=re.I)
    found += re.findall(r"""\s(?:on[a-z]+|style)\s*=\s*["'][^"']*""", html, flags=re.I)
    return found


@pytest.mark.parametrize("page", sorted(p.name for p in WEB.glob("*.html")))
def test_pages_have_no_inline_script_or_style(page: str) -> None:
    """The CSP allows only /static scripts and styles: anything inline would silently not run."""
    html = (WEB / page).read_text(encoding="utf-8")
    assert _inline_code(html) == [], f"{page} has inline code; move it to web/static/"
    for src in re.findall(r"""<(?:script|link)[^>]*(?:src|href)="([^"]+)""", html):
        assert src.startswith("/static/") and (WEB / src.removeprefix("/")).is_file(), f"{page}: {src} missing"
    scripts = [WEB / "static" / n for n in re.findall(r'src="/static/([^"]+\.js)"', html)]
    for js in scripts:  # markup the scripts write into the page is covered by the same policy
        assert _inline_code(js.read_text(encoding="utf-8")) == [], f"{js.name} writes inline code into {page}"


UNSAFE_NEXT = [
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/%2Fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "",
]
SAFE_NEXT = ["/", "/review", "/events/cam-a-littering-000020000-0", "/review?kind=overflow#top"]


@pytest.mark.parametrize(("raw", "expected"), [(n, None) for n in UNSAFE_NEXT] + [(n, n) for n in SAFE_NEXT])
def test_safe_next_accepts_only_paths_of_this_site(raw: str, expected: str | None) -> None:
    assert safe_next(raw) == expected


@pytest.mark.parametrize(("raw", "served"), [(n, False) for n in UNSAFE_NEXT if n] + [(n, True) for n in SAFE_NEXT])
def test_login_page_is_not_served_with_a_next_that_leaves_the_site(client: TestClient, raw: str, served: bool) -> None:
    r = client.get("/login", params={"next": raw}, follow_redirects=False)
    if served:
        assert r.status_code == 200 and "login.js" in r.text
    else:
        assert (r.status_code, r.headers.get("location")) == (303, "/login"), f"next={raw!r} was served"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: login.js's check not run")
def test_login_script_sends_only_to_paths_of_this_site() -> None:
    """login.js's own safeNext (the browser's last word), run in node with the same table."""
    source = (WEB / "static" / "login.js").read_text(encoding="utf-8")
    function = source[source.index("function safeNext(") :]
    cases = UNSAFE_NEXT + SAFE_NEXT + [None]
    program = (
        'const location = { origin: "http://127.0.0.1:8000" };\n'
        + function
        + f"\nconsole.log(JSON.stringify({json.dumps(cases)}.map(safeNext)));\n"
    )
    out = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=30, check=True).stdout
    got = dict(zip([repr(c) for c in cases], json.loads(out), strict=True))
    expected = {repr(c): "/" for c in [*UNSAFE_NEXT, None]} | {repr(c): c for c in SAFE_NEXT}
    assert got == expected


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("op", "/", 200),
        ("op", "/events/cam-a-littering-000020000-0", 200),
        ("op", "/review", 403),
        ("op", "/admin", 403),
        ("off", "/review", 200),
        ("off", "/admin", 403),
        ("adm", "/review", 200),
        ("adm", "/admin", 200),
    ],
)
def test_officer_and_admin_pages_are_served_only_to_those_roles(
    client: TestClient, center: Center, user: str, path: str, status: int
) -> None:
    _users(center)
    _login(client, user)
    r = client.get(path, follow_redirects=False)
    assert r.status_code == status, r.text
    if status == 403:
        assert "role" in r.text and "<html" not in r.text


def test_api_docs_pages_get_their_own_policy_and_cannot_be_framed(client: TestClient) -> None:
    """/docs bootstraps Swagger UI with an inline script from a CDN: allowed there, and only there."""
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower()
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
