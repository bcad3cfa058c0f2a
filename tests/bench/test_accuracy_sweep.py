"""The accuracy sweep (`bench/accuracy.py`): what it draws, that a seed base repeats it, a tiny run end to end."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

import service
from bench import accuracy
from bench.accuracy import ClipParams, ClipResult, Ranges, RunSettings, draw_clip, repro_command
from config import RuleParams
from sim.layout import Lighting, lighting_for_hour
from sim.scenarios import MIN_DURATION_S, Scenario
from sim.scene import SimScene

SEED_BASE = 123456  # its two clips under SMOKE: a littering clip and a passerby clip (a negative)
SMOKE = ["--sizes", "320x180", "--durations", "40,40", "--clip-fps", "5,10", "--scenarios", "littering,passerby"]


def test_draws_cover_every_scenario_size_rate_duration_and_hour() -> None:
    draws = [draw_clip(SEED_BASE, i) for i in range(2000)]
    assert {p.scenario for p in draws} == set(Scenario)
    assert {(p.width, p.height) for p in draws} == {(640, 360), (1280, 720), (1920, 1080)}
    assert {p.fps for p in draws} == set(range(5, 26))
    for p in draws:
        assert max(40, MIN_DURATION_S[p.scenario]) <= p.duration_s <= 180, p
    assert min(p.duration_s for p in draws if p.scenario is Scenario.MIXED) >= 150
    assert {p.start.hour for p in draws} == set(range(24))
    assert {p.start.tzinfo is not None and p.start.utcoffset() == dt.timedelta(hours=8) for p in draws} == {True}
    assert {lighting_for_hour(p.start.hour + p.start.minute / 60) for p in draws} == set(Lighting)
    assert [p.seed for p in draws] == list(range(SEED_BASE, SEED_BASE + 2000))
    # Inside and outside the drop-off windows of each clip's own site (its schedule comes from the seed
    # alone: a 160x90 scene has the same and is quicker to build).
    scenes = (SimScene(replace(p.spec(), width=160, height=90)) for p in draws[:60])
    open_at_start = Counter(scene.schedule.is_open(scene.start) for scene in scenes)
    assert open_at_start[True] >= 5 and open_at_start[False] >= 5, open_at_start


def test_a_seed_base_repeats_its_draws_and_another_does_not() -> None:
    ranges = Ranges(sizes=((320, 180),), durations_s=(40, 60))
    first = [draw_clip(SEED_BASE, i, ranges) for i in range(50)]
    assert first == [draw_clip(SEED_BASE, i, ranges) for i in range(50)]
    other = [draw_clip(SEED_BASE + 50, i, ranges) for i in range(50)]
    assert sum(a.scenario == b.scenario and a.start == b.start for a, b in zip(first, other, strict=True)) < 10


def test_fresh_seed_bases_stay_clear_of_training_and_tuned_seeds() -> None:
    for _ in range(200):
        base = accuracy.draw_seed_base(300)
        assert accuracy.SEED_FLOOR <= base <= accuracy.SEED_CEILING - 300
    assert accuracy.SEED_CEILING <= 1_000_000
    assert accuracy.SEED_FLOOR > 8999  # the old fixed list (7000..7811) and the tests' seeds lie below


def test_refuses_a_seed_base_that_reaches_training_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        accuracy.main(["--seed-base", str(1_000_000 - 5), "--clips", "10"])
    assert "seeds must lie in" in capsys.readouterr().err


def _parse_repro(command: str) -> tuple[argparse.Namespace, argparse.Namespace]:
    """The two `binwatch` steps of a repro command, parsed by binwatch's own command line."""
    steps = [shlex.split(s) for s in command.split(" && ")]
    binwatch = [s[1:] for s in steps if s[0] == ".venv/bin/binwatch"]
    assert [s[0] for s in binwatch] == ["sim", "analyze"]
    assert {s[0] for s in steps} <= {".venv/bin/binwatch", "sed"}  # sed: the bench's rule overrides
    parser = service.build_parser()
    return parser.parse_args(binwatch[0]), parser.parse_args(binwatch[1])


def test_repro_command_is_what_binwatch_parses_into_the_clip() -> None:
    p = ClipParams(
        3, Scenario.OFF_HOURS, 123459, 1280, 720, 17, 97, dt.datetime.fromisoformat("2026-03-04T21:05:09+08:00")
    )
    settings = RunSettings(Path("models/x.onnx"), True, 640, 5.0, Path("cache"), False, 10.0, {"dwell_s": 20.0})
    command = repro_command(p, settings)
    sim, analyze = _parse_repro(command)
    assert (sim.scenario, sim.seed, sim.size, sim.fps, sim.duration, sim.start) == (
        "off_hours",
        123459,
        (1280, 720),
        17.0,
        97.0,
        p.start,
    )
    out = Path("out/repro") / p.name
    assert sim.out == out
    assert (analyze.video, analyze.camera_config, analyze.start, analyze.fps) == (
        out / "video.mp4",
        out / "camera.yaml",
        p.start,
        5.0,
    )
    assert (analyze.model, analyze.imgsz, analyze.no_left_objects) == (Path("models/x.onnx"), 640, True)
    assert (analyze.drop, analyze.drop_seed) == (10.0, 123459)
    assert f"sed -i 's/^  dwell_s: .*/  dwell_s: 20.0/' {out}/camera.yaml" in command


def test_report_lists_each_miss_and_false_alarm_with_its_command() -> None:
    p = draw_clip(SEED_BASE, 0)
    truth = {"kind": "littering", "actor": "p0", "t_drop_s": 5.0, "t_leave_s": 8.0, "bbox": [10, 10, 20, 20]}
    false = {"kind": "overflow", "t_s": 30.0, "t_start_s": 20.0, "bbox": [100, 100, 120, 120]}
    result = ClipResult(p, "night", False, [truth], {"p0": 12.0}, [false], [], RuleParams(), 0.0, 1.0)
    s = accuracy.score_clip(result, ("littering", "off_hours", "overflow"))
    assert (len(s.misses), len(s.false_alarms), s.negative) == (1, 1, False)
    settings = RunSettings(Path("m"), False, 480, 5.0, Path("c"), True, 0.0)
    lines = accuracy.report([s], accuracy.side_measures([s], tuple(s.counts)), settings)
    at = lines.index("misses and false alarms: 1 clips:")
    assert "missed littering@5.0" in lines[at + 1] and "false overflow@30.0" in lines[at + 1]
    assert lines[at + 2].strip() == repro_command(p, settings)
    _parse_repro(lines[at + 2].strip())


def test_warnings_that_match_no_littering_are_counted_by_scenario() -> None:
    """Two warnings for one bag (the second elsewhere, for a flicker) and one in a clip without littering."""
    litter = {"kind": "littering", "actor": "p0", "t_drop_s": 5.0, "t_leave_s": 8.0, "bbox": [10, 10, 20, 20]}
    said = {"kind": "littering", "t_s": 7.0, "t_start_s": 5.0, "bbox": [10, 10, 20, 20]}
    elsewhere = {"kind": "littering", "t_s": 9.0, "t_start_s": 6.0, "bbox": [200, 100, 240, 140]}
    a = replace(draw_clip(SEED_BASE, 0), scenario=Scenario.MIXED)
    b = replace(draw_clip(SEED_BASE, 1), scenario=Scenario.PICKUP)
    results = [
        ClipResult(a, "night", False, [litter], {"p0": 12.0}, [], [said, elsewhere], RuleParams(), 0.0, 1.0),
        ClipResult(b, "day", False, [], {}, [], [said], RuleParams(), 0.0, 1.0),
    ]
    scores = [accuracy.score_clip(r, ("littering",)) for r in results]
    assert [s.stray_warnings for s in scores] == [1, 1]
    measures = accuracy.side_measures(scores, ("littering",))
    assert (measures["warnings"]["said"], measures["warnings"]["stray"]) == (3, 2)
    settings = RunSettings(Path("m"), False, 480, 5.0, Path("c"), True, 0.0)
    line = "warnings matching no littering event: 2 of 3 said (by scenario: mixed 1, pickup 1)"
    assert line in accuracy.report(scores, measures, settings)


def test_the_draw_line_counts_sizes_lighting_windows_and_scenarios() -> None:
    a, b = (
        replace(draw_clip(SEED_BASE, 0), width=640, height=360),
        replace(draw_clip(SEED_BASE, 1), width=640, height=360),
    )
    a, b = replace(a, scenario=Scenario.PICKUP), replace(b, scenario=Scenario.OVERFLOW)
    results = [ClipResult(p, light, open_, [], {}, [], [], RuleParams(), 0.0, 1.0) for p, light, open_ in
               [(a, "night", False), (b, "day", True)]]  # fmt: skip
    line = accuracy.draw_line([accuracy.score_clip(r, ("littering",)) for r in results])
    assert line == "clips: 640x360 2; day 1, night 1; 1 starting inside a drop-off window; overflow 1, pickup 1"


@pytest.mark.parametrize("predicted_late", [False, True])
def test_a_truth_event_the_clip_ends_before_its_rule_can_decide_is_not_scored(predicted_late: bool) -> None:
    p = replace(draw_clip(SEED_BASE, 0), duration_s=40)
    # off_hours floor: t_drop_s + release_s 1 + confirm_s 6 (43 s > 40 s for the late one)
    early = {"kind": "off_hours", "actor": "p0", "t_drop_s": 10.0, "t_leave_s": 12.0, "bbox": [10, 10, 20, 20]}
    late = {"kind": "off_hours", "actor": "p1", "t_drop_s": 36.0, "t_leave_s": 38.0, "bbox": [100, 10, 120, 20]}
    pred = {"kind": "off_hours", "t_s": 39.8, "t_start_s": 32.8, "bbox": [101, 10, 119, 20]}
    preds = [pred] if predicted_late else []
    result = ClipResult(p, "day", False, [early, late], {"p0": 15.0, "p1": 40.0}, preds, [], RuleParams(), 0.0, 1.0)
    s = accuracy.score_clip(result, ("littering", "off_hours", "overflow"))
    assert (s.misses, s.false_alarms, s.beyond_end, s.negative) == ([early], [], [late], False)
    assert vars(s.counts["off_hours"]) == {"kind": "off_hours", "truths": 1, "predictions": 0, "matched": 0}
    settings = RunSettings(Path("m"), False, 480, 5.0, Path("c"), True, 0.0)
    lines = accuracy.report([s], accuracy.side_measures([s], tuple(s.counts)), settings)
    assert "truth events not scored, their rule floor after their clip's end: 1" in lines
    assert "beyond the end, not scored [off_hours@36.0]" in accuracy.clip_line(s, 1, 1)


@pytest.mark.slow  # renders two clips and loads the model in two worker processes: about 15 s
def test_a_tiny_sweep_runs_the_clips_its_seed_base_draws(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "sweep.json"
    argv = ["--seed-base", str(SEED_BASE), "--clips", "2", "--jobs", "2", *SMOKE]
    # Rendered ahead, saying nothing of what the clips hold; the run then scores them from the cache.
    assert accuracy.main([*argv, "--cache", str(tmp_path / "clips"), "--render-only"]) == 0
    out = capsys.readouterr().out
    assert "rendered 2 clips" in out and "truth" not in out and "predicted" not in out
    assert len(list((tmp_path / "clips").glob("*/*/truth.json"))) == 2
    assert accuracy.main([*argv, "--cache", str(tmp_path / "clips"), "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "(rendering 0 s," in out
    assert out.startswith(f"seed base {SEED_BASE}")
    assert f"--seed-base {SEED_BASE}" in out.splitlines()[-1]
    header = next(line for line in out.splitlines() if line.startswith("kind "))
    assert "precision [95% CI]" in header and "F1 [95% bootstrap]" in header
    for kind in ("littering", "off_hours", "overflow"):
        assert any(line.startswith(kind) for line in out.splitlines()), kind
    for line in ("negative clips", "on-the-spot warnings", "decision latency", "misses and false alarms"):
        assert line in out
    doc = json.loads(report.read_text())
    assert doc["seed_base"] == SEED_BASE
    ranges = Ranges((Scenario.LITTERING, Scenario.PASSERBY), ((320, 180),), (5, 10), (40, 40))
    for i, record in enumerate(doc["records"]):
        drawn = draw_clip(SEED_BASE, i, ranges)
        assert record | drawn.as_json() == record  # the drawn parameters are those the clip ran with
        assert f"seed {drawn.seed} 320x180" in out
        _parse_repro(record["command"])
    assert {r["scenario"] for r in doc["records"]} == {"littering", "passerby"}
    assert doc["totals"]["littering"]["truths"] == 1
    lo, hi = doc["totals"]["littering"]["recall_ci95"]
    assert 0 <= lo <= doc["totals"]["littering"]["recall"] <= hi <= 1
    # A time bound that passes before any clip starts (the workers take seconds to load the model) scores nothing.
    assert accuracy.main([*argv, "--cache", str(tmp_path / "clips"), "--stop-after", "0.0001"]) == 1
    assert "no clip was started within --stop-after 0.0001 min" in capsys.readouterr().err
    # A sweep that adds up over runs: the first run keeps its first clip, the second runs only the other.
    results = tmp_path / "sweep.jsonl"
    one = ["--seed-base", str(SEED_BASE), "--clips", "1", "--jobs", "1", *SMOKE, "--cache", str(tmp_path / "clips")]
    assert accuracy.main([*one, "--results", str(results)]) == 0
    assert len(results.read_text().splitlines()) == 1
    capsys.readouterr()
    fresh_cache = tmp_path / "fresh"  # the kept clip is neither rendered nor analysed again: only clip 1 is
    assert accuracy.main([*argv, "--cache", str(fresh_cache), "--results", str(results), "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "1 of the 2 clips already scored there" in out
    assert [p.name.split("-")[0] for p in fresh_cache.glob("*/*")] == ["passerby"]
    assert len(results.read_text().splitlines()) == 2
    again = json.loads(report.read_text())
    assert again["totals"] == doc["totals"] and again["clips"] == 2


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--clips", "300", "--jobs", "2", "--stop-after", "90"], ["--jobs", "2", "--clips", "118"]),
        (["--stop-after=90", "--clips=300", "--fps", "2"], ["--fps", "2", "--clips", "118"]),
        (["--jobs", "2", "--stop-after", "5"], ["--jobs", "2", "--clips", "118"]),
    ],
)
def test_a_run_cut_short_repeats_as_the_clips_it_scored(argv: list[str], expected: list[str]) -> None:
    """Cut short by --stop-after after the first 118 clips of the draw, a run repeats as those 118."""
    assert accuracy.cut_short_argv(argv, 118) == expected


def _result(index: int) -> ClipResult:
    truth = {"kind": "littering", "actor": "p0", "t_drop_s": 5.0, "t_leave_s": 8.0, "bbox": [10, 10, 20, 20]}
    pred = {"kind": "littering", "t_s": 18.5, "t_start_s": 5.2, "bbox": [11, 10, 20, 21]}
    return ClipResult(draw_clip(SEED_BASE, index), "dusk", True, [truth], {"p0": 12.0}, [pred], [], RuleParams(), 3, 4)


IDENTITY = {"seed_base": SEED_BASE, "analysis_code": "abc", "model_hash": "m1", "fps": 5.0}


def test_a_results_file_reads_back_the_clips_it_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    assert accuracy.load_results(path, IDENTITY) == {}
    for i in (0, 1):
        accuracy.append_result(path, IDENTITY, _result(i))
    back = accuracy.load_results(path, IDENTITY)
    assert back == {0: _result(0), 1: _result(1)}
    assert accuracy.score_clip(back[1], ("littering",)).counts["littering"].matched == 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"analysis_code": "abd"}, "analysis_code 'abc' there, 'abd' now"),
        ({"model_hash": "m2"}, "model_hash 'm1' there, 'm2' now"),
        ({"seed_base": SEED_BASE + 1, "fps": 2.0}, f"seed_base {SEED_BASE} there, {SEED_BASE + 1} now; fps 5.0 there"),
    ],
)
def test_a_results_file_of_another_run_is_refused(tmp_path: Path, change: dict[str, object], named: str) -> None:
    """Clips of other code, another model or other settings never add up into one sweep."""
    path = tmp_path / "r.jsonl"
    accuracy.append_result(path, IDENTITY, _result(0))
    with pytest.raises(accuracy.ResultsMismatch, match=r"r\.jsonl:1 holds a clip of another run") as e:
        accuracy.load_results(path, IDENTITY | change)
    assert named in str(e.value)


@pytest.mark.parametrize("line", ["not json", '{"run": {}}', '["a"]'])
def test_a_broken_results_line_is_named(tmp_path: Path, line: str) -> None:
    path = tmp_path / "r.jsonl"
    accuracy.append_result(path, IDENTITY, _result(0))
    with path.open("a") as f:
        f.write(line + "\n")
    with pytest.raises(accuracy.ResultsMismatch, match=r"r\.jsonl:2: not a results line"):
        accuracy.load_results(path, IDENTITY)


def test_the_run_identity_changes_with_the_analysis_code_not_with_the_api() -> None:
    assert "detector/**/*.py" in accuracy._ANALYSIS_CODE and "runtime/loop.py" in accuracy._ANALYSIS_CODE
    assert not any(p.startswith(("api", "store", "alerts", "web")) for p in accuracy._ANALYSIS_CODE)


def test_a_clips_cache_name_holds_every_parameter() -> None:
    start = dt.datetime(2026, 7, 1, 6, 5, 4, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    p = ClipParams(3, Scenario.CROWD, 10_003, 640, 360, 12, 95, start)
    assert p.name == "crowd-10003-640x360-12fps-95s-20260701T060504"
