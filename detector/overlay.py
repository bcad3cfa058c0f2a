"""Drawing what the analysis saw onto a frame: zones, people with track ids, garbage, events, time.

Used for the annotated evidence copy and for the monitoring wall's live pictures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from detector.tracks import Box, Tick
from detector.zones import ZoneMap

RED, GREEN, YELLOW, WHITE, ORANGE = (40, 40, 230), (60, 200, 60), (0, 210, 255), (255, 255, 255), (0, 140, 255)


def draw_overlay(
    bgr: NDArray[np.uint8], camera_id: str, wall: dt.datetime, t_s: float, tick: Tick | None, zones: ZoneMap | None,
    marks: Sequence[tuple[Box, str]] = (),
) -> NDArray[np.uint8]:  # fmt: skip
    """A copy of ``bgr`` with the overlays; ``marks`` are event boxes with their labels; ``wall`` is local time."""
    img = bgr.copy()
    thick = max(1, img.shape[1] // 640)
    font = cv2.FONT_HERSHEY_SIMPLEX
    if zones is not None:
        for poly in zones.bins_polygons:
            cv2.polylines(img, [np.asarray(poly, np.int32)], True, GREEN, thick)
        for poly in zones.no_dump_polygons:
            cv2.polylines(img, [np.asarray(poly, np.int32)], True, ORANGE, thick)
    if tick is not None:
        for p in tick.people:
            x1, y1, x2, y2 = (int(v) for v in p.xyxy)
            cv2.rectangle(img, (x1, y1), (x2, y2), YELLOW, thick)
            cv2.putText(img, f"#{p.track_id}", (x1, max(12, y1 - 4)), font, 0.5 * thick, YELLOW, thick)
        for o in tick.objects:
            x1, y1, x2, y2 = (int(v) for v in o.xyxy)
            cv2.rectangle(img, (x1, y1), (x2, y2), WHITE, thick)
    for box, label in marks:
        x1, y1, x2, y2 = (int(v) for v in box)
        cv2.rectangle(img, (x1, y1), (x2, y2), RED, thick + 1)
        cv2.putText(img, label, (x1, min(img.shape[0] - 4, y2 + 16 * thick)), font, 0.5 * thick, RED, thick)
    stamp = f"{camera_id}  {wall.strftime('%Y-%m-%d %H:%M:%S')}  t={t_s:.1f}s"
    cv2.rectangle(img, (0, 0), (img.shape[1], 22 * thick), (0, 0, 0), -1)
    cv2.putText(img, stamp, (6, 16 * thick), font, 0.5 * thick, WHITE, thick)
    return img
