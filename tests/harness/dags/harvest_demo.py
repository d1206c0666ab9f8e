"""DAGs for the airflow-async integration harness (parsed by the Airflow 2.11.2 venv only).

* ``harvest_demo``  - the seeded DAG: most seeded DAG runs and XComs live here; ``square`` is a
  mapped task (literal expand, so every run gets task instances with map_index 0..7).
* ``harvest_other`` - a second seeded DAG, for dag_id filters.
* ``harvest_empty`` - DAG runs with no XComs at all.
* ``harvest_real``  - run for real with ``airflow dags test harvest_real 2024-01-01``; its tasks
  push XComs from real task code (return values, explicit pushes, a mapped task).
* ``example_xcom``  - Airflow's own example DAG, re-exported here so ``airflow dags test
  example_xcom 2024-01-01`` works without loading all example DAGs (LOAD_EXAMPLES=False).

Nothing here is scheduled: no scheduler runs in the harness, and every DAG is paused on creation.
"""

from __future__ import annotations

import pendulum
from airflow.decorators import task
from airflow.example_dags import example_xcom as _example_xcom
from airflow.models.dag import DAG

START = pendulum.datetime(2024, 1, 1, tz="UTC")
MAPPED_WIDTH = 8

example_xcom = _example_xcom.dag

with DAG(
    "harvest_demo",
    schedule="@hourly",
    start_date=START,
    catchup=False,
    is_paused_upon_creation=True,
    tags=["airflow-async-harness"],
) as harvest_demo:

    @task
    def extract():
        return {"rows": 3}

    @task
    def transform(data):
        return [data]

    @task
    def load(rows):
        return len(rows)

    @task
    def report():
        return "done"

    @task
    def weird():
        return None

    @task
    def square(x):
        return x * x

    load(transform(extract())) >> report()
    weird()
    square.expand(x=list(range(MAPPED_WIDTH)))


with DAG(
    "harvest_other",
    schedule="@daily",
    start_date=START,
    catchup=False,
    is_paused_upon_creation=True,
    tags=["airflow-async-harness"],
) as harvest_other:

    @task
    def ping():
        return "pong"

    @task
    def pong():
        return 1

    ping() >> pong()


with DAG(
    "harvest_empty",
    schedule=None,
    start_date=START,
    catchup=False,
    is_paused_upon_creation=True,
    tags=["airflow-async-harness"],
) as harvest_empty:

    @task
    def nothing():
        pass

    nothing()


with DAG(
    "harvest_real",
    schedule=None,
    start_date=START,
    catchup=False,
    is_paused_upon_creation=True,
    tags=["airflow-async-harness"],
) as harvest_real:

    @task
    def produce(ti=None):
        ti.xcom_push(key="my key/with slash", value={"nested": {"list": [1, 2.5, None, True]}})
        ti.xcom_push(key="unicode", value="héllo wörld ✓ 日本")
        return {"produced": [1, 2, 3], "by": "harvest_real"}

    @task
    def fan_out(x):
        return {"x": x, "square": x * x}

    @task
    def summarize(values):
        return sorted(v["square"] for v in values)

    produce()
    summarize(fan_out.expand(x=[1, 2, 3]))
