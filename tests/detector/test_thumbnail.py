"""Grey thumbnails from the decoder's luma plane match those made from the BGR frame."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from detector.leftobject import LeftObjectDetector
from detector.motion import MotionGate
from detector.thumbnail import grey_thumbnail
from streams.decode import Frame, Luma, iter_file_frames, to_luma
from streams.writer import H264Writer


def _scene(w: int, h: int, i: int) -> np.ndarray:
    """Dark to bright gradients, coloured boxes and a moving bright bar: every grey level, strong colours."""
    frame = np.zeros((h, w, 3), np.uint8)
    frame[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    frame[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
    frame[..., 2] = 128
    frame[h // 4 : h // 2, w // 5 : w // 3] = (20, 40, 220)
    frame[h // 2 : 3 * h // 4, w // 2 : 2 * w // 3] = (240, 240, 240)
    frame[:, (i * 11) % w : (i * 11) % w + 6] = 250
    return frame


@pytest.mark.parametrize("size", [(1280, 720), (960, 540), (320, 180)])
def test_luma_thumbnail_matches_the_bgr_one(tmp_path: Path, size: tuple[int, int]) -> None:
    """Same size, same places and brightness within about two grey levels (the BGR conversion rounds and
    clips colours; measured ~1.5 on average); limited-range luma (16-235) is stretched to 0-255 as the BGR
    conversion does (without that, a bright area would be ~20 levels darker)."""
    w, h = size
    path = tmp_path / "clip.mp4"
    with H264Writer(path, w, h, 10.0) as writer:
        for i in range(5):
            writer.write(_scene(w, h, i))
    frames = list(iter_file_frames(path))
    assert frames and all(f.luma is not None and f.luma.tv_range for f in frames)
    assert all(f.luma is not None and not f.luma.plane.flags.writeable for f in frames)  # the decoder's memory
    assert all(f.picture is f.luma for f in frames)  # what the grey analyses read
    bgr_only = Frame(0, 0.0, frames[0].bgr)
    assert bgr_only.picture is bgr_only.bgr
    for f in frames:
        assert f.luma is not None and f.luma.plane.shape == (h, w)
        for thumb in [(320, 180), (160, 90)]:
            a = grey_thumbnail(f.bgr, thumb).astype(int)
            b = grey_thumbnail(f.luma, thumb).astype(int)
            assert a.shape == b.shape == (thumb[1], thumb[0])
            assert np.abs(a - b).mean() <= 2.5 and np.percentile(np.abs(a - b), 99) <= 4, thumb


def test_full_range_and_missing_luma() -> None:
    grey = np.tile(np.arange(0, 256, dtype=np.uint8), (16, 1))
    luma = to_luma(av.VideoFrame.from_ndarray(grey, format="gray"))
    assert luma is not None and not luma.tv_range
    assert (grey_thumbnail(luma, (128, 8)) == grey_thumbnail(np.dstack([grey] * 3), (128, 8))).all()
    assert to_luma(av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")) is None


def test_a_luma_plane_of_another_size_is_refused() -> None:
    detector = LeftObjectDetector((640, 360))
    with pytest.raises(ValueError, match=r"luma plane must be uint8 \(360, 640\); got uint8 \(180, 320\)"):
        detector.update(Luma(np.zeros((180, 320), np.uint8), tv_range=True), 0.0, np.zeros((0, 4), np.float32))


def test_motion_gate_sees_the_same_on_luma_and_bgr() -> None:
    """The gate's verdicts on a moving bar are the same whichever picture it is given."""
    by_bgr, by_luma = MotionGate(), MotionGate()
    for i in range(12):
        bgr = _scene(640, 360, i // 3)  # the bar moves every third frame
        grey = np.asarray(0.114 * bgr[..., 0] + 0.587 * bgr[..., 1] + 0.299 * bgr[..., 2], np.float64)
        luma = Luma(np.round(16 + grey * 219 / 255).astype(np.uint8), tv_range=True)
        assert by_bgr.moved(bgr) == by_luma.moved(luma), i


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (2560, 1440), (1281, 721), (960, 540)])
def test_decimation_takes_the_same_pixels_as_opencv(size: tuple[int, int]) -> None:
    """The fast whole-step decimation of a (row-padded) luma plane picks exactly OpenCV's nearest pixels."""
    w, h = size
    plane = np.random.default_rng(w).integers(0, 256, (h, w + 32), np.uint8)[:, :w]  # padded rows, as decoded
    for thumb in [(320, 180), (160, 90)]:
        near = cv2.resize(plane, (2 * thumb[0], 2 * thumb[1]), interpolation=cv2.INTER_NEAREST)
        expected = cv2.resize(near, thumb, interpolation=cv2.INTER_AREA)
        assert (grey_thumbnail(Luma(plane, tv_range=False), thumb) == expected).all(), thumb
