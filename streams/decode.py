"""Decoded frames and their errors, and decoding a video file into BGR frames at an analysis rate (PyAV).

Live cameras and replayed files are read by :class:`streams.source.CameraSource`; this module holds the
types every stage shares (:class:`Frame`, :class:`StreamError`) and the simple synchronous file reader
used by command-line tools.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import av
import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import ColorRange
from av.video.stream import VideoStream
from numpy.typing import NDArray


class StreamError(RuntimeError):
    """A video source cannot be opened or decoded; the message names the source and the cause."""


@dataclass(frozen=True)
class Frame:
    """One decoded picture handed to analysis."""

    index: int  # decoded frame number in the source (keeps counting across loops and reconnects)
    t_s: float  # stream seconds: monotonic per source, the clock the rules run on
    bgr: NDArray[np.uint8]  # height x width x 3, BGR
    camera_id: str = ""  # the camera it came from ("" for a plain file read)
    wall: datetime | None = None  # UTC time the frame was decoded (None for a plain file read)
    luma: Luma | None = None  # the same picture's brightness plane, when the decoder gave one

    @property
    def picture(self) -> NDArray[np.uint8] | Luma:
        """What the grey analyses (motion, left objects) read: the luma plane when there is one, else BGR."""
        return self.bgr if self.luma is None else self.luma


@dataclass(frozen=True)
class Luma:
    """A decoded picture's brightness (luma) plane as the decoder gave it: no copy, no colour conversion.

    The analyses that judge brightness over the whole picture (motion, left objects) read a small grey
    copy of it (`detector.thumbnail.grey_thumbnail`) instead of converting the BGR frame back to grey.
    """

    plane: NDArray[np.uint8]  # height x width, a view into the decoded picture (rows may be padded)
    tv_range: bool  # black at 16 and white at 235 (most video), else the full 0-255


# Pixel formats whose first plane is 8-bit luma, and those of them that use the full 0-255 range.
_LUMA_FORMATS = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
_FULL_RANGE_FORMATS = {"yuvj420p", "yuvj422p", "yuvj444p", "gray"}


def to_bgr(frame: VideoFrame) -> NDArray[np.uint8]:
    """A decoded picture as a height x width x 3 BGR array (swscale, honouring the picture's colour tags).

    An OpenCV conversion of 4:2:0 planes was tried: it finished sooner on its thread pool but cost the
    same CPU, which is what a process running many cameras is short of.
    """
    return np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)


def to_luma(frame: VideoFrame) -> Luma | None:
    """A decoded picture's luma plane, or None when its pixel format has no 8-bit one."""
    name = frame.format.name
    if name not in _LUMA_FORMATS:
        return None
    plane = frame.planes[0]
    if plane.line_size < frame.width:  # a negative stride (a picture stored bottom-up): no plain view of it
        return None
    view = np.frombuffer(memoryview(plane), np.uint8).reshape(frame.height, plane.line_size)[:, : frame.width]
    view.flags.writeable = False  # the decoder's memory: later frames are predicted from it
    return Luma(view, tv_range=name not in _FULL_RANGE_FORMATS and frame.color_range != ColorRange.JPEG)


def open_video(path: Path) -> tuple[InputContainer, VideoStream]:
    """An open file and its first video stream; StreamError says what was wrong. Close the container."""
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as e:
        raise StreamError(f"cannot open video {path}: {e}") from e
    if not container.streams.video:
        container.close()
        raise StreamError(f"{path} has no video stream (expected a video file such as H.264 MP4)")
    return container, container.streams.video[0]


T = TypeVar("T")


def lose_frames(frames: Iterable[T], percent: float, seed: int = 0) -> Iterator[T]:
    """``frames`` less ``percent`` % of them (0 <= percent < 100), lost at random as a live camera on a busy
    machine loses decoded frames; the same ``seed`` loses the same frames."""
    if not (math.isfinite(percent) and 0.0 <= percent < 100.0):
        raise ValueError(f"frame loss must be a percentage in [0, 100); got {percent}")
    rng = random.Random(seed)
    return (f for f in frames if rng.random() * 100.0 >= percent)


class FileFrames:
    """A file decoded as fast as possible, at most ``fps`` frames per stream-second (all if None).

    ``decoded`` counts every frame decoded so far, sampled or not. ``drop`` % of the decoded frames
    (seeded by ``drop_seed``) are lost before the sampling, as a live camera on a busy machine loses
    them (`lose_frames`); ``dropped`` counts them. After the last frame, ``stated_end_s`` is where the
    file says it ends (None when it does not say) and ``end_s`` where its frames ended: a file cut short
    (a copy interrupted, a recorder that lost power) keeps its header's duration, and ``missing_s`` says
    how much of it there was no frame for.
    """

    def __init__(self, path: Path, fps: float | None = None, drop: float = 0.0, drop_seed: int = 0) -> None:
        lose_frames((), drop)  # refuse a bad share now, not at the first frame
        self.path = path
        self.fps = fps
        self.drop = drop
        self.drop_seed = drop_seed
        self.decoded = 0
        self._kept = 0
        self.stated_end_s: float | None = None
        self.end_s = 0.0

    @property
    def dropped(self) -> int:
        return self.decoded - self._kept

    @property
    def missing_s(self) -> float:
        """Seconds of the file's stated duration after its last frame; 0 for a whole file (or one that
        states no duration). Read after the frames are consumed."""
        if self.stated_end_s is None:
            return 0.0
        missing = self.stated_end_s - self.end_s
        return missing if missing > TRUNCATION_TOLERANCE_S else 0.0

    def __iter__(self) -> Iterator[Frame]:
        path, fps = self.path, self.fps
        container, stream = open_video(path)
        self.decoded, self._kept, self.end_s = 0, 0, 0.0
        self.stated_end_s = stated_end_s(container, stream)
        with container:
            stream.thread_type = "AUTO"
            next_t = 0.0
            try:
                for i, frame in lose_frames(self._decode(container, stream), self.drop, self.drop_seed):
                    self._kept += 1
                    t = float(frame.time) if frame.time is not None else i / float(stream.average_rate or 25)
                    if fps is not None and t + 1e-6 < next_t:
                        continue
                    next_t = t + 1.0 / fps if fps else 0.0
                    yield Frame(i, t, to_bgr(frame), luma=to_luma(frame))
            except av.FFmpegError as e:
                raise StreamError(f"decoding {path} failed at {next_t:.2f} s: {e}") from e

    def _decode(self, container: InputContainer, stream: VideoStream) -> Iterator[tuple[int, VideoFrame]]:
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        for i, frame in enumerate(container.decode(stream)):
            self.decoded = i + 1
            t = float(frame.time) if frame.time is not None else i / rate
            self.end_s = max(self.end_s, t + 1.0 / rate)
            yield i, frame


# A file is called cut short when its frames end this long before its stated duration (more than a
# frame's rounding or a container's padding).
TRUNCATION_TOLERANCE_S = 0.5


def stated_end_s(container: InputContainer, stream: VideoStream) -> float | None:
    """Where the video ends (in frame time) as its header states it: the stream's own start and duration,
    else the container's; None when neither says."""
    if stream.duration is not None and stream.time_base is not None:
        return float(((stream.start_time or 0) + stream.duration) * stream.time_base)
    if container.duration is not None:
        return ((container.start_time or 0) + container.duration) / av.time_base
    return None


def iter_file_frames(path: Path, fps: float | None = None) -> Iterator[Frame]:
    """Decode ``path`` as fast as possible, yielding frames at most ``fps`` per second (all if None)."""
    return iter(FileFrames(path, fps))
