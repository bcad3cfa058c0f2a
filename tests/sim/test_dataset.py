"""`binwatch sim-dataset`: a YOLO dataset that Ultralytics accepts, split by scene."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detector.yolo import check_dataset
from tests.conftest import binwatch


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ds")
    binwatch("sim-dataset", "--out", str(out), "--images", "60", "--seed", "3", check=True)
    return out


def test_dataset_passes_ultralytics_check(dataset: Path, no_network: list[object]) -> None:
    info = check_dataset(dataset / "data.yaml")
    assert info["names"] == {0: "person", 1: "garbage", 2: "bin"}
    assert no_network == []


def test_dataset_splits_by_scene_and_labels_every_image(dataset: Path) -> None:
    meta = json.loads((dataset / "dataset.json").read_text())
    assert not set(meta["train_scene_seeds"]) & set(meta["val_scene_seeds"])
    for split in ("train", "val"):
        images = sorted((dataset / "images" / split).glob("*.jpg"))
        assert images
        for img in images:
            label = dataset / "labels" / split / (img.stem + ".txt")
            assert label.exists()
            for row in label.read_text().splitlines():
                cls, *xywh = row.split()
                assert cls in {"0", "1", "2"} and all(0 <= float(v) <= 1 for v in xywh)
    listed = sum(len((dataset / f"val_{k}.txt").read_text().split()) for k in ("day", "dusk", "night"))
    assert listed == len(list((dataset / "images" / "val").glob("*.jpg")))
    assert meta["counts"]["train"]["garbage"] > 0 and meta["counts"]["train"]["person"] > 0


def test_too_few_images_is_a_clear_error(tmp_path: Path) -> None:
    run = binwatch("sim-dataset", "--out", str(tmp_path), "--images", "3", "--seed", "1")
    assert run.returncode == 2 and "--images must be at least 10" in run.stderr
