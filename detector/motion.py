"""Motion gating: skip the model on frames where nothing moved (and nobody is in view: `CameraAnalyzer`).

A camera on a pole shakes a little in the wind: sharp edges (a sign, a bin's lid) then move by a
fraction of a pixel of the gate's small picture, which plain frame differencing takes for motion about
once a second. So each pixel of the reference stands for the range of values it takes when the picture
shifts by up to SHAKE_PX (it, and the points that far towards each of its four neighbours), and a pixel
counts as changed only where the new frame lies outside that range by more than the threshold. On smooth
ground the range is the pixel itself. On coarse texture it spans half the step to each neighbour: an
object whose grey matches the texture's middle may then go unseen by the gate (it is barely seen by plain
differencing either); the left-object detector, which looks at every frame, does not depend on the gate.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from detector.thumbnail import Picture, grey_thumbnail, picture_size

GATE_WIDTH = 160  # motion is judged on a small grey copy of the frame
SHAKE_PX = 0.5  # shift of the small picture tolerated as shake, in its pixels (0.5 = 4 source pixels at 1280 wide)


def _shift_range(ref: NDArray[np.uint8]) -> tuple[NDArray[np.int16], NDArray[np.int16]]:
    """Per pixel, the lowest and highest value ``ref`` takes there when shifted by up to SHAKE_PX left,
    right, up or down (linearly between neighbours)."""
    r = ref.astype(np.int16)
    lo, hi = r.copy(), r.copy()
    for a, b in ((np.s_[:, 1:], np.s_[:, :-1]), (np.s_[1:, :], np.s_[:-1, :])):
        for here, there in ((a, b), (b, a)):
            moved = r[here] + (r[there] - r[here]) * SHAKE_PX
            np.minimum(lo[here], moved, out=lo[here], casting="unsafe")
            np.maximum(hi[here], moved, out=hi[here], casting="unsafe")
    return lo, hi


class MotionGate:
    """Compares each frame with the last one the model saw."""

    def __init__(self, pixel_threshold: int = 18, area_fraction: float = 0.0015) -> None:
        self.pixel_threshold = pixel_threshold
        self.area_fraction = area_fraction
        # The reference (the last frame that moved) as the range of values each of its pixels takes under shake.
        self._range: tuple[NDArray[np.int16], NDArray[np.int16]] | None = None

    @staticmethod
    def _small(picture: Picture) -> NDArray[np.uint8]:
        w, h = picture_size(picture)
        small = grey_thumbnail(picture, (GATE_WIDTH, max(1, round(h * GATE_WIDTH / w))))
        return np.asarray(cv2.GaussianBlur(small, (3, 3), 0), np.uint8)

    def moved(self, picture: Picture) -> bool:
        """Whether this frame (BGR, or its luma plane) differs from the reference; the reference becomes this
        frame when it does."""
        small = self._small(picture)
        if self._range is None or self._range[0].shape != small.shape:
            self._range = _shift_range(small)
            return True
        lo, hi = self._range
        now = small.astype(np.int16)
        t = self.pixel_threshold
        changed = np.count_nonzero((now - hi > t) | (lo - now > t))
        if changed > self.area_fraction * small.size:
            self._range = _shift_range(small)
            return True
        return False
