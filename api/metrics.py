"""/metrics in the Prometheus text format; every name starts with binwatch_."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from alerts.dispatcher import Action
from api.admission import Admission
from api.database import ApiDatabase
from runtime.center import Center
from store import repo


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _in_use(engine: Engine | None) -> float:
    return float(engine.pool.checkedout()) if engine is not None and isinstance(engine.pool, QueuePool) else 0.0


def render_metrics(center: Center, db: ApiDatabase | None, admission: Admission | None) -> str:
    lines: list[str] = []

    def family(name: str, kind: str, help_: str, samples: list[tuple[dict[str, str], float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            label = ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items())
            lines.append(f"{name}{{{label}}} {value}" if label else f"{name} {value}")

    cams = list(center.cameras.values())
    health = {rt.camera.id: rt.source.health() for rt in cams}
    family(
        "binwatch_events_total",
        "counter",
        "Confirmed events by camera and kind.",
        [({"camera": rt.camera.id, "kind": k}, float(n)) for rt in cams for k, n in sorted(rt.events_total.items())],
    )
    family(
        "binwatch_camera_fps_in",
        "gauge",
        "Frames decoded per second.",
        [({"camera": c}, round(h.fps_in, 3)) for c, h in health.items()],
    )
    family(
        "binwatch_camera_fps_out",
        "gauge",
        "Frames handed to analysis per second.",
        [({"camera": c}, round(h.fps_out, 3)) for c, h in health.items()],
    )
    family(
        "binwatch_camera_dropped_frames_total",
        "counter",
        "Frames dropped because analysis was behind.",
        [({"camera": c}, float(h.dropped)) for c, h in health.items()],
    )
    family(
        "binwatch_camera_reconnects_total",
        "counter",
        "Stream reconnect attempts.",
        [({"camera": c}, float(h.reconnects)) for c, h in health.items()],
    )
    family(
        "binwatch_camera_online",
        "gauge",
        "1 when the camera's stream is online.",
        [({"camera": c}, 1.0 if h.state.value == "online" else 0.0) for c, h in health.items()],
    )
    family(
        "binwatch_ring_bytes",
        "gauge",
        "Encoded bytes held for evidence per camera.",
        [({"camera": c}, float(h.ring_bytes)) for c, h in health.items()],
    )
    stats = center.batching.stats if center.batching else None
    family(
        "binwatch_inference_seconds_total",
        "counter",
        "Seconds spent in model inference.",
        [({}, round(stats.inference_s, 4) if stats else 0.0)],
    )
    family(
        "binwatch_inference_frames_total",
        "counter",
        "Frames through the model.",
        [({}, float(stats.frames) if stats else 0.0)],
    )
    failures = center.dispatcher.failures if center.dispatcher else {}
    family(
        "binwatch_action_failures_total",
        "counter",
        "Failed action attempts by action.",
        [({"action": a.value}, float(failures.get(a.value, 0))) for a in Action],
    )
    evidence = center.evidence
    space = evidence.space_problem() if evidence is not None else None
    family(
        "binwatch_evidence_no_space",
        "gauge",
        "1 while evidence cannot be written for lack of space on the evidence disk (see /healthz for why).",
        [({}, 1.0 if space is not None else 0.0)],
    )
    family(
        "binwatch_evidence_free_bytes",
        "gauge",
        "Bytes free on the evidence disk.",
        [({}, float(evidence.free_bytes()) if evidence is not None else 0.0)],
    )
    family(
        "binwatch_evidence_lost_total",
        "counter",
        "Events whose evidence was given up after waiting for space.",
        [({}, float(center.dispatcher.evidence_lost) if center.dispatcher else 0.0)],
    )
    family(
        "binwatch_read_records_failed_total",
        "counter",
        "Records of reads (custody ledger 'viewed'/'downloaded', audit rows) that could not be written.",
        [
            ({"record": "ledger"}, float(evidence.ledger.failed_reads) if evidence is not None else 0.0),
            ({"record": "audit"}, float(repo.failed_read_audits.value)),
        ],
    )
    family(
        "binwatch_db_connections_in_use",
        "gauge",
        "Database connections checked out, by pool: the API's (sized to its worker threads) and the records' "
        "(cameras, evidence, alerts).",
        [({"pool": "api"}, _in_use(db.engine if db else None)), ({"pool": "records"}, _in_use(center.engine))],
    )
    family(
        "binwatch_db_connections_max",
        "gauge",
        "The most connections the API's pool opens.",
        [({"pool": "api"}, float(db.connections_max) if db else 0.0)],
    )
    family(
        "binwatch_api_requests",
        "gauge",
        "API requests being worked on (in_progress, at most the admission limit) and waiting for their turn.",
        [({"state": "in_progress"}, float(admission.in_progress) if admission else 0.0),
         ({"state": "waiting"}, float(admission.waiting) if admission else 0.0)],
    )  # fmt: skip
    family(
        "binwatch_api_busy_total",
        "counter",
        "Requests answered 503 with Retry-After: no database connection was free in time (database), or the "
        "request waited too long for its turn (queue).",
        [({"reason": "database"}, float(db.busy) if db else 0.0),
         ({"reason": "queue"}, float(admission.refused) if admission else 0.0)],
    )  # fmt: skip
    family(
        "binwatch_sse_subscribers",
        "gauge",
        "Browsers following the live feed.",
        [({}, float(center.broker.subscribers))],
    )
    return "\n".join(lines) + "\n"
