"""DAGs for the Airflow 3 harness only (Airflow 2 defines nothing here): assets, a task group,
and a DAG a test may delete.

* ``asset_producer`` - its task updates the asset ``harness_asset_one`` and the alias
  ``harness_alias``; never run by the harness.
* ``asset_consumer`` - scheduled on ``harness_asset_one`` (so the asset has a consuming DAG and
  queued events can exist).
* ``harness_grouped`` - two tasks in the task group ``stage``, for the task-group operations.
* ``harness_deletable`` - deleted by a test, which then syncs the DAG folder again
  (``seed_airflow3.py sync-dags``); nothing else reads it.

Seeding syncs these DAGs to the database, which registers the asset and the alias: the v2 asset
endpoints then have something real to list.
"""

from __future__ import annotations

import airflow

if airflow.__version__.startswith("3."):
    import pendulum
    from airflow.sdk import DAG, Asset, AssetAlias, TaskGroup, task

    START = pendulum.datetime(2024, 1, 1, tz="UTC")
    ASSET_ONE = Asset(name="harness_asset_one", uri="file:///tmp/airflow-async/harness-asset-one")
    ALIAS = AssetAlias(name="harness_alias")

    with DAG(
        "asset_producer",
        schedule=None,
        start_date=START,
        catchup=False,
        is_paused_upon_creation=True,
        tags=["airflow-async-harness"],
    ) as asset_producer:

        @task(outlets=[ASSET_ONE, ALIAS])
        def produce() -> dict[str, int]:
            return {"rows": 1}

        produce()

    with DAG(
        "asset_consumer",
        schedule=[ASSET_ONE],
        start_date=START,
        catchup=False,
        is_paused_upon_creation=True,
        tags=["airflow-async-harness"],
    ) as asset_consumer:

        @task
        def consume() -> None:
            return None

        consume()

    with DAG(
        "harness_grouped",
        schedule=None,
        start_date=START,
        catchup=False,
        is_paused_upon_creation=True,
        tags=["airflow-async-harness"],
    ) as harness_grouped:
        with TaskGroup("stage"):

            @task
            def first() -> int:
                return 1

            @task
            def second() -> int:
                return 2

            first() >> second()

    with DAG(
        "harness_deletable",
        schedule=None,
        start_date=START,
        catchup=False,
        is_paused_upon_creation=True,
        tags=["airflow-async-harness"],
    ) as harness_deletable:

        @task
        def only() -> None:
            return None

        only()
