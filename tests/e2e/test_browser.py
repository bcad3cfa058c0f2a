"""End to end in Debian's Chromium: the wall shows a new alert within 3 s, an officer reviews and exports it.

A real `binwatch run` serves one generated camera whose speaker is a webhook served by the test (it
must hear the on-the-spot warning before the event's own shout, and the wall must show the warning);
Playwright drives /usr/bin/chromium. Screenshots
of the wall, the event page and the review queue are kept under tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.alerts.camera_server import WebhookServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORDS = {"op": "operator-pass-123", "off": "officer-pass-123"}
CITY = """
city: 演示
alerts: {cooldown_s: 0}
communities:
- id: c01
  name: 阳光花园
  points:
  - id: c01-p1
    name: 1号投放点
    cameras:
    - id: cam-e2e
      name: 东侧
      source: sim:littering?seed=42&duration=40&size=640x360&fps=10
      speaker: {type: http_webhook, url: "HOOK"}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def speaker() -> Iterator[WebhookServer]:
    hook = WebhookServer()
    yield hook
    hook.close()


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (Debian package chromium; `make system-deps` installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("YOLO_") and k != "BINWATCH_DB_URL"}


def _start_server(
    root: Path, city: str, ready: str, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`binwatch run` on ``city`` with users op and off, once /healthz says ``ready`` ("online": a camera is
    online; "up": it answers at all). Its log is root/server.log."""
    (root / "city.yaml").write_text(city, encoding="utf-8")
    env = _env() | (extra_env or {})
    for name, role in (("op", "operator"), ("off", "officer")):
        add = [sys.executable, "-m", "service", "user", "add", name, "--role", role, "--password-stdin"]
        subprocess.run(
            [*add, "--data", str(root / "data")], input=PASSWORDS[name] + "\n", text=True, check=True, env=env
        )
    port = _free_port()
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "run", "--config", str(root / "city.yaml"), "--data", str(root / "data"),
         "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            health = httpx.get(url + "/healthz", timeout=1).json()
            if ready == "up" or health.get("online") == 1:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"binwatch run exited {proc.returncode}:\n{(root / 'server.log').read_text()[-3000:]}")
        time.sleep(0.5)
    proc.kill()
    raise AssertionError("binwatch run did not come up:\n" + (root / "server.log").read_text()[-3000:])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, speaker: WebhookServer) -> Iterator[tuple[str, Path]]:
    _need_chromium()
    root = tmp_path_factory.mktemp("e2e")
    proc, url = _start_server(root, CITY.replace("HOOK", speaker.url), "online")
    env = _env()
    yield url, root / "data"
    # Ctrl-C while a browser still follows the live feed: the feed must not hold the shutdown up.
    token = subprocess.run([sys.executable, "-m", "service", "user", "token", "op", "--data", str(root / "data")],
                           capture_output=True, text=True, env=env, check=True).stdout.strip()  # fmt: skip
    with httpx.stream("GET", url + "/api/stream", headers={"Authorization": f"Bearer {token}"}, timeout=None) as feed:
        assert next(feed.iter_lines()) == ": connected"
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    text = (root / "server.log").read_text()
    assert "Application shutdown complete" in text, "Ctrl-C must stop the pipelines and close cleanly:\n" + text[-2000:]
    assert "Traceback" not in text, text[-3000:]
    assert not list((root / "data" / "evidence").glob(".*.partial")), "no half-written evidence after Ctrl-C"


def _said(speaker: WebhookServer) -> list[tuple[str, bool]]:
    """(event id, was it a warning) of every shout the speaker received, in order."""
    return [(r["json"]["event_id"], r["json"]["warning"]) for r in speaker.received]


def _wait_until(page: object, expression: str, timeout_s: float = 10.0) -> None:
    """Poll a JavaScript expression until it is true. (Playwright's own polling evaluates its string with eval
    inside the page, which the pages' Content-Security-Policy rightly forbids.)"""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, f"still false after {timeout_s:g} s: {expression}"
        time.sleep(0.1)


def _login(page: object, url: str, name: str) -> None:
    page.goto(url + "/")  # type: ignore[attr-defined]
    page.wait_for_url("**/login?next=/")  # type: ignore[attr-defined]
    page.fill("#username", name)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORDS[name])  # type: ignore[attr-defined]
    page.click("#submit")  # type: ignore[attr-defined]
    page.wait_for_url(url + "/")  # type: ignore[attr-defined]


def test_wall_alert_review_and_export_in_chromium(server: tuple[str, Path], speaker: WebhookServer) -> None:
    from playwright.sync_api import sync_playwright

    url, data = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        try:
            op_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            page = op_ctx.new_page()
            page.goto(url + "/review")
            assert "/login" in page.url, "not logged in: sent to the login page"
            _login(page, url, "op")
            page.wait_for_selector(".tile img", timeout=30_000)
            page.wait_for_selector(".tile .warn.on", timeout=120_000)  # the person is warned on the spot...
            item = page.wait_for_selector("#alert-list li.fresh", timeout=120_000)  # ...the littering confirmed later
            seen_ms = page.evaluate("Date.now()")
            event_id = item.get_attribute("id").removeprefix("alert-")  # type: ignore[union-attr]
            with sqlite3.connect(data / "binwatch.db") as db:
                (recorded,) = db.execute("select updated from events where event_id = ?", (event_id,)).fetchone()
            confirmed = dt.datetime.fromisoformat(recorded).replace(tzinfo=dt.UTC)
            latency_s = seen_ms / 1000 - confirmed.timestamp()
            assert latency_s <= 3.0, f"the alert reached the wall {latency_s:.1f} s after it was confirmed"
            page.screenshot(path=str(ARTIFACTS / "wall.png"))
            deadline = time.monotonic() + 15  # the event's own shout is on its way (TTS, then the POST)
            while (event_id, False) not in (said := _said(speaker)) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert (event_id, True) in said and said.index((event_id, True)) < said.index((event_id, False)), said
            # an operator acknowledges, and may neither review nor export
            page.click(f"#alert-{event_id} button.ack")
            page.wait_for_selector(f"#alert-{event_id} button.ack[disabled]")
            csrf = page.evaluate("BW.csrf")
            r = page.request.post(f"{url}/api/events/{event_id}/review", data={"verdict": "confirmed"},
                                  headers={"X-CSRF-Token": csrf})  # fmt: skip
            assert r.status == 403
            assert page.request.get(f"{url}/api/cases").status == 403

            off_ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            officer = off_ctx.new_page()
            _login(officer, url, "off")
            deadline = time.monotonic() + 60  # evidence is written post_s (10 s) after confirmation
            while not (data / "evidence" / event_id / "manifest.json").exists() and time.monotonic() < deadline:
                time.sleep(0.5)
            officer.goto(f"{url}/events/{event_id}")
            _wait_until(officer, "document.getElementById('player').readyState >= 2", timeout_s=30)
            officer.evaluate("document.getElementById('player').play()")
            officer.wait_for_selector("#manifest td.mono")
            officer.wait_for_selector("#warned")  # the record says the person was warned on the spot first
            officer.screenshot(path=str(ARTIFACTS / "event.png"), full_page=True)
            # Every view is a custody entry; past a page of them the page reads the rest on request.
            for _ in range(55):
                assert officer.request.get(f"{url}/api/events/{event_id}").ok
            officer.goto(f"{url}/events/{event_id}")
            officer.wait_for_selector("#ledger-more:not([hidden])")
            assert officer.eval_on_selector_all("#ledger tr", "rows => rows.length") == 51  # a head and a page
            officer.click("#ledger-more")
            _wait_until(officer, "document.getElementById('ledger-more').hidden")
            assert officer.eval_on_selector_all("#ledger tr", "rows => rows.length") > 58
            officer.click("#confirm")
            _wait_until(officer, "document.getElementById('msg').textContent === '✓'")
            officer.fill("#notes", "移交城管二中队")
            officer.click("#handover")
            officer.wait_for_selector("#export")
            with officer.expect_download() as dl:
                officer.click("#export")
            package = dl.value.path()
            assert package is not None and Path(package).stat().st_size > 1000
            officer.goto(f"{url}/review")
            officer.select_option("#status", "")
            officer.wait_for_selector("#cases td")
            # the warnings list: the warning was played, and it links to the event it became
            row = officer.wait_for_selector(f'#warnings tr[data-id="{event_id}"]')
            assert row.query_selector(f'a[href="/events/{event_id}"]') is not None, row.inner_html()  # type: ignore[union-attr]
            assert row.query_selector("td.shout").inner_text() == "已播放", row.inner_html()  # type: ignore[union-attr]
            officer.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)
        finally:
            browser.close()


UNREACHABLE_CITY = """
city: 演示
communities:
- id: c01
  name: 阳光花园
  points:
  - id: c01-p1
    cameras:
    - id: cam-far
      source: rtsp://127.0.0.1:9/stream
"""


def test_the_wall_says_when_the_center_has_a_problem_and_when_it_is_out_of_reach(tmp_path: Path) -> None:
    """Less free space on the evidence disk than the deployment asks for (here: 2**30 MiB, more than any disk) is a
    problem the wall shows as a banner, with the center's own words; a center that dies is a banner too."""
    from playwright.sync_api import sync_playwright

    _need_chromium()
    proc, url = _start_server(tmp_path, UNREACHABLE_CITY, "up", {"BINWATCH_EVIDENCE_MIN_FREE_MB": str(2**30)})
    try:
        assert httpx.get(url + "/healthz").json()["status"] == "degraded"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                _login(page, url, "op")
                page.wait_for_selector("#problems:not([hidden])", timeout=10_000)
                text = page.inner_text("#problems")
                assert text.startswith("监控中心故障: evidence disk nearly full"), text
                assert "expected at least 1073741824 MiB" in text, text
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "wall-problem.png"))
                proc.kill()  # the center dies: the wall must not go on looking as if all were well
                proc.wait(10)
                _wait_until(page, "document.getElementById('problems').textContent.includes('连接已断开')", 12)
                assert not page.is_hidden("#problems")
            finally:
                browser.close()
    finally:
        proc.kill()
        proc.wait(10)
