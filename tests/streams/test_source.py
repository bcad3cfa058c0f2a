"""CameraSource on real generated files: sampling, realtime replay, looping, drops, broken inputs."""

from __future__ import annotations

import itertools
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np
import pytest

from streams.decode import Frame, StreamError, iter_file_frames
from streams.source import CameraSource, SourceKind, StreamState, source_kind
from tests.streams.conftest import ClipFactory, free_port


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[threading.ExceptHookArgs]]:
    """Exceptions that escaped any thread during the test (there must be none)."""
    caught: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", caught.append)
    yield caught


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


@pytest.mark.parametrize(
    ("analysis_fps", "expected_frames"),
    [(5.0, 20), (10.0, 40), (25.0, 100), (50.0, 100)],
)
def test_file_is_sampled_at_the_analysis_rate(
    make_clip: ClipFactory, analysis_fps: float, expected_frames: int
) -> None:
    clip = make_clip(4.0)  # 100 frames at 25 fps
    with CameraSource("gate-1", str(clip), analysis_fps=analysis_fps) as source:
        frames = list(source)
    # the first decoded frame of each 1/analysis_fps slot of stream time
    step = max(1.0, 25.0 / analysis_fps)
    indices = [math.ceil(i * step - 1e-9) for i in range(expected_frames)]
    assert [f.index for f in frames] == indices
    assert [f.t_s for f in frames] == pytest.approx([i / 25.0 for i in indices], abs=1e-3)
    assert all(f.bgr.shape == (240, 320, 3) and f.camera_id == "gate-1" and f.wall is not None for f in frames)
    health = source.health()
    assert (health.state, health.frames_out, health.dropped, health.last_error) == (
        StreamState.ENDED,
        expected_frames,
        0,
        None,
    )


def test_source_frames_match_the_plain_file_reader(make_clip: ClipFactory) -> None:
    clip = make_clip(4.0)
    with CameraSource("c", str(clip), analysis_fps=5.0) as source:
        ours = list(source)
    plain = list(iter_file_frames(clip, fps=5.0))
    assert [(f.index, f.t_s) for f in ours] == [(f.index, f.t_s) for f in plain]
    assert all((a.bgr == b.bgr).all() for a, b in zip(ours, plain, strict=True))
    assert all(a.luma is not None and b.luma is not None for a, b in zip(ours, plain, strict=True))
    assert all((a.luma.plane == b.luma.plane).all() for a, b in zip(ours, plain, strict=True) if a.luma and b.luma)


def test_offline_reader_waits_for_a_slow_consumer_instead_of_dropping(make_clip: ClipFactory) -> None:
    source = CameraSource("c", str(make_clip(4.0)), analysis_fps=5.0, queue_size=2).start()
    got = []
    for frame in source:
        time.sleep(0.02)
        got.append(frame)
    assert source.blocking and len(got) == 20 and source.health().dropped == 0


def test_realtime_replay_takes_about_the_clip_duration(make_clip: ClipFactory) -> None:
    clip = make_clip(2.0)
    started = time.monotonic()
    with CameraSource("demo", str(clip), analysis_fps=5.0, realtime=True) as source:
        frames = list(source)
        health = source.health()
    elapsed = time.monotonic() - started
    assert len(frames) == 10
    assert 1.5 <= elapsed < 8.0, f"a 2 s clip replayed in realtime took {elapsed:.2f} s"
    assert 10.0 < health.fps_in < 40.0 and health.state is StreamState.ENDED


def test_loop_restarts_with_increasing_stream_time(make_clip: ClipFactory) -> None:
    clip = make_clip(2.0)  # 10 frames per pass at 5 fps
    source = CameraSource("demo", str(clip), analysis_fps=5.0, loop=True).start()
    frames: list[Frame] = []
    for frame in source:
        frames.append(frame)
        if len(frames) == 35:
            break
    started = time.monotonic()
    source.stop()
    assert time.monotonic() - started < 5.0
    steps = [b.t_s - a.t_s for a, b in itertools.pairwise(frames)]
    assert steps == pytest.approx([0.2] * 34, abs=1e-3), "t_s must keep its pace across the loop"
    assert frames[-1].t_s == pytest.approx(6.8, abs=1e-3)
    assert all(b.index > a.index for a, b in itertools.pairwise(frames))
    health = source.health()
    assert health.state is StreamState.STOPPED and health.reconnects == 0
    assert health.stream_s is not None and health.stream_s >= frames[-1].t_s  # the stream clock, across loops
    while source.get(timeout=0) is not None:  # what was queued before stop() may still be taken
        pass
    started = time.monotonic()
    assert source.get(timeout=5.0) is None and time.monotonic() - started < 1.0, "a stopped source must not block"


def test_slow_live_consumer_drops_the_oldest_frames_and_counts_them(make_clip: ClipFactory) -> None:
    clip = make_clip(4.0)
    source = CameraSource("c", str(clip), analysis_fps=25.0, realtime=True, queue_size=2).start()
    try:
        time.sleep(1.5)  # the consumer is busy elsewhere; ~37 frames are produced meanwhile
        health = source.health()
        assert source.queued <= 2
        assert health.dropped >= 20
        newest = source.get(timeout=1.0)
        assert newest is not None and newest.t_s >= 1.0, "the queue must hold recent frames, not the first ones"
    finally:
        source.stop()
    health = source.health()
    assert health.frames_out >= health.dropped + 1


@pytest.mark.parametrize(
    ("case", "expected_error"),
    [
        ("missing", "does not exist"),
        ("garbage", "Invalid data"),
        ("truncated", "truncated|decod"),
    ],
)
def test_broken_file_is_reported_and_other_sources_go_on(
    make_clip: ClipFactory,
    tmp_path: Path,
    thread_errors: list[threading.ExceptHookArgs],
    caplog: pytest.LogCaptureFixture,
    case: str,
    expected_error: str,
) -> None:
    bad_path = tmp_path / f"{case}.mp4"
    good = make_clip(4.0)
    if case == "garbage":
        bad_path.write_bytes(bytes(range(256)) * 64)
    elif case == "truncated":
        data = good.read_bytes()
        bad_path.write_bytes(data[: len(data) // 2])
    caplog.set_level(logging.INFO, logger="binwatch.streams")
    bad = CameraSource("bad-cam", str(bad_path), analysis_fps=5.0).start()
    healthy = CameraSource("good-cam", str(good), analysis_fps=5.0).start()
    good_frames = list(healthy)
    list(bad)  # ends once the reader gives up on the file
    bad.stop()
    healthy.stop()
    health = bad.health()
    assert health.state is StreamState.FAILED
    assert health.last_error is not None and str(bad_path) in health.last_error
    assert re.search(expected_error, health.last_error), health.last_error
    assert len(good_frames) == 20 and healthy.health().state is StreamState.ENDED
    assert thread_errors == []
    messages = [r.getMessage() for r in caplog.records if r.name == "binwatch.streams"]
    assert messages and all(m.startswith(("[bad-cam]", "[good-cam]")) for m in messages)
    assert any(m.startswith("[bad-cam]") and str(bad_path) in m for m in messages)


def test_missing_file_from_the_plain_reader_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.mp4"
    with pytest.raises(StreamError, match=r"nowhere\.mp4"):
        list(iter_file_frames(missing))


def test_looping_file_that_cannot_be_read_is_retried_with_backoff(tmp_path: Path) -> None:
    missing = tmp_path / "later.mp4"
    source = CameraSource("demo", str(missing), loop=True, backoff_initial_s=0.02, backoff_max_s=0.1).start()
    try:
        assert wait_until(lambda: source.health().reconnects >= 3, timeout_s=10.0)
        health = source.health()
        assert health.state is StreamState.RECONNECTING
        assert health.last_error is not None and "later.mp4" in health.last_error
    finally:
        source.stop()
    assert source.health().state is StreamState.STOPPED


def test_credentials_never_reach_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="binwatch.streams")
    url = f"rtsp://admin:s3cret@127.0.0.1:{free_port()}/stream1"  # nothing listens there
    source = CameraSource("cam-7", url, stall_timeout_s=2.0, backoff_initial_s=0.05, backoff_max_s=0.1).start()
    try:
        assert wait_until(lambda: source.health().reconnects >= 2, timeout_s=15.0)
    finally:
        source.stop()
    error = source.health().last_error
    assert error is not None and "***@127.0.0.1" in error and "s3cret" not in error
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "[cam-7]" in logged and "s3cret" not in logged and "s3cret" not in repr(source)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("rtsp://10.0.0.5:554/h264", SourceKind.RTSP),
        ("rtsps://cam/stream", SourceKind.RTSP),
        ("http://cam/video.mjpg", SourceKind.HTTP),
        ("https://cam/live.m3u8", SourceKind.HTTP),
        ("/dev/video0", SourceKind.DEVICE),
        ("clips/gate.mp4", SourceKind.FILE),
        ("file:///data/gate.mp4", SourceKind.FILE),
    ],
)
def test_source_kind_from_url(url: str, kind: SourceKind) -> None:
    assert source_kind(url) is kind


def test_a_file_can_start_later_and_loops_from_its_beginning(make_clip: ClipFactory) -> None:
    """start_s: the first pass starts at the keyframe at or before that time (one at least every second
    here), stream time counts from 0 there, the pass is not taken for a truncated file, and the loop comes
    back to the file's beginning."""
    clip = make_clip(4.0)  # 100 frames; frame k's bright bar is in column 7k mod 320 (synthetic_frames)

    def file_index(frame: Frame) -> int:
        column = int(np.argmax(frame.bgr[:, :, 0].astype(np.int64).sum(axis=0)))
        return next(k for k in range(100) if 7 * k % 320 == column)

    source = CameraSource("demo", str(clip), analysis_fps=5.0, loop=True, start_s=2.0).start()
    frames: list[Frame] = []
    for frame in source:
        frames.append(frame)
        if len(frames) == 20:
            break
    source.stop()
    shown = [file_index(f) for f in frames]
    assert 25 <= shown[0] <= 50, shown  # 1-2 s into the file
    assert frames[0].t_s == pytest.approx(0.0, abs=1e-3)
    looped = next(i for i, k in enumerate(shown) if i and k < shown[i - 1])
    assert shown[looped] < 5 and source.health().reconnects == 0, shown
    steps = [b.t_s - a.t_s for a, b in itertools.pairwise(frames)]
    assert steps == pytest.approx([0.2] * 19, abs=1e-3), "t_s keeps its pace into the loop"


def _remux(clip: Path, out: Path, fmt: str) -> Path:
    """The same H.264 packets in another container (``fmt``: h264 = a raw stream, mpegts = transport stream)."""
    with av.open(str(clip)) as src, av.open(str(out), "w", format=fmt) as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.size:
                packet.stream = stream
                dst.mux(packet)
    return out


@pytest.mark.parametrize(
    ("fmt", "start_s", "error"),
    [
        # a transport stream has no index: a seek past its end lands on a last packet that cannot be decoded
        # alone, which is said rather than taken for the end of the file
        ("mpegts", 60.0, "video file {path} has no keyframe at or after 60.0 s (start_s)"),
        # a raw H.264 stream cannot seek at all: the seek is tried once, not for ever
        ("h264", 1.0, "cannot seek to 1.0 s (start_s) in video file {path}"),
    ],
)
def test_a_start_that_cannot_be_reached_is_an_error_and_a_loop_reads_the_file_from_its_start(
    make_clip: ClipFactory, tmp_path: Path, fmt: str, start_s: float, error: str
) -> None:
    path = _remux(make_clip(2.0), tmp_path / f"clip.{fmt}", fmt)
    once = CameraSource("demo", str(path), analysis_fps=5.0, start_s=start_s).start()
    assert once.get(timeout=10.0) is None
    health = once.health()
    assert health.state is StreamState.FAILED and health.last_error is not None
    assert health.last_error.startswith(error.format(path=path)), health.last_error
    looping = CameraSource("demo", str(path), analysis_fps=5.0, loop=True, start_s=start_s, backoff_initial_s=0.05)
    looping.start()
    first = looping.get(timeout=10.0)
    looping.stop()
    assert first is not None and first.t_s == pytest.approx(0.0, abs=1e-3)
    assert looping.health().reconnects == 1


def test_a_raw_h264_file_gives_every_frame(make_clip: ClipFactory, tmp_path: Path) -> None:
    """No timestamps in a raw stream: it is stamped from its frame rate from the first keyframe on (the first
    50 packets were refused, waiting for a timestamp as a live stream's first packets may be, and a
    shorter file gave nothing at all)."""
    raw = _remux(make_clip(2.0), tmp_path / "clip.h264", "h264")
    frames = list(CameraSource("demo", str(raw), analysis_fps=5.0).start())
    assert [round(f.t_s, 2) for f in frames] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"analysis_fps": 0.0}, "analysis_fps must be > 0"),
        ({"queue_size": 0}, "queue_size must be >= 1"),
        ({"decoder_threads": -1}, r"decoder_threads must be >= 0 \(0 = FFmpeg chooses\); got -1"),
        ({"rtsp_transport": "http"}, "rtsp_transport must be one of"),
        ({"stall_timeout_s": -1.0}, "stall_timeout_s must be > 0"),
        ({"buffer_s": -1.0}, "buffer_s must be >= 0"),
        ({"url": "rtsp://u:pw@cam/1", "loop": True}, r"loop=True needs a file source; rtsp://\*\*\*@cam/1"),
        ({"url": "ftp://cam/1"}, "unsupported source URL scheme 'ftp'"),
        ({"start_s": -1.0}, r"start_s must be >= 0 seconds; got -1\.0"),
        ({"url": "rtsp://u:pw@cam/1", "start_s": 5.0}, r"start_s needs a file source; rtsp://\*\*\*@cam/1"),
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"url": "clip.mp4", **kwargs}
    url = str(args.pop("url"))
    with pytest.raises(ValueError, match=message):
        CameraSource("c", url, **args)  # type: ignore[arg-type]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean (the base class writes every request to stderr)."""


@pytest.fixture
def http_url(make_clip: ClipFactory) -> Iterator[str]:
    """A 2 s clip served by a plain HTTP server on 127.0.0.1."""
    clip = make_clip(2.0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(clip.parent)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{clip.name}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_http_source_is_live_so_its_end_is_reconnected(http_url: str) -> None:
    source = CameraSource("http-cam", http_url, analysis_fps=5.0, backoff_initial_s=0.05).start()
    try:
        frames = [f for f in (source.get(timeout=10.0) for _ in range(25)) if f is not None]
    finally:
        source.stop()
    assert len(frames) == 25, source.health()
    assert all(b.t_s > a.t_s for a, b in itertools.pairwise(frames)), "t_s keeps increasing across the reopen"
    assert source.health().reconnects >= 2 and source.health().state is StreamState.STOPPED
