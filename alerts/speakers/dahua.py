"""Dahua CGI: sound the siren (coaxialControlIO) or post G.711 A-law audio (audio.cgi postAudio)."""

from __future__ import annotations

import time

import httpx

from alerts.speakers.audio import wav_to_g711
from alerts.speakers.base import Shout, http_device, http_error
from config import DahuaSpeakerConfig


class DahuaSpeaker:
    backend = "dahua_cgi"

    def __init__(self, cfg: DahuaSpeakerConfig) -> None:
        self.cfg = cfg
        self.base = cfg.url.rstrip("/")

    def shout(self, shout: Shout) -> str:
        auth = httpx.DigestAuth(self.cfg.username, self.cfg.password.get_secret_value())
        with http_device(self.backend, self.base, auth, self.cfg.timeout_s) as client:
            return self._siren(client) if self.cfg.mode == "siren" else self._audio(client, shout)

    def _siren(self, client: httpx.Client) -> str:
        url = f"{self.base}/cgi-bin/coaxialControlIO.cgi"
        for io in (1, 2):  # 1 = on, 2 = off
            params: dict[str, str | int] = {
                "action": "control",
                "channel": self.cfg.channel,
                "info[0].Type": 2,
                "info[0].IO": io,
            }
            r = client.get(url, params=params)
            if r.status_code != 200 or "OK" not in r.text:
                raise http_error(self.backend, url, r.status_code, r.text)
            if io == 1:
                time.sleep(self.cfg.siren_s)
        return f"siren sounded {self.cfg.siren_s:g} s"

    def _audio(self, client: httpx.Client, shout: Shout) -> str:
        audio = wav_to_g711(shout.wav, "alaw")
        url = f"{self.base}/cgi-bin/audio.cgi"
        params: dict[str, str | int] = {"action": "postAudio", "httptype": "singlepart", "channel": self.cfg.channel}
        r = client.post(
            url, params=params, content=audio, headers={"Content-Type": "Audio/G.711A"},
            timeout=self.cfg.timeout_s + len(audio) / 8000,
        )  # fmt: skip
        if r.status_code != 200:
            raise http_error(self.backend, url, r.status_code, r.text)
        return f"posted {len(audio)} bytes G.711 A-law ({len(audio) / 8000:.1f} s)"
