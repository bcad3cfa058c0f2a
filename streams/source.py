"""One camera as a stream of Frames: open, demux, buffer packets, decode, sample, reconnect (PyAV).

A :class:`CameraSource` owns one reader thread. The thread demuxes the camera's video packets, keeps
every packet in a :class:`~streams.ring.PacketRing` (the evidence pre-buffer), decodes, and hands on
frames at the analysis rate, chosen by stream time (e.g. 25 fps in, 5 fps out), into a small queue.

Queue policy:
  * live sources (RTSP, HTTP, devices) and files replayed with ``realtime=True``: when the consumer is
    behind, the OLDEST queued frame is dropped and counted; the reader never waits for the consumer.
  * files read with ``realtime=False`` (offline analysis): the reader WAITS for the consumer instead,
    so every sampled frame reaches it and nothing is dropped.

Failures: a live source that errors or stalls (no packet for ``stall_timeout_s``) is reopened with
exponential backoff up to ``backoff_max_s``; t_s keeps increasing across reconnects and file loops.
A file that cannot be read is reported in :meth:`CameraSource.health` (state ``failed`` with the
error) unless it loops, in which case it is retried like a camera. Nothing escapes the thread, so
one bad camera never stops the others. Every log line names the camera.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
from av.container import InputContainer
from av.packet import Packet
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from redact import redact_text, redact_url, url_secrets
from streams.decode import Frame, StreamError, to_bgr, to_luma
from streams.ring import CodecParams, EncodedPacket, PacketRing
from streams.timing import UNTIMED_LIMIT, Pacer, RateMeter, Timeline

logger = logging.getLogger("binwatch.streams")

RTSP_TRANSPORTS = ("tcp", "udp")


class StreamState(StrEnum):
    """Where a source is in its life."""

    CONNECTING = "connecting"  # opening for the first time
    ONLINE = "online"  # packets are arriving
    RECONNECTING = "reconnecting"  # lost or never reached; retrying with backoff
    ENDED = "ended"  # a file finished and does not loop
    FAILED = "failed"  # a file (without loop) cannot be read; see last_error
    STOPPED = "stopped"  # stop() was called


class SourceKind(StrEnum):
    """How a source is opened and what its end means (a file ends; a live stream is reconnected)."""

    FILE = "file"
    RTSP = "rtsp"
    HTTP = "http"
    DEVICE = "device"


def source_kind(url: str) -> SourceKind:
    """What kind of source ``url`` names: rtsp(s)://, http(s)://, /dev/video* (V4L2), else a file path."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("rtsp", "rtsps"):
        return SourceKind.RTSP
    if scheme in ("http", "https"):
        return SourceKind.HTTP
    if url.startswith("/dev/"):
        return SourceKind.DEVICE
    if scheme in ("", "file"):
        return SourceKind.FILE
    raise ValueError(f"unsupported source URL scheme {scheme!r}; expected rtsp, rtsps, http, https, file or /dev/...")


@dataclass(frozen=True)
class SourceHealth:
    """A snapshot of one source, for the health endpoint and the watchdog."""

    camera_id: str
    state: StreamState
    fps_in: float  # frames decoded per second over the last few seconds
    fps_out: float  # frames handed to the queue per second over the last few seconds
    dropped: int  # frames dropped because the consumer was behind
    last_frame_wall: float | None  # epoch seconds of the last decoded frame
    reconnects: int  # reopen attempts after an error, stall or end of a live stream
    last_error: str | None  # credentials redacted
    frames_out: int = 0  # frames handed to the queue in total
    ring_bytes: int = 0  # encoded bytes held in the packet ring
    stream_s: float | None = None  # stream time of the last decoded frame (goes on across reconnects and loops)


class _CameraLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes every message with the camera id (and passes it as ``camera_id`` for structured logs)."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        camera_id = self.extra["camera_id"] if self.extra else "?"
        kwargs.setdefault("extra", {})["camera_id"] = camera_id
        return f"[{camera_id}] {msg}", kwargs


class _FrameQueue:
    """A bounded frame queue: drop-oldest for live readers, blocking for offline readers."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._frames: deque[Frame] = deque()
        self._cond = threading.Condition()
        self._closed = False

    def put_drop_oldest(self, frame: Frame) -> bool:
        """Enqueue without waiting; returns True when the oldest frame had to be dropped."""
        with self._cond:
            dropped = len(self._frames) >= self.size
            if dropped:
                self._frames.popleft()
            self._frames.append(frame)
            self._cond.notify_all()
            return dropped

    def put_wait(self, frame: Frame, stop: threading.Event) -> bool:
        """Enqueue, waiting for room; returns False (frame not queued) if ``stop`` is set meanwhile."""
        with self._cond:
            while len(self._frames) >= self.size:
                if stop.is_set() or self._closed:
                    return False
                self._cond.wait(0.1)
            self._frames.append(frame)
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None) -> Frame | None:
        """The oldest frame; None on timeout, or at once when the queue is closed and empty."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._frames:
                if self._closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            frame = self._frames.popleft()
            self._cond.notify_all()
            return frame

    def close(self) -> None:
        """No more frames will come: wake every waiter."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._frames)


class _Session:
    """Per-open state of the reader: the container's stream, its timeline and counters."""

    def __init__(self, stream: VideoStream, timeline: Timeline, pacer: Pacer | None) -> None:
        self.stream = stream
        self.timeline = timeline
        self.pacer = pacer
        self.packets = 0


class CameraSource:
    """One camera (or video file) as a bounded, self-healing stream of :class:`Frame`.

    ``url`` is an rtsp(s)://, http(s):// URL, a /dev/video* device, or a file path. Frames come at
    most ``analysis_fps`` per stream second. ``realtime`` and ``loop`` apply to files: replay at the
    file's own rate (demo cameras) and restart at the end. With ``realtime=False`` a file is read as
    fast as the consumer takes frames, and none are dropped. ``buffer_s`` sizes the encoded packet ring.
    ``rtsp_transport`` is "tcp" or "udp". ``decoder_threads`` is FFmpeg's thread count for this camera's
    decoder (default 1: the cameras of a process decode in parallel; 0 lets FFmpeg choose). ``start_s``
    (files only): the first pass starts at the keyframe at or before this many seconds into the file,
    stream time counting from 0 there; loops start from the beginning. (For benchmarks: cameras reading
    one clip need not see the same moment. Not for demo cameras, whose clock takes stream time as the
    position in the clip.)
    """

    def __init__(
        self,
        camera_id: str,
        url: str,
        *,
        analysis_fps: float = 5.0,
        buffer_s: float = 15.0,
        realtime: bool = False,
        loop: bool = False,
        queue_size: int = 2,
        rtsp_transport: str = "tcp",
        stall_timeout_s: float = 10.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        decoder_threads: int = 1,
        start_s: float = 0.0,
    ) -> None:
        self.camera_id = camera_id
        self.url = url
        self.kind = source_kind(url)
        _check_positive(analysis_fps=analysis_fps, stall_timeout_s=stall_timeout_s)
        _check_positive(backoff_initial_s=backoff_initial_s, backoff_max_s=backoff_max_s)
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1; got {queue_size}")
        if decoder_threads < 0:
            raise ValueError(f"decoder_threads must be >= 0 (0 = FFmpeg chooses); got {decoder_threads}")
        if rtsp_transport not in RTSP_TRANSPORTS:
            raise ValueError(f"rtsp_transport must be one of {RTSP_TRANSPORTS}; got {rtsp_transport!r}")
        if loop and self.kind is not SourceKind.FILE:
            raise ValueError(f"loop=True needs a file source; {redact_url(url)} is a {self.kind} source")
        if not (math.isfinite(start_s) and start_s >= 0):
            raise ValueError(f"start_s must be >= 0 seconds; got {start_s}")
        if start_s and self.kind is not SourceKind.FILE:
            raise ValueError(f"start_s needs a file source; {redact_url(url)} is a {self.kind} source")
        self.start_s = start_s
        self._seek_s = start_s  # where the next session starts reading; 0 after the first
        self.analysis_fps = analysis_fps
        self.realtime = realtime
        self.loop = loop
        self.rtsp_transport = rtsp_transport
        self.stall_timeout_s = stall_timeout_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.decoder_threads = decoder_threads
        self.ring = PacketRing(buffer_s)
        self.log = _CameraLog(logger, {"camera_id": camera_id})
        self._queue = _FrameQueue(queue_size)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._state = StreamState.CONNECTING
        self._last_error: str | None = None
        self._reconnects = 0
        self._dropped = 0
        self._frames_decoded = 0
        self._frames_out = 0
        self._last_frame_wall: float | None = None
        self._last_frame_t: float | None = None
        self._last_packet_wall: float | None = None
        self._fps_in = RateMeter()
        self._fps_out = RateMeter()
        self._timeline_end_s = 0.0
        self._last_slot: int | None = None
        self._session_packets = 0

    @property
    def blocking(self) -> bool:
        """True when the reader waits for the consumer instead of dropping (files read with realtime=False)."""
        return self.kind is SourceKind.FILE and not self.realtime

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> CameraSource:
        """Start the reader thread (once); returns self."""
        if self._thread is not None:
            raise RuntimeError(f"camera {self.camera_id}: start() called twice; a source runs one reader thread")
        self._thread = threading.Thread(target=self._run, name=f"binwatch-stream-{self.camera_id}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Ask the reader to stop and join it.

        A read blocked inside FFmpeg returns within ``stall_timeout_s`` at worst; when stopping many
        cameras, call :meth:`request_stop` on all of them first.
        """
        self.request_stop()
        if self._thread is None:  # never started
            self._set_state(StreamState.STOPPED)
        elif self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                self.log.warning("reader thread still running %.1f s after stop()", timeout or 0.0)

    def request_stop(self) -> None:
        """Ask the reader to stop without waiting for it."""
        self._stop.set()
        self._queue.close()

    def __enter__(self) -> CameraSource:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- consumer side ---------------------------------------------------------------------------

    def get(self, timeout: float | None = None) -> Frame | None:
        """The next frame; None when ``timeout`` passes first, or once the source has finished."""
        return self._queue.get(timeout)

    def __iter__(self) -> Iterator[Frame]:
        """Frames until the source ends, fails or is stopped (live sources go on through reconnects)."""
        while True:
            frame = self._queue.get(timeout=None)
            if frame is None:
                return
            yield frame

    @property
    def queued(self) -> int:
        """Frames waiting in the queue (never more than ``queue_size``)."""
        return len(self._queue)

    def health(self) -> SourceHealth:
        """State, rates and counters right now (safe to call from any thread)."""
        now = time.time()
        with self._lock:
            state, error = self._state, self._last_error
        return SourceHealth(
            camera_id=self.camera_id,
            state=state,
            fps_in=self._fps_in.rate(now),
            fps_out=self._fps_out.rate(now),
            dropped=self._dropped,
            last_frame_wall=self._last_frame_wall,
            reconnects=self._reconnects,
            last_error=error,
            frames_out=self._frames_out,
            ring_bytes=self.ring.nbytes,
            stream_s=self._last_frame_t,
        )

    # ---- reader thread ---------------------------------------------------------------------------

    def _set_state(self, state: StreamState, error: str | None = None) -> None:
        with self._lock:
            if self._state is not state:
                self.log.info("%s -> %s", self._state, state)
            self._state = state
            if error is not None:
                self._last_error = error

    def _run(self) -> None:
        try:
            self._read_until_done()
        except Exception as e:  # a bug, not a stream problem: record it, keep the process and other cameras alive
            self.log.exception("reader crashed")
            self._set_state(StreamState.FAILED, self._redact(f"internal error in the reader: {type(e).__name__}: {e}"))
        finally:
            if self._stop.is_set():
                with self._lock:
                    if self._state not in (StreamState.ENDED, StreamState.FAILED):
                        self._state = StreamState.STOPPED
            self._queue.close()

    def _read_until_done(self) -> None:
        failures = 0  # consecutive sessions that failed without delivering a packet
        while not self._stop.is_set():
            self._session_packets = 0
            try:
                self._read_session()
                problem = None if self.kind is SourceKind.FILE else f"{redact_url(self.url)} closed the stream"
            except StreamError as e:
                problem = self._redact(str(e))
                if self.kind is SourceKind.FILE and not self.loop:
                    self.log.error("%s", problem)
                    self._set_state(StreamState.FAILED, problem)
                    return
            if self._stop.is_set():
                return
            failures = 1 if self._session_packets else failures + 1
            if problem is not None:
                self._wait_to_reconnect(problem, failures)
            elif not self.loop:
                self._set_state(StreamState.ENDED)
                return

    def _wait_to_reconnect(self, message: str, failures: int) -> None:
        delay = min(self.backoff_max_s, self.backoff_initial_s * 2 ** (failures - 1))
        self.log.warning("%s; reconnecting in %.1f s", message, delay)
        self._set_state(StreamState.RECONNECTING, message)
        if not self._stop.wait(delay):
            self._reconnects += 1

    def _open(self) -> InputContainer:
        fmt: str | None = None
        options: dict[str, str] = {}
        timeout: tuple[float, float] | None = (self.stall_timeout_s, self.stall_timeout_s)
        target = self.url
        if self.kind is SourceKind.RTSP:
            options = {"rtsp_transport": self.rtsp_transport, "timeout": str(int(self.stall_timeout_s * 1e6))}
        elif self.kind is SourceKind.HTTP:
            options = {"timeout": str(int(self.stall_timeout_s * 1e6))}
        elif self.kind is SourceKind.DEVICE:
            fmt = "v4l2"
        else:
            target = self.url.removeprefix("file://")
            timeout = None
            if not Path(target).is_file():
                raise StreamError(f"cannot open video file {target}: it does not exist or is not a file")
        try:
            return av.open(target, format=fmt, options=options, timeout=timeout)
        except (av.FFmpegError, OSError) as e:
            raise StreamError(f"cannot open {self.kind} source {redact_url(self.url)}: {self._redact(str(e))}") from e

    def _read_session(self) -> None:
        """Open, read until the input ends (or stop() is called), close; raises StreamError on failure."""
        container = self._open()
        with container:
            if not container.streams.video:
                raise StreamError(f"{redact_url(self.url)} has no video stream (expected H.264/H.265 video)")
            stream = container.streams.video[0]
            # decoder_threads per camera, one by default: a process runs many cameras, so they are the
            # parallelism, and FFmpeg's own frame threads only add hand-offs. PyAV decodes without the GIL.
            stream.codec_context.thread_count = self.decoder_threads
            stream.thread_type = "AUTO"
            seeked = self._seek(container, stream)
            if self.ring.set_codec_params(CodecParams.from_stream(stream)):
                self.log.info("stream parameters changed; packet ring cleared")
            session = _Session(stream, self._new_timeline(stream), Pacer(self._stop) if self._paced else None)
            try:
                for packet in container.demux(stream):
                    if self._stop.is_set():
                        return
                    self._on_packet(session, packet)
            except av.FFmpegError as e:
                raise StreamError(
                    f"reading {redact_url(self.url)} failed after {session.packets} packets: {self._redact(str(e))}"
                ) from e
            finally:
                if session.timeline.end_s is not None:
                    self._timeline_end_s = session.timeline.end_s
            self._check_complete(session, seeked)

    def _seek(self, container: InputContainer, stream: VideoStream) -> bool:
        """The first pass of a file with start_s: go to the keyframe at or before it (in containers with
        an index, such as MP4 and MKV; others land near it). Tried once: a file that cannot seek (a raw
        H.264 stream) fails, or when it loops is read again from its start."""
        start_s, self._seek_s = self._seek_s, 0.0
        if start_s <= 0 or stream.time_base is None:
            return False
        try:
            container.seek((stream.start_time or 0) + round(start_s / stream.time_base), stream=stream, backward=True)
        except av.FFmpegError as e:
            raise StreamError(f"cannot seek to {start_s} s (start_s) in video file {self.url}: {e}") from e
        return True

    @property
    def _paced(self) -> bool:
        return self.kind is SourceKind.FILE and self.realtime

    def _new_timeline(self, stream: VideoStream) -> Timeline:
        if stream.time_base is None:
            raise StreamError(f"{redact_url(self.url)}: video stream has no time base")
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        start = self._timeline_end_s
        if self.kind is not SourceKind.FILE and self._last_packet_wall is not None:
            start += max(0.0, time.time() - self._last_packet_wall)  # live: the outage is part of stream time
        untimed_after = 0 if self.kind is SourceKind.FILE else UNTIMED_LIMIT  # a raw .h264 file has no timestamps
        return Timeline(stream.time_base, start, float(1 / rate), untimed_after=untimed_after)

    def _check_complete(self, session: _Session, seeked: bool) -> None:
        """A file whose header promises more packets than it holds was cut short: say so. A pass that
        started later (``seeked``) holds fewer; it must hold some that could be decoded."""
        expected = session.stream.frames
        if self.kind is SourceKind.FILE and seeked and session.timeline.end_s is None:
            raise StreamError(f"video file {self.url} has no keyframe at or after {self.start_s} s (start_s)")
        if self.kind is SourceKind.FILE and session.packets == 0:
            raise StreamError(f"video file {self.url} holds no video packets (expected H.264/H.265 video)")
        if self.kind is SourceKind.FILE and not seeked and expected > 0 and session.packets < expected:
            raise StreamError(
                f"video file {self.url} is truncated: its header lists {expected} video packets, "
                f"only {session.packets} could be read"
            )

    def _on_packet(self, session: _Session, packet: Packet[Any]) -> None:
        if packet.size == 0:  # the demuxer's final flush packet: drain the decoder
            self._decode(session, packet)
            return
        session.packets += 1
        self._session_packets += 1
        self._last_packet_wall = time.time()
        if self._state is not StreamState.ONLINE:
            self._set_state(StreamState.ONLINE)
        placed = session.timeline.place(packet.pts, packet.dts, packet.is_keyframe)
        if placed is None:
            return  # before the session's first keyframe: nothing could decode it
        packet.pts, packet.dts = placed
        pts, dts = placed
        self.ring.push(
            EncodedPacket(
                bytes(packet), pts, dts, session.timeline.time_base, packet.is_keyframe, session.timeline.seconds(pts)
            )
        )
        if session.pacer is not None:
            session.pacer.wait_for(session.timeline.seconds(dts if dts is not None else pts))
        self._decode(session, packet)

    def _decode(self, session: _Session, packet: Packet[Any]) -> None:
        try:
            frames = session.stream.decode(packet)
        except av.FFmpegError as e:
            if self.kind is SourceKind.FILE:
                raise StreamError(f"decoding video file {self.url} failed after {session.packets} packets: {e}") from e
            # A damaged packet on a live stream (e.g. UDP loss): skip it; the next keyframe repairs the picture.
            message = self._redact(f"decoding failed after {session.packets} packets: {e}")
            self.log.warning("%s; skipping the packet", message)
            with self._lock:
                self._last_error = message
            return
        for frame in frames:
            self._on_frame(session, frame)

    def _on_frame(self, session: _Session, frame: VideoFrame) -> None:
        now = time.time()
        index = self._frames_decoded
        self._frames_decoded += 1
        self._last_frame_wall = now
        self._fps_in.tick(now)
        t = self._last_frame_t = session.timeline.frame_time(frame.pts)
        # One frame per 1/analysis_fps slot of stream time: exactly analysis_fps per second on average,
        # whatever the input rate (25 -> 10 fps gives 10, not the 8.3 that "t + period" would).
        slot = math.floor(t * self.analysis_fps + 1e-6)
        if self._last_slot is not None and slot <= self._last_slot:
            return
        self._last_slot = slot
        wall = datetime.fromtimestamp(now, UTC)
        out = Frame(index, t, to_bgr(frame), camera_id=self.camera_id, wall=wall, luma=to_luma(frame))
        if self.blocking:
            if not self._queue.put_wait(out, self._stop):
                return
        elif self._queue.put_drop_oldest(out):
            self._dropped += 1
        self._frames_out += 1
        self._fps_out.tick(time.time())

    def _redact(self, message: str) -> str:
        """``message`` with the source URL's secrets (and any other secret-shaped text) replaced by ***."""
        return redact_text(message, url_secrets(self.url))

    def __repr__(self) -> str:
        return f"CameraSource({self.camera_id!r}, {redact_url(self.url)!r}, state={self._state})"


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0; got {value}")
