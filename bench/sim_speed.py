"""How fast `binwatch sim` renders: a 60-s 1280x720 10-fps clip must take under 60 s on 2 cores.

Prints wall seconds per scenario and the ratio render time / clip duration (target < 1.0), all
measured in this one run.

    .venv/bin/python bench/sim_speed.py [--scenarios littering,crowd,night_littering]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sim.clip import write_clip
from sim.scenarios import Scenario
from sim.scene import SimSpec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="littering,crowd,night_littering")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
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
