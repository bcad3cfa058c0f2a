"""Camera loudspeakers (喊话), one interface for every vendor: see base.Speaker and make_speaker()."""

from __future__ import annotations

from alerts.speakers.base import Shout, Speaker, SpeakerError, make_speaker

__all__ = ["Shout", "Speaker", "SpeakerError", "make_speaker"]
