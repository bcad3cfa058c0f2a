"""What every speaker backend offers: shout(Shout) within a timeout, or raise SpeakerError saying why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from config import (
    DahuaSpeakerConfig,
    HikvisionSpeakerConfig,
    LocalSpeakerConfig,
    MqttSpeakerConfig,
    SpeakerConfig,
    WebhookSpeakerConfig,
)
from redact import redact_text, redact_url


class SpeakerError(RuntimeError):
    """A shout failed: the device is down, slow, refused the credentials or lacks the feature."""


@dataclass(frozen=True)
class Shout:
    """One warning to play at a camera."""

    event_id: str
    camera_id: str
    kind: str
    text: str  # the message, also sent to platforms that speak it themselves
    wav: Path  # the message as 16-bit PCM WAV (TTS or a recording)
    attempt: int = 1
    repeat: int = 0  # 0 = the first shout of the event, n = the n-th escalation
    warning: bool = False  # said on the spot, before the event is confirmed (the person is still there)

    def payload(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id, "camera_id": self.camera_id, "kind": self.kind, "text": self.text,
            "attempt": self.attempt, "repeat": self.repeat, "warning": self.warning,
        }  # fmt: skip


class Speaker(Protocol):
    backend: str

    def shout(self, shout: Shout) -> str:
        """Play the warning; returns a short description of what the device acknowledged."""
        ...


def make_speaker(cfg: SpeakerConfig) -> Speaker:
    if isinstance(cfg, HikvisionSpeakerConfig):
        from alerts.speakers.hikvision import HikvisionSpeaker

        return HikvisionSpeaker(cfg)
    if isinstance(cfg, DahuaSpeakerConfig):
        from alerts.speakers.dahua import DahuaSpeaker

        return DahuaSpeaker(cfg)
    if isinstance(cfg, WebhookSpeakerConfig):
        from alerts.speakers.webhook import WebhookSpeaker

        return WebhookSpeaker(cfg)
    if isinstance(cfg, MqttSpeakerConfig):
        from alerts.speakers.mqtt import MqttSpeaker

        return MqttSpeaker(cfg)
    if isinstance(cfg, LocalSpeakerConfig):
        from alerts.speakers.local import LocalSpeaker

        return LocalSpeaker(cfg)
    raise TypeError(f"unknown speaker config {type(cfg).__name__}")


def http_error(backend: str, url: str, status: int, body: str) -> SpeakerError:
    """A vendor API's refusal in words an operator can act on (the URL and the device's answer redacted)."""
    hint = {
        401: "wrong user name or password (digest auth refused)",
        403: "the device refuses this function (not supported or not permitted for this user)",
        404: "the device does not have this endpoint (model or firmware without it)",
    }.get(status, "the device reported an error")
    return SpeakerError(f"{backend} {redact_url(url)}: HTTP {status}: {hint}: {redact_text(body.strip()[:2000])[:200]}")


@contextmanager
def http_device(backend: str, url: str, auth: httpx.Auth | None, timeout_s: float) -> Iterator[httpx.Client]:
    """An HTTP client for one shout; a transport failure (down, slow, reset) is a SpeakerError naming the device."""
    with httpx.Client(auth=auth, timeout=timeout_s) as client:
        try:
            yield client
        except httpx.HTTPError as e:
            raise SpeakerError(
                f"{backend} {redact_url(url)}: {type(e).__name__}: {redact_text(str(e) or 'no answer')}"
            ) from e
