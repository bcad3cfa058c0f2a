"""Speed and memory of the pipeline, measured in one run and printed as ratios (issue 3, deliverable 7).

(a) pipeline overhead: frames/s of the whole per-camera pipeline (model + the camera loop that `binwatch
    run` runs: motion gate, tracker, left-object detector, rules) on the same frames as raw batched model
    inference, timed batch by batch in turn. Target: overhead <= 15 %.
(b) capacity: how many 1280x720 25-fps cameras one process keeps up with at 5 fps analysis, measured
    as video seconds analysed per wall second with K cameras running at once as fast as they can
    (a throughput-bound process sustains exactly that many real-time cameras). Compared with
      - naive: Ultralytics `model.track(source, stream=True)` per camera on every frame, and
      - decode-bound: the same K sources only decoding (the wall no pipeline can pass).
    Targets: >= 10x naive, >= 70 % of decode-bound.
(c) memory: bytes held by one camera's encoded-packet ring for 15 s of 1280x720. Target <= 20 MB.

Workloads (--scene): `crowd` (the worst case: people in view almost all the time, so motion gating
rarely spares the model) or `mixed` (a collection point's ordinary traffic: visits with quiet gaps
between them, as most cameras see most of the day). Both are 1280x720 at 25 fps.

    .venv/bin/python bench/speed.py [--model M] [--cameras 8] [--seconds 30] [--scene mixed]
        [--left-object-hz 2] [--decoder-threads 0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from config import CameraConfig, Zones
from detector.batching import BatchingDetector
from detector.detections import Detections
from detector.pipeline import LEFT_OBJECT_HZ, CameraAnalyzer
from detector.yolo import YoloDetector, default_model, load_model
from runtime.loop import CameraLoop, batched
from sim.clip import write_clip
from sim.scenarios import Scenario
from sim.scene import SimSpec
from streams.decode import FileFrames
from streams.source import CameraSource

CLIP_FPS = 25.0
ANALYSIS_FPS = 5.0
BATCH = 8
START = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)  # wall clock of the clips' first frame (no schedule applies)


SCENES = {"crowd": SimSpec(Scenario.CROWD, 9100, 1280, 720, CLIP_FPS, 60.0),
          "mixed": SimSpec(Scenario.MIXED, 9200, 1280, 720, CLIP_FPS, 180.0)}  # fmt: skip


def clip(cache: Path, workload: str = "crowd") -> tuple[Path, CameraConfig]:
    """The workload's 1280x720 25-fps clip (rendered once under ``cache``) and its camera config."""
    spec = SCENES[workload]
    out = cache / f"speed-{workload}-{spec.seed}-720p25"
    if not (out / "video.mp4").exists():
        scene = write_clip(spec, out)
    else:
        from sim.scene import SimScene

        scene = SimScene(spec)
    return out / "video.mp4", scene.camera_config(str(out / "video.mp4"))


@dataclass(frozen=True)
class Overhead:
    raw_fps: float  # raw batched inference
    pipeline_fps: float  # the whole pipeline: the same inference, then the camera loop on every frame
    rounds: list[float]  # each round's overhead
    analysis_ms: float  # the camera loop's own work (all but inference), per frame, timed directly


def overhead(video: Path, camera: CameraConfig, detector: YoloDetector, left_hz: float, rounds: int = 5) -> Overhead:
    """Frames/s of raw batched inference and of the full pipeline on the same 300 frames. The two
    alternate batch by batch (raw inference of a batch, then the pipeline on it), so a slow spell of the
    machine, which lasts far longer than a batch, weighs on both sides alike.

    The pipeline side is the same batched inference of every frame, then `CameraLoop.step` (what `binwatch
    run` and `binwatch analyze` run) on each frame, its detect function handing back the boxes computed for
    that frame. The model runs on every frame on both sides: what the pipeline adds is the loop's own work
    (motion gate, tracker, left objects, rules), and what the gate spares the model is not counted here
    ((b) counts it)."""
    frames = list(FileFrames(video, ANALYSIS_FPS))[:300]
    detector.detect([f.bgr for f in frames[:BATCH]])  # warm-up
    raw_s, pipe_s, analysis_s, overheads = 0.0, 0.0, 0.0, []
    computed: dict[int, Detections] = {}  # this batch's boxes by frame index
    for _ in range(rounds):
        analyzer = CameraAnalyzer(camera, camera.schedule, ANALYSIS_FPS, left_object_hz=left_hz)
        loop = CameraLoop(analyzer, lambda f: computed[f.index])
        raw_round, pipe_round = 0.0, 0.0
        for i in range(0, len(frames), BATCH):
            chunk = frames[i : i + BATCH]
            t0 = time.perf_counter()
            detector.detect([f.bgr for f in chunk])
            t1 = time.perf_counter()
            dets = detector.detect([f.bgr for f in chunk])
            t_model = time.perf_counter()
            computed.clear()
            computed.update(zip((f.index for f in chunk), dets, strict=True))
            for f in chunk:
                loop.step(f, START + dt.timedelta(seconds=f.t_s))
            t2 = time.perf_counter()
            raw_round, pipe_round = raw_round + t1 - t0, pipe_round + t2 - t1
            analysis_s += t2 - t_model
        overheads.append(pipe_round / raw_round - 1)
        raw_s, pipe_s = raw_s + raw_round, pipe_s + pipe_round
    n = rounds * len(frames)
    return Overhead(n / raw_s, n / pipe_s, overheads, 1000 * analysis_s / n)


def _thread_cpu_s() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of every thread of this process by native id, with its kernel name."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            comm = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):  # the thread ended meanwhile
            continue
        out[int(tid)] = (comm, (int(fields[11]) + int(fields[12])) / tick)
    return out


def _stage_of(thread: str | None, comm: str) -> str:
    """Which stage a thread works for: its Python name when it has one, else its kernel name."""
    if thread is not None:
        if thread.startswith("binwatch-stream-"):
            return "readers (demux, packet ring, decoding, colour conversion)"
        if thread.startswith("bench-analyze-"):
            return "analysers (motion gate, tracker, left objects, rules)"
        if thread == "binwatch-detector":
            return "model (batching thread)"
    if comm.startswith("av:"):
        return "H.264 decoding in FFmpeg's own threads"
    return "other threads (OpenVINO and OpenCV pools, ...)"


def _cpu_by_stage(
    before: dict[int, tuple[str, float]], process_before: float, names: dict[int, str], wall: float
) -> dict[str, float]:
    """Cores used per stage between ``before`` and now. A thread that ended meanwhile is gone from /proc;
    what the whole process used beyond the threads still there is shown as such."""
    stages: dict[str, float] = {}
    for tid, (comm, cpu) in _thread_cpu_s().items():
        used = cpu - before.get(tid, (comm, 0.0))[1]
        stage = _stage_of(names.get(tid), comm)
        stages[stage] = stages.get(stage, 0.0) + used / wall
    ended = (time.process_time() - process_before) / wall - sum(stages.values())
    if ended > 0.01:  # /proc counts in clock ticks: ignore rounding
        stages["threads that ended during the run"] = ended
    return stages


@dataclass
class CamerasRun:
    cameras: float  # video seconds analysed per wall second, over all cameras
    model_share: float  # share of analysed frames the model saw
    cores: dict[str, float]  # cores used per stage


@dataclass(frozen=True)
class Work:
    """What each camera does after decoding; none: nothing (the decode-bound run)."""

    batching: BatchingDetector
    camera: CameraConfig
    left_hz: float


def _run_cameras(
    video: Path, clip_s: float, k: int, seconds: float, work: Work | None, decoder_threads: int
) -> CamerasRun:
    """Run k cameras as fast as they go, camera i starting i/k of the way into the ``clip_s``-second clip, so
    that together they see every part of it (in step, they would all be in the same busy or quiet part)."""
    done = threading.Event()
    advanced = [0.0] * k
    seen = [0] * k
    detected = [0] * k
    sources = [
        CameraSource(
            f"bench-{i}",
            str(video),
            analysis_fps=ANALYSIS_FPS,
            loop=True,
            queue_size=4,
            decoder_threads=decoder_threads,
            start_s=i * clip_s / k,
        )
        for i in range(k)
    ]

    def consume(i: int, src: CameraSource) -> None:
        loop = None
        if work is not None:
            analyzer = CameraAnalyzer(work.camera, work.camera.schedule, ANALYSIS_FPS, left_object_hz=work.left_hz)
            loop = CameraLoop(analyzer, batched(work.batching, src.camera_id))
        while not done.is_set():
            f = src.get(timeout=1.0)
            if f is None:
                continue
            if loop is not None:
                loop.step(f, START + dt.timedelta(seconds=f.t_s))
                seen[i], detected[i] = loop.frames_seen, loop.frames_detected
            advanced[i] = f.t_s

    for s in sources:
        s.start()
    threads = [
        threading.Thread(target=consume, args=(i, s), name=f"bench-analyze-{i}", daemon=True)
        for i, s in enumerate(sources)
    ]
    for t in threads:
        t.start()
    time.sleep(3.0)  # warm-up: model, decoders and queues settle
    base = list(advanced)
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
    cpu0, process0 = _thread_cpu_s(), time.process_time()
    t0 = time.perf_counter()
    time.sleep(seconds)
    total = sum(a - b for a, b in zip(advanced, base, strict=True))
    wall = time.perf_counter() - t0
    cores = _cpu_by_stage(cpu0, process0, names, wall)
    done.set()
    for s in sources:
        s.stop(timeout=5.0)
    return CamerasRun(total / wall, sum(detected) / max(1, sum(seen)), cores)


def naive(video: Path, model_path: Path, seconds: float, imgsz: int) -> float:
    """Frames/s of Ultralytics' own streaming tracker on every frame of one camera."""
    model = load_model(model_path)
    n, t0 = 0, None
    for _ in model.track(source=str(video), stream=True, imgsz=imgsz, device="cpu", verbose=False, persist=True):
        n += 1
        if n == 10:
            t0 = time.perf_counter()
        elif t0 is not None and time.perf_counter() - t0 >= seconds:
            break
    assert t0 is not None
    return (n - 10) / (time.perf_counter() - t0)


def ring_bytes(video: Path, buffer_s: float = 15.0) -> tuple[int, float]:
    src = CameraSource("ring", str(video), analysis_fps=ANALYSIS_FPS, buffer_s=buffer_s, queue_size=4)
    src.start()
    last = 0.0
    for f in src:
        last = f.t_s
        if last >= buffer_s + 5:
            break
    nbytes, dur = src.ring.nbytes, src.ring.duration_s
    src.stop(timeout=5.0)
    return nbytes, dur


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=None, help="default: the bundled model")
    ap.add_argument("--imgsz", type=int, default=480)
    ap.add_argument("--cameras", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--cache", type=Path, default=Path("out/bench-clips"))
    ap.add_argument("--scene", choices=sorted(SCENES), default="crowd", help="workload (default crowd: worst case)")
    ap.add_argument("--left-object-hz", type=float, default=LEFT_OBJECT_HZ, help="looks of the left-object detector")
    ap.add_argument("--decoder-threads", type=int, default=1, help="FFmpeg threads per camera (0: FFmpeg chooses)")
    args = ap.parse_args()
    args.model = args.model or default_model()
    cpus = len(os.sched_getaffinity(0))
    print(f"cpus available: {cpus}; model {args.model} at {args.imgsz} px; scene {args.scene}; "
          f"left objects {args.left_object_hz:g} Hz; decoder threads {args.decoder_threads}")  # fmt: skip
    video, camera = clip(args.cache, args.scene)
    camera = camera.model_copy(update={"zones": Zones(bins=camera.zones.bins)})
    detector = YoloDetector(args.model, imgsz=args.imgsz)

    a = overhead(video, camera, detector, args.left_object_hz)
    over = a.raw_fps / a.pipeline_fps - 1
    rounds = ", ".join(f"{o:.0%}" for o in a.rounds)
    print(f"(a) raw batched inference {a.raw_fps:.1f} frames/s, full pipeline {a.pipeline_fps:.1f} frames/s "
          f"({len(a.rounds)} rounds of 300 frames, batch by batch in turn): overhead {over:.1%} (rounds {rounds}) "
          f"(target <= 15%): {'PASS' if over <= 0.15 else 'FAIL'}")  # fmt: skip
    print(f"    the camera loop's own work (motion gate, tracker, left objects, rules), timed alone: "
          f"{a.analysis_ms:.2f} ms a frame, against {1000 / a.raw_fps:.2f} ms of inference")  # fmt: skip

    clip_s = SCENES[args.scene].duration
    decoding = _run_cameras(video, clip_s, args.cameras, args.seconds, None, args.decoder_threads)
    batching = BatchingDetector(detector, max_batch=BATCH, max_wait_ms=20.0)
    run = _run_cameras(
        video, clip_s, args.cameras, args.seconds, Work(batching, camera, args.left_object_hz), args.decoder_threads
    )
    batching.close()
    decode, ours = decoding.cameras, run.cameras
    base = naive(video, args.model, args.seconds, args.imgsz) / CLIP_FPS
    print(f"(b) cameras sustained (1280x720 {CLIP_FPS:g} fps, analysis {ANALYSIS_FPS:g} fps, {args.cameras} at once):")
    print(f"    decode-bound {decode:.2f}, binwatch {ours:.2f}, naive model.track every frame {base:.2f}")
    print(f"    binwatch / naive = {ours / base:.1f}x (target >= 10x): {'PASS' if ours / base >= 10 else 'FAIL'}")
    print(f"    binwatch / decode-bound = {ours / decode:.0%} (target >= 70%): "
          f"{'PASS' if ours / decode >= 0.7 else 'FAIL'}")  # fmt: skip
    print(
        f"    mean batch {batching.stats.mean_batch:.1f} frames; the model saw {run.model_share:.0%} of analysed frames"
    )
    print(f"    CPU per camera-second (ms), decode-only run | binwatch run ({cpus} logical CPUs):")
    for stage in sorted(set(decoding.cores) | set(run.cores)):
        d, b = decoding.cores.get(stage, 0.0), run.cores.get(stage, 0.0)
        print(f"      {stage:55s} {1000 * d / decode:6.1f} | {1000 * b / ours:6.1f}")
    d, b = sum(decoding.cores.values()), sum(run.cores.values())
    print(f"      {'all (cores busy: ' + f'{d:.2f} | {b:.2f})':55s} {1000 * d / decode:6.1f} | {1000 * b / ours:6.1f}")
    # A run that leaves cores idle is bound by something else than CPU (threads waiting on one another,
    # the interpreter lock); what the CPU alone would allow is the cores over the CPU per camera-second.
    cpu_decode, cpu_ours = cpus * decode / d, cpus * ours / b
    print(f"    if CPU were the only bound ({cpus} logical CPUs all busy, CPU per camera-second as above): "
          f"decode-only {cpu_decode:.1f} cameras, binwatch {cpu_ours:.1f} ({cpu_ours / cpu_decode:.0%})")  # fmt: skip

    nbytes, dur = ring_bytes(video)
    mb = nbytes / 1e6
    verdict = "PASS" if mb <= 20 else "FAIL"
    rate = nbytes * 8 / dur / 1e6
    print(f"(c) packet ring: {mb:.2f} MB for {dur:.1f} s of 1280x720 ({rate:.2f} Mbit/s stream)")
    print(f"    target <= 20 MB: {verdict}")


if __name__ == "__main__":
    main()
