"""Garbage at rest on the ground: fuse model detections and left-object candidates into objects with stable ids."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from detector.tracks import Box, iou

MATCH_IOU = 0.3
GRACE_S = 2.0  # an object unseen this long is forgotten (the rules keep their own, longer grace)


@dataclass
class _Object:
    object_id: int
    xyxy: Box
    score: float
    last_seen: float


@dataclass
class GroundObjectTracker:
    """Greedy IoU association of per-frame garbage boxes into persistent objects."""

    _objects: list[_Object] = field(default_factory=list)
    _next_id: int = 1

    def update(
        self, boxes: NDArray[np.float32], scores: NDArray[np.float32], t_s: float
    ) -> list[tuple[int, Box, float]]:
        """Objects seen this frame as (object_id, box, score); boxes overlapping each other are merged first."""
        order = np.argsort(-scores)
        seen: list[tuple[int, Box, float]] = []
        taken: set[int] = set()
        for i in order:
            box: Box = (float(boxes[i, 0]), float(boxes[i, 1]), float(boxes[i, 2]), float(boxes[i, 3]))
            if any(iou(box, b) > MATCH_IOU for _, b, _ in seen):
                continue  # the same thing seen twice (model box and background candidate)
            best, best_iou = None, MATCH_IOU
            for obj in self._objects:
                if obj.object_id in taken:
                    continue
                o = iou(obj.xyxy, box)
                if o > best_iou:
                    best, best_iou = obj, o
            if best is None:
                best = _Object(self._next_id, box, float(scores[i]), t_s)
                self._next_id += 1
                self._objects.append(best)
            best.xyxy, best.score, best.last_seen = box, float(scores[i]), t_s
            taken.add(best.object_id)
            seen.append((best.object_id, box, best.score))
        self._objects = [o for o in self._objects if t_s - o.last_seen < GRACE_S]
        return seen
