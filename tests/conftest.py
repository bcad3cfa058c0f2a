"""Shared fixtures: rendered clips are cached per test session (rendering is the slow part)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.clip import write_clip
from sim.scenarios import Scenario
from sim.scene import SimSpec


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """render(scenario, seed, **spec) -> (clip dir, truth dict); each distinct clip is rendered once."""
    cache: dict[tuple[Any, ...], tuple[Path, dict[str, Any]]] = {}

    def _render(scenario: str, seed: int, labels: bool = False, **kw: Any) -> tuple[Path, dict[str, Any]]:
        key = (scenario, seed, labels, tuple(sorted(kw.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(f"{scenario}-{seed}")
            write_clip(SimSpec(Scenario(scenario), seed, **kw), out, labels=labels)
            cache[key] = (out, json.loads((out / "truth.json").read_text()))
        return cache[key]

    return _render


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fail any connection attempt to a non-loopback address, and record it."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(address, tuple) and not (host.startswith("127.") or host in ("::1", "localhost")):
            attempts.append(address)
            raise OSError(f"test forbids network access (tried {address})")
        return real_connect(self, address)

    real_getaddrinfo = socket.getaddrinfo

    def guarded_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "localhost", "127.0.0.1", "::1"):
            attempts.append(host)
            raise OSError(f"test forbids network access (looked up {host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    yield attempts


@pytest.fixture(scope="session")
def eval_data() -> Path:
    """The shared real evaluation data (BINWATCH_EVAL_DATA). Missing: a failure in CI, a skip elsewhere."""
    root = os.environ.get("BINWATCH_EVAL_DATA")
    if not root:
        pytest.skip("BINWATCH_EVAL_DATA is not set: skipping tests on the real evaluation footage and model")
    path = Path(root)
    if not path.is_dir():
        message = f"BINWATCH_EVAL_DATA={root} is not a directory (expected ../shared/data/eval)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def eval_file(root: Path, relative: str) -> Path:
    """A file of the evaluation data; missing is a failure (the folder itself was found)."""
    f = root / relative
    if not f.is_file():
        pytest.fail(f"evaluation file {f} is missing")
    return f


BINWATCH_TIMEOUT_S = 600  # far above what any command a test runs needs, even on a busy 2-core machine


def binwatch(*args: str, env: dict[str, str] | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the `binwatch` command line in a fresh interpreter, as a user would."""
    # YOLO_* variables in this process were set by binwatch's own in-process imports; a user's shell has none.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("YOLO_")}
    full_env = {**inherited, **(env or {})}
    # A hung command fails its test (subprocess.TimeoutExpired names it) instead of stalling the whole suite.
    command = [sys.executable, "-m", "service", *args]
    run = subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=BINWATCH_TIMEOUT_S)
    if check and run.returncode != 0:
        raise AssertionError(f"binwatch {' '.join(args)} exited {run.returncode}:\n{run.stderr[-3000:]}")
    return run


def silent_wav(path: Path) -> Path:
    """A 0.1-s silent 8 kHz mono WAV: a recording for a message, where only its playing matters."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)
    return path
