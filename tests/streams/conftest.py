"""Fixtures for stream tests: small generated H.264 clips and a real RTSP server on loopback."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from streams.writer import H264Writer

REPO = Path(__file__).resolve().parents[2]
RTSP_SERVER = REPO / "scripts" / "rtsp_server.py"
SYSTEM_PYTHON = Path("/usr/bin/python3")
RTSP_PACKAGES = "python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good"
LOOPBACK = "127.0.0.1"

ClipFactory = Callable[..., Path]


def synthetic_frames(n: int, width: int, height: int) -> Iterator[np.ndarray]:
    """Frames with moving bars, so consecutive frames differ and the encoder makes real P/B frames."""
    for i in range(n):
        frame = np.full((height, width, 3), 40, np.uint8)
        frame[:, (i * 7) % width] = 255
        frame[(i * 3) % height, :] = 200
        yield frame


@pytest.fixture(scope="session")
def make_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    """make_clip(seconds, fps=25.0, size=(320, 240), gop_s=1.0) -> path of a cached H.264 MP4."""
    cache: dict[tuple[float, float, tuple[int, int], float], Path] = {}

    def _make(seconds: float, fps: float = 25.0, size: tuple[int, int] = (320, 240), gop_s: float = 1.0) -> Path:
        key = (seconds, fps, size, gop_s)
        if key not in cache:
            path = tmp_path_factory.mktemp("clips") / f"clip_{seconds}s_{fps}fps_{size[0]}x{size[1]}.mp4"
            with H264Writer(path, size[0], size[1], fps, gop_s=gop_s) as writer:
                for frame in synthetic_frames(round(seconds * fps), *size):
                    writer.write(frame)
            cache[key] = path
        return cache[key]

    return _make


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def _missing_rtsp_server() -> str | None:
    """Why the RTSP server cannot run here, or None when it can."""
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} is missing"
    check = subprocess.run(
        [str(SYSTEM_PYTHON), str(RTSP_SERVER), "--check"], capture_output=True, text=True, timeout=60, check=False
    )
    if check.returncode != 0:
        return (check.stderr or check.stdout).strip() or f"exit status {check.returncode}"
    return None


@pytest.fixture(scope="session")
def rtsp_server_available() -> None:
    """Skip (fail under CI) when gst-rtsp-server cannot run, naming the packages to install."""
    problem = _missing_rtsp_server()
    if problem is None:
        return
    message = (
        f"RTSP tests need a real RTSP server: apt-get install -y --no-install-recommends {RTSP_PACKAGES} "
        f"(the system Python runs scripts/rtsp_server.py); {problem}"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class RtspServer:
    """scripts/rtsp_server.py as a subprocess on a loopback port, restartable on the same port."""

    def __init__(self, clip: Path, port: int, mount: str = "/cam") -> None:
        self.clip = clip
        self.port = port
        self.mount = mount
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"rtsp://{LOOPBACK}:{self.port}{self.mount}"

    def start(self, timeout_s: float = 20.0) -> None:
        cmd = [str(SYSTEM_PYTHON), str(RTSP_SERVER), str(self.clip), "--port", str(self.port)]
        cmd += ["--mount", self.mount, "--host", LOOPBACK, "--loop"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        """Wait for the READY line, then for the port to accept a TCP connection."""
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        line = ""
        while not line.startswith("READY"):
            if self.proc.poll() is not None:
                raise RuntimeError(f"RTSP server exited with status {self.proc.returncode} before READY")
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"RTSP server printed no READY line within {timeout_s} s")
            line = self.proc.stdout.readline()
        while True:
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1.0):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"RTSP server does not accept on {LOOPBACK}:{self.port}") from None
                time.sleep(0.1)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but no packet arrives."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGCONT)  # a frozen server cannot handle SIGTERM
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None


@pytest.fixture
def rtsp_server(rtsp_server_available: None, make_clip: ClipFactory) -> Iterator[RtspServer]:
    """A started RTSP server looping a 4 s 320x240 25 fps clip; killed after the test."""
    server = RtspServer(make_clip(4.0), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
