"""Garbage at rest on the ground: fuse model detections and left-object candidates into objects with stable ids.

Sources are fused in order of trust: the model's garbage boxes first, then the left-object
detector's candidates. Where a candidate overlaps a model box it is the same thing seen twice and
the model's box stands, so an object's box does not flip between sources from frame to frame (a
flip would look like the object moving and restart its rest). A smaller candidate right beside a
model box is a part of that thing the model leaves out, most often its shadow on the ground: it
too is dropped (it would otherwise become a second object, and a second event, beside the first).
Boxes of one source are never joined by nearness: the model tells two bags side by side apart.

A source may say since when a box has been at rest (the left-object detector reports an object
only after it has stood still for a second): an object keeps the earliest such time while it stays
where it was, so the rules can count its rest from when it really landed. A source may also say that
a box is not *settled* yet (the left-object detector's candidate still for less than its static_s):
an object is settled once any source gave a settled box for it, and only settled objects are garbage
for the rules' events (an object not settled yet may be warned about).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from detector.tracks import Box, iou, moved, overlap_of_smaller

MATCH_IOU = 0.3
DUPLICATE_OVERLAP = 0.5  # a box lying this much inside one already taken this frame is a part of that thing
ADJOIN_FRAC = 0.25  # a smaller box of a less trusted source this near a box (share of its longer side) is part of it
ADJOIN_OVERLAP = 0.3  # a box of a less trusted source overlapping this share of the smaller of the two is that thing
SETTLED_S = 1.0  # an object seen this long is lying there, not held by someone the model missed for a frame
GRACE_S = 2.0  # an object unseen this long is forgotten (the rules keep their own, longer grace)


@dataclass(frozen=True)
class GarbageBoxes:
    """One source's garbage boxes this frame: xyxy (N x 4, source pixels), scores (N), since when each has
    been at rest (N stream seconds; NaN: the source does not know; None: all NaN), and whether each is
    settled (N; None: all are)."""

    xyxy: NDArray[np.float32]
    scores: NDArray[np.float32]
    rest_s: NDArray[np.float64] | None = None
    settled: NDArray[np.bool_] | None = None

    def __post_init__(self) -> None:
        n = len(self.scores)
        rest = None if self.rest_s is None else self.rest_s.shape
        settled = None if self.settled is None else self.settled.shape
        if self.xyxy.shape != (n, 4) or rest not in (None, (n,)) or settled not in (None, (n,)):
            raise ValueError(f"garbage boxes need xyxy (N, 4), scores (N), rest_s (N) and settled (N); got "
                             f"{self.xyxy.shape}, ({n},), {rest}, {settled}")  # fmt: skip

    def where(self, keep: NDArray[np.bool_]) -> GarbageBoxes:
        """The boxes ``keep`` selects."""
        return GarbageBoxes(
            self.xyxy[keep], self.scores[keep], None if self.rest_s is None else self.rest_s[keep],
            None if self.settled is None else self.settled[keep],
        )  # fmt: skip


@dataclass(frozen=True)
class TrackedObject:
    object_id: int
    xyxy: Box
    score: float
    at_rest_since: float | None  # the earliest rest time a source gave while it stayed put; None: unknown
    settled: bool = True  # a source said so (see the module docstring)


@dataclass
class _Object:
    object_id: int
    xyxy: Box
    score: float
    last_seen: float
    at_rest_since: float | None = None
    rest_box: Box | None = None  # where it was when that rest time was given
    first_seen: float = 0.0
    settled: bool = False


@dataclass
class GroundObjectTracker:
    """Greedy IoU association of per-frame garbage boxes into persistent objects."""

    _objects: list[_Object] = field(default_factory=list)
    _next_id: int = 1

    def update(self, sources: Sequence[GarbageBoxes], t_s: float) -> list[TrackedObject]:
        """Objects seen this frame.

        ``sources`` in order of trust; within one source the higher score goes first. A box
        overlapping one already taken this frame is a duplicate and is dropped, and so is a smaller
        box of a later source right beside one (see `_part_of`).
        """
        ranked: list[tuple[int, Box, float, float, bool]] = []
        for rank, src in enumerate(sources):
            for i in np.argsort(-src.scores, kind="stable"):
                b = src.xyxy[i]
                rest = math.nan if src.rest_s is None else float(src.rest_s[i])
                box = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
                ranked.append((rank, box, float(src.scores[i]), rest, src.settled is None or bool(src.settled[i])))
        seen: list[tuple[TrackedObject, int]] = []  # with the rank of the source that gave it
        taken: set[int] = set()
        for rank, box, sc, rest, settled in ranked:
            if any(_part_of(box, o.xyxy, adjoining=r < rank) for o, r in seen):
                continue  # the same thing seen twice (model box and background candidate), or a part of it
            best, best_iou = None, MATCH_IOU
            for obj in self._objects:
                if obj.object_id in taken:
                    continue
                o = iou(obj.xyxy, box)
                if o > best_iou:
                    best, best_iou = obj, o
            if best is None:
                best = _Object(self._next_id, box, float(sc), t_s, first_seen=t_s)
                self._next_id += 1
                self._objects.append(best)
            best.xyxy, best.score, best.last_seen = box, float(sc), t_s
            if best.rest_box is not None and moved(best.rest_box, box):
                best.at_rest_since = best.rest_box = None  # it moved: what a source said of its rest is void
            if not math.isnan(rest) and (best.at_rest_since is None or rest < best.at_rest_since):
                best.at_rest_since, best.rest_box = min(rest, t_s), box
            best.settled |= settled
            taken.add(best.object_id)
            seen.append((TrackedObject(best.object_id, box, best.score, best.at_rest_since, best.settled), rank))
        self._objects = [o for o in self._objects if t_s - o.last_seen < GRACE_S]
        return [o for o, _ in seen]

    def lies_at_rest(self, box: Box, t_s: float) -> bool:
        """Whether ``box`` is where an object has lain for ``SETTLED_S`` (and was seen within ``GRACE_S``), not
        moved from it. (Not any object of one frame: a held bag is one for a frame whenever its holder is
        missed.)"""
        return any(
            t_s - o.first_seen >= SETTLED_S and t_s - o.last_seen < GRACE_S and not moved(o.xyxy, box)
            for o in self._objects
        )


def _part_of(box: Box, other: Box, adjoining: bool) -> bool:
    """Whether ``box`` is ``other`` seen again or a part of it: overlapping it, or (``adjoining``: ``box``
    comes from a less trusted source) overlapping ADJOIN_OVERLAP of the smaller of the two (the bag and its
    shadow below it as one region of change, larger than the model's box of the bag: it became a second
    object, and a second event and warning, beside the first), or smaller than it and closer to it than
    ADJOIN_FRAC of ``box``'s own longer side (a shadow touches its bag; a bag a hand's width from a heap is
    a bag of its own)."""
    if iou(box, other) > MATCH_IOU or overlap_of_smaller(box, other) > DUPLICATE_OVERLAP:
        return True
    if not adjoining:
        return False
    if overlap_of_smaller(box, other) > ADJOIN_OVERLAP:
        return True
    w, h = box[2] - box[0], box[3] - box[1]
    gap = max(0.0, box[0] - other[2], other[0] - box[2], box[1] - other[3], other[1] - box[3])
    return w * h < (other[2] - other[0]) * (other[3] - other[1]) and gap <= ADJOIN_FRAC * max(w, h)
