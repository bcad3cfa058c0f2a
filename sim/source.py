"""Generated demo cameras: a camera whose source is ``sim:SCENARIO?seed=N`` replays a rendered clip.

The clip is rendered once into a cache directory (with its truth.json and camera.yaml beside it)
and then served like any file camera. A generated camera with no zones or schedule of its own
takes those of its scene, so the demo config never goes stale when the scene generator changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from config import CameraConfig, Zones
from sim.scenarios import MIN_DURATION_S, Scenario
from sim.scene import SimScene, SimSpec

SIM_SCHEME = "sim"


def is_sim_source(source: str) -> bool:
    return source.startswith(SIM_SCHEME + ":")


def parse_sim_source(source: str) -> SimSpec:
    """``sim:littering?seed=42&duration=120&size=1280x720&fps=10`` -> SimSpec; ValueError says what is wrong."""
    expected = "expected sim:SCENARIO?seed=N[&duration=S][&size=WxH][&fps=F]"
    parts = urlsplit(source)
    if parts.scheme != SIM_SCHEME or not parts.path:
        raise ValueError(f"{expected}; got {source!r}")
    try:
        scenario = Scenario(parts.path.strip("/"))
    except ValueError:
        names = ", ".join(s.value for s in Scenario)
        raise ValueError(f"unknown scenario {parts.path!r} in {source!r}; expected one of {names}") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - {"seed", "duration", "size", "fps"})
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} in {source!r}; {expected}")
    if "seed" not in query:
        raise ValueError(f"{source!r} has no seed; {expected}")
    try:
        seed = int(query["seed"])
        duration = float(query["duration"]) if "duration" in query else None
        w, h = (int(v) for v in query.get("size", "1280x720").lower().split("x"))
        fps = float(query.get("fps", "10"))
    except ValueError:
        raise ValueError(f"bad number in {source!r}; {expected}") from None
    low = MIN_DURATION_S[scenario]
    if duration is not None and not low <= duration <= 3600:
        raise ValueError(f"duration must be {low:g}..3600 s for {scenario.value} in {source!r}; got {duration:g}")
    return SimSpec(scenario, seed, w, h, fps, duration)


def clip_dir(spec: SimSpec, root: Path) -> Path:
    """Where the clip of ``spec`` is rendered under ``root``: named by every parameter of it."""
    name = f"{spec.scenario.value}-{spec.seed}-{spec.width}x{spec.height}-{spec.fps:g}fps-{spec.duration:g}s"
    return root / (name if spec.start is None else f"{name}-{spec.start:%Y%m%dT%H%M%S}")


def ensure_clip(spec: SimSpec, root: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """The rendered clip's directory, rendering it first when absent (an interrupted render is redone)."""
    from sim.clip import write_clip

    out = clip_dir(spec, root)
    if not clip_is_whole(out):
        write_clip(spec, out, progress=progress)
    return out


def clip_is_whole(out: Path) -> bool:
    """Whether a clip's directory holds a finished render (`sim.clip.write_clip` writes camera.yaml last)."""
    return (out / "video.mp4").exists() and (out / "camera.yaml").exists()


def resolve_camera(
    camera: CameraConfig, root: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[CameraConfig, dict[str, Any]]:
    """A sim: camera as a file camera on its rendered clip, with the scene's zones and schedule where unset.

    Returns the camera and the clip's truth (empty for other cameras, which come back unchanged).
    """
    if not is_sim_source(camera.source):
        return camera, {}
    spec = parse_sim_source(camera.source)
    out = ensure_clip(spec, root, progress)
    scene = SimScene(spec)
    generated = scene.camera_config(source=str(out / "video.mp4"))
    update: dict[str, Any] = {"source": generated.source}
    if camera.zones == Zones():
        update["zones"] = generated.zones
    if camera.schedule is None:
        update["schedule"] = generated.schedule
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    return camera.model_copy(update=update), truth
