"""Evidence that holds up: stream-copied originals, manifests with SHA-256 and SM3, a hash-chained ledger.

One littering clip is analysed with --evidence once per module; each tamper test works on a copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import pytest

from alerts.accounting import record_recovery
from alerts.digests import digest_file
from alerts.evidence import FILES, INTERRUPTED, MANIFEST, EvidenceStore
from alerts.ledger import CustodyLedger, LedgerAction
from detector.rules.events import Event, EventKind
from store import repo
from store.db import database_url, open_database, session_scope
from streams.ring import read_file_packets
from tests.conftest import binwatch


@pytest.fixture(scope="module")
def analysed(render: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    clip, truth = render("littering", 42, width=640, height=360)
    out = tmp_path_factory.mktemp("evidence")
    run = binwatch(
        "analyze", str(clip / "video.mp4"), "--camera-config", str(clip / "camera.yaml"),
        "--start", truth["start"], "--out", str(out), "--evidence", check=True,
    )  # fmt: skip
    assert "evidence" in run.stdout
    return clip, out, truth


def _event_dir(data: Path) -> Path:
    (d,) = [p for p in (data / "evidence").iterdir() if p.is_dir()]
    return d


def test_each_event_gets_complete_evidence_that_verifies(analysed: tuple[Path, Path, dict[str, Any]]) -> None:
    _, data, _ = analysed
    events = [json.loads(line) for line in (data / "events.jsonl").read_text().splitlines()]
    assert [e["kind"] for e in events] == ["littering"]
    d = _event_dir(data)
    assert d.name == events[0]["event_id"]
    manifest = json.loads((d / MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(FILES)
    for name, listed in manifest["files"].items():
        raw = (d / name).read_bytes()
        assert listed["size"] == len(raw)
        assert listed["sha256"] == hashlib.sha256(raw).hexdigest()
        if shutil.which("openssl"):  # the check VERIFY.md tells officers to run
            sm3 = subprocess.run(["openssl", "dgst", "-sm3", str(d / name)], capture_output=True, text=True)
            assert sm3.stdout.strip().endswith(listed["sm3"])
    assert manifest["event"]["kind"] == "littering" and manifest["window"]["timezone"] == "Asia/Shanghai"
    assert manifest["window"]["local"][0].endswith("+08:00") and manifest["window"]["utc"][0].endswith("+00:00")
    assert manifest["model"]["sha256"] and manifest["software"]["ultralytics"]
    assert manifest["rules"]["dwell_s"] == 10.0 and manifest["rules"]["pre_s"] == 10.0
    assert manifest["rules"]["early_s"] is None  # a rule that is off is recorded as off, not as a number
    # the window runs from pre_s before the garbage came to rest to post_s after confirmation
    t0, t1 = manifest["window"]["stream_s"]
    assert t0 <= max(0.0, events[0]["t_start_s"] - 10) + 0.01 and t1 >= min(events[0]["t_s"] + 10, 59.0) - 0.3
    run = binwatch("verify", "--all", "--data", str(data))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK: 1 event(s), 4 file(s) re-hashed" in run.stdout
    (entry,) = CustodyLedger(data / "ledger.jsonl").entries()
    assert entry.action is LedgerAction.CREATED and entry.detail["manifest_sha256"] == digest_file(d / MANIFEST).sha256


def test_original_clip_is_the_sources_packets_byte_for_byte(analysed: tuple[Path, Path, dict[str, Any]]) -> None:
    clip, data, _ = analysed
    d = _event_dir(data)
    t0, t1 = json.loads((d / MANIFEST).read_text())["window"]["stream_s"]
    _, source = read_file_packets(clip / "video.mp4", t0, t1)
    with av.open(str(d / "original.mp4")) as c:
        copied = [bytes(p) for p in c.demux(video=0) if p.size]
    assert len(copied) == len(source) > 0
    assert copied == [p.data for p in source], "the original must be a stream copy, not a re-encode"
    with av.open(str(d / "original.mp4")) as c:
        first = next(c.decode(video=0))
        assert first.key_frame


def test_annotated_copy_plays_in_a_browser(analysed: tuple[Path, Path, dict[str, Any]]) -> None:
    _, data, _ = analysed
    path = _event_dir(data) / "annotated.mp4"
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert (s.codec_context.name, s.codec_context.pix_fmt) == ("h264", "yuv420p")
        n = sum(1 for _ in c.decode(video=0))
    assert n > 100
    head = path.read_bytes()[:4096]
    assert head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head, "faststart: moov before mdat"


def _tampered(data: Path, tmp_path: Path) -> tuple[Path, Path]:
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    return copy, _event_dir(copy)


def _flip_byte(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda data, d: _flip_byte(d / "original.mp4", 5000), "original.mp4 altered"),
        (lambda data, d: _flip_byte(d / "snapshot.jpg", 700), "snapshot.jpg altered"),
        (lambda data, d: (d / "annotated.mp4").unlink(), "annotated.mp4 removed"),
        (lambda data, d: (d / "extra.mp4").write_bytes(b"x"), "extra.mp4 inserted"),
        (
            lambda data, d: (d / MANIFEST).write_text((d / MANIFEST).read_text().replace('"littering"', '"overflow"')),
            "manifest.json altered",
        ),
        (lambda data, d: shutil.rmtree(d), "evidence directory removed"),
        (lambda data, d: (data / "ledger.jsonl").write_text(""), "evidence not in the custody ledger"),
    ],
)
def test_verify_names_what_was_tampered_with(
    analysed: tuple[Path, Path, dict[str, Any]], tmp_path: Path, tamper: Any, expected: str
) -> None:
    data, d = _tampered(analysed[1], tmp_path)
    tamper(data, d)
    run = binwatch("verify", "--all", "--data", str(data))
    assert run.returncode == 1, run.stdout
    assert expected in run.stdout


def test_same_event_written_twice_is_stored_once(analysed: tuple[Path, Path, dict[str, Any]], tmp_path: Path) -> None:
    data, d = _tampered(analysed[1], tmp_path)
    before = d.stat().st_mtime_ns, (data / "ledger.jsonl").read_bytes()
    run = binwatch(
        "analyze", str(analysed[0] / "video.mp4"), "--camera-config", str(analysed[0] / "camera.yaml"),
        "--start", analysed[2]["start"], "--out", str(data), "--evidence", check=True,
    )  # fmt: skip
    assert run.returncode == 0
    assert (d.stat().st_mtime_ns, (data / "ledger.jsonl").read_bytes()) == before
    assert binwatch("verify", "--all", "--data", str(data)).returncode == 0


def _evidence_attempts(data: Path, event_id: str) -> list[tuple[str, str]]:
    engine = open_database(database_url(data))
    try:
        with session_scope(engine) as s:
            return [(a.outcome, a.detail) for a in repo.attempts_of(s, event_id) if a.action == "evidence"]
    finally:
        engine.dispose()


def test_kill_9_while_writing_is_recorded_as_interrupted_then_written_again(render: Any, tmp_path: Path) -> None:
    clip, _ = render("littering", 42, width=640, height=360)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOLO_")}
    args = ["analyze", str(clip / "video.mp4"), "--camera-config", str(clip / "camera.yaml"), "--out", str(data)]
    proc = subprocess.Popen([sys.executable, "-m", "service", *args, "--evidence"], env=env)
    deadline = time.monotonic() + 300
    while not list((data / "evidence").glob(".*.partial")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the analysis ended before its evidence was being written"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (partial,) = list((data / "evidence").glob(".*.partial"))
    event_id = partial.name[1 : -len(".partial")]
    assert not [p for p in (data / "evidence").iterdir() if not p.name.startswith(".")]
    # before any restart, verify sees a recorded event with neither evidence nor a recorded failure
    run = binwatch("verify", "--all", "--data", str(data))
    assert run.returncode == 1, run.stdout
    assert f"FAIL {event_id}: recorded event has no evidence and no recorded evidence failure" in run.stdout
    assert f"UNFINISHED {partial.name}" in run.stdout
    # the next start records the interrupted write as a failed attempt, with the reason
    store = EvidenceStore(data)
    recovery = store.recover()
    assert recovery.interrupted == {event_id: INTERRUPTED}
    engine = open_database(database_url(data))
    try:
        notes = record_recovery(engine, recovery, store.directories(), None)
    finally:
        engine.dispose()
    assert notes == [f"{event_id}: evidence recorded as failed: {INTERRUPTED}"]
    assert not list((data / "evidence").iterdir())
    assert _evidence_attempts(data, event_id) == [("failed", INTERRUPTED)]
    run = binwatch("verify", "--all", "--data", str(data))
    assert run.returncode == 0, run.stdout
    assert f"NO EVIDENCE {event_id}: recorded failure: {INTERRUPTED}" in run.stdout
    # its input (the file) is still there: a restart writes the evidence, completely
    binwatch(*args, "--evidence", check=True)
    assert [o for o, _ in _evidence_attempts(data, event_id)] == ["failed", "ok"]
    run = binwatch("verify", "--all", "--data", str(data))
    assert run.returncode == 0, run.stdout
    assert "records: 1 event(s), 1 with evidence, 0 with a recorded evidence failure" in run.stdout


def test_verify_all_compares_recorded_events_and_evidence_both_ways(
    analysed: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    data, d = _tampered(analysed[1], tmp_path)
    shutil.copytree(d, data / "evidence" / "cam-x-littering-000001000-9")  # evidence of no recorded event
    engine = open_database(database_url(data))
    try:
        with session_scope(engine) as s:  # an event recorded with no evidence and no failure
            repo.record_event(s, replace(_some_event(), event_id="cam-x-littering-000002000-3"))
    finally:
        engine.dispose()
    run = binwatch("verify", "--all", "--data", str(data))
    assert run.returncode == 1, run.stdout
    assert "FAIL cam-x-littering-000001000-9: orphan evidence directory: no recorded event has this id" in run.stdout
    assert (
        "FAIL cam-x-littering-000002000-3: recorded event has no evidence and no recorded evidence failure "
        "(no evidence attempt)" in run.stdout
    )
    assert f"FAIL {d.name}" not in run.stdout


def _some_event() -> Event:
    t0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    return Event.started("cam-x", EventKind.LITTERING, 3.0, t0, 2.0, (1, 2, 30, 40), 0.9, "z", object_id=3)


def test_complete_evidence_missing_from_the_ledger_is_entered_at_recovery(
    analysed: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    data, d = _tampered(analysed[1], tmp_path)
    (data / "ledger.jsonl").unlink()  # as if the process died between the rename and the ledger append
    store = EvidenceStore(data)
    assert store.recover().notes == [f"entered complete evidence {d.name} in the ledger"]
    assert store.verify()[0] == []
    assert [e.action for e in store.ledger.entries()] == [LedgerAction.RECOVERED]


def test_verify_without_evidence_or_ids_says_what_it_expected(tmp_path: Path) -> None:
    run = binwatch("verify", "--all", "--data", str(tmp_path))
    assert run.returncode == 2 and "holds no evidence" in run.stderr


def test_a_model_directory_has_one_stable_digest_that_follows_its_files(tmp_path: Path) -> None:
    from alerts.digests import model_identity

    ov = tmp_path / "m_openvino_model"
    ov.mkdir()
    (ov / "m.xml").write_text("<net/>")
    (ov / "m.bin").write_bytes(b"\x00" * 64)
    first = model_identity(ov)
    assert first == model_identity(ov) and first["file"] == "m_openvino_model" and len(first["sha256"]) == 64
    (ov / "m.bin").write_bytes(b"\x01" + b"\x00" * 63)
    assert model_identity(ov)["sha256"] != first["sha256"]
    (tmp_path / "m.pt").write_bytes(b"weights")
    assert model_identity(tmp_path / "m.pt")["sha256"] == hashlib.sha256(b"weights").hexdigest()


def test_a_corrupt_packet_costs_only_itself(tmp_path: Path) -> None:
    import numpy as np

    from alerts.evidence import EvidenceContext, EvidenceRequest
    from streams.writer import H264Writer

    clip = tmp_path / "clip.mp4"
    with H264Writer(clip, 160, 120, 10.0, gop_s=1.0, threads=1) as w:
        for i in range(60):
            img = np.zeros((120, 160, 3), np.uint8)
            img[:, (i * 3) % 140 : (i * 3) % 140 + 20] = 255
            w.write(img)
    with av.open(str(clip)) as c:
        tb = c.streams.video[0].time_base
        assert tb is not None
        places = [(p.pos or 0, p.size, float((p.pts or 0) * tb)) for p in c.demux(video=0) if p.size]
    pos, size, t_bad = places[25]  # a P-frame in the middle of the window
    raw = bytearray(clip.read_bytes())
    for k in range(4, size):  # keep the NAL length prefix, garble the slice
        raw[pos + k] = (raw[pos + k] * 7 + 13) & 0xFF
    clip.write_bytes(bytes(raw))
    codec, packets = read_file_packets(clip, 0.0, 5.9)
    assert len(packets) == 60
    event = Event.started("cam-x", EventKind.LITTERING, 3.0, dt.datetime(2026, 6, 1, tzinfo=dt.UTC), 2.0,
                          (1, 2, 30, 40), 0.9, "z", object_id=1)  # fmt: skip
    store = EvidenceStore(tmp_path / "data")
    rec = store.write(EvidenceRequest(event, EvidenceContext("cam-x"), codec, packets, [], None))
    manifest = json.loads((rec.directory / MANIFEST).read_text())
    (gap,) = manifest["source"]["undecodable"]
    assert (gap["packet"], gap["stream_s"], gap["bytes"]) == (25, round(t_bad, 3), size)
    assert "InvalidDataError" in gap["error"]
    with av.open(str(rec.directory / "original.mp4")) as c:  # every packet kept as it arrived, the bad one too
        assert [bytes(p) for p in c.demux(video=0) if p.size] == [p.data for p in packets]
    with av.open(str(rec.directory / "annotated.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 59  # only the corrupt packet's frame is missing
    assert store.verify()[0] == []
