"""What the workers that run in their own virtualenvs share: the two official-client workers and
the httpx worker (standard library only; they import it from beside them, not through this
project). ``measure`` times one harvest for the result line.

``Count`` counts requests, values and errors from several threads; ``walk`` pages a listing
as the clients' docs show; ``fetch_all`` fetches every value, sequentially or from a thread
pool; ``run(harvest, ...)`` parses the common arguments, times one harvest and prints the one
JSON line every worker prints (see ``benchmarks/_worker.py``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import resource
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
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

    def result(self, *, listed: int, runs: int) -> dict[str, Any]:
        """The counts a worker reports (``run`` adds the timings)."""
        return {
            "listed": listed,
            "values": self.values,
            "errors": self.errors,
            "requests": self.requests,
            "runs": runs,
            "error_sample": self.error_sample,
        }


def walk(get_page: Callable[..., Any], items: str, count: Count, page_size: int) -> list[Any]:
    """Every item of an offset-paged listing: ``get_page(limit=, offset=)`` until the total."""
    found: list[Any] = []
    offset = 0
    while True:
        page = get_page(limit=page_size, offset=offset)
        count.requests += 1
        rows = getattr(page, items)
        found.extend(rows)
        offset += len(rows)
        if not rows or offset >= page.total_entries:
            return found


def fetch_all(fetch: Callable[[Any], None], entries: Iterable[Any], *, mode: str, concurrency: int) -> None:
    """Call ``fetch`` on every entry: one after the other, or from ``concurrency`` threads."""
    if mode == "sequential":
        for entry in entries:
            fetch(entry)
        return
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(fetch, entries))


def measure(harvest: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``harvest`` once; its counts with the wall time, the CPU it took and the peak RSS."""
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    counts = harvest()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    user, sys_ = r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime
    return {
        **counts,
        "wall_s": round(wall, 4),
        "cpu_s": round(user + sys_, 4),
        "cpu_user_s": round(user, 4),
        "cpu_sys_s": round(sys_, 4),
        "cpu_process_s": round(r1.ru_utime + r1.ru_stime, 4),
        "maxrss_kb": int(r1.ru_maxrss),
    }


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
    measured = measure(
        lambda: harvest(
            args.url,
            auth=args.auth,
            user=args.user,
            mode=args.mode,
            concurrency=args.concurrency,
            page_size=args.page_size,
        )
    )
    result = {
        "client": client if args.mode == "sequential" else f"{client}-threads",
        "auth": args.auth,
        "concurrency": 1 if args.mode == "sequential" else args.concurrency,
        **measured,
        "extra": {"client_version": importlib.metadata.version("apache-airflow-client")},
    }
    print(json.dumps(result), flush=True)
