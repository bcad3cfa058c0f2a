"""One camera's analysis: frame + detections -> tracks and ground objects -> rule events.

The model runs elsewhere (one `YoloDetector` serves every camera of a process); this class holds
everything that belongs to a single camera: its zones, its person tracker, its ground objects,
its left-object detector, its motion gate and its rules.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from config import CameraConfig, Schedule
from detector.detections import Detections, Role
from detector.leftobject import LeftObjectDetector
from detector.motion import MotionGate
from detector.objects import GarbageBoxes, GroundObjectTracker
from detector.person_ids import SeenPerson
from detector.rules.events import Event
from detector.rules.littering import LitteringParams, LitteringRule
from detector.rules.off_hours import OffHoursRule
from detector.rules.overflow import OverflowParams, OverflowRule
from detector.scale import GroundScale
from detector.thumbnail import Picture, picture_size
from detector.tracks import BinsOccupancy, Box, GroundObject, PersonTrack, Place, Tick
from detector.yolo import PersonTracker
from detector.zones import ZoneMap

CARRY_OVERLAP = 0.5  # share of a garbage box inside a person's box (widened by CARRY_REACH) to be in their hands
CARRY_REACH = 0.35  # a bag hangs beside the body: the person's box is widened by this share of its width each side
CARRY_LIFT = 0.08  # ...and its bottom at least this share of the person's height above their feet
CARRY_BELOW = 0.25  # ...and its centre below this share of the person's height from the top (not at their head)
OCCUPANCY_SCALE = 4  # occupancy is rasterised at 1/4 resolution
HISTORY_S = 120.0  # analysed ticks kept for drawing an event's annotated evidence
# How often the left-object detector looks (at most the analysis rate; default every 5-fps frame). At 2 Hz it
# cost about half as much, but sampled that sparsely the edges that pulse with a camera's keyframes (the same
# positions of each group of pictures, look after look) built up into thin "left objects" on walls and
# signs; the remedies tried (an averaged start, a flicker count) made bag outlines split instead.
LEFT_OBJECT_HZ = 5.0
SETTLE_S = 1.0  # after motion or people, still frames go on to the model this long (their boxes stand for still frames)
_NO_BOXES = GarbageBoxes(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))  # shared: never written to


@dataclass
class CameraAnalyzer:
    camera: CameraConfig
    schedule: Schedule | None
    analysis_fps: float
    use_left_objects: bool = True
    left_object_hz: float = LEFT_OBJECT_HZ
    make_tracker: Callable[[float], PersonTracker] = PersonTracker
    zones: ZoneMap | None = None
    frames_seen: int = 0
    frames_detected: int = 0
    frames_left_object: int = 0  # frames the left-object detector looked at
    _gate: MotionGate = field(default_factory=MotionGate)
    _objects: GroundObjectTracker = field(default_factory=GroundObjectTracker)
    _left: LeftObjectDetector | None = None
    _last: Detections = field(default_factory=Detections.empty)
    _left_candidates: GarbageBoxes = _NO_BOXES
    _left_slot: int | None = None
    _settle_left: int = 0  # still frames that will still go to the model after the last motion
    _scale: GroundScale | None = None  # the scene's scale on the ground, learned from the people seen

    def __post_init__(self) -> None:
        if not self.left_object_hz >= 1.0:  # its clocks count a longer gap as one second (max_dt_s)
            raise ValueError(f"left_object_hz must be >= 1; got {self.left_object_hz}")
        r = self.camera.rules
        self._tracker = self.make_tracker(self.analysis_fps)
        self._littering = LitteringRule(
            self.camera.id, LitteringParams(dwell_s=r.dwell_s, owner_gone_s=r.owner_gone_s, warn_after_s=r.warn_after_s)
        )
        self._off_hours = OffHoursRule(self.camera.id, self.schedule)
        self._overflow = OverflowRule(self.camera.id, OverflowParams(threshold=r.overflow_occupancy, dwell_s=r.dwell_s))
        self._people_present = False
        self._settle_frames = max(1, round(SETTLE_S * self.analysis_fps))
        self.history: deque[Tick] = deque(maxlen=max(1, round(HISTORY_S * self.analysis_fps)))

    @property
    def pending_since(self) -> float | None:
        """Stream time of the oldest garbage still waiting for confirmation, if any."""
        return self._littering.pending_since

    def needs_detection(self, picture: Picture) -> bool:
        """Motion gating: the model is skipped when nothing moved and nobody is in view. ``picture``: the
        frame (`streams.decode.Frame.picture`: its luma plane when the decoder gave one, else BGR).

        Garbage waiting for confirmation does not keep the model busy: in a still scene with nobody in
        view, the model's last boxes stand for the frame (what lies still is where it was), and the
        rules' clocks run on every frame anyway. So garbage boxes that stand in must be of the settled
        scene: while the last boxes hold garbage, still frames go on to the model for SETTLE_S after
        motion, and after the last person was seen. (A person leaving the frame ends as a sliver at its
        edge, and its going is too small for the gate; a model that took the sliver for a bag and was then
        skipped kept that bag on the ground for good. Someone who walked out slowly, seen by the model to
        the last, moved the gate least of all.) Without garbage among them, the last boxes hold nothing
        that could stand in wrongly: people keep the model running by themselves, and bins do not come
        and go."""
        if self._gate.moved(picture) or self._people_present:
            self._settle_left = self._settle_frames
            return True
        settling = self._settle_left > 0 and bool(np.any(self._last.role == int(Role.GARBAGE)))
        self._settle_left -= self._settle_left > 0
        return settling or self._people_present

    def process(self, picture: Picture, t_s: float, wall: dt.datetime, detections: Detections | None) -> list[Event]:
        """Advance this camera by one analysed frame (``picture`` as for :meth:`needs_detection`);
        ``detections`` None = the model was skipped."""
        w, h = picture_size(picture)
        if self.zones is None or (self.zones.width, self.zones.height) != (w, h):
            self.zones = ZoneMap.build(self.camera.zones, w, h)
            self._scale = GroundScale((w, h))
            if self.use_left_objects:  # a new picture size: start over, its old boxes mean nothing now
                self._left = LeftObjectDetector(
                    (w, h), early_s=self.camera.rules.early_s, ignore=self.zones.ignored_mask
                )
                self._left_slot = None
                self._left_candidates = _NO_BOXES
        self.frames_seen += 1
        fresh = detections is not None
        if detections is None:
            detections = self._last
        else:
            self.frames_detected += 1
            self._last = detections
        zones = self.zones
        people_det = detections.of_role(Role.PERSON)
        garbage = detections.of_role(Role.GARBAGE)
        tracked = self._tracker.update(people_det.xyxy, people_det.confidence)
        self._people_present = bool(tracked)
        scale = self._scale
        assert scale is not None
        if fresh:  # boxes the model gave for this frame (stand-ins would repeat the same people)
            scale.observe([(t.track_id, (t.xyxy[0], t.xyxy[1], t.xyxy[2], t.xyxy[3])) for t in tracked], t_s)

        carried_by: dict[int, Box] = {}
        resting: list[int] = []
        for gi, g in enumerate(garbage.xyxy):
            # A bag already lying at rest (on a heap at hand height, on a ledge) is not in the hands of whoever
            # stands in front of it: taken as carried, it made the person at a full bin look as if they never
            # let go of their own bag, and their deposit was missed. A bag that is picked up moves off its rest.
            owner = None if self._objects.lies_at_rest(_box(g), t_s) else _holder(g, tracked)
            if owner is None:
                resting.append(gi)
            else:
                carried_by[owner] = _box(g)
        people = []
        for tid, box, score, _ in tracked:
            b: Box = (box[0], box[1], box[2], box[3])
            place, zi = zones.place_of(b)
            people.append(PersonTrack(tid, b, score, place, zi, carried_by.get(tid)))

        sources = [GarbageBoxes(garbage.xyxy[resting], garbage.confidence[resting])]
        if self._left is not None:
            slot = math.floor(t_s * self.left_object_hz + 1e-6)
            if slot != self._left_slot:
                self._left_slot = slot
                self.frames_left_object += 1
                cands = self._left.update(picture, t_s, people_det.xyxy)
                self._left_candidates = GarbageBoxes(  # each at rest since it began to stand still
                    np.asarray([c.xyxy for c in cands], np.float32).reshape(-1, 4),
                    np.asarray([c.score for c in cands], np.float32),
                    np.asarray([c.first_static_s - self._left.early_s for c in cands], np.float64),
                    np.asarray([c.settled for c in cands], np.bool_),
                )
            sources.append(self._left_candidates)
        # Only what can be a thing on the ground goes on (not a sliver at the top, nothing on a wall or a
        # table, nothing larger than people): see detector/scale.py.
        sources = [src.where(np.array([scale.plausible(_box(b)) for b in src.xyxy], np.bool_)) for src in sources]
        objects = []
        for o in self._objects.update(sources, t_s):
            place, zi = zones.place_of(o.xyxy)
            objects.append(GroundObject(o.object_id, o.xyxy, o.score, place, zi, o.at_rest_since, o.settled))

        bins: list[Box] = [_box(b) for b in detections.of_role(Role.BIN).xyxy]
        # What covers the ground at the bins: the objects, and every plausible left-object region beside them.
        # A heap of spilt bags is often one model box for one bag and a wider region of change for them all;
        # as an object the region is dropped as a part of the model's box, but its area is garbage all the same.
        at_bins = [(o.xyxy, o.zone_index) for o in objects if o.place is Place.BINS and o.settled]
        if self._left is not None:
            left = sources[-1]
            for c in left.xyxy[left.settled] if left.settled is not None else left.xyxy:
                place, zi = zones.place_of(_box(c))
                if place is Place.BINS:
                    at_bins.append((_box(c), zi))
        tick = Tick(t_s, wall, tuple(people), tuple(objects), self._occupancy(at_bins, bins))
        self.history.append(tick)
        return self._littering.update(tick) + self._off_hours.update(tick) + self._overflow.update(tick)

    def _occupancy(self, at_bins: list[tuple[Box, int]], bins: list[Box]) -> tuple[BinsOccupancy, ...]:
        """Per bins zone, the fullest bin: garbage at rest spilt around one bin, as a share of that bin's area.

        A zone often holds a whole row of bins; one overflowing bin must count however wide the zone
        is. Around a bin means the ground beside and in front of it: its box widened by half its
        width each side, from half its height down to 30 % of its height below it. Bags heaped on a
        lid do not count until they spill (满溢 is garbage around the bin). Without a detected bin
        the share is of the whole zone.
        """
        zones = self.zones
        assert zones is not None
        out = []
        for zi in range(len(zones.bins_polygons)):
            mine = [box for box, z in at_bins if z == zi]
            if not mine:
                out.append(BinsOccupancy(zi, 0.0, None))
                continue
            cover = np.zeros((zones.height // OCCUPANCY_SCALE + 1, zones.width // OCCUPANCY_SCALE + 1), np.bool_)
            for box in mine:
                c1, r1, c2, r2 = (int(v / OCCUPANCY_SCALE) for v in box)
                cover[r1 : r2 + 1, c1 : c2 + 1] = True
            fraction = 0.0
            in_zone = [box for box in bins if zones.place_of(box) == (Place.BINS, zi)]
            for x1, y1, x2, y2 in in_zone:
                w, h = x2 - x1, y2 - y1
                around = cover[
                    max(0, int((y1 + 0.5 * h) / OCCUPANCY_SCALE)) : int((y2 + 0.3 * h) / OCCUPANCY_SCALE) + 1,
                    max(0, int((x1 - 0.5 * w) / OCCUPANCY_SCALE)) : int((x2 + 0.5 * w) / OCCUPANCY_SCALE) + 1,
                ]
                fraction = max(fraction, np.count_nonzero(around) * OCCUPANCY_SCALE**2 / max(1.0, w * h))
            if not in_zone:
                zone = zones.bins_mask(zi)[::OCCUPANCY_SCALE, ::OCCUPANCY_SCALE]
                fraction = float(np.count_nonzero(cover[: zone.shape[0], : zone.shape[1]] & zone)) / max(
                    1, int(zone.sum())
                )
            union = (min(b[0] for b in mine), min(b[1] for b in mine), max(b[2] for b in mine), max(b[3] for b in mine))
            out.append(BinsOccupancy(zi, min(1.0, fraction), union))
        return tuple(out)


def _box(b: NDArray[np.float32]) -> Box:
    """One row of an (N, 4) xyxy array as a Box."""
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _holder(g: NDArray[np.float32], people: Sequence[SeenPerson]) -> int | None:
    """The track holding garbage box ``g``, if any: mostly inside the person's box as the model gave it this
    frame (widened by their reach), lifted off the ground and not at their head (a heap on a bin's lid
    behind a person is not in their hands). Of several such people (a group at the bins), the one whose
    body's centre line is nearest the bag, as a share of their width: the first in the list took bags held
    by the person beside them, and that person's deposit was never seen. (The tracker's smoothed box lags
    a walk and keeps its width: a bag held out at arm's length lay beside it, and at 2 fps a carry was seen
    too seldom to be believed.)"""
    area = max(1e-6, float((g[2] - g[0]) * (g[3] - g[1])))
    best, best_d = None, math.inf
    for tid, _, _, p in people:
        width = max(1e-6, float(p[2] - p[0]))
        reach = CARRY_REACH * width
        ix = max(0.0, min(g[2], p[2] + reach) - max(g[0], p[0] - reach))
        iy = max(0.0, min(g[3], p[3]) - max(g[1], p[1]))
        height = float(p[3] - p[1])
        at_hand = g[3] < p[3] - CARRY_LIFT * height and (g[1] + g[3]) / 2 >= p[1] + CARRY_BELOW * height
        if ix * iy / area >= CARRY_OVERLAP and at_hand:
            d = abs(float(g[0] + g[2]) - float(p[0] + p[2])) / 2 / width
            if d < best_d:
                best, best_d = tid, d
    return best
