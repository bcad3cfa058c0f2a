"""Writes one synthetic clip: video.mp4, truth.json, camera.yaml and optional YOLO labels."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import yaml

from sim.render import Box
from sim.scene import SimScene, SimSpec
from streams.writer import H264Writer

# x264's fastest preset (3.5x faster than veryfast at 1920x1080 on one thread, the same PSNR on the
# simulator's noisy frames) with the two tools every camera encoder keeps.
X264_PRESET = "ultrafast"
X264_PARAMS = "deblock=0,0:cabac=1"
# A camera's VBR: quality-driven (the scene's CRF) under a peak rate by resolution, 4 Mbit/s for a
# 1920x1080 main stream, falling with the pixel count to the 0.5-1 Mbit/s of a 640x360 sub-stream, with
# a one-second buffer and a fixed group of pictures: a key frame every two seconds, none on scene cuts.
MAIN_STREAM_KBPS = 4096
MAIN_STREAM_PIXELS = 1920 * 1080
MIN_KBPS, MAX_KBPS = 384, 8192


def camera_kbps(width: int, height: int) -> int:
    """The peak bitrate a camera's encoder holds at this size (kbit/s)."""
    kbps = MAIN_STREAM_KBPS * (width * height / MAIN_STREAM_PIXELS) ** 0.75
    return int(min(MAX_KBPS, max(MIN_KBPS, round(kbps))))


def camera_x264_params(width: int, height: int, fps: float) -> str:
    """``X264_PARAMS`` plus the rate cap and key-frame interval of a camera at this size and rate."""
    kbps = camera_kbps(width, height)
    keyint = max(1, round(2 * fps))
    return f"{X264_PARAMS}:vbv-maxrate={kbps}:vbv-bufsize={kbps}:keyint={keyint}:scenecut=0"


def yolo_lines(boxes: list[Box], width: int, height: int) -> list[str]:
    out = []
    for b in boxes:
        cx, cy = (b.x1 + b.x2) / 2 / width, (b.y1 + b.y2) / 2 / height
        bw, bh = (b.x2 - b.x1) / width, (b.y2 - b.y1) / height
        out.append(f"{b.cls} {cx:.6f} {cy:.6f} {bw:.6f} {bh:.6f}")
    return out


def _own_temporary(path: Path, suffix: str = ".tmp") -> Path:
    """A temporary name beside ``path`` that no other process writing the same file uses: two renders of one
    clip at once (two benches sharing a cache) each finish their own file and the later one wins whole. (With
    one fixed name, one process renamed the other's half-written video away and that one failed.)"""
    return path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}{suffix}")


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = _own_temporary(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_clip(
    spec: SimSpec, out_dir: Path, labels: bool = False, progress: Callable[[int, int], None] | None = None
) -> SimScene:
    out_dir.mkdir(parents=True, exist_ok=True)
    scene = SimScene(spec)
    n = spec.frames
    label_dir = out_dir / "labels"
    if labels:
        label_dir.mkdir(exist_ok=True)
    tmp_video = _own_temporary(out_dir / "video.mp4", ".part.mp4")
    # One encoder thread: a seed gives the same bytes on every machine and under any load, so a clip
    # rendered again to reproduce a result is the clip that gave it. Encoded as an IP camera's hardware
    # encoder does: no B-frames or lookahead, the simplest motion search, CABAC and the deblocking filter on,
    # a peak bitrate by resolution and a key frame every two seconds.
    with H264Writer(
        tmp_video,
        spec.width,
        spec.height,
        spec.fps,
        crf=scene.layout.crf,
        preset=X264_PRESET,
        threads=1,
        x264_params=camera_x264_params(spec.width, spec.height, spec.fps),
    ) as w:
        for i in range(n):
            img, boxes = scene.renderer.render(i / spec.fps, i, with_boxes=labels)
            w.write(img)
            if labels:
                (label_dir / f"{i:06d}.txt").write_text("\n".join(yolo_lines(boxes, spec.width, spec.height)) + "\n")
            if progress is not None:
                progress(i + 1, n)
    os.replace(tmp_video, out_dir / "video.mp4")
    _atomic_write_text(out_dir / "truth.json", json.dumps(scene.truth(), indent=2, ensure_ascii=False) + "\n")
    cfg = scene.camera_config(source="video.mp4").model_dump(mode="json")
    header = "# binwatch camera config, written by `binwatch sim` for the clip beside it.\n"
    _atomic_write_text(out_dir / "camera.yaml", header + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    return scene
