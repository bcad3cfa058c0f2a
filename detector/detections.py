"""The one typed, columnar detection result that flows from the detector to the rules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray


class Role(IntEnum):
    """What binwatch cares about, whatever the model calls it."""

    PERSON = 0
    GARBAGE = 1
    BIN = 2


@dataclass(frozen=True)
class Detections:
    """N detections in source-frame pixels: xyxy (N, 4) float32, confidence (N,), role (N,) int."""

    xyxy: NDArray[np.float32]
    confidence: NDArray[np.float32]
    role: NDArray[np.int64]

    def __post_init__(self) -> None:
        n = len(self.confidence)
        if self.xyxy.shape != (n, 4):
            raise ValueError(f"xyxy must have shape ({n}, 4) to match confidence; got {self.xyxy.shape}")
        if self.role.shape != (n,):
            raise ValueError(f"role must have shape ({n},); got {self.role.shape}")

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.confidence)

    def __getitem__(self, mask: NDArray[np.bool_] | NDArray[np.int64]) -> Detections:
        return Detections(self.xyxy[mask], self.confidence[mask], self.role[mask])

    def of_role(self, role: Role) -> Detections:
        return self[self.role == int(role)]
