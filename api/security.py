"""What the browser is told to refuse: security headers on every response, and the login's `next` check.

The pages load their scripts and styles from /static only (no inline script, style or on*= handler),
so the Content-Security-Policy allows nothing else; no site may frame them (clickjacking).
FastAPI's /docs and /redoc pages bootstrap Swagger UI / ReDoc from a CDN with an inline script; they
get a policy of their own that allows just that, and hold no data (the API still needs a login).
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def security_headers(path: str) -> dict[str, str]:
    """The headers every response to ``path`` carries."""
    return {"Content-Security-Policy": DOCS_CSP if path in DOCS_PATHS else CSP, **HEADERS}


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """The 500 for an unhandled error. Starlette answers it from its outermost layer, past every middleware,
    so the security headers are set here; the exception itself goes to the server log, not to the client."""
    return JSONResponse(
        {"detail": f"internal error ({type(exc).__name__}); the server log has the details"},
        status_code=500,
        headers=security_headers(request.url.path),
    )


class SecurityHeaders:
    """ASGI middleware: adds CSP, nosniff, X-Frame-Options, Referrer-Policy to every HTTP response.

    Pure ASGI (not BaseHTTPMiddleware), so the live feed's streamed response passes through unbuffered.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def safe_next(raw: str | None) -> str | None:
    """``raw`` when it is a path on this site (where to go after logging in), else None.

    Refused: anything not starting with one "/", "//host" and "/\\host" (browsers read both as another
    host), backslashes, control characters and whitespace (browsers drop tabs and newlines, so
    "/\\t/host" becomes "//host"), and any of these hidden under percent-encoding ("/%2F%2Fhost").
    """
    if not raw or len(raw) > 2000:
        return None
    seen = raw
    for _ in range(5):  # each decoding must still be a plain path; deeper nesting is refused below
        if not seen.startswith("/") or seen.startswith("//") or "\\" in seen:
            return None
        if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in seen):
            return None
        decoded = unquote(seen)
        if decoded == seen:
            return raw
        seen = decoded
    return None
