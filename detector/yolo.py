"""Ultralytics YOLO behind binwatch's own types: the only module that imports ultralytics.

Everything runs offline: before the first import we point YOLO_CONFIG_DIR at binwatch's cache,
set YOLO_OFFLINE and YOLO_AUTOINSTALL=false, turn settings sync off and put a local TTF where the
font check looks, so no font, weight, AMP-check or settings request ever leaves the machine.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detector.detections import Detections, Role
from detector.person_ids import HANDOVER_S, SeenPerson, StableIds, reach_affinity

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MODEL = REPO_ROOT / "models" / "binwatch-synth-n.pt"
# Its OpenVINO copy (`binwatch export models/binwatch-synth-n.pt --half`): the same network, faster on a CPU.
BUNDLED_OPENVINO = REPO_ROOT / "models" / "binwatch-synth-n_openvino_model"
DEFAULT_IMGSZ = 480  # the bundled model was fine-tuned at 480 px: small bags, night footage

# Model class name -> role. A COCO model maps person only: it has no garbage class.
DEFAULT_ROLE_MAP: Mapping[str, Role] = {
    "person": Role.PERSON,
    "garbage": Role.GARBAGE,
    "trash": Role.GARBAGE,
    "bag": Role.GARBAGE,
    "bin": Role.BIN,
}


class DetectorError(RuntimeError):
    """A model file is missing, unreadable or of an unexpected kind."""


def cache_dir() -> Path:
    return Path(os.environ.get("BINWATCH_CACHE", Path.home() / ".cache" / "binwatch"))


@functools.cache
def _ultralytics() -> ModuleType:
    """Import ultralytics with every network path closed."""
    cfg = Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(cache_dir() / "ultralytics")))
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "false"
    os.environ.setdefault("YOLO_VERBOSE", "false")
    font_dir = cfg / "Ultralytics"
    font_dir.mkdir(parents=True, exist_ok=True)
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        if not (font_dir / name).exists():
            shutil.copyfile(ttf, font_dir / name)
    import ultralytics
    from ultralytics.utils import SETTINGS

    SETTINGS.update({"sync": False})  # type: ignore[no-untyped-call]
    return ultralytics


EXPORT_SOURCE = "binwatch-source.json"  # written into an OpenVINO copy: which .pt it was made from


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def export_source_matches(ov_dir: Path, pt: Path) -> bool:
    """Whether the OpenVINO copy ``ov_dir`` was exported from exactly this ``pt`` file."""
    try:
        made_from = json.loads((ov_dir / EXPORT_SOURCE).read_text())["sha256"]
    except (OSError, ValueError, KeyError):
        return False
    return bool(made_from == _sha256(pt))


def default_model() -> Path:
    """The model binwatch runs when none is given: the bundled OpenVINO copy where OpenVINO is installed.

    The copy is used only if it was exported from the bundled .pt as it is now; a stale copy (the .pt
    was retrained since) is passed over with a warning instead of silently running old weights.
    """
    if not (BUNDLED_OPENVINO / f"{BUNDLED_MODEL.stem}.xml").is_file() or not importlib.util.find_spec("openvino"):
        return BUNDLED_MODEL
    if not export_source_matches(BUNDLED_OPENVINO, BUNDLED_MODEL):
        log.warning(
            "%s was not exported from the current %s; using the .pt (run `binwatch export %s --half`)",
            BUNDLED_OPENVINO.name, BUNDLED_MODEL.name, BUNDLED_MODEL,
        )  # fmt: skip
        return BUNDLED_MODEL
    return BUNDLED_OPENVINO


def load_model(path: Path, task: str = "detect") -> Any:
    """Load a .pt, .onnx or OpenVINO model directory; DetectorError says what was wrong."""
    if not path.exists():
        raise DetectorError(f"model file {path} does not exist (expected a .pt, .onnx or *_openvino_model directory)")
    if path.is_file() and path.suffix not in (".pt", ".onnx"):
        raise DetectorError(
            f"model file {path} has suffix {path.suffix!r}; expected .pt, .onnx or an OpenVINO directory"
        )
    yolo = _ultralytics().YOLO
    try:
        return yolo(str(path), task=task)
    except Exception as e:  # ultralytics raises many kinds for a bad file
        raise DetectorError(f"cannot load model {path}: {type(e).__name__}: {e}") from e


def export_openvino(model_path: Path, imgsz: int = DEFAULT_IMGSZ, half: bool = False) -> Path:
    """Convert a .pt model to OpenVINO IR (dynamic batch; weights stored FP16 with ``half``) beside it.

    Returns the model directory. FP16 storage halves the files; the CPU still computes in FP32 (or
    BF16 where the CPU has AMX), so the boxes agree with the .pt model's.
    """
    if model_path.suffix != ".pt":
        raise DetectorError(f"can only export a .pt model to OpenVINO; got {model_path}")
    model = load_model(model_path)
    try:
        out = Path(model.export(format="openvino", imgsz=imgsz, dynamic=True, half=half, verbose=False))
    except Exception as e:  # missing openvino package, unsupported layer, full disk...
        raise DetectorError(f"OpenVINO export of {model_path} failed: {type(e).__name__}: {e}") from e
    source = {"file": model_path.name, "sha256": _sha256(model_path), "imgsz": imgsz, "half": half}
    (out / EXPORT_SOURCE).write_text(json.dumps(source, indent=2) + "\n")
    return out


@dataclass(frozen=True)
class RoleMap:
    """Maps the model's class indices to roles; classes without a role are dropped."""

    index_to_role: Mapping[int, Role]

    @classmethod
    def for_names(cls, names: Mapping[int, str], overrides: Mapping[str, Role] | None = None) -> RoleMap:
        table = {**DEFAULT_ROLE_MAP, **(overrides or {})}
        return cls({i: table[n] for i, n in names.items() if n in table})


class YoloDetector:
    """Runs a YOLO model on batches of BGR frames and returns binwatch Detections."""

    def __init__(
        self,
        model_path: Path,
        imgsz: int = DEFAULT_IMGSZ,
        conf: float = 0.25,
        role_overrides: Mapping[str, Role] | None = None,
    ) -> None:
        self.model_path = model_path
        self.model = load_model(model_path)
        self.imgsz = imgsz
        self.conf = conf
        self.names: dict[int, str] = dict(self.model.names)
        self.roles = RoleMap.for_names(self.names, role_overrides)

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
        if not frames:
            return []
        results = self.model.predict(list(frames), imgsz=self.imgsz, conf=self.conf, device="cpu", verbose=False)
        out = []
        lut = np.full(max(self.names) + 1, -1, np.int64)
        for i, r in self.roles.index_to_role.items():
            lut[i] = int(r)
        for r in results:
            b = r.boxes
            cls = b.cls.numpy().astype(np.int64)
            role = lut[cls]
            keep = role >= 0
            out.append(
                Detections(
                    b.xyxy.numpy().astype(np.float32)[keep],
                    b.conf.numpy().astype(np.float32)[keep],
                    role[keep],
                )
            )
        return out


# ---- training --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassScore:
    name: str
    map50: float
    map50_95: float
    instances: int


def train(
    data_yaml: Path, out_pt: Path, epochs: int, imgsz: int, base: str, seed: int, batch: int, work_dir: Path
) -> float:
    """Train from ``base`` (a model YAML such as yolo11n.yaml, or a .pt) and write the weights; returns seconds."""
    ul = _ultralytics()
    if base.endswith(".pt") and not Path(base).exists():
        raise DetectorError(
            f"base weights {base} not found locally; binwatch never downloads weights (use yolo11n.yaml)"
        )
    model = ul.YOLO(base, task="detect")
    # Ultralytics pins CPU torch to cpu_count - 1 threads (1 on a 2-core machine); training owns the machine.
    model.add_callback("on_pretrain_routine_start", lambda _trainer: _all_cores())
    t0 = time.monotonic()
    model.train(
        data=str(data_yaml),
        epochs=epochs,
        imgsz=imgsz,
        batch=batch,
        device="cpu",
        workers=0,
        seed=seed,
        deterministic=True,
        amp=False,
        plots=False,
        val=False,
        project=str(work_dir),
        name="train",
        exist_ok=True,
        pretrained=base.endswith(".pt"),  # False would make Ultralytics drop the base weights and start from scratch
        verbose=True,
        cache="ram",
        # A fine-tune must not start with Ultralytics' warm-up bias learning rate of 0.1: it wrecks trained weights.
        **({"warmup_epochs": 1.0, "warmup_bias_lr": 0.0} if base.endswith(".pt") else {}),
    )
    seconds = time.monotonic() - t0
    weights = work_dir / "train" / "weights"
    src = weights / "best.pt" if (weights / "best.pt").exists() else weights / "last.pt"
    out_pt.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, out_pt)
    return seconds


def _all_cores() -> None:
    import torch

    torch.set_num_threads(os.cpu_count() or 1)


def validate(model_path: Path, data_yaml: Path, imgsz: int, work_dir: Path) -> list[ClassScore]:
    """mAP50 and mAP50-95 per class on the dataset's val split."""
    model = load_model(model_path)
    m = model.val(
        data=str(data_yaml),
        imgsz=imgsz,
        batch=16,
        device="cpu",
        plots=False,
        project=str(work_dir),
        name="val",
        exist_ok=True,
        verbose=False,
    )
    names: dict[int, str] = dict(model.names)
    nt = np.asarray(m.nt_per_class if m.nt_per_class is not None else np.zeros(len(names), np.int64))
    found = {int(c): j for j, c in enumerate(m.box.ap_class_index)}
    # Every class gets a row: one the model never predicted scores 0, not silence.
    return [
        ClassScore(
            name,
            float(m.box.ap50[found[i]]) if i in found else 0.0,
            float(m.box.ap[found[i]]) if i in found else 0.0,
            int(nt[i]) if i < len(nt) else 0,
        )
        for i, name in sorted(names.items())
    ]


def inference_ms(model_path: Path, frame: NDArray[np.uint8], imgsz: int, runs: int = 20) -> float:
    """Median milliseconds per frame (pre-process + inference + NMS), batch 1, on this CPU."""
    model = load_model(model_path)
    for _ in range(3):
        model.predict(frame, imgsz=imgsz, device="cpu", verbose=False)
    times = []
    for _ in range(runs):
        r = model.predict(frame, imgsz=imgsz, device="cpu", verbose=False)[0]
        times.append(sum(r.speed.values()))
    return float(np.median(times))


def software_versions() -> dict[str, str]:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    import torch

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "binwatch": installed("binwatch"),
        "python": platform.python_version(),
        "ultralytics": _ultralytics().__version__,
        "torch": torch.__version__,
        "openvino": installed("openvino"),  # runs the bundled model's OpenVINO copy
        "numpy": np.__version__,
    }


def check_dataset(data_yaml: Path) -> dict[str, Any]:
    """Run Ultralytics' own detection-dataset check (the one `train` runs first) without downloading."""
    _ultralytics()
    from ultralytics.data.utils import check_det_dataset

    try:
        return dict(check_det_dataset(str(data_yaml), autodownload=False))
    except Exception as e:
        raise DetectorError(f"dataset {data_yaml} failed Ultralytics' check: {e}") from e


# ---- tracking --------------------------------------------------------------------------------


class _TrackInput:
    """The minimal numpy-backed 'results' object Ultralytics' BYTETracker consumes."""

    def __init__(self, xyxy: NDArray[np.float32], conf: NDArray[np.float32]) -> None:
        self.xyxy = xyxy
        self.conf = conf
        self.cls = np.zeros(len(conf), np.float32)
        self.xywh = np.concatenate([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], axis=1)

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, idx: NDArray[np.bool_] | NDArray[np.int64]) -> _TrackInput:
        return _TrackInput(self.xyxy[idx], self.conf[idx])


def _reach_byte_tracker(seconds_per_frame: float, args: Any) -> Any:
    """Ultralytics' BYTETracker whose high-score association (and the confirming of new tracks) also links
    boxes by reach (`detector.person_ids.reach_affinity`), not by overlap alone."""
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.trackers.utils import matching

    class ReachByteTracker(BYTETracker):
        def get_dists(self, tracks: list[Any], detections: list[Any]) -> NDArray[np.float64]:
            sim = 1 - matching.iou_distance(tracks, detections)
            if tracks and detections:
                gaps = np.array([max(1, self.frame_id - t.frame_id) * seconds_per_frame for t in tracks])
                expected = np.array([t.xyxy for t in tracks])
                found = np.array([d.xyxy for d in detections])
                sim = np.maximum(sim, reach_affinity(expected, found, gaps))
            if self.args.fuse_score:
                sim = sim * np.array([d.score for d in detections])[None, :]
            return np.asarray(1 - sim, np.float64)

    return ReachByteTracker(args)  # type: ignore[no-untyped-call]


class PersonTracker:
    """ByteTrack for one camera's people, configured for the real analysis rate.

    Ultralytics counts `track_buffer` in frames assuming ~30 fps; at 5 fps that would keep a lost
    person for 6 s instead of 1, so the buffer is set from seconds times the analysis rate. Its
    association links boxes by overlap, which fails for anyone who moves more than about half their
    width between two analysed frames (a walk at 2 fps, a run at 5): a new track then never gets the
    second linked frame it needs to be confirmed. So boxes are also linked by reach (how far a person
    can go in the time between the frames, `reach_affinity`).
    """

    def __init__(self, analysis_fps: float, lost_s: float = 4.0, handover_s: float = HANDOVER_S) -> None:
        from types import SimpleNamespace

        _ultralytics()
        buffer = max(1, round(lost_s * analysis_fps))
        args = SimpleNamespace(
            tracker_type="bytetrack", track_high_thresh=0.3, track_low_thresh=0.1, new_track_thresh=0.35,
            track_buffer=buffer, match_thresh=0.8, fuse_score=True,
        )  # fmt: skip
        self._tracker = _reach_byte_tracker(1 / analysis_fps, args)
        self._ids = StableIds(min(buffer + 1, max(1, round(handover_s * analysis_fps))), buffer + 1)

    def update(self, xyxy: NDArray[np.float32], conf: NDArray[np.float32]) -> list[SeenPerson]:
        """The people confirmed this frame, each with the box the model gave for them (every confirmed track
        was matched to one of this frame's ``xyxy``: ByteTrack names its index); an id carries on across
        ByteTrack's id switches (`detector.person_ids`)."""
        out = self._tracker.update(_TrackInput(xyxy.astype(np.float32), conf.astype(np.float32)))
        ids = self._ids.update([(int(r[4]), tuple(float(v) for v in r[:4]), float(r[5])) for r in out])
        return [
            SeenPerson(pid, box, score, tuple(float(v) for v in xyxy[int(r[7])]))
            for (pid, box, score), r in zip(ids, out, strict=True)
        ]
