"""Does the live demo show every kind of event within two minutes of the server answering, on every loop,
while a CPU hog holds a core? (issue 15, item 4)

Runs `binwatch run` on the embedded demo (config/demo.yaml, bundled model, SQLite in a fresh data
directory) as a user would, with ``--hogs N`` processes spinning on the CPU beside it, and polls its API
as an operator for ``--minutes``. The demo clips are rendered before the server starts (into ``--clips``,
reused across runs), so the clock starts when the server answers (within `bench.server.START_TIMEOUT_S`),
not when rendering ends.

It prints, per kind, when it was first listed after the server answered (target: within 120 s), and,
per camera, for each loop of its clip that ended within the run, the kinds of its clip's truth that
were not reported in that loop (target: none). An event belongs to the loop in which its garbage came
to rest (`t_start_s` on the camera's stream clock, which keeps counting across loops; a loop lasts the
clip's duration). Also the cameras' dropped frames, as the API reports them.

    .venv/bin/python -m bench.demo_live --hogs 1 --minutes 8
    .venv/bin/python -m bench.demo_live --hogs 0 --minutes 8     # the same without the hog
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.server import PASSWORD, free_port, wait_until_up
from config import load_city_config
from runtime.center import DEMO_CONFIG
from sim.source import resolve_camera

FIRST_WITHIN_S = 120.0
POLL_S = 2.0
HOG = "while True:\n    pass\n"
BINWATCH = Path(sys.executable).with_name("binwatch")  # the venv's command, as a user runs it


@dataclass(frozen=True)
class DemoCamera:
    camera_id: str
    loop_s: float  # the clip's duration: one loop on the camera's stream clock
    kinds: frozenset[str]  # the kinds of its clip's truth


@dataclass(frozen=True)
class Seen:
    """An event as the API listed it, and when it was first listed (seconds after the server answered)."""

    camera_id: str
    kind: str
    t_start_s: float
    listed_s: float


@dataclass(frozen=True)
class Verdict:
    first_listed_s: dict[str, float | None]  # kind -> first listed, seconds after answering (None: never)
    loops: dict[str, int]  # camera -> loops that ended within the run
    missing: dict[str, list[tuple[int, list[str]]]]  # camera -> (loop, kinds not reported in it)

    @property
    def first_ok(self) -> bool:
        return all(t is not None and t <= FIRST_WITHIN_S for t in self.first_listed_s.values())

    @property
    def loops_ok(self) -> bool:
        return not any(self.missing.values())


def judge(cameras: Sequence[DemoCamera], seen: Sequence[Seen], ran_s: Mapping[str, float]) -> Verdict:
    """Which kinds came within FIRST_WITHIN_S, and which loops of each camera lacked a kind of its truth.
    ``ran_s``: how far each camera's stream clock got (`stream_s` of /api/cameras at the end): the loops
    that ended by then are judged."""
    kinds = sorted({k for c in cameras for k in c.kinds})
    first = {k: min((s.listed_s for s in seen if s.kind == k), default=None) for k in kinds}
    loops, missing = {}, {}
    for c in cameras:
        n = int(ran_s.get(c.camera_id, 0.0) // c.loop_s)
        loops[c.camera_id] = n
        got: dict[int, set[str]] = {}
        for s in seen:
            if s.camera_id == c.camera_id:
                got.setdefault(int(s.t_start_s // c.loop_s), set()).add(s.kind)
        missing[c.camera_id] = [
            (i, sorted(c.kinds - got.get(i, set()))) for i in range(n) if c.kinds - got.get(i, set())
        ]
    return Verdict(first, loops, missing)


def demo_cameras(config: Path, clips: Path) -> list[DemoCamera]:
    """The demo's cameras, their clips rendered into ``clips`` (as `binwatch run` renders them)."""
    city = load_city_config(config)
    out = []
    for _, _, cam in city.cameras():
        _, truth = resolve_camera(cam, clips)
        if truth:
            kinds = frozenset(str(e["kind"]) for e in truth["events"])
            out.append(DemoCamera(cam.id, float(truth["duration_s"]), kinds))
    return out


def _get(url: str, token: str) -> Any:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _cli(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(BINWATCH), *args], input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"binwatch {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


@contextmanager
def hogs(n: int) -> Iterator[None]:
    procs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def run(config: Path, clips: Path, n_hogs: int, minutes: float) -> tuple[Verdict, dict[str, Any]]:
    cameras = demo_cameras(config, clips)
    with tempfile.TemporaryDirectory(prefix="binwatch-demo-live-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        (data / "demo-clips").symlink_to(clips.resolve())
        _cli("user", "add", "bench", "--role", "operator", "--password-stdin", "--data", str(data), stdin=PASSWORD)
        token = _cli("user", "token", "bench", "--data", str(data)).splitlines()[-1]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with hogs(n_hogs), (Path(tmp) / "server.log").open("wb") as log:
            t_launch = time.monotonic()
            server = subprocess.Popen(
                [str(BINWATCH), "run", "--config", str(config), "--data", str(data), "--port", str(port)],
                stdout=log, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            try:
                wait_until_up(server, port, Path(tmp) / "server.log")
                t0 = time.monotonic()
                seen: dict[str, Seen] = {}
                health: list[dict[str, Any]] = []
                while time.monotonic() - t0 < minutes * 60:
                    now = time.monotonic() - t0
                    for e in _get(f"{url}/api/events?limit=500", token)["items"]:
                        if e["event_id"] not in seen:
                            seen[e["event_id"]] = Seen(e["camera_id"], e["kind"], float(e["t_start_s"]), now)
                    health = _get(f"{url}/api/cameras", token)
                    time.sleep(POLL_S)
                ran_s = {c["camera_id"]: float(c["stream_s"] or 0.0) for c in health}
            finally:
                server.terminate()
                server.wait(timeout=30)
    extra = {"answered_after_s": t0 - t_launch, "health": health, "events": len(seen)}
    return judge(cameras, list(seen.values()), ran_s), extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--config", type=Path, default=DEMO_CONFIG)
    ap.add_argument("--clips", type=Path, default=Path("out/demo-data/demo-clips"), help="rendered demo clips")
    ap.add_argument("--hogs", type=int, default=1, help="processes spinning on the CPU beside the server")
    ap.add_argument("--minutes", type=float, default=8.0, help="how long to watch after the server answers")
    args = ap.parse_args()
    verdict, extra = run(args.config, args.clips, args.hogs, args.minutes)
    print(f"{os.cpu_count()} CPUs, {args.hogs} hog(s); server answered {extra['answered_after_s']:.1f} s after launch; "
          f"watched {args.minutes:g} min; {extra['events']} events listed")  # fmt: skip
    for kind, t in verdict.first_listed_s.items():
        ok = t is not None and t <= FIRST_WITHIN_S
        when = "never" if t is None else f"{t:.1f} s"
        print(f"{kind:10s} first listed {when} after the server answered (target <= {FIRST_WITHIN_S:g} s): "
              f"{'PASS' if ok else 'FAIL'}")  # fmt: skip
    for cam, n in verdict.loops.items():
        miss = "; ".join(f"loop {i}: no {', '.join(k)}" for i, k in verdict.missing[cam]) or (
            "every kind in every loop" if n else "none to judge"
        )
        h: dict[str, Any] = next((c for c in extra["health"] if c["camera_id"] == cam), {})
        state = f"dropped frames {h.get('dropped', '?')}, state {h.get('state', '?')}"
        print(f"{cam:16s} {n} loops ended: {miss} ({state})")
    loops = ("PASS" if verdict.loops_ok else "FAIL") if any(verdict.loops.values()) else "no loop ended, not judged"
    print(f"every kind within {FIRST_WITHIN_S:g} s: {'PASS' if verdict.first_ok else 'FAIL'}; every loop: {loops}")


if __name__ == "__main__":
    main()
