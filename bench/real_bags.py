"""How a model's `garbage` boxes hold on real photos of garbage bags (the shared `malta-street-bags` set).

The bundled model was trained on generated scenes only; its card says to expect much lower accuracy on
real footage. This bench puts a number on that: 66 real phone photos of bags left on pavements (ground
level, not CCTV; 640x640, stretched from 4:3), 96 labelled bags (white, grey/clear, black, other). Every
box the model gives a garbage role (`detector.yolo.DEFAULT_ROLE_MAP`: garbage, trash, bag; `--as-garbage`
adds class names, e.g. a COCO model's suitcase or handbag) is matched to the labels, one to one, best score
first, at IoU >= 0.5 (and, for boxes that find the bag but not its outline, 0.3). It prints, per model:
precision and recall with 95 % Wilson intervals at the pipeline's own confidence threshold (0.25), AP50
(all-point, class-agnostic), and recall per kind of bag.

For evaluation only: never train on these photos (see the data's README).

    BINWATCH_EVAL_DATA=../shared/data/eval .venv/bin/python bench/real_bags.py [--model M ...] [--imgsz N]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import PIL.Image
from numpy.typing import NDArray

from detector.detections import Role
from detector.evaluate import wilson
from detector.tracks import iou
from detector.yolo import DEFAULT_IMGSZ, YoloDetector, default_model

Box = tuple[float, float, float, float]
PIPELINE_CONF = 0.25  # YoloDetector's default, the confidence every camera runs at
LOW_CONF = 0.01  # boxes kept for the precision-recall curve
IOUS = (0.5, 0.3)
BAG_KINDS = ("white", "grey/clear", "black", "other")  # the set's classes 0-3
SPLITS = ("valid", "test")


@dataclass(frozen=True)
class Photo:
    path: Path
    bags: list[tuple[int, Box]]  # (kind, xyxy pixels)


def read_labels(label: Path, width: int, height: int) -> list[tuple[int, Box]]:
    """YOLO ``cls cx cy w h`` lines (normalised) as (class, xyxy pixels); a malformed line is named."""
    out = []
    for n, line in enumerate(label.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            cls, cx, cy, w, h = line.split()
            k, x, y, bw, bh = int(cls), float(cx) * width, float(cy) * height, float(w) * width, float(h) * height
        except ValueError as e:
            raise ValueError(f"{label}:{n}: expected 'class cx cy w h', got {line!r}") from e
        out.append((k, (x - bw / 2, y - bh / 2, x + bw / 2, y + bh / 2)))
    return out


def load_photos(root: Path) -> list[Photo]:
    """Every labelled photo of the set under ``root`` (its valid and test splits)."""
    photos = []
    for split in SPLITS:
        images = root / split / "images"
        if not images.is_dir():
            raise FileNotFoundError(f"{images} is missing (expected the malta-street-bags set's {split} split)")
        for image in sorted(images.glob("*.jpg")):
            label = root / split / "labels" / (image.stem + ".txt")
            if not label.is_file():
                raise FileNotFoundError(f"{label} is missing: every photo of the set is labelled")
            try:
                with PIL.Image.open(image) as header:  # the size from the header; the pixels are read once, later
                    w, h = header.size
            except OSError as e:
                raise ValueError(f"{image} is not an image: {e}") from e
            photos.append(Photo(image, read_labels(label, w, h)))
    return photos


def match_boxes(truths: Sequence[Box], preds: Sequence[tuple[float, Box]], min_iou: float) -> list[int | None]:
    """For each prediction, best score first (the order given), the truth it matches (each truth once), or None."""
    used: set[int] = set()
    out: list[int | None] = []
    for _, box in preds:
        best, best_iou = None, min_iou
        for i, t in enumerate(truths):
            v = iou(box, t)
            if i not in used and v >= best_iou:
                best, best_iou = i, v
        if best is not None:
            used.add(best)
        out.append(best)
    return out


def average_precision(hits: Sequence[tuple[float, bool]], truths: int) -> float:
    """All-point interpolated AP of predictions (score, matched) pooled over images, against ``truths``."""
    if truths == 0:
        return 0.0
    order = sorted(hits, key=lambda h: -h[0])
    tp = np.cumsum([m for _, m in order], dtype=np.float64)
    fp = np.cumsum([not m for _, m in order], dtype=np.float64)
    recall = np.concatenate([[0.0], tp / truths, [1.0]]) if order else np.array([0.0, 1.0])
    precision = np.concatenate([[1.0], tp / np.maximum(tp + fp, 1), [0.0]]) if order else np.array([1.0, 0.0])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum(np.diff(recall) * precision[1:]))


@dataclass(frozen=True)
class ModelScore:
    name: str
    truths: int
    predictions: int  # at PIPELINE_CONF
    matched: dict[float, int]  # IoU threshold -> matched at PIPELINE_CONF
    ap50: float
    recall_by_kind: dict[str, tuple[int, int]]  # kind -> (found at IoU 0.5, labelled)


def score_model(photos: Sequence[Photo], garbage: Sequence[list[tuple[float, Box]]], name: str) -> ModelScore:
    """Scores one model's garbage boxes (per photo, any confidence >= LOW_CONF) against the labels."""
    truths = sum(len(p.bags) for p in photos)
    matched = dict.fromkeys(IOUS, 0)
    predictions = 0
    hits: list[tuple[float, bool]] = []
    found = {k: [0, 0] for k in BAG_KINDS}
    for photo, preds in zip(photos, garbage, strict=True):
        boxes = [b for _, b in photo.bags]
        ranked = sorted(preds, key=lambda p: -p[0])
        hits += [(s, m is not None) for (s, _), m in zip(ranked, match_boxes(boxes, ranked, 0.5), strict=True)]
        confident = [p for p in ranked if p[0] >= PIPELINE_CONF]
        predictions += len(confident)
        found_at = {t: {m for m in match_boxes(boxes, confident, t) if m is not None} for t in IOUS}
        for threshold, bags in found_at.items():
            matched[threshold] += len(bags)
        got = found_at[0.5]
        for i, (kind, _) in enumerate(photo.bags):
            label = BAG_KINDS[kind] if 0 <= kind < len(BAG_KINDS) else "other"
            found[label][1] += 1
            found[label][0] += i in got
    return ModelScore(
        name, truths, predictions, matched, average_precision(hits, truths), {k: (v[0], v[1]) for k, v in found.items()}
    )


def garbage_boxes(detector: YoloDetector, photos: Sequence[Photo]) -> list[list[tuple[float, Box]]]:
    out = []
    for photo in photos:
        image = cv2.imread(str(photo.path))
        if image is None:
            raise ValueError(f"{photo.path} does not decode as an image")
        d = detector.detect([np.asarray(image, np.uint8)])[0].of_role(Role.GARBAGE)
        xyxy: NDArray[np.float32] = d.xyxy
        out.append(
            [
                (float(s), (float(b[0]), float(b[1]), float(b[2]), float(b[3])))
                for b, s in zip(xyxy, d.confidence, strict=True)
            ]
        )
    return out


def report(s: ModelScore) -> list[str]:
    lines = [f"{s.name}: {s.truths} labelled bags, {s.predictions} garbage boxes at confidence >= {PIPELINE_CONF}"]
    for threshold in IOUS:
        m = s.matched[threshold]
        p_lo, p_hi = wilson(m, s.predictions)
        r_lo, r_hi = wilson(m, s.truths)
        precision = f"{m / s.predictions:.3f} [{p_lo:.3f}, {p_hi:.3f}]" if s.predictions else "- (no boxes)"
        recall = f"{m / s.truths:.3f} [{r_lo:.3f}, {r_hi:.3f}]"
        lines.append(f"  IoU >= {threshold}: matched {m}; precision {precision}; recall {recall}")
    lines.append(f"  AP50 (all confidences >= {LOW_CONF}): {s.ap50:.3f}")
    lines.append("  recall by bag (IoU >= 0.5): " + ", ".join(f"{k} {f}/{n}" for k, (f, n) in s.recall_by_kind.items()))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, default=None, help="the set (default $BINWATCH_EVAL_DATA/malta-street-bags)")
    ap.add_argument("--model", type=Path, action="append", default=None, help="default: the bundled model")
    ap.add_argument("--imgsz", type=int, default=DEFAULT_IMGSZ, help=f"model input size (default {DEFAULT_IMGSZ})")
    ap.add_argument("--as-garbage", default="", help="more class names to count as garbage, comma-separated")
    args = ap.parse_args(argv)
    root = args.data
    if root is None:
        if not os.environ.get("BINWATCH_EVAL_DATA"):
            ap.error("set BINWATCH_EVAL_DATA (e.g. ../shared/data/eval) or give --data")
        root = Path(os.environ["BINWATCH_EVAL_DATA"]) / "malta-street-bags"
    try:
        photos = load_photos(root)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    extra = {n: Role.GARBAGE for n in args.as_garbage.split(",") if n}
    print(f"{len(photos)} photos, {sum(len(p.bags) for p in photos)} labelled bags, from {root}")
    for model in args.model or [default_model()]:
        detector = YoloDetector(model, imgsz=args.imgsz, conf=LOW_CONF, role_overrides=extra)
        kinds = sorted({detector.names[i] for i, r in detector.roles.index_to_role.items() if r is Role.GARBAGE})
        name = f"{model.name} at {args.imgsz} px (garbage: {', '.join(kinds) or 'no class'})"
        for line in report(score_model(photos, garbage_boxes(detector, photos), name)):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
