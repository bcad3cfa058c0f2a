"""Reading a file into Frames (FileFrames), and losing frames on purpose as a busy live camera does (lose_frames)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from streams.decode import FileFrames, lose_frames
from tests.streams.conftest import ClipFactory


@pytest.mark.parametrize("percent", [10.0, 30.0, 75.0])
def test_lose_frames_loses_about_the_share_asked(percent: float) -> None:
    kept = list(lose_frames(range(1000), percent, seed=3))
    assert len(kept) == pytest.approx(1000 * (1 - percent / 100), abs=50)  # about 3 sigma at 30 %
    assert kept == sorted(set(kept))  # the frames that are kept keep their order


def test_lose_frames_is_seeded() -> None:
    assert list(lose_frames(range(1000), 30.0, seed=7)) == list(lose_frames(range(1000), 30.0, seed=7))
    assert list(lose_frames(range(1000), 30.0, seed=7)) != list(lose_frames(range(1000), 30.0, seed=8))


@pytest.mark.parametrize("percent", [-1.0, 100.0, float("nan"), float("inf")])
def test_lose_frames_refuses_a_share_out_of_range(percent: float) -> None:
    with pytest.raises(ValueError, match=r"frame loss must be a percentage in \[0, 100\); got"):
        lose_frames(range(10), percent)
    with pytest.raises(ValueError, match="frame loss must be a percentage"):
        FileFrames(Path("x.mp4"), 5.0, drop=percent)


def test_file_frames_lose_decoded_frames_before_the_sampling(make_clip: ClipFactory) -> None:
    """Without loss every frame comes; with it, the same frames for the same seed, counted as dropped; the
    analysis rate then samples what is left (a lost frame's turn goes to the next one kept)."""
    clip = make_clip(4.0, fps=25.0)
    every = FileFrames(clip)
    assert [f.index for f in every] == list(range(100)) and (every.decoded, every.dropped) == (100, 0)
    lossy = FileFrames(clip, drop=40.0, drop_seed=5)
    kept = [f.index for f in lossy]
    assert kept == list(lose_frames(range(100), 40.0, seed=5))
    assert (lossy.decoded, lossy.dropped) == (100, 100 - len(kept))
    assert [f.index for f in lossy] == kept  # a second reading loses the same frames
    assert [f.index for f in FileFrames(clip, fps=5.0)] == list(range(0, 100, 5))
    sampled = [f.index for f in FileFrames(clip, fps=5.0, drop=40.0, drop_seed=5)]
    assert set(sampled) <= set(kept) and sampled[0] == kept[0]
    for a, b in itertools.pairwise(sampled):  # the first frame kept at least 0.2 s after the last
        assert b == min(i for i in kept if i >= a + 5), (a, b)
