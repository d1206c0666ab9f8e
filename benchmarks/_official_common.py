"""What the two official-client workers share (standard library only: they run in the official
clients' own virtualenvs, which import it from beside them, not through this project).

``Count`` counts requests, values and errors from several threads; ``run(harvest, ...)``
parses the common arguments, times one harvest and prints the one JSON line every worker
prints (see ``benchmarks/_worker.py``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import resource
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any


class Count:
    """Requests made, values fetched and errors met, safe to add to from a thread pool."""

    def __init__(self) -> None:
        self.requests = 0
        self.values = 0
        self.errors = 0
        self.error_sample: str | None = None
        self._lock = threading.Lock()

    def add(self, ok: bool, error: str | None = None) -> None:
        """Count one value request, fetched or failed (keep the first error's text)."""
        with self._lock:
            self.requests += 1
            if ok:
                self.values += 1
            else:
                self.errors += 1
                self.error_sample = self.error_sample or (error or "")[:200]


def run(harvest: Callable[..., dict[str, Any]], *, prog: str, auths: Sequence[str], client: str) -> None:
    """Parse the worker arguments, run ``harvest`` once, print the JSON result line.

    ``client`` names the sequential mode (``official``); the thread-pool mode adds ``-threads``.
    """
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--url", required=True)
    parser.add_argument("--auth", choices=tuple(auths), default=auths[0])
    parser.add_argument("--user", default="admin")
    parser.add_argument("--mode", choices=("sequential", "threads"), default="sequential")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    counts = harvest(
        args.url,
        auth=args.auth,
        user=args.user,
        mode=args.mode,
        concurrency=args.concurrency,
        page_size=args.page_size,
    )
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    user, sys_ = r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime
    result = {
        "client": client if args.mode == "sequential" else f"{client}-threads",
        "auth": args.auth,
        "concurrency": 1 if args.mode == "sequential" else args.concurrency,
        **counts,
        "wall_s": round(wall, 4),
        "cpu_s": round(user + sys_, 4),
        "cpu_user_s": round(user, 4),
        "cpu_sys_s": round(sys_, 4),
        "cpu_process_s": round(r1.ru_utime + r1.ru_stime, 4),
        "maxrss_kb": int(r1.ru_maxrss),
        "extra": {"client_version": importlib.metadata.version("apache-airflow-client")},
    }
    print(json.dumps(result), flush=True)
