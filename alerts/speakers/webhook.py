"""A platform or speaker gateway: POST the event and its message as JSON; any 2xx is success."""

from __future__ import annotations

from alerts.speakers.base import Shout, http_device, http_error
from config import WebhookSpeakerConfig


class WebhookSpeaker:
    backend = "http_webhook"

    def __init__(self, cfg: WebhookSpeakerConfig) -> None:
        self.cfg = cfg

    def shout(self, shout: Shout) -> str:
        with http_device(self.backend, self.cfg.url, None, self.cfg.timeout_s) as client:
            r = client.post(self.cfg.url, json=shout.payload(), headers=self.cfg.headers)
        if not 200 <= r.status_code < 300:
            raise http_error(self.backend, self.cfg.url, r.status_code, r.text)
        return f"webhook accepted (HTTP {r.status_code})"
