"""CameraSource against a real RTSP server (gst-rtsp-server on 127.0.0.1): TCP, UDP, loss and recovery."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from streams.decode import Frame
from streams.ring import remux_to_mp4
from streams.source import CameraSource, StreamState
from tests.streams.conftest import RtspServer


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def take(source: CameraSource, n: int, timeout_s: float) -> list[Frame]:
    """The next ``n`` frames, or fewer if ``timeout_s`` passes first."""
    frames: list[Frame] = []
    deadline = time.monotonic() + timeout_s
    while len(frames) < n and time.monotonic() < deadline:
        frame = source.get(timeout=0.5)
        if frame is not None:
            frames.append(frame)
    return frames


def rtsp_source(server: RtspServer, transport: str) -> CameraSource:
    return CameraSource(
        f"rtsp-{transport}",
        server.url,
        analysis_fps=5.0,
        rtsp_transport=transport,
        stall_timeout_s=2.0,
        backoff_initial_s=0.2,
        backoff_max_s=1.0,
        queue_size=4,
    )


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_rtsp_frames_flow_and_recover_after_the_server_restarts(
    rtsp_server: RtspServer, transport: str, tmp_path: Path
) -> None:
    source = rtsp_source(rtsp_server, transport).start()
    try:
        first = take(source, 10, timeout_s=20.0)
        assert len(first) == 10, f"expected 10 frames over RTSP/{transport}; got {len(first)}: {source.health()}"
        assert all(b.t_s > a.t_s for a, b in itertools.pairwise(first))
        assert first[0].bgr.shape == (240, 320, 3) and first[0].camera_id == f"rtsp-{transport}"
        health = source.health()
        assert health.state is StreamState.ONLINE and health.fps_in > 0 and health.reconnects == 0

        # the ring holds what came over the wire; it remuxes without re-encoding and decodes
        params, kept = source.ring.codec_params, source.ring.packets()
        assert params is not None and kept and kept[0].is_keyframe
        out = tmp_path / f"rtsp_{transport}.mp4"
        remux_to_mp4(kept, params, out)
        with av.open(str(out)) as container:
            assert sum(1 for _ in container.decode(video=0)) == len(kept)

        rtsp_server.stop()
        assert wait_until(lambda: source.health().state is StreamState.RECONNECTING, timeout_s=15.0), source.health()
        assert wait_until(lambda: source.health().reconnects >= 1, timeout_s=15.0), source.health()
        assert source.health().last_error is not None

        rtsp_server.start()
        again = take(source, 30, timeout_s=30.0)
        resumed = [f for f in again if f.t_s > first[-1].t_s + 0.5]
        assert len(resumed) >= 5, f"frames must flow again after the server returns: {source.health()}"
        assert all(b.t_s > a.t_s for a, b in itertools.pairwise(again)), "t_s keeps increasing across reconnects"
        assert source.health().state is StreamState.ONLINE
    finally:
        source.stop()
    assert source.health().state is StreamState.STOPPED


def test_rtsp_stall_is_detected_and_the_source_reconnects(rtsp_server: RtspServer) -> None:
    source = rtsp_source(rtsp_server, "tcp").start()
    try:
        assert len(take(source, 5, timeout_s=20.0)) == 5
        rtsp_server.pause()  # the connection stays open, but no packet arrives
        paused = time.monotonic()
        assert wait_until(lambda: source.health().state is StreamState.RECONNECTING, timeout_s=15.0), source.health()
        assert time.monotonic() - paused >= 1.5, "a stall is declared only after stall_timeout_s without packets"
        rtsp_server.resume()
        assert wait_until(lambda: source.health().state is StreamState.ONLINE, timeout_s=20.0), source.health()
        assert len(take(source, 5, timeout_s=20.0)) == 5
        assert source.health().reconnects >= 1
    finally:
        source.stop()
