"""Harvest every XCom value on a server into a JSON Lines file, streaming as values arrive.

    AIRFLOW_URL=http://127.0.0.1:8080 AIRFLOW_USERNAME=admin AIRFLOW_PASSWORD=admin \\
        python examples/harvest_xcoms_to_file.py xcoms.jsonl [DAG_ID]

Failures (after retries) are written to ``<file>.failures.jsonl``; nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from airflow_async import AirflowClient, PasswordAuth


async def main(path: str, dag_id: str = "~") -> int:
    auth = PasswordAuth(os.environ["AIRFLOW_USERNAME"], os.environ["AIRFLOW_PASSWORD"])
    async with AirflowClient(os.environ["AIRFLOW_URL"], auth=auth) as client:
        with open(path, "w", encoding="utf-8") as out, open(f"{path}.failures.jsonl", "w") as bad:
            async with client.xcom.harvest(dag_id) as harvest:
                async for result in harvest:
                    entry = result.entry
                    row = {
                        "dag_id": entry.dag_id,
                        "dag_run_id": entry.dag_run_id,
                        "task_id": entry.task_id,
                        "map_index": entry.map_index,
                        "key": entry.key,
                    }
                    if result.value is not None:
                        out.write(json.dumps({**row, "value": result.value.value}) + "\n")
                    else:
                        bad.write(json.dumps({**row, "error": str(result.error)}) + "\n")
        stats = harvest.stats
        print(
            f"{stats.delivered} values, {stats.failed} failures of {stats.listed} entries "
            f"in {stats.elapsed:.1f}s ({client.stats.requests} requests)"
        )
        return 1 if stats.failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:3])))
