"""Small grey copies of a frame, for the analyses that look at the whole picture (motion, left objects)."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray


def grey_thumbnail(bgr: NDArray[np.uint8], size: tuple[int, int]) -> NDArray[np.uint8]:
    """``bgr`` as a grey image of ``size`` (width, height).

    A frame much larger than ``size`` is first decimated (nearest) to twice that size, so the grey
    conversion and the area average touch a few hundred thousand pixels instead of a whole frame.
    """
    w, h = size
    if bgr.shape[1] > 2 * w:
        bgr = np.asarray(cv2.resize(bgr, (2 * w, 2 * h), interpolation=cv2.INTER_NEAREST), np.uint8)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return np.asarray(cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA), np.uint8)
