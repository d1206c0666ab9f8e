"""Trigger a DAG run, wait for it to finish, and print its XCom values.

    AIRFLOW_URL=http://127.0.0.1:8080 AIRFLOW_USERNAME=admin AIRFLOW_PASSWORD=admin \\
        python examples/trigger_and_wait.py DAG_ID ['{"conf": "json"}']

The DAG must be unpaused and a scheduler must be running for the run to start.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from airflow_async import AirflowClient, PasswordAuth


async def main(dag_id: str, conf: str = "{}") -> int:
    auth = PasswordAuth(os.environ["AIRFLOW_USERNAME"], os.environ["AIRFLOW_PASSWORD"])
    async with AirflowClient(os.environ["AIRFLOW_URL"], auth=auth) as client:
        run = await client.dag_runs.trigger(dag_id, conf=json.loads(conf))
        print(f"triggered {run.dag_run_id}")
        run = await client.dag_runs.wait(dag_id, run.dag_run_id, poll_interval=1.0, max_wait=300)
        print(f"{run.dag_run_id} finished: {run.state}")
        async for result in client.xcom.harvest(dag_id, dag_run_id=run.dag_run_id):
            value = result.value.value if result.value is not None else result.error
            print(f"  {result.entry.task_id}[{result.entry.map_index}] {result.entry.key} = {value!r}")
        return 0 if run.state == "success" else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:3])))
