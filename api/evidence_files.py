"""Evidence files as the API serves them: opened below the evidence root without following any link.

An evidence directory is written by binwatch, but anyone with access to the disk could put a symlink
in it (or make the directory itself one); the API must then serve nothing rather than whatever the
link points at. Every component under the root is opened with O_NOFOLLOW relative to its parent's
descriptor, so no link is followed anywhere below the root, and only regular files are served.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

from alerts.evidence import FILES, MANIFEST
from detector.rules.events import EventKind

# What detector.rules.events.event_id makes: camera id (config's slug: ^[a-z0-9][a-z0-9_-]{0,63}$),
# kind, start time in ms (at least 9 digits) and the object, e.g. cam-a-littering-000020000-0.
EVENT_ID_PATTERN = (
    r"^[a-z0-9][a-z0-9_-]{0,63}-(" + "|".join(re.escape(k.value) for k in EventKind) + r")-\d{9,15}-\d{1,18}$"
)
EVENT_ID_MAX = 160  # the events.event_id column
MEDIA_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".json": "application/json"}
SERVABLE = (*FILES, MANIFEST)


class EvidenceAccessError(OSError):
    """An evidence file that is missing, a link, or not a regular file; the message says which."""


def open_no_follow(root: Path, parts: Sequence[str]) -> int:
    """A read-only descriptor of root/parts[0]/.../parts[-1], following no link below ``root``.

    The root itself may be a link (an operator's choice of data directory); each part must be a
    plain name, the last a regular file, the others directories.
    """
    for part in parts:
        if part in ("", ".", "..") or "/" in part or "\0" in part:
            raise EvidenceAccessError(f"{part!r} is not a plain file name")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | (0 if last else os.O_DIRECTORY)
            where = "/".join(parts[: i + 1])
            try:
                child = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError as e:
                raise EvidenceAccessError(f"{where} does not exist") from e
            except OSError as e:  # ELOOP: a symlink (O_NOFOLLOW); ENOTDIR: a link or file where a directory was
                kind = "file" if last else "directory"
                reason = f"a symbolic link or not a {kind} ({e.strerror})"
                raise EvidenceAccessError(f"{where} is not served: {reason}") from e
            os.close(fd)
            fd = child
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise EvidenceAccessError(f"{'/'.join(parts)} is not a regular file")
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_manifest(root: Path, event_id: str) -> dict[str, Any] | None:
    """The event's manifest, or None while there is none (being written, deleted, or not a plain file)."""
    try:
        fd = open_no_follow(root, (event_id, MANIFEST))
    except EvidenceAccessError:
        return None
    with os.fdopen(fd, "rb") as f:
        raw = f.read()
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:  # not UTF-8 or not JSON: `binwatch verify` reports it; nothing is served from it
        return None
    return data if isinstance(data, dict) else None


def listed_files(manifest: dict[str, Any]) -> list[str]:
    """The files a manifest lists (those binwatch may serve), plus the manifest itself."""
    files = manifest.get("files")
    listed = set(files) if isinstance(files, dict) else set()
    return [n for n in SERVABLE if n in listed or n == MANIFEST]


class NoFollowFileResponse(FileResponse):
    """A FileResponse (ranges, ETag) whose every read opens the file again without following links.

    Starlette opens ``self.path`` for each transfer; this opens root/event_id/name through
    `open_no_follow` instead, so a file swapped for a link after the route checked it is still refused.
    """

    def __init__(self, root: Path, event_id: str, name: str) -> None:
        fd = open_no_follow(root, (event_id, name))
        try:
            st = os.fstat(fd)
        finally:
            os.close(fd)
        super().__init__(root / event_id / name, media_type=MEDIA_TYPES[Path(name).suffix], stat_result=st)
        self._root, self._parts = root, (event_id, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # "pathsend" hands the path to the server, which would open it itself (and follow links)
        extensions = {k: v for k, v in scope.get("extensions", {}).items() if k != "http.response.pathsend"}
        await super().__call__({**scope, "extensions": extensions}, receive, send)

    @asynccontextmanager
    async def _open_file(self) -> AsyncIterator[anyio.AsyncFile[bytes]]:
        fd = await anyio.to_thread.run_sync(open_no_follow, self._root, self._parts)
        file = anyio.wrap_file(os.fdopen(fd, "rb"))
        try:
            yield file
        finally:
            with anyio.CancelScope(shield=True):
                await file.aclose()
