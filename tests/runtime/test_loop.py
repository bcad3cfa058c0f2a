"""The one camera loop (CameraLoop): the gate decides, the model is asked only then, every frame is analysed."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from config import CameraConfig
from detector.detections import Detections, Role
from detector.pipeline import CameraAnalyzer
from detector.rules.events import Event, EventKind, EventState
from runtime.loop import CameraLoop
from streams.decode import Frame

START = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)
FPS = 5.0
W, H = 320, 180
GROUND = 90
Box = tuple[float, float, float, float]


def loop_with(detect: Callable[[Frame], Detections | None]) -> CameraLoop:
    """A real analyzer of a camera whose whole frame is no_dump (the default zones), rules at their defaults."""
    analyzer = CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, FPS, use_left_objects=False)
    return CameraLoop(analyzer, detect)


def picture(*boxes: Box, value: int = 200) -> NDArray[np.uint8]:
    """Grey ground with each box painted bright (what the model would see there)."""
    bgr = np.full((H, W, 3), GROUND, np.uint8)
    for x1, y1, x2, y2 in boxes:
        bgr[max(0, int(y1)) : int(y2), max(0, int(x1)) : int(x2)] = value
    return bgr


def frame(i: int, bgr: NDArray[np.uint8]) -> Frame:
    return Frame(i, i / FPS, bgr, camera_id="cam")


def detections(people: list[Box], garbage: list[Box]) -> Detections:
    boxes = people + garbage
    return Detections(
        np.asarray(boxes, np.float32).reshape(-1, 4),
        np.full(len(boxes), 0.9, np.float32),
        np.asarray([Role.PERSON] * len(people) + [Role.GARBAGE] * len(garbage), np.int64),
    )


def step_all(loop: CameraLoop, pictures: list[NDArray[np.uint8]]) -> list[Event]:
    """Every frame through the loop, at FPS from START; the events that came out."""
    return [
        e for i, bgr in enumerate(pictures) for e in loop.step(frame(i, bgr), START + dt.timedelta(seconds=i / FPS))
    ]


def test_the_model_is_asked_on_motion_only_when_nobody_is_in_view() -> None:
    """Still frames with nobody in view are spared; a flash (and its going) is sent; every frame is analysed."""
    asked: list[int] = []

    def detect(f: Frame) -> Detections:
        asked.append(f.index)
        return Detections.empty()

    loop = loop_with(detect)
    ground, flash = picture(), picture((100, 40, 220, 120), value=230)
    step_all(loop, [ground] * 5 + [flash] + [ground] * 6)
    assert asked == [0, 5, 6]  # the first frame, the flash, its going
    assert (loop.frames_seen, loop.frames_detected, loop.detector_errors) == (12, 3, 0)
    assert [k.t_s for k in loop.history] == [i / FPS for i in range(12)]


def test_a_frame_the_model_gives_no_answer_for_counts_as_an_error_and_is_analysed_as_skipped() -> None:
    """The model sees the bag once, then fails on every frame (the scene keeps moving, so the gate keeps
    asking): each failure is counted, the last boxes stand in, and the rules' clocks run on, so the
    littering is confirmed after dwell_s all the same."""
    bag: Box = (150, 140, 170, 160)
    calls: list[int] = []

    def detect(f: Frame) -> Detections | None:
        calls.append(f.index)
        return detections([], [bag]) if f.index == 0 else None

    loop = loop_with(detect)
    flicker = [picture(bag, (0, 0, 60, 40)), picture(bag, (260, 0, 320, 40))]  # a light far from the bag
    events = step_all(loop, [flicker[i % 2] for i in range(60)])
    assert calls == list(range(60))
    assert (loop.detector_errors, loop.frames_seen, loop.frames_detected) == (59, 60, 1)
    assert loop.history[-1].t_s == 59 / FPS and len(loop.history[-1].objects) == 1
    assert [(e.kind, e.state, e.t_s) for e in events] == [(EventKind.LITTERING, EventState.START, 10.0)]


def test_a_littering_comes_out_of_the_steps() -> None:
    """Someone walks in carrying a bag, sets it down at 2 s and walks out of the frame to the left; the
    bag rests. The model is asked while the person is in view, on the frame they are gone (motion) and
    for a second of settling after it (the last boxes hold garbage); then still frames with nobody in
    view spare it, the bag's last boxes stand in, and the littering is confirmed dwell_s (10 s) after
    the bag came to rest. The on-the-spot warning came first, while the person was still in view."""
    dropped_at = 10  # frame index: 2 s
    bag_down: Box = (100, 145, 115, 160)  # on the ground at the person's feet

    def scene(i: int) -> tuple[list[Box], list[Box]]:
        """(people, garbage) in frame i: what is painted and what the model answers."""
        if i < dropped_at:  # walking right, 4 px a frame, the bag in hand (lifted, beside the body)
            x = 20 + 4 * i
            return [(x, 60, x + 40, 160)], [(x + 40, 110, x + 55, 125)]
        x = 60 - 15 * (i - dropped_at)  # walking left out of the frame, 15 px a frame
        return ([(x, 60, x + 40, 160)] if x + 40 > 0 else []), [bag_down]

    asked: list[int] = []

    def detect(f: Frame) -> Detections:
        asked.append(f.index)
        return detections(*scene(f.index))

    loop = loop_with(detect)
    n = round(14 * FPS)
    events = step_all(loop, [picture(*(b for boxes in scene(i) for b in boxes)) for i in range(n)])
    gone = next(i for i in range(n) if not scene(i)[0])  # the first frame without the person
    assert asked == list(range(gone + 1 + round(FPS)))  # in view, their going (motion), a second of settling
    assert [(e.kind, e.state) for e in events] == [
        (EventKind.LITTERING, EventState.WARNING),
        (EventKind.LITTERING, EventState.START),
    ]
    warning, start = events
    assert warning.t_s < gone / FPS
    assert start.t_start_s == dropped_at / FPS and start.t_s == start.t_start_s + 10.0
    assert start.event_id == warning.event_id and start.owner_track is not None
    assert loop.detector_errors == 0


def _walk_drop_leave(t: float) -> tuple[list[Box], list[Box]]:
    """(people, garbage) at time t: walks right with a bag in hand, sets it down at 2 s, leaves to the left."""
    if t < 2.0:
        x = 20 + 20 * t
        return [(x, 60, x + 40, 160)], [(x + 40, 110, x + 55, 125)]
    x = 60 - 75 * (t - 2.0)
    return ([(x, 60, x + 40, 160)] if x + 40 > 0 else []), [(100, 145, 115, 160)]


@pytest.mark.parametrize(
    "times",
    [
        [i / 5 for i in range(70)],  # every frame at 5 fps
        [i / 5 for i in range(70) if np.random.default_rng(3).random(70)[i] >= 0.3],  # 30 % lost at random
        [i / 5 for i in range(70) if np.random.default_rng(8).random(70)[i] >= 0.3],
        [i / 2 for i in range(28)],  # analysed at 2 fps
        [i / 5 for i in range(70) if not 11 <= i < 26],  # the stream stalls for 3 s as the person leaves
    ],
    ids=["all", "lose-30-a", "lose-30-b", "2-fps", "3-s-stall"],
)
def test_the_rules_keep_time_across_lost_frames(times: list[float]) -> None:
    """Frames lost (a busy machine, a slow analysis rate, a stalled stream) leave gaps, but the rules count
    stream time, not frames: the littering is confirmed dwell_s after the first frame that shows the bag
    at rest, and no later than the gap after that."""
    loop = loop_with(lambda f: detections(*_walk_drop_leave(f.t_s)))
    events = []
    for t in times:
        bgr = picture(*(b for boxes in _walk_drop_leave(t) for b in boxes))
        events += loop.step(Frame(round(t * 10), t, bgr, camera_id="cam"), START + dt.timedelta(seconds=t))
    (start,) = [e for e in events if e.state is EventState.START]
    seen_down = min(t for t in times if t >= 2.0)
    largest_gap = max(b - a for a, b in itertools.pairwise(times))
    assert seen_down <= start.t_start_s <= seen_down + largest_gap, (start.t_start_s, seen_down)
    assert start.t_start_s + 10.0 <= start.t_s <= start.t_start_s + 10.0 + largest_gap + 1e-6
