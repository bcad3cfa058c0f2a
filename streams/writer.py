"""H.264 MP4 writing with PyAV's bundled libx264 (browser-playable: yuv420p, faststart)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from numpy.typing import NDArray


class H264Writer:
    """Encodes BGR frames of a fixed size into an MP4 that browsers play and seek."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: float,
        crf: int = 23,
        gop_s: float = 2.0,
        preset: str = "veryfast",
        threads: int = 0,
        x264_params: str = "",
    ) -> None:
        """threads=0 lets x264 choose; its threaded output can differ from run to run, threads=1 never does.
        ``x264_params`` overrides single settings of the preset (x264's own ``key=value:key=value``)."""
        if width % 2 or height % 2:
            raise ValueError(f"H.264 yuv420p needs an even frame size; got {width}x{height}")
        if fps <= 0:
            raise ValueError(f"fps must be positive; got {fps}")
        self.path = path
        self._container = av.open(str(path), mode="w", options={"movflags": "+faststart"})
        rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width = width
        self._stream.height = height
        self._stream.pix_fmt = "yuv420p"
        self._stream.codec_context.gop_size = max(1, round(fps * gop_s))
        self._stream.codec_context.thread_count = threads
        extra = {"x264-params": x264_params} if x264_params else {}
        self._stream.options = {"crf": str(crf), "preset": preset, "profile": "high", **extra}
        self._size = (width, height)
        self.frames = 0

    def write(self, bgr: NDArray[np.uint8]) -> None:
        if bgr.shape[1::-1] != self._size:
            raise ValueError(
                f"frame is {bgr.shape[1]}x{bgr.shape[0]}; this writer expects {self._size[0]}x{self._size[1]}"
            )
        frame = av.VideoFrame.from_ndarray(bgr, format="bgr24")
        frame.pts = self.frames
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
