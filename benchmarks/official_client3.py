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

import functools
import json
import os
import urllib.request
from typing import Any

import airflow_client.client
from _official_common import Count, fetch_all, run, walk  # beside this file (it runs as a script)
from airflow_client.client.api import x_com_api


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
    count = Count()
    configuration = airflow_client.client.Configuration(host=url.rstrip("/"))
    if auth == "token":
        configuration.access_token = access_token(url, user)
        count.requests += 1
    # Threads share one urllib3 pool; give it room for all of them (the default is cpu_count * 5).
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, concurrency)
    with airflow_client.client.ApiClient(configuration) as api_client:
        xcom_api = x_com_api.XComApi(api_client)

        entries = walk(
            functools.partial(xcom_api.get_xcom_entries, "~", "~", "~"), "xcom_entries", count, page_size
        )

        def fetch(entry: Any) -> None:
            try:
                xcom_api.get_xcom_entry(
                    entry.dag_id, entry.task_id, entry.run_id, entry.key, map_index=entry.map_index
                )
            except airflow_client.client.ApiException as exc:
                count.add(False, f"{exc.status} {exc.reason}")
                return
            count.add(True)

        fetch_all(fetch, entries, mode=mode, concurrency=concurrency)
    return count.result(listed=len(entries), runs=len({(e.dag_id, e.run_id) for e in entries}))


def main() -> None:
    """Parse arguments, harvest once, print the JSON result line."""
    run(harvest, prog="official_client3.py", auths=("token", "none"), client="official3")


if __name__ == "__main__":
    main()
