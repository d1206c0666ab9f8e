"""API v2 (Airflow 3.x): the groups whose paths, parameters or bodies differ from v1's.

Groups whose operations are the same on both versions (variables, event logs, import errors,
config, plugins, providers, DAG stats and warnings) are the v1 classes, attached for v2 too in
:class:`~airflow_async.api.ResourceGroups`; tests/integration/test_shared_groups.py runs them
against both real servers.
"""

from .dag_runs import DAGRunResource
from .dags import DAGResource
from .monitoring import MonitoringResource
from .pools import ConnectionResource, PoolResource
from .task_instances import TaskInstanceResource
from .xcom import XComResource

__all__ = [
    "ConnectionResource",
    "DAGResource",
    "DAGRunResource",
    "MonitoringResource",
    "PoolResource",
    "TaskInstanceResource",
    "XComResource",
]
