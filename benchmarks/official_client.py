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

Standard library plus ``airflow_client`` only (it runs in another virtualenv; what it shares
with ``official_client3.py`` is ``_official_common.py`` beside it); prints one JSON line like
the other workers (see ``benchmarks/_worker.py``). The password comes from ``BENCH_PASSWORD``.
"""

from __future__ import annotations

import functools
import os
from datetime import datetime
from typing import Any

import airflow_client.client
from _official_common import Count, fetch_all, run, walk  # beside this file (it runs as a script)
from airflow_client.client.api import dag_run_api, x_com_api


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
    count = Count()
    with airflow_client.client.ApiClient(configuration) as api_client:
        runs_api = dag_run_api.DAGRunApi(api_client)
        xcom_api = x_com_api.XComApi(api_client)

        runs = walk(functools.partial(runs_api.get_dag_runs, "~"), "dag_runs", count, page_size)
        run_ids = {(run.dag_id, run.execution_date): run.dag_run_id for run in runs}
        entries = walk(
            functools.partial(xcom_api.get_xcom_entries, "~", "~", "~"), "xcom_entries", count, page_size
        )

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

        fetch_all(fetch, entries, mode=mode, concurrency=concurrency)
    return count.result(listed=len(entries), runs=len(run_ids))


def main() -> None:
    """Parse arguments, harvest once, print the JSON result line."""
    run(harvest, prog="official_client.py", auths=("basic", "none"), client="official")


if __name__ == "__main__":
    main()
