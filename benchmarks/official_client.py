"""The official client, ``apache-airflow-client==2.10.0``, harvesting every XCom value.

Run by the official client's own virtualenv (it is not a dependency of this project)::

    .cache/airflow-client-2.10.0/venv/bin/python benchmarks/official_client.py \\
        --url http://127.0.0.1:8080 --auth basic --mode sequential

It does what the client's docs show, as a user would write it: page through
``DAGRunApi.get_dag_runs("~")`` to map ``(dag_id, execution_date)`` to run ids,
page through ``XComApi.get_xcom_entries("~", "~", "~")``, then call
``XComApi.get_xcom_entry`` per entry, either one after the other (``sequential``)
or from a thread pool of ``--concurrency`` threads (``threads``). In 2.10.0
``XComCollectionItem.execution_date`` is a ``str`` while ``DAGRun.execution_date``
is a ``datetime``, so the mapping parses the former.

Standard library plus ``airflow_client`` only; prints one JSON line like the other
workers (see ``benchmarks/_worker.py``, duplicated here because this file runs in
another virtualenv). The password comes from ``BENCH_PASSWORD``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import airflow_client.client
from airflow_client.client.api import dag_run_api, x_com_api


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


def harvest(url: str, *, auth: str, user: str, mode: str, concurrency: int, page_size: int) -> dict[str, Any]:
    """Harvest every XCom value with the official client; return the counts."""
    if auth == "basic":
        configuration = airflow_client.client.Configuration(
            host=f"{url.rstrip('/')}/api/v1",
            username=user,
            password=os.environ.get("BENCH_PASSWORD", "admin"),
        )
    else:
        configuration = airflow_client.client.Configuration(host=f"{url.rstrip('/')}/api/v1")
    # Threads share one urllib3 pool; give it room for all of them (the default is cpu_count * 5).
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, concurrency)
    count = _Count()
    with airflow_client.client.ApiClient(configuration) as api_client:
        runs_api = dag_run_api.DAGRunApi(api_client)
        xcom_api = x_com_api.XComApi(api_client)

        run_ids: dict[tuple[str, datetime], str] = {}
        offset = 0
        while True:
            page = runs_api.get_dag_runs("~", limit=page_size, offset=offset)
            count.requests += 1
            for run in page.dag_runs:
                run_ids[(run.dag_id, run.execution_date)] = run.dag_run_id
            offset += len(page.dag_runs)
            if not page.dag_runs or offset >= page.total_entries:
                break

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
            run_id = run_ids.get((entry.dag_id, datetime.fromisoformat(entry.execution_date)))
            if run_id is None:
                count.add(False, f"no run for {entry.dag_id} {entry.execution_date}")
                return
            try:
                xcom_api.get_xcom_entry(
                    entry.dag_id, run_id, entry.task_id, entry.key, map_index=entry.map_index
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
        "runs": len(run_ids),
        "error_sample": count.error_sample,
    }


def main() -> None:
    """Parse arguments, harvest once, print the JSON result line."""
    parser = argparse.ArgumentParser(prog="official_client.py")
    parser.add_argument("--url", required=True)
    parser.add_argument("--auth", choices=("basic", "none"), default="basic")
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
        "client": "official" if args.mode == "sequential" else "official-threads",
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
