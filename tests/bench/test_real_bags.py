"""The real-bags bench (`bench/real_bags.py`): its matching and AP, and a run on the shared real photos."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import real_bags
from bench.real_bags import Photo, average_precision, match_boxes, read_labels, score_model

A, B = (0.0, 0.0, 10.0, 10.0), (20.0, 20.0, 30.0, 30.0)


@pytest.mark.parametrize(
    ("preds", "min_iou", "expected"),
    [
        ([(0.9, A)], 0.5, [0]),
        ([(0.9, (0.0, 0.0, 10.0, 4.0))], 0.5, [None]),  # IoU 0.4
        ([(0.9, (0.0, 0.0, 10.0, 4.0))], 0.3, [0]),
        ([(0.9, A), (0.8, (1.0, 0.0, 11.0, 10.0))], 0.5, [0, None]),  # a second box on one bag is a false one
        ([(0.9, (0.0, 0.0, 24.0, 24.0)), (0.8, B)], 0.01, [0, 1]),  # over both bags: it takes the better (A)
        ([], 0.5, []),
    ],
)
def test_each_bag_is_matched_once_best_score_first(
    preds: list[tuple[float, real_bags.Box]], min_iou: float, expected: list[int | None]
) -> None:
    assert match_boxes([A, B], preds, min_iou) == expected


@pytest.mark.parametrize(
    ("hits", "truths", "ap"),
    [
        ([(0.9, True), (0.8, True)], 2, 1.0),
        ([(0.9, True), (0.8, False)], 2, 0.5),
        ([(0.9, False), (0.8, True)], 1, 0.5),  # the one bag found after a false box: precision 1/2 there
        ([], 3, 0.0),
        ([(0.9, False)], 3, 0.0),
    ],
)
def test_average_precision(hits: list[tuple[float, bool]], truths: int, ap: float) -> None:
    assert average_precision(hits, truths) == pytest.approx(ap)


def test_a_bad_label_line_is_named(tmp_path: Path) -> None:
    label = tmp_path / "a.txt"
    label.write_text("1 0.5 0.5 0.2 0.2\n2 0.5 oops 0.2 0.2\n")
    with pytest.raises(ValueError, match=r"a\.txt:2: expected 'class cx cy w h'"):
        read_labels(label, 640, 640)
    label.write_text("1 0.5 0.5 0.2 0.25\n")
    assert read_labels(label, 640, 640) == [(1, (256.0, 240.0, 384.0, 400.0))]


def test_scores_count_every_bag_and_box_per_kind() -> None:
    photos = [Photo(Path("x.jpg"), [(0, A), (2, B)]), Photo(Path("y.jpg"), [(1, A)])]
    boxes = [[(0.9, A), (0.1, B)], [(0.5, B)]]  # B in x is below the pipeline's confidence; y's box misses
    s = score_model(photos, boxes, "m")
    assert (s.truths, s.predictions, s.matched[0.5]) == (3, 2, 1)
    assert s.recall_by_kind == {"white": (1, 1), "grey/clear": (0, 1), "black": (0, 1), "other": (0, 0)}
    assert s.ap50 == pytest.approx(5 / 9)  # A (hit), y's B (miss), x's B (hit): 1 x 1/3 + 2/3 x 1/3


def test_the_bench_reads_the_shared_real_photos(eval_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = eval_data / "malta-street-bags"
    assert real_bags.main(["--data", str(root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("66 photos, 96 labelled bags")
    assert out[1].startswith("binwatch-synth-n") and "96 labelled bags" in out[1]
    assert any(line.startswith("  AP50") for line in out) and "recall by bag" in out[-1]
    assert real_bags.main(["--data", str(root / "nowhere")]) == 2
