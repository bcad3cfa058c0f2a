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
