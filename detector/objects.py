"""Garbage at rest on the ground: fuse model detections and left-object candidates into objects with stable ids.

Sources are fused in order of trust: the model's garbage boxes first, then the left-object
detector's candidates. Where a candidate overlaps a model box it is the same thing seen twice and
the model's box stands, so an object's box does not flip between sources from frame to frame (a
flip would look like the object moving and restart its rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from detector.tracks import Box, iou, overlap_of_smaller

MATCH_IOU = 0.3
DUPLICATE_OVERLAP = 0.5  # a box lying this much inside one already taken this frame is a part of that thing
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
        self, sources: Sequence[tuple[NDArray[np.float32], NDArray[np.float32]]], t_s: float
    ) -> list[tuple[int, Box, float]]:
        """Objects seen this frame as (object_id, box, score).

        ``sources`` are (boxes N x 4, scores N) in order of trust; within one source the higher score
        goes first. A box overlapping one already taken this frame is a duplicate and is dropped.
        """
        ranked: list[tuple[Box, float]] = []
        for boxes, scores in sources:
            for i in np.argsort(-scores, kind="stable"):
                b = boxes[i]
                ranked.append(((float(b[0]), float(b[1]), float(b[2]), float(b[3])), float(scores[i])))
        seen: list[tuple[int, Box, float]] = []
        taken: set[int] = set()
        for box, sc in ranked:
            if any(iou(box, b) > MATCH_IOU or overlap_of_smaller(box, b) > DUPLICATE_OVERLAP for _, b, _ in seen):
                continue  # the same thing seen twice (model box and background candidate, or a part of it)
            best, best_iou = None, MATCH_IOU
            for obj in self._objects:
                if obj.object_id in taken:
                    continue
                o = iou(obj.xyxy, box)
                if o > best_iou:
                    best, best_iou = obj, o
            if best is None:
                best = _Object(self._next_id, box, float(sc), t_s)
                self._next_id += 1
                self._objects.append(best)
            best.xyxy, best.score, best.last_seen = box, float(sc), t_s
            taken.add(best.object_id)
            seen.append((best.object_id, box, best.score))
        self._objects = [o for o in self._objects if t_s - o.last_seen < GRACE_S]
        return seen
