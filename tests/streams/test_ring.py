"""The encoded-packet ring: trimming at keyframes, snapshots, and stream-copy remux to MP4."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from streams.decode import StreamError
from streams.ring import CodecParams, EncodedPacket, PacketRing, remux_to_mp4
from streams.source import CameraSource
from tests.streams.conftest import ClipFactory

TB = Fraction(1, 90000)
PARAMS = CodecParams("h264", 320, 240, b"\x01\x64\x00\x0d", TB, Fraction(10))


def packets(seconds: float, fps: float = 10.0, gop: int = 10, size: int = 1000) -> list[EncodedPacket]:
    """Synthetic packets: a keyframe every ``gop`` packets, ``size`` bytes each, no B-frames."""
    out = []
    for i in range(round(seconds * fps)):
        ticks = round(i / fps / TB)
        out.append(EncodedPacket(bytes(size), ticks, ticks, TB, i % gop == 0, i / fps))
    return out


def filled(buffer_s: float, seconds: float, **kw: float) -> PacketRing:
    ring = PacketRing(buffer_s)
    ring.set_codec_params(PARAMS)
    for p in packets(seconds, **kw):  # type: ignore[arg-type]
        ring.push(p)
    return ring


@pytest.mark.parametrize(
    ("buffer_s", "gop", "min_s", "max_s"),
    [
        (3.0, 10, 3.0, 4.0),  # keeps whole 1 s GOPs: between buffer_s and buffer_s + one GOP
        (3.0, 25, 3.0, 5.5),  # 2.5 s GOPs
        (0.0, 10, 0.0, 1.0),  # only the current GOP
        (30.0, 10, 9.9, 9.9),  # everything, when the buffer is longer than the stream
    ],
)
def test_ring_keeps_buffer_seconds_from_a_keyframe(buffer_s: float, gop: int, min_s: float, max_s: float) -> None:
    ring = filled(buffer_s, 10.0, gop=gop)
    kept = ring.packets()
    assert kept[0].is_keyframe
    assert min_s - 1e-9 <= kept[-1].t_s - kept[0].t_s <= max_s + 1e-9
    assert ring.nbytes == sum(p.nbytes for p in kept) == 1000 * len(kept)
    assert ring.duration_s == pytest.approx(kept[-1].t_s - kept[0].t_s)


@pytest.mark.parametrize(
    ("t_from", "t_to", "first_t", "last_t"),
    [
        (7.35, 8.0, 7.0, 8.0),  # from the last keyframe at or before t_from
        (7.0, 7.45, 7.0, 7.4),  # a keyframe exactly at t_from
        (1.0, 6.5, 6.0, 6.5),  # t_from older than the buffer: from the buffer's start
        (9.5, 20.0, 9.0, 9.9),  # t_to past the newest packet
    ],
)
def test_snapshot_starts_at_a_keyframe(t_from: float, t_to: float, first_t: float, last_t: float) -> None:
    ring = filled(3.0, 10.0)  # keeps 6.0 .. 9.9
    snap = ring.snapshot(t_from, t_to)
    assert snap[0].is_keyframe
    assert (snap[0].t_s, snap[-1].t_s) == pytest.approx((first_t, last_t))


def test_a_pin_keeps_an_events_pre_roll_past_buffer_s() -> None:
    ring = PacketRing(5.0)
    ring.set_codec_params(PARAMS)
    stream = packets(40.0)
    for p in stream[:120]:  # 12 s
        ring.push(p)
    ring.pin("candidate-1", 8.5)  # the garbage appeared at 11.5 s; pre-roll 3 s, still inside the buffer
    for p in stream[120:300]:  # on to 30 s: far past buffer_s
        ring.push(p)
    snap = ring.snapshot(8.5, 30.0)
    assert snap[0].is_keyframe and snap[0].t_s == 8.0 and snap[-1].t_s == pytest.approx(29.9)
    ring.unpin("candidate-1")
    assert ring.packets()[0].t_s == 24.0, "released: back to buffer_s (from the keyframe before 24.9 s)"


def test_snapshot_outside_the_buffer_and_reversed_windows() -> None:
    ring = filled(3.0, 10.0)
    assert ring.snapshot(0.0, 2.0) == []
    with pytest.raises(ValueError, match="t_from <= t_to"):
        ring.snapshot(5.0, 4.0)


def test_ring_refuses_to_start_without_a_keyframe_and_clears_on_new_parameters() -> None:
    ring = PacketRing(5.0)
    ring.set_codec_params(PARAMS)
    delta = EncodedPacket(b"x" * 10, 0, 0, TB, False, 0.0)
    assert ring.push(delta) is False and len(ring) == 0
    for p in packets(2.0):
        ring.push(p)
    assert ring.set_codec_params(PARAMS) is False and len(ring) == 20
    assert ring.set_codec_params(CodecParams("h264", 640, 480, None, TB, None)) is True
    assert len(ring) == 0 and ring.nbytes == 0 and ring.snapshot(0.0, 10.0) == []


def read_ring(clip: Path, buffer_s: float) -> PacketRing:
    with CameraSource("evidence-cam", str(clip), buffer_s=buffer_s, analysis_fps=1.0) as source:
        for _ in source:
            pass
    return source.ring


def decoded_frames(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def keyframe_times(clip: Path) -> list[float]:
    """Presentation times of the clip's keyframes (the encoder places them, also at scene cuts)."""
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        return [float(p.pts * stream.time_base) for p in container.demux(stream) if p.is_keyframe and p.pts is not None]


def test_ring_from_a_real_file_keeps_about_buffer_seconds(make_clip: ClipFactory) -> None:
    clip = make_clip(6.0)  # 150 frames at 25 fps, a keyframe at least every second
    ring = read_ring(clip, buffer_s=2.0)
    kept = ring.packets()
    newest = max(p.t_s for p in kept)
    expected_start = max(t for t in keyframe_times(clip) if t <= newest - 2.0)
    assert kept[0].is_keyframe and kept[0].t_s == pytest.approx(expected_start)
    assert 2.0 <= ring.duration_s <= 3.0 + 1e-6
    assert len(kept) == round((newest - expected_start) * 25) + 1
    assert ring.nbytes == sum(len(p.data) for p in kept)
    params = ring.codec_params
    assert params is not None and (params.codec_name, params.width, params.height) == ("h264", 320, 240)


def test_remuxed_snapshot_decodes_with_the_same_frames_and_bytes(make_clip: ClipFactory, tmp_path: Path) -> None:
    clip = make_clip(6.0)
    ring = read_ring(clip, buffer_s=4.0)
    params = ring.codec_params
    assert params is not None
    snap = ring.snapshot(4.3, 5.0)
    assert snap[0].is_keyframe and snap[0].t_s == pytest.approx(max(t for t in keyframe_times(clip) if t <= 4.3))
    assert max(p.t_s for p in snap) == pytest.approx(5.0)
    out = tmp_path / "evidence.mp4"
    assert remux_to_mp4(snap, params, out) == len(snap)
    frames = decoded_frames(out)
    assert len(frames) == len(snap)
    assert frames[0].time == pytest.approx(0.0)
    assert frames[-1].time == pytest.approx(max(p.t_s for p in snap) - snap[0].t_s)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 320, 240)
        copied = [bytes(p) for p in container.demux(stream) if p.size]
    assert copied == [p.data for p in snap], "stream copy: the packets must be the camera's own bytes"


def test_remux_of_the_whole_ring(make_clip: ClipFactory, tmp_path: Path) -> None:
    ring = read_ring(make_clip(6.0), buffer_s=15.0)
    params = ring.codec_params
    assert params is not None
    out = tmp_path / "all.mp4"
    remux_to_mp4(ring.packets(), params, out)
    assert len(decoded_frames(out)) == len(ring) == 150


def test_remux_derives_missing_decode_timestamps(make_clip: ClipFactory, tmp_path: Path) -> None:
    """RTSP gives no dts on the first packets; the muxer still needs increasing dts <= pts."""
    ring = read_ring(make_clip(2.0), buffer_s=15.0)
    params = ring.codec_params
    assert params is not None
    stripped = [EncodedPacket(p.data, p.pts, None, p.time_base, p.is_keyframe, p.t_s) for p in ring.packets()]
    out = tmp_path / "no_dts.mp4"
    remux_to_mp4(stripped, params, out)
    assert len(decoded_frames(out)) == len(stripped) == 50


@pytest.mark.parametrize(
    ("make_packets", "message"),
    [
        (lambda: [], "no packets"),
        (lambda: packets(1.0)[1:], "first packet must be a keyframe"),
        (lambda: [EncodedPacket(b"x", 0, 0, Fraction(1, 1000), True, 0.0)], "share the stream time base"),
    ],
)
def test_remux_refuses_unusable_input(make_packets: object, message: str, tmp_path: Path) -> None:
    assert callable(make_packets)
    with pytest.raises(ValueError, match=message):
        remux_to_mp4(make_packets(), PARAMS, tmp_path / "x.mp4")


def test_remux_of_an_unknown_codec_is_a_stream_error(tmp_path: Path) -> None:
    params = CodecParams("no-such-codec", 320, 240, None, TB, None)
    with pytest.raises(StreamError, match="cannot remux no-such-codec"):
        remux_to_mp4(packets(1.0), params, tmp_path / "x.mp4")
