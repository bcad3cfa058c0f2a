"""The custody ledger (全程留痕): an append-only, hash-chained JSON-lines file.

Every entry carries the SHA-256 of the previous entry (``prev``) and its own hash over its canonical
JSON, so editing, deleting or inserting any line breaks the chain at a place `verify` can name.
Appends are serialised across threads (a lock) and processes (flock) and fsynced before returning.

Entries that record a read (viewed, downloaded) are best effort: when one cannot be written (a full
disk), the failure is logged and counted (``failed_reads``, on /metrics) and the read goes on, so a
full disk never locks officers out of the evidence. Every other entry raises.

One event's entries are found through an index of where each event's lines start, brought up to date
from the bytes appended since it was last read (by this process or any other): every view of an event
appends an entry, and reading the whole ledger for each made a view cost as much as the ledger is long.
A file that shrank or was replaced is indexed again from its start.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from alerts.digests import sha256_hex

GENESIS = "0" * 64
log = logging.getLogger("binwatch.ledger")


class LedgerAction(StrEnum):
    CREATED = "created"  # evidence written and complete
    RECOVERED = "recovered"  # complete evidence found at start-up without its creation entry
    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    EXPORTED = "exported"
    VERDICT = "verdict"
    DELETED = "deleted"


READ_ACTIONS = frozenset({LedgerAction.VIEWED, LedgerAction.DOWNLOADED})  # best effort: see the module docstring


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    time_utc: str
    event_id: str
    action: LedgerAction
    actor: str
    detail: dict[str, Any]
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "time_utc": self.time_utc, "event_id": self.event_id, "action": self.action.value,
            "actor": self.actor, "detail": self.detail, "prev": self.prev,
        }  # fmt: skip


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(body: dict[str, Any]) -> str:
    return sha256_hex(_canonical(body))


class CustodyLedger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.failed_reads = 0  # read entries (viewed, downloaded) that could not be written
        self._index_lock = threading.Lock()
        self._indexed: tuple[int, int] = (-1, 0)  # (inode, bytes) of the file the index covers
        self._lines: dict[str, list[int]] = {}  # event id -> byte offsets of its lines, in order

    def append(
        self, event_id: str, action: LedgerAction, actor: str, detail: dict[str, Any] | None = None
    ) -> LedgerEntry | None:
        """Append one entry; None only for a read entry that could not be written (logged and counted)."""
        if action not in READ_ACTIONS:
            return self._append(event_id, action, actor, detail)
        try:
            return self._append(event_id, action, actor, detail)
        except OSError as e:
            with self._lock:
                self.failed_reads += 1
            log.error("custody ledger %s: cannot record that %s %s %s (the read goes on): %s",
                      self.path, actor, action.value, event_id, e)  # fmt: skip
            return None

    def _append(self, event_id: str, action: LedgerAction, actor: str, detail: dict[str, Any] | None) -> LedgerEntry:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                last = _last_line(f)
                if last is None:
                    seq, prev = 1, GENESIS
                else:
                    head = json.loads(last)
                    seq, prev = int(head["seq"]) + 1, str(head["hash"])
                body = {
                    "seq": seq, "time_utc": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                    "event_id": event_id, "action": action.value, "actor": actor, "detail": detail or {}, "prev": prev,
                }  # fmt: skip
                h = entry_hash(body)
                _write_line(f.fileno(), _canonical({**body, "hash": h}) + b"\n")
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        return LedgerEntry(seq, str(body["time_utc"]), event_id, action, actor, dict(detail or {}), prev, h)

    def entries(self) -> list[LedgerEntry]:
        """Every entry that parses (verify() reports the ones that do not)."""
        out = []
        for _, entry, _ in self._read():
            if entry is not None:
                out.append(entry)
        return out

    def for_event(self, event_id: str) -> list[LedgerEntry]:
        return self.page_for_event(event_id, 0, 2**62)[0]

    def page_for_event(self, event_id: str, offset: int, limit: int) -> tuple[list[LedgerEntry], int]:
        """One event's entries ``offset`` .. ``offset + limit - 1`` in order, and how many it has in all
        (lines that do not parse are left out, as by :meth:`entries`)."""
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            return [], 0
        with f, self._index_lock:
            for _ in range(2):
                starts = self._index(f).get(event_id, [])
                page = []
                for start in starts[offset : offset + limit]:
                    f.seek(start)
                    entry = _parse(f.readline())
                    if entry is not None:
                        page.append(entry)
                if all(e.event_id == event_id for e in page):
                    break
                self._indexed = (-1, 0)  # the file was rewritten in place: index it again, once
            return page, len(starts)

    def _index(self, f: Any) -> dict[str, list[int]]:
        """The index, brought up to date with ``f`` (the ledger, open): only the bytes after those indexed
        are read, unless the file is another one or shorter than indexed."""
        st = os.fstat(f.fileno())
        inode, done = self._indexed
        if st.st_ino != inode or st.st_size < done:
            self._lines, done = {}, 0
        f.seek(done)
        for raw in f:
            if not raw.endswith(b"\n"):  # a line being written: index it once whole
                break
            entry = _parse(raw)
            if entry is not None:
                self._lines.setdefault(entry.event_id, []).append(done)
            done += len(raw)
        self._indexed = (st.st_ino, done)
        return self._lines

    def verify(self) -> list[str]:
        """Problems in the chain, each naming the line and what happened there; empty when intact."""
        problems: list[str] = []
        prev, expected_seq = GENESIS, 1
        for line_no, entry, error in self._read():
            if entry is None:
                problems.append(f"ledger line {line_no}: altered ({error})")
                prev, expected_seq = "?", expected_seq + 1
                continue
            if entry_hash(entry.body()) != entry.hash:
                problems.append(f"ledger line {line_no} (seq {entry.seq}, {entry.event_id}): altered (hash mismatch)")
            if entry.seq > expected_seq:
                missing = f"{expected_seq}" if entry.seq == expected_seq + 1 else f"{expected_seq}..{entry.seq - 1}"
                problems.append(f"ledger before line {line_no}: entry seq {missing} removed")
            elif entry.seq < expected_seq:
                problems.append(f"ledger line {line_no} (seq {entry.seq}): inserted or reordered")
            elif prev not in ("?", entry.prev):
                problems.append(f"ledger line {line_no} (seq {entry.seq}): chain broken (prev does not match)")
            prev, expected_seq = entry.hash, max(expected_seq, entry.seq) + 1
        return problems

    def _read(self) -> list[tuple[int, LedgerEntry | None, str]]:
        if not self.path.exists():
            return []
        rows: list[tuple[int, LedgerEntry | None, str]] = []
        for i, raw in enumerate(self.path.read_bytes().splitlines(), start=1):
            try:
                rows.append((i, _entry(raw), ""))
            except (ValueError, KeyError, TypeError) as e:
                rows.append((i, None, f"not a ledger entry: {e}"))
        return rows


def _entry(raw: bytes) -> LedgerEntry:
    d = json.loads(raw)
    return LedgerEntry(
        int(d["seq"]), str(d["time_utc"]), str(d["event_id"]), LedgerAction(d["action"]),
        str(d["actor"]), dict(d["detail"]), str(d["prev"]), str(d["hash"]),
    )  # fmt: skip


def _parse(raw: bytes) -> LedgerEntry | None:
    """The entry on a line, or None when it is not one (verify() names those)."""
    try:
        return _entry(raw)
    except (ValueError, KeyError, TypeError):
        return None


def _write_line(fd: int, line: bytes) -> None:
    """Append ``line`` whole and fsync it, or leave the file as it was (a full disk must not leave half a
    line, which would break the chain for every later entry)."""
    end = os.lseek(fd, 0, os.SEEK_END)
    try:
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError:
        os.ftruncate(fd, end)
        raise


def _last_line(f: Any) -> bytes | None:
    f.seek(0, os.SEEK_END)
    end = f.tell()
    if end == 0:
        return None
    pos, chunk = end, b""
    while pos > 0:
        step = min(4096, pos)
        pos -= step
        f.seek(pos)
        chunk = f.read(step) + chunk
        lines = chunk.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or pos == 0:
            return bytes(lines[-1])
    return bytes(chunk.rstrip(b"\n"))
