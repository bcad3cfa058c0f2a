"""Evidence download serves only files a recorded event's manifest lists, and never through a link."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.responses import FileResponse

from api.evidence_files import NoFollowFileResponse
from runtime.center import Center
from tests.api.test_api import _events, _login, _users

CANARY = "canary-secret-5f1c0de"
OTHER_ID = "cam-a-littering-000099000-9"  # a well-formed id that is not in the records


def _secret(root: Path) -> Path:
    secret = root.parent / "secret.json"
    secret.write_text(json.dumps({"files": {"snapshot.jpg": {}}, "password": CANARY}), encoding="utf-8")
    return secret


def link_a_listed_file(root: Path, eid: str) -> tuple[str, str]:
    (root / eid / "snapshot.jpg").unlink()
    (root / eid / "snapshot.jpg").symlink_to(_secret(root))
    return eid, "snapshot.jpg"


def link_the_manifest(root: Path, eid: str) -> tuple[str, str]:
    (root / eid / "manifest.json").unlink()
    (root / eid / "manifest.json").symlink_to(_secret(root))
    return eid, "manifest.json"


def link_the_directory(root: Path, eid: str) -> tuple[str, str]:
    outside = root.parent / "outside"
    shutil.copytree(root / eid, outside)
    shutil.rmtree(root / eid)
    (outside / "original.mp4").write_text(CANARY, encoding="utf-8")
    (root / eid).symlink_to(outside, target_is_directory=True)
    return eid, "original.mp4"


def unlisted_in_manifest(root: Path, eid: str) -> tuple[str, str]:
    manifest = json.loads((root / eid / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]["snapshot.jpg"]
    (root / eid / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (root / eid / "snapshot.jpg").write_text(CANARY, encoding="utf-8")
    return eid, "snapshot.jpg"


def not_a_recorded_event(root: Path, eid: str) -> tuple[str, str]:
    shutil.copytree(root / eid, root / OTHER_ID)
    (root / OTHER_ID / "manifest.json").write_text(
        (root / OTHER_ID / "manifest.json").read_text(encoding="utf-8").replace(eid, OTHER_ID), encoding="utf-8"
    )
    (root / OTHER_ID / "original.mp4").write_text(CANARY, encoding="utf-8")
    return OTHER_ID, "original.mp4"


def dot_dot_is_the_data_directory(root: Path, eid: str) -> tuple[str, str]:
    (root.parent / "snapshot.jpg").write_text(CANARY, encoding="utf-8")  # data/snapshot.jpg
    return "%2E%2E", "snapshot.jpg"


def a_5000_character_id(root: Path, eid: str) -> tuple[str, str]:
    return "a" * 5000, "original.mp4"


@pytest.mark.parametrize(
    ("tamper", "status", "says"),
    [
        (link_a_listed_file, 404, "symbolic link"),
        (link_the_manifest, 404, "no manifest"),
        (link_the_directory, 404, "no manifest"),
        (unlisted_in_manifest, 404, "not listed in the manifest"),
        (not_a_recorded_event, 404, "no event"),
        (dot_dot_is_the_data_directory, 422, "should match pattern"),
        (a_5000_character_id, 422, "at most 160 characters"),
    ],
)
def test_evidence_is_served_only_from_the_manifest_of_a_recorded_event_and_never_through_a_link(
    client: TestClient, center: Center, render: Any, tamper: Callable[[Path, str], tuple[str, str]], status: int,
    says: str,
) -> None:  # fmt: skip
    _users(center)
    (eid,) = _events(center, render, 1)
    _login(client, "op")
    assert center.evidence is not None
    root = center.evidence.root
    assert client.get(f"/api/events/{eid}/files/snapshot.jpg").status_code == 200  # the untampered file is served
    event_id, name = tamper(root, eid)
    r = client.get(f"/api/events/{event_id}/files/{name}")
    assert r.status_code == status, r.text
    assert says in r.text and CANARY not in r.text
    detail = client.get(f"/api/events/{event_id}")
    assert CANARY not in detail.text
    if detail.status_code == 200:
        assert name not in detail.json()["files"], "the event page must not offer a file that is not served"


def test_a_file_swapped_for_a_link_after_the_check_is_not_read(client: TestClient, center: Center, render: Any) -> None:
    """The response opens the file again, without following links, for every transfer."""
    (eid,) = _events(center, render, 1)
    assert center.evidence is not None
    root = center.evidence.root
    response = NoFollowFileResponse(root, eid, "snapshot.jpg")
    (root / eid / "snapshot.jpg").unlink()
    (root / eid / "snapshot.jpg").symlink_to(_secret(root))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": [], "asgi": {"spec_version": "2.4"},
             "extensions": {"http.response.pathsend": {}}}  # fmt: skip
    with pytest.raises(OSError, match="symbolic link"):
        anyio.run(response, scope, receive, send)
    assert all(CANARY.encode() not in m.get("body", b"") for m in sent)
    assert "_open_file" in vars(FileResponse), "Starlette no longer opens files through _open_file"
    assert os.path.islink(root / eid / "snapshot.jpg")
