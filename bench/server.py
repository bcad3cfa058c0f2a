"""A real binwatch API server for the benches: uvicorn in a subprocess, from a given source tree.

The server is what `binwatch run` serves (create_app with the monitoring center), without cameras, on a
fresh data directory (SQLite) or on a given database URL. Before it listens, it has a user `bench`
(operator, password PASSWORD), an API token for that user and, if asked, recorded events to list.
Its log goes to a file, so a bench can count what the server complained about.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CITY = "city: bench\ncommunities:\n- id: c01\n  points:\n  - id: c01-p1\n    cameras:\n    - id: cam-a\n      source: rtsp://192.0.2.10/x\n"
PASSWORD = "heron-lantern-4711"  # accepted by the old policy (10+) and the new one (12+, not common)
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
# argv: source tree, city config, data dir, port, password, token file, events to record, database URL or "",
# then Settings fields as JSON (only those given: an older source tree may not know them)
SERVER = """
import datetime as dt
import json
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import uvicorn
from api.app import create_app
from detector.rules.events import Event, EventKind
from runtime.center import Center, Settings
from store import repo
from store.db import session_scope
settings = Settings(config=Path(sys.argv[2]), data_dir=Path(sys.argv[3]), db_url=sys.argv[8] or None,
                    start_cameras=False, **json.loads(sys.argv[9]))
center = Center(settings)
t0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
kinds = list(EventKind)
with session_scope(center.open_records()) as s:
    user = repo.add_user(s, "bench", "operator", sys.argv[5])
    token, _ = repo.issue_token(s, user, "api", dt.timedelta(days=1))
    for i in range(int(sys.argv[7])):
        ev = Event.started("cam-a", kinds[i % len(kinds)], 20.0 + i, t0 + dt.timedelta(minutes=i), 10.0 + i,
                           (10, 20, 90, 80), 0.9, "no_dump", object_id=i)
        repo.record_event(s, ev, "c01")
        # its evidence "failed", so that the start-up's recovery has nothing to say about it
        repo.record_attempt(s, ev.event_id, "evidence", "files", 1, ev.wall, "failed", "bench: no evidence")
Path(sys.argv[6]).write_text(token)
uvicorn.run(create_app(settings, center), host="127.0.0.1", port=int(sys.argv[4]), log_level="warning")
"""


@dataclass(frozen=True)
class BenchServer:
    proc: subprocess.Popen[bytes]
    port: int
    token: str  # an API token of the operator `bench`
    log: Path  # the server's stdout and stderr

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self, field: str = "VmRSS") -> int:
        """A memory figure of the server process from /proc (VmRSS now, VmHWM the peak so far)."""
        return rss_kib(self.proc.pid, field)


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def bench_server(
    src: Path = HERE, events: int = 0, db_url: str | None = None, settings: dict[str, object] | None = None
) -> Iterator[BenchServer]:
    """A server from the source tree `src`, listening on 127.0.0.1 until the block ends.

    `db_url`: an empty database to use (migrated at start) instead of SQLite in a temporary directory;
    `settings`: fields of the server's runtime Settings (e.g. {"api_threads": 4})."""
    with tempfile.TemporaryDirectory(prefix="binwatch-bench-") as tmp:
        cfg = Path(tmp) / "city.yaml"
        cfg.write_text(CITY, encoding="utf-8")
        token_file, log = Path(tmp) / "token", Path(tmp) / "server.log"
        port = free_port()
        args = [str(src), str(cfg), str(Path(tmp) / "data"), str(port), PASSWORD, str(token_file), str(events),
                db_url or "", json.dumps(settings or {})]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-c", SERVER, *args], cwd=src, stdout=out, stderr=out)
        try:
            wait_until_up(proc, port, log)
            yield BenchServer(proc, port, token_file.read_text(), log)
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the server has not stopped within STOP_TIMEOUT_S (a server stuck on its
    open connections: the code before issue 16's fix, after a burst)."""
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the PostgreSQL server of `admin_url` (a database URL that may
    create databases, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres); dropped afterwards."""
    import psycopg

    name = f"binwatch_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def wait_until_up(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Wait until the server on ``port`` answers /healthz; its log's tail in the error if it exits or takes longer
    than START_TIMEOUT_S."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the bench server did not start within {START_TIMEOUT_S:g} s:\n{tail}") from None
            time.sleep(0.2)
