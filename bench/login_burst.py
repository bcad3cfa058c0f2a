"""RSS of a real server (uvicorn, SQLite) while N parallel wrong logins arrive at once (issue 16, accounts).

Each argon2 check takes 64 MiB; without a bound, 40 parallel logins took 40 x 64 MiB. Runs the server
from one source tree (default: this one), or from two with --compare OLD_TREE (e.g. `git archive` of an
older commit) and prints the ratio of their peak RSS growth. Bounded: N requests, one burst, 120 s.

    .venv/bin/python -m bench.login_burst [--n 40] [--compare /tmp/old-tree]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.server import HERE, bench_server


def _post(port: int, body: dict[str, str]) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/login", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def burst(src: Path, n: int) -> dict[str, object]:
    """Start a server from `src`, warm it up with one wrong login, then send n wrong logins at once
    (n different user names); its peak RSS before and during the burst, and the answers."""
    with bench_server(src) as server:
        _post(server.port, {"username": "bench", "password": "wrong-password-0"})  # argon2 loaded, one check done
        time.sleep(0.5)
        before = server.rss_kib()
        peak = [before]
        done = threading.Event()

        def sample() -> None:  # VmHWM would include start-up; sample VmRSS instead
            while not done.is_set():
                peak.append(server.rss_kib())
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.monotonic()
        with ThreadPoolExecutor(n) as pool:
            codes = list(pool.map(lambda i: _post(server.port, {"username": f"user{i}", "password": "wrong-pass"}),
                                  range(n)))  # fmt: skip
        elapsed = time.monotonic() - t0
        done.set()
        sampler.join()
        return {"src": str(src), "rss_before_mib": before / 1024, "rss_peak_mib": max(peak) / 1024,
                "growth_mib": (max(peak) - before) / 1024, "seconds": elapsed,
                "answers": dict(collections.Counter(codes))}  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=40, help="parallel wrong logins (default 40)")
    p.add_argument("--src", type=Path, default=HERE, help="the source tree to measure (default this one)")
    p.add_argument("--compare", type=Path, default=None, help="an older source tree to measure first")
    args = p.parse_args()
    if not 1 <= args.n <= 200:
        p.error(f"--n must be 1 to 200; got {args.n}")
    results = [burst(args.compare, args.n)] if args.compare else []
    results.append(burst(args.src, args.n))
    for r in results:
        print(f"{r['src']}: RSS {r['rss_before_mib']:.0f} MiB -> peak {r['rss_peak_mib']:.0f} MiB "
              f"(+{r['growth_mib']:.0f} MiB) for {args.n} parallel wrong logins in {r['seconds']:.1f} s; "
              f"answers {r['answers']}")  # fmt: skip
    if len(results) == 2:
        old, new = results[0]["growth_mib"], results[1]["growth_mib"]
        assert isinstance(old, float) and isinstance(new, float)
        print(f"peak RSS growth, new / old: {new / old:.3f} ({new:.0f} MiB vs {old:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
