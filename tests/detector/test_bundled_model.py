"""The committed model loads offline and finds garbage in a clip the dataset never used."""

from __future__ import annotations

import pytest

from detector.detections import Role
from detector.tracks import iou
from detector.yolo import BUNDLED_MODEL, DetectorError, YoloDetector, load_model
from streams.decode import iter_file_frames

UNUSED_SEEDS = (424242, 434343)  # sim-dataset scene seeds start at 1,000,000


@pytest.mark.parametrize(("scenario", "seed"), [("littering", UNUSED_SEEDS[0]), ("night_littering", UNUSED_SEEDS[1])])
def test_bundled_model_finds_littered_garbage(render, no_network: list[object], scenario: str, seed: int) -> None:  # type: ignore[no-untyped-def]
    clip, truth = render(scenario, seed)
    event = truth["events"][0]
    detector = YoloDetector(BUNDLED_MODEL)
    assert set(detector.names.values()) == {"person", "garbage", "bin"}
    frames = [
        f
        for f in iter_file_frames(clip / "video.mp4", fps=1.0)
        if event["t_leave_s"] + 1 <= f.t_s <= event["t_leave_s"] + 10
    ]
    found = 0
    for dets in detector.detect([f.bgr for f in frames]):
        garbage = dets.of_role(Role.GARBAGE)
        if any(iou(tuple(box), tuple(event["bbox"])) >= 0.3 for box in garbage.xyxy):
            found += 1
        assert len(dets.of_role(Role.BIN)) >= 1
    assert found >= 0.8 * len(frames), f"garbage found in {found} of {len(frames)} frames"
    assert no_network == []


def test_missing_or_wrong_model_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DetectorError, match="does not exist"):
        load_model(tmp_path / "nope.pt")
    bad = tmp_path / "model.txt"
    bad.write_text("not a model")
    with pytest.raises(DetectorError, match="suffix"):
        load_model(bad)
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"\x00" * 100)
    with pytest.raises(DetectorError, match="cannot load model"):
        load_model(broken)


def test_detect_command_prints_a_line_per_second(render) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import binwatch

    clip, truth = render("littering", UNUSED_SEEDS[0])
    run = binwatch("detect", str(clip / "video.mp4"), "--fps", "1", check=True)
    rows = run.stdout.splitlines()[2:]
    assert len(rows) == int(truth["duration_s"])
    t_after = int(truth["events"][0]["t_leave_s"]) + 3
    assert int(rows[t_after].split()[2]) >= 1, "garbage counted once the bag lies there"
