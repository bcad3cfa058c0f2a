"""`binwatch train` end to end on a tiny dataset: weights, a model card with measured figures, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_train_writes_weights_and_model_card(tmp_path: Path) -> None:
    data = tmp_path / "ds"
    subprocess.run(
        [sys.executable, "-m", "service", "sim-dataset", "--out", str(data), "--images", "24", "--seed", "9"],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "models" / "tiny.pt"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "train",
            "--data",
            str(data / "data.yaml"),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--imgsz",
            "320",
            "--batch",
            "8",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**_env(), "BINWATCH_CACHE": str(tmp_path / "cache")},
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert out.exists() and out.stat().st_size < 10e6
    card = out.with_suffix(".md").read_text()
    for needle in ("sim-dataset --out", "--seed 9", "binwatch train", "| 320 |", "| 640 |", "| all val |", "Limits"):
        assert needle in card, needle
    lights = json.loads((data / "dataset.json").read_text())["val_by_lighting"]
    for light, n in lights.items():
        assert (f"| {light} | {n} |" in card) == (n > 0), light
    assert (tmp_path / "cache" / "ultralytics" / "Ultralytics" / "Arial.ttf").exists(), "font staged locally"


def test_train_rejects_missing_data(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "train",
            "--data",
            str(tmp_path / "none.yaml"),
            "--out",
            str(tmp_path / "m.pt"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2 and "does not exist" in run.stderr


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
