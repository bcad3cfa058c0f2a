"""One live camera: its source, its analysis loop, its evidence, its wall picture; runs on its own thread."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from alerts.dispatcher import Dispatcher
from alerts.evidence import EvidenceContext, EvidenceError, EvidenceRecord, EvidenceRequest, EvidenceStore
from config import CameraConfig, CommunityConfig, PointConfig
from detector.overlay import draw_overlay
from detector.rules.events import Event, EventState
from runtime.loop import CameraLoop
from streams.decode import Frame
from streams.source import CameraSource

log = logging.getLogger("binwatch.runtime")

Clock = Callable[[Frame], dt.datetime]
WALL_PICTURE_S = 1.0  # the monitoring wall's picture is refreshed this often


def host_clock(frame: Frame) -> dt.datetime:
    """Live cameras: the host's clock when the frame was decoded (NTP-synchronised in deployment)."""
    return frame.wall or dt.datetime.now(dt.UTC)


def clip_clock(start: dt.datetime, duration_s: float, tz: str) -> Clock:
    """Demo cameras: the clip's own time of day (today, or yesterday if later than now), so its schedule holds."""
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    offset = dt.timedelta(hours=local.hour, minutes=local.minute, seconds=local.second)

    def clock(frame: Frame) -> dt.datetime:
        now = dt.datetime.now(zone)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        t = today + offset + dt.timedelta(seconds=frame.t_s % duration_s)
        return t - dt.timedelta(days=1) if t > now else t  # the latest such moment that is not in the future

    return clock


@dataclass
class CameraRuntime:
    community: CommunityConfig
    point: PointConfig
    camera: CameraConfig
    source: CameraSource
    loop: CameraLoop  # gate -> model -> analysis, as `binwatch analyze` and the benches run it
    dispatcher: Dispatcher
    evidence: EvidenceStore
    context: EvidenceContext
    clock: Clock = host_clock
    timezone: str = "Asia/Shanghai"
    events_total: Counter[str] = field(default_factory=Counter)
    picture: bytes | None = None  # latest annotated JPEG
    picture_at: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _marks: dict[str, Event] = field(default_factory=dict)

    def start(self) -> None:
        self.source.start()
        self._thread = threading.Thread(target=self._run, name=f"binwatch-camera-{self.camera.id}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()
        self.source.request_stop()

    def join(self, timeout: float = 10.0) -> None:
        self.source.stop(timeout)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = self.source.get(timeout=1.0)
            if frame is None:
                continue
            try:
                self._analyse(frame)
            except Exception:  # one bad frame must not end the camera; the traceback is logged with its id
                log.exception("[%s] analysis of frame %d failed", self.camera.id, frame.index)

    def _analyse(self, frame: Frame) -> None:
        wall = self.clock(frame)
        events = self.loop.step(frame, wall)
        pre = self.evidence.settings.pre_s
        pending = self.loop.pending_since
        if pending is None:
            self.source.ring.unpin("pending")
        else:
            self.source.ring.pin("pending", pending - pre)
        for ev in events:
            self.dispatcher.handle(ev)
            if ev.state is EventState.START:
                self.events_total[ev.kind.value] += 1
                self._marks[ev.event_id] = ev
                self.source.ring.pin(ev.event_id, ev.t_start_s - pre)
                self.dispatcher.add_evidence(
                    ev,
                    partial(self._write_evidence, ev),
                    self.evidence.settings.post_s,
                    done=partial(self.source.ring.unpin, ev.event_id),
                )
            elif ev.state is EventState.END:
                self._marks.pop(ev.event_id, None)
        now = time.monotonic()
        if now - self.picture_at >= WALL_PICTURE_S:
            tick = self.loop.history[-1] if self.loop.history else None
            marks = [(e.bbox, e.kind.value) for e in self._marks.values()]
            local = wall.astimezone(ZoneInfo(self.timezone))
            img = draw_overlay(frame.bgr, self.camera.id, local, frame.t_s, tick, self.loop.zones, marks)
            h, w = img.shape[:2]
            if w > 960:
                img = np.asarray(cv2.resize(img, (960, round(h * 960 / w)), interpolation=cv2.INTER_AREA), np.uint8)
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
            if ok:
                self.picture, self.picture_at = buf.tobytes(), now

    def _write_evidence(self, ev: Event) -> EvidenceRecord:
        t_from, t_to = self.evidence.settings.window(ev)
        codec = self.source.ring.codec_params
        packets = self.source.ring.snapshot(t_from, t_to)
        if codec is None or not packets:
            raise EvidenceError(f"camera {self.camera.id} holds no packets for {t_from:.1f}..{t_to:.1f} s")
        ticks = [k for k in list(self.loop.history) if t_from - 1 <= k.t_s <= t_to + 1]
        return self.evidence.write(EvidenceRequest(ev, self.context, codec, packets, ticks, self.loop.zones))
