"""Ghosts on real footage: the shared real clip analysed from many starting moments (issue 15, 3).

A live camera starts, reconnects and restarts at any moment, often while someone is in view or a
shadow lies on the ground. The shared Intel clip (six people come to a table one at a time and leave;
nothing is left behind) is analysed with the shared COCO model through the left-object path, starting
every ``--step`` seconds from 0 to ``--last``, each start to the clip's end. Every event is a false one.

The model runs once over the clip at the analysis rate; each start then replays the same frames through
`runtime.loop.CameraLoop`, whose model answers are that run's (the same model on the same frame gives
the same boxes), so 27 starts cost one model pass.

    BINWATCH_EVAL_DATA=../shared/data/eval .venv/bin/python bench/ghosts.py [--step 5] [--last 130]
    BINWATCH_EVAL_DATA=../shared/data/eval .venv/bin/python bench/ghosts.py --random 40 [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from detector.analyze import default_camera
from detector.detections import Detections
from detector.pipeline import CameraAnalyzer
from detector.rules.events import EventState
from detector.yolo import YoloDetector
from runtime.loop import CameraLoop
from streams.decode import FileFrames, Frame, Luma

CLIP = "intel-sample-video/one-by-one-person-detection.mp4"
MODEL = "coco-yolov8n-int8/yolov8n_int8.onnx"
MODEL_IMGSZ = 640  # the COCO model's own input size
START = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)  # wall clock of the clip's first frame (no schedule)


@dataclass(frozen=True)
class Replay:
    """The clip's analysed frames (pictures kept, colour dropped) and the model's answer for each."""

    frames: list[Frame]
    detections: dict[int, Detections]


def model_pass(video: Path, model: Path, fps: float, imgsz: int) -> Replay:
    detector = YoloDetector(model, imgsz=imgsz)
    frames, dets = [], {}
    for f in FileFrames(video, fps):
        dets[f.index] = detector.detect([f.bgr])[0]
        luma = None if f.luma is None else Luma(f.luma.plane.copy(), f.luma.tv_range)  # the decoder reuses it
        # A copied 1x1 stand-in for the colour picture: a view of it would keep the whole frame alive.
        frames.append(Frame(f.index, f.t_s, f.bgr if luma is None else f.bgr[:1, :1].copy(), luma=luma))
    return Replay(frames, dets)


def events_from(replay: Replay, video: Path, start_s: float, fps: float) -> list[str]:
    camera = default_camera(video)
    loop = CameraLoop(CameraAnalyzer(camera, camera.schedule, fps), lambda f: replay.detections[f.index])
    found = []
    for f in replay.frames:
        if f.t_s + 1e-6 < start_s:
            continue
        for e in loop.step(f, START + dt.timedelta(seconds=f.t_s)):
            if e.state is EventState.START:
                found.append(f"{e.kind.value}@{e.t_s:.1f}s {[round(v) for v in e.bbox]}")
    return found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=None, help="default: $BINWATCH_EVAL_DATA")
    ap.add_argument("--step", type=float, default=5.0)
    ap.add_argument("--last", type=float, default=130.0)
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument(
        "--random",
        type=int,
        default=0,
        metavar="N",
        help="N starting moments drawn at random in [0, --last] instead of every --step",
    )
    ap.add_argument("--seed", type=int, default=None, help="seed of --random's draw (default: a new one, printed)")
    args = ap.parse_args()
    root = args.data or Path(os.environ.get("BINWATCH_EVAL_DATA", "../shared/data/eval"))
    video, model = root / CLIP, root / MODEL
    for f in (video, model):
        if not f.is_file():
            raise SystemExit(f"missing {f} (expected the shared evaluation data; set BINWATCH_EVAL_DATA)")
    t0 = time.perf_counter()
    replay = model_pass(video, model, args.fps, MODEL_IMGSZ)
    print(f"model pass: {len(replay.frames)} frames in {time.perf_counter() - t0:.0f} s", flush=True)
    if args.random > 0:
        seed = secrets.randbelow(100_000) if args.seed is None else args.seed
        rng = random.Random(seed)
        starts = sorted(round(rng.uniform(0, args.last), 2) for _ in range(args.random))
        print(f"{args.random} random starts, seed {seed} (repeat: --random {args.random} --seed {seed})", flush=True)
    else:
        starts = [k * args.step for k in range(int(args.last / args.step) + 1)]
    total, with_events = 0, 0
    for s in starts:
        found = events_from(replay, video, s, args.fps)
        total += len(found)
        with_events += bool(found)
        print(f"start {s:5.1f} s: {len(found)} events {', '.join(found)}", flush=True)
    print(f"{len(starts)} starts, {with_events} with an event, {total} events in all (every one false; target 0)")


if __name__ == "__main__":
    main()
