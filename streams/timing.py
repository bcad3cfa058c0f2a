"""Stream time for a camera reader: one monotonic timeline across reconnects and loops, pacing, rates.

Cameras and servers send odd timestamps: none on the first packets, clocks that restart, files that
loop back to 0. Analysis needs one clock that only goes forward (``Frame.t_s``) and the packet ring
needs timestamps a muxer accepts, so every packet is re-stamped onto the timeline before it is kept
or decoded.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from fractions import Fraction

UNTIMED_LIMIT = 50  # packets without any timestamp before a source is treated as untimed (e.g. MJPEG)


class Timeline:
    """Maps one session's packet timestamps onto the source's timeline, in the session's time-base ticks.

    A session starts at ``start_s`` with its first keyframe that carries a timestamp; packets before
    it are refused (:meth:`place` returns None) because they can be neither placed in time nor decoded
    on their own. A source that sends no timestamps at all is stamped from its frame rate instead.
    When the source's clock jumps back by more than ``jump_back_s`` (a camera resets its clock, a
    server loops its file) the timeline continues one frame after the latest packet.
    """

    def __init__(
        self, time_base: Fraction, start_s: float, frame_s: float, jump_back_s: float = 1.0,
        untimed_after: int = UNTIMED_LIMIT,
    ) -> None:  # fmt: skip
        """``untimed_after``: packets without a timestamp before the source counts as untimed (a live
        stream may send a few before its clock starts; a file's packets are as they will stay: 0)."""
        if time_base <= 0 or frame_s <= 0:
            raise ValueError(f"time base and frame duration must be > 0; got {time_base} and {frame_s} s")
        self.time_base = time_base
        self._start = round(start_s / time_base)
        self._frame = max(1, round(frame_s / time_base))
        self._jump = round(jump_back_s / time_base)
        self._offset: int | None = None  # timeline ticks = raw ticks + offset
        self._untimed_after = untimed_after
        self._untimed = 0  # packets seen without any timestamp before the start
        self._synthesize = False  # untimed source: stamp every packet one frame after the previous
        self._last_key: int | None = None  # timeline dts (or pts) of the previous packet
        self._max_pts: int | None = None
        self._last_frame: int | None = None

    @property
    def started(self) -> bool:
        return self._offset is not None or self._synthesize

    def place(self, pts: int | None, dts: int | None, is_keyframe: bool) -> tuple[int, int | None] | None:
        """Timeline (pts, dts) for the next packet in decode order, or None for a packet before the start."""
        raw = pts if pts is not None else dts
        if not self.started:
            if raw is None:
                self._untimed += 1
                self._synthesize = is_keyframe and self._untimed > self._untimed_after
            elif is_keyframe:
                self._offset = self._start - raw
            if not self.started:
                return None
        if self._synthesize or raw is None or self._offset is None:
            placed = self._start if self._max_pts is None else self._max_pts + self._frame
            self._note(placed, None)
            return placed, None
        key_raw = dts if dts is not None else raw
        if (
            self._last_key is not None
            and self._max_pts is not None
            and key_raw + self._offset < self._last_key - self._jump
        ):
            self._offset = max(self._last_key + self._frame - key_raw, self._max_pts + self._frame - raw)
        placed_dts = None if dts is None else dts + self._offset
        placed = raw + self._offset
        self._note(placed, placed_dts)
        return placed, placed_dts

    def _note(self, pts: int, dts: int | None) -> None:
        self._last_key = dts if dts is not None else pts
        self._max_pts = pts if self._max_pts is None else max(self._max_pts, pts)

    def frame_time(self, frame_pts: int | None) -> float:
        """Stream seconds of a decoded frame whose packet was stamped by :meth:`place`."""
        if frame_pts is None:
            frame_pts = self._start if self._last_frame is None else self._last_frame + self._frame
        self._last_frame = frame_pts
        return float(frame_pts * self.time_base)

    def seconds(self, ticks: int) -> float:
        return float(ticks * self.time_base)

    @property
    def end_s(self) -> float | None:
        """Where the next session continues: one frame after the latest packet (None if none came)."""
        return None if self._max_pts is None else float((self._max_pts + self._frame) * self.time_base)


class Pacer:
    """Holds a replayed file to its own frame rate (``realtime=True``); ``stop`` cuts a wait short."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._origin: tuple[float, float] | None = None  # (stream s, monotonic s) of the first packet

    def wait_for(self, t_s: float) -> None:
        """Return when the wall clock has caught up with stream time ``t_s``."""
        now = time.monotonic()
        if self._origin is None:
            self._origin = (t_s, now)
            return
        delay = (t_s - self._origin[0]) - (now - self._origin[1])
        if delay > 0:
            self._stop.wait(delay)


class RateMeter:
    """Events per second over a sliding window of wall-clock time (thread-safe)."""

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s = window_s
        self._events: deque[float] = deque()
        self._since: float | None = None
        self._lock = threading.Lock()

    def tick(self, now: float) -> None:
        with self._lock:
            if self._since is None:
                self._since = now
            self._events.append(now)
            self._prune(now)

    def _prune(self, now: float) -> None:
        while self._events and self._events[0] < now - self.window_s:
            self._events.popleft()

    def rate(self, now: float) -> float:
        """Events per second over the last ``window_s`` (or since the first event, if more recent)."""
        with self._lock:
            if self._since is None:
                return 0.0
            self._prune(now)
            span = min(self.window_s, now - self._since)
            return len(self._events) / span if span > 0 else 0.0
