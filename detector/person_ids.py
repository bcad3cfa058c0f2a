"""Person ids that survive a tracker's id switches.

ByteTrack now and then gives one person a new id: it finds two boxes on them for a frame (a bag in hand
changes their outline, most often at the bins) and goes on with the new one, or loses them for a frame
and starts a new track where they were. The rules follow people by id (whose bag it was, who stood in the
bins zone with it), so a switch would make them forget what they saw. Here a track born within
`handover_frames` updates of another's end (before or after it), where that track last was (a box of
about its size and place: IoU >= HANDOVER_IOU), carries the ended track's id on.

Only a track younger than the one that ended inherits: a person tracked for longer is someone else,
however close they stand, and so is one entering at the frame's edge (a sliver, not a body's box). A
track born before the other ended must have lain on it in every update both were seen (a second box on
one person): one seen apart from it at the same time is someone else, who crossed its path as it was
lost behind them (they took the id of the person they passed, and with it whose bag it was). Ids
are given out here (1, 2, ...), the tracker's own are only keys: if the tracker later finds its old track
again, that one gets a new id, as it is then someone else beside the heir. Pure: boxes in, ids out; time
counts in updates.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from detector.tracks import Box, iou

HANDOVER_S = 1.0  # a track born this close to another's end (before or after), where it last was, takes its id
HANDOVER_IOU = 0.3  # the heir's box and the ended track's last box overlap this much (about one size and place)

TrackedPerson = tuple[int, tuple[float, ...], float]  # id, xyxy, score


class SeenPerson(NamedTuple):
    """A person's confirmed track in one frame: its id, its box and score as the tracker smooths them, and the
    box the model gave for them in this very frame. (The smoothed box lags a walk at a low analysis rate and
    keeps its width for seconds: a bag held out at arm's length, inside the model's box, lay beside it.)"""

    track_id: int
    xyxy: tuple[float, ...]
    score: float
    seen: tuple[float, ...]


@dataclass(frozen=True)
class _Ended:
    last_box: Box
    ended: int  # the update in which the id was first missing


@dataclass
class StableIds:
    """Maps a tracker's ids to ids that carry on across a switch; call `update` with every frame's tracks.

    ``handover_frames``: how many updates a track may be born before or after another's end to take its id;
    ``forget_frames``: a tracker id unseen this long is forgotten (at least the tracker's own lost-track buffer).
    """

    handover_frames: int
    forget_frames: int
    _n: int = 0
    _next_id: int = 1
    _ids: dict[int, int] = field(default_factory=dict)  # tracker id -> id given out
    _born: dict[int, int] = field(default_factory=dict)  # tracker id -> update it was first seen in
    _seen: dict[int, int] = field(default_factory=dict)  # tracker id -> update it was last seen in
    _heirs: set[int] = field(default_factory=set)  # tracker ids that took an ended track's id
    _last: dict[int, Box] = field(default_factory=dict)  # id given out -> its box, for the ids of the last update
    _boxes: dict[int, deque[tuple[int, Box]]] = field(default_factory=dict)  # tracker id -> (update, box), 2 handovers
    _ended: dict[int, _Ended] = field(default_factory=dict)  # ids missing now, for at most handover_frames updates

    def __post_init__(self) -> None:
        if not 1 <= self.handover_frames <= self.forget_frames:
            raise ValueError(
                f"need 1 <= handover_frames <= forget_frames; got {self.handover_frames} and {self.forget_frames}"
            )

    def update(self, tracks: list[TrackedPerson]) -> list[TrackedPerson]:
        """This frame's tracks, with the tracker's ids replaced by the ids given out."""
        n = self._n = self._n + 1
        boxes: dict[int, Box] = {}
        for raw, xyxy, _ in tracks:
            boxes[raw] = (xyxy[0], xyxy[1], xyxy[2], xyxy[3])
            if raw not in self._ids:
                self._ids[raw], self._born[raw] = self._give(), n
            self._seen[raw] = n
            self._boxes.setdefault(raw, deque()).append((n, boxes[raw]))
        present = {self._ids[raw] for raw in boxes}
        for pid in [p for p in self._last if p not in present]:
            self._ended[pid] = _Ended(self._last[pid], n)
        self._ended = {
            p: e for p, e in self._ended.items() if p not in present and n - e.ended <= self.handover_frames
        }  # an id back in view has not ended
        young = [r for r in boxes if n - self._born[r] <= self.handover_frames and r not in self._heirs]
        for pid, e in sorted(self._ended.items()):
            old = next(r for r, p in self._ids.items() if p == pid)  # the tracker id that held it
            heirs = [  # younger than the one that ended, and never seen apart from it
                r for r in young if self._born[r] > self._born.get(old, 0) and self._one_person(r, old)
            ]
            heir = max(heirs, key=lambda r: iou(boxes[r], e.last_box), default=None)
            if heir is None or iou(boxes[heir], e.last_box) < HANDOVER_IOU:
                continue
            self._ids[old] = self._give()  # the tracker may find its old track again: then it is someone else
            self._ids[heir] = pid  # the heir's own id, given a few updates ago, ends unseen
            self._heirs.add(heir)
            young.remove(heir)
            del self._ended[pid]
        self._last = {self._ids[raw]: box for raw, box in boxes.items()}
        for raw in [r for r, seen in self._seen.items() if n - seen > self.forget_frames]:
            del self._ids[raw], self._born[raw], self._seen[raw]
            self._heirs.discard(raw)
        for raw, seen_at in list(self._boxes.items()):
            while seen_at and n - seen_at[0][0] > 2 * self.handover_frames:
                seen_at.popleft()
            if not seen_at or raw not in self._seen:
                del self._boxes[raw]
        return [(self._ids[raw], xyxy, score) for raw, xyxy, score in tracks]

    def _one_person(self, heir: int, old: int) -> bool:
        """Whether tracker ids ``heir`` and ``old`` lay on one person (IoU >= HANDOVER_IOU) in every update
        in which both were seen (none: the heir was born after the other ended)."""
        a, b = dict(self._boxes.get(heir, ())), dict(self._boxes.get(old, ()))
        return all(iou(a[k], b[k]) >= HANDOVER_IOU for k in a.keys() & b.keys())

    def _give(self) -> int:
        pid, self._next_id = self._next_id, self._next_id + 1
        return pid


# ---- association by reach -----------------------------------------------------------------------

REACH_HEIGHTS_PER_S = 2.0  # a person moves at most this many of their own heights a second (a brisk run)
REACH_MIN_HEIGHTS = 0.5  # ... and may always be found this far from where they were expected (a lurch, a bad box)
REACH_MAX_HEIGHTS = 1.5  # ... and never farther, however long they were lost: beyond that it is someone else
MIN_HEIGHT_RATIO = 0.6  # two boxes of one person a moment apart: the shorter is at least this much of the taller
REACH_WEIGHT = 0.9  # a match by reach alone counts a little less than one by full overlap


def reach_affinity(
    expected: NDArray[np.floating], found: NDArray[np.floating], gap_s: NDArray[np.floating]
) -> NDArray[np.float64]:
    """How well each found box (M x 4, xyxy) continues each expected one (N x 4, where a person was or
    was predicted to be, last seen ``gap_s`` (N) seconds ago): 0..REACH_WEIGHT, N x M.

    Overlap (IoU) only links boxes that overlap, so a person who walks more than about half their width
    between two analysed frames (a brisk walk at 2 fps, a run at 5) never links to where they were, and
    a tracker that needs two linked frames to confirm a track never sees them. Here a box links to one
    whose centre lies within the distance the person could have gone in the gap (in their own heights,
    so it holds at every distance from the camera), falling off with the square of that distance, and
    scaled by how alike the two heights are (none below MIN_HEIGHT_RATIO).
    """
    if len(expected) == 0 or len(found) == 0:
        return np.zeros((len(expected), len(found)))
    e = np.asarray(expected, np.float64)[:, None, :]
    f = np.asarray(found, np.float64)[None, :, :]
    he, hf = e[..., 3] - e[..., 1], f[..., 3] - f[..., 1]
    taller = np.maximum(he, hf)
    ratio = np.minimum(he, hf) / np.maximum(taller, 1e-9)
    gap = np.asarray(gap_s, np.float64)[:, None]
    reach = np.maximum(np.clip(REACH_HEIGHTS_PER_S * gap, REACH_MIN_HEIGHTS, REACH_MAX_HEIGHTS) * taller, 1e-9)
    dx = (e[..., 0] + e[..., 2] - f[..., 0] - f[..., 2]) / 2
    d = np.hypot(dx, (e[..., 1] + e[..., 3] - f[..., 1] - f[..., 3]) / 2)
    near = np.clip(1 - (d / reach) ** 2, 0, 1)
    return np.where(ratio >= MIN_HEIGHT_RATIO, REACH_WEIGHT * near * ratio, 0.0)
