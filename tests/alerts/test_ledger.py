"""The custody ledger: hash-chained, append-only, safe under concurrent writers; tampering is named."""

from __future__ import annotations

import hashlib
import itertools
import threading
from pathlib import Path

from alerts.digests import digest_file
from alerts.ledger import CustodyLedger, LedgerAction


def _ledger(tmp_path: Path, n: int = 5) -> CustodyLedger:
    ledger = CustodyLedger(tmp_path / "ledger.jsonl")
    for i in range(n):
        ledger.append(f"ev-{i}", LedgerAction.CREATED, "binwatch", {"i": i})
    return ledger


def test_entries_chain_by_hash(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    entries = ledger.entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert all(b.prev == a.hash for a, b in itertools.pairwise(entries))
    assert ledger.verify() == []


def test_deleting_a_line_is_named(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    lines = ledger.path.read_text().splitlines()
    ledger.path.write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    assert ledger.verify() == ["ledger before line 3: entry seq 3 removed"]


def test_editing_a_line_is_named(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    ledger.path.write_text(ledger.path.read_text().replace('"i":1', '"i":7'))
    assert ledger.verify() == ["ledger line 2 (seq 2, ev-1): altered (hash mismatch)"]


def test_inserting_a_line_is_named(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    lines = ledger.path.read_text().splitlines()
    ledger.path.write_text("\n".join([*lines[:3], lines[1], *lines[3:]]) + "\n")
    problems = ledger.verify()
    assert "ledger line 4 (seq 2): inserted or reordered" in problems


def test_concurrent_appends_keep_one_chain(tmp_path: Path) -> None:
    ledger = CustodyLedger(tmp_path / "ledger.jsonl")
    other = CustodyLedger(tmp_path / "ledger.jsonl")  # a second writer on the same file

    def write(lg: CustodyLedger, k: int) -> None:
        for i in range(25):
            lg.append(f"ev-{k}-{i}", LedgerAction.VIEWED, f"user{k}")

    threads = [threading.Thread(target=write, args=(lg, k)) for k, lg in enumerate([ledger, other, ledger, other])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e.seq for e in ledger.entries()] == list(range(1, 101))
    assert ledger.verify() == []


def test_sm3_matches_the_standard_test_vector(tmp_path: Path) -> None:
    f = tmp_path / "abc"
    f.write_bytes(b"abc")
    d = digest_file(f)
    # GB/T 32905-2016, appendix A.1
    assert d.sm3 == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert d.sha256 == hashlib.sha256(b"abc").hexdigest() and d.size == 3


def _naive(ledger: CustodyLedger, event_id: str) -> list[str]:
    return [e.hash for e in ledger.entries() if e.event_id == event_id]


def test_one_events_entries_come_from_the_index_as_from_the_whole_file(tmp_path: Path) -> None:
    """Pages of one event's entries, read through the index while the ledger grows (from this object and from
    another, as another process writes), match a filter of the whole file."""
    ledger, other = CustodyLedger(tmp_path / "ledger.jsonl"), CustodyLedger(tmp_path / "ledger.jsonl")
    assert ledger.page_for_event("ev-0", 0, 10) == ([], 0)  # no file yet
    for round_ in range(4):
        for i in range(30):
            (ledger if i % 2 else other).append(f"ev-{i % 3}", LedgerAction.VIEWED, "op", {"r": round_, "i": i})
        for eid in ("ev-0", "ev-1", "ev-2", "ev-9"):
            want = _naive(ledger, eid)
            for offset, limit in ((0, 50), (3, 4), (len(want) - 1, 5), (len(want) + 2, 5)):
                page, total = ledger.page_for_event(eid, offset, limit)
                assert total == len(want) and [e.hash for e in page] == want[offset : offset + limit], (eid, offset)
            assert [e.hash for e in other.for_event(eid)] == want


def test_the_index_follows_a_replaced_or_shortened_file_and_skips_a_half_line(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path, 6)
    assert ledger.page_for_event("ev-5", 0, 9)[1] == 1
    whole = ledger.path.read_bytes()
    ledger.path.write_bytes(whole + b'{"seq": 7, "event_id": "ev-5"')  # a line still being written
    assert ledger.page_for_event("ev-5", 0, 9)[1] == 1
    ledger.path.write_bytes(whole)
    lines = whole.splitlines(keepends=True)
    ledger.path.write_bytes(b"".join(lines[:3]))  # shortened in place: ev-3..5 are gone
    assert ledger.page_for_event("ev-5", 0, 9) == ([], 0) and ledger.page_for_event("ev-1", 0, 9)[1] == 1
    replacement = tmp_path / "new.jsonl"  # replaced by another file at the same path
    fresh = CustodyLedger(replacement)
    for _ in range(3):
        fresh.append("ev-1", LedgerAction.VIEWED, "op")
    replacement.replace(ledger.path)
    page, total = ledger.page_for_event("ev-1", 0, 9)
    assert total == 3 and [e.actor for e in page] == ["op"] * 3


def test_a_ledger_rewritten_in_place_is_indexed_again(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path, 4)
    assert [e.event_id for e in ledger.for_event("ev-3")] == ["ev-3"]
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    ledger.path.write_bytes(b"".join([lines[3], lines[0], lines[1], lines[2]]))  # same size, another order
    assert [e.seq for e in ledger.for_event("ev-3")] == [4] and [e.seq for e in ledger.for_event("ev-0")] == [1]
