"""The official client for Airflow 3, ``apache-airflow-client==3.3.2``, harvesting every XCom value.

Run by its own virtualenv (not a dependency of this project; ``benchmarks.run`` builds it)::

    .cache/airflow-client-3.3.2/venv/bin/python benchmarks/official_client3.py \\
        --url http://127.0.0.1:8080 --auth token --mode sequential

It does what the client's docs show, as a user would write it: get a JWT from
``POST {url}/auth/token`` and pass it as ``Configuration(access_token=...)``, page through
``XComApi.get_xcom_entries("~", "~", "~")`` (API v2 list items carry their ``run_id``, so
no DAG-run listing is needed), then call ``XComApi.get_xcom_entry(dag_id, task_id,
dag_run_id, key, map_index=...)`` per entry (note 3.x's argument order: task before run),
either one after the other (``sequential``) or from a thread pool of ``--concurrency``
threads (``threads``). The token request is timed with the rest.

Standard library plus ``airflow_client`` only; prints one JSON line like the other workers
(see ``benchmarks/_worker.py``). The password comes from ``BENCH_PASSWORD``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import airflow_client.client
from airflow_client.client.api import x_com_api


class _Count:
    def __init__(self) -> None:
        self.requests = 0
        self.values = 0
        self.errors = 0
        self.error_sample: str | None = None
        self._lock = threading.Lock()

    def add(self, ok: bool, error: str | None = None) -> None:
        with self._lock:
            self.requests += 1
            if ok:
                self.values += 1
            else:
                self.errors += 1
                self.error_sample = self.error_sample or (error or "")[:200]


def access_token(url: str, user: str) -> str:
    """``POST {url}/auth/token`` with the user and ``BENCH_PASSWORD``; the JWT (never printed)."""
    body = json.dumps({"username": user, "password": os.environ.get("BENCH_PASSWORD", "admin")})
    req = urllib.request.Request(
        f"{url.rstrip('/')}/auth/token",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return str(json.loads(resp.read())["access_token"])


def harvest(url: str, *, auth: str, user: str, mode: str, concurrency: int, page_size: int) -> dict[str, Any]:
    """Harvest every XCom value with the official client; return the counts."""
    count = _Count()
    configuration = airflow_client.client.Configuration(host=url.rstrip("/"))
    if auth == "token":
        configuration.access_token = access_token(url, user)
        count.requests += 1
    # Threads share one urllib3 pool; give it room for all of them (the default is cpu_count * 5).
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, concurrency)
    with airflow_client.client.ApiClient(configuration) as api_client:
        xcom_api = x_com_api.XComApi(api_client)

        entries = []
        offset = 0
        while True:
            page = xcom_api.get_xcom_entries("~", "~", "~", limit=page_size, offset=offset)
            count.requests += 1
            entries.extend(page.xcom_entries)
            offset += len(page.xcom_entries)
            if not page.xcom_entries or offset >= page.total_entries:
                break

        def fetch(entry: Any) -> None:
            try:
                xcom_api.get_xcom_entry(
                    entry.dag_id, entry.task_id, entry.run_id, entry.key, map_index=entry.map_index
                )
            except airflow_client.client.ApiException as exc:
                count.add(False, f"{exc.status} {exc.reason}")
                return
            count.add(True)

        if mode == "sequential":
            for entry in entries:
                fetch(entry)
        else:
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                list(pool.map(fetch, entries))
    return {
        "listed": len(entries),
        "values": count.values,
        "errors": count.errors,
        "requests": count.requests,
        "runs": len({(e.dag_id, e.run_id) for e in entries}),
        "error_sample": count.error_sample,
    }


def main() -> None:
    """Parse arguments, harvest once, print the JSON result line."""
    parser = argparse.ArgumentParser(prog="official_client3.py")
    parser.add_argument("--url", required=True)
    parser.add_argument("--auth", choices=("token", "none"), default="token")
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
        "client": "official3" if args.mode == "sequential" else "official3-threads",
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


if __name__ == "__main__":
    main()
