"""The last N seconds of a camera's ENCODED video packets, and remuxing them to MP4 without re-encoding.

Evidence clips are cut from this buffer: the camera's original H.264/H.265 packets are kept as they
arrived (a few MB per camera, where decoded frames would take gigabytes) and written into an MP4 by
stream copy, so the evidence original is the camera's own bitstream.

Times: every packet carries ``t_s``, the source's stream time in seconds on the same timeline as
:attr:`streams.decode.Frame.t_s`, so an event's frame times select its packets directly.
"""

from __future__ import annotations

import io
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
from av.video.stream import VideoStream

from streams.decode import StreamError, open_video


@dataclass(frozen=True)
class CodecParams:
    """What a muxer needs to write a video stream's packets again: codec, size, headers, time base."""

    codec_name: str  # FFmpeg codec name, e.g. "h264", "hevc"
    width: int
    height: int
    extradata: bytes | None  # SPS/PPS (avcC or Annex B) as the demuxer gave them; None if in-band only
    time_base: Fraction  # unit of the packets' pts/dts
    average_rate: Fraction | None  # frames per second, if the source declares it

    @classmethod
    def from_stream(cls, stream: VideoStream) -> CodecParams:
        """The parameters of an open input video stream."""
        ctx = stream.codec_context
        if stream.time_base is None:
            raise StreamError(f"video stream {stream.index} has no time base; cannot place its packets in time")
        return cls(
            codec_name=ctx.name,
            width=ctx.width,
            height=ctx.height,
            extradata=ctx.extradata,
            time_base=stream.time_base,
            average_rate=stream.average_rate,
        )


@dataclass(frozen=True)
class EncodedPacket:
    """One compressed video packet, as demuxed, with its place on the source's timeline."""

    data: bytes
    pts: int | None  # in time_base units; None when the source did not say
    dts: int | None
    time_base: Fraction
    is_keyframe: bool
    t_s: float  # stream seconds (presentation time), same timeline as Frame.t_s

    @property
    def nbytes(self) -> int:
        return len(self.data)


class PacketRing:
    """A thread-safe buffer of the last ``buffer_s`` seconds of one camera's encoded video packets.

    Trimming is by stream time but always cuts at a keyframe, so the buffer holds at least
    ``buffer_s`` seconds (up to one GOP more) and its first packet is always a keyframe: any snapshot
    decodes from its first packet. The reader pushes packets; evidence takes snapshots from another
    thread.
    """

    def __init__(self, buffer_s: float) -> None:
        if buffer_s < 0:
            raise ValueError(f"buffer_s must be >= 0 seconds; got {buffer_s}")
        self.buffer_s = buffer_s
        self._lock = threading.Lock()
        self._packets: deque[EncodedPacket] = deque()
        self._keyframe_seq: deque[tuple[int, float]] = deque()  # (sequence number, t_s) of kept keyframes
        self._head_seq = 0  # sequence number of self._packets[0]
        self._nbytes = 0
        self._newest_t = float("-inf")
        self._codec_params: CodecParams | None = None
        self._pins: dict[str, float] = {}

    def pin(self, key: str, t_from: float) -> None:
        """Keep packets from stream time ``t_from`` on, however old, until :meth:`unpin` (an event's pre-roll).

        A littering candidate is confirmed only after its dwell time; its evidence starts ``pre_s``
        before the garbage appeared, which can be older than ``buffer_s`` by then.
        """
        with self._lock:
            self._pins[key] = t_from

    def unpin(self, key: str) -> None:
        with self._lock:
            self._pins.pop(key, None)
            self._trim_locked()

    @property
    def codec_params(self) -> CodecParams | None:
        """Parameters of the packets in the buffer (None before the source first opened)."""
        with self._lock:
            return self._codec_params

    def set_codec_params(self, params: CodecParams) -> bool:
        """Declare the parameters of the packets pushed from now on.

        A buffer can only be remuxed with one set of parameters, so when they change (the camera was
        reconfigured, a different time base after reconnecting) the old packets are dropped.
        Returns True when the buffer was cleared for that reason.
        """
        with self._lock:
            changed = self._codec_params is not None and self._codec_params != params
            if changed:
                self._clear_locked()
            self._codec_params = params
            return changed

    def push(self, packet: EncodedPacket) -> bool:
        """Append a packet (in decode order) and trim; returns False if it was not kept.

        A packet that is not a keyframe is not kept while the buffer is empty: nothing could decode it.
        """
        with self._lock:
            if packet.time_base != getattr(self._codec_params, "time_base", packet.time_base):
                raise ValueError(
                    f"packet time base {packet.time_base} differs from the stream's {self._codec_params}; "
                    "call set_codec_params() when the stream changes"
                )
            if not self._packets and not packet.is_keyframe:
                return False
            seq = self._head_seq + len(self._packets)
            self._packets.append(packet)
            self._nbytes += packet.nbytes
            if packet.is_keyframe:
                self._keyframe_seq.append((seq, packet.t_s))
            self._newest_t = max(self._newest_t, packet.t_s)
            self._trim_locked()
            return True

    def _trim_locked(self) -> None:
        # Drop whole GOPs while the next keyframe is still at least buffer_s before the newest packet.
        cutoff = min([self._newest_t - self.buffer_s, *self._pins.values()])
        while len(self._keyframe_seq) >= 2 and self._keyframe_seq[1][1] <= cutoff:
            self._keyframe_seq.popleft()
            keep_from = self._keyframe_seq[0][0]
            while self._head_seq < keep_from:
                self._nbytes -= self._packets.popleft().nbytes
                self._head_seq += 1

    def _clear_locked(self) -> None:
        self._head_seq += len(self._packets)
        self._packets.clear()
        self._keyframe_seq.clear()
        self._nbytes = 0
        self._newest_t = float("-inf")

    def clear(self) -> None:
        """Drop every packet (the codec parameters are kept)."""
        with self._lock:
            self._clear_locked()

    def snapshot(self, t_from: float, t_to: float) -> list[EncodedPacket]:
        """Packets covering stream times [t_from, t_to], in decode order, starting at a keyframe.

        The list starts at the last keyframe at or before ``t_from`` (or at the buffer's start when
        ``t_from`` is older than the buffer) and ends with the last packet whose time is <= ``t_to``;
        it is empty when the buffer holds nothing in that window.
        """
        if t_to < t_from:
            raise ValueError(f"snapshot needs t_from <= t_to; got t_from={t_from}, t_to={t_to}")
        with self._lock:
            start_seq = self._head_seq
            for seq, t in self._keyframe_seq:
                if t > t_from:
                    break
                start_seq = seq
            packets = list(self._packets)[start_seq - self._head_seq :]
        end = max((i for i, p in enumerate(packets) if p.t_s <= t_to), default=-1)
        return packets[: end + 1]

    def packets(self) -> list[EncodedPacket]:
        """Every buffered packet, in decode order (the first is a keyframe)."""
        with self._lock:
            return list(self._packets)

    @property
    def nbytes(self) -> int:
        """Bytes of packet payload held."""
        with self._lock:
            return self._nbytes

    @property
    def duration_s(self) -> float:
        """Stream seconds from the first to the newest buffered packet (0 when empty)."""
        with self._lock:
            if not self._packets:
                return 0.0
            return self._newest_t - min(p.t_s for p in self._packets)

    def __len__(self) -> int:
        with self._lock:
            return len(self._packets)


def _decode_timestamps(packets: Sequence[EncodedPacket]) -> tuple[list[int], list[int]]:
    """(pts, dts) for muxing: pts as given, dts derived when missing or not strictly increasing.

    RTSP sources often give no dts for the first packets; a muxer needs increasing dts with
    dts <= pts. Sorting the presentation times and shifting them by the largest reorder delay
    produces exactly that.
    """
    if any(p.pts is None for p in packets):
        missing = [i for i, p in enumerate(packets) if p.pts is None]
        raise ValueError(f"every packet needs a pts to be remuxed; packets {missing[:5]} have none")
    pts = [p.pts for p in packets if p.pts is not None]
    dts_given = [p.dts for p in packets]
    if all(d is not None for d in dts_given):
        dts = [d for d in dts_given if d is not None]
        if all(a < b for a, b in pairwise(dts)) and all(d <= p for d, p in zip(dts, pts, strict=True)):
            return pts, dts
    if len(set(pts)) != len(pts):
        raise ValueError("packets have repeated pts; cannot derive a decode order for remuxing")
    ordered = sorted(pts)
    delay = max(0, *(o - p for o, p in zip(ordered, pts, strict=True)))
    return pts, [o - delay for o in ordered]


def _output_stream(container: av.container.OutputContainer, params: CodecParams) -> VideoStream:
    """An output video stream set up for stream copy from ``params`` (no encoder is ever opened).

    PyAV only offers stream copy through ``add_stream_from_template``. The template here is an unopened
    stream of a throw-away in-memory container; the copy gets our size, headers and time base, and
    because it is template-initialised, writing the header does not open an encoder.
    """
    scratch = av.open(io.BytesIO(), mode="w", format="mp4")
    try:
        template = scratch.add_stream(params.codec_name, rate=params.average_rate)
        if not isinstance(template, VideoStream):
            raise StreamError(f"expected a video codec for remuxing; {params.codec_name!r} is {template.type}")
        stream = container.add_stream_from_template(template)  # copies from the template: keep scratch open
    except (ValueError, av.FFmpegError) as e:
        raise StreamError(f"cannot remux {params.codec_name} video into MP4: {e}") from e
    finally:
        scratch.close()
    stream.codec_context.width = params.width
    stream.codec_context.height = params.height
    stream.codec_context.extradata = params.extradata
    stream.time_base = params.time_base
    return stream


def remux_to_mp4(packets: Sequence[EncodedPacket], codec_params: CodecParams, path: Path) -> int:
    """Write ``packets`` into an MP4 at ``path`` by stream copy (no re-encoding); returns packets written.

    The first packet must be a keyframe (a :meth:`PacketRing.snapshot` always starts with one).
    Timestamps are rebased so the first packet is presented at 0.
    """
    if not packets:
        raise ValueError(f"no packets to write to {path}; expected a snapshot with at least one keyframe")
    if not packets[0].is_keyframe:
        raise ValueError(f"the first packet must be a keyframe so {path} can be decoded; got a non-keyframe")
    odd = {p.time_base for p in packets} - {codec_params.time_base}
    if odd:
        raise ValueError(f"packets must share the stream time base {codec_params.time_base}; found {sorted(odd)}")
    pts, dts = _decode_timestamps(packets)
    origin = pts[0]
    try:
        with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
            stream = _output_stream(out, codec_params)
            for p, pt, dt in zip(packets, pts, dts, strict=True):
                packet = av.Packet(p.data)
                packet.pts = pt - origin
                packet.dts = dt - origin
                packet.time_base = codec_params.time_base
                packet.is_keyframe = p.is_keyframe
                packet.stream = stream
                out.mux(packet)
    except av.FFmpegError as e:
        raise StreamError(f"writing {len(packets)} packets to {path} failed: {e}") from e
    return len(packets)


def read_file_packets(path: Path, t_from: float, t_to: float) -> tuple[CodecParams, list[EncodedPacket]]:
    """A recorded file's own packets covering [t_from, t_to] (stream seconds), starting at a keyframe.

    The file analogue of :meth:`PacketRing.snapshot`: evidence from an analysed file is cut from
    the file's bitstream exactly as a live camera's is cut from its ring.
    """
    container, stream = open_video(path)
    with container:
        params = CodecParams.from_stream(stream)
        ring = PacketRing(buffer_s=max(1.0, t_to - t_from) + 3600.0)
        ring.set_codec_params(params)
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            t = float(packet.pts * params.time_base)
            if t > t_to + 1.0:  # past the window, allowing for B-frame reordering
                break
            if packet.is_keyframe and t <= t_from:
                ring.clear()  # only the last keyframe at or before t_from is needed
            ring.push(EncodedPacket(bytes(packet), packet.pts, packet.dts, params.time_base, packet.is_keyframe, t))
    return params, ring.snapshot(t_from, t_to)
