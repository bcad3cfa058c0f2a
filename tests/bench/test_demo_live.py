"""The live demo bench's judgement (`bench/demo_live.py`): first appearance per kind, and every loop of each camera."""

from __future__ import annotations

import pytest

from bench.demo_live import DemoCamera, Seen, judge

CAMS = [DemoCamera("a", 90.0, frozenset({"littering"})), DemoCamera("b", 120.0, frozenset({"off_hours", "overflow"}))]


def seen(cam: str, kind: str, t_start_s: float, listed_s: float = 30.0) -> Seen:
    return Seen(cam, kind, t_start_s, listed_s)


@pytest.mark.parametrize(
    ("events", "ran_s", "first_ok", "missing"),
    [
        (  # every kind in each of the loops that ended (a: 2 of 90 s, b: 1 of 120 s; the loop under way is not judged)
            [seen("a", "littering", 20), seen("a", "littering", 110), seen("b", "off_hours", 15),
             seen("b", "overflow", 40)],
            {"a": 200.0, "b": 200.0}, True, {"a": [], "b": []},
        ),
        (  # a's second loop reported nothing
            [seen("a", "littering", 20), seen("b", "off_hours", 15), seen("b", "overflow", 40)],
            {"a": 200.0, "b": 200.0}, True, {"a": [(1, ["littering"])], "b": []},
        ),
        (  # overflow only in b's second loop, listed 150 s after the server answered
            [seen("a", "littering", 20), seen("b", "off_hours", 15), seen("b", "off_hours", 130),
             seen("b", "overflow", 160, listed_s=150.0)],
            {"a": 80.0, "b": 250.0}, False, {"a": [], "b": [(0, ["overflow"])]},
        ),
        ([], {"a": 10.0, "b": 10.0}, False, {"a": [], "b": []}),  # nothing yet, no loop ended: only too late
    ],
)  # fmt: skip
def test_the_demo_is_judged_per_kind_and_per_loop(
    events: list[Seen], ran_s: dict[str, float], first_ok: bool, missing: dict[str, list[tuple[int, list[str]]]]
) -> None:
    v = judge(CAMS, events, ran_s)
    assert (v.first_ok, v.missing, v.loops_ok) == (first_ok, missing, not any(missing.values()))
