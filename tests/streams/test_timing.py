"""The stream clock: odd camera timestamps become one monotonic timeline."""

from __future__ import annotations

from fractions import Fraction

import pytest

from streams.timing import UNTIMED_LIMIT, RateMeter, Timeline

TB = Fraction(1, 100)  # 4 ticks per frame at 25 fps


def place_all(timeline: Timeline, packets: list[tuple[int | None, int | None, bool]]) -> list[int | None]:
    placed = [timeline.place(pts, dts, key) for pts, dts, key in packets]
    return [p[0] if p is not None else None for p in placed]


@pytest.mark.parametrize(
    ("start_s", "packets", "expected_pts"),
    [
        # a file with B-frames: I P B B in decode order keeps its own presentation times
        (0.0, [(0, -8, True), (12, -4, False), (4, 0, False), (8, 4, False)], [0, 12, 4, 8]),
        # a later session continues where the previous one ended
        (2.0, [(500, 500, True), (504, 504, False)], [200, 204]),
        # joined mid-GOP: packets before the first keyframe are refused
        (0.0, [(40, 40, False), (44, 44, False), (48, 48, True), (52, 52, False)], [None, None, 0, 4]),
        # no timestamp on the first keyframe (RTSP): wait for a keyframe that has one
        (0.0, [(None, None, True), (12, None, False), (100, 96, True), (104, 100, False)], [None, None, 0, 4]),
        # the source's clock jumps back by over a second (a server loops its file): continue after the latest
        (
            0.0,
            [(0, 0, True), (150, 150, False), (300, 300, False), (0, 0, True), (4, 4, False)],
            [0, 150, 300, 304, 308],
        ),
        # a jump back of less than a second is reordering, not a reset
        (0.0, [(0, 0, True), (80, 80, False), (60, 64, False)], [0, 80, 60]),
    ],
)
def test_packets_are_placed_on_one_timeline(
    start_s: float, packets: list[tuple[int | None, int | None, bool]], expected_pts: list[int | None]
) -> None:
    assert place_all(Timeline(TB, start_s, frame_s=0.04), packets) == expected_pts


def test_a_source_without_timestamps_is_stamped_from_its_frame_rate() -> None:
    timeline = Timeline(TB, 1.0, frame_s=0.04)
    refused = place_all(timeline, [(None, None, True)] * UNTIMED_LIMIT)
    assert refused == [None] * UNTIMED_LIMIT
    assert place_all(timeline, [(None, None, True)] * 3) == [100, 104, 108]
    assert timeline.end_s == pytest.approx(1.12)


def test_a_file_without_timestamps_is_stamped_from_its_first_keyframe() -> None:
    """A file's packets are as they will stay (a raw .h264 file has no timestamps): none are refused."""
    timeline = Timeline(TB, 0.0, frame_s=0.04, untimed_after=0)
    assert place_all(timeline, [(None, None, False), (None, None, True), (None, None, False)]) == [None, 0, 4]


def test_frame_times_follow_the_placed_pts_and_fill_gaps() -> None:
    timeline = Timeline(TB, 0.0, frame_s=0.04)
    assert [timeline.frame_time(pts) for pts in (0, 4, None, 12)] == pytest.approx([0.0, 0.04, 0.08, 0.12])


def test_rate_meter_counts_events_in_its_window() -> None:
    meter = RateMeter(window_s=2.0)
    assert meter.rate(100.0) == 0.0
    for i in range(50):
        meter.tick(100.0 + i * 0.04)  # 25 per second for 2 s
    assert meter.rate(102.0) == pytest.approx(25.0, rel=0.05)
    assert meter.rate(110.0) == 0.0  # a stalled stream reads as 0 fps
