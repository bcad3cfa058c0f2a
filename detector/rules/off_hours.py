"""Off-hours disposal (非定时投放): a person puts garbage into a bins zone while drop-off is closed.

A deposit is seen as a person standing in a bins zone who was carrying garbage and has let go of
it (not carrying for `release_s`, within `carry_memory_s` of last carrying it). Whether it is an
event depends on the collection point's schedule at the frame's wall-clock time. Deposits in the
same bins zone while an event is open are the same event (dedupe per camera x zone x kind).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from config import Schedule
from detector.rules.events import Event, EventKind, EventState, event_id
from detector.tracks import Box, Place, Tick


@dataclass(frozen=True)
class OffHoursParams:
    release_s: float = 1.0  # not carrying for this long after carrying = let go
    carry_memory_s: float = 4.0  # a carry older than this no longer counts
    close_after_s: float = 30.0  # the event ends once nobody has deposited in the zone for this long


@dataclass
class _Person:
    last_carry_t: float | None = None
    last_carry_box: Box | None = None


@dataclass
class OffHoursRule:
    camera_id: str
    schedule: Schedule | None
    params: OffHoursParams = field(default_factory=OffHoursParams)
    _people: dict[int, _Person] = field(default_factory=dict)
    _open: dict[int, tuple[Event, float]] = field(default_factory=dict)  # bins zone -> (event, last deposit t)

    def update(self, tick: Tick) -> list[Event]:
        out: list[Event] = []
        present = set()
        for p in tick.people:
            present.add(p.track_id)
            st = self._people.setdefault(p.track_id, _Person())
            if p.carried is not None:
                st.last_carry_t, st.last_carry_box = tick.t_s, p.carried
                continue
            if p.place is not Place.BINS or st.last_carry_t is None or st.last_carry_box is None:
                continue
            since = tick.t_s - st.last_carry_t
            if self.params.release_s <= since <= self.params.carry_memory_s:
                out.extend(self._deposit(p.track_id, p.zone_index, st.last_carry_t, st.last_carry_box, tick))
                st.last_carry_t = st.last_carry_box = None
        for tid in [t for t in self._people if t not in present]:
            del self._people[tid]
        for zone, (ev, last) in list(self._open.items()):
            if tick.t_s - last >= self.params.close_after_s:
                del self._open[zone]
                out.append(replace(ev, state=EventState.END, t_s=tick.t_s, wall=tick.wall))
        return out

    def _deposit(self, track_id: int, zone: int, t_deposit: float, box: Box, tick: Tick) -> list[Event]:
        if self.schedule is None or self.schedule.is_open(tick.wall):
            return []
        if zone in self._open:
            ev, _ = self._open[zone]
            self._open[zone] = (ev, tick.t_s)
            return [replace(ev, state=EventState.UPDATE, t_s=tick.t_s, wall=tick.wall, bbox=box, owner_track=track_id)]
        ev = Event(
            event_id=event_id(self.camera_id, EventKind.OFF_HOURS, t_deposit, track_id),
            camera_id=self.camera_id,
            kind=EventKind.OFF_HOURS,
            state=EventState.START,
            t_s=tick.t_s,
            t_start_s=t_deposit,
            wall=tick.wall,
            bbox=box,
            score=1.0,
            zone=f"bins[{zone}]",
            owner_track=track_id,
        )
        self._open[zone] = (ev, tick.t_s)
        return [ev]
