"""A full evidence disk, on a real small filesystem: a tmpfs mounted in a user and mount namespace
(``unshare -rm``, no root needed), filled with a real file. Each scenario runs in a child process in
that namespace and prints what it saw as JSON; the assertions are here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

PRELUDE = """
import datetime as dt, json, os, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[2])
from fastapi.testclient import TestClient
from alerts.evidence import EvidenceContext, EvidenceRequest
from api.app import create_app
from detector.rules.events import Event, EventKind
from runtime.center import Center, Settings
from store import repo
from store.db import session_scope
from streams.ring import read_file_packets
from streams.writer import H264Writer

fs, out = Path(sys.argv[1]), {}
cfg = fs.parent / "city.yaml"
cfg.write_text("city: t\\ncommunities:\\n- id: c01\\n  points:\\n  - id: p1\\n    cameras:\\n    - id: cam-a\\n"
               "      source: rtsp://192.0.2.10/x\\n", encoding="utf-8")
clip = fs.parent / "clip.mp4"
with H264Writer(clip, 160, 120, 10.0, gop_s=1.0, threads=1) as w:
    for i in range(40):
        img = np.zeros((120, 160, 3), np.uint8); img[:, (i * 3) % 140:(i * 3) % 140 + 20] = 255; w.write(img)
codec, packets = read_file_packets(clip, 0.0, 3.9)

def event(i):
    return Event.started("cam-a", EventKind.LITTERING, 3.0 + i, dt.datetime(2026, 6, 1, 8, i, tzinfo=dt.UTC), 1.0 + i,
                         (1, 2, 30, 40), 0.9, "z", object_id=i)

def request(ev):
    return EvidenceRequest(ev, EvidenceContext("cam-a"), codec, packets, [], None)

def fill():
    with open(fs / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\\0" * 65536); f.flush()
        except OSError:
            pass

def attempts(center, eid):
    with session_scope(center.engine) as s:
        return [(a.outcome, a.detail) for a in repo.attempts_of(s, eid) if a.action == "evidence"]

def wait(cond, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.05)
"""

# The records in SQLite on the full disk (the default layout): reads keep working, /healthz says
# degraded while evidence cannot be written, and the waiting evidence is written when space returns.
READS_AND_RETRY = """
center = Center(Settings(config=cfg, data_dir=fs / "data", start_cameras=False))
with TestClient(create_app(center.settings, center)) as client:
    center.evidence.min_free_bytes = 0  # judge the space by the writes only: the tmpfs is small
    center.dispatcher.space_backoff_s, center.dispatcher.space_backoff_max_s = 0.2, 0.5
    with session_scope(center.engine) as s:
        repo.add_user(s, "op", "operator", "operator-pass-123")
    first = event(0)
    with session_scope(center.engine) as s:
        repo.record_event(s, first, "c01")
    center.evidence.write(request(first))
    r = client.post("/api/login", json={"username": "op", "password": "operator-pass-123"})
    out["login"] = r.status_code
    out["healthz_before"] = client.get("/healthz").json()
    fill()
    out["free_after_fill"] = center.evidence.free_bytes()
    ledger = center.evidence.ledger
    for _ in range(500):  # the ledger's last page fills with real 'viewed' entries until one does not fit
        if ledger.failed_reads:
            break
        ledger.append(first.event_id, type(ledger.entries()[0].action)("viewed"), "op")
    out["ledger_failed_before_read"] = ledger.failed_reads
    r = client.get(f"/api/events/{first.event_id}")
    out["read_event"] = [r.status_code, r.json().get("event", {}).get("event_id") if r.status_code == 200 else r.text]
    r = client.get(f"/api/events/{first.event_id}/files/snapshot.jpg")
    out["read_file"] = [r.status_code, len(r.content)]
    out["ledger_failed_after_read"] = ledger.failed_reads
    out["audit_failed"] = repo.failed_read_audits.value
    out["ledger_chain"] = ledger.verify()
    login = TestClient(client.app).post("/api/login", json={"username": "op", "password": "operator-pass-123"})
    out["login_full"] = [login.status_code, login.headers.get("retry-after"), login.json().get("detail", ""),
                         login.headers.get("x-content-type-options")]
    second = event(1)
    released = []
    center.dispatcher.add_evidence(second, lambda: center.evidence.write(request(second)),
                                   done=lambda: released.append(True))
    wait(lambda: center.dispatcher.failures.get("evidence", 0) >= 2)
    out["healthz_full"] = client.get("/healthz").json()
    out["metrics_full"] = [l for l in client.get("/metrics").text.splitlines() if l.startswith(
        ("binwatch_evidence_no_space", "binwatch_read_records_failed_total", "binwatch_evidence_lost"))]
    out["released_while_full"] = bool(released)
    (fs / "filler").unlink()
    wait(lambda: center.evidence.complete(second.event_id) and bool(released))
    time.sleep(0.3)
    out["written_after_space"] = center.evidence.complete(second.event_id)
    out["released_after"] = bool(released)
    out["healthz_after"] = client.get("/healthz").json()
    out["attempts_second"] = attempts(center, second.event_id)
print("RESULT " + json.dumps(out))
"""

# The records elsewhere (PostgreSQL in a city; here SQLite off the full disk): when no space comes
# back in time, the evidence is recorded as lost, with the reason, and the camera's packets are released.
LOST = """
center = Center(Settings(config=cfg, data_dir=fs / "data", db_url=f"sqlite:///{fs.parent / 'records.db'}",
                         start_cameras=False))
with TestClient(create_app(center.settings, center)) as client:
    center.evidence.min_free_bytes = 0
    d = center.dispatcher
    d.space_backoff_s, d.space_backoff_max_s, d.space_wait_s = 0.1, 0.2, 1.0
    fill()
    ev = event(2)
    with session_scope(center.engine) as s:
        repo.record_event(s, ev, "c01")
    released = []
    d.add_evidence(ev, lambda: center.evidence.write(request(ev)), done=lambda: released.append(True))
    wait(lambda: bool(released))
    out["released"] = bool(released)
    out["attempts"] = attempts(center, ev.event_id)
    out["lost_metric"] = [l for l in client.get("/metrics").text.splitlines()
                          if l.startswith("binwatch_evidence_lost_total")]
    out["healthz"] = client.get("/healthz").json()
print("RESULT " + json.dumps(out))
"""


def _namespace_tmpfs_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


def _run_on_small_disk(tmp_path: Path, body: str, size_mb: int = 6) -> dict[str, Any]:
    if not _namespace_tmpfs_works():
        pytest.skip("cannot mount a tmpfs in a user namespace here (unshare -rm); the disk-full tests need one")
    fs = tmp_path / "fs"
    fs.mkdir()
    script = tmp_path / "scenario.py"
    script.write_text(textwrap.dedent(PRELUDE) + textwrap.dedent(body), encoding="utf-8")
    mount = f"mount -t tmpfs -o size={size_mb}m tmpfs {fs} && exec {sys.executable} {script} {fs} {REPO}"
    run = subprocess.run(["unshare", "-rm", "sh", "-c", mount], capture_output=True, text=True, timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, f"scenario failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


def test_full_disk_reads_work_health_degrades_and_evidence_waits_for_space(tmp_path: Path) -> None:
    r = _run_on_small_disk(tmp_path, READS_AND_RETRY)
    assert r["login"] == 200 and r["healthz_before"]["status"] == "ok"
    assert r["free_after_fill"] < 65536
    # reads: the event and its files are served although their ledger and audit records cannot be written
    assert r["ledger_failed_before_read"] >= 1
    assert r["read_event"][0] == 200 and r["read_file"][0] == 200 and r["read_file"][1] > 1000, r
    assert r["ledger_failed_after_read"] == r["ledger_failed_before_read"] + 2  # the view and the download
    assert r["audit_failed"] >= 2
    assert r["ledger_chain"] == [], "a failed append must not leave half a line in the ledger"
    # a login records a session: on a full disk it is a state to wait out, not an internal error (it was a 500)
    status, retry_after, detail, nosniff = r["login_full"]
    assert (status, retry_after, nosniff) == (503, "60", "nosniff") and "disk is full" in detail, r["login_full"]
    # health: degraded, with the reason, and a metric, while evidence cannot be written
    assert r["healthz_full"]["status"] == "degraded"
    (problem,) = r["healthz_full"]["problems"]
    assert "evidence cannot be written: no space left on the evidence disk" in problem
    assert "binwatch_evidence_no_space 1.0" in r["metrics_full"]
    assert any(line.startswith('binwatch_read_records_failed_total{record="ledger"}') for line in r["metrics_full"])
    assert not r["released_while_full"], "the camera's packets must stay held while the evidence waits for space"
    # space returns: the evidence is written, the packets released, health back to ok
    assert r["written_after_space"] and r["released_after"]
    assert r["healthz_after"] == {**r["healthz_after"], "status": "ok", "problems": []}
    outcomes = [o for o, _ in r["attempts_second"]]
    assert outcomes[-1] == "ok"


def test_full_disk_for_too_long_records_the_evidence_as_lost_with_the_reason(tmp_path: Path) -> None:
    r = _run_on_small_disk(tmp_path, LOST)
    assert r["released"]
    outcomes = [o for o, _ in r["attempts"]]
    assert outcomes[-1] == "lost" and outcomes.count("failed") >= 2, r["attempts"]
    reason = r["attempts"][-1][1]
    assert reason.startswith("lost: no space came back within 1 s while waiting for space on the evidence disk")
    assert "No space left on device" in reason
    assert r["lost_metric"] == ["binwatch_evidence_lost_total 1.0"]
    assert r["healthz"]["status"] == "degraded"
