"""People and garbage of a synthetic scene: what they look like and where they are at time t.

Every state is a pure function of time, so any frame can be rendered on its own (the dataset
builder samples single frames; the clip writer walks them in order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from sim.layout import BGR

VICINITY_M = 2.0  # an owner farther than this from their garbage has left its vicinity


@dataclass(frozen=True)
class Path:
    """Piecewise-linear walk over the ground: keyframes (t, x, z); equal positions are pauses."""

    times: tuple[float, ...]
    xs: tuple[float, ...]
    zs: tuple[float, ...]

    def __post_init__(self) -> None:
        if not (len(self.times) == len(self.xs) == len(self.zs) >= 2):
            raise ValueError(f"a path needs >= 2 keyframes of (t, x, z); got {len(self.times)}")
        if any(b < a for a, b in zip(self.times, self.times[1:], strict=False)):
            raise ValueError(f"path keyframe times must not decrease; got {self.times}")

    @property
    def t_enter(self) -> float:
        return self.times[0]

    @property
    def t_exit(self) -> float:
        return self.times[-1]

    def position(self, t: float) -> tuple[float, float]:
        return float(np.interp(t, self.times, self.xs)), float(np.interp(t, self.times, self.zs))

    def heading(self, t: float) -> tuple[float, float, bool]:
        """Unit walking direction at t and whether the person is moving."""
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        i = min(max(i, 0), len(self.times) - 2)
        dx, dz = self.xs[i + 1] - self.xs[i], self.zs[i + 1] - self.zs[i]
        n = math.hypot(dx, dz)
        if n < 1e-6:
            # Pausing: keep the direction of the last move.
            for j in range(i, 0, -1):
                dx, dz = self.xs[j] - self.xs[j - 1], self.zs[j] - self.zs[j - 1]
                n = math.hypot(dx, dz)
                if n > 1e-6:
                    return dx / n, dz / n, False
            return 1.0, 0.0, False
        return dx / n, dz / n, True

    def distance(self, t: float) -> float:
        """Metres walked by time t (drives the gait phase)."""
        d = 0.0
        for i in range(len(self.times) - 1):
            t0, t1 = self.times[i], self.times[i + 1]
            seg = math.hypot(self.xs[i + 1] - self.xs[i], self.zs[i + 1] - self.zs[i])
            if t >= t1:
                d += seg
            elif t > t0:
                d += seg * (t - t0) / (t1 - t0)
        return d


@dataclass
class PathBuilder:
    """Builds a Path by walking from point to point at a fixed speed."""

    t: float
    x: float
    z: float
    speed_mps: float
    times: list[float] = field(default_factory=list)
    xs: list[float] = field(default_factory=list)
    zs: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key()

    def _key(self) -> None:
        self.times.append(self.t)
        self.xs.append(self.x)
        self.zs.append(self.z)

    def walk_to(self, x: float, z: float) -> float:
        self.t += math.hypot(x - self.x, z - self.z) / self.speed_mps
        self.x, self.z = x, z
        self._key()
        return self.t

    def wait(self, seconds: float) -> float:
        self.t += seconds
        self._key()
        return self.t

    def build(self) -> Path:
        return Path(tuple(self.times), tuple(self.xs), tuple(self.zs))


@dataclass(frozen=True)
class PersonLook:
    height_m: float
    shoulder_m: float
    shirt: BGR
    pants: BGR
    skin: BGR
    hair: BGR
    coat_len: float  # fraction of height the upper garment reaches down to
    stride_m: float
    carry_side: int  # +1 right hand, -1 left hand


def _grey(v: int) -> BGR:
    return (v, v, v)


def draw_person_look(rng: np.random.Generator) -> PersonLook:
    def colour() -> BGR:
        return (int(rng.integers(10, 245)), int(rng.integers(10, 245)), int(rng.integers(10, 245)))

    skin = (int(rng.integers(90, 170)), int(rng.integers(130, 190)), int(rng.integers(170, 230)))
    hair_v = int(rng.integers(10, 60))
    return PersonLook(
        height_m=float(rng.uniform(1.45, 1.9)),
        shoulder_m=float(rng.uniform(0.36, 0.5)),
        shirt=colour(),
        pants=colour() if rng.random() < 0.5 else _grey(int(rng.integers(20, 80))),
        skin=skin,
        hair=(hair_v, hair_v, hair_v + int(rng.integers(0, 20))),
        coat_len=float(rng.uniform(0.42, 0.55)),
        stride_m=float(rng.uniform(0.55, 0.8)),
        carry_side=1 if rng.random() < 0.5 else -1,
    )


@dataclass(frozen=True)
class Person:
    id: str
    look: PersonLook
    path: Path

    def hand(self, t: float) -> tuple[float, float, float]:
        """World position of the carrying hand at t."""
        x, z = self.path.position(t)
        hx, hz, moving = self.path.heading(t)
        swing = 0.06 * math.sin(self.path.distance(t) / self.look.stride_m * math.pi) if moving else 0.0
        side = self.look.carry_side * (self.look.shoulder_m / 2 + 0.08)
        return x + side + swing * hx, 0.44 * self.look.height_m, z - 0.02 + swing * hz

    def visible_at(self, t: float) -> bool:
        return self.path.t_enter <= t <= self.path.t_exit


class GarbageStyle(StrEnum):
    BAG = "bag"
    PILE = "pile"  # loose garbage: paper, boxes, bottles


BAG_COLOURS: dict[str, BGR] = {
    "black": (28, 28, 30),
    "white": (225, 228, 230),
    "red": (40, 40, 200),
    "blue": (180, 110, 40),
    "translucent": (215, 220, 210),
    "green": (60, 150, 60),
    "yellow": (40, 190, 220),
}


@dataclass(frozen=True)
class GarbageLook:
    style: GarbageStyle
    colour_name: str
    width_m: float
    height_m: float
    outline: tuple[tuple[float, float], ...]  # unit shape, x in [-0.5, 0.5], y in [0, 1] (0 = bottom)
    pieces: tuple[tuple[float, float, float, BGR], ...] = ()  # for piles: (dx, dy, size, colour)

    @property
    def colour(self) -> BGR:
        return BAG_COLOURS[self.colour_name]

    @property
    def alpha(self) -> float:
        return 0.55 if self.colour_name == "translucent" else 1.0


def draw_garbage_look(rng: np.random.Generator, style: GarbageStyle = GarbageStyle.BAG) -> GarbageLook:
    n = 16
    ang = np.linspace(0, 2 * math.pi, n, endpoint=False)
    rad = 1 + rng.uniform(-0.12, 0.12, n)
    xs = 0.5 * np.cos(ang) * rad
    ys = 0.5 + 0.5 * np.sin(ang) * rad
    ys = np.maximum(ys, 0.04 * rng.random(n))  # flat-ish bottom where it rests
    outline = tuple((float(a), float(b)) for a, b in zip(xs, ys, strict=True))
    if style is GarbageStyle.BAG:
        name = str(rng.choice(list(BAG_COLOURS), p=[0.3, 0.15, 0.12, 0.12, 0.13, 0.1, 0.08]))
        return GarbageLook(
            style=style,
            colour_name=name,
            width_m=float(rng.uniform(0.28, 0.5)),
            height_m=float(rng.uniform(0.3, 0.55)),
            outline=outline,
        )
    pieces = []
    for _ in range(int(rng.integers(5, 10))):
        c = (int(rng.integers(60, 240)), int(rng.integers(60, 240)), int(rng.integers(60, 240)))
        pieces.append((float(rng.uniform(-0.3, 0.3)), float(rng.uniform(0.1, 0.7)), float(rng.uniform(0.2, 0.4)), c))
    return GarbageLook(
        style=style,
        colour_name=str(rng.choice(["white", "black", "yellow"])),
        width_m=float(rng.uniform(0.45, 0.8)),
        height_m=float(rng.uniform(0.25, 0.45)),
        outline=outline,
        pieces=tuple(pieces),
    )


# ---- where a piece of garbage is over time -------------------------------------------------


@dataclass(frozen=True)
class Held:
    t0: float
    person_id: str


@dataclass(frozen=True)
class Falls:
    """From the holder's hand to rest at (x, y, z) over [t0, t0 + duration]."""

    t0: float
    person_id: str
    x: float
    y: float
    z: float
    duration: float = 0.3


@dataclass(frozen=True)
class Rests:
    t0: float
    x: float
    y: float
    z: float


@dataclass(frozen=True)
class IntoBin:
    """From the holder's hand into the bin's opening over [t0, t0 + duration]; then gone."""

    t0: float
    person_id: str
    bin_index: int
    duration: float = 0.5


Phase = Held | Falls | Rests | IntoBin


@dataclass(frozen=True)
class Garbage:
    id: str
    look: GarbageLook
    phases: tuple[Phase, ...]
    t_appear: float = 0.0  # before this it does not exist (e.g. pre-existing heap items: 0)

    def phase_at(self, t: float) -> Phase | None:
        if t < self.t_appear:
            return None
        current: Phase | None = None
        for ph in self.phases:
            if ph.t0 <= t:
                current = ph
        return current

    def rest_time(self) -> float | None:
        """When it first comes to rest on a surface (the moment it touches down)."""
        for ph in self.phases:
            if isinstance(ph, Rests):
                return ph.t0
        return None
