"""A camera's zones in pixels, built from its normalised config polygons for one frame size."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from config import Zones
from detector.tracks import Box, Place, foot

# Label values in the zone map; bins zones are numbered from _BINS0 upwards.
_NO_DUMP, _ELSEWHERE, _IGNORED, _BINS0 = 1, 2, 3, 10


def _to_px(poly: list[list[float]], w: int, h: int) -> NDArray[np.int32]:
    return np.round(np.asarray(poly, np.float64) * (w, h)).astype(np.int32)


@dataclass(frozen=True)
class ZoneMap:
    """Per-pixel zone labels: which place each pixel of the frame belongs to."""

    width: int
    height: int
    labels: NDArray[np.uint8]
    bins_polygons: tuple[NDArray[np.int32], ...]
    no_dump_polygons: tuple[NDArray[np.int32], ...]

    @classmethod
    def build(cls, zones: Zones, width: int, height: int) -> ZoneMap:
        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive; got {width}x{height}")
        if len(zones.bins) > 255 - _BINS0:
            raise ValueError(f"at most {255 - _BINS0} bins zones per camera; got {len(zones.bins)}")
        explicit_no_dump = bool(zones.no_dump)
        labels = np.full((height, width), _ELSEWHERE if explicit_no_dump else _NO_DUMP, np.uint8)
        no_dump = tuple(_to_px(p, width, height) for p in zones.no_dump)
        for p in no_dump:
            cv2.fillPoly(labels, [p], _NO_DUMP)
        bins = tuple(_to_px(p, width, height) for p in zones.bins)
        for i, p in enumerate(bins):  # bins win over no_dump: disposal there is allowed
            cv2.fillPoly(labels, [p], _BINS0 + i)
        for poly in zones.ignore:
            cv2.fillPoly(labels, [_to_px(poly, width, height)], _IGNORED)
        return cls(width, height, labels, bins, no_dump)

    def place_of_point(self, x: float, y: float) -> tuple[Place, int]:
        xi = min(max(int(x), 0), self.width - 1)
        yi = min(max(int(y), 0), self.height - 1)
        v = int(self.labels[yi, xi])
        if v >= _BINS0:
            return Place.BINS, v - _BINS0
        return {_NO_DUMP: Place.NO_DUMP, _ELSEWHERE: Place.ELSEWHERE, _IGNORED: Place.IGNORED}[v], 0

    def place_of(self, box: Box) -> tuple[Place, int]:
        """Zone of a box's foot point (where it touches the ground), as Frigate's zones do."""
        # A hair above the bottom edge: the bottom row of a box often lies just past a zone's edge.
        x, y = foot(box)
        return self.place_of_point(x, y - 0.05 * (box[3] - box[1]))

    def bins_mask(self, index: int) -> NDArray[np.bool_]:
        return np.asarray(self.labels == _BINS0 + index)

    @property
    def ignored_mask(self) -> NDArray[np.bool_]:
        return np.asarray(self.labels == _IGNORED)
