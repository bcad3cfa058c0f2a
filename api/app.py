"""create_app(settings): the FastAPI application; nothing is built at import time.

The lifespan starts the monitoring center (records, evidence recovery, demo clips, model, cameras)
and stops it in reverse order on shutdown, so Ctrl-C finishes evidence being written.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import exc as sa_exc

from api.admission import REQUESTS_PER_THREAD, Admission, AdmissionControl
from api.database import ApiDatabase, busy_response, limit_worker_threads, open_api_database, store_error_response
from api.deps import RANK, SESSION_COOKIE
from api.metrics import render_metrics
from api.routes import invalid_request, record_refused, router
from api.security import SecurityHeaders, internal_error, safe_next
from runtime.center import Center, Settings
from store import repo

WEB = Path(__file__).resolve().parent.parent / "web"
# page -> (file, the least role that may see it); the API behind each page checks roles again
PAGES = {
    "/": ("wall.html", "operator"),
    "/review": ("review.html", "officer"),
    "/admin": ("admin.html", "admin"),
    "/events/{event_id}": ("event.html", "operator"),
}


def create_app(settings: Settings, center: Center | None = None) -> FastAPI:
    center = center or Center(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:  # a start that fails half-way still stops what it started and closes the database
            await asyncio.to_thread(center.start)
            assert center.engine is not None
            limit_worker_threads(settings.api_threads)
            app.state.db = open_api_database(center.engine, settings)
            app.state.admission = Admission(REQUESTS_PER_THREAD * settings.api_threads, settings.queue_wait_s)
            # What start-up made (modules, torch, the model, config) lives until the end: leave it out of the
            # collector's full passes, which otherwise stopped the whole process for 100-230 ms at a time
            # during a burst of requests (bench/load.py).
            gc.collect()
            gc.freeze()
            yield
        finally:
            gc.unfreeze()
            db: ApiDatabase | None = app.state.db
            app.state.db = app.state.admission = None
            if db is not None:
                db.engine.dispose()
            await asyncio.to_thread(center.stop)

    app = FastAPI(title="binwatch monitoring center", version="0.1.0", lifespan=lifespan)
    app.state.center = center
    app.state.db = None
    app.state.admission = None
    app.add_middleware(AdmissionControl)
    app.add_middleware(SecurityHeaders)  # outermost: a refusal of AdmissionControl gets the headers too
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(repo.RecordError, record_refused)  # type: ignore[arg-type]
    app.add_exception_handler(sa_exc.TimeoutError, busy_response)  # type: ignore[arg-type]
    app.add_exception_handler(sa_exc.OperationalError, store_error_response)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, internal_error)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    # /healthz and /metrics read only memory and statvfs: async, they need neither a worker thread nor
    # the database, so they answer while a burst keeps both busy.
    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, Any]:
        """ok, starting, or degraded with the problems (e.g. no space to write evidence)."""
        states = [rt.source.health().state.value for rt in center.cameras.values()]
        problems = center.problems()
        status = "starting" if app.state.db is None else "degraded" if problems else "ok"
        return {"status": status, "problems": problems, "cameras": len(states), "online": states.count("online")}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def metrics() -> str:
        return render_metrics(center, app.state.db, app.state.admission)

    def logged_in(request: Request) -> tuple[str, str] | None:
        """(user name, role) of the session cookie's user, or None."""
        cookie = request.cookies.get(SESSION_COOKIE)
        db: ApiDatabase | None = app.state.db
        if not cookie or db is None:
            return None
        with db.session() as s:
            found = repo.user_for_token(s, cookie, "session", center.settings.session_idle)
            return (found[0].username, found[0].role) if found is not None else None

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request) -> Response:
        raw = request.query_params.get("next")
        if raw is not None and safe_next(raw) is None:  # never show a login that would send the user off-site
            return RedirectResponse("/login", status_code=303)
        return FileResponse(WEB / "login.html")

    def page(name: str, role: str) -> Any:
        def serve(request: Request) -> Response:
            user = logged_in(request)
            if user is None:
                return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", status_code=303)
            if RANK[user[1]] < RANK[role]:
                return PlainTextResponse(f"this page needs the {role} role; {user[0]} is {user[1]}", status_code=403)
            return FileResponse(WEB / name)

        return serve

    for path, (name, role) in PAGES.items():
        app.add_api_route(path, page(name, role), include_in_schema=False, methods=["GET"])
    return app
