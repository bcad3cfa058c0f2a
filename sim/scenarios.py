"""Scenario scripts: who walks where, carrying what, and what they do with it.

A script is built from the seed's random stream and the layout. It records *intents* (this
person litters this bag, deposits into that bin, the bins overflow); ``sim.truth`` turns intents
plus the clock and schedule into ground-truth events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from sim.actors import (
    Falls,
    Garbage,
    GarbageStyle,
    Held,
    IntoBin,
    PathBuilder,
    Person,
    PersonLook,
    Phase,
    Rests,
    draw_garbage_look,
    draw_person_look,
)
from sim.layout import Bin, Layout


class NoSpotError(RuntimeError):
    """The layout has no open ground left for another object."""


class Scenario(StrEnum):
    PROPER = "proper"
    LITTERING = "littering"
    BESIDE_BIN = "beside_bin"
    PICKUP = "pickup"
    PASSERBY = "passerby"
    OFF_HOURS = "off_hours"
    OVERFLOW = "overflow"
    NIGHT_LITTERING = "night_littering"
    CROWD = "crowd"
    MIXED = "mixed"


MIN_DURATION_S: dict[Scenario, float] = {s: 40.0 for s in Scenario} | {Scenario.MIXED: 150.0}
DEFAULT_DURATION_S: dict[Scenario, float] = {s: 60.0 for s in Scenario} | {Scenario.MIXED: 300.0}
MIXED_PARTS = (Scenario.PROPER, Scenario.LITTERING, Scenario.BESIDE_BIN, Scenario.PICKUP, Scenario.PASSERBY)


@dataclass(frozen=True)
class Intent:
    """What an actor meant to do; truth decides which of these are events."""

    what: str  # "litter" | "deposit" (into a bin, or onto a full bin's heap) | "overflow"
    actor: str | None
    garbage_ids: tuple[str, ...]
    bin_index: int | None = None


@dataclass(frozen=True)
class LidOpen:
    bin_index: int
    t0: float
    t1: float


@dataclass
class Script:
    people: list[Person] = field(default_factory=list)
    garbage: list[Garbage] = field(default_factory=list)
    lids: list[LidOpen] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)


@dataclass
class _Builder:
    """Mutable helper that places actors on a layout without collisions between drop spots."""

    rng: np.random.Generator
    layout: Layout
    script: Script = field(default_factory=Script)
    used_spots: list[tuple[float, float]] = field(default_factory=list)

    # --- geometry -------------------------------------------------------------------------
    def walk_depth_range(self) -> tuple[float, float]:
        near = self.layout.near_z_m + 0.5
        far = self.layout.bins_front_z - self.layout.apron_m - 0.4
        return near, max(near + 0.5, far)

    def offscreen_x(self, z: float, side: int) -> float:
        return side * (self.layout.camera.half_width_m(z) + 0.9)

    def free_spot(self) -> tuple[float, float]:
        """A spot on open ground, clear of the bins' apron and of earlier drop spots."""
        near, far = self.walk_depth_range()
        for gap in (1.6, 1.2, 0.9):
            for _ in range(150):
                z = float(self.rng.uniform(near + 0.3, far))
                x = float(self.rng.uniform(-0.75, 0.75)) * self.layout.camera.half_width_m(z)
                if self.layout.zone_clearance_px(x, z) < 0.6 * self.layout.camera.px_per_m(z):
                    continue
                if all(np.hypot(x - ux, z - uz) > gap for ux, uz in self.used_spots):
                    self.used_spots.append((x, z))
                    return x, z
        raise NoSpotError("no free ground left for another drop spot in this layout")

    def beside_bin_spot(self, look_w: float) -> tuple[float, float]:
        """On the ground just outside the bins zone, at either end of the row or in front of it."""
        x0, x1 = self.layout.bins_x_range
        z = self.layout.bins_front_z + 0.1
        half = self.layout.camera.half_width_m(z)
        sides = [1, -1] if self.rng.random() < 0.5 else [-1, 1]
        extra = float(self.rng.uniform(0.1, 0.4))
        for side in sides:
            x = (x1 if side > 0 else x0) + side * (self.layout.margin_m + look_w / 2 + extra)
            while abs(x) < half * 0.85:
                if self._clear(x, z, look_w):
                    self.used_spots.append((x, z))
                    return x, z
                x += side * 0.1
        # The row spans the frame: leave it on the ground in front of the apron instead.
        near, _ = self.walk_depth_range()
        for _ in range(50):
            x = float(self.rng.uniform(x0, x1))
            z = self.layout.bins_front_z - self.layout.apron_m - look_w
            while z > near and not self._clear(x, z, look_w):
                z -= 0.1
            if z > near:
                self.used_spots.append((x, z))
                return x, z
        raise NoSpotError("no free ground left beside the bins in this layout")

    def _clear(self, x: float, z: float, look_w: float) -> bool:
        """Outside the bins zone by half the object's width, and away from earlier drop spots."""
        outside = self.layout.zone_clearance_px(x, z) > 0.5 * look_w * self.layout.camera.px_per_m(z)
        return outside and all(np.hypot(x - ux, z - uz) > 0.9 for ux, uz in self.used_spots)

    # --- actors ---------------------------------------------------------------------------
    def next_person(self) -> tuple[str, PersonLook]:
        return f"p{len(self.script.people) + 1}", draw_person_look(self.rng)

    def enter(self, t_enter: float, z: float, side: int) -> PathBuilder:
        """Start a walk off-screen on ``side`` (-1 left, +1 right) at depth ``z``."""
        return PathBuilder(t=t_enter, x=self.offscreen_x(z, side), z=z, speed_mps=float(self.rng.uniform(0.9, 1.5)))

    def add_person(self, pid: str, look: PersonLook, pb: PathBuilder) -> None:
        self.script.people.append(Person(id=pid, look=look, path=pb.build()))

    def new_garbage(
        self, phases: list[Phase], style: GarbageStyle = GarbageStyle.BAG, t_appear: float = 0.0
    ) -> Garbage:
        g = Garbage(
            id=f"g{len(self.script.garbage) + 1}",
            look=draw_garbage_look(self.rng, style),
            phases=tuple(phases),
            t_appear=t_appear,
        )
        self.script.garbage.append(g)
        return g

    @staticmethod
    def hand_offset(look: PersonLook) -> float:
        return float(look.carry_side * (look.shoulder_m / 2 + 0.08))

    # --- behaviours -------------------------------------------------------------------------
    def litter(self, t0: float, spot: tuple[float, float] | None = None, beside_bin: bool = False) -> float:
        """A person brings a bag, leaves it on the ground, walks off. Returns the exit time."""
        side = 1 if self.rng.random() < 0.5 else -1
        near, far = self.walk_depth_range()
        pid, look = self.next_person()
        glook = draw_garbage_look(self.rng, GarbageStyle.PILE if self.rng.random() < 0.15 else GarbageStyle.BAG)
        if spot is None:
            spot = self.beside_bin_spot(glook.width_m) if beside_bin else self.free_spot()
        sx, sz = spot
        stand_x, stand_z = sx - self.hand_offset(look), sz + 0.02
        pb = self.enter(t0, float(np.clip(stand_z, near, far)), -side)
        pb.walk_to(stand_x, stand_z)
        t_drop = pb.wait(float(self.rng.uniform(0.4, 1.5)))
        pb.wait(float(self.rng.uniform(0.5, 1.5)))
        exit_z = float(self.rng.uniform(near, far))
        pb.walk_to(self.offscreen_x(exit_z, side), exit_z)
        self.add_person(pid, look, pb)
        g = Garbage(
            id=f"g{len(self.script.garbage) + 1}",
            look=glook,
            phases=(Held(t0, pid), Falls(t_drop, pid, sx, 0.0, sz), Rests(t_drop + 0.3, sx, 0.0, sz)),
        )
        self.script.garbage.append(g)
        self.script.intents.append(Intent("litter", pid, (g.id,)))
        return pb.t

    def litter_beside_bin(self, t0: float) -> float:
        return self.litter(t0, beside_bin=True)

    def visit_bin(
        self, t0: float, b: Bin, stand_back_m: float, pause_s: tuple[float, float]
    ) -> tuple[str, float, float]:
        """A person walks to bin ``b``, acts after 0.5-1.2 s, pauses, walks off: (person id, act time, exit time)."""
        side = 1 if self.rng.random() < 0.5 else -1
        near, far = self.walk_depth_range()
        pid, look = self.next_person()
        pb = self.enter(t0, float(self.rng.uniform(near, far)), -side)
        pb.walk_to(b.x_m - self.hand_offset(look) * 0.6, b.z_m - stand_back_m)
        t_act = pb.wait(float(self.rng.uniform(0.5, 1.2)))
        pb.wait(float(self.rng.uniform(*pause_s)))
        exit_z = float(self.rng.uniform(near, far))
        pb.walk_to(self.offscreen_x(exit_z, side), exit_z)
        self.add_person(pid, look, pb)
        return pid, t_act, pb.t

    def deposit(self, t0: float, bin_: Bin | None = None) -> float:
        """A person carries a bag to a bin, lifts the lid, drops it in, walks off."""
        b = bin_ or self.layout.bins[int(self.rng.integers(0, len(self.layout.bins)))]
        pid, t_in, t_exit = self.visit_bin(t0, b, 0.3, (1.0, 2.0))
        g = self.new_garbage([Held(t0, pid), IntoBin(t_in, pid, b.index)])
        self.script.lids.append(LidOpen(b.index, t_in - 0.4, t_in + 1.2))
        self.script.intents.append(Intent("deposit", pid, (g.id,), b.index))
        return t_exit

    def pickup(self, t0: float) -> float:
        """A person puts the bag down, lingers near it, picks it up again and leaves with it."""
        side = 1 if self.rng.random() < 0.5 else -1
        near, far = self.walk_depth_range()
        pid, look = self.next_person()
        sx, sz = self.free_spot()
        stand_x, stand_z = sx - self.hand_offset(look), sz + 0.02
        pb = self.enter(t0, float(np.clip(stand_z, near, far)), -side)
        pb.walk_to(stand_x, stand_z)
        t_down = pb.wait(float(self.rng.uniform(0.3, 1.0)))
        # Steps a little away (phone, shoelace, chatting) but stays in the vicinity.
        pb.walk_to(stand_x - side * float(self.rng.uniform(0.3, 0.9)), stand_z + float(self.rng.uniform(-0.3, 0.3)))
        pb.wait(float(self.rng.uniform(2.0, 7.0)))
        pb.walk_to(stand_x, stand_z)
        t_up = pb.wait(0.6)
        exit_z = float(self.rng.uniform(near, far))
        pb.walk_to(self.offscreen_x(exit_z, side), exit_z)
        self.add_person(pid, look, pb)
        self.new_garbage(
            [
                Held(t0, pid),
                Falls(t_down, pid, sx, 0.0, sz),
                Rests(t_down + 0.3, sx, 0.0, sz),
                Held(t_up, pid),
            ]
        )
        return pb.t

    def pass_by(self, t0: float, carrying: bool = True) -> float:
        side = 1 if self.rng.random() < 0.5 else -1
        near, far = self.walk_depth_range()
        pid, look = self.next_person()
        z0 = float(self.rng.uniform(near, far))
        pb = self.enter(t0, z0, -side)
        if self.rng.random() < 0.5:  # pauses on the way (looks at the board, waits for someone)
            zm = float(self.rng.uniform(near, far))
            pb.walk_to(float(self.rng.uniform(-0.5, 0.5)) * self.layout.camera.half_width_m(zm), zm)
            pb.wait(float(self.rng.uniform(1.0, 3.0)))
        z1 = float(self.rng.uniform(near, far))
        pb.walk_to(self.offscreen_x(z1, side), z1)
        self.add_person(pid, look, pb)
        if carrying:
            self.new_garbage([Held(t0, pid)])
        return pb.t

    def overflow(self, t0: float, duration: float) -> float:
        """One bin is full: bags heap on its lid, then people leave theirs on the apron around it."""
        b = self.layout.bins[int(self.rng.integers(0, len(self.layout.bins)))]
        heap_ids: list[str] = []
        # Already heaped on the lid when the clip starts.
        for k in range(int(self.rng.integers(1, 3))):
            x = b.x_m + float(self.rng.uniform(-0.25, 0.25)) * b.width_m
            z = b.z_m + b.depth_m * float(self.rng.uniform(0.3, 0.7))
            g = self.new_garbage([Rests(0.0, x, b.height_m + 0.05 * k, z)])
            heap_ids.append(g.id)
        t = t0
        n_people = int(self.rng.integers(3, 5))
        first_spill: str | None = None
        for i in range(n_people):
            pid, t_put, _ = self.visit_bin(t, b, 0.45, (0.5, 1.5))
            if i == 0:  # one more on top of the heap
                x, y, z = (
                    b.x_m + float(self.rng.uniform(-0.2, 0.2)),
                    b.height_m + 0.2,
                    b.z_m + b.depth_m * 0.5,
                )
            else:  # spills onto the ground around the bin, inside the apron
                x = b.x_m + float(self.rng.uniform(-0.6, 0.6)) * b.width_m
                y, z = 0.0, b.z_m - float(self.rng.uniform(0.1, self.layout.apron_m - 0.15))
            style = GarbageStyle.PILE if (i > 0 and self.rng.random() < 0.3) else GarbageStyle.BAG
            g = self.new_garbage([Held(t, pid), Falls(t_put, pid, x, y, z), Rests(t_put + 0.3, x, y, z)], style)
            heap_ids.append(g.id)
            # Left at the bins by hand: a deposit like any other, off-hours outside the window.
            self.script.intents.append(Intent("deposit", pid, (g.id,), b.index))
            if i == 1:
                first_spill = pid
            t = t_put + float(self.rng.uniform(3.0, 8.0))
        self.script.intents.append(Intent("overflow", first_spill, tuple(heap_ids), b.index))
        return t


def build_script(scenario: Scenario, rng: np.random.Generator, layout: Layout, duration_s: float) -> Script:
    if duration_s < MIN_DURATION_S[scenario]:
        raise ValueError(
            f"scenario {scenario.value!r} needs --duration >= {MIN_DURATION_S[scenario]:.0f} s; got {duration_s:g}"
        )
    b = _Builder(rng=rng, layout=layout)
    start = float(rng.uniform(2.0, 8.0))
    match scenario:
        case Scenario.PROPER | Scenario.OFF_HOURS:
            b.deposit(start)
        case Scenario.LITTERING | Scenario.NIGHT_LITTERING:
            b.litter(start)
        case Scenario.BESIDE_BIN:
            b.litter_beside_bin(start)
        case Scenario.PICKUP:
            b.pickup(start)
        case Scenario.PASSERBY:
            t = start
            for _ in range(int(rng.integers(2, 5))):
                b.pass_by(t, carrying=rng.random() < 0.8)
                t += float(rng.uniform(3.0, 9.0))
        case Scenario.OVERFLOW:
            b.overflow(start, duration_s)
        case Scenario.CROWD:
            n = int(rng.integers(3, 6))
            litterer = int(rng.integers(0, n))
            t = start
            for i in range(n):
                if i == litterer:
                    b.litter(t)
                elif rng.random() < 0.6:
                    b.deposit(t)
                else:
                    b.pass_by(t)
                t += float(rng.uniform(1.5, 5.0))
        case Scenario.MIXED:
            t = start
            while t < duration_s - 45.0:
                part = MIXED_PARTS[int(rng.integers(0, len(MIXED_PARTS)))]
                acts: dict[Scenario, Callable[[float], float]] = {
                    Scenario.PROPER: b.deposit,
                    Scenario.LITTERING: b.litter,
                    Scenario.BESIDE_BIN: b.litter_beside_bin,
                    Scenario.PICKUP: b.pickup,
                    Scenario.PASSERBY: b.pass_by,
                }
                act = acts[part]
                try:
                    end = act(t)
                except NoSpotError:  # the ground is full of earlier litter: someone just walks past
                    end = b.pass_by(t)
                t = end + float(rng.uniform(2.0, 12.0))
    return b.script
