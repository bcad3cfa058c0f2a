"""binwatch entry point: the `binwatch` command line.

Nothing heavy is built at import time; each sub-command imports what it needs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from redact import install_redaction, known_secrets, redact_text, redact_url, url_secrets

if TYPE_CHECKING:
    from alerts.evidence import FileEvidence
    from config import CameraConfig
    from detector.analyze import AnalyzeResult


class _Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.t0 = time.monotonic()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.25:
            return
        self._last = now
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {now - self.t0:.0f}s")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x720; got {text!r}") from e
    return w, h


def _iso(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2026-06-01T07:30:00+08:00; got {text!r}"
        ) from e
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset; add one, e.g. +08:00")
    return when


def _number(option: str, unit: str, ok: Callable[[float], bool], expected: str) -> Callable[[str], float]:
    """An argparse type for a number option: ``unit`` says what it counts, ``ok`` the values it takes."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{option} must be {unit}; got {text!r}") from e
        if not ok(value):  # (NaN fails every comparison)
            raise argparse.ArgumentTypeError(f"{option} must be {expected}; got {text}")
        return value

    return parse


_fps = _number("--fps", "a number of frames per second", lambda v: math.isfinite(v) and v > 0, "> 0")
_drop = _number("--drop", "a percentage", lambda v: 0 <= v < 100, "in [0, 100) %")


def cmd_sim(args: argparse.Namespace) -> int:
    from sim.clip import write_clip
    from sim.scenarios import Scenario
    from sim.scene import SimSpec

    w, h = args.size
    spec = SimSpec(Scenario(args.scenario), args.seed, w, h, args.fps, args.duration, args.start)
    t0 = time.monotonic()
    scene = write_clip(spec, args.out, labels=args.labels, progress=_Progress(f"rendering {args.scenario}"))
    truth = scene.truth()
    print(
        f"wrote {args.out}/video.mp4 ({spec.duration:g} s, {w}x{h}, {spec.fps:g} fps, {truth['lighting']}) "
        f"in {time.monotonic() - t0:.1f} s"
    )
    for e in truth["events"]:
        print(f"  truth: {e['kind']} at {e['t_drop_s']} s (owner left at {e['t_leave_s']} s) bbox {e['bbox']}")
    return 0


def cmd_sim_dataset(args: argparse.Namespace) -> int:
    from sim.dataset import build_dataset

    meta = build_dataset(args.out, args.images, args.seed, progress=_Progress("rendering dataset"))
    print(f"wrote {args.out}/data.yaml: {json.dumps(meta['counts'])}; val by lighting {meta['val_by_lighting']}")
    return 0


def _recipe(card: str) -> list[str]:
    """The commands in a model card's 'How it was made' block (to chain a fine-tune onto its base)."""
    lines = card.split("## How it was made", 1)[-1].split("```sh", 1)[-1].split("```", 1)[0]
    return [line for line in lines.splitlines() if line.startswith(("binwatch ", "mkdir "))]


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from detector.modelcard import CardFacts, render_card
    from detector.yolo import inference_ms, software_versions, train, validate
    from sim.scenarios import Scenario
    from sim.scene import SimScene, SimSpec

    data_yaml: Path = args.data
    if not data_yaml.is_file():
        print(
            f"error: --data {data_yaml} does not exist (expected a data.yaml from `binwatch sim-dataset`)",
            file=sys.stderr,
        )
        return 2
    meta_file = data_yaml.parent / "dataset.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    out: Path = args.out
    if out.suffix != ".pt":
        print(f"error: --out must end in .pt; got {out}", file=sys.stderr)
        return 2
    torch.set_num_threads(max(1, torch.get_num_threads()))
    with tempfile.TemporaryDirectory(prefix="binwatch-train-") as tmp:
        work = Path(tmp)
        seconds = train(data_yaml, out, args.epochs, args.imgsz, args.base, args.seed, args.batch, work)
        data = yaml.safe_load(data_yaml.read_text())
        scores = {"all val": validate(out, data_yaml, args.imgsz, work)}
        val_images = {"all val": sum(1 for _ in (data_yaml.parent / "images" / "val").glob("*.jpg"))}
        for light in ("day", "dusk", "night"):
            listing = data_yaml.parent / f"val_{light}.txt"
            n = len(listing.read_text().split()) if listing.exists() else 0
            if n == 0:
                continue
            sub = work / f"data_{light}.yaml"
            sub.write_text(yaml.safe_dump({**data, "val": listing.name}))
            scores[light] = validate(out, sub, args.imgsz, work)
            val_images[light] = n
        frame, _ = SimScene(SimSpec(Scenario.LITTERING, seed=7, width=1280, height=720)).renderer.render(15.0, 0)
        speed = {s: inference_ms(out, frame, s) for s in (320, 480, 640)}
    train_cmd = "binwatch train " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    base_card = Path(args.base).with_suffix(".md")
    base_recipe = _recipe(base_card.read_text()) if args.base.endswith(".pt") and base_card.exists() else []
    made_at = shlex.split(base_recipe[-1]) if base_recipe else []
    base_out = made_at[made_at.index("--out") + 1] if "--out" in made_at else args.base
    if base_out != args.base:  # the base was copied aside before the fine-tune overwrote it
        folder = shlex.quote(str(Path(args.base).parent))
        base_recipe.append(f"mkdir -p {folder} && cp {shlex.quote(base_out)} {shlex.quote(args.base)}")
    dataset_line = str(meta.get("command", f"(dataset {data_yaml} has no dataset.json)"))
    facts = CardFacts(
        name=out.stem,
        classes=["person", "garbage", "bin"],
        dataset_command="\n".join([*base_recipe, *([] if dataset_line in base_recipe else [dataset_line])]),
        dataset_seed=int(meta.get("seed", -1)),
        dataset_counts=meta.get("counts", {}),
        train_command=train_cmd,
        base=args.base,
        epochs=args.epochs,
        imgsz=args.imgsz,
        seed=args.seed,
        train_seconds=seconds,
        size_mb=out.stat().st_size / 1e6,
        scores=scores,
        val_images=val_images,
        inference_ms=speed,
        cpu=f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads",
        train_cpu=f"{platform.processor() or platform.machine()}, {os.cpu_count()} threads",
        software=software_versions(),
    )
    card = out.with_suffix(".md")
    card.write_text(render_card(facts))
    print(f"wrote {out} ({facts.size_mb:.1f} MB) and {card}")
    for split, sc in scores.items():
        print(f"  {split}: " + ", ".join(f"{s.name} mAP50 {s.map50:.3f}" for s in sc))
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    """Print what the detector sees, second by second (a quick look at a model on a clip)."""
    from detector.detections import Role
    from detector.yolo import YoloDetector, default_model
    from streams.decode import iter_file_frames

    detector = YoloDetector(args.model or default_model(), imgsz=args.imgsz)
    print(f"model {detector.model_path.name}: classes {sorted(detector.names.values())}")
    print("   t_s  person  garbage  bin  max_garbage_conf")
    for frame in iter_file_frames(args.video, fps=args.fps):
        d = detector.detect([frame.bgr])[0]
        g = d.of_role(Role.GARBAGE)
        top = f"{float(g.confidence.max()):.2f}" if len(g) else "-"
        print(
            f"{frame.t_s:6.1f}  {len(d.of_role(Role.PERSON)):6d}  {len(g):7d}  {len(d.of_role(Role.BIN)):3d}  {top:>16}"
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from detector.yolo import export_openvino

    t0 = time.monotonic()
    out = export_openvino(args.model, args.imgsz, half=args.half)
    print(f"wrote {out} in {time.monotonic() - t0:.1f} s; use it with --model {out}")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate a city or single-camera config; print every error with its YAML path and line."""
    from config import CityConfig, ConfigError, load_config

    path: Path = args.file
    try:
        config = load_config(path)
        if isinstance(config, CityConfig):
            cams = config.cameras()
            print(
                f"{path}: OK: {len(config.communities)} communities, "
                f"{sum(len(c.points) for c in config.communities)} collection points, {len(cams)} cameras"
            )
            if args.verbose:
                for community, point, cam in cams:
                    print(f"  {community.id}/{point.id}/{cam.id}: {redact_url(cam.source)}")
        else:
            print(
                f"{path}: OK: camera {config.id} ({redact_url(config.source)}), {len(config.zones.bins)} bins zone(s)"
            )
    except ConfigError as e:
        _error(e)
        return 1
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse a video file as fast as possible; write events.jsonl and summary.json."""
    from config import ConfigError, load_camera_config
    from detector.analyze import analyze_file, default_camera, write_outputs
    from detector.yolo import YoloDetector, default_model

    video: Path = args.video
    if not video.is_file():
        print(f"error: video {video} does not exist (expected a readable video file)", file=sys.stderr)
        return 2
    try:
        camera = load_camera_config(args.camera_config) if args.camera_config else default_camera(video)
    except ConfigError as e:
        _error(e)
        return 2
    start = args.start or dt.datetime.fromtimestamp(video.stat().st_mtime, dt.UTC)
    fps = args.fps or camera.analysis_fps
    model = args.model or default_model()
    detector = YoloDetector(model, imgsz=args.imgsz)
    evidence = _file_evidence(video, camera, model, args.out, start) if args.evidence else None
    result = analyze_file(
        video, camera, detector, start, fps, use_left_objects=not args.no_left_objects, after_frame=evidence,
        drop=args.drop, drop_seed=args.drop_seed,
    )  # fmt: skip
    extra = {
        "video": str(video),
        "camera_id": camera.id,
        "model": str(model),
        "analysis_fps": fps,
        "drop_percent": args.drop,
        "drop_seed": args.drop_seed,
        "start": start.isoformat(),
    }
    write_outputs(result, args.out, extra)
    n = sum(1 for e in result.events if e.state.value == "start")
    print(
        f"{video}: {result.frames_analysed} frames analysed ({result.frames_detected} through the model; "
        f"{result.frames_dropped} of {result.frames_decoded} decoded frames dropped) "
        f"in {result.wall_s:.1f} s; {n} events -> {args.out}/events.jsonl"
    )
    incomplete = _report_incomplete(video, result)
    if evidence is None:
        return incomplete
    evidence.finish()
    evidence.dispatcher.close()
    status = _report_evidence(
        evidence.dispatcher.engine, [e.event_id for e in result.events if e.state.value == "start"]
    )
    return status or incomplete


def _report_incomplete(video: Path, result: AnalyzeResult) -> int:
    """A warning for a video analysed only in part, and exit status 3 for it (0 when whole)."""
    if result.error is not None:
        print(f"warning: {result.error}; the {result.analysed_until_s:.1f} s before it were analysed and their events "
              "written, nothing after it", file=sys.stderr)  # fmt: skip
    elif result.missing_s > 0:
        end = result.analysed_until_s + result.missing_s
        print(f"warning: {video} is cut short: its frames end at {result.analysed_until_s:.1f} s of the {end:.1f} s "
              f"its header states; the last {result.missing_s:.1f} s were not analysed (a copy or recording "
              "interrupted?)", file=sys.stderr)  # fmt: skip
    return 0 if result.complete else 3


def _file_evidence(video: Path, camera: CameraConfig, model: Path, out: Path, start: dt.datetime) -> FileEvidence:
    """Evidence, records and the ledger under ``out`` for the events of an analysed file (no shouting)."""
    from alerts.accounting import record_recovery
    from alerts.digests import model_identity
    from alerts.dispatcher import CameraRoute, Dispatcher
    from alerts.evidence import EvidenceContext, EvidenceStore, FileEvidence
    from config import AlertPolicy
    from detector.yolo import cache_dir, software_versions
    from store.db import database_url, open_database

    store = EvidenceStore(out)
    engine = open_database(database_url(out))
    recovery = store.recover()
    for note in recovery.notes + record_recovery(engine, recovery, store.directories(), [camera.id]):
        print(f"  {note}")
    context = EvidenceContext(
        camera_id=camera.id,
        camera_name=camera.name,
        clock_source=f"file {video.name}: stream time + start {start.isoformat()}",
        software=software_versions(),
        model=model_identity(model),
        rules=store.settings.manifest_rules(camera.rules.model_dump()),
    )
    dispatcher = Dispatcher(engine, AlertPolicy(), {camera.id: CameraRoute(camera.id)}, cache_dir() / "audio")
    return FileEvidence(video, store, dispatcher, context)


def _report_evidence(engine: Any, event_ids: list[str]) -> int:
    from store import repo
    from store.db import session_scope

    failed = 0
    with session_scope(engine) as s:
        for eid in event_ids:
            attempts = [a for a in repo.attempts_of(s, eid) if a.action == "evidence"]
            if attempts and attempts[-1].outcome == "ok":
                print(f"  evidence {attempts[-1].detail}")
            else:
                failed += 1
                why = attempts[-1].detail if attempts else "never attempted"
                print(f"error: evidence for {eid} failed after {len(attempts)} attempt(s): {why}", file=sys.stderr)
    engine.dispose()
    return 1 if failed else 0


def cmd_export_case(args: argparse.Namespace) -> int:
    from alerts.evidence import EvidenceStore
    from alerts.export import export_case
    from store import repo
    from store.db import database_url, open_database, session_scope

    data: Path = args.data
    if not (data / "evidence").is_dir():
        print(f"error: {data} holds no evidence (expected {data}/evidence/)", file=sys.stderr)
        return 2
    records: dict[str, Any] = {}
    if (data / "binwatch.db").exists() or os.environ.get("BINWATCH_DB_URL"):
        engine = open_database(database_url(data))
        with session_scope(engine) as s:
            records = repo.case_records(s, args.event_ids)
            for eid in args.event_ids:
                repo.audit(s, args.actor, "export", f"event:{eid}", {"package": args.out.name})
        engine.dispose()
    summary = export_case(EvidenceStore(data), args.event_ids, args.out, args.actor, records)
    print(f"wrote {summary['package']}: {summary['events']} event(s), {summary['files']} file(s), "
          f"SHA-256 {summary['sha256']}")  # fmt: skip
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from alerts.evidence import EvidenceStore
    from alerts.retention import apply_retention
    from config import RetentionPolicy, load_city_config
    from store import repo
    from store.db import database_url, open_database, session_scope

    data: Path = args.data
    if not (data / "evidence").is_dir():
        print(f"error: {data} holds no evidence (expected {data}/evidence/)", file=sys.stderr)
        return 2
    policy = load_city_config(args.config).retention if args.config else RetentionPolicy()
    engine = open_database(database_url(data))
    with session_scope(engine) as s:
        held = repo.held_events(s)
    now = args.now or dt.datetime.now(dt.UTC)
    result = apply_retention(EvidenceStore(data), policy, held, now, dry_run=args.dry_run)
    if not args.dry_run:
        with session_scope(engine) as s:
            for eid in result.deleted:
                repo.forget_evidence_files(s, eid)
                repo.audit(s, "retention", "delete-evidence", f"event:{eid}")
    engine.dispose()
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {len(result.deleted)} event(s)' evidence; kept {len(result.kept_held)} past their limit "
          f"(legal hold or open case) and {result.kept_young} within it")  # fmt: skip
    for eid in result.deleted:
        print(f"  {verb}: {eid}")
    for eid in result.kept_held:
        print(f"  held: {eid}")
    return 0


def cmd_legal_hold(args: argparse.Namespace) -> int:
    from store import repo
    from store.db import database_url, open_database, session_scope

    engine = open_database(database_url(args.data))
    with session_scope(engine) as s:
        for eid in args.event_ids:
            repo.set_legal_hold(s, eid, not args.release)
            repo.audit(s, args.actor, "release-hold" if args.release else "legal-hold", f"event:{eid}")
    engine.dispose()
    print(f"{'released' if args.release else 'placed'} legal hold on {len(args.event_ids)} event(s)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The monitoring center: API, web UI and every configured camera's pipeline, in one process."""
    import logging
    import secrets

    import uvicorn
    from sqlalchemy import select

    from api.app import create_app
    from runtime.center import DEMO_CONFIG, Center, Settings, print_progress
    from store import repo
    from store.db import session_scope
    from store.tables import User

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(config=args.config, data_dir=args.data, model=args.model, imgsz=args.imgsz)
    if not settings.config.is_file():
        print(f"error: config {settings.config} does not exist (expected a city YAML such as config/demo.yaml)",
              file=sys.stderr)  # fmt: skip
        return 2
    center = Center(settings, progress=print_progress)
    with session_scope(center.open_records()) as s:
        has_users = s.scalar(select(User).limit(1)) is not None
        login_hint = "log in with your binwatch user"
        if not has_users and settings.config.resolve() == DEMO_CONFIG.resolve():
            password = secrets.token_urlsafe(12)
            repo.add_user(s, "demo", "admin", password)
            login_hint = (
                f"demo login: user 'demo', password '{password}' (shown once; add users with `binwatch user add`)"
            )
        elif not has_users:
            login_hint = "no users yet: create the first admin with `binwatch user add NAME --role admin`"
    app = create_app(settings, center)
    print(f"binwatch: {settings.config} -> open http://{args.host}:{args.port}/  ({login_hint})", flush=True)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            center.broker.close()  # open live feeds (SSE) end at once instead of holding the shutdown
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="info", timeout_graceful_shutdown=5)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after its clean shutdown
        Server(config).run()
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    """Users and their tokens: add, passwd, disable, enable, token, tokens, revoke."""
    import datetime as _dt
    import getpass

    from store import repo
    from store.db import database_url, open_database, session_scope

    def ask_password() -> str:
        return sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")

    engine = open_database(database_url(args.data))
    try:
        with session_scope(engine) as s:
            if args.user_command == "add":
                repo.add_user(s, args.name, args.role, ask_password())
                repo.audit(s, "cli", "user-add", f"user:{args.name}", {"role": args.role})
                print(f"added {args.role} {args.name}")
            elif args.user_command == "passwd":
                repo.set_password(s, args.name, ask_password())
                repo.audit(s, "cli", "user-passwd", f"user:{args.name}")
                print(f"changed the password of {args.name} (their browser sessions ended; API tokens stay)")
            elif args.user_command in ("disable", "enable"):
                repo.set_disabled(s, args.name, args.user_command == "disable")
                repo.audit(s, "cli", f"user-{args.user_command}", f"user:{args.name}")
                print(
                    f"{args.user_command}d {args.name}"
                    + (" (every token revoked)" if args.user_command == "disable" else "")
                )
            elif args.user_command == "token":
                token, _ = repo.issue_token(s, repo.get_user(s, args.name), "api", _dt.timedelta(days=args.days))
                repo.audit(s, "cli", "token", f"user:{args.name}", {"days": args.days})
                print(token)
            elif args.user_command == "tokens":
                print(f"{'id':16}  {'kind':7}  {'created':25}  {'expires':25}  last used")
                for t in repo.list_tokens(s, args.name):
                    used = t.last_used.isoformat(timespec="seconds") if t.last_used else "-"
                    print(f"{t.id:16}  {t.kind:7}  {t.created.isoformat(timespec='seconds'):25}  "
                          f"{t.expires.isoformat(timespec='seconds'):25}  {used}")  # fmt: skip
            else:  # revoke
                if (args.token_id is None) == (not args.all):
                    raise ValueError("revoke needs a TOKEN_ID (see `binwatch user tokens NAME`) or --all, not both")
                n = repo.revoke_user_tokens(s, args.name, args.token_id)
                repo.audit(s, "cli", "token-revoke", f"user:{args.name}", {"token": args.token_id or "all"})
                print(f"revoked {n} token(s) of {args.name}")
    finally:
        engine.dispose()
    return 0


def _token_days(text: str) -> int:
    low, high = 1, 365  # store.repo.API_TOKEN_DAYS (not imported here: nothing heavy at import)
    try:
        days = int(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected a whole number of days from {low} to {high}; got {text!r}") from e
    if not low <= days <= high:
        raise argparse.ArgumentTypeError(f"expected {low} to {high} days; got {days}")
    return days


def cmd_verify(args: argparse.Namespace) -> int:
    """Re-hash evidence against manifests and the ledger, and compare recorded events with evidence both ways."""
    from alerts.accounting import account, deleted_by_retention
    from alerts.evidence import EvidenceStore
    from store.db import database_url, open_database

    data: Path = args.data
    if not (data / "evidence").is_dir() and not (data / "ledger.jsonl").exists():
        print(f"error: {data} holds no evidence (expected {data}/evidence/ and {data}/ledger.jsonl)", file=sys.stderr)
        return 2
    if not args.all and not args.event_ids:
        print("error: name one or more EVENT_IDs, or --all", file=sys.stderr)
        return 2
    store = EvidenceStore(data)
    problems, checked = store.verify(None if args.all else args.event_ids)
    events = store.event_ids() if args.all else args.event_ids
    records = ""
    if (data / "binwatch.db").exists() or os.environ.get("BINWATCH_DB_URL"):
        engine = open_database(database_url(data))
        try:
            deleted = deleted_by_retention([(e.event_id, e.action) for e in store.ledger.entries()])
            only = None if args.all else args.event_ids
            acc = account(engine, store.directories(), deleted, store.unfinished(), only)
        finally:
            engine.dispose()
        known = {p.event_id for p in problems}
        problems += [
            p for p in acc.problems if p.event_id not in known or "orphan" in p.what or "no evidence" in p.what
        ]
        for eid, why in sorted(acc.failures.items()):
            print(f"NO EVIDENCE {eid}: recorded failure: {why}")
        for eid in acc.deleted:
            print(f"DELETED {eid}: evidence deleted by retention (ledger)")
        for name in acc.unfinished:
            print(f"UNFINISHED {name}: a write in progress, or interrupted (recorded as failed at the next start)")
        records = (
            f"; records: {acc.events} event(s), {acc.with_evidence} with evidence, "
            f"{len(acc.failures)} with a recorded evidence failure"
        )
    else:
        records = f"; no records database in {data} (set BINWATCH_DB_URL): recorded events not compared"
    for p in problems:
        print(f"FAIL {p}")
    status = "OK" if not problems else f"{len(problems)} problem(s)"
    hashed = f"{checked} file(s) re-hashed (SHA-256 and SM3)"
    print(f"{status}: {len(events)} event(s), {hashed}, ledger chain checked{records}")
    return 0 if not problems else 1


def cmd_eval(args: argparse.Namespace) -> int:
    from detector.evaluate import format_table, score

    truth = json.loads(Path(args.truth).read_text())
    preds = [json.loads(line) for line in Path(args.events).read_text().splitlines() if line.strip()]
    print(format_table(score(truth["events"], preds)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from sim.scenarios import Scenario

    p = argparse.ArgumentParser(prog="binwatch", description="Garbage collection point monitoring.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sim", help="render a synthetic collection-point clip with ground truth")
    s.add_argument("--scenario", required=True, choices=[x.value for x in Scenario])
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--duration", type=float, default=None, help="seconds (default 60; mixed 300)")
    s.add_argument("--size", type=_size, default=(1280, 720), help="WIDTHxHEIGHT (default 1280x720)")
    s.add_argument("--fps", type=float, default=10.0)
    s.add_argument("--start", type=_iso, default=None, help="clip start, ISO 8601 with offset (default from seed)")
    s.add_argument("--labels", action="store_true", help="also write per-frame YOLO labels under labels/")
    s.set_defaults(func=cmd_sim)

    d = sub.add_parser("sim-dataset", help="build a YOLO dataset from random synthetic frames")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--images", type=int, required=True)
    d.add_argument("--seed", type=int, required=True)
    d.set_defaults(func=cmd_sim_dataset)

    t = sub.add_parser("train", help="train a detector offline and write its model card")
    t.add_argument("--data", type=Path, required=True, help="data.yaml from sim-dataset")
    t.add_argument("--out", type=Path, required=True, help="models/NAME.pt")
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--imgsz", type=int, choices=[320, 480, 640], default=320)
    t.add_argument("--base", default="yolo11n.yaml", help="model YAML (from scratch) or a local .pt")
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--seed", type=int, default=0)
    t.set_defaults(func=cmd_train)

    a = sub.add_parser("analyze", help="analyse a video file as fast as possible; write events.jsonl")
    a.add_argument("video", type=Path)
    a.add_argument("--camera-config", type=Path, default=None, help="camera YAML (zones, schedule, rules)")
    a.add_argument("--model", type=Path, default=None, help="default: the bundled model (OpenVINO copy if installed)")
    a.add_argument("--start", type=_iso, default=None, help="wall-clock time of the first frame (default: file mtime)")
    a.add_argument("--fps", type=_fps, default=None, help="analysis rate (default: the camera's, 5)")
    a.add_argument(
        "--drop", type=_drop, default=0.0, metavar="P",
        help="lose P %% of the decoded frames at random before the analysis-rate sampling, as a live camera on a "
        "busy machine does (0 <= P < 100; default 0)",
    )  # fmt: skip
    a.add_argument("--drop-seed", type=int, default=0, metavar="N", help="seed of --drop's choice (default 0)")
    a.add_argument("--out", type=Path, default=Path("out/analyze"))
    a.add_argument("--imgsz", type=int, default=480, help="model input size (default 480)")
    a.add_argument("--no-left-objects", action="store_true", help="use model detections of garbage only")
    a.add_argument(
        "--evidence", action="store_true", help="write evidence and the custody ledger for each event under --out"
    )
    a.set_defaults(func=cmd_analyze)

    e = sub.add_parser("eval", help="precision, recall and F1 per kind of events against a truth.json")
    e.add_argument("--truth", type=Path, required=True)
    e.add_argument("--events", type=Path, required=True)
    e.set_defaults(func=cmd_eval)

    c = sub.add_parser("check-config", help="validate a config file; errors name the YAML path and line")
    c.add_argument("file", type=Path)
    c.add_argument("-v", "--verbose", action="store_true", help="list every camera (credentials redacted)")
    c.set_defaults(func=cmd_check_config)

    v = sub.add_parser("detect", help="print per-second detections of a model on a video file")
    v.add_argument("video", type=Path)
    v.add_argument("--model", type=Path, default=None, help="default: the bundled model (OpenVINO copy if installed)")
    v.add_argument("--fps", type=float, default=1.0)
    v.add_argument("--imgsz", type=int, default=480)
    v.set_defaults(func=cmd_detect)

    r = sub.add_parser("verify", help="re-hash evidence files and the custody ledger; exit 0 only if intact")
    r.add_argument("event_ids", nargs="*", metavar="EVENT_ID")
    r.add_argument("--all", action="store_true", help="every event of the data directory")
    r.add_argument("--data", type=Path, default=Path("data"), help="data directory (default ./data)")
    r.set_defaults(func=cmd_verify)

    k = sub.add_parser("export-case", help="pack events' evidence, hashes, ledger and review into a case zip")
    k.add_argument("event_ids", nargs="+", metavar="EVENT_ID")
    k.add_argument("--out", type=Path, required=True, help="case.zip")
    k.add_argument("--data", type=Path, default=Path("data"), help="data directory (default ./data)")
    k.add_argument("--actor", default=os.environ.get("USER", "cli"), help="who exports (for the ledger)")
    k.set_defaults(func=cmd_export_case)

    t2 = sub.add_parser(
        "retention", help="delete evidence past its kind's retention (never held or open-case evidence)"
    )
    t2.add_argument("--data", type=Path, default=Path("data"), help="data directory (default ./data)")
    t2.add_argument("--config", type=Path, default=None, help="city config whose retention applies (default built in)")
    t2.add_argument("--now", type=_iso, default=None, help="judge ages as of this time (default now)")
    t2.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    t2.set_defaults(func=cmd_retention)

    h = sub.add_parser("legal-hold", help="keep events' evidence whatever its age (or --release)")
    h.add_argument("event_ids", nargs="+", metavar="EVENT_ID")
    h.add_argument("--release", action="store_true")
    h.add_argument("--data", type=Path, default=Path("data"), help="data directory (default ./data)")
    h.add_argument("--actor", default=os.environ.get("USER", "cli"))
    h.set_defaults(func=cmd_legal_hold)

    run = sub.add_parser("run", help="run the monitoring center: cameras, alerts, API and web UI")
    run.add_argument("--config", type=Path, default=None, help="city YAML (default config/demo.yaml)")
    run.add_argument("--data", type=Path, default=None, help="data directory (default ./data)")
    run.add_argument("--model", type=Path, default=None, help="default: the bundled model")
    run.add_argument("--imgsz", type=int, default=None, help="model input size (default 480)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.set_defaults(func=cmd_run)

    u = sub.add_parser("user", help="manage users and their tokens (the first admin is created here)")
    usub = u.add_subparsers(dest="user_command", required=True)
    ua = usub.add_parser("add", help="add a user; the password is asked for (or read from stdin)")
    ua.add_argument("name")
    ua.add_argument("--role", required=True, choices=["operator", "officer", "admin"])
    up = usub.add_parser("passwd", help="set a user's password (asked for, or read from stdin); ends their sessions")
    up.add_argument("name")
    for sp in (ua, up):
        sp.add_argument("--password-stdin", action="store_true")
    ud = usub.add_parser("disable", help="disable a user: no login, and every token stops working at once")
    ue = usub.add_parser("enable", help="enable a disabled user again")
    ut = usub.add_parser("token", help="issue an API bearer token for a user (printed once)")
    ut.add_argument("--days", type=_token_days, default=90, help="lifetime, 1 to 365 days (default 90)")
    uk = usub.add_parser("tokens", help="list a user's live tokens: id, kind, created, expires, last used")
    ur = usub.add_parser("revoke", help="revoke one token of a user (by the id `tokens` shows) or --all")
    for sp in (ud, ue, ut, uk, ur):
        sp.add_argument("name")
    ur.add_argument("token_id", nargs="?", default=None, metavar="TOKEN_ID")
    ur.add_argument("--all", action="store_true", help="revoke every token of the user")
    for sp in (ua, up, ud, ue, ut, uk, ur):
        sp.add_argument("--data", type=Path, default=Path("data"), help="data directory (default ./data)")
    u.set_defaults(func=cmd_user)

    x = sub.add_parser(
        "export", help="convert a .pt model to OpenVINO (a directory beside it) for faster CPU inference"
    )
    x.add_argument("model", type=Path)
    x.add_argument("--imgsz", type=int, default=480)
    x.add_argument("--half", action="store_true", help="store the weights as FP16 (half the size, same boxes)")
    x.set_defaults(func=cmd_export)
    return p


def _error(e: Exception) -> None:
    """An error for the user on stderr, secrets redacted (a message may quote a URL or a config line)."""
    print(f"error: {redact_text(str(e), known_secrets())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    install_redaction(url_secrets(os.environ.get("BINWATCH_DB_URL", "")))  # every log line of every command
    try:
        return int(args.func(args))
    except (ValueError, RuntimeError) as e:  # our error types name what was wrong and what was expected
        _error(e)
        return 2


if __name__ == "__main__":
    sys.exit(main())
