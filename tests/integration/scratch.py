"""Scratch objects for write tests: two throwaway DAGs, a run, a dataset, a warning, an import error.

The seeded DAGs, runs and XComs must stay exactly as seeded (other tests count them), so the
tests that change runs and task instances work on DAGs of their own. :func:`create` writes them
straight into the harness database with the Airflow venv's python (as the seeder does), and
:func:`remove` deletes every row they left, whatever the tests did or failed to do.

* ``<prefix>_producer``: tasks ``a`` (updates dataset ``uri``) >> ``b``, and ``m`` mapped over
  three literals; one successful run ``run_id`` (task instances ``a``, ``b``, ``m[0..2]``).
* ``<prefix>_consumer``: scheduled on ``uri`` and ``uri2``, so an event of ``uri`` queues it.
* a DAG warning of the producer, and an import error for a file named after the prefix.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.harness import airflow2 as harness

from .conftest import AirflowInfo

DAG_FILE = """\
import pendulum
from airflow.datasets import Dataset
from airflow.decorators import task
from airflow.models.dag import DAG
from airflow.operators.empty import EmptyOperator

PREFIX = {prefix!r}
START = pendulum.datetime(2024, 1, 1, tz="UTC")

with DAG(f"{{PREFIX}}_producer", schedule=None, start_date=START, catchup=False,
         is_paused_upon_creation=True, tags=["airflow-async-scratch"]) as producer:
    @task(outlets=[Dataset({uri!r})])
    def a():
        return None

    @task
    def m(x):
        return x

    a() >> EmptyOperator(task_id="b")
    m.expand(x=[1, 2, 3])

with DAG(f"{{PREFIX}}_consumer", schedule=[Dataset({uri!r}), Dataset({uri2!r})], start_date=START,
         catchup=False, is_paused_upon_creation=True, tags=["airflow-async-scratch"]) as consumer:
    EmptyOperator(task_id="c")
"""

CREATE = """\
import json, sys
import pendulum
from airflow.models.dagbag import DagBag
from airflow.models.dagwarning import DagWarning, DagWarningType
try:
    from airflow.models.errors import ParseImportError
except ImportError:  # Airflow 2.9 names it ImportError
    from airflow.models.errors import ImportError as ParseImportError
from airflow.utils import timezone
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState, TaskInstanceState
from airflow.utils.types import DagRunType

path, prefix, run_id = sys.argv[1:4]
bag = DagBag(dag_folder=path, include_examples=False, read_dags_from_db=False)
assert not bag.import_errors, bag.import_errors
bag.sync_to_db()
producer = bag.get_dag(prefix + "_producer")
start = pendulum.datetime(2024, 1, 1, tz="UTC")
with create_session() as session:
    dr = producer.create_dagrun(
        state=DagRunState.SUCCESS, execution_date=start, run_id=run_id, start_date=start,
        external_trigger=True, run_type=DagRunType.MANUAL, session=session,
        data_interval=(start, start),
    )
    for ti in dr.get_task_instances(session=session):
        ti.state = TaskInstanceState.SUCCESS
        ti.start_date = start
        ti.end_date = start.add(seconds=1)
    dr.end_date = start.add(seconds=2)
    session.add(DagWarning(prefix + "_producer", DagWarningType.NONEXISTENT_POOL, "scratch warning"))
    err = ParseImportError(filename=path + ".broken", timestamp=timezone.utcnow(),
                           stacktrace="SyntaxError: scratch")
    session.add(err)
    session.flush()
    print(json.dumps({"import_error_id": err.id,
                      "map_indexes": sorted(ti.map_index for ti in dr.get_task_instances(session=session)
                                            if ti.task_id == "m")}))
"""

REMOVE = """\
import sys
from sqlalchemy import delete, select
from airflow.api.common.delete_dag import delete_dag
from airflow.exceptions import DagNotFound
from airflow.models.dataset import DatasetDagRunQueue, DatasetEvent, DatasetModel
from airflow.models.dagwarning import DagWarning
try:
    from airflow.models.errors import ParseImportError
except ImportError:  # Airflow 2.9 names it ImportError
    from airflow.models.errors import ImportError as ParseImportError
from airflow.utils.session import create_session

path, prefix = sys.argv[1:3]
for dag_id in (prefix + "_producer", prefix + "_consumer"):
    try:
        delete_dag(dag_id, keep_records_in_log=True)
    except DagNotFound:
        pass
with create_session() as session:
    mine = DatasetModel.uri.like("afcov://" + prefix + "/%")
    ids = session.scalars(select(DatasetModel.id).where(mine)).all()
    opts = {"synchronize_session": False}
    if ids:
        for model, column in ((DatasetDagRunQueue, DatasetDagRunQueue.dataset_id),
                              (DatasetEvent, DatasetEvent.dataset_id), (DatasetModel, DatasetModel.id)):
            session.execute(delete(model).where(column.in_(ids)).execution_options(**opts))
    dag_ids = [prefix + "_producer", prefix + "_consumer"]
    session.execute(delete(DagWarning).where(DagWarning.dag_id.in_(dag_ids)).execution_options(**opts))
    broken = ParseImportError.filename == path + ".broken"
    session.execute(delete(ParseImportError).where(broken).execution_options(**opts))
"""


@dataclass(frozen=True)
class Scratch:
    """What :func:`create` made."""

    prefix: str
    producer: str
    consumer: str
    run_id: str
    uri: str
    uri2: str
    import_error_id: int
    map_indexes: list[int]
    path: Path


def _home(airflow2: AirflowInfo) -> Path:
    if airflow2.airflow_home is None:
        raise RuntimeError(
            "these tests write scratch rows into the harness database: set AIRFLOW_ASYNC_TEST_HOME "
            "(python -m tests.harness.airflow2 start prints it)"
        )
    return airflow2.airflow_home


def _run(airflow2: AirflowInfo, script: str, *args: str) -> str:
    home = _home(airflow2)
    done = subprocess.run(
        [str(airflow2.python), "-c", script, *args],
        env=harness.AirflowServer(home=home).env(),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scratch script failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def create(airflow2: AirflowInfo, prefix: str) -> Scratch:
    """Write the scratch DAG file outside the DAGs folder, sync it to the database, add the rows."""
    folder = _home(airflow2) / "afcov_scratch"
    folder.mkdir(exist_ok=True)
    path = folder / f"{prefix}.py"
    uri, uri2 = f"afcov://{prefix}/data set/1", f"afcov://{prefix}/data set/2"
    path.write_text(DAG_FILE.format(prefix=prefix, uri=uri, uri2=uri2))
    run_id = f"manual__{prefix}+run:1"
    out = _run(airflow2, CREATE, str(path), prefix, run_id)
    info = json.loads(out.strip().splitlines()[-1])
    return Scratch(
        prefix=prefix,
        producer=f"{prefix}_producer",
        consumer=f"{prefix}_consumer",
        run_id=run_id,
        uri=uri,
        uri2=uri2,
        import_error_id=int(info["import_error_id"]),
        map_indexes=list(info["map_indexes"]),
        path=path,
    )


def remove(airflow2: AirflowInfo, scratch: Scratch) -> None:
    """Delete everything :func:`create` made and the tests may have added (runs, events, queues)."""
    _run(airflow2, REMOVE, str(scratch.path), scratch.prefix)
    scratch.path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        scratch.path.parent.rmdir()  # when no other scratch file is left
