"""Evidence for one event: original clip (stream copy), annotated copy, snapshots, manifest, custody.

Layout under the data directory::

    evidence/<event_id>/original.mp4             the camera's own packets, remuxed (no re-encoding)
    evidence/<event_id>/annotated.mp4            H.264 copy with zones, boxes, track ids, time overlay
    evidence/<event_id>/snapshot.jpg             the frame at confirmation, as decoded
    evidence/<event_id>/snapshot-annotated.jpg
    evidence/<event_id>/manifest.json            what, where, when, how measured; size, SHA-256, SM3 per file
    ledger.jsonl                                 the custody ledger (alerts/ledger.py)

An event's files are written into ``evidence/.<event_id>.partial/``, each fsynced, the manifest
last; the directory is then renamed into place and only then is the creation written to the
ledger. A crash at any point leaves either a ``.partial`` directory or complete evidence. At the
next start :meth:`EvidenceStore.recover` names each ``.partial`` as an interrupted write (the
caller records it as a failed evidence attempt, with that reason, so the event is never silently
without evidence) and removes it; complete evidence without its ledger entry is entered as
``recovered``.

A full disk is told apart from other failures (:class:`EvidenceNoSpace`): the dispatcher waits for
space instead of giving up, and the store reports the state (:meth:`EvidenceStore.space_problem`)
for ``/healthz`` and ``/metrics``. A packet the decoder cannot read costs only its own frames: the
original keeps every packet as it arrived, the annotated copy and snapshots are made from the
frames that decode, and the manifest lists each undecodable packet (``source.undecodable``).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from alerts.digests import FileDigest, digest_file
from alerts.ledger import CustodyLedger, LedgerAction, LedgerEntry
from detector.overlay import draw_overlay
from detector.rules.events import Event
from detector.tracks import Tick
from detector.zones import ZoneMap
from streams.decode import to_bgr
from streams.ring import CodecParams, EncodedPacket, remux_to_mp4
from streams.writer import H264Writer

log = logging.getLogger("binwatch.evidence")

MANIFEST = "manifest.json"
FILES = ("original.mp4", "annotated.mp4", "snapshot.jpg", "snapshot-annotated.jpg")
MANIFEST_VERSION = 1


class EvidenceError(RuntimeError):
    """Evidence cannot be written (no packets for the window, disk full, undecodable clip)."""


class EvidenceNoSpace(EvidenceError):
    """Evidence cannot be written because the evidence disk is full (or a file-size limit was hit).

    Unlike other failures this one passes: the dispatcher retries with backoff until space returns.
    """


NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
MIN_FREE_BYTES = 64 * 2**20  # below this much free space on the evidence disk, /healthz says degraded
INTERRUPTED = "interrupted: the process ended while writing (found .partial at start-up)"


def is_no_space(e: BaseException) -> bool:
    """True when ``e`` or any exception it was raised from is a full disk / quota / file-size limit error."""
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno in NO_SPACE_ERRNOS:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


@dataclass(frozen=True)
class Recovery:
    """What :meth:`EvidenceStore.recover` found at start-up."""

    notes: list[str]  # one line per thing done, for the log
    interrupted: dict[str, str]  # event id -> why its evidence is missing (a write the process never finished)


@dataclass(frozen=True)
class UndecodablePacket:
    """A packet of the original that the decoder refused: kept in original.mp4, missing from the copies."""

    index: int  # position in the original's packets (0 = the first keyframe)
    stream_s: float  # the packet's time on the source timeline
    size: int
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"packet": self.index, "stream_s": round(self.stream_s, 3), "bytes": self.size, "error": self.error}


@dataclass(frozen=True)
class EvidenceSettings:
    pre_s: float = 10.0  # before the garbage came to rest / was deposited
    post_s: float = 10.0  # after confirmation

    def window(self, event: Event) -> tuple[float, float]:
        return max(0.0, event.t_start_s - self.pre_s), event.t_s + self.post_s

    def manifest_rules(self, rules: Mapping[str, float | None]) -> dict[str, float | None]:
        """The camera's rule parameters (null where a rule is off) and this window, as the manifest records them."""
        return {
            **{k: None if v is None else float(v) for k, v in rules.items()},
            "pre_s": self.pre_s,
            "post_s": self.post_s,
        }


@dataclass(frozen=True)
class EvidenceContext:
    """Who and where, for the manifest: taken from the config and the running software."""

    camera_id: str
    camera_name: str = ""
    community_id: str = ""
    community_name: str = ""
    point_id: str = ""
    point_name: str = ""
    address: str = ""
    timezone: str = "Asia/Shanghai"
    clock_source: str = "wall clock of the analysing host"
    software: dict[str, str] = field(default_factory=dict)
    model: dict[str, str] = field(default_factory=dict)
    rules: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class EvidenceRequest:
    event: Event
    context: EvidenceContext
    codec: CodecParams
    packets: Sequence[EncodedPacket]
    ticks: Sequence[Tick]  # analysed ticks of the window, for the annotated copy
    zones: ZoneMap | None


@dataclass(frozen=True)
class EvidenceRecord:
    event_id: str
    directory: Path
    files: dict[str, FileDigest]
    write_ms: dict[str, float]  # per step, for the cost report


@dataclass(frozen=True)
class Problem:
    event_id: str
    what: str

    def __str__(self) -> str:
        return f"{self.event_id}: {self.what}"


class EvidenceStore:
    """Writes, recovers and verifies the evidence of a data directory."""

    def __init__(
        self, data_dir: Path, settings: EvidenceSettings | None = None, min_free_bytes: int = MIN_FREE_BYTES
    ) -> None:
        self.data_dir = data_dir
        self.root = data_dir / "evidence"
        self.settings = settings or EvidenceSettings()
        self.ledger = CustodyLedger(data_dir / "ledger.jsonl")
        self.min_free_bytes = min_free_bytes
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._no_space: str | None = None  # why the last write failed for lack of space; None after a success

    def directory(self, event_id: str) -> Path:
        return self.root / event_id

    def complete(self, event_id: str) -> bool:
        return (self.directory(event_id) / MANIFEST).is_file()

    # ---- writing ---------------------------------------------------------------------------------

    def write(self, req: EvidenceRequest, actor: str = "binwatch") -> EvidenceRecord:
        """Write one event's evidence; the same event twice is stored once (the first record stands)."""
        ev = req.event
        final = self.directory(ev.event_id)
        if self.complete(ev.event_id):
            return self._record(ev.event_id, {})
        partial = self.root / f".{ev.event_id}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        ms: dict[str, float] = {}
        try:
            t0 = time.perf_counter()
            remux_to_mp4(req.packets, req.codec, partial / "original.mp4")
            ms["original_clip"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            snap, snap_annotated, undecodable = _annotated_copy(
                req, partial / "original.mp4", partial / "annotated.mp4"
            )
            ms["annotated_clip"] = (time.perf_counter() - t0) * 1000
            _write_jpeg(partial / "snapshot.jpg", snap)
            _write_jpeg(partial / "snapshot-annotated.jpg", snap_annotated)
            t0 = time.perf_counter()
            digests = {}
            for name in FILES:
                _fsync(partial / name)
                digests[name] = digest_file(partial / name)
            ms["hashing"] = (time.perf_counter() - t0) * 1000
            manifest = _manifest(req, digests, self.settings, undecodable)
            _atomic_write(partial / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            _fsync(partial)
            os.rename(partial, final)
            _fsync(self.root)
        except (OSError, av.FFmpegError, ValueError, RuntimeError) as e:
            shutil.rmtree(partial, ignore_errors=True)
            what = f"evidence for {ev.event_id} could not be written: {type(e).__name__}: {e}"
            if is_no_space(e):
                reason = f"no space left on the evidence disk ({self.free_bytes()} bytes free under {self.root})"
                with self._lock:
                    self._no_space = reason
                raise EvidenceNoSpace(f"{what}; {reason}") from e
            raise EvidenceError(what) from e
        try:
            self.ledger.append(
                ev.event_id, LedgerAction.CREATED, actor,
                {"manifest_sha256": digest_file(final / MANIFEST).sha256, "files": len(digests)},
            )  # fmt: skip
        except OSError as e:  # the evidence is complete; recover() enters it in the ledger at the next start
            if is_no_space(e):
                with self._lock:
                    self._no_space = f"no space left for the custody ledger ({self.free_bytes()} bytes free)"
            log.error("evidence %s written but its ledger entry failed (entered at the next start): %s", final, e)
        else:
            with self._lock:
                self._no_space = None
        return EvidenceRecord(ev.event_id, final, digests, ms)

    # ---- space -----------------------------------------------------------------------------------

    def free_bytes(self) -> int:
        """Bytes free for an unprivileged writer on the evidence disk."""
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize

    def space_problem(self) -> str | None:
        """Why evidence cannot be written for lack of space now, or None (for /healthz and /metrics).

        The state starts with a write that failed for lack of space and ends with the next write that
        succeeds; free space below ``min_free_bytes`` is a problem before any write fails.
        """
        with self._lock:
            failed = self._no_space
        if failed is not None:
            return f"evidence cannot be written: {failed}"
        free = self.free_bytes()
        if free < self.min_free_bytes:
            return (
                f"evidence disk nearly full: {free / 2**20:.1f} MiB free under {self.root}; "
                f"expected at least {self.min_free_bytes / 2**20:.0f} MiB"
            )
        return None

    def _record(self, event_id: str, ms: dict[str, float]) -> EvidenceRecord:
        manifest = json.loads((self.directory(event_id) / MANIFEST).read_text(encoding="utf-8"))
        files = {n: FileDigest(int(f["size"]), f["sha256"], f["sm3"]) for n, f in manifest["files"].items()}
        return EvidenceRecord(event_id, self.directory(event_id), files, ms)

    def recover(self) -> Recovery:
        """At start-up: name and remove half-written evidence; enter complete evidence missing from the ledger.

        Each ``.partial`` directory is a write the previous process never finished (it was killed):
        the caller records it as a failed evidence attempt with :data:`INTERRUPTED` as the reason. Its
        inputs (a live camera's packets) died with that process; where they still exist (an analysed
        file) the caller writes the evidence again.
        """
        notes: list[str] = []
        interrupted: dict[str, str] = {}
        for partial in sorted(self.root.glob(".*.partial")):
            event_id = partial.name.removeprefix(".").removesuffix(".partial")
            shutil.rmtree(partial, ignore_errors=True)
            interrupted[event_id] = INTERRUPTED
            notes.append(f"unfinished evidence {partial.name} removed: {event_id} {INTERRUPTED}")
        created = {
            e.event_id for e in self.ledger.entries() if e.action in (LedgerAction.CREATED, LedgerAction.RECOVERED)
        }
        for d in sorted(self.root.iterdir()):
            if d.is_dir() and not d.name.startswith(".") and d.name not in created and (d / MANIFEST).is_file():
                self.ledger.append(
                    d.name, LedgerAction.RECOVERED, "binwatch", {"manifest_sha256": digest_file(d / MANIFEST).sha256}
                )
                notes.append(f"entered complete evidence {d.name} in the ledger")
        return Recovery(notes, interrupted)

    # ---- verifying -------------------------------------------------------------------------------

    def directories(self) -> set[str]:
        """Event ids with an evidence directory (complete or not; a .partial one is not counted)."""
        return {d.name for d in self.root.iterdir() if d.is_dir() and not d.name.startswith(".")}

    def unfinished(self) -> list[str]:
        """Names of .partial directories: writes in progress, or interrupted ones not yet recovered."""
        return sorted(p.name for p in self.root.glob(".*.partial"))

    def event_ids(self, created: dict[str, str] | None = None) -> list[str]:
        """Every event with evidence on disk or created in the ledger and not deleted since."""
        on_disk = {d.name for d in self.root.iterdir() if d.is_dir() and not d.name.startswith(".")}
        return sorted(on_disk | set(self._created() if created is None else created))

    def _created(self, entries: Sequence[LedgerEntry] | None = None) -> dict[str, str]:
        """event id -> manifest SHA-256 at creation, for evidence the ledger says exists (not deleted)."""
        created: dict[str, str] = {}
        for e in self.ledger.entries() if entries is None else entries:
            if e.action in (LedgerAction.CREATED, LedgerAction.RECOVERED):
                created[e.event_id] = str(e.detail.get("manifest_sha256", ""))
            elif e.action is LedgerAction.DELETED:
                created.pop(e.event_id, None)
        return created

    def verify(self, event_ids: Sequence[str] | None = None) -> tuple[list[Problem], int]:
        """(problems, files checked): every file re-hashed against its manifest, every manifest against the ledger."""
        problems = [Problem("ledger", p) for p in self.ledger.verify()]
        created = self._created(self.ledger.entries())
        checked = 0
        for eid in event_ids if event_ids is not None else self.event_ids(created):
            d = self.directory(eid)
            if not d.is_dir():
                if eid in created:
                    problems.append(Problem(eid, "evidence directory removed"))
                else:
                    problems.append(Problem(eid, "no such evidence"))
                continue
            if not (d / MANIFEST).is_file():
                problems.append(Problem(eid, f"{MANIFEST} removed"))
                continue
            if eid not in created:
                problems.append(Problem(eid, "evidence not in the custody ledger (inserted)"))
            elif digest_file(d / MANIFEST).sha256 != created[eid]:
                problems.append(Problem(eid, f"{MANIFEST} altered (its SHA-256 differs from the ledger's)"))
            try:
                manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
                listed: dict[str, dict[str, Any]] = dict(manifest["files"])
            except (ValueError, KeyError, TypeError) as e:
                problems.append(Problem(eid, f"{MANIFEST} unreadable: {e}"))
                continue
            for name, want in sorted(listed.items()):
                f = d / name
                if not f.is_file():
                    problems.append(Problem(eid, f"{name} removed"))
                    continue
                got = digest_file(f)
                checked += 1
                if got.size != want.get("size") or got.sha256 != want.get("sha256") or got.sm3 != want.get("sm3"):
                    problems.append(Problem(eid, f"{name} altered (size/SHA-256/SM3 differ from the manifest)"))
            for extra in sorted(p.name for p in d.iterdir() if p.name != MANIFEST and p.name not in listed):
                problems.append(Problem(eid, f"{extra} inserted (not in the manifest)"))
        return problems, checked


# ---- pieces --------------------------------------------------------------------------------------


def _manifest(
    req: EvidenceRequest, digests: dict[str, FileDigest], settings: EvidenceSettings,
    undecodable: Sequence[UndecodablePacket] = (),
) -> dict[str, Any]:  # fmt: skip
    ev, ctx = req.event, req.context
    tz = ZoneInfo(ctx.timezone)
    t_from, t_to = req.packets[0].t_s, req.packets[-1].t_s

    def wall(t: float) -> dt.datetime:
        return ev.wall + dt.timedelta(seconds=t - ev.t_s)

    return {
        "manifest_version": MANIFEST_VERSION,
        "event": {
            "event_id": ev.event_id, "kind": ev.kind.value, "camera_id": ev.camera_id, "zone": ev.zone,
            "t_s": round(ev.t_s, 3), "t_start_s": round(ev.t_start_s, 3), "bbox": [round(v, 1) for v in ev.bbox],
            "score": round(ev.score, 4), "owner_track": ev.owner_track,
            "confirmed_utc": ev.wall.astimezone(dt.UTC).isoformat(),
            "confirmed_local": ev.wall.astimezone(tz).isoformat(),
        },
        "place": {
            "community_id": ctx.community_id, "community": ctx.community_name, "point_id": ctx.point_id,
            "point": ctx.point_name, "address": ctx.address, "camera": ctx.camera_name or ctx.camera_id,
        },
        "window": {
            "stream_s": [round(t_from, 3), round(t_to, 3)],
            "utc": [wall(t_from).astimezone(dt.UTC).isoformat(), wall(t_to).astimezone(dt.UTC).isoformat()],
            "local": [wall(t_from).astimezone(tz).isoformat(), wall(t_to).astimezone(tz).isoformat()],
            "timezone": ctx.timezone, "clock_source": ctx.clock_source,
            "pre_s": settings.pre_s, "post_s": settings.post_s,
        },
        "source": {
            "codec": req.codec.codec_name, "width": req.codec.width, "height": req.codec.height,
            "packets": len(req.packets), "original": "stream copy of the camera's packets, starting at a keyframe",
            # packets kept as they arrived in original.mp4 that the decoder refused: their frames (and
            # what the decoder concealed after them) are missing from annotated.mp4 and the snapshots
            "undecodable": [u.as_dict() for u in undecodable],
        },
        "software": ctx.software, "model": ctx.model, "rules": ctx.rules,
        "files": {name: d.as_dict() for name, d in digests.items()},
        "derived": {  # drawn copies cite the original they were made from
            "annotated.mp4": {"from": "original.mp4", "sha256": digests["original.mp4"].sha256},
            "snapshot-annotated.jpg": {"from": "snapshot.jpg", "sha256": digests["snapshot.jpg"].sha256},
        },
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
    }  # fmt: skip


def _annotated_copy(
    req: EvidenceRequest, original: Path, out: Path
) -> tuple[NDArray[np.uint8], NDArray[np.uint8], list[UndecodablePacket]]:
    """Re-encode the original with overlays; returns (snapshot, annotated snapshot) at confirmation and the
    packets the decoder refused.

    Packets are decoded one at a time so a corrupt one costs only itself (and what the decoder
    conceals after it): its frame is missing from the copy, and it is named in the manifest.
    """
    ev, ctx = req.event, req.context
    t0 = req.packets[0].t_s  # the original is rebased so its first packet plays at 0
    rate = float(req.codec.average_rate or 25)
    ticks = list(req.ticks)
    snap: NDArray[np.uint8] | None = None
    snap_annotated: NDArray[np.uint8] | None = None
    best = float("inf")
    writer: H264Writer | None = None
    tz = ZoneInfo(ctx.timezone)
    undecodable: list[UndecodablePacket] = []

    def frames_of(container: av.container.InputContainer) -> Iterator[tuple[float, av.VideoFrame]]:
        """(seconds from the original's start, frame) for every frame that decodes."""
        stream = container.streams.video[0]
        tb = stream.time_base or Fraction(1, 90000)

        def timed(frames: Iterable[av.VideoFrame]) -> Iterator[tuple[float, av.VideoFrame]]:
            for f in frames:
                yield (float(f.pts * tb) if f.pts is not None else 0.0), f

        index = 0
        for packet in container.demux(stream):
            if packet.size == 0:  # the demuxer's end-of-stream packet: flush the decoder
                try:
                    yield from timed(stream.codec_context.decode(None))
                except av.FFmpegError as e:
                    log.warning("[%s] evidence %s: decoder flush failed: %s", ev.camera_id, ev.event_id, e)
                continue
            try:
                decoded = stream.codec_context.decode(packet)
            except av.FFmpegError as e:
                t = req.packets[index].t_s if index < len(req.packets) else t0 + float((packet.pts or 0) * tb)
                undecodable.append(UndecodablePacket(index, t, packet.size, f"{type(e).__name__}: {e}"))
                decoded = []
            index += 1
            yield from timed(decoded)

    with av.open(str(original)) as container:
        for rel_t, frame in frames_of(container):
            t = t0 + rel_t
            bgr = to_bgr(frame)
            h, w = bgr.shape[0] // 2 * 2, bgr.shape[1] // 2 * 2
            bgr = np.ascontiguousarray(bgr[:h, :w])
            wall = (ev.wall + dt.timedelta(seconds=t - ev.t_s)).astimezone(tz)
            marks = [(ev.bbox, ev.kind.value)] if t >= ev.t_start_s else []
            drawn = draw_overlay(bgr, ev.camera_id, wall, t, _nearest(ticks, t), req.zones, marks)
            if writer is None:
                writer = H264Writer(out, w, h, rate, crf=23)
            writer.write(drawn)
            if abs(t - ev.t_s) < best:
                best, snap, snap_annotated = abs(t - ev.t_s), bgr, drawn
    if writer is None or snap is None or snap_annotated is None:
        raise EvidenceError(
            f"the original clip of {ev.event_id} has no decodable frame "
            f"({len(undecodable)} of {len(req.packets)} packets refused by the decoder)"
        )
    writer.close()
    if undecodable:
        log.warning("[%s] evidence %s: %d undecodable packet(s) kept in the original, missing from the copies: %s",
                    ev.camera_id, ev.event_id, len(undecodable), [u.as_dict() for u in undecodable])  # fmt: skip
    return snap, snap_annotated, undecodable


def _nearest(ticks: list[Tick], t: float) -> Tick | None:
    if not ticks:
        return None
    tick = min(ticks, key=lambda k: abs(k.t_s - t))
    return tick if abs(tick.t_s - t) <= 0.5 else None


def _write_jpeg(path: Path, bgr: NDArray[np.uint8]) -> None:
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise EvidenceError(f"cannot encode {path.name} as JPEG")
    path.write_bytes(buf.tobytes())


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    """Flush a file, or a directory's entries (after a rename), to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileEvidence:
    """Events found in a recorded file (`binwatch analyze --evidence`), handed to the dispatcher.

    Each confirmed event is recorded at once; its evidence waits until the analysis has passed
    ``post_s`` after it (so the annotated copy has its tracks), then its window is cut from the
    file's own packets and written on the dispatcher's evidence lane.
    """

    def __init__(self, video: Path, store: EvidenceStore, dispatcher: Any, context: EvidenceContext) -> None:
        self.video = video
        self.store = store
        self.dispatcher = dispatcher
        self.context = context
        self._waiting: list[Event] = []
        self._analyzer: Any = None

    def __call__(self, analyzer: Any, t_s: float, events: list[Event]) -> None:
        from detector.rules.events import EventState

        self._analyzer = analyzer
        for e in events:
            self.dispatcher.handle(e)
            if e.state is EventState.START:
                self._waiting.append(e)
        for ev in [e for e in self._waiting if t_s >= e.t_s + self.store.settings.post_s]:
            self._waiting.remove(ev)
            self._submit(ev)

    def finish(self) -> None:
        """The file ended: what still waits gets its evidence from what the file has."""
        for ev in self._waiting:
            self._submit(ev)
        self._waiting.clear()

    def _submit(self, ev: Event) -> None:
        from streams.ring import read_file_packets

        t_from, t_to = self.store.settings.window(ev)
        history = list(self._analyzer.history) if self._analyzer is not None else []
        ticks = [k for k in history if t_from - 1 <= k.t_s <= t_to + 1]
        zones = self._analyzer.zones if self._analyzer is not None else None

        def make() -> EvidenceRecord:
            codec, packets = read_file_packets(self.video, t_from, t_to)
            if not packets:
                raise EvidenceError(f"{self.video} has no packets in {t_from:.1f}..{t_to:.1f} s")
            return self.store.write(EvidenceRequest(ev, self.context, codec, packets, ticks, zones))

        self.dispatcher.add_evidence(ev, make)
