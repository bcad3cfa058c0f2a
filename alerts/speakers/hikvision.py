"""Hikvision ISAPI: play a clip stored on the device (audio alarm) or stream G.711 µ-law over two-way audio."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx

from alerts.speakers.audio import wav_to_g711
from alerts.speakers.base import Shout, http_device, http_error
from config import HikvisionSpeakerConfig, message_key

CHUNK = 160  # bytes of 8 kHz G.711 = 20 ms, the pace two-way audio expects


class HikvisionSpeaker:
    backend = "hikvision_isapi"

    def __init__(self, cfg: HikvisionSpeakerConfig, pace: bool = True) -> None:
        self.cfg = cfg
        self.pace = pace  # send audio in real time, as the device plays it
        self.base = cfg.url.rstrip("/")

    def shout(self, shout: Shout) -> str:
        auth = httpx.DigestAuth(self.cfg.username, self.cfg.password.get_secret_value())
        with http_device(self.backend, self.base, auth, self.cfg.timeout_s) as client:
            return self._audio_alarm(client, shout) if self.cfg.mode == "audio_alarm" else self._two_way(client, shout)

    def _audio_alarm(self, client: httpx.Client, shout: Shout) -> str:
        """Play the clip stored for this message (the warning and the event may have their own)."""
        clip = self.cfg.audio_ids.get(message_key(shout.kind, shout.warning), self.cfg.audio_id)
        url = f"{self.base}/ISAPI/Event/triggers/notifications/AudioAlarm/{clip}/test?format=json"
        r = client.put(url, json={})
        if r.status_code != 200:
            raise http_error(self.backend, url, r.status_code, r.text)
        return f"audio alarm clip {clip} played"

    def _two_way(self, client: httpx.Client, shout: Shout) -> str:
        audio = wav_to_g711(shout.wav, "mulaw")
        ch = f"{self.base}/ISAPI/System/TwoWayAudio/channels/{self.cfg.channel}"
        r = client.put(f"{ch}/open")
        if r.status_code != 200:
            raise http_error(self.backend, f"{ch}/open", r.status_code, r.text)
        m = re.search(r"<sessionId>([^<]+)</sessionId>", r.text)
        session = m.group(1) if m else ""
        query = f"?sessionId={session}" if session else ""
        try:
            r = client.put(
                f"{ch}/audioData{query}",
                content=self._paced(audio),
                headers={"Content-Type": "application/octet-stream"},
                timeout=self.cfg.timeout_s + len(audio) / 8000,
            )
            if r.status_code != 200:
                raise http_error(self.backend, f"{ch}/audioData", r.status_code, r.text)
        finally:
            client.put(f"{ch}/close{query}")
        return f"two-way audio: {len(audio)} bytes G.711 µ-law ({len(audio) / 8000:.1f} s), session {session or '-'}"

    def _paced(self, audio: bytes) -> Iterator[bytes]:
        t0 = time.monotonic()
        for i in range(0, len(audio), CHUNK):
            if self.pace:
                delay = t0 + i / 8000 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield audio[i : i + CHUNK]
