"""The scene's scale from people, and which garbage candidates can be things on the ground (detector/scale.py)."""

from __future__ import annotations

import pytest

from detector.scale import GroundScale
from detector.tracks import Box

W, H = 640, 480


def height_at(row: float) -> float:
    """The scene under test: flat ground seen from above, horizon at row 125."""
    return 0.8 * row - 100


def person(x: float, feet_row: float) -> Box:
    h = height_at(feet_row)
    return (x, feet_row - h, x + 0.35 * h, feet_row)


def learned(rows: tuple[float, float] = (250, 450), tracks: int = 4, seconds: int = 10) -> GroundScale:
    """People walking across the ground between the given feet rows, seen once a second."""
    scale = GroundScale((W, H))
    for t in range(seconds):
        people = []
        for k in range(tracks):
            frac = ((t + 3 * k) % seconds) / (seconds - 1)
            people.append((k + 1, person(50 + 120 * k, rows[0] + frac * (rows[1] - rows[0]))))
        scale.observe(people, float(t))
    return scale


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((300, 370, 340, 400), True),  # a bag where people walk
        ((300, 225, 330, 248), True),  # ... a little beyond the farthest feet (within reach)
        ((480, 300, 560, 350), True),  # a heap of bags
        ((300, 100, 320, 120), False),  # above the horizon: a wall, a sign
        ((480, 140, 500, 150), False),  # far beyond every feet row: a table top, a window sill
        ((200, 292, 252, 300), False),  # a 52 x 8 sliver
        ((100, 350, 500, 450), False),  # larger than 1.5 people there
        ((300, 447, 303, 450), False),  # a speck thinner than 3 % of a person there
    ],
    ids=["bag", "just-beyond", "heap", "above-horizon", "table-top", "sliver", "too-large", "speck"],
)
def test_a_candidate_must_be_a_plausible_thing_on_the_ground(box: Box, expected: bool) -> None:
    scale = learned()
    assert scale.scale is not None and scale.scale.height_at(125) == pytest.approx(0, abs=2)
    assert scale.plausible(box) is expected


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((200, 2, 252, 10), False),  # a sliver at the top of the picture: nothing on the ground is that thin there
        ((300, 100, 320, 120), True),  # anything else is judged only once people show the scale
        ((200, 292, 252, 300), True),  # a sliver lower down: could be a thing far away, seen flat
    ],
)
def test_before_enough_people_only_a_sliver_at_the_top_is_refused(box: Box, expected: bool) -> None:
    scale = learned(tracks=2, seconds=5)  # too few people yet
    assert scale.scale is None
    assert scale.plausible(box) is expected


def test_people_in_one_band_of_rows_give_one_height_and_no_horizon() -> None:
    scale = learned(rows=(380, 400))
    s = scale.scale
    assert s is not None and s.slope == 0 and s.offset == pytest.approx(height_at(390), rel=0.1)
    assert scale.plausible((300, 370, 340, 400))
    assert not scale.plausible((300, 100, 320, 120))  # far beyond the band: not where anyone's feet go


def test_someone_standing_still_counts_once_a_second_and_people_cut_by_the_edge_not_at_all() -> None:
    scale = GroundScale((W, H))
    for i in range(100):  # 10 s at 10 fps
        scale.observe(
            [(1, person(100, 400)), (2, (0.0, 100.0, 60.0, 300.0)), (3, (400.0, 200.0, 450.0, 480.0))], i / 10
        )
    assert len(scale._samples) == 10  # one person, once a second: the others touch the picture's edge
