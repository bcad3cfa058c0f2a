"""Shared fixtures: rendered clips are cached per test session (rendering is the slow part)."""

from __future__ import annotations

import json
import socket
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
