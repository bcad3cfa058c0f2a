"""One model for every camera of a process: requests are batched (up to B frames or T ms)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from detector.detections import Detections
from detector.yolo import YoloDetector

log = logging.getLogger("binwatch.detector")


@dataclass
class BatchStats:
    batches: int = 0
    frames: int = 0
    inference_s: float = 0.0
    failures: int = 0

    @property
    def mean_batch(self) -> float:
        return self.frames / self.batches if self.batches else 0.0


@dataclass
class BatchingDetector:
    """Thread-safe front of a YoloDetector: `submit` from any camera thread, get a Future of Detections."""

    detector: YoloDetector
    max_batch: int = 8
    max_wait_ms: float = 20.0
    stats: BatchStats = field(default_factory=BatchStats)

    def __post_init__(self) -> None:
        self._queue: queue.Queue[tuple[NDArray[np.uint8], Future[Detections]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="binwatch-detector", daemon=True)
        self._thread.start()

    def submit(self, bgr: NDArray[np.uint8]) -> Future[Detections]:
        fut: Future[Detections] = Future()
        self._queue.put((bgr, fut))
        return fut

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self.max_wait_ms / 1000
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._infer(batch)
            if stop:
                return

    def _infer(self, batch: list[tuple[NDArray[np.uint8], Future[Detections]]]) -> None:
        t0 = time.perf_counter()
        try:
            results = self.detector.detect([frame for frame, _ in batch])
        except Exception as e:  # a model failure must reach every waiting camera, not kill this thread
            self.stats.failures += 1
            log.error("detector batch of %d failed: %s", len(batch), e)
            for _, fut in batch:
                fut.set_exception(e)
            return
        self.stats.batches += 1
        self.stats.frames += len(batch)
        self.stats.inference_s += time.perf_counter() - t0
        for (_, fut), det in zip(batch, results, strict=True):
            fut.set_result(det)
