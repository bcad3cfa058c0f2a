"""Overflow (满溢): garbage covers a bins zone above a threshold for `dwell_s`; re-arms once it falls below.

Occupancy is measured by the pipeline from garbage at rest (not garbage someone is carrying), so a
person passing with a bag does not count; the dwell filters what remains of such moments. A dip
below the threshold shorter than `dip_s` (a person standing in front of the heap, the model missing
a bag for a frame) does not restart the dwell: restarted at every dip, a heap that flickered about
the threshold while people came and went was never reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from detector.rules.events import Event, EventKind, EventState
from detector.tracks import Tick


@dataclass(frozen=True)
class OverflowParams:
    threshold: float = 0.25
    dwell_s: float = 10.0
    dip_s: float = 2.0  # below the threshold for longer than this restarts the dwell
    update_every_s: float = 300.0


@dataclass
class _Zone:
    above_since: float | None = None
    below_since: float | None = None
    event: Event | None = None
    last_announced: float = 0.0


@dataclass
class OverflowRule:
    camera_id: str
    params: OverflowParams = field(default_factory=OverflowParams)
    _zones: dict[int, _Zone] = field(default_factory=dict)

    def update(self, tick: Tick) -> list[Event]:
        out: list[Event] = []
        p = self.params
        for occ in tick.bins:
            z = self._zones.setdefault(occ.zone_index, _Zone())
            if occ.fraction >= p.threshold:
                z.below_since = None
                z.above_since = tick.t_s if z.above_since is None else z.above_since
                if z.event is None and tick.t_s - z.above_since >= p.dwell_s and occ.garbage_xyxy is not None:
                    z.event = Event.started(
                        self.camera_id, EventKind.OVERFLOW, tick.t_s, tick.wall, z.above_since, occ.garbage_xyxy,
                        min(1.0, occ.fraction / p.threshold / 2), f"bins[{occ.zone_index}]", key=occ.zone_index,
                    )  # fmt: skip
                    z.last_announced = tick.t_s
                    out.append(z.event)
                elif z.event is not None and tick.t_s - z.last_announced >= p.update_every_s:
                    z.last_announced = tick.t_s
                    out.append(replace(z.event, state=EventState.UPDATE, t_s=tick.t_s, wall=tick.wall))
            else:
                z.below_since = tick.t_s if z.below_since is None else z.below_since
                if tick.t_s - z.below_since > p.dip_s:
                    z.above_since = None
                if z.event is not None and tick.t_s - z.below_since >= p.dwell_s:  # emptied: re-arm
                    out.append(replace(z.event, state=EventState.END, t_s=tick.t_s, wall=tick.wall))
                    z.event = None
        return out
