"""Motion gating: skip the model on frames where nothing moved (and nobody is in view: `CameraAnalyzer`).

A camera on a pole shakes a little in the wind: sharp edges (a sign, a bin's lid) then move by a
pixel, which plain frame differencing takes for motion about once a second. A pixel counts as changed
only where it lies outside the range of the reference's 3x3 neighbourhood by more than the threshold,
so edges that merely shift do not count, while anything new in the picture still does.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from detector.thumbnail import Picture, grey_thumbnail, picture_size

GATE_WIDTH = 160  # motion is judged on a small grey copy of the frame
_SQUARE_3 = np.ones((3, 3), np.uint8)


class MotionGate:
    """Compares each frame with the last one the model saw."""

    def __init__(self, pixel_threshold: int = 18, area_fraction: float = 0.0015) -> None:
        self.pixel_threshold = pixel_threshold
        self.area_fraction = area_fraction
        self._reference: NDArray[np.uint8] | None = None

    @staticmethod
    def _small(picture: Picture) -> NDArray[np.uint8]:
        w, h = picture_size(picture)
        small = grey_thumbnail(picture, (GATE_WIDTH, max(1, round(h * GATE_WIDTH / w))))
        return np.asarray(cv2.GaussianBlur(small, (3, 3), 0), np.uint8)

    def moved(self, picture: Picture) -> bool:
        """Whether this frame (BGR, or its luma plane) differs from the reference; the reference becomes this
        frame when it does."""
        small = self._small(picture)
        ref = self._reference
        if ref is None or ref.shape != small.shape:
            self._reference = small
            return True
        t = self.pixel_threshold
        brighter = cv2.subtract(small, cv2.dilate(ref, _SQUARE_3)) > t  # (saturating: below the range is 0)
        darker = cv2.subtract(cv2.erode(ref, _SQUARE_3), small) > t
        changed = np.count_nonzero(brighter | darker)
        if changed > self.area_fraction * small.size:
            self._reference = small
            return True
        return False
