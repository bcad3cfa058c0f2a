"""Time of `binwatch check-config` on a large city config (issue 16: at most 2 s for 1 MB).

The config is the example city's 61 communities repeated under new ids until the file reaches the
size asked (1 MB: about 900 communities and 2,000 cameras). Runs the command as a user would, in a
fresh interpreter, N times, and prints the wall time and the CPU time (user + system) of each run,
with the CPU median against the target: on a loaded machine the wall time says more about the load
than about the command.

    .venv/bin/python bench/check_config.py [--bytes 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import copy
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent.parent
TARGET_S = 2.0


def large_city_yaml(size: int) -> str:
    """A valid city config of at least ``size`` bytes, ``communities`` last and in block style."""
    city: dict[str, Any] = yaml.safe_load((HERE / "config" / "example-city.yaml").read_text(encoding="utf-8"))
    base = city.pop("communities")
    text, communities, copy_no = "", [], 0
    while len(text.encode()) < size:
        copy_no += 1
        for c in base:
            c = copy.deepcopy(c)
            c["id"] = f"x{copy_no}-{c['id']}"
            for p in c["points"]:
                p["id"] = f"x{copy_no}-{p['id']}"
                for cam in p["cameras"]:
                    cam["id"] = f"x{copy_no}-{cam['id']}"
            communities.append(c)
        text = yaml.safe_dump({**city, "communities": communities}, allow_unicode=True, sort_keys=False)
    return text


def timed_check(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `binwatch check-config` run (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "service", "check-config", str(path)], cwd=HERE,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise SystemExit(f"check-config failed ({run.returncode}): {run.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bytes", type=int, default=1_000_000, help="size of the config (default 1000000)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "city.yaml"
        path.write_text(large_city_yaml(args.bytes), encoding="utf-8")
        print(f"{path.stat().st_size:,} bytes of city config")
        cpu = []
        for i in range(args.runs):
            wall, c = timed_check(path)
            cpu.append(c)
            print(f"run {i + 1}: wall {wall:.2f} s, CPU {c:.2f} s")
    median = statistics.median(cpu)
    verdict = "met" if median <= TARGET_S else "MISSED"
    print(f"check-config CPU median {median:.2f} s (target <= {TARGET_S:g} s): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
