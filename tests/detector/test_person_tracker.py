"""The people tracker (ByteTrack with association by reach) as tables: boxes in, ids out, at the analysis rates a
camera runs at."""

from __future__ import annotations

import numpy as np
import pytest

from detector.person_ids import reach_affinity
from detector.yolo import PersonTracker

H = 170.0  # a person's box height in pixels; widths are 60


def person(x: float, y: float = 100.0, h: float = H) -> tuple[float, float, float, float]:
    return (x, y, x + 60.0, y + h)


def run(frames: list[list[tuple[float, float, float, float]]], fps: float) -> list[list[int]]:
    """Each frame's ids, in the order of its boxes (-1 where a box is not reported as a confirmed track)."""
    tracker = PersonTracker(fps)
    out: list[list[int]] = []
    for boxes in frames:
        xyxy = np.array(boxes, np.float32).reshape(-1, 4)
        tracks = tracker.update(xyxy, np.full(len(boxes), 0.8, np.float32))
        ids = []
        for b in boxes:  # the nearest track within 40 px: Kalman-smoothed, a track lags a fast walk a little
            near = sorted((max(abs(u - v) for u, v in zip(tb, b, strict=True)), pid) for pid, tb, _, _ in tracks)
            ids.append(near[0][1] if near and near[0][0] < 40 else -1)
        out.append(ids)
    return out


@pytest.mark.parametrize("fps", [1, 2, 5, 10])
@pytest.mark.parametrize("heights_per_s", [0.3, 0.8, 1.2])
def test_a_walking_person_is_tracked_as_one_at_every_analysis_rate(fps: float, heights_per_s: float) -> None:
    """A stroll (0.3 body heights a second), a walk (0.8) and a brisk walk (1.2), analysed at 1 to 10 fps:
    one id, reported from the second frame on. (Overlap alone loses a walk at 2 fps and a run at 5.)"""
    if fps == 1 and heights_per_s > 1.0:
        pytest.skip("more than a body height between frames at 1 fps: out of reach by design")
    n = int(8 * fps)
    ids = run([[person(50 + heights_per_s * H * i / fps)] for i in range(n)], fps)
    assert all(f[0] != -1 for f in ids[1:]), ids
    assert len({f[0] for f in ids if f[0] != -1}) == 1, ids


@pytest.mark.parametrize("fps", [2, 5])
def test_two_people_walking_past_each_other_keep_their_ids(fps: float) -> None:
    """Two people cross (one walking right, one left, a little lower in the image): each keeps their id."""
    n, v = int(10 * fps), 0.8 * H
    frames = [[person(50 + v * i / fps), person(750 - v * i / fps, y=130)] for i in range(n)]
    ids = run(frames, fps)
    first = ids[1]
    assert -1 not in first
    for f in ids[1:]:
        assert f == first or -1 in f, ids  # never swapped


@pytest.mark.parametrize("fps", [2, 5])
def test_someone_entering_far_from_where_a_person_was_lost_is_someone_else(fps: float) -> None:
    """A person stands, leaves the detector's view for a second, and another appears two body heights away."""
    frames = [[person(100)]] * int(3 * fps) + [[]] * int(fps) + [[person(100 + 2.2 * H)]] * int(3 * fps)
    ids = run(frames, fps)
    assert ids[-1][0] not in (-1, ids[2][0])


def test_reach_affinity_table() -> None:
    """Overlap-free boxes link within reach, fall off with the squared distance, and not across sizes."""
    e = np.array([person(0)])
    gap = np.array([0.5])  # reach: 2 heights/s * 0.5 s = 1 height
    found = np.array([person(0), person(0.5 * H), person(0.99 * H), person(1.2 * H), person(0, h=0.5 * H)])
    a = reach_affinity(e, found, gap)[0]
    assert a[0] == pytest.approx(0.9)
    assert a[1] == pytest.approx(0.9 * (1 - 0.25))
    assert 0 < a[2] < 0.05
    assert a[3] == 0 and a[4] == 0  # beyond reach; half the height (someone else, or a child)
    assert reach_affinity(e, found[:0], gap).shape == (1, 0)
