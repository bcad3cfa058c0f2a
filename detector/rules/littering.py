"""Littering (垃圾落地): garbage comes to rest where dumping is not allowed and its owner leaves.

An object is confirmed when it has rested in a `no_dump` zone for `dwell_s` and the person who brought
it (the person nearest to it when it came to rest where it lies) has been out of its vicinity for
`owner_gone_s`, or no owner was seen. One event per object; an object that disappears before
confirmation (picked up again) yields nothing. A new object overlapping an open event of the same zone
(where its object is, or was seen in the last `TRAIL_S`) is the same littering (deduplicated), not a
second one; so is one overlapping an event of that zone that ended less than `REAPPEAR_S` ago (where its
object was last seen, or where its garbage lay when confirmed: the garbage lost from view, behind or "in
the hands" of a passer-by standing by it, and found again): the event goes on (UPDATE) and nobody is
warned again. (Taken as new, it was put on the passer-by, who then walked off: a second event, and a
shout, for garbage already recorded.) Unless that spot was seen empty for `EMPTY_S` in between (nothing
lying there, nobody in front of it): the garbage was taken away, and what is set down there now is new.

Before that, while someone is still there to hear it, the rule warns (WARNING, 现场喊话): once the object
has rested `warn_after_s` on the ground, out of everyone's hands, with a person in view (or seen in the
last `HEARD_S`: a model misses a walking person for a frame or a second). A warning is not a violation:
it is said once per object, and the event confirmed later for that object keeps the warning's id, so the
shout and the record join up. An object not settled yet (a left object still for less than its
detector's static_s: `GroundObject.settled`) may be warned about unless it has lain where someone's body
was, in the seconds before it appeared or since: wherever it overlaps a person's box, it must reach down
to their feet (a bag set down at someone's feet or in front of them, not the head or chest of a still
person whom the model missed for a second); nor if it stands upright, `UPRIGHT` times taller than wide (a
still person the model has not seen at all); it becomes an event only once settled.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

from detector.rules.events import Event, EventKind, EventState
from detector.tracks import Box, GroundObject, PersonTrack, Place, Tick, foot, iou, moved, overlap_of_smaller

LOST_GRACE_S = 3.0  # an object unseen this long is gone (occlusion by a passer-by is shorter)
VICINITY_HEIGHTS = 1.2  # vicinity radius, in heights of the owner's box (~2 m for an adult)
IN_HANDS_OVERLAP = 0.5  # an object lying this much inside a person's box may still be in their hands
TWIN_IOU = 0.3  # two objects of one zone overlapping this much are one piece of garbage seen twice
LATE_REPORT_MAX_S = 6.0  # a source's own rest time is believed this far back at most (left objects: ~3-4 s)
OWNER_WINDOW_S = 1.0  # a late-reported object's owner: the nearest person within this of when it came to rest
PEOPLE_LOG_S = LATE_REPORT_MAX_S + OWNER_WINDOW_S  # past ticks' people kept for that
WARN_MIN_SIGHTINGS = 3  # a warning needs the object seen this many times (one reported late rests long at once)
TRAIL_S = 10.0  # where an object was seen, kept this long: rest is counted from when it got where it is
ID_RESOLUTION_S = 0.001  # event ids carry the rest time in ms: a later candidate of one object starts later
CLOCK_SLACK_S = 1e-6  # frame times are sums of 1/fps steps: 9.999999 s of rest is 10 s
REAPPEAR_S = 60.0  # an object found where an event of its zone ended this recently is that event's garbage ...
EMPTY_S = 5.0  # ... unless its spot was seen empty this long in between (the garbage was taken away)
FEET_BAND = 0.2  # the bottom of this share of a person's box is their feet (what they set down lies there)
BODY_OVERLAP = 0.3  # an object lying this much inside a person's box is where that person was
UPRIGHT = 1.5  # an object not settled yet and this many times taller than wide may be a still person (see below)
HEARD_S = 2.0  # someone seen this recently is still there to hear a warning (the model misses a walking person
# for a second or two now and then, at dusk and at night most)


@dataclass(frozen=True)
class LitteringParams:
    dwell_s: float = 10.0
    owner_gone_s: float = 5.0
    update_every_s: float = 60.0  # an open event is re-announced (UPDATE) this often while it lasts
    warn_after_s: float | None = 1.0  # warn on the spot after this much rest; None: never warn


@dataclass
class _Candidate:
    obj: GroundObject
    anchor: Box  # where it came to rest
    first_seen: float
    rest_since: float
    last_seen: float
    owner: int | None
    owner_height: float
    owner_away_since: float | None = None
    under_a_body: bool = False  # it has lain inside a person's box above their feet (see the module docstring)
    trail: deque[tuple[float, Box]] = field(default_factory=deque)  # (t, box) of the last TRAIL_S seconds
    event: Event | None = None
    warned: bool = False  # a warning was said for it, or for its twin
    warning_id: str | None = None  # the id of that warning; its event takes it
    last_announced: float = 0.0
    empty_s: float = 0.0  # while unseen: how long its spot has been seen empty (`_spot_seen_empty`)


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _here_since(trail: deque[tuple[float, Box]], box: Box, t: float) -> float:
    """Since when an object now at ``box`` has been there: the start of the latest run of sightings that
    have not moved from it. (Its first sighting may catch it still falling, a box away from where it
    settles; counted from that sighting's box, the settling would look like a move a moment later.)
    """
    since, newer = t, box
    for seen_t, seen in reversed(trail):
        if moved(box, seen) or moved(newer, seen):  # (a box wide enough to cover two places hides no move)
            break
        since, newer = seen_t, seen
    return since


def _lies_at(o: GroundObject, lost: GroundObject, spots: tuple[Box, ...]) -> bool:
    """Whether ``o`` lies where the lost object ``lost`` lay: in its zone, overlapping one of ``spots`` (where
    it, or its event's garbage, was) as much as a twin."""
    return (o.place, o.zone_index) == (lost.place, lost.zone_index) and any(iou(o.xyxy, b) > TWIN_IOU for b in spots)


def _spot_seen_empty(empty_s: float, spots: tuple[Box, ...], obj: GroundObject, tick: Tick, dt: float) -> float:
    """How long the spot of a lost object (``spots``: where it, or its event, was) has been seen empty, after
    ``tick``: something lying there in the object's zone starts the count again; a person's box over it hides it
    and leaves the count as it is; otherwise it was seen empty for ``dt`` more."""
    if any(_lies_at(o, obj, spots) for o in tick.objects):
        return 0.0
    if any(overlap_of_smaller(b, p.xyxy) > 0.0 for b in spots for p in tick.people):
        return empty_s
    return empty_s + dt


def _under_a_body(box: Box, people: tuple[PersonTrack, ...]) -> bool:
    """Whether ``box`` lies inside someone's box, above their feet."""
    return any(
        overlap_of_smaller(box, p.xyxy) >= BODY_OVERLAP and box[3] < p.xyxy[3] - FEET_BAND * (p.xyxy[3] - p.xyxy[1])
        for p in people
    )


def _upright(box: Box) -> bool:
    """Taller than a bag lying on the ground is wide, by UPRIGHT: what stands still that way before it has
    settled is most often a person whom the model does not see (at night, for seconds), their body or legs."""
    return box[3] - box[1] > UPRIGHT * (box[2] - box[0])


def _nearest_person(box: Box, people: tuple[PersonTrack, ...]) -> PersonTrack | None:
    """The person whose feet are nearest the object, if within their vicinity."""
    best, best_d = None, math.inf
    for p in people:
        h = p.xyxy[3] - p.xyxy[1]
        d = _distance(foot(p.xyxy), foot(box))
        if d <= VICINITY_HEIGHTS * h and d < best_d:
            best, best_d = p, d
    return best


@dataclass
class _Ended:
    """An event whose object was lost, kept REAPPEAR_S in case its garbage is found again."""

    when: float
    event: Event
    obj: GroundObject  # its object as last seen
    empty_s: float = 0.0  # how long its spot has been seen empty since (nothing there, nobody in front of it)

    def spots(self) -> tuple[Box, Box]:
        return self.obj.xyxy, self.event.bbox


@dataclass
class LitteringRule:
    camera_id: str
    params: LitteringParams = field(default_factory=LitteringParams)
    _candidates: dict[int, _Candidate] = field(default_factory=dict)
    _people_log: deque[tuple[float, tuple[PersonTrack, ...]]] = field(default_factory=deque)
    _dropped: dict[int, float] = field(default_factory=dict)  # object id -> last seen, of candidates let go
    _ended: list[_Ended] = field(default_factory=list)
    _last_t: float | None = None

    @property
    def pending_since(self) -> float | None:
        """Stream time the oldest unconfirmed candidate was first seen (evidence pre-roll starts before it)."""
        return min((c.first_seen for c in self._candidates.values() if c.event is None), default=None)

    def update(self, tick: Tick) -> list[Event]:
        out: list[Event] = []
        dt = 0.0 if self._last_t is None else tick.t_s - self._last_t
        self._last_t = tick.t_s
        people = {p.track_id: p for p in tick.people}
        seen: set[int] = set()
        self._people_log.append((tick.t_s, tick.people))
        while self._people_log[0][0] < tick.t_s - PEOPLE_LOG_S:
            self._people_log.popleft()
        for obj in tick.objects:
            if obj.place is not Place.NO_DUMP:
                continue
            seen.add(obj.object_id)
            c = self._candidates.get(obj.object_id)
            if c is None:
                c = self._candidates[obj.object_id] = self._new_candidate(obj, tick.t_s)
            elif moved(c.anchor, obj.xyxy):
                c.obj, c.anchor, c.rest_since = obj, obj.xyxy, _here_since(c.trail, obj.xyxy, tick.t_s)
                self._take_owner_at_rest(c, tick.t_s)
            c.obj, c.last_seen, c.empty_s = obj, tick.t_s, 0.0
            if not obj.settled:
                c.under_a_body = c.under_a_body or _under_a_body(obj.xyxy, tick.people)
            c.trail.append((tick.t_s, obj.xyxy))
            while c.trail[0][0] < tick.t_s - TRAIL_S:
                c.trail.popleft()
            self._track_owner(c, people, tick.t_s)
            if c.event is None and self._confirmed(c, tick.t_s):
                out.extend(self._confirm(c, tick))
            elif c.event is None and not c.warned and self._warn_due(c, tick):
                out.extend(self._warn(c, tick))
            elif (
                c.event is not None
                and c.event.object_id == obj.object_id
                and tick.t_s - c.last_announced >= self.params.update_every_s
            ):
                c.last_announced = tick.t_s
                out.append(replace(c.event, state=EventState.UPDATE, t_s=tick.t_s, wall=tick.wall, bbox=obj.xyxy))
        if self._dropped:
            self._dropped = {o: t for o, t in self._dropped.items() if tick.t_s - t <= LATE_REPORT_MAX_S}
        for oid in [o for o in self._candidates if o not in seen]:
            c = self._candidates[oid]
            c.empty_s = _spot_seen_empty(c.empty_s, (c.obj.xyxy,), c.obj, tick, dt)
            if tick.t_s - c.last_seen >= LOST_GRACE_S:
                del self._candidates[oid]
                self._dropped[oid] = c.last_seen
                shared = (
                    any(o.event is not None and o.event.event_id == c.event.event_id for o in self._candidates.values())
                    if c.event
                    else False
                )
                if c.event is not None and not shared:
                    out.append(replace(c.event, state=EventState.END, t_s=tick.t_s, wall=tick.wall))
                    self._ended.append(_Ended(tick.t_s, c.event, c.obj, c.empty_s))
        self._watch_ended_spots(tick, dt)
        return out

    def _watch_ended_spots(self, tick: Tick, dt: float) -> None:
        """Forget ended events after REAPPEAR_S, or once their spot has been seen empty for EMPTY_S in all since
        their object was last seen (`_spot_seen_empty`): garbage that turns up there later is new, set down
        after the old was taken away, not the old found again."""
        for e in self._ended:
            e.empty_s = _spot_seen_empty(e.empty_s, e.spots(), e.obj, tick, dt)
        self._ended = [
            e for e in self._ended if tick.t_s - e.when <= REAPPEAR_S and e.empty_s + CLOCK_SLACK_S < EMPTY_S
        ]

    def _ended_here(self, c: _Candidate) -> Event | None:
        """An event of this zone that ended recently where this candidate lies (where its object was last seen,
        or where the garbage lay when it was confirmed): its garbage, found again. (Only the last-seen box: an
        object's id that went off with a passer-by's legs, or whose last box a passer-by pushed aside, ended
        its event somewhere else, and the garbage still lying where it was became a second event.)"""
        return next((e.event for e in reversed(self._ended) if _lies_at(c.obj, e.obj, e.spots())), None)

    def _new_candidate(self, obj: GroundObject, t: float) -> _Candidate:
        """A new object: at rest since now, or since when its source says (the left-object detector reports
        one seconds after it landed); its owner is the person nearest to it then, and whether they have
        gone since is replayed from the people seen in between."""
        since = t if obj.at_rest_since is None else min(t, max(obj.at_rest_since, t - LATE_REPORT_MAX_S))
        if obj.object_id in self._dropped:  # the same object let go and back: a new candidate, not the old rest
            since = max(since, min(t, self._dropped.pop(obj.object_id) + ID_RESOLUTION_S))
        c = _Candidate(
            obj=obj, anchor=obj.xyxy, first_seen=since, rest_since=since, last_seen=t, owner=None, owner_height=0.0,
            under_a_body=not obj.settled and any(_under_a_body(obj.xyxy, ppl) for _, ppl in self._people_log),
        )  # fmt: skip
        self._take_owner_at_rest(c, t)
        return c

    def _take_owner_at_rest(self, c: _Candidate, t: float) -> None:
        """The person nearest to the object when it came to rest where it is (`rest_since`, within
        OWNER_WINDOW_S of it when that is in the past) becomes its owner, and whether they have gone since is
        replayed from the people seen in between. Nobody near then: the owner stays whoever it was. (An object
        first seen while still carried in, before its carrier was, had no owner, and the person who set it
        down, stayed beside it and took it away again was not waited for: a littering event on a pickup.)"""
        window = OWNER_WINDOW_S if c.rest_since < t else 0.0
        near_then = sorted(
            ((abs(lt - c.rest_since), lt, ppl) for lt, ppl in self._people_log if abs(lt - c.rest_since) <= window),
            key=lambda e: (e[0], e[1]),
        )
        owner = next((o for _, _, ppl in near_then if (o := _nearest_person(c.obj.xyxy, ppl)) is not None), None)
        if owner is None:
            return
        c.owner, c.owner_height, c.owner_away_since = owner.track_id, owner.xyxy[3] - owner.xyxy[1], None
        for lt, ppl in self._people_log:
            if c.rest_since <= lt < t:
                self._track_owner(c, {p.track_id: p for p in ppl}, lt)

    def _track_owner(self, c: _Candidate, people: dict[int, PersonTrack], t: float) -> None:
        if c.owner is None:
            return
        p = people.get(c.owner)
        near = p is not None and _distance(foot(p.xyxy), foot(c.obj.xyxy)) <= VICINITY_HEIGHTS * c.owner_height
        if near:
            c.owner_away_since = None
        elif c.owner_away_since is None:
            c.owner_away_since = t

    def _confirmed(self, c: _Candidate, t: float) -> bool:
        if not c.obj.settled or t - c.rest_since + CLOCK_SLACK_S < self.params.dwell_s:
            return False
        if c.owner is None:
            return True
        return c.owner_away_since is not None and t - c.owner_away_since + CLOCK_SLACK_S >= self.params.owner_gone_s

    def _warn_due(self, c: _Candidate, tick: Tick) -> bool:
        """Rested long enough, seen more than in passing, someone in view to hear it (or seen a moment ago),
        nobody's box still holds it, and, not settled yet, not where someone's body was (see the module docstring)."""
        after = self.params.warn_after_s
        return (
            after is not None
            and (c.obj.settled or not (c.under_a_body or _upright(c.obj.xyxy)))
            and tick.t_s - c.rest_since + CLOCK_SLACK_S >= after
            and len(c.trail) >= WARN_MIN_SIGHTINGS  # (gaps under LOST_GRACE_S: the last few all lie in the trail)
            and self._someone_there(tick.t_s)
            and all(overlap_of_smaller(c.obj.xyxy, p.xyxy) < IN_HANDS_OVERLAP for p in tick.people)
        )

    def _someone_there(self, t: float) -> bool:
        """Whether anyone was seen in the last HEARD_S (the ticks of the people log)."""
        return any(people and t - lt <= HEARD_S for lt, people in self._people_log)

    def _twins(self, c: _Candidate) -> list[_Candidate]:
        """Other candidates of the same zone overlapping this one, now or as seen in their trail: the same garbage
        seen twice. (A heap the model boxes now whole, now as its right part, and later also as its left part under
        a new id: the left part overlapped only the whole-heap boxes of the trail, and became a second event.)"""
        return [
            o
            for o in self._candidates.values()
            if o is not c
            and (o.obj.place, o.obj.zone_index) == (c.obj.place, c.obj.zone_index)
            and any(iou(box, c.obj.xyxy) > TWIN_IOU for box in (o.obj.xyxy, *(b for _, b in o.trail)))
        ]

    def _started(self, c: _Candidate, tick: Tick) -> Event:
        zone = f"{c.obj.place.value}[{c.obj.zone_index}]"
        ev = Event.started(
            self.camera_id, EventKind.LITTERING, tick.t_s, tick.wall, c.rest_since, c.obj.xyxy, c.obj.score, zone,
            owner_track=c.owner, object_id=c.obj.object_id,
        )  # fmt: skip
        return ev if c.warning_id is None else replace(ev, event_id=c.warning_id)

    def _warn(self, c: _Candidate, tick: Tick) -> list[Event]:
        c.warned = True
        if self._ended_here(c) is not None:  # recorded already: nobody here now left it
            return []
        twins = self._twins(c)
        if any(o.warned or o.event is not None for o in twins):  # said already, or an event already
            c.warning_id = next((o.warning_id for o in twins if o.event is None and o.warning_id), None)
            return []
        ev = replace(self._started(c, tick), state=EventState.WARNING)
        c.warning_id = ev.event_id
        return [ev]

    def _confirm(self, c: _Candidate, tick: Tick) -> list[Event]:
        twins = self._twins(c)
        for other in twins:  # dedupe: the same zone, overlapping an open event
            if other.event is not None:
                c.event = other.event
                return []
        again = self._ended_here(c)
        if again is not None:  # found again where its event ended: that event goes on
            self._ended = [e for e in self._ended if e.event.event_id != again.event_id]
            c.event, c.last_announced = again, tick.t_s
            return [replace(again, state=EventState.UPDATE, t_s=tick.t_s, wall=tick.wall, bbox=c.obj.xyxy)]
        if c.warning_id is None:  # its twin was warned about: the event takes that warning's id
            c.warning_id = next((o.warning_id for o in twins if o.warning_id), None)
        ev = self._started(c, tick)
        c.event, c.last_announced = ev, tick.t_s
        return [ev]
