"""Generated demo cameras: sim: sources parse, render once and take their scene's zones and schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import CameraConfig, Zones, load_city_config
from sim.scenarios import Scenario
from sim.scene import SimScene
from sim.source import clip_dir, clip_is_whole, parse_sim_source, resolve_camera
from tests.conftest import binwatch

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("sim:littering", "has no seed"),
        ("sim:litering?seed=1", "unknown scenario 'litering'"),
        ("sim:littering?seed=x", "bad number"),
        ("sim:littering?seed=1&speed=2", "unknown parameter(s) speed"),
        ("sim:littering?seed=1&duration=1", "duration must be 40..3600 s for littering"),
        ("sim:littering?seed=1&size=641x360", "--size must be even"),
        ("rtsp://cam/1", "expected sim:SCENARIO?seed=N"),
    ],
)
def test_bad_sim_sources_say_what_is_expected(source: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        parse_sim_source(source)


def test_sim_source_parameters() -> None:
    spec = parse_sim_source("sim:overflow?seed=7&duration=90&size=640x360&fps=5")
    assert (spec.scenario, spec.seed, spec.duration, spec.width, spec.height, spec.fps) == (
        Scenario.OVERFLOW, 7, 90.0, 640, 360, 5.0,
    )  # fmt: skip


def test_check_config_names_the_bad_sim_source(tmp_path: Path) -> None:
    bad = tmp_path / "city.yaml"
    bad.write_text(DEMO.read_text(encoding="utf-8").replace("sim:overflow?seed=44", "sim:overflown?seed=44"))
    run = binwatch("check-config", str(bad))
    assert run.returncode == 1
    assert "communities[0].points[1].cameras[0].source" in run.stderr
    assert "unknown scenario 'overflown'" in run.stderr


def test_demo_config_has_generated_cameras_in_two_communities_covering_every_kind() -> None:
    city = load_city_config(DEMO)
    assert len(city.communities) == 2
    kinds: set[str] = set()
    for _, _, cam in city.cameras():
        spec = parse_sim_source(cam.source)
        assert spec.duration <= 120, "each demo camera must show its event within two minutes"
        kinds |= {e["kind"] for e in SimScene(spec).truth_events()}
    assert kinds == {"littering", "off_hours", "overflow"}


def test_resolve_renders_once_and_takes_the_scene_zones_and_schedule(tmp_path: Path) -> None:
    cam = CameraConfig(id="demo-x", source="sim:littering?seed=5&duration=40&size=320x180&fps=5")
    resolved, truth = resolve_camera(cam, tmp_path)
    video = Path(resolved.source)
    assert video == clip_dir(parse_sim_source(cam.source), tmp_path) / "video.mp4"
    assert video.stat().st_size > 0 and truth["events"][0]["kind"] == "littering"
    scene = SimScene(parse_sim_source(cam.source))
    expected = scene.camera_config(source="x")
    assert resolved.zones == expected.zones and resolved.schedule == expected.schedule
    assert resolved.id == "demo-x"
    mtime = video.stat().st_mtime_ns
    again, _ = resolve_camera(cam, tmp_path)
    assert again == resolved and video.stat().st_mtime_ns == mtime, "a rendered clip is reused"

    own = cam.model_copy(update={"zones": Zones(no_dump=[[[0, 0], [1, 0], [1, 1]]])})
    kept, _ = resolve_camera(own, tmp_path)
    assert kept.zones == own.zones, "a camera's own zones are kept"


def test_non_sim_cameras_pass_unchanged(tmp_path: Path) -> None:
    cam = CameraConfig(id="real", source="rtsp://192.0.2.1/stream")
    assert resolve_camera(cam, tmp_path) == (cam, {})


def test_a_render_cut_short_is_not_a_clip(tmp_path: Path) -> None:
    """write_clip writes video.mp4, then truth.json, then camera.yaml: only all of them make a finished clip."""
    for name in ("video.mp4", "truth.json"):
        (tmp_path / name).write_text("x")
        assert not clip_is_whole(tmp_path)
    (tmp_path / "camera.yaml").write_text("x")
    assert clip_is_whole(tmp_path)
