"""Rendered clips: the files `binwatch sim` writes, and what is visible in the video."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from config import load_camera_config
from sim.clip import camera_kbps
from streams.decode import iter_file_frames
from tests.conftest import binwatch


def _frame_at(video: Path, t: float) -> np.ndarray:
    best = None
    for f in iter_file_frames(video):
        best = f.bgr
        if f.t_s >= t:
            break
    assert best is not None
    return best


def test_sim_cli_writes_browser_playable_h264_truth_and_camera_config(tmp_path: Path) -> None:
    out = tmp_path / "clip"
    binwatch("sim", "--scenario", "littering", "--seed", "31", "--out", str(out), "--duration", "40",
             "--size", "640x360", "--fps", "5", "--labels", check=True)  # fmt: skip
    with av.open(str(out / "video.mp4")) as c:
        s = c.streams.video[0]
        assert (s.codec_context.name, s.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert (s.width, s.height) == (640, 360)
        assert sum(1 for _ in c.decode(s)) == 200
    head = (out / "video.mp4").read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096), "faststart: moov first"
    truth = json.loads((out / "truth.json").read_text())
    assert truth["fps"] == 5 and truth["size"] == [640, 360] and truth["frames"] == 200
    assert [e["kind"] for e in truth["events"]] == ["littering"]
    cam = load_camera_config(out / "camera.yaml")
    assert cam.source == "video.mp4" and len(cam.zones.bins) == 1 and cam.schedule is not None
    labels = sorted((out / "labels").glob("*.txt"))
    assert len(labels) == 200
    rows = [line.split() for line in labels[-1].read_text().splitlines()]
    assert {r[0] for r in rows} >= {"1", "2"}, "garbage and bins are labelled in the last frame"
    assert all(0 <= float(v) <= 1 for r in rows for v in r[1:])


def test_two_renders_of_one_clip_at_once_both_finish_it_whole(tmp_path: Path) -> None:
    """Two benches sharing a clip cache render the same clip at the same moment: neither fails, and the clip
    they leave plays. (With one temporary name for both, one renamed the other's half-written video away.)"""
    out = tmp_path / "clip"
    args = ["sim", "--scenario", "littering", "--seed", "5", "--out", str(out), "--duration", "40",
            "--size", "320x240", "--fps", "4"]  # fmt: skip
    command = [sys.executable, "-m", "service", *args]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [r.communicate(timeout=300)[0].decode(errors="replace") for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    with av.open(str(out / "video.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 160
    assert json.loads((out / "truth.json").read_text())["frames"] == 160
    assert sorted(p.name for p in out.iterdir()) == ["camera.yaml", "truth.json", "video.mp4"], "no temporary left"


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    """A seed reproduces its clip byte for byte, so a miss found in a sweep can be rendered again and traced."""
    for name in ("a", "b"):
        binwatch("sim", "--scenario", "overflow", "--seed", "8", "--out", str(tmp_path / name), "--duration", "40",
                 "--size", "320x240", "--fps", "2", check=True)  # fmt: skip
    for file in ("truth.json", "camera.yaml", "video.mp4"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    # x264 with several threads may encode the same frames differently from run to run (under load it does:
    # a left-object test failed in the full suite on such a variant); one thread never does. x264 writes its
    # settings into the stream.
    settings = (tmp_path / "a" / "video.mp4").read_bytes()
    assert b" threads=1 " in settings, "the clip is encoded with one x264 thread"
    # As a camera encodes: no B-frames, the deblocking filter and CABAC on.
    assert b" bframes=0 " in settings and b" deblock=1:0:0 " in settings and b"cabac=1 " in settings


@pytest.mark.parametrize(("scenario", "seed"), [("littering", 101), ("night_littering", 102), ("beside_bin", 103)])
def test_littered_garbage_is_visible_at_its_truth_bbox(render, scenario: str, seed: int) -> None:  # type: ignore[no-untyped-def]
    """After t_drop_s the truth bbox shows something that the empty scene did not; elsewhere little changes."""
    clip, truth = render(scenario, seed)
    e = truth["events"][0]
    x1, y1, x2, y2 = (round(v) for v in e["bbox"])
    empty = _frame_at(clip / "video.mp4", 0.5).astype(np.int16)
    later = _frame_at(clip / "video.mp4", e["t_leave_s"] + 6.0).astype(np.int16)
    inside = float(np.abs(later[y1:y2, x1:x2] - empty[y1:y2, x1:x2]).mean())
    h, w = empty.shape[:2]
    corner = (
        (slice(0, h // 6), slice(0, w // 6))
        if x1 > w // 4 or y1 > h // 4
        else (slice(-h // 6, None), slice(-w // 6, None))
    )
    outside = float(np.abs(later[corner] - empty[corner]).mean())
    assert inside > 12.0, f"garbage region barely changed ({inside:.1f})"
    assert inside > 3 * outside, f"inside {inside:.1f} vs background {outside:.1f}"


@pytest.mark.parametrize(("size", "seed"), [("640x360", 6), ("1280x720", 6)])
def test_a_noisy_scene_stays_under_the_cameras_peak_bitrate(tmp_path: Path, size: str, seed: int) -> None:
    """A camera's encoder holds a peak rate by resolution: this noisy crowd (CRF 21) came out at many times
    that rate under CRF alone (`bench/sim_speed.py --encoders --seed 6`: 55 Mbit/s at 1920x1080), which no
    real main stream carries."""
    out = tmp_path / "clip"
    binwatch("sim", "--scenario", "crowd", "--seed", str(seed), "--out", str(out), "--duration", "40",
             "--size", size, "--fps", "10", check=True)  # fmt: skip
    width, height = map(int, size.split("x"))
    cap_kbps = camera_kbps(width, height)
    settings = (out / "video.mp4").read_bytes()
    assert f" vbv_maxrate={cap_kbps} ".encode() in settings and b" keyint=20 " in settings
    with av.open(str(out / "video.mp4")) as c:
        stream = c.streams.video[0]
        sizes = [p.size for p in c.demux(stream) if p.size]
    seconds = [sum(sizes[i : i + 10]) * 8 / 1000 for i in range(0, len(sizes) - 9, 10)]
    assert len(seconds) == 40
    # The first second may also spend the encoder's one-second buffer, as a camera's may.
    assert max(seconds[1:]) <= 1.1 * cap_kbps, f"{max(seconds[1:]):.0f} kbit/s in a second, cap {cap_kbps}"
    mean = sum(seconds) / len(seconds)
    assert 0.5 * cap_kbps <= mean <= 1.05 * cap_kbps, f"mean {mean:.0f} kbit/s, cap {cap_kbps}"
