"""Messages as audio, offline: espeak-ng TTS (through pyttsx3) to WAV, and WAV to G.711 for cameras."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import av
import numpy as np

from alerts.speakers.base import SpeakerError

_TTS_LOCK = threading.Lock()  # pyttsx3's espeak driver is not re-entrant


def speak_to_wav(text: str, voice: str, cache_dir: Path) -> Path:
    """The message rendered by espeak-ng into a WAV under ``cache_dir`` (rendered once per text and voice)."""
    key = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:16]
    out = cache_dir / f"tts-{key}.wav"
    if out.is_file() and out.stat().st_size > 44:
        return out
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part.wav")
    with _TTS_LOCK:
        try:
            import pyttsx3

            engine = pyttsx3.init("espeak")
            engine.setProperty("voice", voice)
            engine.save_to_file(text, str(tmp))
            engine.runAndWait()
            engine.stop()
        except (ImportError, RuntimeError, OSError) as e:
            raise SpeakerError(
                f"offline TTS failed ({type(e).__name__}: {e}); install espeak-ng (Debian package) or configure "
                "a recording for this message"
            ) from e
    if not tmp.is_file() or tmp.stat().st_size <= 44:
        raise SpeakerError(f"espeak-ng produced no audio for voice {voice!r} (is the voice installed?)")
    tmp.replace(out)
    return out


def wav_to_g711(wav: Path, law: str = "mulaw") -> bytes:
    """Raw G.711 (8 kHz mono) bytes of a WAV: ``law`` is "mulaw" (Hikvision) or "alaw" (Dahua)."""
    if law not in ("mulaw", "alaw"):
        raise ValueError(f"law must be 'mulaw' or 'alaw'; got {law!r}")
    try:
        with av.open(str(wav)) as src:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
            codec = av.CodecContext.create(f"pcm_{law}", "w")
            codec.sample_rate, codec.format, codec.layout = 8000, "s16", "mono"  # type: ignore[attr-defined]
            out = bytearray()
            for frame in src.decode(audio=0):
                for f in resampler.resample(frame):
                    for p in codec.encode(f):  # type: ignore[attr-defined]
                        out += bytes(p)
            for f in resampler.resample(None):
                for p in codec.encode(f):  # type: ignore[attr-defined]
                    out += bytes(p)
    except (av.FFmpegError, OSError) as e:
        raise SpeakerError(f"cannot convert {wav} to G.711 {law}: {e}") from e
    return bytes(out)


def g711_to_pcm(data: bytes, law: str = "mulaw") -> np.ndarray:
    """Decode raw G.711 back to int16 samples (what a device would play; used to check what was sent)."""
    codec = av.CodecContext.create(f"pcm_{law}", "r")
    codec.sample_rate, codec.layout = 8000, "mono"  # type: ignore[attr-defined]
    samples = []
    for frame in codec.decode(av.Packet(data)):  # type: ignore[attr-defined]
        samples.append(frame.to_ndarray().reshape(-1))
    return np.concatenate(samples) if samples else np.zeros(0, np.int16)
