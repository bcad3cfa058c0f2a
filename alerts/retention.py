"""Retention: delete evidence older than its kind's limit, except under legal hold or in an open case.

Each deletion is entered in the custody ledger (who, why, the manifest's hash) before the files go,
so the ledger still tells what existed; `verify` then treats the event as deleted, not tampered with.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass

from alerts.digests import digest_file
from alerts.evidence import MANIFEST, EvidenceStore
from alerts.ledger import LedgerAction
from config import RetentionPolicy


@dataclass(frozen=True)
class RetentionResult:
    deleted: list[str]
    kept_held: list[str]  # past their limit but held (legal hold / open case)
    kept_young: int


def apply_retention(
    store: EvidenceStore, policy: RetentionPolicy, held: set[str], now: dt.datetime, actor: str = "retention",
    dry_run: bool = False,
) -> RetentionResult:  # fmt: skip
    deleted, kept_held, young = [], [], 0
    for d in sorted(p for p in store.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
        kind = manifest["event"]["kind"]
        when = dt.datetime.fromisoformat(manifest["event"]["confirmed_utc"])
        days = policy.days.get(kind)
        if days is None or now - when < dt.timedelta(days=days):
            young += 1
            continue
        if d.name in held:
            kept_held.append(d.name)
            continue
        deleted.append(d.name)
        if dry_run:
            continue
        store.ledger.append(d.name, LedgerAction.DELETED, actor, {
            "reason": f"retention: {kind} evidence is kept {days} days",
            "confirmed_utc": when.isoformat(), "manifest_sha256": digest_file(d / MANIFEST).sha256,
        })  # fmt: skip
        shutil.rmtree(d)
    return RetentionResult(deleted, kept_held, young)
