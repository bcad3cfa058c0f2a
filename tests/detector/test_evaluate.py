"""The interval maths of `detector.evaluate`: Wilson intervals and the F1 bootstrap over clips."""

from __future__ import annotations

import pytest

from detector.evaluate import KindScore, bootstrap_f1, wilson


@pytest.mark.parametrize(
    ("successes", "n", "lo", "hi"),
    [
        (8, 10, 0.4902, 0.9433),
        (10, 10, 0.7225, 1.0),
        (0, 10, 0.0, 0.2775),
        (1, 1, 0.2065, 1.0),
        (50, 100, 0.4038, 0.5962),
        (0, 0, 0.0, 1.0),  # nothing known
    ],
)
def test_wilson_interval_has_the_known_values(successes: int, n: int, lo: float, hi: float) -> None:
    got = wilson(successes, n)
    assert got == pytest.approx((lo, hi), abs=1e-4)
    assert 0.0 <= got[0] <= got[1] <= 1.0


@pytest.mark.parametrize(("successes", "n"), [(-1, 10), (11, 10), (1, 0)])
def test_wilson_refuses_impossible_counts(successes: int, n: int) -> None:
    with pytest.raises(ValueError, match="0 <= successes <= n"):
        wilson(successes, n)


def _clips(*counts: tuple[int, int, int]) -> list[KindScore]:
    return [KindScore("littering", t, p, m) for t, p, m in counts]


MIXED = _clips(*[(1, 1, 1)] * 16, (1, 0, 0), (0, 1, 0), (2, 2, 1), (0, 0, 0))


def test_bootstrap_f1_is_deterministic_for_a_seed_and_brackets_the_estimate() -> None:
    lo, hi = bootstrap_f1(MIXED, 2000, seed=[7, 1])
    assert (lo, hi) == bootstrap_f1(MIXED, 2000, seed=[7, 1])
    total = KindScore("littering", 20, 20, 17)  # the clips added up: F1 0.85
    assert lo < total.f1 < hi
    assert 0.6 < lo < 0.85 < hi <= 1.0


def test_bootstrap_f1_of_perfect_clips_is_a_point_and_of_no_clips_is_unknown() -> None:
    assert bootstrap_f1(_clips((1, 1, 1), (2, 2, 2), (0, 0, 0)), 500, seed=3) == (1.0, 1.0)
    assert bootstrap_f1([], 500, seed=3) == (0.0, 1.0)


def test_bootstrap_f1_scores_a_resample_as_kindscore_does() -> None:
    # One clip, so every resample is that clip: the interval is its F1 (no truths, one prediction: 0).
    assert bootstrap_f1(_clips((0, 1, 0)), 50, seed=0) == (0.0, 0.0)
    assert bootstrap_f1(_clips((3, 1, 1)), 50, seed=0) == pytest.approx((0.5, 0.5))


@pytest.mark.parametrize(("resamples", "level"), [(0, 0.95), (100, 1.0), (100, 0.0)])
def test_bootstrap_f1_refuses_bad_arguments(resamples: int, level: float) -> None:
    with pytest.raises(ValueError):
        bootstrap_f1(MIXED, resamples, seed=0, level=level)
