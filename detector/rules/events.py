"""Mis-disposal events and their lifecycle (START, UPDATE, END)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from detector.tracks import Box


class EventKind(StrEnum):
    LITTERING = "littering"  # 垃圾落地 / 乱扔
    OFF_HOURS = "off_hours"  # 非定时投放
    OVERFLOW = "overflow"  # 满溢


class EventState(StrEnum):
    WARNING = "warning"  # on-the-spot warning while the person is still there; not (yet) a violation
    START = "start"
    UPDATE = "update"
    END = "end"


@dataclass(frozen=True)
class Event:
    event_id: str  # stable across START/UPDATE/END
    camera_id: str
    kind: EventKind
    state: EventState
    t_s: float  # stream seconds of this lifecycle step (START: confirmation, WARNING: the warning)
    t_start_s: float  # when the garbage came to rest or was deposited
    wall: dt.datetime  # wall-clock time of this step
    bbox: Box
    score: float
    zone: str  # e.g. "no_dump[0]", "bins[1]"
    owner_track: int | None = None
    object_id: int | None = None

    @classmethod
    def started(
        cls, camera_id: str, kind: EventKind, t_s: float, wall: dt.datetime, t_start_s: float, bbox: Box,
        score: float, zone: str, owner_track: int | None = None, object_id: int | None = None, key: int | None = None,
    ) -> Event:  # fmt: skip
        """A new event at confirmation; ``key`` (default: the object) makes its id unique within the camera."""
        return cls(
            event_id(camera_id, kind, t_start_s, key if key is not None else object_id), camera_id, kind,
            EventState.START, t_s, t_start_s, wall, bbox, score, zone, owner_track, object_id,
        )  # fmt: skip


def event_id(camera_id: str, kind: EventKind, t_start_s: float, object_id: int | None) -> str:
    """Stable, filesystem-safe id: camera, kind, start time in ms and the object."""
    return f"{camera_id}-{kind.value}-{round(t_start_s * 1000):09d}-{object_id if object_id is not None else 0}"
