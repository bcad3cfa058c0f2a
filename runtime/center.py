"""The running monitoring center: builds every camera from the config, runs them, and stops them in order.

Start-up order: records (migrate, sync the config) -> evidence recovery -> demo clips (rendered once)
-> the one shared model -> the dispatcher -> each camera. Stop: cameras -> model -> dispatcher
(which finishes evidence being written) -> records.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from alerts.accounting import record_recovery
from alerts.digests import model_identity
from alerts.dispatcher import CameraRoute, Dispatcher
from alerts.evidence import MIN_FREE_BYTES, EvidenceContext, EvidenceStore
from alerts.speakers import make_speaker
from config import CameraConfig, CityConfig, load_city_config
from detector.batching import BatchingDetector
from detector.pipeline import CameraAnalyzer
from detector.rules.events import Event, EventState
from detector.yolo import DEFAULT_IMGSZ, REPO_ROOT, YoloDetector, cache_dir, default_model, software_versions
from redact import install_redaction, secrets_in, url_secrets
from runtime.broker import Broker
from runtime.camera import CameraRuntime, Clock, clip_clock, host_clock
from runtime.loop import CameraLoop, batched
from sim.source import is_sim_source, resolve_camera
from store import repo
from store.db import database_url, open_database, session_scope
from streams.source import CameraSource, SourceKind, source_kind

log = logging.getLogger("binwatch.runtime")

DEMO_CONFIG = REPO_ROOT / "config" / "demo.yaml"
# Where event times come from, as the evidence manifest says: a live camera's, a demo camera's.
HOST_CLOCK = "host clock at decode (NTP)"
DEMO_CLOCK = "demo clip's time of day, its latest past (today or yesterday)"


@dataclass(frozen=True)
class Settings:
    """Runtime settings: from the command line, else BINWATCH_* environment variables, else defaults."""

    config: Path = DEMO_CONFIG
    data_dir: Path = Path("data")
    model: Path = field(default_factory=default_model)
    imgsz: int = DEFAULT_IMGSZ
    db_url: str | None = None
    start_cameras: bool = True  # False: API only (tests of the API without video)
    # The API's worker threads (its synchronous routes run on them); its database pool is sized to them
    # (api/database.py). More threads share one GIL: on a 2-core machine bench/load.py's ramp was served
    # best with 2 to 4 and fell behind with 8; 4 leaves room for a slow export or login beside the rest.
    api_threads: int = 4
    # How long an API request waits for a database connection before it answers 503 with Retry-After.
    db_wait_s: float = 3.0
    # How long an API request waits for its turn (api/admission.py) before it answers 503 with Retry-After.
    queue_wait_s: float = 10.0
    # A browser session (cookie) unused for longer than this must log in again; API tokens are not affected.
    session_idle_min: float = 30.0
    # Less free space than this on the evidence disk is a problem on /healthz, /metrics and the wall, before
    # any write fails (a write that fails for lack of space is one whatever this says).
    evidence_min_free_mb: float = MIN_FREE_BYTES / 2**20

    def __post_init__(self) -> None:
        if not 1 <= self.api_threads <= 256:
            raise ValueError(f"api_threads must be 1 to 256; got {self.api_threads}")
        for name in ("db_wait_s", "queue_wait_s"):
            if not 0 < getattr(self, name) <= 60:
                raise ValueError(f"{name} must be more than 0 and at most 60 seconds; got {getattr(self, name)}")
        if not 1 <= self.session_idle_min <= 24 * 60:
            raise ValueError(f"session_idle_min must be 1 to 1440 minutes; got {self.session_idle_min}")
        if not 0 <= self.evidence_min_free_mb <= 2**30:
            raise ValueError(f"evidence_min_free_mb must be 0 to 2**30 MiB; got {self.evidence_min_free_mb}")

    @property
    def session_idle(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.session_idle_min)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        env: dict[str, Any] = {}
        for name, key in (("config", "BINWATCH_CONFIG"), ("data_dir", "BINWATCH_DATA"), ("model", "BINWATCH_MODEL")):
            if os.environ.get(key):
                env[name] = Path(os.environ[key])
        if os.environ.get("BINWATCH_DB_URL"):
            env["db_url"] = os.environ["BINWATCH_DB_URL"]
        for name, key, kind in NUMERIC_ENV:
            if os.environ.get(key):
                try:
                    env[name] = kind(os.environ[key])
                except ValueError:
                    what = "a whole number" if kind is int else "a number"
                    raise ValueError(f"{key} must be {what}; got {os.environ[key]!r}") from None
        return cls(**{**env, **{k: v for k, v in overrides.items() if v is not None}})


# Settings a deployment tunes through the environment: (field, variable, type).
NUMERIC_ENV: tuple[tuple[str, str, type[int] | type[float]], ...] = (
    ("api_threads", "BINWATCH_API_THREADS", int),
    ("db_wait_s", "BINWATCH_DB_WAIT_S", float),
    ("queue_wait_s", "BINWATCH_QUEUE_WAIT_S", float),
    ("session_idle_min", "BINWATCH_SESSION_IDLE_MIN", float),
    ("evidence_min_free_mb", "BINWATCH_EVIDENCE_MIN_FREE_MB", float),
)


@dataclass
class Center:
    settings: Settings
    broker: Broker = field(default_factory=Broker)
    progress: Callable[[str, int, int], None] | None = None
    city: CityConfig | None = None
    engine: Engine | None = None
    evidence: EvidenceStore | None = None
    dispatcher: Dispatcher | None = None
    batching: BatchingDetector | None = None
    cameras: dict[str, CameraRuntime] = field(default_factory=dict)

    def open_records(self) -> Engine:
        """The database, opened (and migrated) once, with the config's communities and cameras recorded.

        From here on every log line of the process is redacted, with the config's and the database
        URL's secrets known by value (redact.install_redaction)."""
        if self.engine is None:
            s = self.settings
            self.city = load_city_config(s.config)
            db_url = s.db_url or database_url(s.data_dir)
            install_redaction(self.secrets() | url_secrets(db_url))
            s.data_dir.mkdir(parents=True, exist_ok=True)
            engine = open_database(db_url)
            try:
                with session_scope(engine) as sess:
                    repo.sync_config(sess, self.city)
            except BaseException:
                engine.dispose()
                raise
            self.engine = engine
        return self.engine

    def start(self) -> None:
        s = self.settings
        engine = self.open_records()
        assert self.city is not None
        self.evidence = EvidenceStore(s.data_dir, min_free_bytes=round(s.evidence_min_free_mb * 2**20))
        recovery = self.evidence.recover()
        cams = [cam.id for _, _, cam in self.city.cameras()]
        for note in recovery.notes + record_recovery(engine, recovery, self.evidence.directories(), cams):
            log.warning("evidence recovery: %s", note)
        routes = {}
        for community, _, cam in self.city.cameras():
            speaker = make_speaker(cam.speaker) if cam.speaker is not None else None
            routes[cam.id] = CameraRoute(
                cam.id, community.id, speaker, tuple(community.quiet_hours), self.city.timezone
            )
        self.dispatcher = Dispatcher(
            engine, self.city.alerts, routes, cache_dir() / "audio", notify=self._notify, secrets=self.secrets()
        )
        if not s.start_cameras:
            return
        detector = YoloDetector(s.model, imgsz=s.imgsz)
        self.batching = BatchingDetector(detector, max_batch=8, max_wait_ms=30.0)
        context_common = {
            "software": software_versions(),
            "model": model_identity(s.model),
        }
        for community, point, cam in self.city.cameras():
            self.cameras[cam.id] = self._build_camera(community, point, cam, context_common)
        for rt in self.cameras.values():
            rt.start()

    def _build_camera(self, community: Any, point: Any, cam: Any, common: dict[str, Any]) -> CameraRuntime:
        assert self.city is not None and self.dispatcher is not None and self.evidence is not None
        assert self.batching is not None
        clock: Clock = host_clock
        if is_sim_source(cam.source):

            def progress(done: int, total: int, cam_id: str = cam.id) -> None:
                if self.progress is not None:
                    self.progress(f"rendering demo camera {cam_id}", done, total)

            cam, truth = resolve_camera(cam, self.settings.data_dir / "demo-clips", progress)
            clock = clip_clock(
                dt.datetime.fromisoformat(truth["start"]), float(truth["duration_s"]), self.city.timezone
            )
        demo = clock is not host_clock
        source = camera_source(cam, demo)
        schedule = self.city.schedule_for(community, cam)
        context = EvidenceContext(
            camera_id=cam.id, camera_name=cam.name, community_id=community.id, community_name=community.name,
            point_id=point.id, point_name=point.name, address=point.address, timezone=self.city.timezone,
            clock_source=DEMO_CLOCK if demo else HOST_CLOCK,
            rules=self.evidence.settings.manifest_rules(cam.rules.model_dump()),
            **common,
        )  # fmt: skip
        loop = CameraLoop(CameraAnalyzer(cam, schedule, cam.analysis_fps), batched(self.batching, cam.id))
        return CameraRuntime(
            community, point, cam, source, loop, self.dispatcher, self.evidence, context, clock, self.city.timezone,
        )  # fmt: skip

    def stop(self) -> None:
        for rt in self.cameras.values():
            rt.request_stop()
        for rt in self.cameras.values():
            rt.join(10.0)
        if self.batching is not None:
            self.batching.close()
        if self.dispatcher is not None:
            self.dispatcher.close()  # finishes evidence being written
        if self.engine is not None:
            self.engine.dispose()

    def secrets(self) -> frozenset[str]:
        """The config's secrets (speaker passwords, credentials in URLs, webhook headers), to redact by value."""
        return secrets_in(self.city) if self.city is not None else frozenset()

    def problems(self) -> list[str]:
        """What keeps the center from working fully, for /healthz (empty when healthy)."""
        out: list[str] = []
        if self.evidence is not None:
            space = self.evidence.space_problem()
            if space is not None:
                out.append(space)
        return out

    def _notify(self, event: Event) -> None:
        """Tell the center's pages: an "alert" for a confirmed event, a "warning" for one said on the spot."""
        rt = self.cameras.get(event.camera_id)
        self.broker.publish("warning" if event.state is EventState.WARNING else "alert", {
            "event_id": event.event_id, "camera_id": event.camera_id, "kind": event.kind.value,
            "wall": event.wall.isoformat(), "bbox": list(event.bbox), "score": event.score,
            "community_id": rt.community.id if rt else "", "camera_name": rt.camera.name if rt else "",
        })  # fmt: skip


def camera_source(cam: CameraConfig, demo: bool) -> CameraSource:
    """The (not yet started) source of a camera: its sub-stream when it has one, in real time, files looping."""
    return CameraSource(
        cam.id, cam.sub_source or cam.source, analysis_fps=cam.analysis_fps, realtime=True,
        loop=demo or source_kind(cam.source) is SourceKind.FILE, buffer_s=15.0, decoder_threads=cam.decoder_threads,
    )  # fmt: skip


def print_progress(what: str, done: int, total: int) -> None:
    """A one-line progress bar on stderr, redrawn only when it moves."""
    width = 30
    filled = width * done // max(1, total)
    if done not in (1, total) and filled == width * (done - 1) // max(1, total):
        return
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\r{what} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
    sys.stderr.flush()
