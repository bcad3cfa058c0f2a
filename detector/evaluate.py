"""Event-level accuracy of predictions against simulator ground truth (`binwatch eval`).

A prediction matches a truth event of the same kind when its bbox centre lies inside the truth
bbox enlarged by 50 % on each side and its confirmation time t_s lies in [t_drop_s, t_drop_s + 120].
Each truth event and each prediction is matched at most once (earliest prediction first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("littering", "off_hours", "overflow")
WINDOW_S = 120.0
ENLARGE = 0.5


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


def score(truths: Sequence[Mapping[str, Any]], preds: Sequence[Mapping[str, Any]]) -> dict[str, KindScore]:
    pairs = match(truths, preds)
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
