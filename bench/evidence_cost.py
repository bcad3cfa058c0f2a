"""Cost of one event's evidence (issue 4): the original clip must take <= 50 ms for 30 s of 1280x720.

Measures, in one run, on the 1280x720 25-fps bench clip: cutting 30 s of packets and remuxing them
(stream copy), the annotated H.264 copy, and SHA-256 + SM3 of all files. Prints medians of --runs.

    .venv/bin/python bench/evidence_cost.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from alerts.evidence import EvidenceContext, EvidenceRequest, EvidenceStore
from bench.speed import clip
from detector.rules.events import Event, EventKind
from streams.ring import read_file_packets, remux_to_mp4


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path("out/bench-clips"))
    args = ap.parse_args()
    video, camera = clip(args.cache)
    codec, packets = read_file_packets(video, 0.0, 30.0)
    mb = sum(p.nbytes for p in packets) / 1e6
    print(f"30 s of {codec.width}x{codec.height} {codec.codec_name}: {len(packets)} packets, {mb:.1f} MB")
    remux = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            t0 = time.perf_counter()
            remux_to_mp4(packets, codec, Path(tmp) / f"o{i}.mp4")
            remux.append((time.perf_counter() - t0) * 1000)
        full: dict[str, list[float]] = {}
        for i in range(max(1, args.runs // 2)):
            ev = Event.started(camera.id, EventKind.LITTERING, 20.0, dt.datetime.now(dt.UTC), 10.0,
                               (600, 400, 700, 500), 0.9, "no_dump[0]", object_id=i)  # fmt: skip
            rec = EvidenceStore(Path(tmp) / "data").write(
                EvidenceRequest(ev, EvidenceContext(camera.id), codec, packets, [], None)
            )
            for step, ms in rec.write_ms.items():
                full.setdefault(step, []).append(ms)
    med = statistics.median(remux)
    print(f"original clip (cut + stream-copy remux): median {med:.1f} ms over {args.runs} runs; "
          f"target <= 50 ms: ratio {med / 50:.2f} {'PASS' if med <= 50 else 'FAIL'}")  # fmt: skip
    for step, times in full.items():
        print(f"  full evidence step {step}: median {statistics.median(times):.0f} ms")


if __name__ == "__main__":
    main()
