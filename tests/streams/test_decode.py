"""Decoded pictures to BGR: the fast path for camera pictures and swscale for everything else."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from streams.decode import to_bgr
from streams.writer import H264Writer


def colourful(width: int, height: int, i: int) -> np.ndarray:
    """Smooth colour ramps (chroma upsampling differs only at sharp edges), shifting from frame to frame."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    b = 128 + 100 * np.sin(x / 37 + i / 5)
    g = 128 + 100 * np.sin(y / 23 - i / 7)
    r = 128 + 100 * np.cos((x + y) / 51 + i / 3)
    return np.dstack([b, g, r]).clip(0, 255).astype(np.uint8)


def test_camera_pictures_convert_like_swscale(tmp_path: Path) -> None:
    path = tmp_path / "colour.mp4"
    with H264Writer(path, 320, 240, 25.0) as writer:
        for i in range(10):
            writer.write(colourful(320, 240, i))
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            assert frame.format.name == "yuv420p"
            fast, reference = to_bgr(frame), frame.to_ndarray(format="bgr24")
            assert fast.shape == reference.shape == (240, 320, 3) and fast.dtype == np.uint8
            diff = np.abs(fast.astype(np.int16) - reference.astype(np.int16))
            assert diff.mean() < 2.0 and np.percentile(diff, 99) <= 6, (diff.mean(), np.percentile(diff, 99))


def test_other_pictures_go_through_swscale() -> None:
    """Full-range (MJPEG cameras, yuvj420p) and odd-sized pictures take swscale's conversion, exactly."""
    for width, height, fmt in [(320, 240, "yuvj420p"), (321, 241, "yuv420p")]:
        frame = av.VideoFrame.from_ndarray(colourful(width, height, 0)[..., ::-1].copy(), format="rgb24")
        frame = frame.reformat(format=fmt)
        assert np.array_equal(to_bgr(frame), frame.to_ndarray(format="bgr24")), (width, height, fmt)
