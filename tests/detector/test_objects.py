"""Ground objects: model boxes and left-object candidates fused into objects with stable ids and boxes."""

from __future__ import annotations

import numpy as np

from detector.objects import GroundObjectTracker

MODEL_BOX = (761.0, 308.0, 796.0, 358.0)
PART = (771.0, 312.0, 789.0, 342.0)  # a left-object candidate covering part of the same bag


def boxes(*b: tuple[float, float, float, float]) -> np.ndarray:
    return np.asarray(b, np.float32).reshape(-1, 4)


def scores(*s: float) -> np.ndarray:
    return np.asarray(s, np.float32)


def test_the_model_box_stands_when_a_candidate_sees_the_same_bag_with_a_higher_score() -> None:
    tracker = GroundObjectTracker()
    out = []
    for i in range(10):
        cand = (boxes(PART), scores(0.95)) if i % 2 else (boxes(), scores())
        out.append(tracker.update([(boxes(MODEL_BOX), scores(0.6)), cand], i * 0.2))
    assert {len(o) for o in out} == {1}
    assert {o[0][0] for o in out} == {1}  # one id throughout
    assert {o[0][1] for o in out} == {MODEL_BOX}  # and the model's box, never the part


def test_a_candidate_alone_keeps_its_object_when_the_model_misses_a_frame() -> None:
    tracker = GroundObjectTracker()
    first = tracker.update([(boxes(MODEL_BOX), scores(0.6)), (boxes(), scores())], 0.0)
    second = tracker.update([(boxes(), scores()), (boxes((760, 306, 797, 359)), scores(0.9))], 0.2)
    assert first[0][0] == second[0][0]


def test_separate_things_stay_separate_and_forgotten_after_grace() -> None:
    tracker = GroundObjectTracker()
    two = tracker.update([(boxes(MODEL_BOX, (100, 100, 140, 140)), scores(0.6, 0.7)), (boxes(), scores())], 0.0)
    assert sorted(o[0] for o in two) == [1, 2]
    tracker.update([(boxes(), scores())], 5.0)
    again = tracker.update([(boxes(MODEL_BOX), scores(0.6))], 5.2)
    assert again[0][0] == 3
