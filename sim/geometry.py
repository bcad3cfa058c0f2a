"""Pinhole camera over a flat ground plane: world metres <-> image pixels.

World axes: X to the right, Y up, Z away from the camera along the ground. The camera sits at
(0, height_m, 0), looks along +Z and is pitched down by ``pitch_deg``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PinholeCamera:
    width_px: int
    height_px: int
    height_m: float
    pitch_deg: float
    hfov_deg: float

    @property
    def focal_px(self) -> float:
        return (self.width_px / 2) / math.tan(math.radians(self.hfov_deg) / 2)

    @property
    def _sin_cos(self) -> tuple[float, float]:
        p = math.radians(self.pitch_deg)
        return math.sin(p), math.cos(p)

    def project(self, x: FloatArray, y: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """World points -> (u, v, depth). Depth is the distance along the optical axis in metres."""
        s, c = self._sin_cos
        dy = np.asarray(y, dtype=np.float64) - self.height_m
        z = np.asarray(z, dtype=np.float64)
        zc = -dy * s + z * c
        yc = -dy * c - z * s
        f = self.focal_px
        u = self.width_px / 2 + f * np.asarray(x, dtype=np.float64) / zc
        v = self.height_px / 2 + f * yc / zc
        return u, v, zc

    def project_point(self, x: float, y: float, z: float) -> tuple[float, float]:
        u, v, _ = self.project(np.array(x), np.array(y), np.array(z))
        return float(u), float(v)

    def px_per_m(self, z: float, y: float = 0.0) -> float:
        """Image scale (pixels per metre) of an object at ground depth ``z`` and height ``y``."""
        s, c = self._sin_cos
        return self.focal_px / (-(y - self.height_m) * s + z * c)

    def rays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """World direction of the ray through each pixel centre, as (dx, dy, dz) arrays of shape (H, W)."""
        s, c = self._sin_cos
        f = self.focal_px
        u = (np.arange(self.width_px) + 0.5 - self.width_px / 2) / f
        v = (np.arange(self.height_px) + 0.5 - self.height_px / 2) / f
        uu, vv = np.meshgrid(u, v)
        return uu, -vv * c - s, -vv * s + c

    def ground_depth_at_row(self, v: float) -> float:
        """Depth Z of the ground point seen at image row ``v`` (must be below the horizon)."""
        s, c = self._sin_cos
        a = (v - self.height_px / 2) / self.focal_px
        denom = a * c + s
        if denom <= 0:
            raise ValueError(f"row {v} is at or above the horizon; expected a row below it")
        return self.height_m * (c - a * s) / denom

    def half_width_m(self, z: float, y: float = 0.0) -> float:
        """Half of the visible width (metres) at depth ``z`` and height ``y``."""
        return (self.width_px / 2) / self.px_per_m(z, y)
