"""What the rules see each analysed frame: tracked people and resting ground objects, in pixels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in source-frame pixels


def foot(b: Box) -> tuple[float, float]:
    """Bottom-centre: where a person stands or an object touches the ground."""
    return (b[0] + b[2]) / 2, b[3]


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def overlap_of_smaller(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area: 1.0 when one box lies wholly inside the other."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / smaller if smaller > 0 else 0.0


def centre_inside(a: Box, b: Box) -> bool:
    """Whether the centre of ``a`` lies within ``b``."""
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


MOVED_OVERLAP = 0.5  # below this overlap (of the smaller box) with where it came to rest, an object has moved


def moved(anchor: Box, now: Box) -> bool:
    """Whether an object now at ``now`` has left where it came to rest (``anchor``).

    Its box is allowed to change shape (a left-object candidate grows as more of it stays still, a
    passer-by hides part of it): it has moved only when its centre has left the resting box, or the
    two hardly overlap any more.
    """
    return not centre_inside(now, anchor) or overlap_of_smaller(anchor, now) < MOVED_OVERLAP


class Place(StrEnum):
    """Which zone an object's foot point lies in."""

    NO_DUMP = "no_dump"
    BINS = "bins"
    ELSEWHERE = "elsewhere"  # neither (an explicit no_dump list that does not cover it)
    IGNORED = "ignored"


@dataclass(frozen=True)
class PersonTrack:
    track_id: int
    xyxy: Box
    confidence: float
    place: Place = Place.NO_DUMP  # where the person's feet are
    zone_index: int = 0
    carried: Box | None = None  # garbage held by the person this frame (overlapping at hand height)


@dataclass(frozen=True)
class GroundObject:
    """A piece of garbage (or a new static object) at rest, with an id stable across frames."""

    object_id: int
    xyxy: Box
    score: float
    place: Place
    zone_index: int = 0  # which polygon of that place
    at_rest_since: float | None = None  # stream time a source says it came to rest, if it reported it late
    settled: bool = True  # False: a left object still for less than its static_s (warnings only, no events yet)


@dataclass(frozen=True)
class BinsOccupancy:
    """How much of a bins zone is covered by garbage at rest this frame."""

    zone_index: int
    fraction: float  # 0..1 of the zone's area
    garbage_xyxy: Box | None  # union box of that garbage


@dataclass(frozen=True)
class Tick:
    """One analysed frame's worth of input to the rules."""

    t_s: float  # stream seconds
    wall: dt.datetime  # aware wall-clock time of the frame
    people: tuple[PersonTrack, ...]
    objects: tuple[GroundObject, ...]
    bins: tuple[BinsOccupancy, ...] = ()
