"""Small grey copies of a frame, for the analyses that look at the whole picture (motion, left objects)."""

from __future__ import annotations

import sys

import cv2
import numpy as np
from numpy.typing import NDArray

from streams.decode import Luma

Picture = NDArray[np.uint8] | Luma  # a BGR frame (height x width x 3), or its luma plane from the decoder

# Limited ("TV") range puts black at 16 and white at 235: stretched to 0-255, as an RGB conversion does.
# Rounded down, as swscale's 4:2:0 and 4:2:2 conversion to BGR does: rounding to nearest made the grey
# slightly brighter than that of the BGR frame, enough to tip a white bag at night over the left-object
# detector's clipping level.
_TV_TO_FULL = np.clip(np.floor((np.arange(256) - 16) * 255 / 219), 0, 255).astype(np.uint8)


_WORDS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _every_nth(pixels: NDArray[np.uint8], step: int) -> NDArray[np.uint8]:
    """Every ``step``-th pixel of every ``step``-th row, as a new contiguous image."""
    rows = pixels[::step]
    word = _WORDS.get(step)
    if pixels.ndim == 2 and word is not None and sys.byteorder == "little":
        # Read each run of ``step`` grey pixels as one little-endian word: its low byte is the first pixel
        # (a contiguous read, where NumPy copies a strided view pixel by pixel).
        return rows.view(word).astype(np.uint8)
    return np.ascontiguousarray(rows[:, ::step])


def picture_size(picture: Picture) -> tuple[int, int]:
    """Width and height of a picture."""
    h, w = (picture.plane if isinstance(picture, Luma) else picture).shape[:2]
    return w, h


def grey_thumbnail(picture: Picture, size: tuple[int, int]) -> NDArray[np.uint8]:
    """``picture`` as a grey image of ``size`` (width, height), in the full 0-255 range.

    A picture much larger than ``size`` is first decimated (nearest) to twice that size, so the grey
    conversion (none for a luma plane) and the area average touch a few hundred thousand pixels instead
    of a whole frame.
    """
    w, h = size
    pixels = picture.plane if isinstance(picture, Luma) else picture
    ph, pw = pixels.shape[:2]
    if pw > 2 * w:
        step = pw // (2 * w)
        if (pw, ph) == (2 * w * step, 2 * h * step):  # a whole step: the same pixels, taken directly (faster)
            pixels = _every_nth(pixels, step)
        else:
            pixels = np.asarray(cv2.resize(pixels, (2 * w, 2 * h), interpolation=cv2.INTER_NEAREST), np.uint8)
    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    small = np.asarray(cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA), np.uint8)
    if isinstance(picture, Luma) and picture.tv_range:
        return np.asarray(cv2.LUT(small, _TV_TO_FULL), np.uint8)
    return small
