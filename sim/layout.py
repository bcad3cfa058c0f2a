"""A collection point's static layout drawn from a seed: camera, wall, ground, bins, light.

Everything here is fixed for one clip. ``render_background`` ray-casts the empty scene once; moving
things are drawn on top of it by ``sim.render``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
from numpy.typing import NDArray

from sim.geometry import PinholeCamera

Image = NDArray[np.uint8]
BGR = tuple[int, int, int]


class BinType(StrEnum):
    """Chinese sorting categories (GB/T 19095-2019 colours)."""

    KITCHEN = "kitchen"  # 厨余垃圾 / 湿垃圾, green
    RECYCLABLE = "recyclable"  # 可回收物, blue
    HAZARDOUS = "hazardous"  # 有害垃圾, red
    OTHER = "other"  # 其他垃圾 / 干垃圾, grey


BIN_COLOURS: dict[BinType, BGR] = {
    BinType.KITCHEN: (60, 130, 40),
    BinType.RECYCLABLE: (170, 90, 20),
    BinType.HAZARDOUS: (40, 40, 190),
    BinType.OTHER: (90, 90, 90),
}


class Lighting(StrEnum):
    DAY = "day"
    DUSK = "dusk"
    NIGHT = "night"


def lighting_for_hour(hour: float) -> Lighting:
    """Light that a camera sees at a local clock hour (night cameras switch to infrared)."""
    if 7.0 <= hour < 17.0:
        return Lighting.DAY
    if 5.5 <= hour < 7.0 or 17.0 <= hour < 18.75:
        return Lighting.DUSK
    return Lighting.NIGHT


@dataclass(frozen=True)
class Bin:
    index: int
    kind: BinType
    x_m: float  # centre
    z_m: float  # front face depth
    width_m: float
    depth_m: float
    height_m: float

    @property
    def colour(self) -> BGR:
        return BIN_COLOURS[self.kind]


@dataclass(frozen=True)
class Layout:
    camera: PinholeCamera
    wall_z_m: float
    wall_height_m: float
    bins: tuple[Bin, ...]
    ground_style: str
    wall_style: str
    lighting: Lighting
    noise_sigma: float
    shake_px: float
    crf: int
    # Free ground between the near edge of the frame and the bins' apron, in metres.
    near_z_m: float
    apron_m: float = 0.6
    margin_m: float = 0.35

    @property
    def bins_x_range(self) -> tuple[float, float]:
        return (min(b.x_m - b.width_m / 2 for b in self.bins), max(b.x_m + b.width_m / 2 for b in self.bins))

    @property
    def bins_front_z(self) -> float:
        return min(b.z_m for b in self.bins)

    def bins_zone_corners(self) -> NDArray[np.float64]:
        """Image polygon (convex hull, pixels) of the bins, their tops and the apron in front of them."""
        x0, x1 = self.bins_x_range
        x0, x1 = x0 - self.margin_m, x1 + self.margin_m
        z0 = self.bins_front_z - self.apron_m
        z1 = self.wall_z_m
        xs, ys, zs = [], [], []
        for x in (x0, x1):
            for y in (0.0, 1.7):
                for z in (z0, z1):
                    xs.append(x)
                    ys.append(y)
                    zs.append(z)
        u, v, _ = self.camera.project(np.array(xs), np.array(ys), np.array(zs))
        pts = np.stack([u, v], axis=1).astype(np.float32)
        hull = cv2.convexHull(pts).reshape(-1, 2)
        w, h = self.camera.width_px, self.camera.height_px
        hull[:, 0] = np.clip(hull[:, 0], 0, w - 1)
        hull[:, 1] = np.clip(hull[:, 1], 0, h - 1)
        return hull.astype(np.float64)

    def zone_clearance_px(self, x_m: float, z_m: float) -> float:
        """Signed image distance of ground point (x, z) from the bins zone: > 0 outside, < 0 inside."""
        u, v = self.camera.project_point(x_m, 0.0, z_m)
        return -float(cv2.pointPolygonTest(self.bins_zone_corners().astype(np.float32), (u, v), True))


MIN_OPEN_GROUND_M = 4.0  # wall to the frame's near edge


def draw_layout(rng: np.random.Generator, width: int, height: int, lighting: Lighting) -> Layout:
    # Choose where the wall stands and where its base should appear; the pitch follows. Redraw
    # until there is enough open ground between the frame's near edge and the bins to walk and drop.
    for _ in range(100):
        cam_h = float(rng.uniform(2.8, 5.0))
        wall_z = float(rng.uniform(4.5, 9.0))
        hfov = float(rng.uniform(52.0, 78.0))
        f = (width / 2) / math.tan(math.radians(hfov) / 2)
        row = float(rng.uniform(0.3, 0.5)) * height
        pitch = math.degrees(math.atan(cam_h / wall_z) - math.atan((row - height / 2) / f))
        cam = PinholeCamera(
            width_px=width,
            height_px=height,
            height_m=cam_h,
            pitch_deg=float(np.clip(pitch, 8.0, 60.0)),
            hfov_deg=hfov,
        )
        near_z = cam.ground_depth_at_row(height * 0.98)
        if wall_z - near_z >= MIN_OPEN_GROUND_M:
            break
    else:
        raise RuntimeError("could not draw a camera with enough open ground in view")
    n_bins = int(rng.integers(2, 5))
    kinds = list(rng.permutation(list(BinType)))[:n_bins]
    width_m = float(rng.uniform(0.55, 0.75))
    depth_m = float(rng.uniform(0.5, 0.7))
    height_m = float(rng.uniform(0.9, 1.1))
    gap = float(rng.uniform(0.08, 0.3))
    row = n_bins * width_m + (n_bins - 1) * gap
    half = cam.half_width_m(wall_z)
    centre = float(rng.uniform(-1, 1)) * max(0.0, half * 0.7 - row / 2)
    z_front = wall_z - float(rng.uniform(0.05, 0.3)) - depth_m
    bins = tuple(
        Bin(
            index=i,
            kind=BinType(kinds[i]),
            x_m=centre - row / 2 + width_m / 2 + i * (width_m + gap),
            z_m=z_front,
            width_m=width_m,
            depth_m=depth_m,
            height_m=height_m,
        )
        for i in range(n_bins)
    )
    noise = {Lighting.DAY: (1.5, 4.0), Lighting.DUSK: (3.0, 6.0), Lighting.NIGHT: (5.0, 9.0)}[lighting]
    return Layout(
        camera=cam,
        wall_z_m=wall_z,
        wall_height_m=float(rng.uniform(2.2, 3.5)),
        bins=bins,
        ground_style=str(rng.choice(["pavers", "asphalt", "concrete"])),
        wall_style=str(rng.choice(["brick", "painted", "tiles"])),
        lighting=lighting,
        noise_sigma=float(rng.uniform(*noise)),
        shake_px=float(rng.choice([0.0, rng.uniform(0.3, 2.0)])),
        crf=int(rng.integers(20, 31)),
        near_z_m=near_z,
    )


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> NDArray[np.float32]:
    small = rng.standard_normal((max(2, h * cells // max(h, w)), max(2, w * cells // max(h, w))))
    return np.asarray(cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC), np.float32)


def _grid_lines(a: NDArray[np.float64], period: float, width: float) -> NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):  # rays that miss this surface carry inf; they are masked out later
        frac = np.mod(a, period)
    return (frac < width) | (frac > period - width)


class Light:
    """Turns scene colours into what the sensor records: gain map, tint, infrared grey at night."""

    def __init__(self, layout: Layout, rng: np.random.Generator) -> None:
        h, w = layout.camera.height_px, layout.camera.width_px
        self.kind = layout.lighting
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = w * float(rng.uniform(0.3, 0.7)), h * float(rng.uniform(0.4, 0.8))
        r = np.sqrt(((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2)
        if self.kind is Lighting.DAY:
            base = float(rng.uniform(0.85, 1.15))
            gain = base * (1.0 - 0.15 * r) * (1 + 0.08 * _smooth_noise(rng, h, w, 4))
            self.tint = np.array([rng.uniform(0.95, 1.05), 1.0, rng.uniform(0.95, 1.05)], np.float32)
        elif self.kind is Lighting.DUSK:
            base = float(rng.uniform(0.45, 0.7))
            gain = base * (0.55 + 0.6 * np.exp(-(r**2) / 0.12))
            self.tint = np.array([0.78, 0.92, 1.08], np.float32)
        else:
            base = float(rng.uniform(0.7, 1.0))
            gain = base * (0.35 + 0.85 * np.exp(-(r**2) / 0.18))
            self.tint = np.ones(3, np.float32)
        self.gain = gain.astype(np.float32)

    def apply(self, img: Image) -> Image:
        f = img.astype(np.float32)
        if self.kind is Lighting.NIGHT:
            g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32) * 0.8 + 40
            f = np.repeat(g[..., None], 3, axis=2)
        f *= self.gain[..., None] * self.tint
        return np.clip(f, 0, 255).astype(np.uint8)

    def colour(self, bgr: BGR, u: float, v: float) -> BGR:
        """Sensor colour of a surface of colour ``bgr`` seen at pixel (u, v)."""
        h, w = self.gain.shape
        g = float(self.gain[int(np.clip(v, 0, h - 1)), int(np.clip(u, 0, w - 1))])
        if self.kind is Lighting.NIGHT:
            b, gr, r = bgr
            lum = (0.2 * b + 0.45 * gr + 0.35 * r) * 0.8 + 40
            c = np.array([lum, lum, lum], np.float32)
        else:
            c = np.array(bgr, np.float32) * self.tint
        out = np.clip(c * g, 0, 255)
        return (int(out[0]), int(out[1]), int(out[2]))


def render_background(layout: Layout, rng: np.random.Generator) -> Image:
    """Ray-cast ground, wall and backdrop (without bins; they are drawn as objects)."""
    cam = layout.camera
    h, w = cam.height_px, cam.width_px
    dx, dy, dz = cam.rays()
    img = np.zeros((h, w, 3), np.float32)

    # Ground.
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ground = np.where(dy < 0, -cam.height_m / dy, np.inf)
    gx, gz = t_ground * dx, t_ground * dz
    ground = gz < layout.wall_z_m
    base = np.array(
        {
            "pavers": rng.uniform([90, 100, 110], [150, 160, 175]),
            "asphalt": rng.uniform([55, 55, 55], [85, 85, 90]),
            "concrete": rng.uniform([140, 145, 145], [185, 190, 190]),
        }[layout.ground_style],
        np.float32,
    )
    tex = 1 + 0.07 * _smooth_noise(rng, h, w, 60) + 0.05 * _smooth_noise(rng, h, w, 8)
    if layout.ground_style == "pavers":
        p = float(rng.uniform(0.25, 0.5))
        joints = _grid_lines(gx, p, 0.012) | _grid_lines(gz, p * float(rng.choice([1.0, 0.5])), 0.012)
        tex = tex - 0.25 * joints
    elif layout.ground_style == "concrete":
        p = float(rng.uniform(1.5, 3.0))
        tex = tex - 0.2 * (_grid_lines(gx, p, 0.01) | _grid_lines(gz, p, 0.01))
    img[ground] = base * tex[ground, None]

    # Wall.
    with np.errstate(divide="ignore", invalid="ignore"):
        t_wall = np.where(dz > 0, layout.wall_z_m / dz, np.inf)
    wx, wy = t_wall * dx, cam.height_m + t_wall * dy
    wall = ~ground & (wy <= layout.wall_height_m)
    wall_base = np.array(
        {
            "brick": rng.uniform([40, 60, 120], [80, 90, 170]),
            "painted": rng.uniform([150, 160, 160], [225, 235, 235]),
            "tiles": rng.uniform([150, 150, 140], [210, 210, 200]),
        }[layout.wall_style],
        np.float32,
    )
    wtex = 1 + 0.05 * _smooth_noise(rng, h, w, 50)
    if layout.wall_style == "brick":
        row = np.floor(wy / 0.07)
        shifted = wx + (row % 2) * 0.11
        wtex = wtex - 0.35 * (_grid_lines(wy, 0.07, 0.006) | _grid_lines(shifted, 0.22, 0.006))
    elif layout.wall_style == "tiles":
        wtex = wtex - 0.15 * (_grid_lines(wy, 0.2, 0.004) | _grid_lines(wx, 0.2, 0.004))
    else:
        band = wy < float(rng.uniform(0.6, 1.0))
        wtex = np.where(band, wtex * 0.7, wtex)
    img[wall] = wall_base * wtex[wall, None]

    # Backdrop above the wall: a facade with windows, or trees.
    top = ~ground & ~wall
    if bool(rng.integers(0, 2)):
        facade = np.array(rng.uniform([120, 120, 120], [200, 200, 200]), np.float32)
        win = (np.mod(wx, 2.0) > 0.6) & (np.mod(wx, 2.0) < 1.6) & (np.mod(wy, 3.0) > 0.9) & (np.mod(wy, 3.0) < 2.3)
        ftex = np.where(win, 0.45, 1.0) * (1 + 0.04 * _smooth_noise(rng, h, w, 30))
        img[top] = facade * ftex[top, None]
    else:
        leaves = np.array(rng.uniform([30, 70, 30], [70, 120, 60]), np.float32)
        ltex = 1 + 0.3 * _smooth_noise(rng, h, w, 90) + 0.2 * _smooth_noise(rng, h, w, 12)
        img[top] = leaves * ltex[top, None]

    out = np.clip(img, 0, 255).astype(np.uint8)
    _draw_notice_board(out, layout, rng)
    return out


def _draw_notice_board(img: Image, layout: Layout, rng: np.random.Generator) -> None:
    """The public notice (定时定点 schedule board) on the wall beside the bins."""
    cam = layout.camera
    x0, x1 = layout.bins_x_range
    side = 1 if rng.random() < 0.5 else -1
    bx = x1 + 0.4 if side > 0 else x0 - 1.6
    corners = [(bx, 1.3), (bx + 1.2, 1.3), (bx + 1.2, 2.1), (bx, 2.1)]
    if layout.wall_height_m < 2.2:
        return
    pts = np.array([cam.project_point(x, y, layout.wall_z_m - 0.01) for x, y in corners], np.int32)
    colour = (int(rng.integers(120, 200)), int(rng.integers(60, 120)), int(rng.integers(20, 60)))
    cv2.fillConvexPoly(img, pts, colour, lineType=cv2.LINE_AA)
    for k in range(4):
        yy = 1.95 - k * 0.16
        line = [(bx + 0.1, yy), (bx + 1.1 - 0.2 * (k % 2), yy)]
        p = np.array([cam.project_point(x, y, layout.wall_z_m - 0.01) for x, y in line], np.int32)
        th = max(1, int(cam.px_per_m(layout.wall_z_m, yy) * 0.05))
        cv2.line(img, tuple(p[0]), tuple(p[1]), (235, 235, 235), th)


def hour_of(start_hour: float, t_s: float) -> float:
    return math.fmod(start_hour + t_s / 3600.0, 24.0)
