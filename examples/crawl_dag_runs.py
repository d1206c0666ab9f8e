"""Crawl every DAG run of every DAG and print how many there are per DAG and state.

    AIRFLOW_URL=http://127.0.0.1:8080 AIRFLOW_USERNAME=admin AIRFLOW_PASSWORD=admin \\
        python examples/crawl_dag_runs.py
"""

from __future__ import annotations

import asyncio
import collections
import os

from airflow_async import AirflowClient, PasswordAuth


async def main() -> None:
    auth = PasswordAuth(os.environ["AIRFLOW_USERNAME"], os.environ["AIRFLOW_PASSWORD"])
    async with AirflowClient(os.environ["AIRFLOW_URL"], auth=auth) as client:
        counts: collections.Counter[tuple[str, str]] = collections.Counter()
        runs = client.dag_runs.list("~", concurrent=True)  # pages after the first are fetched in parallel
        async for run in runs:
            counts[(run.dag_id, run.state or "none")] += 1
    for (dag_id, state), n in sorted(counts.items()):
        print(f"{dag_id}\t{state}\t{n}")
    print(f"total\t\t{sum(counts.values())}")


if __name__ == "__main__":
    asyncio.run(main())
