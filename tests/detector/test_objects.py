"""Ground objects: model boxes and left-object candidates fused into objects with stable ids and boxes."""

from __future__ import annotations

import numpy as np
import pytest

from detector.objects import GarbageBoxes, GroundObjectTracker

MODEL_BOX = (761.0, 308.0, 796.0, 358.0)
PART = (771.0, 312.0, 789.0, 342.0)  # a left-object candidate covering part of the same bag


def boxes(*b: tuple[float, float, float, float]) -> np.ndarray:
    return np.asarray(b, np.float32).reshape(-1, 4)


def scores(*s: float) -> np.ndarray:
    return np.asarray(s, np.float32)


def src(xyxy: np.ndarray, sc: np.ndarray, rest: list[float] | None = None) -> GarbageBoxes:
    return GarbageBoxes(xyxy, sc, None if rest is None else np.asarray(rest, np.float64))


NONE = src(boxes(), scores())


def test_the_model_box_stands_when_a_candidate_sees_the_same_bag_with_a_higher_score() -> None:
    tracker = GroundObjectTracker()
    out = []
    for i in range(10):
        cand = src(boxes(PART), scores(0.95)) if i % 2 else NONE
        out.append(tracker.update([src(boxes(MODEL_BOX), scores(0.6)), cand], i * 0.2))
    assert {len(o) for o in out} == {1}
    assert {o[0].object_id for o in out} == {1}  # one id throughout
    assert {o[0].xyxy for o in out} == {MODEL_BOX}  # and the model's box, never the part


def test_a_candidate_alone_keeps_its_object_when_the_model_misses_a_frame() -> None:
    tracker = GroundObjectTracker()
    first = tracker.update([src(boxes(MODEL_BOX), scores(0.6)), NONE], 0.0)
    second = tracker.update([NONE, src(boxes((760, 306, 797, 359)), scores(0.9))], 0.2)
    assert first[0].object_id == second[0].object_id


SHADOW = (774.0, 361.0, 790.0, 368.0)  # the bag's shadow on the ground, just below the model's box


def test_a_candidate_right_beside_a_model_box_and_smaller_is_part_of_that_thing() -> None:
    """The model's box leaves out a bag's shadow; the left-object detector finds the shadow as a static
    change of its own (seen on a night clip: a second littering event under the first). It is not an object."""
    tracker = GroundObjectTracker()
    for i in range(5):
        out = tracker.update([src(boxes(MODEL_BOX), scores(0.8)), src(boxes(SHADOW), scores(0.7))], i * 0.2)
        assert [(o.object_id, o.xyxy) for o in out] == [(1, MODEL_BOX)]


# A wide flat bag as the model boxes it, and the left-object region of the bag and its shadow below it (a
# development day clip at 1280x720: IoU 0.26, 43 % of the model's box; a second littering event and warning).
FLAT_BAG = (433.0, 450.0, 556.0, 483.0)


@pytest.mark.parametrize(
    ("candidate", "objects"),
    [
        ((440.0, 468.0, 560.0, 504.0), 1),  # the bag and its shadow: the model's bag
        ((440.0, 476.0, 560.0, 512.0), 2),  # overlapping 20 % of the model's box: a bag of its own against it
    ],
    ids=["bag-and-shadow", "bag-against-it"],
)
def test_a_candidate_overlapping_much_of_a_model_box_is_that_thing_even_if_larger(
    candidate: tuple[float, float, float, float], objects: int
) -> None:
    out = GroundObjectTracker().update([src(boxes(FLAT_BAG), scores(0.8)), src(boxes(candidate), scores(0.7))], 0.0)
    assert len(out) == objects


@pytest.mark.parametrize(
    ("model", "candidate"),
    [
        ((MODEL_BOX, (774.0, 361.0, 790.0, 368.0)), None),  # two model boxes: the model tells them apart
        ((MODEL_BOX,), (740.0, 360.0, 820.0, 420.0)),  # a candidate larger than the model's box beside it
        ((MODEL_BOX,), (774.0, 364.0, 790.0, 371.0)),  # a small candidate further off (6 px below; 4 px is near)
        (((600.0, 300.0, 840.0, 420.0),), (880.0, 380.0, 920.0, 420.0)),  # a bag 40 px beside a 240-px heap
    ],
    ids=["same-source", "larger", "further", "bag-beside-a-heap"],
)
def test_things_beside_a_model_box_stay_separate(
    model: tuple[tuple[float, float, float, float], ...], candidate: tuple[float, float, float, float] | None
) -> None:
    cands = NONE if candidate is None else src(boxes(candidate), scores(0.7))
    out = GroundObjectTracker().update([src(boxes(*model), scores(*[0.8] * len(model))), cands], 0.0)
    assert len(out) == 2


def test_separate_things_stay_separate_and_forgotten_after_grace() -> None:
    tracker = GroundObjectTracker()
    two = tracker.update([src(boxes(MODEL_BOX, (100, 100, 140, 140)), scores(0.6, 0.7)), NONE], 0.0)
    assert sorted(o.object_id for o in two) == [1, 2]
    tracker.update([NONE], 5.0)
    again = tracker.update([src(boxes(MODEL_BOX), scores(0.6))], 5.2)
    assert again[0].object_id == 3


def test_a_rest_time_given_by_a_source_is_kept_while_the_object_stays_and_forgotten_when_it_moves() -> None:
    """The left-object detector reports a bag seconds after it landed, with the time it landed: the
    object keeps that time when the model's box takes over, the earliest of several, until it moves."""
    tracker = GroundObjectTracker()
    seen = [
        tracker.update([NONE, src(boxes(PART), scores(0.9), [6.4])], 10.0),  # reported at 10 s: at rest since 6.4
        tracker.update([src(boxes(MODEL_BOX), scores(0.6)), NONE], 10.2),  # the model's box: no time of its own
        tracker.update([NONE, src(boxes(MODEL_BOX), scores(0.9), [7.0])], 10.4),  # a later time changes nothing
        tracker.update([src(boxes((766.0, 308.0, 801.0, 358.0)), scores(0.6)), NONE], 10.6),  # pushed 5 px
        tracker.update([src(boxes((781.0, 308.0, 816.0, 358.0)), scores(0.6)), NONE], 10.8),  # pushed 20 px: moved
    ]
    assert [(o.object_id, o.at_rest_since) for (o,) in seen] == [(1, 6.4), (1, 6.4), (1, 6.4), (1, 6.4), (1, None)]


def test_garbage_boxes_refuse_columns_of_different_lengths() -> None:
    with pytest.raises(
        ValueError, match=r"xyxy \(N, 4\), scores \(N\), rest_s \(N\) and settled \(N\); got \(1, 4\), \(2,\)"
    ):
        GarbageBoxes(boxes(MODEL_BOX), scores(0.5, 0.6))
    with pytest.raises(ValueError, match=r"got \(1, 4\), \(1,\), None, \(2,\)"):
        GarbageBoxes(boxes(MODEL_BOX), scores(0.5), settled=np.array([True, False]))


def test_an_object_is_settled_once_a_source_says_so_and_stays_settled() -> None:
    tracker = GroundObjectTracker()
    young = GarbageBoxes(boxes(MODEL_BOX), scores(0.5), settled=np.array([False]))
    old = GarbageBoxes(boxes(MODEL_BOX), scores(0.5), settled=np.array([True]))
    assert [o.settled for o in tracker.update([young], 0.0)] == [False]
    assert [o.settled for o in tracker.update([old], 0.2)] == [True]
    assert [o.settled for o in tracker.update([young], 0.4)] == [True]
    assert [o.settled for o in GroundObjectTracker().update([GarbageBoxes(boxes(MODEL_BOX), scores(0.5))], 0.0)] == [
        True
    ]


@pytest.mark.parametrize(
    ("seen_from", "now", "box", "expected"),
    [
        (0.0, 1.2, (100, 100, 140, 150), True),  # lying there for 1.2 s, seen again where it lay
        (0.0, 1.2, (104, 96, 142, 152), True),  # the same bag, its box a few pixels off
        (0.6, 1.2, (100, 100, 140, 150), False),  # seen for 0.6 s only: maybe a held bag whose holder was missed
        (0.0, 1.2, (100, 40, 140, 90), False),  # lifted off its rest: in someone's hands now
        (0.0, 3.5, (100, 100, 140, 150), False),  # not seen for longer than the grace: forgotten
    ],
)
def test_a_bag_lies_at_rest_where_an_object_has_lain_a_while(
    seen_from: float, now: float, box: tuple[float, float, float, float], expected: bool
) -> None:
    tracker = GroundObjectTracker()
    t = seen_from
    while t <= min(now, 1.2) + 1e-9:
        tracker.update([src(boxes((100, 100, 140, 150)), scores(0.8))], t)
        t += 0.2
    assert tracker.lies_at_rest(box, now) is expected
