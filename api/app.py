"""create_app(settings): the FastAPI application; nothing is built at import time.

The lifespan starts the monitoring center (records, evidence recovery, demo clips, model, cameras)
and stops it in reverse order on shutdown, so Ctrl-C finishes evidence being written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.deps import SESSION_COOKIE
from api.metrics import render_metrics
from api.routes import router
from runtime.center import Center, Settings
from store import repo
from store.db import session_scope

WEB = Path(__file__).resolve().parent.parent / "web"
PAGES = {"/": "wall.html", "/review": "review.html", "/admin": "admin.html"}


def create_app(settings: Settings, center: Center | None = None) -> FastAPI:
    center = center or Center(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:  # a start that fails half-way still stops what it started and closes the database
            await asyncio.to_thread(center.start)
            yield
        finally:
            await asyncio.to_thread(center.stop)

    app = FastAPI(title="binwatch monitoring center", version="0.1.0", lifespan=lifespan)
    app.state.center = center
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, Any]:
        """ok, starting, or degraded with the problems (e.g. no space to write evidence)."""
        states = [rt.source.health().state.value for rt in center.cameras.values()]
        problems = center.problems()
        status = "starting" if center.engine is None else "degraded" if problems else "ok"
        return {"status": status, "problems": problems, "cameras": len(states), "online": states.count("online")}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics() -> str:
        return render_metrics(center)

    def logged_in(request: Request) -> bool:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie or center.engine is None:
            return False
        with session_scope(center.engine) as s:
            return repo.user_for_token(s, cookie, "session") is not None

    @app.get("/login", include_in_schema=False)
    def login_page() -> FileResponse:
        return FileResponse(WEB / "login.html")

    def page(name: str) -> Any:
        def serve(request: Request) -> Response:
            if not logged_in(request):
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            return FileResponse(WEB / name)

        return serve

    for path, name in PAGES.items():
        app.add_api_route(path, page(name), include_in_schema=False, methods=["GET"])
    app.add_api_route("/events/{event_id}", page("event.html"), include_in_schema=False, methods=["GET"])
    return app
