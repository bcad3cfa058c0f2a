"""Cost of turning decoded 1280x720 camera pictures into BGR: swscale (PyAV's to_ndarray) against the
OpenCV conversion `streams.decode.to_bgr` uses, on the same frames, interleaved, in one run.

    .venv/bin/python -m bench.convert [--frames 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import av

from bench.speed import clip
from streams.decode import to_bgr


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path("out/bench-clips"))
    args = ap.parse_args()
    video, _ = clip(args.cache, "crowd")

    def decoded() -> list[av.VideoFrame]:
        # Fresh frames each time: a frame caches its swscale context, and a camera's frames are all new.
        with av.open(str(video)) as container:
            return [f for _, f in zip(range(args.frames), container.decode(video=0), strict=False)]

    swscale, opencv = [], []
    for _ in range(args.rounds):
        frames = decoded()
        t0 = time.perf_counter()
        for f in frames:
            f.to_ndarray(format="bgr24")
        swscale.append((time.perf_counter() - t0) / len(frames) * 1e3)
        frames = decoded()
        t0 = time.perf_counter()
        for f in frames:
            to_bgr(f)
        opencv.append((time.perf_counter() - t0) / len(frames) * 1e3)
    sw, cv = statistics.median(swscale), statistics.median(opencv)
    first = frames[0]
    print(f"{len(frames)} frames {first.width}x{first.height} {first.format.name}, median of {args.rounds} rounds:")
    print(f"  swscale (to_ndarray bgr24) {sw:.2f} ms/frame, to_bgr {cv:.2f} ms/frame: {sw / cv:.1f}x cheaper")


if __name__ == "__main__":
    main()
