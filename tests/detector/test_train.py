"""`binwatch train` end to end on a tiny dataset: weights, a model card with measured figures, offline."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import binwatch


def test_train_writes_weights_and_model_card(tmp_path: Path) -> None:
    data = tmp_path / "ds"
    binwatch("sim-dataset", "--out", str(data), "--images", "24", "--seed", "9", check=True)
    out = tmp_path / "models" / "tiny.pt"
    args = ("--out", str(out), "--epochs", "1", "--imgsz", "320", "--batch", "8")
    binwatch("train", "--data", str(data / "data.yaml"), *args, env={"BINWATCH_CACHE": str(tmp_path / "cache")},
             check=True)  # fmt: skip
    assert out.exists() and out.stat().st_size < 10e6
    card = out.with_suffix(".md").read_text()
    for needle in ("sim-dataset --out", "--seed 9", "binwatch train", "| 320 |", "| 640 |", "| all val |", "Limits"):
        assert needle in card, needle
    lights = json.loads((data / "dataset.json").read_text())["val_by_lighting"]
    for light, n in lights.items():
        assert (f"| {light} | {n} |" in card) == (n > 0), light
    assert (tmp_path / "cache" / "ultralytics" / "Ultralytics" / "Arial.ttf").exists(), "font staged locally"


def test_train_rejects_missing_data(tmp_path: Path) -> None:
    run = binwatch("train", "--data", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "m.pt"))
    assert run.returncode == 2 and "does not exist" in run.stderr
