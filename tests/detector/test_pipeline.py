"""One camera's analysis (CameraAnalyzer): how often its parts look at the frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from config import CameraConfig, RuleParams
from detector.detections import Detections, Role
from detector.person_ids import SeenPerson
from detector.pipeline import LEFT_OBJECT_HZ, CameraAnalyzer, _holder
from tests.detector.test_leftobject import Scene

START = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)


@pytest.mark.parametrize(("analysis_fps", "hz", "looks"), [(5.0, LEFT_OBJECT_HZ, 50), (5.0, 2.0, 20), (10.0, 1.0, 10)])
def test_left_object_detector_looks_at_its_own_rate(analysis_fps: float, hz: float, looks: int) -> None:
    """It looks at its own rate (at most every analysed frame); every frame still reaches the tracker
    and the rules."""
    analyzer = CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, analysis_fps, left_object_hz=hz)
    frame = np.full((180, 320, 3), 90, np.uint8)
    n = round(10 * analysis_fps)
    for i in range(n):
        analyzer.process(frame, i / analysis_fps, START, Detections.empty())
    assert (analyzer.frames_seen, analyzer.frames_left_object) == (n, looks)


def test_left_object_rate_below_once_a_second_is_refused() -> None:
    with pytest.raises(ValueError, match=r"left_object_hz must be >= 1; got 0\.5"):
        CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, 5.0, left_object_hz=0.5)


def test_left_objects_stand_between_looks() -> None:
    """Between two looks of the left-object detector its candidates stay: once the dropped bag is found,
    every analysed frame's tick holds it, not only the frames it looked at."""
    analyzer = CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, 5.0, left_object_hz=2.0)
    held = []
    for t, bgr, _ in Scene(bag_s=(4.0, 1e9)).frames(13.0):
        analyzer.process(bgr, t, START, Detections.empty())
        held.append(bool(analyzer.history[-1].objects))
    found = held.index(True)
    assert found < len(held) - 10 and all(held[found:]), held


@pytest.mark.parametrize("early_s", [None, 1.0])
def test_a_cameras_early_s_shows_a_left_object_before_it_has_settled(early_s: float | None) -> None:
    """``rules.early_s`` reaches the left-object detector: with it, the bag set down at 4 s is an object
    (not settled) about 2 s sooner than without, and settles at the same moment either way."""
    camera = CameraConfig(id="cam", source="x.mp4", rules=RuleParams(early_s=early_s))
    analyzer = CameraAnalyzer(camera, None, 5.0)
    first_seen = first_settled = None
    for t, bgr, _ in Scene(bag_s=(4.0, 1e9)).frames(12.0):
        analyzer.process(bgr, t, START, Detections.empty())
        objects = analyzer.history[-1].objects
        if objects and first_seen is None:
            first_seen = t
        if any(o.settled for o in objects) and first_settled is None:
            first_settled = t
    assert first_seen is not None and first_settled is not None
    assert 7.0 <= first_settled <= 8.0, first_settled
    if early_s is None:
        assert first_seen == first_settled
    else:
        assert 5.0 <= first_seen <= first_settled - 1.5, (first_seen, first_settled)


def test_garbage_waiting_in_a_still_scene_with_nobody_in_view_does_not_keep_the_model_busy() -> None:
    """The owner walks off; the bag waits 10 s for confirmation. While the frame is still and nobody is in
    view the model is skipped, its last boxes stand in, and the littering is confirmed all the same."""
    analyzer = CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, 5.0, use_left_objects=False)
    frame = np.full((180, 320, 3), 90, np.uint8)
    bag = Detections(np.asarray([[150, 140, 170, 160]], np.float32), np.asarray([0.8], np.float32),
                     np.asarray([Role.GARBAGE], np.int64))  # fmt: skip
    asked, events = [], []
    for i in range(75):
        t = i / 5.0
        need = analyzer.needs_detection(frame)
        asked.append(need)
        events += analyzer.process(frame, t, START, bag if need else None)
    assert asked == [True] * 6 + [False] * 69  # the first frame and a second of settling (garbage seen); nobody came
    assert [(e.state.value, e.t_s) for e in events] == [("start", 10.0)]


@pytest.mark.parametrize("sliver_frames", [1, 2, 4])
def test_still_frames_go_to_the_model_for_a_second_after_motion(sliver_frames: int) -> None:
    """A person walks out of the frame: what is left of them at the edge is too small for the gate when it
    goes. The model took that sliver for a bag (seen on passerby 7404); were the model skipped from then on,
    that bag would stand for good and become littering. However long the sliver lasts (under a second),
    the model sees the frame after it, and then, with no garbage in its boxes, no more still frames."""
    analyzer = CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, 5.0, use_left_objects=False)
    ground = np.full((180, 320, 3), 90, np.uint8)
    walking = ground.copy()
    walking[60:170, 240:300] = 200  # someone large in view
    leaving = ground.copy()
    leaving[150:160, 318:320] = 200  # a sliver at the right edge, under the gate's area threshold
    sliver_bag = Detections(np.asarray([[312, 148, 320, 162]], np.float32), np.asarray([0.6], np.float32),
                            np.asarray([Role.GARBAGE], np.int64))  # fmt: skip
    frames = [ground, walking] + [leaving] * sliver_frames + [ground] * 70
    asked, events = [], []
    for i, frame in enumerate(frames):
        need = analyzer.needs_detection(frame)
        asked.append(need)
        model_sees = sliver_bag if frame is leaving else Detections.empty()
        events += analyzer.process(frame, i / 5.0, START, model_sees if need else None)
    settled = 3 + sliver_frames  # the first frame, walking, the sliver's frames and the first without it
    assert asked[:settled] == [True] * settled
    assert not any(asked[settled:])  # the model found no garbage there: nothing stands in any more
    assert events == []


@pytest.mark.parametrize("person_frames", [3, 10, 30])
def test_still_frames_go_to_the_model_for_a_second_after_the_last_person_was_seen(person_frames: int) -> None:
    """Someone the model sees stands, then walks slowly out at the edge, never moving enough for the gate
    (people keep the model running by themselves). The first frame without them holds what is left of them,
    a sliver the model takes for a bag (seen on a generated mixed clip at night, 1920x1080: a littering event
    with nobody's bag, at the edge where the person left). The frames after it still go to the model, for a
    second after the last person was seen, as they would after motion: the sliver goes, and nothing stands in."""
    analyzer = CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, 5.0, use_left_objects=False)
    ground = np.full((180, 320, 3), 90, np.uint8)
    coming, arrived = ground.copy(), ground.copy()
    coming[60:170, 240:280] = 200  # the person comes into view (the gate fires twice: their track is confirmed)
    arrived[60:170, 280:320] = 200  # ... and the picture stays so
    person = Detections(np.asarray([[280, 60, 320, 170]], np.float32), np.asarray([0.9], np.float32),
                        np.asarray([Role.PERSON], np.int64))  # fmt: skip
    sliver_bag = Detections(np.asarray([[312, 148, 320, 162]], np.float32), np.asarray([0.6], np.float32),
                            np.asarray([Role.GARBAGE], np.int64))  # fmt: skip
    seen = [Detections.empty()] + [person] * person_frames + [sliver_bag] + [Detections.empty()] * 80
    asked, events = [], []
    for i, model_sees in enumerate(seen):
        picture = [ground, coming][i] if i < 2 else arrived  # still from then on: the gate does not fire again
        need = analyzer.needs_detection(picture)
        asked.append(need)
        events += analyzer.process(picture, i / 5.0, START, model_sees if need else None)
    sliver = 1 + person_frames
    assert asked[: sliver + 2] == [True] * (sliver + 2)  # the person's frames, the sliver and the frame after it
    assert not any(asked[sliver + 7 :])  # a second after the last person, with no garbage left, the model rests
    assert events == []


def test_still_frames_after_motion_are_spared_when_the_last_boxes_hold_no_garbage() -> None:
    """Something moved (a car's headlights, a cat) and the model found no garbage: nothing of it can stand in
    for the still frames after it, so they are not sent."""
    analyzer = CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, 5.0, use_left_objects=False)
    ground = np.full((180, 320, 3), 90, np.uint8)
    flash = ground.copy()
    flash[40:120, 100:220] = 230
    asked = []
    for i, frame in enumerate([ground, flash] + [ground] * 10):
        need = analyzer.needs_detection(frame)
        asked.append(need)
        analyzer.process(frame, i / 5.0, START, Detections.empty() if need else None)
    assert asked == [True, True, True] + [False] * 9  # first frame, the flash, its going (motion too), then none


@pytest.mark.parametrize(
    ("bag", "holder"),
    [
        ((150, 180, 175, 215), 2),  # at the right hand of person 2, inside person 1's reach as well
        ((112, 180, 137, 215), 1),  # at person 1's right hand, inside person 2's widened box too
        ((60, 180, 85, 215), 1),  # at person 1's left hand
        ((120, 280, 145, 300), None),  # on the ground at their feet: held by no one
        ((400, 180, 425, 215), None),  # far from both
        ((90, 85, 125, 140), None),  # at their heads: a heap on the lid of the bin behind them
    ],
)
def test_a_bag_between_two_people_is_held_by_the_one_it_hangs_beside(bag: tuple[int, ...], holder: int | None) -> None:
    """Two people side by side at the bins, boxes overlapping: the bag goes to the nearer body, whoever comes first."""
    a, b = (80.0, 100.0, 130.0, 300.0), (120.0, 100.0, 170.0, 300.0)
    people = [SeenPerson(1, a, 0.9, a), SeenPerson(2, b, 0.9, b)]
    g = np.asarray(bag, np.float32)
    assert _holder(g, people) == holder
    assert _holder(g, people[::-1]) == holder


# A person walking right, a bag held out at arm's length (640x360 at 2 fps, traced on a development clip):
# the tracker's smoothed box is the body's width and a step behind; the model's box of this frame holds the bag.
SMOOTHED = (41.0, 98.0, 84.0, 203.0)
MODELS = (28.0, 95.0, 118.0, 203.0)


@pytest.mark.parametrize(
    ("seen", "bag", "holder"),
    [
        (MODELS, (90, 143, 118, 183), 1),  # held out in front, inside the model's box
        (SMOOTHED, (90, 143, 118, 183), None),  # the model's box as narrow as the smoothed one: beside them
        (MODELS, (125, 175, 150, 203), None),  # on the ground beyond the model's box, at their feet' level
    ],
)
def test_a_bag_is_held_as_the_model_saw_the_person_in_that_frame(
    seen: tuple[float, ...], bag: tuple[int, ...], holder: int | None
) -> None:
    assert _holder(np.asarray(bag, np.float32), [SeenPerson(1, SMOOTHED, 0.9, seen)]) == holder
