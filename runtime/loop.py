"""One camera's loop, frame by frame: motion gate -> model -> analysis -> events.

The same loop runs live (`binwatch run`, `runtime.camera`), on a file (`binwatch analyze`) and in the
benches (`bench/speed.py`), so what is measured is what runs. Only how the model is reached differs:
a `Detect` function (the process's batching queue live, the model itself on a file). Everything at
the edges (packet ring, dispatcher, evidence, wall picture) stays with the caller.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from detector.batching import BatchingDetector
from detector.detections import Detections
from detector.pipeline import CameraAnalyzer
from detector.rules.events import Event
from detector.tracks import Tick
from detector.zones import ZoneMap
from streams.decode import Frame

log = logging.getLogger("binwatch.runtime")

Detect = Callable[[Frame], Detections | None]  # None: the model failed or timed out on that frame
DETECT_TIMEOUT_S = 30.0  # a frame waits this long for the batching queue's answer


@dataclass
class CameraLoop:
    """A camera's analyzer and its way to the model; :meth:`step` advances it by one analysed frame.

    The gate decides frame by frame, after the previous frame was processed (it reads what
    `CameraAnalyzer.process` left), so frames cannot be batched ahead of it within a camera.
    """

    analyzer: CameraAnalyzer
    detect: Detect
    detector_errors: int = 0  # frames the gate sent to the model that got no answer

    def step(self, frame: Frame, wall: dt.datetime) -> list[Event]:
        """Gate ``frame``, ask the model only when the gate says so, and analyse it (``wall``: its wall-clock
        time, for schedules and records). A frame the model gave no answer for counts in `detector_errors`
        and is analysed as one the gate skipped: the last boxes stand in and the rules' clocks run on."""
        det = None
        if self.analyzer.needs_detection(frame.picture):
            det = self.detect(frame)
            self.detector_errors += det is None
        return self.analyzer.process(frame.picture, frame.t_s, wall, det)

    @property
    def frames_seen(self) -> int:
        return self.analyzer.frames_seen

    @property
    def frames_detected(self) -> int:
        return self.analyzer.frames_detected

    @property
    def pending_since(self) -> float | None:
        """Stream time of the oldest garbage still waiting for confirmation, if any."""
        return self.analyzer.pending_since

    @property
    def history(self) -> deque[Tick]:
        """The last analysed ticks (for evidence and the wall picture)."""
        return self.analyzer.history

    @property
    def zones(self) -> ZoneMap | None:
        """The camera's zones in pixels of its picture (None before the first frame)."""
        return self.analyzer.zones


def batched(batching: BatchingDetector, camera_id: str, timeout_s: float = DETECT_TIMEOUT_S) -> Detect:
    """Detect through the process's batching queue (one model for every camera). A failure or a timeout is
    logged with the camera id and answered None: one bad frame must not stop the camera."""

    def detect(frame: Frame) -> Detections | None:
        try:
            return batching.submit(frame.bgr).result(timeout=timeout_s)
        except (FutureTimeout, RuntimeError, ValueError) as e:
            log.error("[%s] detector: %s", camera_id, e)
            return None

    return detect
