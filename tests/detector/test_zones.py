"""Zone maps: normalised polygons to per-pixel places."""

from __future__ import annotations

import pytest

from config import Zones
from detector.tracks import Place
from detector.zones import ZoneMap

BINS = [[0.4, 0.1], [0.6, 0.1], [0.6, 0.4], [0.4, 0.4]]
IGNORE = [[0.0, 0.0], [0.2, 0.0], [0.2, 0.2], [0.0, 0.2]]


@pytest.mark.parametrize(
    ("zones", "point", "place"),
    [
        (Zones(), (320, 240), Place.NO_DUMP),  # no zones: the whole frame is no_dump
        (Zones(bins=[BINS]), (320, 100), Place.BINS),
        (Zones(bins=[BINS]), (100, 300), Place.NO_DUMP),  # default no_dump = outside the bins
        (Zones(bins=[BINS], ignore=[IGNORE]), (50, 50), Place.IGNORED),
        (Zones(bins=[BINS], no_dump=[[[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]]), (100, 400), Place.NO_DUMP),
        (Zones(bins=[BINS], no_dump=[[[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]]), (100, 200), Place.ELSEWHERE),
    ],
)
def test_place_of_point(zones: Zones, point: tuple[float, float], place: Place) -> None:
    assert ZoneMap.build(zones, 640, 480).place_of_point(*point)[0] is place


def test_box_is_placed_by_its_foot_and_bins_are_numbered() -> None:
    second = [[0.7, 0.1], [0.9, 0.1], [0.9, 0.4], [0.7, 0.4]]
    zm = ZoneMap.build(Zones(bins=[BINS, second]), 640, 480)
    assert zm.place_of((480, 20, 560, 150)) == (Place.BINS, 1)  # feet inside the second bins zone
    assert zm.place_of((480, 100, 560, 300))[0] is Place.NO_DUMP  # head inside, feet outside
    assert zm.bins_mask(0).sum() == pytest.approx(128 * 144, rel=0.05)
