"""A case package for enforcement (移交): the evidence of some events, checkable with standard tools.

case.zip
  originals/<event_id>/original.mp4, snapshot.jpg        the camera's own data
  derived/<event_id>/annotated.mp4, snapshot-annotated.jpg
  manifests/<event_id>/manifest.json                     as written at creation
  ledger-extract.jsonl                                    custody entries of these events (hash-chained)
  review.json                                             reviews and cases from the records
  evidence-list.csv                                       清单: every file with size, SHA-256 and SM3
  SHA256SUMS, SM3SUMS, VERIFY.md                          how to check each hash
Evidence is verified before it is packed; exporting is itself entered in the ledger.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alerts.digests import digest_file
from alerts.evidence import MANIFEST, EvidenceError, EvidenceStore
from alerts.ledger import LedgerAction

ORIGINALS = ("original.mp4", "snapshot.jpg")

VERIFY_MD = """# Checking this case package

Every evidence file is listed in `evidence-list.csv` (证据清单) with its size, SHA-256 and SM3, and in
`SHA256SUMS` / `SM3SUMS`. In a terminal, inside the unpacked folder:

```sh
sha256sum -c SHA256SUMS                     # every line must say OK
openssl dgst -sm3 originals/*/original.mp4  # compare with SM3SUMS / evidence-list.csv
```

`originals/` holds the camera's own encoded video (stream copy, not re-encoded) and the frame at
confirmation; `derived/` holds copies drawn over by binwatch (boxes, zones, time), made from the
original whose hash the manifest gives. `manifests/<event>/manifest.json` says where, when (UTC and
local time, clock source), with which software, model and rule thresholds the event was found.
`ledger-extract.jsonl` lists every custody entry of these events (creation, views, downloads,
verdicts, this export); each entry's `hash` is the SHA-256 of its other fields and `prev` links to
the entry before it in the monitoring center's full ledger, which `binwatch verify` checks.
"""


def export_case(
    store: EvidenceStore, event_ids: Sequence[str], out: Path, actor: str, records: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write the package to ``out`` (atomically); returns its summary. EvidenceError if anything fails to verify."""
    if not event_ids:
        raise EvidenceError("name at least one event to export")
    problems, _ = store.verify(list(event_ids))
    if problems:
        raise EvidenceError("refusing to export evidence that does not verify: " + "; ".join(map(str, problems)))
    rows: list[dict[str, Any]] = []
    sums = {"sha256": [], "sm3": []}  # type: dict[str, list[str]]
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for eid in event_ids:
            d = store.directory(eid)
            manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
            z.write(d / MANIFEST, f"manifests/{eid}/{MANIFEST}")
            for name, f in sorted(manifest["files"].items()):
                role = "original" if name in ORIGINALS else "derived"
                arc = f"{'originals' if role == 'original' else 'derived'}/{eid}/{name}"
                z.write(d / name, arc)
                rows.append({
                    "event_id": eid, "file": arc, "role": role, "size": f["size"], "sha256": f["sha256"],
                    "sm3": f["sm3"], "camera_id": manifest["event"]["camera_id"],
                    "community": manifest["place"].get("community", ""), "kind": manifest["event"]["kind"],
                    "window_local": " / ".join(manifest["window"]["local"]),
                })  # fmt: skip
                sums["sha256"].append(f"{f['sha256']}  {arc}")
                sums["sm3"].append(f"SM3({arc})= {f['sm3']}")
        entries = [e for e in store.ledger.entries() if e.event_id in set(event_ids)]
        z.writestr("ledger-extract.jsonl", "".join(json.dumps({**e.body(), "hash": e.hash}, ensure_ascii=False) + "\n"
                                                   for e in entries))  # fmt: skip
        z.writestr("review.json", json.dumps(records or {}, indent=2, ensure_ascii=False, default=str) + "\n")
        listing = io.StringIO()
        writer = csv.DictWriter(listing, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        z.writestr("evidence-list.csv", "\ufeff" + listing.getvalue())  # BOM: Excel opens Chinese text correctly
        z.writestr("SHA256SUMS", "\n".join(sums["sha256"]) + "\n")
        z.writestr("SM3SUMS", "\n".join(sums["sm3"]) + "\n")
        z.writestr("VERIFY.md", VERIFY_MD)
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, out)
    package = digest_file(out)
    for eid in event_ids:
        store.ledger.append(eid, LedgerAction.EXPORTED, actor, {"package": out.name, "package_sha256": package.sha256})
    return {"package": str(out), "events": len(event_ids), "files": len(rows), "sha256": package.sha256}
