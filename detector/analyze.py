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
from runtime.loop import CameraLoop
from streams.decode import FileFrames, StreamError


@dataclass(frozen=True)
class AnalyzeResult:
    events: list[Event]
    frames_decoded: int
    frames_analysed: int
    frames_detected: int
    wall_s: float
    frames_dropped: int = 0  # decoded frames lost on purpose (`--drop`) before the analysis-rate sampling
    analysed_until_s: float = 0.0  # stream time where the frames ended
    missing_s: float = 0.0  # of the file's stated length, with no frame (a file cut short); 0 when whole
    error: str | None = None  # decoding stopped on this error; the result holds the frames before it

    @property
    def complete(self) -> bool:
        return self.missing_s == 0.0 and self.error is None

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
    use_left_objects: bool = True, after_frame: AfterFrame | None = None, *, drop: float = 0.0, drop_seed: int = 0,
) -> AnalyzeResult:  # fmt: skip
    """Analyse every frame of ``video`` at ``fps`` through the live camera loop (`runtime.loop.CameraLoop`,
    the model asked one frame at a time, as the gate decides); ``after_frame`` sees each frame's new events
    (evidence hooks in). ``drop`` % of the decoded frames are lost at random first (seeded by ``drop_seed``),
    as a live camera on a busy machine loses them."""
    analyzer = CameraAnalyzer(camera, camera.schedule, fps, use_left_objects=use_left_objects)
    loop = CameraLoop(analyzer, lambda frame: detector.detect([frame.bgr])[0])
    events: list[Event] = []
    t0 = time.perf_counter()
    frames = FileFrames(video, fps, drop=drop, drop_seed=drop_seed)
    error = None
    try:
        for frame in frames:
            new = loop.step(frame, start + dt.timedelta(seconds=frame.t_s))
            events.extend(new)
            if after_frame is not None:
                after_frame(analyzer, frame.t_s, new)
    except StreamError as e:
        if frames.decoded == 0:
            raise
        error = str(e)  # what was found before the damage is kept and reported, not thrown away
    return AnalyzeResult(
        events, frames.decoded, loop.frames_seen, loop.frames_detected, time.perf_counter() - t0, frames.dropped,
        analysed_until_s=frames.end_s, missing_s=0.0 if error else frames.missing_s, error=error,
    )  # fmt: skip


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
        "frames_dropped": result.frames_dropped,
        "complete": result.complete,
        "analysed_until_s": round(result.analysed_until_s, 3),
        "missing_s": round(result.missing_s, 3),
        "error": result.error,
        "wall_s": round(result.wall_s, 3),
        "events": dict(Counter(e.kind.value for e in starts)),
        "warnings": dict(Counter(e.kind.value for e in warnings)),
        **extra,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
