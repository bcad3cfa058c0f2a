"""Off-hours disposal (非定时投放): a person puts garbage into a bins zone while drop-off is closed.

A deposit is seen as a person who carried garbage into a bins zone (still carrying it there, or let go at most
`release_s` before stepping in: if the tracker lost them on the way, at most STILL_GAP_S before they were
first seen in it), is seen empty-handed there after standing in the zone for `stand_s`, standing still there
for `still_s` of it (or, boxed "carrying" until their last frame there, as they step out of it), and stays
empty-handed for `release_s` (at the bins or walking off), within `carry_memory_s` of the last carry. Someone
who only crosses the zone with a bag does not stand there (walking along a row of bins with a bag the model
lost for a second, to set it down beyond them, made a deposit nobody had made). A bag in hand is believed once
seen in `carry_sightings` frames within `carry_window_s` (after a let-go, only as held in every frame for
`held_again_s`, as below); a "bag in hand" seen where the person's bag just went is that bag lying there, not
a bag in hand. A person makes one deposit per stay in the bins zone: a "bag" seen at their hand after their
deposit there, before they leave the zone, is not carried in (a false box at the hand of someone walking along
the bins after setting their bag down beside them made a second, false deposit, placed where that box was,
that nothing cancelled). A deposit becomes an event only if, within `confirm_s`, the person is not seen
holding a bag again (in every frame for `held_again_s`, away from where theirs went, beginning within
`regrip_s` of their last carry: the model had lost the bag for a moment, nothing went in; a bag in hand seen
later is another one, most often in the hands of a newcomer to whom the tracker passed the depositor's id as
the two crossed) and no new object stayed on the ground near the person in a `no_dump` area (seen in
`ground_sightings` frames over `ground_span_s`): a bag set down there is littering, not a deposit; a false
detection that comes and goes at the person's feet is neither. Something that appears inside the bins zone (a
bag left against a bin, a lid left open) does not cancel it: leaving garbage at the bins outside the window is
off-hours disposal too. Whether it is an event depends on the collection point's schedule at the frame's
wall-clock time. Each deposit is an event of its own, as each is an act an officer may act on: four people of
a group dropping bags within seconds are four events (deduped per zone, they made one, with the first one's
box and track), and so are two deposits under one track id, as one person makes one deposit per stay in the
bins zone. (Deduped per track id, a deposit by a newcomer to whom the tracker passed the id of someone who had
deposited at the same bins a little earlier, as one left the frame where the other came in or as they crossed,
only updated the first one's event: the second offender had no event.)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace

from config import Schedule
from detector.rules.events import Event, EventKind, EventState
from detector.rules.littering import VICINITY_HEIGHTS
from detector.tracks import Box, PersonTrack, Place, Tick, foot, moved

STILL_HEIGHTS_PER_S = 0.3  # a person whose feet move slower than this many of their heights a second stands
# (about 0.5 m/s: slower than anyone walks, even with a bag, and faster than a standing person's box jitters)
STILL_GAP_S = 1.0  # of a longer gap between two sightings of a still person, only this much counts as standing
# (and of a gap between the last sighting outside the bins zone and the first inside, only this much before
# the first inside may be when they stepped in)


@dataclass(frozen=True)
class OffHoursParams:
    release_s: float = 1.0  # not carrying for this long after carrying = let go
    carry_memory_s: float = 4.0  # a carry older than this no longer counts
    close_after_s: float = 30.0  # an event ends this long after it started (each deposit is an event)
    stand_s: float = 0.8  # in the bins zone at least this long ...
    still_s: float = 0.4  # ... standing still for this long of it, in all (crossing the zone is no deposit)
    confirm_s: float = 6.0  # wait this long for a bag appearing on the ground instead
    carry_sightings: int = 2  # a bag in hand is believed once seen in this many frames ...
    carry_window_s: float = 1.5  # ... within this long (one frame alone is a passing false detection)
    ground_sightings: int = 3  # a bag on the ground near the person cancels the deposit once seen this often ...
    ground_span_s: float = 1.0  # ... over at least this long (a false detection for a frame or two does not)
    held_again_s: float = 1.0  # a deposit is undone by the person seen holding a bag in every frame for this long ...
    regrip_s: float = 3.0  # ... from within this long of their last carry (a bag in hand seen later is another one)


@dataclass(frozen=True)
class _Seen:
    """A ground object's id over time: when it was first and last seen, and where last."""

    first: float
    last: float
    box: Box


@dataclass(frozen=True)
class _LetGo:
    zone: int
    box: Box  # where the bag went: as held at the bin, or the person there
    person: Box  # the person at the bins when first seen empty-handed


@dataclass
class _Person:
    last_carry_t: float | None = None
    in_zone_since: float | None = None
    stepped_in_from: float | None = None  # the earliest they may have stepped into the bins zone (see STILL_GAP_S)
    still_s: float = 0.0  # how long they have stood still in the bins zone, in all, this stay
    carry_seen: list[float] = field(default_factory=list)  # frames with a bag in hand, the last carry_window_s
    at_bin_box: Box | None = None  # the bag in hand once the person has stood stand_s in the bins zone
    let_go: _LetGo | None = None  # seen empty-handed at the bins after carrying: a deposit once release_s passes
    held_since: float | None = None  # since a let-go: holding a bag again in every frame since
    deposited: bool = False  # a deposit of theirs was seen in this stay in the bins zone
    zone: int = 0  # the bins zone they are in, or were in last
    stepped_out: tuple[float, _LetGo] | None = None  # when they stepped out of it with a bag held there, and where
    last_box: Box | None = None  # where they were in the last frame they were seen in ...
    last_seen_s: float = 0.0  # ... and when


@dataclass
class _Pending:
    track_id: int
    zone: int
    t_carry: float  # last seen carrying
    t_seen: float  # when the deposit was seen
    box: Box
    person: Box
    put_down: dict[int, tuple[float, float, int]] = field(default_factory=dict)  # object -> first, last, frames
    others: dict[int, bool] = field(default_factory=dict)  # object -> someone else was nearer to it when first seen
    held_since: float | None = None  # the person has held a bag, away from where this one went, in every frame since


@dataclass
class OffHoursRule:
    camera_id: str
    schedule: Schedule | None
    params: OffHoursParams = field(default_factory=OffHoursParams)
    _people: dict[int, _Person] = field(default_factory=dict)
    _open: list[Event] = field(default_factory=list)  # started, not ended yet
    _pending: list[_Pending] = field(default_factory=list)
    _objects_seen: dict[int, _Seen] = field(default_factory=dict)

    def update(self, tick: Tick) -> list[Event]:
        out: list[Event] = []
        for p in tick.people:
            st = self._people.setdefault(p.track_id, _Person())
            gap_s = tick.t_s - st.last_seen_s
            still = _still(st.last_box, p.xyxy, gap_s)
            if (
                p.place is not Place.BINS
                and st.at_bin_box
                and st.last_box
                and not st.deposited
                and self._stood(st, tick.t_s)
            ):
                # Stepping out of the bins zone after standing there with a bag: if they are seen empty-handed
                # within release_s, this is where the bag left their hand (see the let-go below).
                st.stepped_out = (tick.t_s, _LetGo(st.zone, st.at_bin_box, st.last_box))
            st.last_seen_s, st.last_box = tick.t_s, p.xyxy
            if p.place is not Place.BINS:
                st.in_zone_since = st.stepped_in_from = st.at_bin_box = None
                st.deposited, st.still_s = False, 0.0
            else:
                st.zone, st.stepped_out = p.zone_index, None
                if st.in_zone_since is None:
                    # Unseen since their last sighting outside the zone, they may have stepped in at any moment of
                    # that gap (up to STILL_GAP_S of it): at 2 fps, a person the tracker lost for a second as they
                    # reached up to a full bin's heap was last seen with the bag outside the zone and next seen
                    # empty-handed inside it, 1.5 s later, and their deposit was not believed.
                    st.in_zone_since, st.stepped_in_from = tick.t_s, tick.t_s - min(gap_s, STILL_GAP_S)
                elif still:
                    st.still_s += min(gap_s, STILL_GAP_S)
            for d in [d for d in self._pending if d.track_id == p.track_id]:
                holding = p.carried is not None and moved(d.box, p.carried)
                if holding and d.held_since is None and tick.t_s - d.t_carry > self.params.regrip_s:
                    # Too late for the bag the model lost at the bins: another bag, in the hands of a newcomer who
                    # got the depositor's track id as the two crossed (two crowd clips lost a deposit so).
                    holding = False
                d.held_since = (tick.t_s if d.held_since is None else d.held_since) if holding else None
                if d.held_since is not None and tick.t_s - d.held_since >= self.params.held_again_s:
                    # The bag is still in hand: the model lost it for a second at the bins (a person carrying it
                    # through the zone, the bag boxed as lying on the bin behind them), nothing went in.
                    self._pending.remove(d)
            if p.carried is not None:
                if st.let_go is not None and not moved(st.let_go.box, p.carried):
                    # The bag just let go of, lying where it went (on a full bin's heap, at hand height, the
                    # person still in front of it): not a bag in hand. (Taken as one, it cancelled the deposit
                    # of most people who put their bag on a heap and walked off.)
                    continue
                # A bag in hand is believed once seen in a few frames close together, not necessarily in a
                # row: in a crowd, at night or at 2 fps the model loses a held bag for a frame now and then
                # (a run that restarted at every miss, or had to last 0.4 s, missed most deposits at 6 fps).
                st.carry_seen = [t for t in st.carry_seen if tick.t_s - t <= self.params.carry_window_s]
                st.carry_seen.append(tick.t_s)
                # After a let-go, a bag in hand is believed only as a pending deposit is undone: held in every
                # frame for held_again_s. A false box at the hand of someone walking off in the second after
                # letting go (two frames at 5 fps on a generated clip) undid the let-go, and the deposit with it.
                if st.let_go is not None:
                    st.held_since = tick.t_s if st.held_since is None else st.held_since
                    if tick.t_s - st.held_since < self.params.held_again_s:
                        continue
                if len(st.carry_seen) >= self.params.carry_sightings:
                    st.last_carry_t, st.let_go, st.held_since = tick.t_s, None, None
                    # Where the bag is held at the bin: as the person stands there (the last such box), not as
                    # they walk up to it or away with a false box at the hand (the first box once they had been
                    # in the zone for stand_s was often metres short of the bin, and its event missed it).
                    if self._stood(st, tick.t_s) and (st.at_bin_box is None or still):
                        st.at_bin_box = p.carried
                continue
            st.held_since = None
            if st.last_carry_t is None:
                continue
            since = tick.t_s - st.last_carry_t
            if st.let_go is None and not st.deposited:
                st.let_go = self._let_go(st, p, st.last_carry_t, tick.t_s)
                if st.let_go is not None:
                    # A bag in hand after this is a new one, believed on sightings of its own: those of the bag
                    # just let go (some while it lay on the heap in front of the person) plus one false box a
                    # moment later made a "carry" that undid the deposit of people who then walked off.
                    st.carry_seen = []
            # Empty-handed for release_s since: a deposit, whether or not they are still at the bins (most
            # people drop the bag and walk off at once; one who had to stay in the zone a second after
            # letting go was missed whenever they left sooner).
            if st.let_go is not None and self.params.release_s <= since <= self.params.carry_memory_s:
                g = st.let_go
                self._pending.append(_Pending(p.track_id, g.zone, st.last_carry_t, tick.t_s, g.box, g.person))
                st.last_carry_t = st.at_bin_box = st.let_go = st.stepped_out = None
                st.deposited = p.place is Place.BINS
        objects = [o for o in tick.objects if o.settled]  # (one not settled yet may be a still person's part)
        for o in objects:
            seen = self._objects_seen.get(o.object_id)
            self._objects_seen[o.object_id] = _Seen(tick.t_s if seen is None else seen.first, tick.t_s, o.xyxy)
        for d in list(self._pending):
            for o in objects:
                if o.place is not Place.NO_DUMP:
                    continue
                # Someone else standing nearer to it than the depositor stood when they let go, as it is first
                # seen, set it down (a person who littered where the depositor had stood, after they walked off,
                # cancelled the deposit of a crowd clip; judged frame by frame, it counted as the depositor's once
                # the litterer had walked off too).
                if d.others.setdefault(o.object_id, _someone_else_nearer(d, o.xyxy, tick.people)):
                    continue
                if self._put_down_near(d, o.xyxy, o.object_id):
                    first, _, n = d.put_down.get(o.object_id, (tick.t_s, tick.t_s, 0))
                    d.put_down[o.object_id] = (first, tick.t_s, n + 1)
            if any(
                n >= self.params.ground_sightings and last - first >= self.params.ground_span_s
                for first, last, n in d.put_down.values()
            ):
                self._pending.remove(d)  # it went to the ground where dumping is not allowed: littering, not a deposit
            elif tick.t_s - d.t_seen >= self.params.confirm_s:
                self._pending.remove(d)
                out.extend(self._deposit(d.track_id, d.zone, d.t_carry, d.box, tick))
        # A person the tracker missed for a moment (a frame in a crowd) is still the one who carried the bag
        # in: what is known of them is kept as long as a carry is remembered. (Forgotten at once, a person
        # lost for one frame at the bins came back as someone who had carried nothing: the deposit was lost.)
        for tid in [t for t, st in self._people.items() if tick.t_s - st.last_seen_s > self.params.carry_memory_s]:
            del self._people[tid]
        # An object unseen for longer than a pending deposit can wait is gone for good (the object tracker gives a
        # new id to whatever comes back much sooner); kept for ever, the ids of a camera running 24/7 piled up.
        horizon = self.params.carry_memory_s + self.params.confirm_s
        for oid in [o for o, seen in self._objects_seen.items() if tick.t_s - seen.last > horizon]:
            del self._objects_seen[oid]
        for ev in [e for e in self._open if tick.t_s - e.t_s >= self.params.close_after_s]:
            self._open.remove(ev)
            out.append(replace(ev, state=EventState.END, t_s=tick.t_s, wall=tick.wall))
        return out

    def _let_go(self, st: _Person, p: PersonTrack, last_carry_t: float, t: float) -> _LetGo | None:
        """Whether ``p``, who carried a bag until ``last_carry_t`` and is empty-handed at ``t``, let go of it at the
        bins, and where."""
        # The bag must leave the hand at the bins, where the person has stood a moment: someone who set it down
        # elsewhere and only then crossed the zone (a bag left beside the bins) deposited nothing.
        if (
            st.stepped_in_from is not None
            and self._stood(st, t)
            and st.stepped_in_from <= last_carry_t + self.params.release_s
        ):
            # Where the deposit happened: the bag as it was held at the bin, not wherever the hand (or a false
            # detection beside it) was last seen on the way out; if the bag was never seen at the bin (lost by the
            # model there), the person standing at the bin, not the bag as last seen on the way in, metres away.
            return _LetGo(p.zone_index, st.at_bin_box or p.xyxy, p.xyxy)
        # "A bag in hand" until their last frame at the bins and none within release_s of stepping out (as a bag
        # let go of up to release_s before stepping in counts): the box at their hand was the bag lying on the heap
        # in front of them, or the bin's own front at night, and the bag left their hand at the bins. (Required to
        # be seen empty-handed inside the zone, two night clips' people, boxed "carrying" the bin front until they
        # stepped out or a frame after, deposited nothing.) One carrying a bag through whom the model loses after
        # stepping out is seen holding it again, which undoes the deposit.
        if st.stepped_out is not None and t - st.stepped_out[0] <= self.params.release_s:
            return st.stepped_out[1]
        return None

    def _stood(self, st: _Person, t: float) -> bool:
        """Whether the person has been in the bins zone for stand_s by ``t``, standing still for still_s of it."""
        return (
            st.in_zone_since is not None
            and t - st.in_zone_since >= self.params.stand_s
            and st.still_s >= self.params.still_s
        )

    def _put_down_near(self, d: _Pending, box: Box, object_id: int) -> bool:
        """Whether ground object ``box`` is a bag the depositor of ``d`` put down near where they let go, instead of
        into the bin."""
        before = d.t_carry - 1.0
        if self._objects_seen[object_id].first < before:
            return False  # it was there before this person let go
        if any(s.first < before and not moved(s.box, box) for s in self._objects_seen.values()):
            # Something that lay there before under another id: the object tracker renamed it (a bag littered
            # earlier, its id flipping between two as people passed it, cancelled a deposit beside it as "put down").
            return False
        (px, py), (ox, oy) = foot(d.person), foot(box)
        return math.hypot(px - ox, py - oy) <= VICINITY_HEIGHTS * (d.person[3] - d.person[1])

    def _deposit(self, track_id: int, zone: int, t_deposit: float, box: Box, tick: Tick) -> list[Event]:
        deposited_at = tick.wall - dt.timedelta(seconds=tick.t_s - t_deposit)
        if self.schedule is None or self.schedule.is_open(deposited_at):
            return []
        ev = Event.started(
            self.camera_id, EventKind.OFF_HOURS, tick.t_s, tick.wall, t_deposit, box, 1.0, f"bins[{zone}]",
            owner_track=track_id, key=track_id,
        )  # fmt: skip
        self._open.append(ev)
        return [ev]


def _someone_else_nearer(d: _Pending, box: Box, people: tuple[PersonTrack, ...]) -> bool:
    """Whether a person other than the depositor of ``d`` stands nearer to ``box`` than the depositor stood at the
    let-go."""
    (px, py), (ox, oy) = foot(d.person), foot(box)
    reach = math.hypot(px - ox, py - oy)
    return any(math.dist(foot(p.xyxy), (ox, oy)) < reach for p in people if p.track_id != d.track_id)


def _still(before: Box | None, now: Box, dt_s: float) -> bool:
    """Whether a person seen at ``before`` and, ``dt_s`` later, at ``now`` is standing (not walking)."""
    if before is None or dt_s <= 0:
        return False
    (bx, by), (nx, ny) = foot(before), foot(now)
    return math.hypot(nx - bx, ny - by) <= STILL_HEIGHTS_PER_S * (now[3] - now[1]) * dt_s
