"""One model serves many cameras: frames submitted from several threads are batched and answered."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from detector.batching import BatchingDetector
from detector.detections import Detections
from detector.tracks import iou
from detector.yolo import BUNDLED_MODEL, BUNDLED_OPENVINO, YoloDetector, default_model, export_source_matches
from streams.decode import iter_file_frames


@pytest.fixture(scope="module")
def detector() -> YoloDetector:
    return YoloDetector(BUNDLED_MODEL)


def _frames(render, n: int) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    clip, _ = render("crowd", 31, duration_s=40.0, width=640, height=360, fps=5.0)
    return [f.bgr for f in iter_file_frames(clip / "video.mp4", fps=0.3)][:n]


def test_frames_from_many_cameras_are_batched_and_match_direct_inference(render, detector: YoloDetector) -> None:  # type: ignore[no-untyped-def]
    frames = _frames(render, 12)
    direct = detector.detect(frames)
    batching = BatchingDetector(detector, max_batch=4, max_wait_ms=200.0)
    results: dict[int, Detections] = {}
    start = threading.Barrier(3)

    def camera(k: int) -> None:  # three cameras, each submitting its own frames in order
        start.wait()
        futures = {i: batching.submit(frames[i]) for i in range(k, len(frames), 3)}
        for i, fut in futures.items():
            results[i] = fut.result(timeout=60)

    threads = [threading.Thread(target=camera, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batching.close()
    assert sorted(results) == list(range(len(frames)))
    for i, want in enumerate(direct):
        got = results[i]
        assert np.array_equal(got.role, want.role)
        assert np.allclose(got.xyxy, want.xyxy, atol=1.0), f"frame {i}: batched boxes differ from direct ones"
    assert batching.stats.frames == len(frames)
    assert batching.stats.batches < len(frames), "frames submitted together must share batches"
    assert batching.stats.mean_batch > 1.5
    assert batching.stats.failures == 0


def test_a_failing_batch_reaches_its_cameras_and_the_next_batch_still_runs(render, detector: YoloDetector) -> None:  # type: ignore[no-untyped-def]
    good = _frames(render, 1)[0]
    batching = BatchingDetector(detector, max_batch=8, max_wait_ms=1.0)
    bad: Future[Detections] = batching.submit(np.zeros((0, 0, 3), np.uint8))  # not an image
    with pytest.raises(Exception):  # noqa: B017 - whatever the model raises reaches the camera
        bad.result(timeout=60)
    after = batching.submit(good).result(timeout=60)
    batching.close()
    assert batching.stats.failures == 1
    assert len(after) > 0


def _agreement(got_detector: YoloDetector, want_detector: YoloDetector, frames: list[np.ndarray]) -> tuple[int, int]:
    """(boxes of ``want_detector`` that ``got_detector`` also finds with IoU >= 0.7 and the same role, all boxes)."""
    matched = total = 0
    for got, want in zip(got_detector.detect(frames), want_detector.detect(frames), strict=True):
        for box, role in zip(want.xyxy, want.role, strict=True):
            total += 1
            matched += any(iou(tuple(box), tuple(other)) >= 0.7 for other in got.xyxy[got.role == role])
    return matched, total


def test_openvino_export_loads_and_agrees_with_the_pytorch_model(
    render: Any, tmp_path: Path, detector: YoloDetector
) -> None:
    from tests.conftest import binwatch

    pt = tmp_path / BUNDLED_MODEL.name
    pt.write_bytes(BUNDLED_MODEL.read_bytes())
    run = binwatch("export", str(pt), "--half", check=True)
    ov = tmp_path / "binwatch-synth-n_openvino_model"
    assert (ov / "binwatch-synth-n.xml").is_file(), run.stdout
    assert export_source_matches(ov, pt)
    ov_detector = YoloDetector(ov)
    assert ov_detector.names == detector.names
    matched, total = _agreement(ov_detector, detector, _frames(render, 6))
    # FP16-stored IR: nearly the same boxes; a box near the confidence threshold may come or go
    assert total >= 10 and matched >= 0.9 * total, f"{matched} of {total} boxes matched"
    pt.write_bytes(pt.read_bytes() + b"\0")  # retrained (changed) since the export
    assert not export_source_matches(ov, pt)


def test_the_committed_openvino_copy_is_the_bundled_model_and_runs_by_default(
    render: Any, detector: YoloDetector
) -> None:
    stale = "stale: re-run `binwatch export models/binwatch-synth-n.pt --half`"
    assert export_source_matches(BUNDLED_OPENVINO, BUNDLED_MODEL), stale
    assert default_model() == BUNDLED_OPENVINO
    matched, total = _agreement(YoloDetector(BUNDLED_OPENVINO), detector, _frames(render, 6))
    assert total >= 10 and matched >= 0.9 * total, f"{matched} of {total} boxes matched"


def test_export_refuses_a_model_that_is_not_pt(tmp_path: Path) -> None:
    from tests.conftest import binwatch

    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"not a model")
    run = binwatch("export", str(onnx))
    assert run.returncode == 2 and "can only export a .pt model" in run.stderr
