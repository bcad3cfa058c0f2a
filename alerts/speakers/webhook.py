"""A platform or speaker gateway: POST the event and its message as JSON; any 2xx is success."""

from __future__ import annotations

import httpx

from alerts.speakers.base import Shout, SpeakerError, http_error
from config import WebhookSpeakerConfig


class WebhookSpeaker:
    backend = "http_webhook"

    def __init__(self, cfg: WebhookSpeakerConfig) -> None:
        self.cfg = cfg

    def shout(self, shout: Shout) -> str:
        try:
            r = httpx.post(self.cfg.url, json=shout.payload(), headers=self.cfg.headers, timeout=self.cfg.timeout_s)
        except httpx.HTTPError as e:
            raise SpeakerError(f"{self.backend} {self.cfg.url}: {type(e).__name__}: {e or 'no answer'}") from e
        if not 200 <= r.status_code < 300:
            raise http_error(self.backend, self.cfg.url, r.status_code, r.text)
        return f"webhook accepted (HTTP {r.status_code})"
