"""A case package checks with standard tools, carries the review, and is itself entered in the ledger."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from alerts.ledger import CustodyLedger, LedgerAction
from store import repo
from store.db import open_database, session_scope
from tests.conftest import binwatch


@pytest.fixture(scope="module")
def data(render: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    clip, truth = render("littering", 42, width=640, height=360)
    out = tmp_path_factory.mktemp("case-data")
    binwatch(
        "analyze", str(clip / "video.mp4"), "--camera-config", str(clip / "camera.yaml"),
        "--start", truth["start"], "--out", str(out), "--evidence", check=True,
    )  # fmt: skip
    (event_id,) = [json.loads(x)["event_id"] for x in (out / "events.jsonl").read_text().splitlines()]
    return out, event_id


def test_case_package_verifies_with_sha256sum_and_openssl(data: tuple[Path, str], tmp_path: Path) -> None:
    src, event_id = data
    root = tmp_path / "data"
    shutil.copytree(src, root)
    engine = open_database(f"sqlite:///{root / 'binwatch.db'}")
    with session_scope(engine) as s:
        repo.review(s, event_id, "officer1", "confirmed")
        repo.open_case(s, [event_id], "officer1", "移交 城管二中队")
    engine.dispose()
    run = binwatch(
        "export-case", event_id, "--data", str(root), "--out", str(tmp_path / "case.zip"), "--actor", "officer1"
    )
    assert run.returncode == 0, run.stderr
    unpacked = tmp_path / "case"
    with zipfile.ZipFile(tmp_path / "case.zip") as z:
        z.extractall(unpacked)
    names = {p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()}
    assert {f"originals/{event_id}/original.mp4", f"originals/{event_id}/snapshot.jpg",
            f"derived/{event_id}/annotated.mp4", f"derived/{event_id}/snapshot-annotated.jpg",
            f"manifests/{event_id}/manifest.json", "ledger-extract.jsonl", "review.json", "evidence-list.csv",
            "SHA256SUMS", "SM3SUMS", "VERIFY.md"} == names  # fmt: skip
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=unpacked, capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") == 4, check.stdout
    sm3 = subprocess.run(["openssl", "dgst", "-sm3", f"originals/{event_id}/original.mp4"], cwd=unpacked,
                         capture_output=True, text=True)  # fmt: skip
    assert sm3.stdout.strip() in (unpacked / "SM3SUMS").read_text()
    rows = list(csv.DictReader((unpacked / "evidence-list.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert {r["role"] for r in rows} == {"original", "derived"} and all(len(r["sm3"]) == 64 for r in rows)
    review = json.loads((unpacked / "review.json").read_text())[event_id]
    assert review["reviews"][0]["verdict"] == "confirmed" and review["cases"][0]["notes"] == "移交 城管二中队"
    manifest = json.loads((unpacked / f"manifests/{event_id}/manifest.json").read_text())
    assert manifest["derived"]["annotated.mp4"]["sha256"] == manifest["files"]["original.mp4"]["sha256"]
    actions = [e.action for e in CustodyLedger(root / "ledger.jsonl").for_event(event_id)]
    assert actions == [LedgerAction.CREATED, LedgerAction.EXPORTED]
    extract = [json.loads(x) for x in (unpacked / "ledger-extract.jsonl").read_text().splitlines()]
    assert [e["action"] for e in extract] == ["created"]
    assert binwatch("verify", "--all", "--data", str(root)).returncode == 0


def test_tampered_evidence_is_not_exported(data: tuple[Path, str], tmp_path: Path) -> None:
    src, event_id = data
    root = tmp_path / "data"
    shutil.copytree(src, root)
    clip = root / "evidence" / event_id / "original.mp4"
    clip.write_bytes(clip.read_bytes()[:-10])
    run = binwatch("export-case", event_id, "--data", str(root), "--out", str(tmp_path / "case.zip"))
    assert run.returncode == 2
    assert "refusing to export" in run.stderr and "original.mp4 altered" in run.stderr
    assert not (tmp_path / "case.zip").exists()
