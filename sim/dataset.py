"""Builds a YOLO detection dataset (person, garbage, bin) from random frames of random scenes.

Train and val come from different scene seeds, so no validation layout is ever trained on. The
val split is also listed per lighting (val_day.txt, val_dusk.txt, val_night.txt) so a model's
accuracy can be reported for day and night separately.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import yaml

from sim.clip import yolo_lines
from sim.render import CLASS_NAMES
from sim.scenarios import Scenario
from sim.scene import TIMEZONE, SimScene, SimSpec

SIZES = ((640, 360), (704, 576), (800, 600), (960, 540), (1280, 720), (1920, 1080))
FRAMES_PER_SCENE = 6
MAX_SIDE = 640  # images are stored downscaled; YOLO trains at 320/640 anyway
VAL_FRACTION = 0.2


TRAIN_SEED_BASE = 1_000_000  # scene seeds of the training split start here (benches keep below it)
VAL_SEED_BASE = 2_000_000


def scene_specs(seed: int, n_scenes: int, split: str) -> list[SimSpec]:
    """Deterministic scene list for a split; train and val seeds never overlap."""
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    base = TRAIN_SEED_BASE if split == "train" else VAL_SEED_BASE
    specs = []
    scenarios = [s for s in Scenario]
    for i in range(n_scenes):
        sc = scenarios[int(rng.integers(0, len(scenarios)))]
        w, h = SIZES[int(rng.integers(0, len(SIZES)))]
        day = dt.date(2026, 6, 1) + dt.timedelta(days=int(rng.integers(0, 180)))
        start = dt.datetime.combine(day, dt.time(0), ZoneInfo(TIMEZONE)) + dt.timedelta(
            seconds=int(rng.integers(0, 86400))
        )
        specs.append(SimSpec(scenario=sc, seed=base + seed * 10_000 + i, width=w, height=h, start=start))
    return specs


def _sample_times(scene: SimScene, rng: np.random.Generator, k: int) -> list[float]:
    """Mostly moments when someone is in view (people are the rare class), plus one at random."""
    people = scene.script.people
    times = []
    for _ in range(k - 1):
        if people:
            p = people[int(rng.integers(0, len(people)))]
            times.append(float(rng.uniform(p.path.t_enter, min(p.path.t_exit, scene.spec.duration))))
        else:
            times.append(float(rng.uniform(0, scene.spec.duration)))
    return [*times, float(rng.uniform(0, scene.spec.duration))]


def build_dataset(
    out: Path, n_images: int, seed: int, progress: Callable[[int, int], None] | None = None
) -> dict[str, object]:
    if n_images < 10:
        raise ValueError(f"--images must be at least 10; got {n_images}")
    n_val = max(1, round(n_images * VAL_FRACTION / FRAMES_PER_SCENE))
    n_train = max(1, round(n_images * (1 - VAL_FRACTION) / FRAMES_PER_SCENE))
    counts: dict[str, dict[str, int]] = {}
    lists: dict[str, list[str]] = {"day": [], "dusk": [], "night": []}
    done, total = 0, (n_val + n_train) * FRAMES_PER_SCENE
    for split, n in (("train", n_train), ("val", n_val)):
        img_dir, lbl_dir = out / "images" / split, out / "labels" / split
        img_dir.mkdir(parents=True, exist_ok=True)
        lbl_dir.mkdir(parents=True, exist_ok=True)
        per_class = [0, 0, 0]
        for spec in scene_specs(seed, n, split):
            scene = SimScene(spec)
            rng = np.random.default_rng([spec.seed, 9])
            for j, t in enumerate(_sample_times(scene, rng, FRAMES_PER_SCENE)):
                img, boxes = scene.renderer.render(t, int(t * spec.fps))
                scale = MAX_SIDE / max(spec.width, spec.height)
                if scale < 1:
                    img = np.asarray(
                        cv2.resize(
                            img,
                            (round(spec.width * scale), round(spec.height * scale)),
                            interpolation=cv2.INTER_AREA,
                        )
                    )
                name = f"{spec.scenario.value}_{spec.seed}_{j}"
                quality = int(rng.integers(45, 96))
                cv2.imwrite(str(img_dir / f"{name}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, quality])
                (lbl_dir / f"{name}.txt").write_text(
                    "".join(line + "\n" for line in yolo_lines(boxes, spec.width, spec.height))
                )
                for b in boxes:
                    per_class[b.cls] += 1
                if split == "val":
                    lists[scene.lighting.value].append(f"./images/val/{name}.jpg")
                done += 1
                if progress is not None:
                    progress(done, total)
        counts[split] = {
            "images": n * FRAMES_PER_SCENE,
            **{c: per_class[i] for i, c in enumerate(CLASS_NAMES)},
        }
    for light, files in lists.items():
        (out / f"val_{light}.txt").write_text("".join(f + "\n" for f in files))
    data = {
        "path": str(out.resolve()),
        "train": "images/train",
        "val": "images/val",
        "names": dict(enumerate(CLASS_NAMES)),
    }
    (out / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    meta = {
        "command": f"binwatch sim-dataset --out {shlex.quote(str(out))} --images {n_images} --seed {seed}",
        "seed": seed,
        "images": n_images,
        "frames_per_scene": FRAMES_PER_SCENE,
        "train_scene_seeds": [s.seed for s in scene_specs(seed, n_train, "train")],
        "val_scene_seeds": [s.seed for s in scene_specs(seed, n_val, "val")],
        "counts": counts,
        "val_by_lighting": {k: len(v) for k, v in lists.items()},
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (out / "dataset.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta
