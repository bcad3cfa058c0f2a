"""A speaker in the monitoring room: play the WAV through a configured command (e.g. aplay)."""

from __future__ import annotations

import subprocess

from alerts.speakers.base import Shout, SpeakerError
from config import LocalSpeakerConfig


class LocalSpeaker:
    backend = "local"

    def __init__(self, cfg: LocalSpeakerConfig) -> None:
        self.cfg = cfg

    def shout(self, shout: Shout) -> str:
        argv = [a.replace("{wav}", str(shout.wav)) for a in self.cfg.command]
        try:
            run = subprocess.run(argv, capture_output=True, text=True, timeout=self.cfg.timeout_s)
        except FileNotFoundError as e:
            raise SpeakerError(f"local: command {argv[0]!r} not found") from e
        except subprocess.TimeoutExpired as e:
            raise SpeakerError(f"local: {argv[0]} still playing after {self.cfg.timeout_s:g} s") from e
        if run.returncode != 0:
            raise SpeakerError(f"local: {argv[0]} exited {run.returncode}: {run.stderr.strip()[:200]}")
        return f"played with {argv[0]}"
