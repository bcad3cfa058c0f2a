"""Draws one frame of a synthetic scene at time t, with the boxes of what is visible in it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from sim.actors import Falls, Garbage, GarbageStyle, Held, IntoBin, Person, Rests
from sim.layout import BGR, Bin, Image, Layout, Light, render_background
from sim.scenarios import Script

CLASS_NAMES = ("person", "garbage", "bin")
PERSON, GARBAGE, BIN = 0, 1, 2
MIN_VISIBLE_FRACTION = 0.3
MIN_BOX_PX = 3


@dataclass(frozen=True)
class Box:
    """A labelled, visible box in pixel coordinates of the rendered frame."""

    cls: int
    x1: float
    y1: float
    x2: float
    y2: float
    ref: str  # the object it belongs to: a person id, garbage id or "bin<i>"


def _shade(c: BGR, k: float) -> BGR:
    return (min(255, int(c[0] * k)), min(255, int(c[1] * k)), min(255, int(c[2] * k)))


class SceneRenderer:
    """Renders ``script`` on ``layout``; frames are a pure function of (t, frame_index)."""

    def __init__(self, layout: Layout, script: Script, rng: np.random.Generator) -> None:
        self.layout = layout
        self.script = script
        self.cam = layout.camera
        self.light = Light(layout, rng)
        self.background = self.light.apply(render_background(layout, rng))
        self.people = {p.id: p for p in script.people}
        h, w = self.cam.height_px, self.cam.width_px
        self._noise: list[tuple[Image, Image]] = []
        for _ in range(4):
            n = rng.normal(0.0, layout.noise_sigma, (h, w, 1)).astype(np.float32)
            n = np.repeat(n, 3, axis=2) + rng.normal(0.0, layout.noise_sigma * 0.3, (h, w, 3)).astype(np.float32)
            self._noise.append((np.clip(n, 0, 255).astype(np.uint8), np.clip(-n, 0, 255).astype(np.uint8)))
        self._shake_phase = rng.uniform(0, 2 * math.pi, 2)
        self._blur = bool(rng.random() < 0.5)

    # ---- geometry of garbage ---------------------------------------------------------------
    def garbage_position(self, g: Garbage, t: float) -> tuple[float, float, float, float] | None:
        """World bottom-centre (x, y, z) of the garbage at t and its scale (1 = full size), or None."""
        ph = g.phase_at(t)
        if ph is None:
            return None
        if isinstance(ph, Held):
            p = self.people[ph.person_id]
            if not p.visible_at(t):
                return None
            hx, hy, hz = p.hand(t)
            return hx, hy - g.look.height_m, hz, 1.0
        if isinstance(ph, Rests):
            return ph.x, ph.y, ph.z, 1.0
        if isinstance(ph, Falls):
            hx, hy, hz = self.people[ph.person_id].hand(ph.t0)
            a = min(1.0, (t - ph.t0) / ph.duration) ** 2
            y0 = hy - g.look.height_m
            return hx + (ph.x - hx) * a, y0 + (ph.y - y0) * a, hz + (ph.z - hz) * a, 1.0
        if isinstance(ph, IntoBin):
            a = (t - ph.t0) / ph.duration
            if a >= 1.0:
                return None
            b = self.layout.bins[ph.bin_index]
            hx, hy, hz = self.people[ph.person_id].hand(ph.t0)
            tx, ty, tz = b.x_m, b.height_m + 0.1, b.z_m + b.depth_m / 2
            lift = math.sin(a * math.pi) * 0.3
            y0 = hy - g.look.height_m
            return hx + (tx - hx) * a, y0 + (ty - y0) * a + lift, hz + (tz - hz) * a, 1.0 - 0.6 * a
        raise TypeError(f"unknown garbage phase {ph!r}")

    def garbage_outline(self, g: Garbage, x: float, y: float, z: float, scale: float) -> NDArray[np.float64]:
        s = self.cam.px_per_m(z, y) * scale
        u0, v0 = self.cam.project_point(x, y, z)
        o = np.asarray(g.look.outline)
        return np.stack([u0 + o[:, 0] * g.look.width_m * s, v0 - o[:, 1] * g.look.height_m * s], axis=1)

    def garbage_bbox_at_rest(self, g: Garbage) -> tuple[float, float, float, float]:
        rest = next((ph for ph in g.phases if isinstance(ph, Rests)), None)
        if rest is None:
            raise ValueError(f"garbage {g.id} never comes to rest")
        pts = self.garbage_outline(g, rest.x, rest.y, rest.z, 1.0)
        return _clip_box(pts, self.cam.width_px, self.cam.height_px)

    def bin_polygon(self, b: Bin) -> NDArray[np.float64]:
        """Image outline (convex hull, pixels) of the closed bin."""
        pts = np.asarray([self.cam.project_point(x, y, z) for x, y, z in _cuboid_corners(b)], np.float32)
        return cv2.convexHull(pts).reshape(-1, 2).astype(np.float64)

    def bin_bbox(self, b: Bin) -> tuple[float, float, float, float]:
        return _clip_box(self.bin_polygon(b), self.cam.width_px, self.cam.height_px)

    # ---- drawing ---------------------------------------------------------------------------
    def render(self, t: float, frame_index: int, with_boxes: bool = True) -> tuple[Image, list[Box]]:
        img = self.background.copy()
        h, w = img.shape[:2]
        ids = np.zeros((h, w), np.uint16) if with_boxes else None
        drawables: list[tuple[float, str, object]] = []
        for b in self.layout.bins:
            drawables.append((b.z_m + b.depth_m / 2, f"bin{b.index}", b))
        for p in self.script.people:
            if p.visible_at(t):
                drawables.append((p.path.position(t)[1], p.id, p))
        for g in self.script.garbage:
            pos = self.garbage_position(g, t)
            if pos is not None:
                # Held garbage is drawn just after its holder; garbage on a lid just after the bin.
                held = isinstance(g.phase_at(t), Held)
                drawables.append((pos[2] - (0.05 if held else 0.0) - (1.0 if pos[1] > 0.05 else 0.0), g.id, (g, pos)))
        drawables.sort(key=lambda d: -d[0])

        drawn: list[tuple[int, int, str, tuple[int, int, int, int], int]] = []  # (id, cls, ref, roi, px)
        for k, (_, ref, obj) in enumerate(drawables, start=1):
            if isinstance(obj, Bin):
                roi = self._draw_bin(img, ids, k, obj, t)
                cls = BIN
            elif isinstance(obj, Person):
                roi = self._draw_person(img, ids, k, obj, t)
                cls = PERSON
            else:
                g, pos = obj  # type: ignore[misc]
                roi = self._draw_garbage(img, ids, k, g, pos)  # type: ignore[arg-type]
                cls = GARBAGE
            if ids is not None and roi is not None:
                x1, y1, x2, y2 = roi
                drawn.append((k, cls, ref, roi, int(np.count_nonzero(ids[y1:y2, x1:x2] == k))))

        img, (sx, sy) = self._camera_effects(img, t, frame_index)
        boxes: list[Box] = []
        if ids is not None:
            for k, cls, ref, (x1, y1, x2, y2), full in drawn:
                if full == 0:
                    continue
                vis = ids[y1:y2, x1:x2] == k
                n = int(np.count_nonzero(vis))
                if n < MIN_VISIBLE_FRACTION * full:
                    continue
                bx, by, bw, bh = cv2.boundingRect(vis.astype(np.uint8))
                if bw < MIN_BOX_PX or bh < MIN_BOX_PX:
                    continue
                bx1 = float(np.clip(x1 + bx + sx, 0, w))
                by1 = float(np.clip(y1 + by + sy, 0, h))
                bx2 = float(np.clip(x1 + bx + bw + sx, 0, w))
                by2 = float(np.clip(y1 + by + bh + sy, 0, h))
                if bx2 - bx1 >= MIN_BOX_PX and by2 - by1 >= MIN_BOX_PX:
                    boxes.append(Box(cls, bx1, by1, bx2, by2, ref))
        return img, boxes

    def _camera_effects(self, img: Image, t: float, frame_index: int) -> tuple[Image, tuple[float, float]]:
        sx = sy = 0.0
        if self.layout.shake_px > 0:
            sx = self.layout.shake_px * math.sin(2.3 * t + self._shake_phase[0])
            sy = self.layout.shake_px * math.sin(3.1 * t + self._shake_phase[1])
            m = np.array([[1, 0, sx], [0, 1, sy]], np.float32)
            img = np.asarray(cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REFLECT))
        if self._blur:
            img = np.asarray(cv2.GaussianBlur(img, (3, 3), 0.7))
        pos, neg = self._noise[frame_index % len(self._noise)]
        return np.asarray(cv2.subtract(cv2.add(img, pos), neg), np.uint8), (sx, sy)

    def _fill(self, img: Image, ids: NDArray[np.uint16] | None, k: int, pts: NDArray[np.float64], colour: BGR) -> None:
        p = np.round(pts).astype(np.int32)
        cv2.fillPoly(img, [p], colour, lineType=cv2.LINE_AA)
        if ids is not None:
            cv2.fillPoly(ids, [p], k)

    def _line(
        self,
        img: Image,
        ids: NDArray[np.uint16] | None,
        k: int,
        a: tuple[float, float],
        b: tuple[float, float],
        colour: BGR,
        th: int,
    ) -> None:
        pa, pb = (round(a[0]), round(a[1])), (round(b[0]), round(b[1]))
        cv2.line(img, pa, pb, colour, th, lineType=cv2.LINE_AA)
        if ids is not None:
            cv2.line(ids, pa, pb, k, th)

    def _roi(self, pts: NDArray[np.float64], pad: int) -> tuple[int, int, int, int] | None:
        h, w = self.cam.height_px, self.cam.width_px
        x1 = max(0, int(np.floor(pts[:, 0].min())) - pad)
        y1 = max(0, int(np.floor(pts[:, 1].min())) - pad)
        x2 = min(w, int(np.ceil(pts[:, 0].max())) + pad)
        y2 = min(h, int(np.ceil(pts[:, 1].max())) + pad)
        return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None

    def _draw_bin(
        self, img: Image, ids: NDArray[np.uint16] | None, k: int, b: Bin, t: float
    ) -> tuple[int, int, int, int] | None:
        cam, light = self.cam, self.light
        x0, x1 = b.x_m - b.width_m / 2, b.x_m + b.width_m / 2
        z0, z1, y1 = b.z_m, b.z_m + b.depth_m, b.height_m

        def proj(pts: list[tuple[float, float, float]]) -> NDArray[np.float64]:
            return np.asarray([cam.project_point(*p) for p in pts])

        front = proj([(x0, 0, z0), (x1, 0, z0), (x1, y1, z0), (x0, y1, z0)])
        u, v = front.mean(axis=0)
        col = light.colour(b.colour, u, v)
        if x0 > 0:
            self._fill(img, ids, k, proj([(x0, 0, z0), (x0, 0, z1), (x0, y1, z1), (x0, y1, z0)]), _shade(col, 0.7))
        elif x1 < 0:
            self._fill(img, ids, k, proj([(x1, 0, z0), (x1, 0, z1), (x1, y1, z1), (x1, y1, z0)]), _shade(col, 0.7))
        self._fill(img, ids, k, front, col)
        # Label strip and wheels on the front face.
        strip = proj(
            [
                (x0 + 0.05, y1 * 0.55, z0),
                (x1 - 0.05, y1 * 0.55, z0),
                (x1 - 0.05, y1 * 0.78, z0),
                (x0 + 0.05, y1 * 0.78, z0),
            ]
        )
        self._fill(img, None, k, strip, light.colour((235, 235, 235), u, v))
        cu, cv_ = cam.project_point(b.x_m, y1 * 0.665, z0)
        cv2.circle(img, (round(cu), round(cv_)), max(1, int(cam.px_per_m(z0, y1) * 0.07)), _shade(col, 0.8), -1)
        top = proj([(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)])
        opening = self._lid_angle(b.index, t)
        if opening > 0:
            self._fill(img, ids, k, top, light.colour((25, 25, 25), u, v))
            d = b.depth_m
            lid = proj(
                [
                    (x0, y1, z1),
                    (x1, y1, z1),
                    (x1, y1 + d * math.sin(opening), z1 - d * math.cos(opening)),
                    (x0, y1 + d * math.sin(opening), z1 - d * math.cos(opening)),
                ]
            )
            self._fill(img, ids, k, lid, _shade(col, 1.15))
            pts = np.concatenate([front, top, lid])
        else:
            self._fill(img, ids, k, top, _shade(col, 1.2))
            pts = np.concatenate([front, top])
        edge = proj([(x0, y1, z0), (x1, y1, z0)])
        self._line(
            img,
            None,
            k,
            tuple(edge[0]),
            tuple(edge[1]),
            _shade(col, 0.6),
            max(1, int(cam.px_per_m(z0, y1) * 0.02)),
        )
        return self._roi(np.concatenate([pts, proj(_cuboid_corners(b))]), 2)

    def _lid_angle(self, bin_index: int, t: float) -> float:
        for lid in self.script.lids:
            if lid.bin_index == bin_index and lid.t0 <= t <= lid.t1:
                a = min(1.0, (t - lid.t0) / 0.3, (lid.t1 - t) / 0.3)
                return a * math.radians(100)
        return 0.0

    def _draw_person(
        self, img: Image, ids: NDArray[np.uint16] | None, k: int, p: Person, t: float
    ) -> tuple[int, int, int, int] | None:
        cam, lk = self.cam, p.look
        x, z = p.path.position(t)
        hx, hz, moving = p.path.heading(t)
        hgt = lk.height_m
        phase = p.path.distance(t) / lk.stride_m * math.pi
        swing = 0.28 * math.sin(phase) if moving else 0.0
        s = cam.px_per_m(z, hgt / 2)
        u_mid, v_mid = cam.project_point(x, hgt / 2, z)
        shirt = self.light.colour(lk.shirt, u_mid, v_mid)
        pants = self.light.colour(lk.pants, u_mid, v_mid)
        skin = self.light.colour(lk.skin, u_mid, v_mid)
        hair = self.light.colour(lk.hair, u_mid, v_mid)
        hip = 0.09
        pts: list[tuple[float, float]] = []
        for sign in (-1, 1):
            a = cam.project_point(x + sign * hip, 0.5 * hgt, z)
            f = cam.project_point(x + sign * hip + sign * swing * hx, 0.03, z + sign * swing * hz)
            self._line(img, ids, k, a, f, pants, max(2, int(0.13 * s)))
            self._line(
                img,
                ids,
                k,
                f,
                (f[0] + 0.1 * s * (1 if hx >= 0 else -1), f[1]),
                (30, 30, 30),
                max(2, int(0.07 * s)),
            )
            pts += [a, f]
        sh = lk.shoulder_m / 2
        torso = np.asarray(
            [
                cam.project_point(x - sh, 0.8 * hgt, z),
                cam.project_point(x + sh, 0.8 * hgt, z),
                cam.project_point(x + sh * 0.85, lk.coat_len * hgt, z),
                cam.project_point(x - sh * 0.85, lk.coat_len * hgt, z),
            ]
        )
        self._fill(img, ids, k, torso, shirt)
        pts += [tuple(q) for q in torso]
        for sign in (-1, 1):
            sho = cam.project_point(x + sign * sh * 0.95, 0.79 * hgt, z)
            if sign == lk.carry_side:
                hxw, hyw, hzw = p.hand(t)
                hand = cam.project_point(hxw, hyw, hzw)
            else:
                hand = cam.project_point(x + sign * (sh + 0.05) - swing * 0.6 * hx, 0.45 * hgt, z - swing * 0.6 * hz)
            self._line(img, ids, k, sho, hand, shirt, max(2, int(0.09 * s)))
            cv2.circle(img, (round(hand[0]), round(hand[1])), max(1, int(0.045 * s)), skin, -1)
            pts += [sho, hand]
        neck = cam.project_point(x, 0.84 * hgt, z)
        head = cam.project_point(x, 0.915 * hgt, z)
        r = max(2, int(0.062 * hgt * s))
        self._line(img, ids, k, neck, head, skin, max(2, int(0.06 * s)))
        hc = (round(head[0]), round(head[1]))
        cv2.circle(img, hc, r, skin, -1, lineType=cv2.LINE_AA)
        cv2.ellipse(img, hc, (r, r), 0, 180, 360, hair, -1, lineType=cv2.LINE_AA)
        if ids is not None:
            cv2.circle(ids, hc, r, k, -1)
        pts += [(hc[0] - r, hc[1] - r), (hc[0] + r, hc[1] + r)]
        return self._roi(np.asarray(pts), max(3, int(0.1 * s)))

    def _draw_garbage(
        self,
        img: Image,
        ids: NDArray[np.uint16] | None,
        k: int,
        g: Garbage,
        pos: tuple[float, float, float, float],
    ) -> tuple[int, int, int, int] | None:
        x, y, z, scale = pos
        outline = self.garbage_outline(g, x, y, z, scale)
        u, v = outline.mean(axis=0)
        col = self.light.colour(g.look.colour, u, v)
        s = self.cam.px_per_m(z, y) * scale
        if y <= 0.01:  # contact shadow on the ground
            cu, cv_ = self.cam.project_point(x, 0.0, z)
            axes = (max(1, int(g.look.width_m * s * 0.5)), max(1, int(g.look.width_m * s * 0.08)))
            cv2.ellipse(img, (round(cu), round(cv_)), axes, 0, 0, 360, (20, 20, 20), -1, lineType=cv2.LINE_AA)
        if g.look.style is GarbageStyle.PILE:
            # A mound of mixed rubbish with paper, boxes and bottles sticking out of it.
            self._fill(img, ids, k, outline, _shade(col, 0.8))
            for dx, dy, size, pc in g.look.pieces:
                pu, pv = self.cam.project_point(x + dx * g.look.width_m, y, z)
                pv -= dy * g.look.height_m * s
                half = max(1, int(size * g.look.height_m * s / 2))
                rect = np.asarray(
                    [
                        (pu - half, pv - half * 0.7),
                        (pu + half * 0.8, pv - half),
                        (pu + half, pv + half * 0.6),
                        (pu - half * 0.9, pv + half * 0.5),
                    ]
                )
                self._fill(img, ids, k, rect, self.light.colour(pc, pu, pv))
            return self._roi(outline, 2)
        if g.look.alpha < 1.0:
            roi = self._roi(outline, 1)
            if roi is None:
                return None
            x1, y1, x2, y2 = roi
            layer = img[y1:y2, x1:x2].copy()
            cv2.fillPoly(layer, [np.round(outline - (x1, y1)).astype(np.int32)], col, lineType=cv2.LINE_AA)
            img[y1:y2, x1:x2] = cv2.addWeighted(layer, g.look.alpha, img[y1:y2, x1:x2], 1 - g.look.alpha, 0)
            if ids is not None:
                cv2.fillPoly(ids, [np.round(outline).astype(np.int32)], k)
        else:
            self._fill(img, ids, k, outline, col)
        centre = outline.mean(axis=0)
        hl = centre + (outline - centre) * 0.45 + (-0.12 * g.look.width_m * s, -0.12 * g.look.height_m * s)
        cv2.fillPoly(
            img,
            [np.round(hl).astype(np.int32)],
            _shade(col, 1.35) if sum(col) < 600 else _shade(col, 0.9),
            lineType=cv2.LINE_AA,
        )
        top = outline[np.argmin(outline[:, 1])]
        ear = max(1, int(0.06 * s))
        knot = np.asarray(
            [
                (top[0] - ear, top[1] + ear),
                (top[0] - ear * 1.5, top[1] - ear * 1.5),
                (top[0], top[1]),
                (top[0] + ear * 1.5, top[1] - ear * 1.5),
                (top[0] + ear, top[1] + ear),
            ]
        )
        self._fill(img, ids, k, knot, col)
        return self._roi(np.concatenate([outline, knot]), 2)


def _cuboid_corners(b: Bin) -> list[tuple[float, float, float]]:
    x0, x1 = b.x_m - b.width_m / 2, b.x_m + b.width_m / 2
    return [(x, y, z) for x in (x0, x1) for y in (0.0, b.height_m) for z in (b.z_m, b.z_m + b.depth_m)]


def _clip_box(pts: NDArray[np.float64], w: int, h: int) -> tuple[float, float, float, float]:
    return (
        float(np.clip(pts[:, 0].min(), 0, w)),
        float(np.clip(pts[:, 1].min(), 0, h)),
        float(np.clip(pts[:, 0].max(), 0, w)),
        float(np.clip(pts[:, 1].max(), 0, h)),
    )
