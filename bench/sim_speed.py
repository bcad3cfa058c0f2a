"""How fast `binwatch sim` renders: a 60-s 1280x720 10-fps clip must take under 60 s on 2 cores.

Prints wall seconds per scenario and the ratio render time / clip duration (target < 1.0), all
measured in this one run. With --encoders, it also encodes the same rendered 1920x1080 frames of one
crowd scene on one thread with the simulator's camera-like settings (a peak bitrate by resolution), with the
same preset under CRF alone (session 14's) and with x264's `veryfast` (the simulator's encoding before
session 14): milliseconds per frame, PSNR against the rendered frames, and Mbit/s.

    .venv/bin/python bench/sim_speed.py [--scenarios littering,crowd,night_littering] [--encoders]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from sim.clip import X264_PARAMS, X264_PRESET, camera_x264_params, write_clip
from sim.scenarios import Scenario
from sim.scene import SimScene, SimSpec
from streams.writer import H264Writer

ENCODERS = {
    "camera-like (sim.clip)": (X264_PRESET, camera_x264_params(1920, 1080, 15.0)),
    "no rate cap (session 14)": (X264_PRESET, X264_PARAMS),
    "veryfast (before)": ("veryfast", ""),
}


def compare_encoders(seed: int, frames: int = 150) -> None:
    """ms per frame and PSNR of each encoder setting on the same rendered 1920x1080 crowd frames."""
    spec = SimSpec(Scenario.CROWD, seed, 1920, 1080, 15.0, 60.0)
    scene = SimScene(spec)
    images = [scene.renderer.render(i / spec.fps, i, with_boxes=False)[0] for i in range(frames)]
    print(f"{frames} frames of {spec.width}x{spec.height} {spec.scenario.value}, crf {scene.layout.crf}, one thread")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (preset, params) in ENCODERS.items():
            path = Path(tmp) / "clip.mp4"
            t0 = time.perf_counter()
            with H264Writer(path, spec.width, spec.height, spec.fps, crf=scene.layout.crf, preset=preset,
                            threads=1, x264_params=params) as w:  # fmt: skip
                for img in images:
                    w.write(img)
            ms = (time.perf_counter() - t0) / frames * 1000
            with av.open(str(path)) as c:
                errors = [np.mean((f.to_ndarray(format="bgr24").astype(np.float32) - ref) ** 2)
                          for f, ref in zip(c.decode(video=0), images, strict=True)]  # fmt: skip
            psnr = float(np.mean([10 * np.log10(255**2 / max(e, 1e-9)) for e in errors]))
            size = path.stat().st_size * 8 / (frames / spec.fps) / 1e6
            print(f"  {name:24s} {ms:6.1f} ms/frame  PSNR {psnr:5.2f} dB  {size:5.2f} Mbit/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="littering,crowd,night_littering")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--encoders", action="store_true", help="also compare the encoder settings (1920x1080)")
    args = ap.parse_args()
    if args.encoders:
        compare_encoders(args.seed)
    print(f"cpus available: {len(os.sched_getaffinity(0))}")
    print(f"{'scenario':16s} {'clip_s':>7s} {'render_s':>9s} {'ratio':>6s}")
    worst = 0.0
    for name in args.scenarios.split(","):
        spec = SimSpec(Scenario(name), args.seed, 1280, 720, 10.0, 60.0)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            write_clip(spec, Path(tmp))
            dt = time.perf_counter() - t0
        ratio = dt / spec.duration
        worst = max(worst, ratio)
        print(f"{name:16s} {spec.duration:7.0f} {dt:9.1f} {ratio:6.2f}")
    print(f"worst render/real-time ratio {worst:.2f} (target < 1.00): {'PASS' if worst < 1 else 'FAIL'}")


if __name__ == "__main__":
    main()
