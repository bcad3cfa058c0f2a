"""Whether a garbage candidate is a plausible thing on the ground, judged by the scene's own scale.

The scale is learned from the people the camera sees: where each person's feet are (the bottom row of
their box) and how tall they are there. On flat ground a person's height in pixels grows linearly with
the row of their feet, so a line fitted through (feet row, height) says how large a person, and so a bag,
would be at any row, and where the ground ends (the row where that height reaches zero: the horizon).

A candidate is not a thing on the ground when, at the row it stands on:
- the ground is gone (at or above the horizon: a wall, a sign, the sky), or
- it lies well beyond every row where anyone's feet were seen: garbage is put down by people, within their
  reach of where they stood (a table top, a window sill, a shelf are not where feet go), or
- its size does not fit a thing there: larger than 1.5 people, or thinner than 3 % of one, or a sliver
  whose long side is more than MAX_ASPECT times its short side (a kerb line, the edge of a shadow).

Until enough people have been seen (the first minutes of a camera), nothing is judged but the sliver's
shape at the top of the picture, where a thing on the ground would be farthest and least likely.

Pure: people and time are passed in; one instance per camera.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from detector.tracks import Box

MIN_SAMPLES = 20  # people seen (one sample per person per SAMPLE_EVERY_S) before the scale is trusted
MIN_PEOPLE = 3  # ... from at least this many tracks
MIN_ROW_SPREAD = 0.08  # ... whose feet span at least this share of the picture's height (else: one height)
SAMPLES_KEPT = 400
SAMPLE_EVERY_S = 1.0
EDGE_PX = 2.0  # a box this close to the picture's edge is cut off: its height says nothing
REACH = 0.6  # garbage lies at most this many people's heights beyond the farthest feet seen ...
TOP_BAND = 0.2  # ... and a sliver in this top share of the picture is no ground object even before
MAX_SIZE = 1.5  # people's heights: the longest side of a plausible object at that row
MIN_THIN = 0.03  # people's heights: its shortest side
MAX_ASPECT = 6.0  # long side over short side


@dataclass(frozen=True)
class Scale:
    """A person's height in pixels as a function of the row of their feet: ``slope * row + offset``."""

    slope: float
    offset: float
    top_feet_row: float  # the farthest (smallest) row where feet were seen

    def height_at(self, row: float) -> float:
        return self.slope * row + self.offset


@dataclass
class GroundScale:
    """The scene's scale, learned from people's boxes (`observe`), and the plausibility test (`plausible`)."""

    frame_wh: tuple[int, int]
    _samples: deque[tuple[float, float, int]] = field(default_factory=lambda: deque(maxlen=SAMPLES_KEPT))
    _last_sample_s: dict[int, float] = field(default_factory=dict)
    _scale: Scale | None = None

    def observe(self, people: list[tuple[int, Box]], t_s: float) -> None:
        """People seen by the model in this frame: (track id, box in source pixels)."""
        w, h = self.frame_wh
        changed = False
        for track, (x1, y1, x2, y2) in people:
            if y1 <= EDGE_PX or y2 >= h - EDGE_PX or x1 <= EDGE_PX or x2 >= w - EDGE_PX:
                continue  # cut off by the picture's edge
            if t_s - self._last_sample_s.get(track, -np.inf) < SAMPLE_EVERY_S:
                continue  # someone standing still would outweigh everyone else
            self._last_sample_s[track] = t_s
            self._samples.append((y2, y2 - y1, track))
            changed = True
        if len(self._last_sample_s) > 4 * SAMPLES_KEPT:  # forget tracks long gone
            keep = {track for _, _, track in self._samples}
            self._last_sample_s = {k: v for k, v in self._last_sample_s.items() if k in keep}
        if changed:
            self._scale = self._fit()

    @property
    def scale(self) -> Scale | None:
        return self._scale

    def _fit(self) -> Scale | None:
        if len(self._samples) < MIN_SAMPLES or len({track for _, _, track in self._samples}) < MIN_PEOPLE:
            return None
        rows = np.array([s[0] for s in self._samples])
        heights = np.array([s[1] for s in self._samples])
        top = float(rows.min())
        if rows.max() - top < MIN_ROW_SPREAD * self.frame_wh[1]:
            return Scale(0.0, float(np.median(heights)), top)  # one band of rows: one height, no horizon
        keep = np.ones(len(rows), np.bool_)
        slope, offset = 0.0, float(np.median(heights))
        for _ in range(2):  # least squares, then again without the boxes far off it (a person half hidden)
            slope, offset = (float(v) for v in np.polyfit(rows[keep], heights[keep], 1))
            fit = slope * rows + offset
            keep = np.abs(heights - fit) <= 0.3 * np.maximum(fit, 1.0)
            if keep.sum() < MIN_SAMPLES // 2:
                break
        if slope <= 0:  # farther people taller: not a flat ground seen from above; trust no horizon
            return Scale(0.0, float(np.median(heights)), top)
        return Scale(slope, offset, top)

    def plausible(self, box: Box) -> bool:
        """Whether ``box`` (source pixels) can be a thing lying on the ground."""
        x1, y1, x2, y2 = box
        long_side, short_side = max(x2 - x1, y2 - y1), max(1e-6, min(x2 - x1, y2 - y1))
        sliver = long_side / short_side > MAX_ASPECT
        s = self._scale
        if s is None:
            return not (sliver and y2 <= TOP_BAND * self.frame_wh[1])
        person = s.height_at(y2)
        if person <= 0:
            return False  # at or above the horizon
        beyond = s.top_feet_row - y2  # rows farther than any feet seen
        if beyond > REACH * max(person, s.height_at(s.top_feet_row)):
            return False
        return not (sliver or long_side > MAX_SIZE * person or short_side < MIN_THIN * person)
