"""``trigger_demo``: a small DAG for ``examples/trigger_and_wait.py``, run by a real scheduler.

Paused on creation and never scheduled; the integration test unpauses it through the client,
triggers a run, and waits for it while :class:`tests.harness.airflow2.Scheduler` runs.
"""

from __future__ import annotations

import pendulum
from airflow.decorators import task
from airflow.models.dag import DAG

with DAG(
    "trigger_demo",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    tags=["airflow-async"],
):

    @task
    def greet(dag_run=None) -> dict[str, object]:  # type: ignore[no-untyped-def]
        conf = dag_run.conf if dag_run is not None else {}
        return {"greeting": f"hello {conf.get('name', 'world')}", "conf": conf}

    @task
    def shout(message: dict[str, object]) -> str:
        return str(message["greeting"]).upper()

    shout(greet())
