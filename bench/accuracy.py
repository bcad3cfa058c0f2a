"""Event accuracy of `binwatch analyze` over a random sweep of generated clips that nobody tuned on.

Every run draws a new seed base (printed first) and from it N clips: for clip i, a generator seeded
from (seed base, i) picks the scenario (every one in `sim.scenarios.Scenario`), the size
(640x360, 1280x720, 1920x1080), the clip's own frame rate (5..25 fps), its duration (40..180 s,
at least the scenario's `MIN_DURATION_S`) and its start, anywhere in the 24 h of a day of the
year, inside or outside the site's drop-off windows, lit as that hour is. The clip's scene seed is
seed base + i. Seeds stay in [10,000, 1,000,000): scene seeds of `binwatch sim-dataset` (training)
start at 1,000,000, and the seeds below 10,000 were run by this bench (7000..7811) and the tests
for sessions. Each clip is rendered (`sim.clip.write_clip`, cached under --cache by all its
parameters and a hash of the code that renders it) and analysed at --fps (the camera default, 5)
with `detector.analyze.analyze_file`, as `binwatch analyze` does (with --drop P, P % of the decoded
frames are lost first, seeded by the clip's seed). --sizes, --clip-fps and --durations narrow the
draw (the smoke test runs two tiny clips); --scenarios and --kinds choose what is drawn and scored.

It prints, per scored kind (littering, off_hours, overflow), precision and recall with 95 % Wilson
intervals and F1 with a 95 % percentile bootstrap over clips (seeded from the seed base); false
events on negative clips (clips whose truth has no event of the scored kinds, whatever their
scenario: a `proper` deposit outside the windows is an off_hours truth); on-the-spot warnings
(littering events warned while their person was still in view, before the truth's t_exit_s, and the
warnings said that match no littering event of their clip, by scenario: a bag set down and picked up
again in a `pickup` clip is warned about, rightly, while its person stands there); the
decision latency of matched events beyond each rule's own floor, the earliest its parameters let
it decide (t_s - floor):
  littering  max(t_drop_s + dwell_s, t_leave_s + owner_gone_s), the camera's rules;
  off_hours  t_drop_s + release_s + confirm_s (`OffHoursParams`, which the pipeline uses as is):
             let go for release_s, then confirm_s with no bag on the ground near the person. The
             truth's t_drop_s is when the bag is inside the bin, a little after the hand let go,
             so this excess can be slightly negative;
  overflow   t_drop_s + dwell_s: the first spill at rest plus the rule's dwell; the excess includes
             the wait for enough garbage to pass the occupancy threshold;
and at the end every miss and false alarm with the shell commands that reproduce its clip. A truth
event whose rule floor lies after its clip's last frame (a scenario whose visits run past the end of
a short clip) cannot be decided within it: it is not scored (no miss; a prediction of it is no false
alarm), and the count of such events is printed.

The sweep is never to be tuned on: a change made because of what a sweep showed is checked on a
fresh seed base (a plain run), and `--seed-base S` only repeats a run (to compare two versions of
the code on the same clips, or to look again at a fault): the same clips, drawn and rendered the
same, and, from the cache, the very same files.

    .venv/bin/python bench/accuracy.py                       # 300 clips, a new seed base, 2 jobs
    .venv/bin/python bench/accuracy.py --clips 6 --jobs 2    # a quick look
    .venv/bin/python bench/accuracy.py --seed-base 123456    # repeat that run exactly
    .venv/bin/python bench/accuracy.py --seed-base 123456 --results bench/results/sweep-123456.jsonl --stop-after 120
    .venv/bin/python bench/accuracy.py --model ../shared/data/eval/coco-yolov8n-int8/yolov8n_int8.onnx --imgsz 640

A sweep longer than one sitting adds up in a results file: with --results FILE each clip's result
(parameters, truth, events, warnings) is appended to FILE as it is scored, together with the run's
identity: seed base, draw ranges, model (name and hash), input size, analysis rate, drops, rule
overrides, and hashes of the analysis code and of the rendering code. A later run with the same FILE
scores the clips already there and runs only the rest, in draw order; a line of another identity
(the code changed, another model or seed base) is refused, naming what differs, so one sweep is
always one version of the code on one draw.

With --jobs N > 1, N worker processes each load the model once, pinned to a CPU of their own with
one thread for torch and OpenCV: OpenVINO then compiles it for one core and keeps inference there,
so 2 jobs use 2 cores. A clip is encoded by libx264 on one thread, as `binwatch sim` encodes it
(`sim.clip`), so a seed gives the same bytes here, in a repro command and anywhere with the same PyAV.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import multiprocessing
import os
import secrets
import shlex
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from config import RuleParams, load_camera_config
from detector.analyze import analyze_file, event_record
from detector.evaluate import KINDS, KindScore, add, bootstrap_f1, match, score, wilson
from detector.rules.events import EventState
from detector.rules.off_hours import OffHoursParams
from detector.yolo import DEFAULT_IMGSZ, YoloDetector, default_model
from sim.clip import write_clip
from sim.dataset import TRAIN_SEED_BASE
from sim.scenarios import MIN_DURATION_S, Scenario
from sim.scene import TIMEZONE, SimSpec
from sim.source import clip_dir, clip_is_whole

SEED_FLOOR = 10_000  # below: the seeds this bench and the tests ran for sessions (7000..7811, 7103, 8101, ...)
SEED_CEILING = TRAIN_SEED_BASE  # from here on: `binwatch sim-dataset` scene seeds (training, then validation)
SIZES = ((640, 360), (1280, 720), (1920, 1080))
CLIP_FPS = (5, 25)
DURATIONS_S = (40, 180)
FIRST_DAY = dt.date(2026, 1, 1)
PARAMS_TAG = 0xACC0  # first word of each clip's parameter seed, so it is no stream the sim draws from
BOOTSTRAP_TAG = 0xB007
REPRO_DIR = Path("out/repro")
_ROOT = Path(__file__).resolve().parent.parent
_RENDERING_CODE = ("sim/*.py", "streams/writer.py", "config.py")
# What a clip's analysis comes from (the loop, the detector and rules, decoding, the camera config), so that a
# results file (--results) only ever adds up clips analysed by the same code.
_ANALYSIS_CODE = ("detector/**/*.py", "runtime/loop.py", "streams/*.py", "config.py")


# ---- what each clip is ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Ranges:
    """What the clips' parameters are drawn from."""

    scenarios: tuple[Scenario, ...] = tuple(Scenario)
    sizes: tuple[tuple[int, int], ...] = SIZES
    clip_fps: tuple[int, int] = CLIP_FPS
    durations_s: tuple[int, int] = DURATIONS_S


@dataclass(frozen=True)
class ClipParams:
    index: int
    scenario: Scenario
    seed: int
    width: int
    height: int
    fps: int
    duration_s: int
    start: dt.datetime  # aware, in the sim's time zone, whole seconds

    @property
    def name(self) -> str:
        """Cache directory name: every parameter of the clip (`sim.source.clip_dir`)."""
        return clip_dir(self.spec(), Path()).name

    def spec(self) -> SimSpec:
        return SimSpec(self.scenario, self.seed, self.width, self.height, float(self.fps), self.duration_s, self.start)

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "scenario": self.scenario.value,
            "seed": self.seed,
            "size": [self.width, self.height],
            "fps": self.fps,
            "duration_s": self.duration_s,
            "start": self.start.isoformat(),
        }


def draw_clip(seed_base: int, index: int, ranges: Ranges = Ranges()) -> ClipParams:
    """Clip ``index`` of the sweep with ``seed_base``: the same arguments always give the same clip.

    Durations are uniform within ``ranges.durations_s`` but never below the scenario's minimum (a
    `mixed` clip is 150 s at least, whatever the bounds)."""
    rng = np.random.default_rng([PARAMS_TAG, seed_base, index])
    scenario = ranges.scenarios[int(rng.integers(0, len(ranges.scenarios)))]
    width, height = ranges.sizes[int(rng.integers(0, len(ranges.sizes)))]
    fps = int(rng.integers(ranges.clip_fps[0], ranges.clip_fps[1] + 1))
    lo = max(ranges.durations_s[0], math.ceil(MIN_DURATION_S[scenario]))
    duration = int(rng.integers(lo, max(lo, ranges.durations_s[1]) + 1))
    day = FIRST_DAY + dt.timedelta(days=int(rng.integers(0, 365)))
    start = dt.datetime.combine(day, dt.time(0), ZoneInfo(TIMEZONE)) + dt.timedelta(
        seconds=int(rng.integers(0, 86_400))
    )
    return ClipParams(index, scenario, seed_base + index, width, height, fps, duration, start)


def draw_seed_base(clips: int) -> int:
    """A fresh seed base such that all ``clips`` seeds lie in [SEED_FLOOR, SEED_CEILING)."""
    return SEED_FLOOR + secrets.randbelow(SEED_CEILING - SEED_FLOOR - clips + 1)


def _code_hash(patterns: Sequence[str]) -> str:
    h = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(_ROOT.glob(pattern)):
            h.update(path.relative_to(_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:10]


def rendering_code_hash() -> str:
    """A short hash of the code a clip's files come from, so the cache never serves a stale clip."""
    return _code_hash(_RENDERING_CODE)


def analysis_code_hash() -> str:
    """A short hash of the code that turns a clip into events (see ``_ANALYSIS_CODE``)."""
    return _code_hash(_ANALYSIS_CODE)


def model_hash(path: Path) -> str:
    """A short hash of a model file, or of every file of a model directory (an OpenVINO copy)."""
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if f.is_file():
            h.update(f.relative_to(path).as_posix().encode() + b"\0" if path.is_dir() else b"")
            h.update(f.read_bytes())
    return h.hexdigest()[:10]


# ---- one clip, in a worker ------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSettings:
    """What every worker needs to render and analyse a clip."""

    model: Path
    model_given: bool  # --model was named (the repro commands name it then)
    imgsz: int
    fps: float
    cache: Path
    left_objects: bool
    drop: float
    rule_overrides: Mapping[str, float | None] = field(default_factory=dict)
    stop_at: float | None = None  # time.time() after which no clip is started (--stop-after)


@dataclass(frozen=True)
class ClipResult:
    params: ClipParams
    lighting: str
    open_at_start: bool  # drop-off allowed at the clip's first frame
    truth: list[dict[str, Any]]  # every truth event (all kinds)
    exits: dict[str, float]  # person id -> t_exit_s
    predictions: list[dict[str, Any]]  # START records of every kind
    warnings: list[dict[str, Any]]  # WARNING records
    rules: RuleParams
    render_s: float  # 0 when the clip came from the cache
    analyze_s: float

    def as_json(self) -> dict[str, Any]:
        return {
            "params": self.params.as_json(),
            "lighting": self.lighting,
            "open_at_start": self.open_at_start,
            "truth": self.truth,
            "exits": self.exits,
            "predictions": self.predictions,
            "warnings": self.warnings,
            "rules": self.rules.model_dump(mode="json"),
            "render_s": self.render_s,
            "analyze_s": self.analyze_s,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ClipResult:
        p = doc["params"]
        params = ClipParams(
            p["index"], Scenario(p["scenario"]), p["seed"], p["size"][0], p["size"][1], p["fps"], p["duration_s"],
            dt.datetime.fromisoformat(p["start"]),
        )  # fmt: skip
        return cls(
            params, doc["lighting"], doc["open_at_start"], doc["truth"], doc["exits"], doc["predictions"],
            doc["warnings"], RuleParams.model_validate(doc["rules"]), doc["render_s"], doc["analyze_s"],
        )  # fmt: skip


# ---- a sweep's results, kept across runs ------------------------------------------------------------
def run_identity(settings: RunSettings, seed_base: int, ranges: Ranges) -> dict[str, Any]:
    """Everything a clip's result depends on besides its index: clips of one identity add up to one sweep."""
    return {
        "seed_base": seed_base,
        "ranges": {
            "scenarios": [s.value for s in ranges.scenarios],
            "sizes": [list(s) for s in ranges.sizes],
            "clip_fps": list(ranges.clip_fps),
            "durations_s": list(ranges.durations_s),
        },
        "model": settings.model.name,
        "model_hash": model_hash(settings.model),
        "imgsz": settings.imgsz,
        "fps": settings.fps,
        "drop": settings.drop,
        "left_objects": settings.left_objects,
        "rule_overrides": dict(settings.rule_overrides),
        "analysis_code": analysis_code_hash(),
        "rendering_code": rendering_code_hash(),
    }


class ResultsMismatch(ValueError):
    """A results file holds clips of another run (other code, model, settings or seed base)."""


def load_results(path: Path, identity: Mapping[str, Any]) -> dict[int, ClipResult]:
    """The clips already scored in ``path`` (JSON lines, one clip each), by index; none if it does not exist.

    Every line must be of this ``identity``: a sweep is the same code on the same clips, never a mix, so a
    line of another run is refused, naming what differs."""
    if not path.exists():
        return {}
    done: dict[int, ClipResult] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            run, clip = doc["run"], doc["clip"]
        except (ValueError, KeyError, TypeError) as e:
            raise ResultsMismatch(f"{path}:{n}: not a results line ({e}); expected an object with run, clip") from e
        differs = [f"{k} {run.get(k)!r} there, {v!r} now" for k, v in identity.items() if run.get(k) != v]
        if differs:
            raise ResultsMismatch(
                f"{path}:{n} holds a clip of another run ({'; '.join(differs)}): a sweep adds up clips of one "
                "code, model, settings and seed base; name another --results file"
            )
        try:
            r = ClipResult.from_json(clip)
        except (ValueError, KeyError, TypeError) as e:
            raise ResultsMismatch(f"{path}:{n}: a clip result that does not read back ({type(e).__name__}: {e})") from e
        done[r.params.index] = r
    return done


def append_result(path: Path, identity: Mapping[str, Any], r: ClipResult) -> None:
    """Add one clip's result to ``path`` for good (flushed and synced): a run stopped later keeps it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"run": identity, "clip": r.as_json()}, ensure_ascii=False, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


_worker: tuple[RunSettings, YoloDetector, set[int] | None] | None = None  # per process, set by _start_worker


def _start_worker(settings: RunSettings, slot: Any = None) -> None:
    """Load the model once for this process. With a ``slot`` counter (a pool worker), load it pinned to
    one CPU of its own, with one thread for torch and OpenCV, so that OpenVINO compiles it for one core
    and 2 jobs use 2 cores. OpenVINO keeps inference on that CPU (it pins the thread that calls it);
    each clip is rendered with all CPUs (see the module docstring)."""
    global _worker
    allowed = os.sched_getaffinity(0)
    if slot is not None:
        import cv2
        import torch

        with slot.get_lock():
            k = slot.value
            slot.value += 1
        os.sched_setaffinity(0, {sorted(allowed)[k % len(allowed)]})
        torch.set_num_threads(1)
        cv2.setNumThreads(1)
    detector = YoloDetector(settings.model, imgsz=settings.imgsz)
    detector.detect([np.zeros((64, 64, 3), np.uint8)])  # its thread pools start now, on the pinned CPU
    _worker = settings, detector, allowed if slot is not None else None


def _run_clip(p: ClipParams) -> ClipResult | None:
    """The clip's result; None when its turn came after ``stop_at``. Clips are taken in their order, so
    the clips started before it are the first ones of the draw, and a run cut short scores those."""
    if _worker is None:
        raise RuntimeError("_start_worker was not called in this process")
    settings, detector, cpus = _worker
    if settings.stop_at is not None and time.time() > settings.stop_at:
        return None
    if cpus is not None:  # an earlier clip's inference left this thread pinned to the model's CPU
        os.sched_setaffinity(0, cpus)
    try:
        return _render_and_analyse(p, settings, detector)
    except Exception as e:  # name the clip: a pool re-raises this in the parent without the worker's context
        raise RuntimeError(f"clip {p.index} ({p.name}): {type(e).__name__}: {e}") from e


def _render(p: ClipParams, cache: Path) -> float:
    """Render the clip into ``cache`` unless it is there whole; seconds it took (0 from the cache)."""
    clip = cache / p.name
    if clip_is_whole(clip):
        return 0.0
    t0 = time.perf_counter()
    write_clip(p.spec(), clip)
    return time.perf_counter() - t0


def render_clips(params: Sequence[ClipParams], cache: Path, jobs: int) -> float:
    """Render every clip of a sweep ahead of its run (--render-only), reporting nothing of their content, so
    that the run that scores them, later and on the code then, scores clips nobody has looked at. Clips are
    rendered in their order, one at a time per job, so a render cut short has made the first clips of the
    sweep (a shorter run with the same seed base scores them), not a scattering of chunks."""
    if jobs <= 1:
        return sum(_render(p, cache) for p in params)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(jobs) as pool:
        return sum(pool.starmap(_render, [(p, cache) for p in params], chunksize=1))


def _render_and_analyse(p: ClipParams, settings: RunSettings, detector: YoloDetector) -> ClipResult:
    clip = settings.cache / p.name
    render_s = _render(p, settings.cache)
    truth = json.loads((clip / "truth.json").read_text())
    start = dt.datetime.fromisoformat(truth["start"])
    if start != p.start:
        raise ValueError(f"{clip}/truth.json starts at {start}, expected {p.start}: remove the cached clip")
    camera = load_camera_config(clip / "camera.yaml")
    if settings.rule_overrides:
        camera = camera.model_copy(update={"rules": camera.rules.model_copy(update=dict(settings.rule_overrides))})
    result = analyze_file(
        clip / "video.mp4", camera, detector, start, settings.fps, settings.left_objects,
        drop=settings.drop, drop_seed=p.seed,
    )  # fmt: skip
    return ClipResult(
        params=p,
        lighting=truth["lighting"],
        open_at_start=camera.schedule is None or camera.schedule.is_open(start),
        truth=truth["events"],
        exits={q["id"]: q["t_exit_s"] for q in truth["people"]},
        predictions=[event_record(e) for e in result.in_state(EventState.START)],
        warnings=[event_record(e) for e in result.in_state(EventState.WARNING)],
        rules=camera.rules,
        render_s=render_s,
        analyze_s=result.wall_s,
    )


def run_clips(params: Sequence[ClipParams], settings: RunSettings, jobs: int) -> Iterator[ClipResult | None]:
    """Results in the order the clips finish (None for a clip not started before ``settings.stop_at``);
    ``jobs`` > 1 runs them in that many worker processes, each taking the next clip in draw order."""
    if not params:
        return
    if jobs <= 1 or len(params) <= 1:
        _start_worker(settings)
        yield from map(_run_clip, params)
        return
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold model threads
    slot = ctx.Value("i", 0)
    with ctx.Pool(min(jobs, len(params)), initializer=_start_worker, initargs=(settings, slot)) as pool:
        yield from pool.imap_unordered(_run_clip, params)


# ---- scoring ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClipScore:
    """One clip, scored on the chosen kinds."""

    result: ClipResult
    counts: dict[str, KindScore]
    misses: list[dict[str, Any]]
    false_alarms: list[dict[str, Any]]
    latencies: dict[str, list[float]]  # kind -> t_s - the rule's floor, per matched event
    rest_lags: list[float]  # littering: t_start_s - t_drop_s (garbage seen at rest), per matched event
    littered: int  # littering truth events
    warned_in_view: list[float]  # per littering event warned before its person left: seconds before t_exit_s
    negative: bool  # no truth event of the scored kinds
    beyond_end: list[dict[str, Any]] = field(default_factory=list)  # truth events not scored (`beyond_end`)
    stray_warnings: int = 0  # warnings that match no littering truth event of the clip (a shout for no one's litter)

    @property
    def warned_without_littering(self) -> bool:
        return bool(self.result.warnings) and self.littered == 0


def rule_floor(kind: str, truth: Mapping[str, Any], rules: RuleParams) -> float:
    """The earliest stream time the rule's own parameters let it decide ``truth`` (see the module docstring)."""
    t_drop = float(truth["t_drop_s"])
    if kind == "littering":
        return max(t_drop + rules.dwell_s, float(truth["t_leave_s"]) + rules.owner_gone_s)
    if kind == "off_hours":
        p = OffHoursParams()
        return t_drop + p.release_s + p.confirm_s
    if kind == "overflow":
        return t_drop + rules.dwell_s
    raise ValueError(f"no rule floor for kind {kind!r}; expected one of {KINDS}")


def beyond_end(t: Mapping[str, Any], r: ClipResult) -> bool:
    """Whether truth event ``t`` of clip ``r`` could not be decided within the clip: its rule floor lies after
    the clip's last frame (a scenario whose visits run past a short clip's end, e.g. the last people of an
    `overflow` clip of 40 s)."""
    return rule_floor(t["kind"], t, r.rules) > r.params.duration_s


def score_clip(r: ClipResult, kinds: Sequence[str]) -> ClipScore:
    """Matched, missed and false events of the chosen kinds. A truth event beyond the clip's end
    (`beyond_end`) is not scored: it is no miss, and a prediction that matches it anyway is no false alarm."""
    scored = [t for t in r.truth if t["kind"] in kinds]
    preds = [p for p in r.predictions if p["kind"] in kinds]
    late = [t for t in scored if beyond_end(t, r)]
    late_ids = {id(t) for t in late}
    pairs = match(scored, preds)
    late_preds = {id(p) for t, p in pairs if id(t) in late_ids}
    preds = [p for p in preds if id(p) not in late_preds]
    pairs = [(t, p) for t, p in pairs if id(t) not in late_ids]
    truths = [t for t in scored if id(t) not in late_ids]
    matched_t = {id(t) for t, _ in pairs}
    matched_p = {id(p) for _, p in pairs}
    latencies: dict[str, list[float]] = {k: [] for k in kinds}
    rest_lags = []
    for t, p in pairs:
        latencies[t["kind"]].append(float(p["t_s"]) - rule_floor(t["kind"], t, r.rules))
        if t["kind"] == "littering":
            rest_lags.append(float(p["t_start_s"]) - float(t["t_drop_s"]))
    any_litter = [t for t in r.truth if t["kind"] == "littering"]  # one beyond the end may be warned all the same
    litter = [t for t in any_litter if not beyond_end(t, r)]
    in_view = [
        r.exits[t["actor"]] - float(w["t_s"]) for t, w in match(litter, r.warnings) if w["t_s"] < r.exits[t["actor"]]
    ]
    return ClipScore(
        result=r,
        counts={k: v for k, v in score(truths, preds, pairs).items() if k in kinds},
        misses=[t for t in truths if id(t) not in matched_t],
        false_alarms=[p for p in preds if id(p) not in matched_p],
        latencies=latencies,
        rest_lags=rest_lags,
        littered=len(litter),
        warned_in_view=in_view,
        negative=not truths and not late,
        beyond_end=late,
        stray_warnings=len(r.warnings) - len(match(any_litter, r.warnings)),
    )


@dataclass(frozen=True)
class KindSummary:
    total: KindScore
    precision_ci: tuple[float, float]
    recall_ci: tuple[float, float]
    f1_ci: tuple[float, float]

    def as_json(self) -> dict[str, Any]:
        t = self.total
        return {
            "truths": t.truths,
            "predictions": t.predictions,
            "matched": t.matched,
            "precision": t.precision,
            "precision_ci95": list(self.precision_ci),
            "recall": t.recall,
            "recall_ci95": list(self.recall_ci),
            "f1": t.f1,
            "f1_ci95": list(self.f1_ci),
        }


def summarise(
    scores: Sequence[ClipScore], kinds: Sequence[str], seed_base: int, resamples: int
) -> dict[str, KindSummary]:
    total = add(s.counts for s in scores)
    out = {}
    for k in kinds:
        t = total[k]
        f1_ci = bootstrap_f1([s.counts[k] for s in scores], resamples, [BOOTSTRAP_TAG, seed_base, KINDS.index(k)])
        out[k] = KindSummary(t, wilson(t.matched, t.predictions), wilson(t.matched, t.truths), f1_ci)
    return out


# ---- output ----------------------------------------------------------------------------------------
def draw_line(scores: Sequence[ClipScore]) -> str:
    """What the scored clips were: counts by size, lighting, start inside a drop-off window, and scenario."""

    def counts(values: Sequence[str]) -> str:
        return ", ".join(f"{v} {n}" for v, n in sorted(Counter(values).items()))

    clips = [s.result for s in scores]
    return (
        f"clips: {counts([f'{r.params.width}x{r.params.height}' for r in clips])}; "
        f"{counts([r.lighting for r in clips])}; {sum(r.open_at_start for r in clips)} starting inside a drop-off "
        f"window; {counts([r.params.scenario.value for r in clips])}"
    )


def _ci(v: float, ci: tuple[float, float], n: int) -> str:
    """A value and its interval; '-' where it rests on nothing (no predictions, no truths)."""
    return f"{v:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if n else "-"


def format_table(summary: Mapping[str, KindSummary]) -> str:
    head = f"{'kind':10s} {'truth':>5s} {'pred':>5s} {'match':>5s}  {'precision [95% CI]':22s} "
    lines = [head + f"{'recall [95% CI]':22s} F1 [95% bootstrap]"]
    for k, s in summary.items():
        t = s.total
        precision = _ci(t.precision, s.precision_ci, t.predictions)
        recall = _ci(t.recall, s.recall_ci, t.truths)
        f1 = _ci(t.f1, s.f1_ci, t.truths + t.predictions)
        lines.append(f"{k:10s} {t.truths:5d} {t.predictions:5d} {t.matched:5d}  {precision:22s} {recall:22s} {f1}")
    return "\n".join(lines)


def _events(records: Sequence[Mapping[str, Any]], at: str) -> str:
    return ", ".join(f"{e['kind']}@{float(e[at]):.1f}" for e in records) or "-"


def clip_line(s: ClipScore, done: int, total: int) -> str:
    r, p = s.result, s.result.params
    local = p.start.astimezone(ZoneInfo(TIMEZONE))
    cost = f"render {r.render_s:.0f} s" if r.render_s else "cached"
    truths = [t for t in r.truth if t["kind"] in s.counts and t not in s.beyond_end]
    preds = [q for q in r.predictions if q["kind"] in s.counts]
    late = f" beyond the end, not scored [{_events(s.beyond_end, 't_drop_s')}]" if s.beyond_end else ""
    said = ", ".join(f"{float(w['t_s']):.1f}" for w in r.warnings) or "-"
    flag = "" if not (s.misses or s.false_alarms) else f"  << {len(s.misses)} missed, {len(s.false_alarms)} false"
    return (
        f"[{done:{len(str(total))}d}/{total}] {p.scenario.value:15s} seed {p.seed} {p.width}x{p.height} {p.fps:2d} fps "
        f"{p.duration_s:3d} s start {local:%m-%d %H:%M:%S} {r.lighting:5s} {'open' if r.open_at_start else 'closed'}: "
        f"truth [{_events(truths, 't_drop_s')}]{late} predicted [{_events(preds, 't_s')}] warned [{said}] "
        f"({cost}, analyse {r.analyze_s:.0f} s){flag}"
    )


def repro_command(p: ClipParams, settings: RunSettings, out_root: Path = REPRO_DIR) -> str:
    """Shell commands, run from the repository root, that render clip ``p`` and analyse it as the bench did."""
    d = out_root / p.name
    start = p.start.isoformat()
    sim = [".venv/bin/binwatch", "sim", "--scenario", p.scenario.value, "--seed", str(p.seed)]
    sim += ["--size", f"{p.width}x{p.height}", "--fps", str(p.fps), "--duration", str(p.duration_s)]
    sim += ["--start", start, "--out", str(d)]
    analyze = [".venv/bin/binwatch", "analyze", str(d / "video.mp4"), "--camera-config", str(d / "camera.yaml")]
    analyze += ["--start", start, "--fps", f"{settings.fps:g}", "--out", str(d / "analyze")]
    if settings.model_given:
        analyze += ["--model", str(settings.model)]
    if settings.imgsz != DEFAULT_IMGSZ:
        analyze += ["--imgsz", str(settings.imgsz)]
    if not settings.left_objects:
        analyze += ["--no-left-objects"]
    if settings.drop > 0:
        analyze += ["--drop", f"{settings.drop:g}", "--drop-seed", str(p.seed)]
    steps = [shlex.join(sim)]
    for key, value in settings.rule_overrides.items():  # the bench's overrides, written into the clip's rules
        text = "null" if value is None else repr(value)
        steps.append(shlex.join(["sed", "-i", f"s/^  {key}: .*/  {key}: {text}/", str(d / "camera.yaml")]))
    return " && ".join([*steps, shlex.join(analyze)])


def _stats(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"events": 0, "median_s": None, "min_s": None, "max_s": None}
    return {"events": len(values), "median_s": statistics.median(values), "min_s": min(values), "max_s": max(values)}


def side_measures(scores: Sequence[ClipScore], kinds: Sequence[str]) -> dict[str, Any]:
    """False events on negative clips, on-the-spot warnings and decision latencies, as printed and as JSON."""
    neg = [s for s in scores if s.negative]
    neg_hit = [s for s in neg if any(s.counts[k].predictions for k in kinds)]
    littered = sum(s.littered for s in scores)
    leads = [x for s in scores for x in s.warned_in_view]
    stray: Counter[str] = Counter()
    for s in scores:
        stray[s.result.params.scenario.value] += s.stray_warnings
    stray = +stray  # scenarios with none are not listed
    return {
        "negatives": {
            "clips": len(neg),
            "clips_with_events": len(neg_hit),
            "clips_with_events_ci95": list(wilson(len(neg_hit), len(neg))),
            "events": sum(s.counts[k].predictions for s in neg for k in kinds),
        },
        "warnings": {
            "warn_after_s": sorted({s.result.rules.warn_after_s for s in scores}, key=lambda v: (v is None, v)),
            "littering_events": littered,
            "warned_in_view": len(leads),
            "warned_in_view_ci95": list(wilson(len(leads), littered)),
            "lead_s": _stats(leads),
            "clips_warned_without_littering": [
                f"{s.result.params.scenario.value} {s.result.params.seed}" for s in scores if s.warned_without_littering
            ],
            "said": sum(len(s.result.warnings) for s in scores),
            "stray": sum(s.stray_warnings for s in scores),
            "stray_by_scenario": dict(sorted(stray.items())),
        },
        "truth_beyond_end": sum(len(s.beyond_end) for s in scores),
        "latency_beyond_floor": {k: _stats([x for s in scores for x in s.latencies[k]]) for k in kinds},
        "littering_rest_seen_after_drop": _stats([x for s in scores for x in s.rest_lags]),
    }


def _seconds(m: Mapping[str, Any], worst: str = "max") -> str:
    if not m["events"]:
        return "no matched event"
    return f"median {m['median_s']:.2f} s, {worst} {m[f'{worst}_s']:.2f} s over {m['events']}"


def report(scores: Sequence[ClipScore], measures: Mapping[str, Any], settings: RunSettings) -> list[str]:
    """The lines after the table: negatives, warnings, latencies, then every miss and false alarm."""
    n, w = measures["negatives"], measures["warnings"]
    share = n["clips_with_events"] / n["clips"] if n["clips"] else 0.0
    lo, hi = n["clips_with_events_ci95"]
    lines = [
        f"negative clips (no truth event of the scored kinds): {n['clips']}; with any event: "
        f"{n['clips_with_events']} = {100 * share:.1f} per 100 [95% CI {100 * lo:.1f}, {100 * hi:.1f}]; "
        f"false events on them: {n['events']}"
    ]
    share = w["warned_in_view"] / w["littering_events"] if w["littering_events"] else 0.0
    lo, hi = w["warned_in_view_ci95"]
    lead = f" ({_seconds(w['lead_s'], 'min')} before they left the frame)" if w["warned_in_view"] else ""
    wrong = w["clips_warned_without_littering"]
    lines.append(
        f"on-the-spot warnings (warn_after_s {', '.join(map(str, w['warn_after_s']))}): {w['warned_in_view']} of "
        f"{w['littering_events']} littering events warned while their person was in view = {share:.3f} "
        f"[95% CI {lo:.3f}, {hi:.3f}]{lead}; clips without littering warned: {len(wrong)} ({', '.join(wrong) or '-'})"
    )
    by = ", ".join(f"{k} {v}" for k, v in w["stray_by_scenario"].items()) or "-"
    lines.append(f"warnings matching no littering event: {w['stray']} of {w['said']} said (by scenario: {by})")
    lines.append("decision latency beyond the rule's floor (t_s - floor; the module docstring says which floor):")
    for k, m in measures["latency_beyond_floor"].items():
        rest = measures["littering_rest_seen_after_drop"]
        extra = (
            f"; garbage seen at rest a median {rest['median_s']:.2f} s after t_drop_s"
            if k == "littering" and m["events"]
            else ""
        )
        lines.append(f"  {k:10s} {_seconds(m)}{extra}")
    lines.append(f"truth events not scored, their rule floor after their clip's end: {measures['truth_beyond_end']}")
    faulty = [s for s in scores if s.misses or s.false_alarms]
    lines.append("")
    lines.append(f"misses and false alarms: {len(faulty)} clips" + (":" if faulty else ""))
    for s in faulty:
        p = s.result.params
        what = [f"missed {t['kind']}@{float(t['t_drop_s']):.1f} bbox {t['bbox']}" for t in s.misses]
        what += [f"false {q['kind']}@{float(q['t_s']):.1f} bbox {q['bbox']}" for q in s.false_alarms]
        lines.append(f"  clip {p.index} {p.scenario.value} seed {p.seed} ({s.result.lighting}): {'; '.join(what)}")
        lines.append(f"    {repro_command(p, settings)}")
    return lines


def clip_record(s: ClipScore, settings: RunSettings) -> dict[str, Any]:
    r = s.result
    return {
        **r.params.as_json(),
        "lighting": r.lighting,
        "open_at_start": r.open_at_start,
        "truth": r.truth,
        "predictions": r.predictions,
        "warnings": r.warnings,
        "counts": {k: vars(v) for k, v in s.counts.items()},
        "misses": s.misses,
        "false_alarms": s.false_alarms,
        "latency_beyond_floor_s": s.latencies,
        "negative": s.negative,
        "beyond_end": s.beyond_end,
        "render_s": round(r.render_s, 2),
        "analyze_s": round(r.analyze_s, 2),
        "command": repro_command(r.params, settings),
    }


# ---- command line ----------------------------------------------------------------------------------
def _pair(text: str) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in text.split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected LO,HI such as 40,180; got {text!r}") from e
    if not 0 < lo <= hi:
        raise argparse.ArgumentTypeError(f"expected 0 < LO <= HI; got {text!r}")
    return lo, hi


def _sizes(text: str) -> tuple[tuple[int, int], ...]:
    try:
        sizes = tuple((int(w), int(h)) for w, h in (s.lower().split("x") for s in text.split(",")))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected WxH[,WxH...] such as 640x360,1280x720; got {text!r}") from e
    return sizes


def _scenarios(text: str) -> tuple[Scenario, ...]:
    try:
        return tuple(Scenario(s) for s in text.split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{e}; expected some of {', '.join(s.value for s in Scenario)}") from e


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(text.split(","))
    if not kinds or any(k not in KINDS for k in kinds):
        raise argparse.ArgumentTypeError(f"expected some of {', '.join(KINDS)}; got {text!r}")
    return tuple(k for k in KINDS if k in kinds)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--clips", type=int, default=300, help="clips in the sweep (default 300)")
    ap.add_argument(
        "--seed-base", type=int, default=None, help="repeat the run with this seed base (default: a new one)"
    )
    ap.add_argument("--jobs", type=int, default=2, help="worker processes, each with its own model (default 2)")
    ap.add_argument("--model", type=Path, default=None, help="default: the bundled model")
    ap.add_argument("--imgsz", type=int, default=DEFAULT_IMGSZ, help=f"model input size (default {DEFAULT_IMGSZ})")
    ap.add_argument("--fps", type=float, default=5.0, help="analysis rate (default 5, the camera default)")
    ap.add_argument(
        "--drop", type=float, default=0.0, metavar="P", help="lose P %% of the decoded frames (seeded per clip)"
    )
    ap.add_argument(
        "--cache", type=Path, default=Path("out/bench-clips"), help="rendered clips (default out/bench-clips)"
    )
    ap.add_argument("--kinds", type=_kinds, default=KINDS, help="kinds to score (default all three)")
    ap.add_argument("--no-left-objects", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write totals, intervals and every clip here")
    ap.add_argument(
        "--scenarios", type=_scenarios, default=tuple(Scenario), help="comma-separated subset (default all)"
    )
    ap.add_argument(
        "--sizes", type=_sizes, default=SIZES, help="WxH,... to draw from (default 640x360,1280x720,1920x1080)"
    )
    ap.add_argument("--clip-fps", type=_pair, default=CLIP_FPS, help="LO,HI clip frame rate (default 5,25)")
    ap.add_argument("--durations", type=_pair, default=DURATIONS_S, help="LO,HI seconds (default 40,180)")
    ap.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples for the F1 interval")
    ap.add_argument(
        "--render-only",
        action="store_true",
        help="only render the sweep's clips into the cache, saying nothing of them (the run that scores them later "
        "with the same --seed-base then costs analysis alone)",
    )
    ap.add_argument(
        "--stop-after",
        type=float,
        default=None,
        metavar="MIN",
        help="start no clip after MIN minutes; the clips started (the first ones drawn) finish and are scored",
    )
    ap.add_argument(
        "--results",
        type=Path,
        default=None,
        metavar="FILE",
        help="keep each clip's result in FILE (JSON lines) and score the clips already there instead of running "
        "them again: a sweep too long for one sitting adds up over several runs of the same code and settings",
    )
    ap.add_argument("--dwell-s", type=float, default=None, help="override the clips' rules.dwell_s")
    ap.add_argument("--warn-after-s", default=None, help="override the clips' rules.warn_after_s ('off': never warn)")
    ap.add_argument("--early-s", type=float, default=None, help="override the clips' rules.early_s (left objects)")
    return ap


def repeat_command(argv: Sequence[str], seed_base: int) -> str:
    """The bench command line that repeats this run: the same options and this seed base."""
    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--seed-base":
            skip = True
        elif not a.startswith("--seed-base="):
            rest.append(a)
    return shlex.join([".venv/bin/python", "bench/accuracy.py", *rest, "--seed-base", str(seed_base)])


def cut_short_argv(argv: Sequence[str], clips: int) -> list[str]:
    """``argv`` of a run cut short by --stop-after, rewritten to repeat the clips it scored: ``--clips``
    set to their number, --stop-after left out."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in ("--clips", "--stop-after"):
            skip = True
        elif not a.startswith(("--clips=", "--stop-after=")):
            out.append(a)
    return [*out, "--clips", str(clips)]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = build_parser()
    args = ap.parse_args(argv)
    for bad, why in (
        (args.clips < 1, f"--clips must be >= 1; got {args.clips}"),
        (args.jobs < 1, f"--jobs must be >= 1; got {args.jobs}"),
        (not args.fps > 0, f"--fps must be > 0; got {args.fps}"),
        (not 0 <= args.drop < 100, f"--drop must be in [0, 100) %; got {args.drop}"),
        (args.resamples < 1, f"--resamples must be >= 1; got {args.resamples}"),
        (args.stop_after is not None and not args.stop_after > 0, f"--stop-after must be > 0; got {args.stop_after}"),
    ):
        if bad:
            ap.error(why)
    seed_base = draw_seed_base(args.clips) if args.seed_base is None else args.seed_base
    if not SEED_FLOOR <= seed_base <= SEED_CEILING - args.clips:
        ap.error(f"seeds must lie in [{SEED_FLOOR}, {SEED_CEILING}): --seed-base {seed_base} with {args.clips} clips")
    print(f"seed base {seed_base}  (repeat: {repeat_command(argv, seed_base)})", flush=True)
    overrides: dict[str, float | None] = {}
    if args.dwell_s is not None:
        overrides["dwell_s"] = args.dwell_s
    if args.warn_after_s is not None:
        overrides["warn_after_s"] = None if args.warn_after_s == "off" else float(args.warn_after_s)
    if args.early_s is not None:
        overrides["early_s"] = args.early_s
    RuleParams.model_validate(overrides)  # refused here, with the bound it broke, rather than clip by clip
    ranges = Ranges(args.scenarios, args.sizes, args.clip_fps, args.durations)
    params = [draw_clip(seed_base, i, ranges) for i in range(args.clips)]
    for p in params:
        p.spec()  # a bad --sizes or --clip-fps is refused now, not in a worker
    settings = RunSettings(
        model=args.model or default_model(),
        model_given=args.model is not None,
        imgsz=args.imgsz,
        fps=args.fps,
        cache=args.cache / f"sim-{rendering_code_hash()}",
        left_objects=not args.no_left_objects,
        drop=args.drop,
        rule_overrides=overrides,
        stop_at=time.time() + args.stop_after * 60 if args.stop_after is not None else None,
    )
    kinds: tuple[str, ...] = args.kinds
    print(
        f"model {settings.model.name} imgsz {settings.imgsz}, analysis {settings.fps:g} fps, left objects "
        f"{'on' if settings.left_objects else 'off'}{f', drop {args.drop:g} %' if args.drop else ''}"
        f"{f', rules {overrides}' if overrides else ''}; {args.clips} clips, {args.jobs} jobs, cache {settings.cache}",
        flush=True,
    )
    t0 = time.perf_counter()
    if args.render_only:
        render_s = render_clips(params, settings.cache, args.jobs)
        print(f"rendered {len(params)} clips in {time.perf_counter() - t0:.0f} s ({render_s:.0f} s summed over jobs)")
        return 0
    identity = run_identity(settings, seed_base, ranges)
    done: dict[int, ClipResult] = {}
    if args.results is not None:
        try:
            done = {i: r for i, r in load_results(args.results, identity).items() if i < args.clips}
        except ResultsMismatch as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"results {args.results}: {len(done)} of the {args.clips} clips already scored there "
              f"(analysis code {identity['analysis_code']}, model {identity['model_hash']})", flush=True)  # fmt: skip
    scores = [score_clip(r, kinds) for r in done.values()]
    for r in run_clips([p for p in params if p.index not in done], settings, args.jobs):
        if r is not None:
            if args.results is not None:
                append_result(args.results, identity, r)
            scores.append(score_clip(r, kinds))
            print(clip_line(scores[-1], len(scores), args.clips), flush=True)
    scores.sort(key=lambda s: s.result.params.index)
    if len(scores) < args.clips:
        if not scores:
            print(f"no clip was started within --stop-after {args.stop_after:g} min", file=sys.stderr)
            return 1
        if [s.result.params.index for s in scores] != list(range(len(scores))):
            print(f"the clips scored are not the first {len(scores)} of the draw (a results file with gaps?): "
                  f"{sorted(s.result.params.index for s in scores)}", file=sys.stderr)  # fmt: skip
            return 1
        argv = cut_short_argv(argv, len(scores))
        print(f"cut short by --stop-after {args.stop_after:g} min: the first {len(scores)} of the {args.clips} clips "
              f"drawn were scored, the rest not started; the same clips: --clips {len(scores)}")  # fmt: skip
    wall = time.perf_counter() - t0
    summary = summarise(scores, kinds, seed_base, args.resamples)
    print()
    render_s = sum(s.result.render_s for s in scores)
    analyze_s = sum(s.result.analyze_s for s in scores)
    print(
        f"seed base {seed_base}: {len(scores)} clips in {wall:.0f} s (rendering {render_s:.0f} s, analysis "
        f"{analyze_s:.0f} s, summed over jobs)"
    )
    print(draw_line(scores))
    print(format_table(summary))
    measures = side_measures(scores, kinds)
    for line in report(scores, measures, settings):
        print(line)
    print(f"\nrepeat: {repeat_command(argv, seed_base)}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "seed_base": seed_base,
            "argv": argv,
            "clips": len(scores),
            "wall_s": round(wall, 1),
            "totals": {k: s.as_json() for k, s in summary.items()},
            **measures,
            "records": [clip_record(s, settings) for s in scores],
        }
        args.json.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
