"""Scenario scripts and their ground truth (no rendering: fast)."""

from __future__ import annotations

import datetime as dt
import json

import cv2
import numpy as np
import pytest

from sim.layout import Lighting
from sim.scenarios import Scenario
from sim.scene import SimScene, SimSpec

SEEDS = (11, 12, 13, 14)

# scenario -> the event kinds its truth must hold (default start time chosen from the seed)
EXPECTED_KINDS: list[tuple[str, list[str]]] = [
    ("proper", []),
    ("littering", ["littering"]),
    ("beside_bin", ["littering"]),
    ("pickup", []),
    ("passerby", []),
    ("off_hours", ["off_hours"]),
    ("overflow", ["overflow"]),
    ("night_littering", ["littering"]),
    ("crowd", ["littering"]),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("scenario", "kinds"), EXPECTED_KINDS)
def test_scenario_truth_holds_expected_events(scenario: str, kinds: list[str], seed: int) -> None:
    truth = SimScene(SimSpec(Scenario(scenario), seed)).truth()
    assert [e["kind"] for e in truth["events"]] == kinds
    w, h = truth["size"]
    for e in truth["events"]:
        x1, y1, x2, y2 = e["bbox"]
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        assert 0 < e["t_drop_s"] <= e["t_leave_s"] < truth["duration_s"] - 15, "decision must fit in the clip"


def test_same_seed_same_truth_and_different_seed_different_layout() -> None:
    a = json.dumps(SimScene(SimSpec(Scenario.LITTERING, 5)).truth(), sort_keys=True)
    b = json.dumps(SimScene(SimSpec(Scenario.LITTERING, 5)).truth(), sort_keys=True)
    assert a == b
    layouts = {
        json.dumps([SimScene(SimSpec(Scenario.LITTERING, s)).truth()[k] for k in ("camera", "bins")]) for s in range(6)
    }
    assert len(layouts) == 6


@pytest.mark.parametrize("seed", SEEDS)
def test_beside_bin_garbage_lies_outside_the_bins_zone(seed: int) -> None:
    truth = SimScene(SimSpec(Scenario.BESIDE_BIN, seed)).truth()
    zone = np.asarray(truth["zones"]["bins"][0], np.float32)
    x1, _, x2, y2 = truth["events"][0]["bbox"]
    assert cv2.pointPolygonTest(zone, ((x1 + x2) / 2, y2), False) < 0


@pytest.mark.parametrize("seed", SEEDS)
def test_overflow_garbage_lies_inside_the_bins_zone(seed: int) -> None:
    truth = SimScene(SimSpec(Scenario.OVERFLOW, seed)).truth()
    zone = np.asarray(truth["zones"]["bins"][0], np.float32)
    x1, _, x2, y2 = truth["events"][0]["bbox"]
    assert cv2.pointPolygonTest(zone, ((x1 + x2) / 2, y2), False) >= 0


def test_night_littering_is_at_night_and_start_sets_the_light() -> None:
    assert SimScene(SimSpec(Scenario.NIGHT_LITTERING, 3)).lighting is Lighting.NIGHT
    tz = dt.timezone(dt.timedelta(hours=8))
    noon = SimScene(SimSpec(Scenario.NIGHT_LITTERING, 3, start=dt.datetime(2026, 7, 1, 12, 0, tzinfo=tz)))
    assert noon.lighting is Lighting.DAY


def test_deposit_is_off_hours_only_outside_the_schedule() -> None:
    """The same deposit becomes an off_hours event when --start moves it out of the drop-off window."""
    scene = SimScene(SimSpec(Scenario.PROPER, 21))
    w = scene.schedule.windows[0]
    tz = dt.timezone(dt.timedelta(hours=8))
    inside = dt.datetime.combine(dt.date(2026, 7, 1), w.start, tz) + dt.timedelta(minutes=10)
    outside = dt.datetime.combine(dt.date(2026, 7, 1), w.end, tz) + dt.timedelta(minutes=30)
    assert SimScene(SimSpec(Scenario.PROPER, 21, start=inside)).truth()["events"] == []
    assert [e["kind"] for e in SimScene(SimSpec(Scenario.PROPER, 21, start=outside)).truth()["events"]] == ["off_hours"]


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_mixed_has_several_actors_and_distinct_litter_spots(seed: int) -> None:
    truth = SimScene(SimSpec(Scenario.MIXED, seed)).truth()
    assert truth["duration_s"] == 300
    assert len(truth["people"]) >= 4
    litter = [e for e in truth["events"] if e["kind"] == "littering"]
    centres = [((e["bbox"][0] + e["bbox"][2]) / 2, (e["bbox"][1] + e["bbox"][3]) / 2) for e in litter]
    for i, a in enumerate(centres):
        for b in centres[i + 1 :]:
            assert a != b


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 641, "height": 360}, "even"),
        ({"fps": 0.5}, "fps"),
        ({"duration_s": 10.0}, "--duration"),
        ({"start": dt.datetime(2026, 7, 1, 12, 0)}, "UTC offset"),
    ],
)
def test_bad_spec_is_rejected_with_a_clear_message(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimScene(SimSpec(Scenario.LITTERING, 1, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", SEEDS)
def test_overflow_outside_the_window_holds_each_visitor_as_an_off_hours_deposit(seed: int) -> None:
    """A bag left on a full bin's heap is left at the bins by hand: off-hours disposal outside the window."""
    inside = SimScene(SimSpec(Scenario.OVERFLOW, seed)).truth()
    assert [e["kind"] for e in inside["events"]] == ["overflow"]
    night = dt.datetime(2026, 6, 3, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    outside = SimScene(SimSpec(Scenario.OVERFLOW, seed, start=night)).truth()
    kinds = [e["kind"] for e in outside["events"]]
    assert kinds.count("overflow") == 1
    visitors = {e["actor"] for e in outside["events"] if e["kind"] == "off_hours"}
    assert kinds.count("off_hours") == len(visitors) >= 3
    bins_box = {e["bin"] for e in outside["events"]}
    assert len(bins_box) == 1, "every deposit and the overflow are at the one full bin"
