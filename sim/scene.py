"""A complete synthetic clip description: layout, script, clock, schedule and ground truth."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from config import CameraConfig, RuleParams, Schedule, TimeWindow, Zones
from sim.actors import VICINITY_M, Garbage, IntoBin, Person, Rests
from sim.layout import Layout, draw_layout, lighting_for_hour
from sim.render import SceneRenderer
from sim.scenarios import DEFAULT_DURATION_S, Scenario, Script, build_script

TIMEZONE = "Asia/Shanghai"
TRUTH_VERSION = 2  # 2: bags left at a full bin outside the window are off-hours deposits
_SCENARIO_INDEX = {s: i for i, s in enumerate(Scenario)}


@dataclass(frozen=True)
class SimSpec:
    scenario: Scenario
    seed: int
    width: int = 1280
    height: int = 720
    fps: float = 10.0
    duration_s: float | None = None
    start: dt.datetime | None = None

    def __post_init__(self) -> None:
        if not (64 <= self.width <= 3840 and 64 <= self.height <= 2160) or self.width % 2 or self.height % 2:
            raise ValueError(f"--size must be even, 64x64 .. 3840x2160; got {self.width}x{self.height}")
        if not 1 <= self.fps <= 60:
            raise ValueError(f"--fps must be within 1..60; got {self.fps}")
        if self.start is not None and self.start.tzinfo is None:
            raise ValueError("--start needs a UTC offset, e.g. 2026-06-01T07:30:00+08:00")

    @property
    def duration(self) -> float:
        return self.duration_s if self.duration_s is not None else DEFAULT_DURATION_S[self.scenario]

    @property
    def frames(self) -> int:
        return round(self.duration * self.fps)


def draw_schedule(rng: np.random.Generator) -> Schedule:
    m0 = dt.time(6, int(rng.choice([30, 45])) if rng.random() < 0.5 else 0) if rng.random() < 0.5 else dt.time(7, 0)
    e_hour = int(rng.choice([17, 18]))
    e_min = int(rng.choice([0, 30]))
    return Schedule(
        timezone=TIMEZONE,
        windows=[
            TimeWindow(start=m0, end=dt.time(m0.hour + 2, m0.minute)),
            TimeWindow(start=dt.time(e_hour, e_min), end=dt.time(e_hour + 2, e_min)),
        ],
    )


def _default_start(
    scenario: Scenario, rng: np.random.Generator, schedule: Schedule, duration: float, seed: int
) -> dt.datetime:
    tz = ZoneInfo(TIMEZONE)
    day = dt.date(2026, 6, 1) + dt.timedelta(days=seed % 180)
    slack_h = (duration + 60.0) / 3600.0

    def at(hour: float) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tz) + dt.timedelta(seconds=round(hour * 3600))

    def hours(t: dt.time) -> float:
        return t.hour + t.minute / 60

    if scenario in (Scenario.PROPER, Scenario.CROWD, Scenario.OVERFLOW):
        w = schedule.windows[int(rng.integers(0, len(schedule.windows)))]
        return at(float(rng.uniform(hours(w.start) + 0.05, hours(w.end) - slack_h)))
    if scenario is Scenario.OFF_HOURS:
        ranges = [(10.0, 16.5), (21.0, 23.0), (4.5, 5.8), (13.0, 16.5)]
        lo, hi = ranges[int(rng.integers(0, len(ranges)))]
        return at(float(rng.uniform(lo, hi)))
    if scenario is Scenario.NIGHT_LITTERING:
        return at(float(rng.uniform(21.0, 27.5)) % 24)
    return at(float(rng.uniform(6.0, 22.0)))


class SimScene:
    """Everything needed to render a scenario's clip and state its ground truth."""

    def __init__(self, spec: SimSpec) -> None:
        self.spec = spec
        k = _SCENARIO_INDEX[spec.scenario]
        site_rng = np.random.default_rng([spec.seed, 0])
        self.schedule = draw_schedule(site_rng)
        clock_rng = np.random.default_rng([spec.seed, 1, k])
        self.start = spec.start or _default_start(spec.scenario, clock_rng, self.schedule, spec.duration, spec.seed)
        local = self.start.astimezone(ZoneInfo(TIMEZONE))
        self.lighting = lighting_for_hour(local.hour + local.minute / 60)
        self.layout: Layout = draw_layout(site_rng, spec.width, spec.height, self.lighting)
        self.script: Script = build_script(
            spec.scenario, np.random.default_rng([spec.seed, 2, k]), self.layout, spec.duration
        )
        self.renderer = SceneRenderer(self.layout, self.script, np.random.default_rng([spec.seed, 3]))

    # ---- config --------------------------------------------------------------------------
    def bins_zone_px(self) -> list[list[float]]:
        return [[round(float(u), 1), round(float(v), 1)] for u, v in self.layout.bins_zone_corners()]

    def camera_config(self, source: str) -> CameraConfig:
        w, h = self.spec.width, self.spec.height
        zone = [[round(u / w, 4), round(v / h, 4)] for u, v in self.bins_zone_px()]
        return CameraConfig(
            id=f"sim-{self.spec.scenario.value.replace('_', '-')}-{self.spec.seed}",
            name=f"Synthetic {self.spec.scenario.value} (seed {self.spec.seed})",
            source=source,
            analysis_fps=5.0,
            zones=Zones(bins=[zone]),
            schedule=self.schedule,
            rules=RuleParams(),
        )

    # ---- truth ---------------------------------------------------------------------------
    def _garbage(self, gid: str) -> Garbage:
        return next(g for g in self.script.garbage if g.id == gid)

    def _person(self, pid: str) -> Person:
        return next(p for p in self.script.people if p.id == pid)

    def leave_time(self, pid: str, x: float, z: float, t_from: float) -> float:
        """First time from ``t_from`` that the person is out of the vicinity of (x, z) or out of the frame."""
        p = self._person(pid)
        cam = self.layout.camera
        t = t_from
        while t <= p.path.t_exit:
            px, pz = p.path.position(t)
            u, v = cam.project_point(px, 0.0, pz)
            off_frame = not (0 <= u < cam.width_px) or v >= cam.height_px
            if math.hypot(px - x, pz - z) > VICINITY_M or off_frame:
                return round(t, 2)
            t += 0.05
        return round(p.path.t_exit, 2)

    def truth_events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        r = self.renderer
        for intent in self.script.intents:
            if intent.what == "litter":
                g = self._garbage(intent.garbage_ids[0])
                rest = next(ph for ph in g.phases if isinstance(ph, Rests))
                assert intent.actor is not None
                events.append(
                    {
                        "kind": "littering",
                        "actor": intent.actor,
                        "object": g.id,
                        "t_drop_s": round(rest.t0, 2),
                        "t_leave_s": self.leave_time(intent.actor, rest.x, rest.z, rest.t0),
                        "bbox": _round_box(r.garbage_bbox_at_rest(g)),
                    }
                )
            elif intent.what == "deposit":
                g = self._garbage(intent.garbage_ids[0])
                t_in = _left_hand_at(g)
                if self.schedule.is_open(self.start + dt.timedelta(seconds=t_in)):
                    continue
                b = self.layout.bins[intent.bin_index if intent.bin_index is not None else 0]
                assert intent.actor is not None
                box = r.bin_bbox(b)
                heap = next((ph for ph in g.phases if isinstance(ph, Rests)), None)
                if heap is not None:  # left on a full bin's heap or beside it: the bin and the bag
                    gb = r.garbage_bbox_at_rest(g)
                    box = (min(box[0], gb[0]), min(box[1], gb[1]), max(box[2], gb[2]), max(box[3], gb[3]))
                events.append(
                    {
                        "kind": "off_hours",
                        "actor": intent.actor,
                        "object": g.id,
                        "bin": b.index,
                        "t_drop_s": round(t_in, 2),
                        "t_leave_s": self.leave_time(intent.actor, b.x_m, b.z_m, t_in),
                        "bbox": _round_box(box),
                    }
                )
            elif intent.what == "overflow":
                items = [self._garbage(gid) for gid in intent.garbage_ids]
                spills = [(ph, g) for g in items for ph in g.phases if isinstance(ph, Rests) and ph.y == 0.0]
                first, _ = min(spills, key=lambda s: s[0].t0)
                boxes = [r.garbage_bbox_at_rest(g) for g in items]
                assert intent.bin_index is not None and intent.actor is not None
                events.append(
                    {
                        "kind": "overflow",
                        "actor": intent.actor,
                        "bin": intent.bin_index,
                        "object": ",".join(g.id for g in items),
                        "t_drop_s": round(first.t0, 2),
                        "t_leave_s": self.leave_time(intent.actor, first.x, first.z, first.t0),
                        "bbox": _round_box(
                            (
                                min(b[0] for b in boxes),
                                min(b[1] for b in boxes),
                                max(b[2] for b in boxes),
                                max(b[3] for b in boxes),
                            )
                        ),
                    }
                )
        return sorted(events, key=lambda e: float(e["t_drop_s"]))

    def truth(self) -> dict[str, Any]:
        spec, layout, cam = self.spec, self.layout, self.layout.camera
        w, h = spec.width, spec.height
        return {
            "version": TRUTH_VERSION,
            "scenario": spec.scenario.value,
            "seed": spec.seed,
            "fps": spec.fps,
            "size": [w, h],
            "duration_s": spec.duration,
            "frames": spec.frames,
            "start": self.start.isoformat(),
            "timezone": TIMEZONE,
            "lighting": self.lighting.value,
            "camera": {
                "height_m": round(cam.height_m, 3),
                "pitch_deg": round(cam.pitch_deg, 2),
                "hfov_deg": round(cam.hfov_deg, 2),
            },
            "schedule": self.schedule.model_dump(mode="json"),
            "vicinity_m": VICINITY_M,
            "bins": [
                {
                    "index": b.index,
                    "kind": b.kind.value,
                    "bbox": _round_box(self.renderer.bin_bbox(b)),
                    "polygon": [[round(float(u), 1), round(float(v), 1)] for u, v in self.renderer.bin_polygon(b)],
                }
                for b in layout.bins
            ],
            "zones": {
                "bins": [self.bins_zone_px()],
                "no_dump": {"outer": [[0, 0], [w, 0], [w, h], [0, h]], "holes": [self.bins_zone_px()]},
            },
            "events": self.truth_events(),
            "people": [
                {"id": p.id, "t_enter_s": round(p.path.t_enter, 2), "t_exit_s": round(p.path.t_exit, 2)}
                for p in self.script.people
            ],
        }


def _left_hand_at(g: Garbage) -> float:
    """When a deposited bag left the hand: gone into the bin, or come to rest on the heap."""
    for ph in g.phases:
        if isinstance(ph, IntoBin):
            return ph.t0 + ph.duration
        if isinstance(ph, Rests) and ph.t0 > 0.0:
            return ph.t0
    raise ValueError(f"garbage {g.id} is never let go of")


def _round_box(b: tuple[float, float, float, float]) -> list[float]:
    return [round(float(v), 1) for v in b]
