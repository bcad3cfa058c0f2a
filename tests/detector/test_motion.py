"""The motion gate: a camera that shakes a little is not motion; someone walking in is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detector.motion import MotionGate


def _site(shift: tuple[float, float], person_x: int | None = None) -> np.ndarray:
    """A 1280x720 view of a wall with a sharp-edged blue sign and a tiled floor, moved by ``shift`` pixels
    (a camera on a pole in the wind), optionally with a person-sized figure standing at ``person_x``."""
    frame = np.full((720, 1280, 3), (170, 190, 160), np.uint8)
    frame[330:, :] = (110, 115, 110)
    for x in range(0, 1280, 64):
        frame[330:, x : x + 2] = 70  # tile joints
    frame[0:90, 520:720] = (170, 70, 30)  # the sign, and its white lettering
    frame[20:32, 540:700] = 235
    frame[50:62, 540:660] = 235
    if person_x is not None:
        frame[380:560, person_x : person_x + 60] = (60, 50, 45)
    dx, dy = shift
    moved = cv2.warpAffine(
        frame, np.array([[1, 0, dx], [0, 1, dy]], np.float32), (1280, 720), borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(moved, np.uint8)


def test_a_shaking_camera_is_not_motion_but_a_person_is() -> None:
    """Shakes of up to 3 pixels move the sign's edges; the gate must not send the frame to the model for
    that (it did about once a second on the simulated cameras). A person walking in is motion, shaking or not."""
    rng = np.random.default_rng(3)
    gate = MotionGate()
    assert gate.moved(_site((0.0, 0.0)))  # the first frame: nothing to compare with
    shakes = [gate.moved(_site((rng.uniform(-3, 3), rng.uniform(-3, 3)))) for _ in range(50)]
    assert not any(shakes), shakes
    walking = [gate.moved(_site((rng.uniform(-3, 3), rng.uniform(-3, 3)), person_x=100 + 40 * i)) for i in range(10)]
    assert all(walking), walking


@pytest.mark.parametrize("grey", [30, 100, 115, 145, 160, 230])
def test_something_new_on_coarse_texture_is_motion(grey: int) -> None:
    """Gravel of 8-pixel stones from grey 60 to 200: an object set down on it is motion, also one whose grey
    lies among the stones' (115, 145: the gate's first shake-proof version, which took the range of a 3x3
    neighbourhood, missed those). One of grey 130, the gravel's middle, is not (see detector/motion.py)."""
    gravel = np.random.default_rng(5).integers(60, 201, (90, 160), np.uint8)
    ground = np.repeat(np.repeat(gravel, 8, axis=0), 8, axis=1)
    gate = MotionGate()
    assert gate.moved(ground)
    assert not gate.moved(ground.copy())
    with_object = ground.copy()
    with_object[400:520, 600:680] = grey
    assert gate.moved(with_object)
