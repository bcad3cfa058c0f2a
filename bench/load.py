"""The API under bursts and under ramped load, against a real server on 127.0.0.1 (issue 16, item 1).

Burst: SSE clients open the live feed (GET /api/stream) and other clients ask GET /api/events, all at
the same moment (every wall browser after a restart), while a separate process asks /healthz every
20 ms on a fresh connection, as a liveness probe does. Targets: every request answered, no 5xx but a
deliberate 503 with Retry-After, /healthz p99 <= 100 ms during the burst (its figures in the 2 s
before are printed for comparison); the server's RSS before, at its peak and after is printed.

Ramp: the same kinds of request, in the burst's proportions (--ramp-mix gets: GET /api/events only),
sent open loop (on schedule, whatever the answers) from a tenth of RATE up to RATE requests per
second over RAMP_S, then RATE for HOLD_S; latency counts from the scheduled moment (a feed's: until its
first message; it then leaves). Target: p99 <= 50 ms at RATE, every answer 200.

Bounded in count (at most 2,000 clients per kind, RATE x (RAMP_S + HOLD_S) requests) and time (30 s
per request, 60 s per burst). Exit status 1 when a target is missed.

    .venv/bin/python -m bench.load [--sse 500] [--gets 200] [--rate 200] [--ramp-mix burst|gets]
        [--events 300] [--src SOURCE_TREE] [--api-threads N]
        [--db-url postgresql+psycopg://.../EMPTY_DB | --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
    .venv/bin/python -m bench.load --url http://127.0.0.1:8000 --token API_TOKEN [--pid SERVER_PID]

Without --url it starts its own server (bench/server.py: `binwatch run`'s app without cameras, an
operator and an API token, --events recorded events) from SOURCE_TREE (default: this one).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import math
import multiprocessing
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from urllib.parse import urlsplit

from bench.server import HERE, bench_server, cpu_s, fresh_postgres, rss_kib

REQUEST_TIMEOUT_S = 30.0
BURST_TIMEOUT_S = 60.0
PROBE_INTERVAL_S = 0.02
HEALTHZ_P99_TARGET_S = 0.100
RAMP_P99_TARGET_S = 0.050
MAX_CLIENTS = 2000
FEED = "SSE /api/stream"
QUIET_S = 2.0  # /healthz is probed this long before the burst, for comparison
RAMP_CONNECTIONS = 32  # keep-alive connections of the ramp's client
LOG_LINES_SHOWN = 8


@dataclass(frozen=True)
class Answer:
    """One request's outcome: its status (None: no answer) or why not, and how long it took."""

    sent: float  # time.monotonic() when it was (to be) sent
    latency_s: float
    status: int | None
    retry_after: str | None = None
    error: str = ""
    what: str = "GET /api/events"

    @property
    def label(self) -> str:
        return str(self.status) if self.status is not None else self.error


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    token: str  # an operator's API token
    pid: int | None  # the server's process, for its RSS

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


# ---- figures -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def bad_answers(answers: Sequence[Answer]) -> list[Answer]:
    """Answers that break the burst's rule: no answer at all, a 5xx other than 503, or a 503 without
    Retry-After (a deliberate refusal says when to come back)."""
    return [a for a in answers if a.status is None or (a.status >= 500 and (a.status != 503 or a.retry_after is None))]


def codes(answers: Sequence[Answer]) -> str:
    return ", ".join(f"{k}: {n}" for k, n in sorted(Counter(a.label for a in answers).items()))


def latencies_ms(answers: Sequence[Answer]) -> str:
    lat = [a.latency_s for a in answers if a.status is not None]
    if not lat:
        return "no answers"
    return (
        f"p50 {percentile(lat, 50) * 1000:.1f} ms, p99 {percentile(lat, 99) * 1000:.1f} ms, "
        f"max {max(lat) * 1000:.1f} ms"
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# ---- requests: a minimal HTTP/1.1 client --------------------------------------------------------
# httpx took about 2 ms of CPU per request on this 2-core machine, this client 0.25 ms (both measured
# against /healthz): at 200 req/s httpx would take the CPU of the server it measures.

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class HttpError(Exception):
    """The server's answer was not HTTP/1.1 as expected."""


def get_request(target: Target, path: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {target.host}:{target.port}\r\n"
            f"Authorization: Bearer {target.token}\r\n\r\n").encode()  # fmt: skip


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """The status code and headers (names in lower case) of an answer."""
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpError(f"not an HTTP/1.1 status line: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "content-length" not in headers:
        raise HttpError(f"expected a Content-Length body; got headers {headers}")
    return await reader.readexactly(int(headers["content-length"]))


async def exchange(stream: Stream, request: bytes) -> tuple[int, dict[str, str]]:
    """Send a GET and read its whole answer on a keep-alive connection: (status, headers)."""
    reader, writer = stream
    writer.write(request)
    status, headers = await read_head(reader)
    await read_body(reader, headers)
    return status, headers


def failed(sent: float, e: BaseException, what: str = "GET /api/events") -> Answer:
    return Answer(sent, time.monotonic() - sent, None, error="timeout" if isinstance(e, TimeoutError) else
                  type(e).__name__, what=what)  # fmt: skip


async def get_once(target: Target, path: str) -> Answer:
    """GET on a connection of its own (closed after)."""
    t0 = time.monotonic()
    writer = None
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(target.host, target.port)
            status, headers = await exchange((reader, writer), get_request(target, path))
        return Answer(t0, time.monotonic() - t0, status, headers.get("retry-after"))
    except (TimeoutError, OSError, asyncio.IncompleteReadError, HttpError) as e:
        return failed(t0, e)
    finally:
        if writer is not None:
            writer.close()


async def open_feed(target: Target, sent: float) -> tuple[Answer, asyncio.StreamWriter | None]:
    """Open the live feed and read its first message; the answer (latency from `sent`) and, when it is
    open, its connection."""
    writer = None
    try:
        async with asyncio.timeout(max(0.0, sent + REQUEST_TIMEOUT_S - time.monotonic())):
            reader, writer = await asyncio.open_connection(target.host, target.port)
            writer.write(get_request(target, "/api/stream"))
            status, headers = await read_head(reader)
            if status == 200:
                await reader.readuntil(b"\n\n")  # the first chunk: ": connected"
            else:
                await read_body(reader, headers)
        return Answer(sent, time.monotonic() - sent, status, headers.get("retry-after"), what=FEED), writer
    except (TimeoutError, OSError, asyncio.IncompleteReadError, HttpError) as e:
        if writer is not None:
            writer.close()
        return failed(sent, e, FEED), None


async def follow_feed(target: Target, go: asyncio.Event, release: asyncio.Event, answered: list[Answer]) -> Answer:
    """Open the live feed at `go`, note the answer in `answered`, and hold the feed open until `release`."""
    await go.wait()
    answer, writer = await open_feed(target, time.monotonic())
    if writer is not None:
        answered.append(answer)
        await release.wait()
        writer.close()
    return answer


async def feed_once(target: Target, sent: float) -> Answer:
    """Open the live feed, read its first message, and leave."""
    answer, writer = await open_feed(target, sent)
    if writer is not None:
        writer.close()
    return answer


async def list_events_at(target: Target, go: asyncio.Event) -> Answer:
    await go.wait()
    return await get_once(target, "/api/events")


class KeepAlivePool:
    """At most `size` keep-alive connections; a request waits for a free one (its wait counts in its
    latency), and a connection that failed is replaced by a new one."""

    def __init__(self, target: Target, size: int) -> None:
        self.target = target
        self._free: asyncio.Queue[Stream | None] = asyncio.Queue()
        for _ in range(size):
            self._free.put_nowait(None)

    async def get(self, path: str, sent: float) -> Answer:
        """GET path; latency from `sent`, the moment it was scheduled."""
        taken, stream = False, None
        try:
            async with asyncio.timeout(max(0.0, sent + REQUEST_TIMEOUT_S - time.monotonic())):
                stream = await self._free.get()
                taken = True
                stream = stream or await asyncio.open_connection(self.target.host, self.target.port)
                status, headers = await exchange(stream, get_request(self.target, path))
            self._free.put_nowait(stream)
            return Answer(sent, time.monotonic() - sent, status, headers.get("retry-after"))
        except (TimeoutError, OSError, asyncio.IncompleteReadError, HttpError) as e:
            if stream is not None:
                stream[1].close()
            if taken:
                self._free.put_nowait(None)
            return failed(sent, e)

    async def close(self) -> None:
        while not self._free.empty():
            stream = self._free.get_nowait()
            if stream is not None:
                stream[1].close()


# ---- /healthz, probed from another process -------------------------------------------------------


def probe_healthz(url: str, stop: MpEvent, out: Connection) -> None:
    """Ask url + /healthz every PROBE_INTERVAL_S on a fresh connection until `stop`; send the answers."""
    parts = urlsplit(url)
    answers: list[Answer] = []
    while not stop.is_set():
        t0 = time.monotonic()
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            answers.append(Answer(t0, time.monotonic() - t0, r.status))
        except OSError as e:
            answers.append(Answer(t0, time.monotonic() - t0, None, error=type(e).__name__))
        finally:
            conn.close()
        time.sleep(max(0.0, PROBE_INTERVAL_S - (time.monotonic() - t0)))
    out.send(answers)


@contextmanager
def healthz_probe(url: str) -> Iterator[list[Answer]]:
    """Probe /healthz from another process (the burst's clients do not slow it) while the block runs;
    the list is filled with its answers when the block ends."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=probe_healthz, args=(url, stop, send), daemon=True)
    proc.start()
    answers: list[Answer] = []
    try:
        yield answers
    finally:
        stop.set()
        if receive.poll(REQUEST_TIMEOUT_S + 5):
            answers.extend(receive.recv())
        proc.join(5)


# ---- RSS -----------------------------------------------------------------------------------------


@contextmanager
def peak_rss(pid: int | None) -> Iterator[list[int]]:
    """Sample the VmRSS (KiB) of `pid` every 10 ms while the block runs (nothing without a pid)."""
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while pid is not None and not done.is_set():
            samples.append(rss_kib(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield samples
    finally:
        done.set()
        sampler.join()


# ---- the burst -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BurstResult:
    feeds: list[Answer]
    gets: list[Answer]
    healthz: list[Answer]  # during the burst
    healthz_quiet: list[Answer]  # in the QUIET_S before it
    get_while_held: Answer  # a GET /api/events while every feed is open
    seconds: float
    rss_kib: tuple[int, int, int] | None  # before, peak, after


async def burst(target: Target, n_sse: int, n_get: int) -> BurstResult:
    """n_sse live feeds and n_get GET /api/events at one moment; /healthz probed throughout."""
    before = rss_kib(target.pid) if target.pid else 0
    go, release = asyncio.Event(), asyncio.Event()
    await get_once(target, "/api/events")  # warm
    with healthz_probe(target.url) as healthz, peak_rss(target.pid) as rss:
        quiet = time.monotonic()
        answered: list[Answer] = []
        feeds = [asyncio.create_task(follow_feed(target, go, release, answered)) for _ in range(n_sse)]
        gets = [asyncio.create_task(list_events_at(target, go)) for _ in range(n_get)]
        await asyncio.sleep(QUIET_S)  # every task waits at `go`; the probe measures the quiet server
        t0 = time.monotonic()
        go.set()
        in_time = await _all_answered(feeds, answered, gets)
        seconds = time.monotonic() - t0
        while_held = await get_once(target, "/api/events")
    release.set()
    feed_answers = await _results(feeds, t0)
    get_answers = await _results(gets, t0)
    after = rss_kib(target.pid) if target.pid else 0
    return BurstResult(
        feed_answers, get_answers, [a for a in healthz if t0 <= a.sent <= t0 + seconds or not in_time],
        [a for a in healthz if quiet + 0.5 <= a.sent < t0], while_held, seconds,
        (before, max(rss, default=before), after) if target.pid else None,
    )  # fmt: skip


async def _all_answered(
    feeds: list[asyncio.Task[Answer]], answered: list[Answer], gets: list[asyncio.Task[Answer]]
) -> bool:
    """Wait until every GET is done and every feed answered or failed; False at the burst's time limit."""
    deadline = time.monotonic() + BURST_TIMEOUT_S
    while time.monotonic() < deadline:
        failed_feeds = sum(t.done() for t in feeds)  # an answered feed's task ends only at `release`
        if all(t.done() for t in gets) and len(answered) + failed_feeds >= len(feeds):
            return True
        await asyncio.sleep(0.02)
    return False


async def _results(tasks: list[asyncio.Task[Answer]], t0: float) -> list[Answer]:
    out = []
    for task in tasks:
        try:
            out.append(await asyncio.wait_for(task, 5.0))
        except TimeoutError:
            out.append(Answer(t0, time.monotonic() - t0, None, error="timeout"))
    return out


# ---- the ramp ------------------------------------------------------------------------------------


def ramp_schedule(rate: float, ramp_s: float, hold_s: float) -> list[float]:
    """Send moments (s from the start): the rate grows linearly from rate/10 to `rate` over ramp_s,
    then stays at `rate` for hold_s."""
    moments, t = [], 0.0
    while t < ramp_s + hold_s:
        moments.append(t)
        current = rate if t >= ramp_s else rate / 10 + (rate - rate / 10) * t / ramp_s
        t += 1.0 / current
    return moments


def is_feed(i: int, feed_share: float) -> bool:
    """Whether request i of the ramp opens a live feed: feeds spread evenly, feed_share of all."""
    return math.floor((i + 1) * feed_share) > math.floor(i * feed_share)


async def ramp(target: Target, rate: float, ramp_s: float, hold_s: float, feed_share: float) -> list[Answer]:
    """Requests on the ramp's schedule: feed_share of them open the live feed (and leave after its first
    message), the others GET /api/events on keep-alive connections."""
    schedule = ramp_schedule(rate, ramp_s, hold_s)
    pool = KeepAlivePool(target, RAMP_CONNECTIONS)
    await pool.get("/api/events", time.monotonic())  # warm
    t0 = time.monotonic() + 0.2
    tasks = []
    for i, moment in enumerate(schedule):
        await asyncio.sleep(max(0.0, t0 + moment - time.monotonic()))
        sent = t0 + moment
        job = feed_once(target, sent) if is_feed(i, feed_share) else pool.get("/api/events", sent)
        tasks.append(asyncio.create_task(job))
    answers = await asyncio.gather(*tasks)
    await pool.close()
    return [replace(a, sent=a.sent - t0) for a in answers]  # sent: seconds from the ramp's start


# ---- report --------------------------------------------------------------------------------------


def report_burst(b: BurstResult, n_sse: int, n_get: int) -> bool:
    """Print the burst's figures against their targets; True when every target is met."""
    answers = b.feeds + b.gets
    bad = bad_answers(answers)
    healthz_lat = [a.latency_s for a in b.healthz if a.status == 200]
    healthz_p99 = percentile(healthz_lat, 99)
    healthz_ok = len(healthz_lat) == len(b.healthz) > 0 and healthz_p99 <= HEALTHZ_P99_TARGET_S
    no_retry = sum(1 for a in answers if a.status == 503 and a.retry_after is None)
    print(f"burst: {n_sse} SSE clients + {n_get} GET /api/events at once, all answered in {b.seconds:.2f} s")
    print(f"  {FEED}:  {codes(b.feeds)}; first message {latencies_ms(b.feeds)}")
    print(f"  GET /api/events:  {codes(b.gets)}; {latencies_ms(b.gets)}")
    print(f"  GET /api/events while all SSE clients are connected: {b.get_while_held.label} "
          f"in {b.get_while_held.latency_s * 1000:.1f} ms")  # fmt: skip
    print(f"  unanswered or 5xx other than 503 with Retry-After: {len(bad)} (target 0; 503 without "
          f"Retry-After: {no_retry})  {verdict(not bad)}")  # fmt: skip
    print(f"  /healthz before the burst: {len(b.healthz_quiet)} probes, {codes(b.healthz_quiet)}; "
          f"{latencies_ms(b.healthz_quiet)}")  # fmt: skip
    print(f"  /healthz during the burst: {len(b.healthz)} probes, {codes(b.healthz)}; {latencies_ms(b.healthz)} "
          f"(target p99 <= {HEALTHZ_P99_TARGET_S * 1000:.0f} ms)  {verdict(healthz_ok)}")  # fmt: skip
    if b.rss_kib is not None:
        before, peak, after = (v / 1024 for v in b.rss_kib)
        print(f"  server RSS: {before:.0f} MiB before, peak {peak:.0f} MiB (+{peak - before:.0f} MiB), "
              f"{after:.0f} MiB when the clients left (+{after - before:.0f} MiB)")  # fmt: skip
    return not bad and healthz_ok and b.get_while_held.status == 200


def report_ramp(answers: list[Answer], rate: float, ramp_s: float, hold_s: float, feed_share: float) -> bool:
    """Print the ramp's figures; the target is on the requests sent at the full rate."""
    ramping = [a for a in answers if a.sent < ramp_s]
    full = [a for a in answers if a.sent >= ramp_s]
    p99 = percentile([a.latency_s for a in full if a.status is not None], 99)
    ok = all(a.status == 200 for a in answers) and p99 <= RAMP_P99_TARGET_S
    mix = f"{feed_share:.0%} {FEED} (leaving after the first message), the rest GET /api/events"
    print(f"ramp: {rate / 10:g} -> {rate:g} req/s over {ramp_s:g} s, then {rate:g} req/s for {hold_s:g} s, open loop; "
          f"{mix}")  # fmt: skip
    print(f"  while ramping: {len(ramping)} requests, {codes(ramping)}; {latencies_ms(ramping)}")
    for what in (FEED, "GET /api/events"):
        some = [a for a in full if a.what == what]
        if some:
            print(f"  at {rate:g} req/s, {what}: {len(some)} requests, {codes(some)}; {latencies_ms(some)}")
    print(f"  at {rate:g} req/s, all: {len(full)} requests, {codes(full)}; {latencies_ms(full)} "
          f"(target p99 <= {RAMP_P99_TARGET_S * 1000:.0f} ms, all 200)  {verdict(ok)}")  # fmt: skip
    return ok


def report_server_log(log: Path) -> None:
    """Count what the server logged; show its first distinct lines (the log goes with its temporary dir)."""
    lines = log.read_text(errors="replace").splitlines()
    text = "\n".join(lines)
    print(f"server log: {len(lines)} lines, {text.count('Traceback')} tracebacks, "
          f"{text.count('QueuePool limit')} 'QueuePool limit'")  # fmt: skip
    for line in list(dict.fromkeys(lines))[:LOG_LINES_SHOWN]:
        print(f"  | {line[:200]}")


# ---- main ----------------------------------------------------------------------------------------


def run(target: Target, args: argparse.Namespace) -> bool:
    with server_cpu(target.pid, "burst"):
        b = asyncio.run(burst(target, args.sse, args.gets))
    burst_ok = report_burst(b, args.sse, args.gets)
    time.sleep(1.0)  # the burst's connections are closed
    share = args.sse / (args.sse + args.gets) if args.ramp_mix == "burst" and args.sse + args.gets else 0.0
    with server_cpu(target.pid, "ramp"):
        answers = asyncio.run(ramp(target, args.rate, args.ramp_s, args.hold_s, share))
    ramp_ok = report_ramp(answers, args.rate, args.ramp_s, args.hold_s, share)
    return burst_ok and ramp_ok


@contextmanager
def server_cpu(pid: int | None, phase: str) -> Iterator[None]:
    """Print how much CPU the server used during the block: on a busy machine, whether it had a core."""
    if pid is None:
        yield
        return
    cpu0, t0 = cpu_s(pid), time.monotonic()
    yield
    cpu, wall = cpu_s(pid) - cpu0, time.monotonic() - t0
    print(
        f"[{phase}: the server used {cpu:.1f} CPU-s in {wall:.1f} s, {cpu / wall:.0%} of one core; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores]"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--sse", type=int, default=500, help="SSE clients connecting at once (default 500)")
    p.add_argument("--gets", type=int, default=200, help="parallel GET /api/events in the burst (default 200)")
    p.add_argument("--rate", type=float, default=200.0, help="the ramp's full rate, req/s (default 200)")
    p.add_argument("--ramp-s", type=float, default=10.0, help="seconds to reach the full rate (default 10)")
    p.add_argument("--hold-s", type=float, default=10.0, help="seconds at the full rate (default 10)")
    p.add_argument("--ramp-mix", choices=("burst", "gets"), default="burst",
                   help="the ramp's requests: the burst's (SSE connects and GET /api/events in the proportion of "
                        "--sse to --gets; default), or GET /api/events only")  # fmt: skip
    p.add_argument("--events", type=int, default=300, help="events recorded in a server the bench starts")
    p.add_argument("--src", type=Path, default=HERE, help="the source tree of the server (default this one)")
    p.add_argument("--db-url", default=None, help="an empty database for the server (default SQLite in a temp dir)")
    p.add_argument("--postgres", metavar="ADMIN_URL", default=None,
                   help="run the server on a new database on this PostgreSQL server, dropped afterwards "
                        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)")  # fmt: skip
    p.add_argument("--api-threads", type=int, default=None, help="the started server's Settings.api_threads")
    p.add_argument("--url", default=None, help="a running server, e.g. http://127.0.0.1:8000 (needs --token)")
    p.add_argument("--token", default=None, help="an operator's API token for --url (`binwatch user token`)")
    p.add_argument("--pid", type=int, default=None, help="the --url server's process id, for its RSS")
    args = p.parse_args(argv)
    for name, low, high in (("sse", 0, MAX_CLIENTS), ("gets", 0, MAX_CLIENTS), ("rate", 1, 1000),
                            ("ramp_s", 1, 60), ("hold_s", 1, 60), ("events", 0, 100_000)):  # fmt: skip
        if not low <= getattr(args, name) <= high:
            p.error(f"--{name.replace('_', '-')} must be {low} to {high}; got {getattr(args, name)}")
    if args.db_url and args.postgres:
        p.error("give --db-url or --postgres, not both")
    if args.url is not None:
        host = urlsplit(args.url).hostname
        if host not in ("127.0.0.1", "localhost"):
            p.error(f"--url must be a server on 127.0.0.1; got {args.url}")
        if not args.token:
            p.error("--url needs --token (an operator's API token: `binwatch user token NAME`)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url is not None:
        parts = urlsplit(args.url)
        ok = run(Target(parts.hostname or "127.0.0.1", parts.port or 80, args.token, args.pid), args)
        return 0 if ok else 1
    with ExitStack() as stack:
        db_url = stack.enter_context(fresh_postgres(args.postgres)) if args.postgres else args.db_url
        settings = {"api_threads": args.api_threads} if args.api_threads is not None else {}
        server = stack.enter_context(bench_server(args.src, events=args.events, db_url=db_url, settings=settings))
        database = "PostgreSQL" if db_url and db_url.startswith("postgresql") else "SQLite"
        print(f"server from {args.src} on {server.url} ({database}, {args.events} events"
              f"{', ' + str(settings) if settings else ''}), pid {server.proc.pid}")  # fmt: skip
        ok = run(Target("127.0.0.1", server.port, server.token, server.proc.pid), args)
        report_server_log(server.log)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
