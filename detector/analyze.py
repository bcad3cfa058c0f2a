"""Analyse one video file as fast as possible and write its confirmed events (`binwatch analyze`).

Besides `events.jsonl` (the CLI contract) it writes `warnings.jsonl`: the on-the-spot warnings the
speakers would have said, in the same form (a warning's `t_s` is when it was said; the event
confirmed later for that garbage has the same `event_id`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from config import CameraConfig, Zones
from detector.pipeline import CameraAnalyzer
from detector.rules.events import Event, EventState
from detector.yolo import YoloDetector
from streams.decode import FileFrames, Frame

BATCH = 8


@dataclass(frozen=True)
class AnalyzeResult:
    events: list[Event]
    frames_decoded: int
    frames_analysed: int
    frames_detected: int
    wall_s: float

    def in_state(self, state: EventState) -> list[Event]:
        return [e for e in self.events if e.state is state]


def default_camera(video: Path) -> CameraConfig:
    """Without a camera config: the whole frame is no_dump, no bins, no schedule."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", video.stem.lower()).strip("-_")[:50] or "video"
    return CameraConfig(id=f"file-{slug}", name=video.name, source=str(video), zones=Zones())


def event_record(e: Event) -> dict[str, object]:
    return {
        "event_id": e.event_id,
        "camera_id": e.camera_id,
        "kind": e.kind.value,
        "t_s": round(e.t_s, 3),
        "t_start_s": round(e.t_start_s, 3),
        "wall": e.wall.isoformat(),
        "bbox": [round(v, 1) for v in e.bbox],
        "score": round(e.score, 4),
        "zone": e.zone,
        "owner_track": e.owner_track,
    }


AfterFrame = Callable[[CameraAnalyzer, float, list[Event]], None]


def analyze_file(
    video: Path, camera: CameraConfig, detector: YoloDetector, start: dt.datetime, fps: float,
    use_left_objects: bool = True, after_frame: AfterFrame | None = None,
) -> AnalyzeResult:  # fmt: skip
    """Analyse every frame of ``video`` at ``fps``; ``after_frame`` sees each frame's new events (evidence hooks in)."""
    analyzer = CameraAnalyzer(camera, camera.schedule, fps, use_left_objects=use_left_objects)
    events: list[Event] = []
    t0 = time.perf_counter()
    frames = FileFrames(video, fps)
    batch: list[Frame] = []

    def flush() -> None:
        need = [analyzer.needs_detection(f.picture) for f in batch]
        dets = iter(detector.detect([f.bgr for f, n in zip(batch, need, strict=True) if n]))
        for f, n in zip(batch, need, strict=True):
            wall = start + dt.timedelta(seconds=f.t_s)
            new = analyzer.process(f.picture, f.t_s, wall, next(dets) if n else None)
            events.extend(new)
            if after_frame is not None:
                after_frame(analyzer, f.t_s, new)
        batch.clear()

    for frame in frames:
        batch.append(frame)
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    return AnalyzeResult(
        events, frames.decoded, analyzer.frames_seen, analyzer.frames_detected, time.perf_counter() - t0
    )


def write_outputs(result: AnalyzeResult, out: Path, extra: dict[str, object]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    starts, warnings = result.in_state(EventState.START), result.in_state(EventState.WARNING)
    for name, events in (("events.jsonl", starts), ("warnings.jsonl", warnings)):
        with (out / name).open("w", encoding="utf-8") as f:
            for e in events:
                f.write(json.dumps(event_record(e), ensure_ascii=False) + "\n")
    summary = {
        "frames_decoded": result.frames_decoded,
        "frames_analysed": result.frames_analysed,
        "frames_detected": result.frames_detected,
        "wall_s": round(result.wall_s, 3),
        "events": dict(Counter(e.kind.value for e in starts)),
        "warnings": dict(Counter(e.kind.value for e in warnings)),
        **extra,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
