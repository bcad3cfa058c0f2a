"""Events -> actions: record, evidence, shout, notify; each with retries and a record of every attempt.

Each action runs on its own lane (a worker thread with a queue), and shouts on one lane per camera,
so a slow or failing speaker delays nothing but its own camera's next shout, and `handle` never
blocks a camera's stream. Every attempt (time, backend, outcome, error) is written to the store
(secrets redacted). Shouts obey a cooldown per camera x message and the community's quiet hours; a
littering or overflow event that is still open after `escalate_after_s` is shouted at again (at most
`escalate_max` times) and its priority raised. A WARNING (said on the spot, before any violation is
confirmed) is shouted with its own message, shown to the center and recorded as a warning, not as an
event; its attempts are recorded under its id, which the event confirmed later for the same garbage takes.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from alerts.evidence import EvidenceError, EvidenceNoSpace, EvidenceRecord
from alerts.speakers import Shout, Speaker, SpeakerError
from alerts.speakers.audio import speak_to_wav
from config import AlertPolicy, QuietWindow, message_key
from detector.rules.events import Event, EventKind, EventState
from redact import redact_text
from store import repo
from store.db import session_scope

log = logging.getLogger("binwatch.alerts")

ESCALATING = (EventKind.LITTERING, EventKind.OVERFLOW)  # garbage that stays where it should not
EvidenceFn = Callable[[], EvidenceRecord]


class Action(StrEnum):
    RECORD = "record"
    EVIDENCE = "evidence"
    SHOUT = "shout"
    WARN = "warn"  # the shout of an on-the-spot warning (kept apart from the confirmed event's shouts)
    NOTIFY = "notify"


@dataclass(frozen=True)
class CameraRoute:
    """What the dispatcher needs to know about one camera."""

    camera_id: str
    community_id: str = ""
    speaker: Speaker | None = None
    quiet_hours: tuple[QuietWindow, ...] = ()
    timezone: str = "Asia/Shanghai"


class _Lane:
    """One worker thread draining a queue of jobs; `close` finishes what was queued."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"binwatch-{name}", daemon=True)
        self._thread.start()

    def put(self, job: Callable[[], None]) -> None:
        self._queue.put(job)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                job()
            except Exception:  # a bug in one job must not stop the lane; it is logged with its traceback
                log.exception("action job failed")


@dataclass
class Dispatcher:
    engine: Engine
    policy: AlertPolicy
    routes: dict[str, CameraRoute]
    audio_dir: Path
    notify: Callable[[Event], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    # Secrets of the config (speaker passwords, webhook URLs and headers): an attempt's error may quote
    # a device's URL or its answer, and is logged and stored with these and anything secret-shaped redacted.
    secrets: frozenset[str] = frozenset()
    _lanes: dict[str, _Lane] = field(default_factory=dict)
    _last_shout: dict[tuple[str, str], float] = field(default_factory=dict)
    _open: dict[str, Event] = field(default_factory=dict)  # events not ended yet, by id
    _timers: dict[str, threading.Timer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False
    failures: dict[str, int] = field(default_factory=dict)  # action -> failed attempts, for /metrics
    # A full evidence disk: retry with backoff (doubling from space_backoff_s up to space_backoff_max_s)
    # while the camera still holds the event's packets (pinned in its ring until the last attempt);
    # after space_wait_s the evidence is recorded as lost, so a full disk cannot grow the rings forever.
    space_wait_s: float = 600.0
    space_backoff_s: float = 1.0
    space_backoff_max_s: float = 60.0
    evidence_lost: int = 0  # events whose evidence was given up for lack of space, for /metrics

    # ---- entry points ----------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        """Take one lifecycle step of an event (record, shout, notify, escalate); returns at once."""
        route = self.routes.get(event.camera_id, CameraRoute(event.camera_id))
        self._lane(Action.RECORD).put(lambda: self._record(event, route))
        if event.state is EventState.END:
            with self._lock:
                self._open.pop(event.event_id, None)
                timer = self._timers.pop(event.event_id, None)
            if timer is not None:
                timer.cancel()
            return
        if event.state is EventState.UPDATE:
            return
        if event.state is EventState.START:
            with self._lock:
                self._open[event.event_id] = event
        if self.notify is not None:
            notify = self.notify

            def send() -> None:
                self._attempt(event.event_id, Action.NOTIFY, "notify", lambda: notify(event))

            self._lane(Action.NOTIFY).put(send)
        self._lane(f"shout:{event.camera_id}").put(lambda: self._shout(event, route, repeat=0))
        if event.state is EventState.START and event.kind in ESCALATING and self.policy.escalate_max > 0:
            self._later(event.event_id, self.policy.escalate_after_s, lambda: self._escalate(event, route, 1))

    def shout_again(self, event: Event) -> bool:
        """An operator asks for another shout (no cooldown); False when the camera has no speaker."""
        route = self.routes.get(event.camera_id)
        if route is None or route.speaker is None:
            return False
        self._lane(f"shout:{event.camera_id}").put(lambda: self._shout(event, route, repeat=1))
        return True

    def add_evidence(
        self, event: Event, make: EvidenceFn, delay_s: float = 0.0, done: Callable[[], None] | None = None
    ) -> None:
        """Write the event's evidence with ``make`` on the evidence lane, after ``delay_s`` (the post-event window).

        ``done`` runs once every attempt is over, written or given up (the camera releases the
        event's pre-roll then, not after the first attempt, so a retry still finds its packets).
        While the disk is full the write is tried again later (see ``space_wait_s``).
        """
        route = self.routes.get(event.camera_id, CameraRoute(event.camera_id))
        waits: list[float] = []  # monotonic times of the rounds that failed for lack of space

        def write_then_release() -> None:
            finished = True
            try:
                finished = self._evidence(event, route, make, waits, queue_it)
            finally:
                if finished and done is not None:
                    done()

        def queue_it() -> None:
            self._lane(Action.EVIDENCE).put(write_then_release)

        self._later(f"evidence:{event.event_id}", delay_s, queue_it)

    def close(self) -> None:
        """Cancel pending escalations and finish every queued action."""
        with self._lock:
            self._closed = True
            timers = list(self._timers.values())
            self._timers.clear()
        for t in timers:
            t.cancel()
            if t.name.startswith("evidence:"):  # evidence already promised is still written
                t.function(*t.args, **t.kwargs)
        for lane in list(self._lanes.values()):
            lane.close()

    # ---- actions ---------------------------------------------------------------------------------

    def _record(self, event: Event, route: CameraRoute) -> None:
        def write() -> str:
            with session_scope(self.engine) as s:
                if event.state is EventState.WARNING:
                    return "warning stored" if repo.record_warning(s, event, route.community_id) else "warning known"
                new = repo.record_event(s, event, route.community_id)
            return "stored" if new else "updated"

        self._attempt(event.event_id, Action.RECORD, self.engine.dialect.name, write)

    def _evidence(
        self, event: Event, route: CameraRoute, make: EvidenceFn, waits: list[float], again: Callable[[], None]
    ) -> bool:
        """One round of attempts; False when another round is scheduled (no space yet), True when over."""

        def write() -> str:
            rec = make()
            with session_scope(self.engine) as s:
                repo.record_event(s, event, route.community_id)
                repo.record_evidence(s, event.event_id, {n: (d.size, d.sha256, d.sm3) for n, d in rec.files.items()})
            return str(rec.directory)

        try:
            self._attempt(event.event_id, Action.EVIDENCE, "files", write, stop_on=(EvidenceNoSpace,))
        except EvidenceNoSpace as e:
            now = time.monotonic()
            waits.append(now)
            waited = now - waits[0]
            key = f"evidence:{event.event_id}"
            if waited < self.space_wait_s:
                delay = min(self.space_backoff_max_s, self.space_backoff_s * 2 ** (len(waits) - 1))
                log.warning("[%s] no space for evidence %s; trying again in %.1f s (waited %.0f of %.0f s)",
                            event.camera_id, event.event_id, delay, waited, self.space_wait_s)  # fmt: skip
                if self._later(key, delay, again):
                    return False
            # given up: the wait is over, or the dispatcher is closing (_later scheduled nothing)
            why = f"no space came back within {self.space_wait_s:.0f} s" if waited >= self.space_wait_s else (
                "the service stopped")  # fmt: skip
            self._note(event.event_id, Action.EVIDENCE, "files", "lost",
                       f"lost: {why} while waiting for space on the evidence disk ({e}); "
                       "the camera's packets for it are no longer held", len(waits))  # fmt: skip
            with self._lock:
                self.evidence_lost += 1
        return True

    def _shout(self, event: Event, route: CameraRoute, repeat: int) -> None:
        if route.speaker is None:
            return
        backend = route.speaker.backend
        now = time.monotonic()
        local = event.wall.astimezone(ZoneInfo(route.timezone)).time()
        quiet = next((w for w in route.quiet_hours if w.contains(local)), None)
        warning = event.state is EventState.WARNING
        action = Action.WARN if warning else Action.SHOUT
        if quiet is not None:
            self._note(event.event_id, action, backend, "skipped", f"quiet hours {quiet.start:%H:%M}-{quiet.end:%H:%M}")
            return
        message = message_key(event.kind.value, warning)
        key = (event.camera_id, message)
        last = self._last_shout.get(key)
        if repeat == 0 and last is not None and now - last < self.policy.cooldown_s:
            self._note(event.event_id, action, backend, "skipped",
                       f"cooldown: this camera said {message} {now - last:.0f} s ago")  # fmt: skip
            return
        self._last_shout[key] = now
        speaker = route.speaker

        def play(attempt: int) -> str:
            text = self.policy.messages[message]
            wav = self.policy.recordings.get(message) or speak_to_wav(text, self.policy.voice, self.audio_dir)
            shout = Shout(event.event_id, event.camera_id, event.kind.value, text, wav, attempt, repeat, warning)
            return speaker.shout(shout)

        if self._attempt(event.event_id, action, backend, play) and not warning:
            try:
                with session_scope(self.engine) as s:
                    repo.record_event(s, event, route.community_id)
                    repo.bump_shouts(s, event.event_id, escalate=repeat > 0)
            except SQLAlchemyError as e:
                log.error("[%s] cannot count the shout of %s: %s", event.camera_id, event.event_id, e)

    def _escalate(self, event: Event, route: CameraRoute, n: int) -> None:
        with self._lock:
            still_open = event.event_id in self._open and not self._closed
        if not still_open:
            return
        self._lane(f"shout:{event.camera_id}").put(lambda: self._shout(event, route, repeat=n))
        if n < self.policy.escalate_max:
            self._later(event.event_id, self.policy.escalate_after_s, lambda: self._escalate(event, route, n + 1))

    # ---- plumbing --------------------------------------------------------------------------------

    def _attempt(
        self, event_id: str, action: Action, backend: str, fn: Callable[..., Any],
        stop_on: tuple[type[Exception], ...] = (),
    ) -> bool:  # fmt: skip
        """Run ``fn`` up to policy.retries times; every attempt is recorded. True on success.

        An error of a ``stop_on`` type is recorded and re-raised at once (the caller waits its own way).
        """
        takes_attempt = action in (Action.SHOUT, Action.WARN)
        for n in range(1, self.policy.retries + 1):
            started = dt.datetime.now(dt.UTC)
            try:
                detail = fn(n) if takes_attempt else fn()
            except (SpeakerError, EvidenceError, SQLAlchemyError, OSError, ValueError, RuntimeError) as e:
                error = redact_text(f"{type(e).__name__}: {e}", self.secrets)
                log.warning("[%s] %s attempt %d/%d via %s failed: %s", event_id, action.value, n,
                            self.policy.retries, backend, error)  # fmt: skip
                self._note(event_id, action, backend, "failed", error, n, started)
                with self._lock:
                    self.failures[action.value] = self.failures.get(action.value, 0) + 1
                if isinstance(e, stop_on):
                    raise
                if n < self.policy.retries:
                    self.sleep(self.policy.retry_backoff_s * 2 ** (n - 1))
                continue
            self._note(event_id, action, backend, "ok", str(detail or ""), n, started)
            return True
        return False

    def _note(
        self, event_id: str, action: Action, backend: str, outcome: str, detail: str, attempt: int = 1,
        started: dt.datetime | None = None,
    ) -> None:  # fmt: skip
        detail = redact_text(detail, self.secrets)
        try:
            with session_scope(self.engine) as s:
                repo.record_attempt(
                    s, event_id, action.value, backend, attempt, started or dt.datetime.now(dt.UTC), outcome, detail
                )
        except SQLAlchemyError as e:  # the database is down: the log still has it
            log.error("cannot record %s attempt of %s (%s: %s): %s", action.value, event_id, outcome, detail, e)

    def _lane(self, name: str) -> _Lane:
        with self._lock:
            lane = self._lanes.get(name)
            if lane is None:
                lane = self._lanes[name] = _Lane(name)
            return lane

    def _later(self, key: str, delay_s: float, job: Callable[[], None]) -> bool:
        """Run ``job`` after ``delay_s`` (replacing what waits under ``key``); False when closed (nothing runs)."""
        if delay_s <= 0:
            job()
            return True

        def fire() -> None:
            with self._lock:
                if self._timers.get(key) is timer:
                    del self._timers[key]
            job()

        timer = threading.Timer(delay_s, fire)
        timer.name = key
        timer.daemon = True
        with self._lock:
            if self._closed:
                return False
            old = self._timers.get(key)
            self._timers[key] = timer
        if old is not None:
            old.cancel()
        timer.start()
        return True
