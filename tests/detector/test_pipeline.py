"""One camera's analysis (CameraAnalyzer): how often its parts look at the frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from config import CameraConfig
from detector.detections import Detections, Role
from detector.pipeline import LEFT_OBJECT_HZ, PEOPLE_MODEL_EVERY, CameraAnalyzer
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
    for t, bgr, _ in Scene(bag_s=(1.0, 1e9)).frames(10.0):
        analyzer.process(bgr, t, START, Detections.empty())
        held.append(bool(analyzer.history[-1].objects))
    found = held.index(True)
    assert found < len(held) - 10 and all(held[found:]), held


def _people(boxes: np.ndarray) -> Detections:
    n = len(boxes)
    return Detections(boxes.astype(np.float32), np.full(n, 0.9, np.float32), np.full(n, int(Role.PERSON)))


@pytest.mark.parametrize(("every", "seen"), [(PEOPLE_MODEL_EVERY, 10), (1, 20)])
def test_model_sees_every_nth_frame_while_only_people_are_in_view(every: int, seen: int) -> None:
    """A person stands in view, nothing is on the ground: after the first frames the model sees every
    ``people_model_every``-th frame; the tracker keeps the person on the others."""
    analyzer = CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, 5.0, people_model_every=every)
    needs, present = [], []
    for t, bgr, people in Scene(person_path=lambda t: (150.0, 200.0)).frames(6.0):
        need = analyzer.needs_detection(bgr)
        analyzer.process(bgr, t, START, _people(people) if need else None)
        needs.append(need)
        present.append(bool(analyzer.history[-1].people))
    assert all(present[5:]) and sum(needs[10:]) == seen, needs


def test_model_sees_every_frame_while_garbage_is_pending() -> None:
    """Once a bag lies on the ground beside the person (littering pending), no frame is skipped."""
    analyzer = CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, 5.0)
    after_pending = []
    scene = Scene(bag_s=(2.0, 1e9), person_path=lambda t: (260.0, 290.0))
    for t, bgr, people in scene.frames(14.0):
        pending = analyzer.pending_since is not None
        need = analyzer.needs_detection(bgr)
        analyzer.process(bgr, t, START, _people(people) if need else None)
        if pending:
            after_pending.append(need)
    assert len(after_pending) >= 20 and all(after_pending), after_pending


def test_people_model_every_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"people_model_every must be >= 1; got 0"):
        CameraAnalyzer(CameraConfig(id="cam", source="x.mp4"), None, 5.0, people_model_every=0)
