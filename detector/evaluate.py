"""Event-level accuracy of predictions against simulator ground truth (`binwatch eval`).

A prediction matches a truth event of the same kind when its bbox centre lies inside the truth
bbox enlarged by 50 % on each side and its confirmation time t_s lies in [t_drop_s, t_drop_s + 120].
Each truth event and each prediction is matched at most once (earliest prediction first).

Also the 95 % intervals the accuracy bench prints: `wilson` for a proportion (precision, recall, a
share of clips) and `bootstrap_f1`, a percentile bootstrap of F1 over clips.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

KINDS = ("littering", "off_hours", "overflow")
WINDOW_S = 120.0
ENLARGE = 0.5
Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile: two-sided 95 %


@dataclass(frozen=True)
class KindScore:
    kind: str
    truths: int
    predictions: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.predictions if self.predictions else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.truths if self.truths else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _matches(pred: Mapping[str, Any], truth: Mapping[str, Any]) -> bool:
    x1, y1, x2, y2 = truth["bbox"]
    dx, dy = (x2 - x1) * ENLARGE, (y2 - y1) * ENLARGE
    px1, py1, px2, py2 = pred["bbox"]
    cx, cy = (px1 + px2) / 2, (py1 + py2) / 2
    inside = x1 - dx <= cx <= x2 + dx and y1 - dy <= cy <= y2 + dy
    return bool(inside and truth["t_drop_s"] <= pred["t_s"] <= truth["t_drop_s"] + WINDOW_S)


def match(
    truths: Sequence[Mapping[str, Any]], preds: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(truth, prediction) pairs, same kind, each used once."""
    pairs = []
    used: set[int] = set()
    for p in sorted(preds, key=lambda e: e["t_s"]):
        for i, t in enumerate(truths):
            if i not in used and t["kind"] == p["kind"] and _matches(p, t):
                used.add(i)
                pairs.append((t, p))
                break
    return pairs


def score(
    truths: Sequence[Mapping[str, Any]],
    preds: Sequence[Mapping[str, Any]],
    pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]] | None = None,
) -> dict[str, KindScore]:
    """Counts per kind; ``pairs``, where the caller has matched already, is ``match(truths, preds)``."""
    pairs = match(truths, preds) if pairs is None else pairs
    return {
        k: KindScore(
            k,
            sum(1 for t in truths if t["kind"] == k),
            sum(1 for p in preds if p["kind"] == k),
            sum(1 for t, _ in pairs if t["kind"] == k),
        )
        for k in KINDS
    }


def add(scores: Iterable[dict[str, KindScore]]) -> dict[str, KindScore]:
    total = {k: KindScore(k, 0, 0, 0) for k in KINDS}
    for s in scores:
        for k, v in s.items():
            t = total[k]
            total[k] = KindScore(k, t.truths + v.truths, t.predictions + v.predictions, t.matched + v.matched)
    return total


def format_table(scores: Mapping[str, KindScore]) -> str:
    lines = [f"{'kind':10s} {'truth':>5s} {'pred':>5s} {'match':>5s} {'precision':>9s} {'recall':>6s} {'F1':>5s}"]
    for s in scores.values():
        counts = f"{s.kind:10s} {s.truths:5d} {s.predictions:5d} {s.matched:5d}"
        lines.append(f"{counts} {s.precision:9.3f} {s.recall:6.3f} {s.f1:5.3f}")
    return "\n".join(lines)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval (lo, hi) of the proportion ``successes / n``, 95 % by default.

    Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or n successes
    (8 of 10: about 0.490..0.943; 10 of 10: about 0.722..1). With n = 0 nothing is known: (0, 1).
    """
    if not 0 <= successes <= n:
        raise ValueError(f"wilson needs 0 <= successes <= n; got {successes} of {n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # At 0 or n successes the bound is exactly 0 or 1; rounding would leave it a hair inside.
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def bootstrap_f1(
    clips: Sequence[KindScore], resamples: int = 2000, seed: int | Sequence[int] = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval (lo, hi) of one kind's F1 over clips.

    ``clips`` holds the kind's counts per clip; each resample draws as many clips with replacement,
    adds their counts and takes F1 as `KindScore.f1` does (precision 1 without predictions, recall 1
    without truths). Clips, not events, are resampled: events of one clip share its site and light.
    The same ``seed`` gives the same interval. With no clips nothing is known: (0, 1).
    """
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1; got {resamples}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")
    if not clips:
        return 0.0, 1.0
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(clips), size=(resamples, len(clips)))
    t, p, m = (np.array(col, dtype=np.int64)[pick].sum(axis=1) for col in _columns(clips))
    precision = np.where(p > 0, m / np.maximum(p, 1), 1.0)
    recall = np.where(t > 0, m / np.maximum(t, 1), 1.0)
    both = precision + recall
    f1 = np.where(both > 0, 2 * precision * recall / np.where(both > 0, both, 1.0), 0.0)
    lo, hi = np.percentile(f1, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def _columns(clips: Sequence[KindScore]) -> tuple[list[int], list[int], list[int]]:
    return [c.truths for c in clips], [c.predictions for c in clips], [c.matched for c in clips]
