"""Left-object detection without a garbage class: new static things on the ground, from the video alone.

A COCO model sees people but not garbage bags. This module finds what people leave behind the way
abandoned-object detectors do: it keeps two background models of a small, blurred grey frame.

- The **long-term** model ``B_L`` learns slowly and only where the scene matches it (selective update),
  never under people; a dropped bag stays foreground against it.
- The **short-term** model ``B_S`` follows every frame within about a second, so a bag that came to
  rest soon matches it while a person walking past does not.

A pixel that is foreground against ``B_L`` but background against ``B_S`` is *static now* (both also
judged against the range of the pixel's 3x3 neighbours in that background, so a camera shaking by a
pixel makes no edge static); a per-pixel
clock counts how long it has been so, and pixels whose clock reaches ``early_s`` form the static mask.
Its connected components, filtered by size, are candidates; a small tracker gives them stable ids,
keeps them through occlusion by passers-by and drops them shortly after they go (picked up). A
candidate is *settled* once some of its pixels have been still for ``static_s``: only settled ones are
garbage for the rules' events; one not settled yet may already be warned about while its owner is
there to hear it (a bag is known a second after it lands, most people have left the view within five).

People: the clock is held (neither counts nor resets) under each person's box, and for a second (plus
what ``early_s`` takes off ``static_s``) where a person was last seen if the detector misses them, so a
person who stands still for minutes never becomes static; a new candidate that lies mostly within a
person's reach (the box widened sideways for what they carry) is not reported while that person is there.

Lighting: each frame is mapped back onto the tone of ``B_L`` through a global tone curve estimated from
pixels that did not change (median frame/background ratio per band of intensity), so auto-exposure,
gamma, clouds or lights switching on do not make foreground; the tolerance is the larger of a noise floor
(estimated each frame) and a fixed floor, plus a fraction of the background intensity. Clipped pixels are
held, not judged.

Start-up and ground first seen: the first frame is ``B_L`` except under people (unknown ground, learned
once uncovered and still for ``learn_still_s``). Ground so learned is *settling*: it follows the picture
(averaged over ``_SETTLE_TAU_S``) until it has stayed still, with nobody near, for ``settle_s`` at a stretch,
and nothing counts as static there until then. Whatever was in view, or in flux (a reflection fading, the
exposure coming back after someone left), when analysis started or resumed is so background, not a ghost.

Not objects: a static region whose outline is sharper in ``B_L`` than in the frame is a *ghost* (something
that was in the background has gone) and is learned away; a static region too large for an object, or
foreground over much of the frame for seconds (the camera moved), is relearned.

Time is passed in (stream seconds); the detector does no I/O and reads no clock. One instance per camera.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from detector.thumbnail import Picture, grey_thumbnail
from streams.decode import Luma

Box = tuple[float, float, float, float]
FloatImage = NDArray[np.float32]
BoolImage = NDArray[np.bool_]
_JOIN_GAP_PX = 4  # parts of one object are at most this many work pixels apart ...
_JOIN_GAP_FRAC = 0.3  # ... or this fraction of the larger part's longer side
_YOUNG_S = 5.0  # a candidate this new still takes parts of itself that come to rest later ...
_JOIN_YOUNG_FRAC = 1.0  # ... up to this fraction of the longer side away; older ones only overlapping parts
_PART_MEMORY_S = 10.0  # a candidate's box is the union of its parts seen this long ago or since
_SQUARE_2 = np.ones((2, 2), np.uint8)  # structuring elements, made once
_SQUARE_3 = np.ones((3, 3), np.uint8)
_MORPH_MARGIN = 6  # pixels around the static ones that cleaning them up (opening 2x2, closing 5x5) can touch
_SATURATED = 245  # grey level from which a pixel may be clipped
_TONE_BAND = 16  # grey levels per band of the tone curve
_TONE_BANDS = 256 // _TONE_BAND
_LEVELS = np.arange(256, dtype=np.float64)
_CENTRES = (np.arange(_TONE_BANDS) + 0.5) * _TONE_BAND
_LOG_CENTRES = np.log(_CENTRES)
_SAMPLE_STEP = 6  # the tone curve and the noise scale are medians over every 6th pixel of every 6th row
_TONE_PRIOR = 10.0  # weight, in samples, of the fitted power law in each band
_TONE_MIN_SAMPLES = 50  # fewer samples make no curve (about 1,800 usable work pixels at the step of 6)
_TONE_KEEP_FRAC = 0.3  # unless that leaves fewer samples than this (the view itself changed)
_TONE_CELLS = 4  # the view is cut into 4 x 4 cells ...
_TONE_MIN_CELLS = 3  # ... and a band of grey seen in fewer of them than this has no say in the tone curve
_TONE_OUTLIER = np.log(1.2)  # a band's gain this far (20 %) off the power law of all bands is a local change
_GHOST_EDGE_RATIO = 1.25  # a region whose outline is this much sharper in the background is a ghost
_GHOST_RING = np.ones((2 * 6 + 1, 2 * 6 + 1), np.uint8)  # the ground around a static region: 6 work pixels wide
_GHOST_CONTRAST_RATIO = 2.0  # ... a region that stood out from it twice as much in the background ...
_GHOST_CONTRAST_FLOOR = 4.0  # ... plus this many grey levels, as now, is a ghost
_GHOST_MARGIN = 8  # work pixels around a static region that the ghost tests look at
_SETTLE_TAU_S = 0.5  # time constant with which ground not settled yet follows the picture
_SETTLE_PAD_Y = 0.25  # ground this far (x the box height) above or below a person has not settled while they stand


@dataclass(frozen=True)
class StaticCandidate:
    """A new object that has stayed still for at least ``static_s``; ``xyxy`` in source-frame pixels."""

    object_id: int
    xyxy: Box
    score: float  # 0..1: how far the object stands out from the long-term background, against the tolerance
    first_static_s: float  # stream time its pixels had first been still for early_s (reported confirm_s later)
    last_seen_s: float  # last update its static pixels were seen; older while a person stands in front of it
    settled: bool = True  # some of its pixels have been still for static_s (for good, once so)


@dataclass(frozen=True)
class LeftObjectParams:
    """Tuning of the left-object detector; the defaults were measured on synthetic 640x360 clips at 5 fps."""

    work_width: int = 320  # analysis width in pixels (the frame is downscaled, never upscaled)
    blur_px: int = 5  # Gaussian kernel on the work image (odd), suppresses sensor noise and block artefacts
    long_tau_s: float = 30.0  # time constant of the long-term background on pixels that match it
    short_tau_s: float = 0.5  # time constant of the short-term background (everywhere)
    abs_tol: float = 8.0  # minimum grey-level difference that counts as foreground
    noise_k: float = 4.0  # ... or this many noise sigmas, whichever is larger
    rel_tol: float = 0.06  # plus this fraction of the background intensity (compression noise scales with it)
    min_area_frac: float = 0.0003  # smallest candidate, as a fraction of the frame area
    max_area_frac: float = 0.15  # larger static regions are a scene change, not an object
    person_pad: float = 0.08  # the clock is held under person boxes grown by this fraction of their size ...
    person_memory_s: float = 1.0  # ... and for this long after a box was last seen (detectors miss frames)
    person_reach: float = 0.6  # new candidates are suppressed within person boxes widened by this x width per side
    suppress_overlap: float = 0.4  # ... when at least this fraction of the candidate's box lies there
    confirm_s: float = 0.4  # a new candidate is reported once seen this long (its parts have joined up)
    grace_s: float = 1.5  # a candidate unseen this long is dropped (picked up, gone)
    occluded_grace_s: float = 30.0  # ... unless something stands in front of it, then this long
    absorb_s: float | None = 900.0  # static this long becomes background (None: never)
    scene_change_frac: float = 0.3  # foreground over this fraction of the frame is a scene change ...
    scene_change_s: float = 5.0  # ... and after this long the long-term background is relearned
    max_dt_s: float = 1.0  # a longer gap between updates counts as this long (a stalled stream is not "static")
    learn_still_s: float = 1.0  # ground first seen (uncovered by a person) is learned once it stayed still this long
    settle_s: float = 3.0  # ground just learned (first frame, first seen) follows the picture until still this long

    def __post_init__(self) -> None:
        checks = [
            ("work_width", 32 <= self.work_width <= 1920, "32..1920"),
            ("blur_px", self.blur_px >= 1 and self.blur_px % 2 == 1, "an odd number >= 1"),
            ("long_tau_s", self.long_tau_s > 0, "> 0"),
            ("short_tau_s", 0 < self.short_tau_s < self.long_tau_s, "> 0 and < long_tau_s"),
            ("abs_tol", self.abs_tol > 0, "> 0"),
            ("noise_k", self.noise_k >= 0, ">= 0"),
            ("rel_tol", 0 <= self.rel_tol < 1, "0 <= rel_tol < 1"),
            ("min_area_frac", 0 < self.min_area_frac < self.max_area_frac, "> 0 and < max_area_frac"),
            ("max_area_frac", self.max_area_frac <= 1, "<= 1"),
            ("person_pad", self.person_pad >= 0, ">= 0"),
            ("person_memory_s", self.person_memory_s >= 0, ">= 0"),
            ("person_reach", self.person_reach >= 0, ">= 0"),
            ("suppress_overlap", 0 < self.suppress_overlap <= 1, "0 < suppress_overlap <= 1"),
            ("confirm_s", self.confirm_s >= 0, ">= 0"),
            ("grace_s", self.grace_s >= 0, ">= 0"),
            ("occluded_grace_s", self.occluded_grace_s >= self.grace_s, ">= grace_s"),
            ("absorb_s", self.absorb_s is None or self.absorb_s > 0, "> 0 or None"),
            ("scene_change_frac", 0 < self.scene_change_frac <= 1, "0 < scene_change_frac <= 1"),
            ("scene_change_s", self.scene_change_s > 0, "> 0"),
            ("max_dt_s", self.max_dt_s > 0, "> 0"),
            ("learn_still_s", self.learn_still_s >= 0, ">= 0"),
            ("settle_s", self.settle_s >= 0, ">= 0"),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise ValueError(f"LeftObjectParams.{name} must be {expected}; got {getattr(self, name)!r}")


@dataclass
class _Track:
    object_id: int
    box: NDArray[np.float64]  # x1, y1, x2, y2 in work pixels
    score: float
    first_static_s: float
    last_seen_s: float
    parts: list[NDArray[np.float64]] = field(default_factory=list)  # components matched this update
    settled: bool = False
    recent: list[tuple[float, NDArray[np.float64]]] = field(default_factory=list)  # (when, part) in the last grace_s


@dataclass
class _Group:
    """Static components taken for one object."""

    box: NDArray[np.float64]  # x1, y1, x2, y2 in work pixels
    weight: float  # score x area
    area: int
    labels: list[int]

    def add(self, other: _Group) -> None:
        self.box = np.concatenate([np.minimum(self.box[:2], other.box[:2]), np.maximum(self.box[2:], other.box[2:])])
        self.weight += other.weight
        self.area += other.area
        self.labels += other.labels


class LeftObjectDetector:
    """Finds new static objects in one camera's frames; call :meth:`update` with every analysed frame."""

    def __init__(
        self,
        frame_wh: tuple[int, int],
        *,
        static_s: float = 3.0,
        early_s: float | None = None,
        ignore: NDArray[np.bool_] | Sequence[NDArray[np.floating] | Sequence[Sequence[float]]] | None = None,
        params: LeftObjectParams | None = None,
    ) -> None:
        """``frame_wh`` is the source frame size; ``ignore`` is a boolean (H, W) mask (True = ignored) or
        polygons in source pixels; an object still for ``early_s`` is a candidate, settled once still for
        ``static_s``. ``early_s`` None is ``static_s``: every candidate settled when first reported (the pipeline's
        default; a camera's ``rules.early_s`` sets it; docs/accuracy-history.md, session 18, says why it is off)."""
        w, h = frame_wh
        if w < 16 or h < 16:
            raise ValueError(f"frame_wh must be at least 16x16 pixels; got {w}x{h}")
        early_s = static_s if early_s is None else early_s
        if not 0 < early_s <= static_s:
            raise ValueError(f"need 0 < early_s <= static_s; got early_s {early_s}, static_s {static_s}")
        self.params = params or LeftObjectParams()
        self.static_s = float(static_s)
        self.early_s = float(early_s)
        # A person the model stops seeing is held where they were for person_memory_s, plus what early_s takes off
        # static_s: a still person it misses must not become a candidate sooner than one settled would have. (Held
        # for person_memory_s alone, a person standing still whom the model missed for two seconds was an early
        # candidate: warned about, or joined with a bag beside them into one object reaching up to their head.)
        self._person_memory_s = self.params.person_memory_s + self.static_s - self.early_s
        self.frame_wh = (int(w), int(h))
        ww = min(self.params.work_width, w)
        wh = max(8, round(h * ww / w))
        self._work_wh = (ww, wh)
        self._scale = np.array([w / ww, h / wh, w / ww, h / wh])
        self._ignore = self._work_ignore(ignore)
        self._valid = ~self._ignore
        self._min_area = self.params.min_area_frac * ww * wh
        self._max_area = self.params.max_area_frac * ww * wh
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        self._blur_square = np.ones((self.params.blur_px, self.params.blur_px), np.uint8)
        # The pixels the medians sample (every _SAMPLE_STEP-th of every _SAMPLE_STEP-th row), as flat indices.
        self._grid = (slice(1, None, _SAMPLE_STEP), slice(1, None, _SAMPLE_STEP))
        self._grid_flat = np.arange(ww * wh).reshape(wh, ww)[self._grid].ravel()
        rows, cols = np.divmod(self._grid_flat, ww)
        self._grid_cell = (rows * _TONE_CELLS // wh) * _TONE_CELLS + cols * _TONE_CELLS // ww  # each sample's cell
        # State, set on the first update.
        self._long: FloatImage | None = None
        self._short: FloatImage = np.zeros((wh, ww), np.float32)
        self._clock: FloatImage = np.zeros((wh, ww), np.float32)  # seconds static
        self._known: BoolImage = np.zeros((wh, ww), np.bool_)  # long-term background seen without a person
        self._known_s: FloatImage = np.zeros((wh, ww), np.float32)  # ... for this long (seconds)
        self._still: FloatImage = np.zeros((wh, ww), np.float32)  # seconds each pixel has matched the short-term
        self._changed: BoolImage = np.zeros((wh, ww), np.bool_)  # foreground in the previous update
        self._sigma = 2.0
        self._t_s: float | None = None
        self._scene_change_s = 0.0
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._people: list[tuple[float, NDArray[np.float64]]] = []  # (time, box) of people seen, in work pixels

    # ---- public -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the background and all candidates (e.g. after the camera was moved)."""
        self._long = None
        self._clock[:] = 0
        self._known[:] = False
        self._known_s[:] = 0
        self._still[:] = 0
        self._changed[:] = False
        self._t_s = None
        self._scene_change_s = 0.0
        self._tracks = []
        self._people = []

    def update(self, picture: Picture, t_s: float, person_xyxy: NDArray[np.float32]) -> list[StaticCandidate]:
        """Feed one frame (BGR, or its luma plane from the decoder) at stream time ``t_s`` with the people
        seen in it (N, 4 xyxy, source pixels); returns the current candidates, ordered by id."""
        w, h = self.frame_wh
        pixels = picture.plane if isinstance(picture, Luma) else picture
        channels = () if isinstance(picture, Luma) else (3,)
        if pixels.shape != (h, w, *channels) or pixels.dtype != np.uint8:
            kind = "luma plane" if channels == () else "BGR frame"
            raise ValueError(f"the {kind} must be uint8 {(h, w, *channels)}; got {pixels.dtype} {pixels.shape}")
        people = np.asarray(person_xyxy, np.float64)
        if people.size == 0:
            people = np.zeros((0, 4))
        if people.ndim != 2 or people.shape[1] != 4:
            raise ValueError(f"person_xyxy must be (N, 4) x1, y1, x2, y2 source pixels; got shape {people.shape}")
        if self._t_s is not None and t_s < self._t_s:
            raise ValueError(f"t_s must not go backwards: got {t_s} after {self._t_s}")
        dt = 0.0 if self._t_s is None else min(t_s - self._t_s, self.params.max_dt_s)
        self._t_s = t_s

        frame, saturated = self._prepare(picture)
        # A person detector misses a standing person now and then: a person who is not seen now stays
        # where they were for a moment, unless someone is seen close by (they moved on).
        now = people / self._scale
        self._people = [
            (t, b) for t, b in self._people if t_s - t <= self._person_memory_s and not _moved_on(b, now)
        ] + [(t_s, b) for b in now]
        people_w = np.array([b for _, b in self._people], np.float64).reshape(-1, 4)
        body = self._box_mask(people_w, self.params.person_pad, self.params.person_pad)
        if self._long is None:
            self._long = frame.astype(np.float32)
            self._short = frame.astype(np.float32)
            self._learn_view(body)
            return []
        return self._step(frame, saturated, t_s, dt, people_w, body)

    # ---- internals ----------------------------------------------------------------------------
    def _learn_view(self, body: BoolImage) -> None:
        """The view as the long-term background was just taken (first frame, or relearned): ground under a
        person is unknown, the rest is known but not settled. (Taken as settled away from people, ground whose
        picture was still in flux then, or where the detector missed someone in that first frame, made ghosts
        again.)"""
        self._known = ~body
        self._known_s[:] = 0

    def _near_people(self, people_w: NDArray[np.float64]) -> BoolImage:
        return self._box_mask(people_w, self.params.person_reach, _SETTLE_PAD_Y)

    def _work_ignore(
        self, ignore: NDArray[np.bool_] | Sequence[NDArray[np.floating] | Sequence[Sequence[float]]] | None
    ) -> BoolImage:
        ww, wh = self._work_wh
        w, h = self.frame_wh
        if ignore is None:
            return np.zeros((wh, ww), np.bool_)
        if isinstance(ignore, np.ndarray) and ignore.dtype == np.bool_:
            if ignore.shape != (h, w):
                raise ValueError(f"ignore mask must have the frame's shape ({h}, {w}); got {ignore.shape}")
            small = cv2.resize(ignore.astype(np.float32), (ww, wh), interpolation=cv2.INTER_AREA)
            return np.asarray(small >= 0.5)
        mask = np.zeros((wh, ww), np.uint8)
        for poly in ignore:
            pts = np.asarray(poly, np.float64)
            if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
                raise ValueError(f"each ignore polygon must be (N >= 3, 2) source pixels; got shape {pts.shape}")
            cv2.fillPoly(mask, [np.round(pts / self._scale[:2]).astype(np.int32)], 1)
        return mask.astype(np.bool_)

    def _prepare(self, picture: Picture) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
        """The blurred grey work image, and where the unblurred one is saturated."""
        small = grey_thumbnail(picture, self._work_wh)
        saturated = np.asarray(small >= _SATURATED, np.uint8)
        k = self.params.blur_px
        blurred = cv2.GaussianBlur(small, (k, k), 0) if k > 1 else small
        return np.asarray(blurred, np.uint8), saturated

    def _box_mask(self, boxes: NDArray[np.float64], pad_x: float, pad_y: float) -> BoolImage:
        ww, wh = self._work_wh
        mask = np.zeros((wh, ww), np.bool_)
        for x1, y1, x2, y2 in boxes:
            bw, bh = x2 - x1, y2 - y1
            c0, c1 = max(0, int(x1 - pad_x * bw)), min(ww, int(np.ceil(x2 + pad_x * bw)))
            r0, r1 = max(0, int(y1 - pad_y * bh)), min(wh, int(np.ceil(y2 + pad_y * bh)))
            if c1 > c0 and r1 > r0:
                mask[r0:r1, c0:c1] = True
        return mask

    def _step(
        self,
        frame: NDArray[np.uint8],
        saturated: NDArray[np.uint8],
        t_s: float,
        dt: float,
        people_w: NDArray[np.float64],
        body: BoolImage,
    ) -> list[StaticCandidate]:
        p = self.params
        long = self._long
        assert long is not None
        # Where the sensor clips, now or in the reference, brightness says nothing about the scene; the blur
        # spreads clipped pixels over the kernel, so the mask grows by as much.
        clipped_u8 = saturated | np.asarray(long >= _SATURATED, np.uint8)
        if p.blur_px > 1:
            clipped_u8 = np.asarray(cv2.dilate(clipped_u8, self._blur_square), np.uint8)
        clipped = clipped_u8.astype(np.bool_)
        free = ~body  # nobody stands here
        usable = self._valid & free & self._known & ~clipped & (long > 4)
        if np.count_nonzero(usable & ~self._changed) > _TONE_KEEP_FRAC * np.count_nonzero(usable):
            usable &= ~self._changed  # what changed (objects, ghosts) must not bend the tone curve

        # Global tone change against the long-term background (exposure, gamma, daylight) divides out.
        on_grid = usable[self._grid].ravel()
        picked = self._grid_flat[on_grid]  # a sample is enough for medians
        inverse = _tone_inverse(
            frame.ravel().take(picked).astype(np.float32), long.ravel().take(picked), self._grid_cell[on_grid]
        )
        norm = np.asarray(cv2.LUT(frame, inverse), np.float32)

        # Noise scale (robust sigma of the short-term residual), smoothed over time.
        if len(picked) > _TONE_MIN_SAMPLES:
            sigma = 1.4826 * float(np.median(np.abs(norm.ravel().take(picked) - self._short.ravel().take(picked))))
            self._sigma += 0.1 * (sigma - self._sigma)
        tol = np.float32(max(p.abs_tol, p.noise_k * self._sigma)) + np.float32(p.rel_tol) * long
        d_long = np.asarray(cv2.absdiff(norm, long), np.float32)
        fg_long = (d_long > tol) & self._valid & ~clipped
        self._changed = fg_long
        # Still means within the short-term range of a pixel's neighbours: a shaking camera moves edges.
        fg_short = _outside_range(norm, self._short, tol)

        # Scene change (camera moved, lights in part of the view): hold everything, then relearn.
        fg_frac = int(np.count_nonzero(fg_long & free)) / max(1, int(np.count_nonzero(self._valid & free)))
        self._scene_change_s = self._scene_change_s + dt if fg_frac > p.scene_change_frac else 0.0
        if self._scene_change_s > p.scene_change_s:
            self._long, self._short = norm.copy(), norm.copy()
            self._clock[:] = 0
            self._learn_view(body)
            self._tracks = []
            self._scene_change_s = 0.0
            return []
        scene_change = self._scene_change_s > 0

        # The static clock: counts where new and still, resets quickly where the scene is back, holds
        # under people and where something moves in front. (Masked updates go through OpenCV, whose cost does
        # not depend on how scattered the mask is, as NumPy's masked writes' does.)
        clock = self._clock
        quiet = ~fg_long & free & ~clipped  # the scene is back to its background here, visibly
        # (the ignores: some opencv-python releases' stubs refuse a float scalar, others not)
        # Ground just learned settles once it has stayed still, with nobody near, for settle_s at a stretch (a
        # person's shadow and reflection on the floor reach beyond their box).
        settled = self._known_s >= np.float32(p.settle_s)
        calm = ~self._near_people(people_w) & ~fg_short
        cv2.add(self._known_s, dt, dst=self._known_s, mask=_u8(self._known & (settled | calm)))  # type: ignore[call-overload, unused-ignore]
        self._known_s[~settled & ~calm] = 0
        settled = self._known_s >= np.float32(p.settle_s)
        if not scene_change:
            # Ground never seen yet has nothing to differ from, and ground just learned is not settled yet.
            # New is judged against the range of each pixel's neighbours in the background, as still is against
            # the short term: a camera that shakes by a pixel moves every edge, and against the pixel alone an
            # edge learned at one end of the shake was new at the other, half the time, and built up into
            # "objects" on signs and kerbs. (Only here: learning where the range matched let the background
            # creep into a lying bag from its edges, a pixel at a time, until it fell apart.)
            counting = fg_long & ~fg_short & free & settled
            if counting.any():  # (most updates of a quiet view have nothing to judge)
                counting &= _outside_range(norm, long, tol)
            cv2.add(clock, dt, dst=clock, mask=_u8(counting))  # type: ignore[call-overload, unused-ignore]
            falling = np.minimum(clock, np.float32(self.static_s))
            falling -= np.float32(2 * dt)
            cv2.copyTo(np.maximum(falling, 0, out=falling), _u8(quiet), clock)

        # Backgrounds: short-term everywhere; long-term where it matches and nobody stands. Ground first seen
        # (under someone when analysis started or resumed) is learned once it has stayed still for
        # learn_still_s, not in the first frame it was uncovered: the person who stood there is often still
        # partly in it (a foot, a shadow), and what was learned then became a "new object" when it went.
        self._still += np.float32(dt)
        self._still[fg_short | ~free] = 0
        a_short = 1.0 - np.exp(-dt / p.short_tau_s)
        cv2.accumulateWeighted(norm, self._short, a_short)
        if not scene_change:
            a_long = 1.0 - np.exp(-dt / p.long_tau_s)
            cv2.accumulateWeighted(norm, long, a_long, mask=_u8(quiet))
            first_seen = ~self._known & free & (self._still >= p.learn_still_s)
            cv2.copyTo(norm, _u8(first_seen), long)
            self._known |= first_seen
            # Ground just learned (in the first frame, or first seen when a person moved off it) follows the
            # picture wherever it is still, until it has stayed still and uncovered for settle_s at a stretch:
            # a pixel is still long before the view around it has settled (a departing person's reflection on
            # a glossy floor, the exposure coming back after they went), and what it was learned as then,
            # pixel by pixel at different moments, was taken for a new object once the view had settled
            # (ghosts at the start of every third analysis of the real clip).
            # (Followed as an average over about _SETTLE_TAU_S, not copied: copied, a flickering spot was
            # learned as whatever its last still frame showed, an extreme of the flicker, and the selective
            # update, which learns only where the picture matches, kept it there.)
            settling = self._known & ~settled & calm
            cv2.accumulateWeighted(norm, long, 1.0 - np.exp(-dt / _SETTLE_TAU_S), mask=_u8(settling))
            if p.absorb_s is not None:
                old = clock >= p.absorb_s
                if old.any():
                    cv2.copyTo(norm, _u8(old), long)
                    clock[old] = 0

        # Static: still for early_s, and not back to the background now (its clock falls from static_s over
        # seconds, for a flicker to be forgiven; what is plainly gone, picked up, must not be seen meanwhile).
        static = ((clock >= self.early_s) & ~quiet).astype(np.uint8)
        comps: list[tuple[NDArray[np.float64], float]] = []
        # Still for static_s, cleaned up as the static mask is; None when that is the static mask (early_s is
        # static_s: every component is an object's worth of such pixels, so no second pass is made).
        old_enough = None if self.early_s == self.static_s else np.zeros_like(static)
        x0, y0, rw, rh = cv2.boundingRect(static)
        if rw:
            # Cleaned up around the static pixels only; the margin holds all that the closing can grow.
            roi = (slice(max(0, y0 - _MORPH_MARGIN), y0 + rh + _MORPH_MARGIN),
                   slice(max(0, x0 - _MORPH_MARGIN), x0 + rw + _MORPH_MARGIN))  # fmt: skip
            part = cv2.morphologyEx(static[roi], cv2.MORPH_OPEN, _SQUARE_2)
            static[roi] = cv2.morphologyEx(part, cv2.MORPH_CLOSE, self._kernel)
            comps, too_big = self._components(static, d_long, tol)
            if too_big is not None:  # no object is that large: a change of the view or of local light
                long[too_big] = norm[too_big]
                clock[too_big] = 0
            if old_enough is not None:
                part = cv2.morphologyEx(((clock[roi] >= self.static_s) & ~quiet[roi]).astype(np.uint8),
                                        cv2.MORPH_OPEN, _SQUARE_2)  # fmt: skip
                old_enough[roi] = cv2.morphologyEx(part, cv2.MORPH_CLOSE, self._kernel)
        reach = self._box_mask(people_w, p.person_reach, p.person_pad)
        changed = fg_long | body | clipped  # not plain ground now

        def arrived(box: NDArray[np.float64]) -> bool:
            """False for a ghost: the long-term background had an object here that has gone. It is
            learned away at once (an object in the first frame, or one absorbed and then removed)."""
            x1, y1, x2, y2 = (int(v) for v in box)
            m = _GHOST_MARGIN  # room for the outline and the ground around it
            roi = (slice(max(0, y1 - m), y2 + m), slice(max(0, x1 - m), x2 + m))
            if not _is_ghost(static[roi], norm[roi], long[roi], changed[roi]):
                return True
            core = static[roi]  # with the changed pixels just around it: its outline, not only its still core
            here = core.astype(np.bool_) | (cv2.dilate(core, self._kernel).astype(np.bool_) & fg_long[roi])
            long[roi][here] = norm[roi][here]
            clock[roi][here] = 0
            return False

        return self._track(comps, t_s, reach, body | fg_long | clipped, arrived, old_enough)

    def _components(
        self, static: NDArray[np.uint8], d_long: FloatImage, tol: FloatImage
    ) -> tuple[list[tuple[NDArray[np.float64], float]], BoolImage | None]:
        """Boxes (work pixels) and scores of static regions, parts of one object joined; and the pixels of
        regions too large to be an object (None if there are none)."""
        # Labelling and scoring touch only the box around the static pixels (a small part of the frame).
        x0, y0, rw, rh = cv2.boundingRect(static)
        if rw == 0:  # the opening removed every static pixel (and OpenCV cannot label an empty image)
            return [], None
        # OpenCV labels 2x2 blocks: a box starting on even coordinates numbers the components in the same
        # order as the whole image would (the order decides how parts are joined and ids are given).
        rw, rh, x0, y0 = rw + (x0 & 1), rh + (y0 & 1), x0 & ~1, y0 & ~1
        roi = (slice(y0, y0 + rh), slice(x0, x0 + rw))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(static[roi], connectivity=8)
        if n <= 1:
            return [], None
        stats[:, 0] += x0
        stats[:, 1] += y0
        strength = np.minimum(d_long[roi] / (2 * tol[roi]), 1.0)
        score = np.bincount(labels.ravel(), weights=strength.ravel(), minlength=n) / np.maximum(stats[:, 4], 1)
        # Parts of one object split by a highlight or a fold: join components a few pixels apart.
        groups: list[_Group] = []
        for i in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            part = _Group(np.array([x, y, x + bw, y + bh], np.float64), float(score[i]) * area, area, [i])
            host = next((g for g in groups if _joins(part.box, g.box)), None)
            if host is None:
                groups.append(part)
            else:
                host.add(part)
        comps, big = [], []
        for g in groups:
            box_area = (g.box[2] - g.box[0]) * (g.box[3] - g.box[1])
            if max(g.area, box_area / 2) > self._max_area:
                big += g.labels
            elif g.area >= self._min_area:
                comps.append((g.box, g.weight / g.area))
        if not big:
            return comps, None
        too_big = np.zeros(static.shape, np.bool_)
        too_big[roi] = np.isin(labels, big)
        return comps, too_big

    def _track(
        self,
        comps: list[tuple[NDArray[np.float64], float]],
        t_s: float,
        reach: BoolImage,
        hidden: BoolImage,
        arrived: Callable[[NDArray[np.float64]], bool],
        old_enough: NDArray[np.uint8] | None,
    ) -> list[StaticCandidate]:
        """Match components to candidates. ``hidden``: where a candidate may be but cannot be seen as static
        (under a person, still foreground but not still, or clipped); there it is kept for longer."""
        p = self.params
        for tr in self._tracks:
            tr.parts = []

        def mature(box: NDArray[np.float64]) -> bool:
            """Whether ``box`` (work pixels) holds an object's worth of pixels still for static_s (what made a
            candidate before candidates were seen early)."""
            if old_enough is None:
                return True
            c0, r0, c1, r1 = (int(v) for v in box)
            return cv2.countNonZero(old_enough[r0 : r1 + 1, c0 : c1 + 1]) >= self._min_area

        for box, score in comps:
            best, best_ov = None, 0.0
            for tr in self._tracks:
                ov = _overlap(box, tr.box)
                # Parts that came to rest later join a young candidate, once settled: one not settled yet may be
                # a still person the model missed for a second, and a bag set down beside them is not theirs.
                if ov < 0.5 and tr.settled and _young(tr, t_s) and _joins(box, tr.box, _JOIN_YOUNG_FRAC):
                    ov = 0.5
                if ov > best_ov:
                    best, best_ov = tr, ov
            near_person = _fraction_in(box, reach) >= p.suppress_overlap
            if best is not None and best_ov >= 0.5:
                # A young candidate's new parts are judged as a new candidate is: a ghost beside a real
                # change (the floor where someone stood at the start, beside a speck that did arrive)
                # would otherwise join it and be carried on as one object.
                if not near_person and (not _young(best, t_s) or arrived(box)):
                    best.parts.append(box)
                    best.score = score
                    # Settled as a new candidate was made before it could be seen early: a part still for
                    # static_s, nobody within reach of it, not a ghost.
                    best.settled = best.settled or mature(box)
            elif not near_person and arrived(box):
                self._tracks.append(_Track(self._next_id, box, score, t_s, t_s, [box], settled=mature(box)))
                self._next_id += 1
        alive = []
        for tr in self._tracks:
            if tr.parts:
                # The object is the union of its parts seen in the last _PART_MEMORY_S, not only of this
                # update's: a part that flickers (a fold, a shadow at the threshold) stays part of it, rather
                # than being dropped from its box and, seen again once the object is no longer young,
                # becoming an object of its own beside it. Not before it has settled: until then a part may be
                # a still person the model missed (at night, for seconds), gone when they walk off; kept, it made
                # the bag they set down a box reaching up to where their head had been.
                kept = [(t, b) for t, b in tr.recent if t_s - t <= _PART_MEMORY_S] if tr.settled else []
                tr.recent = kept + [(t_s, b) for b in tr.parts]
                boxes = [b for _, b in tr.recent]
                tr.box = np.concatenate([np.min(boxes, axis=0)[:2], np.max(boxes, axis=0)[2:]])
                tr.last_seen_s = t_s
            # Kept through occlusion once settled; one not settled yet, covered, was most often part of the person
            # who covers it (the model missed them), and kept for occluded_grace_s it took in whatever came to rest
            # under its box later.
            covered = tr.settled and _fraction_in(tr.box, hidden) >= 0.3
            grace = p.occluded_grace_s if covered else p.grace_s
            if t_s - tr.last_seen_s <= grace:
                alive.append(tr)
        self._tracks = _merge(alive, t_s)
        out = []
        for tr in sorted(self._tracks, key=lambda tr: tr.object_id):
            if tr.last_seen_s - tr.first_static_s >= p.confirm_s - 1e-6:
                x1, y1, x2, y2 = (float(v) for v in tr.box * self._scale)
                out.append(StaticCandidate(
                    tr.object_id, (x1, y1, x2, y2), round(tr.score, 3), tr.first_static_s, tr.last_seen_s, tr.settled
                ))  # fmt: skip
        return out


def _u8(mask: BoolImage) -> NDArray[np.uint8]:
    """A boolean mask as OpenCV's 8-bit mask (the same memory: True is 1)."""
    return mask.view(np.uint8)


def _tone_inverse(f: FloatImage, b: FloatImage, cell: NDArray[np.int64]) -> NDArray[np.float32]:
    """A 256-entry table that maps this frame's grey levels back to the long-term background's tone.

    ``f``, ``b``: current and background values of a sample of pixels that should be background; ``cell``:
    which of the view's _TONE_CELLS x _TONE_CELLS cells each sample lies in. The ratio f/b in each band of
    background intensity gives the tone curve T (background level -> frame level), so a change of exposure,
    gain, offset or gamma is undone without assuming its form; bands with few samples lean on a power law
    fitted to all bands. A change of the whole picture's tone is the same all over the view, a local one (a
    shadow that went, a light in one corner, something moved) is not: so a band's ratio is the median over
    the cells of the view of each cell's median, and a band seen in fewer than _TONE_MIN_CELLS cells is left
    to the power law. (With a plain median per band, a large shadow in the background leaving at once
    outnumbered the dark ground of its band, bent the whole curve and made half the view foreground.)
    The table is T's inverse, so contrast is kept where T only shifts levels."""
    levels = _LEVELS
    if f.size < _TONE_MIN_SAMPLES:
        return levels.astype(np.float32)
    ratio = np.clip(f / np.maximum(b, 1.0), 0.05, 19.9)
    band = np.minimum(b.astype(np.int32) // _TONE_BAND, _TONE_BANDS - 1)
    cells = _TONE_CELLS * _TONE_CELLS
    group = band * cells + cell
    n_groups = _TONE_BANDS * cells
    # Ordered by group, then by ratio (ratios are < 20), each group's middle element is its median.
    ordered = np.sort(group * 20.0 + ratio)
    sizes = np.bincount(group, minlength=n_groups)
    middles = np.minimum(np.cumsum(sizes) - sizes + sizes // 2, ratio.size - 1)
    cell_med = np.where(sizes > 0, ordered[middles] - np.arange(n_groups) * 20.0, np.nan).reshape(_TONE_BANDS, cells)
    seen_in = np.count_nonzero(sizes.reshape(_TONE_BANDS, cells), axis=1)
    counts = np.where(seen_in >= _TONE_MIN_CELLS, np.bincount(band, minlength=_TONE_BANDS), 0)
    g_all = float(np.median(ratio))
    med = np.full(_TONE_BANDS, g_all)
    used = counts > 0
    if used.any():
        med[used] = np.nanmedian(cell_med[used], axis=1)
    # Sparse bands lean on a power law (gain x gamma) fitted to all bands: it extrapolates a gamma change.
    # A band off the law by more than _TONE_OUTLIER changed alone (a local change that fills that band in
    # many cells): it is left out and the law fitted again, so it cannot bend its neighbours' levels.
    prior = np.full(_TONE_BANDS, g_all)
    for _ in range(2):
        if np.count_nonzero(used) < 2:
            break
        x, y = _LOG_CENTRES[used], np.log(med[used] * _CENTRES[used])
        slope, offset = np.polyfit(x, y, 1, w=seen_in[used].astype(np.float64))
        prior = np.exp(offset + (slope - 1) * _LOG_CENTRES)
        off_law = used & (np.abs(np.log(med / prior)) > _TONE_OUTLIER)
        if not off_law.any():
            break
        used &= ~off_law
        counts = np.where(used, counts, 0)
    gains = (counts * med + _TONE_PRIOR * prior) / (counts + _TONE_PRIOR)
    curve = np.maximum.accumulate(np.interp(levels, _CENTRES, gains) * levels) + levels * 1e-6  # rising
    return np.interp(levels, curve, levels).astype(np.float32)


def _outside_range(img: FloatImage, ref: FloatImage, tol: FloatImage) -> BoolImage:
    """Where ``img`` lies more than ``tol`` outside the range of ``ref`` in each pixel's 3x3 neighbourhood."""
    above = img - np.asarray(cv2.dilate(ref, _SQUARE_3), np.float32) > tol
    return above | (np.asarray(cv2.erode(ref, _SQUARE_3), np.float32) - img > tol)


def _is_ghost(static: NDArray[np.uint8], now: FloatImage, long: FloatImage, changed: BoolImage) -> bool:
    """Whether a static region is something of the long-term background that has gone rather than a new object.

    Two signs, either is enough: the edges around the region are the background's rather than this frame's
    (a sharp object gone), or the region stood out from the ground around it in the background and now
    blends in (a soft shadow gone, a dim object gone, a person's legs learned in the first frame who walked
    off): an object that arrives stands out more than the ground it covers did, a ghost less. The ground
    around is what is plain background now (not ``changed``: foreground, under a person or clipped), so a
    region that is only part of what changed is compared with the ground, not with the rest of the change."""
    if static.shape[0] < 3 or static.shape[1] < 3:
        return False
    inside = static.astype(np.bool_)
    ring = cv2.morphologyEx(static, cv2.MORPH_GRADIENT, _SQUARE_3).astype(np.bool_)
    if not ring.any():
        return False

    def edges(img: FloatImage) -> float:
        gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
        return float(np.mean(np.abs(gx[ring]) + np.abs(gy[ring])))

    if edges(long) > _GHOST_EDGE_RATIO * edges(now):
        return True
    around = cv2.dilate(static, _GHOST_RING).astype(np.bool_) & ~inside & ~changed
    if not around.any() or not inside.any():
        return False

    def stands_out(img: FloatImage) -> float:
        return abs(float(np.median(img[inside])) - float(np.median(img[around])))

    return stands_out(long) > _GHOST_CONTRAST_RATIO * stands_out(now) + _GHOST_CONTRAST_FLOOR


def _young(tr: _Track, t_s: float) -> bool:
    """A candidate this new still takes parts of itself that come to rest later."""
    return t_s - tr.first_static_s <= _YOUNG_S


def _moved_on(old: NDArray[np.float64], now: NDArray[np.float64]) -> bool:
    """Whether a person box seen now is close enough to ``old`` to be the same person, moved."""
    if len(now) == 0:
        return False
    w, h = old[2] - old[0], old[3] - old[1]
    dx = np.abs((now[:, 0] + now[:, 2]) / 2 - (old[0] + old[2]) / 2)
    dy = np.abs((now[:, 1] + now[:, 3]) / 2 - (old[1] + old[3]) / 2)
    return bool(np.any((dx <= 2 * w) & (dy <= 0.5 * h)))


def _joins(a: NDArray[np.float64], b: NDArray[np.float64], frac: float = _JOIN_GAP_FRAC) -> bool:
    """Two boxes (work pixels) are parts of one object when the gap between them is small against their size."""
    gap = max(0.0, a[0] - b[2], b[0] - a[2], a[1] - b[3], b[1] - a[3])
    size = max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1])
    return bool(gap <= max(_JOIN_GAP_PX, frac * size))


def _overlap(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Intersection over the smaller box's area (1 when one box holds the other)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(ix * iy / small) if small > 0 else 0.0


def _fraction_in(box: NDArray[np.float64], mask: BoolImage) -> float:
    x1, y1, x2, y2 = (round(float(v)) for v in box)
    roi = mask[max(0, y1) : max(0, y2), max(0, x1) : max(0, x2)]
    return float(np.count_nonzero(roi)) / roi.size if roi.size else 0.0


def _merge(tracks: list[_Track], t_s: float) -> list[_Track]:
    """Tracks whose boxes came to overlap mostly are one object: keep the older id, union the boxes. So are two
    young ones close enough to be parts of one object (`_joins` at _JOIN_YOUNG_FRAC) once either has settled: a
    part that came to rest beside a candidate not settled yet was kept apart (it might have been a still person
    the model missed), and a bag seen early as its body and, half a second later, its bottom edge stayed two
    objects, two warnings and two events."""
    tracks = sorted(tracks, key=lambda tr: tr.object_id)
    out: list[_Track] = []
    for tr in tracks:
        host = next((o for o in out if _overlap(o.box, tr.box) >= 0.6 or _parts_of_one(o, tr, t_s)), None)
        if host is None:
            out.append(tr)
        else:
            host.box = np.concatenate([np.minimum(host.box[:2], tr.box[:2]), np.maximum(host.box[2:], tr.box[2:])])
            host.last_seen_s = max(host.last_seen_s, tr.last_seen_s)
            host.settled |= tr.settled
            host.recent += tr.recent
    return out


def _parts_of_one(a: _Track, b: _Track, t_s: float) -> bool:
    """Two young tracks, one of them settled, near enough to be parts of one object."""
    return (a.settled or b.settled) and _young(a, t_s) and _young(b, t_s) and _joins(a.box, b.box, _JOIN_YOUNG_FRAC)
