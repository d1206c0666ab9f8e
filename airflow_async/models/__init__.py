"""Typed models of the API's objects, and the one cattrs converter that builds them.

Every model is a frozen, keyword-only attrs class. Fields the server may omit or
send as ``null`` are Optional with a default, and unknown fields are ignored, so
a newer server does not break an older client. Datetimes are timezone-aware.
String fields that hold a state or a type (``state``, ``run_type``...) are plain
strings, so a value a newer server adds is read as it comes.

One model per concept, for both API versions
--------------------------------------------
API v1 (Airflow 2) and API v2 (Airflow 3) describe mostly the same objects, so a
concept has ONE model, shared by both versions, and a script written against the
models runs on either server:

* A field that only one version sends is Optional with a default, and a ``# v1
  only`` comment (or the docstring) says so: on the other version it reads
  ``None``. ``DAGRun.execution_date`` is v1 only (v2 sends ``run_after``,
  which the model gains with v2 support); ``DAGRun.logical_date`` is sent by
  both, and is the name a version-agnostic script reads.
* Where the versions name one value differently, the model keeps one field and
  says where it comes from: ``XComEntry.dag_run_id`` is filled by the harvest on
  v1 (whose listings carry no run id) and sent by the server as ``run_id`` on v2.
* Where v1 sends a value only under its old name, a read-only property gives the
  neutral name: ``logical_date`` on :class:`XComEntry` (and :class:`XCom`),
  :class:`TaskInstance` and :class:`EventLog` returns the v1 ``execution_date``.
  Read ``.logical_date`` and the script keeps working when v2 fills it.
* What exists in one version only has its own module: :mod:`.v1` holds datasets,
  users and roles (Airflow 3 replaced datasets by assets, and moved users and
  roles out of the API).

Layout
------
* :mod:`._convert`: the converter, :func:`structure`, :func:`parse_datetime` and the
  :class:`Page` envelope; nothing version-specific.
* :mod:`.dag_runs`, :mod:`.task_instances`, :mod:`.xcom`, :mod:`.dags`, :mod:`.admin`:
  the models both versions share.
* :mod:`.v1`: the models of API v1 only.

Every name is importable from here (``from airflow_async.models import DAGRun``).
"""

from __future__ import annotations

# API v2 only: each module lists its models in its own __all__.
from . import assets as _assets
from . import backfills as _backfills
from . import bulk as _bulk
from . import hitl as _hitl
from . import jobs as _jobs
from ._convert import Page
from ._convert import converter as converter
from ._convert import parse_datetime as parse_datetime
from ._convert import structure as structure
from .admin import (
    Config,
    ConfigOption,
    ConfigSection,
    Connection,
    ConnectionTest,
    EventLog,
    HealthInfo,
    Plugin,
    Pool,
    Provider,
    Variable,
    VersionInfo,
)
from .assets import *  # noqa: F403
from .backfills import *  # noqa: F403
from .bulk import *  # noqa: F403
from .dag_runs import BasicDAGRun, DAGRun
from .dags import DAG, DAGDetail, DagStateCount, DagStats, DagWarning, ImportErrorInfo, Task
from .hitl import *  # noqa: F403
from .jobs import *  # noqa: F403
from .task_instances import (
    TaskDependency,
    TaskInstance,
    TaskInstanceHistory,
    TaskInstanceReference,
    TaskLog,
)
from .v1 import (
    Action,
    DagScheduleDatasetReference,
    Dataset,
    DatasetEvent,
    QueuedEvent,
    Role,
    TaskOutletDatasetReference,
    User,
)
from .xcom import XCom, XComEntry

__all__ = [
    "DAG",
    "Action",
    "BasicDAGRun",
    "Config",
    "ConfigOption",
    "ConfigSection",
    "Connection",
    "ConnectionTest",
    "DAGDetail",
    "DAGRun",
    "DagScheduleDatasetReference",
    "DagStateCount",
    "DagStats",
    "DagWarning",
    "Dataset",
    "DatasetEvent",
    "EventLog",
    "HealthInfo",
    "ImportErrorInfo",
    "Page",
    "Plugin",
    "Pool",
    "Provider",
    "QueuedEvent",
    "Role",
    "Task",
    "TaskDependency",
    "TaskInstance",
    "TaskInstanceHistory",
    "TaskInstanceReference",
    "TaskLog",
    "TaskOutletDatasetReference",
    "User",
    "Variable",
    "VersionInfo",
    "XCom",
    "XComEntry",
    *_assets.__all__,
    *_backfills.__all__,
    *_bulk.__all__,
    *_hitl.__all__,
    *_jobs.__all__,
]
# converter, parse_datetime and structure stay importable from here (the resources build models
# with them), but they are machinery, not models: ``from airflow_async.models import *`` and the
# package root leave them out.
