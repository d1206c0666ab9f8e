"""API v2 (Airflow 3.x): the groups whose paths, parameters or bodies differ from v1's.

Groups whose operations are the same on both versions (variables, event logs, import errors,
config, plugins, providers, DAG stats and warnings) are the v1 classes, attached for v2 too in
:class:`~airflow_async.api.ResourceGroups`; tests/integration/test_shared_groups.py runs them
against both real servers.
"""

from .assets import AssetResource
from .backfills import BackfillResource
from .dag_runs import DAGRunResource
from .dag_versions import DagVersionResource
from .dags import DAGResource
from .hitl import HITLResource
from .jobs import JobResource
from .monitoring import MonitoringResource
from .operations import OPERATIONS
from .plugins import PluginResource
from .pools import ConnectionResource, PoolResource
from .state_store import AssetStateStoreResource, TaskStateStoreResource
from .task_instances import TaskInstanceResource
from .variables import VariableResource
from .web_login import WebLoginResource
from .xcom import XComResource

__all__ = [
    "OPERATIONS",
    "AssetResource",
    "AssetStateStoreResource",
    "BackfillResource",
    "ConnectionResource",
    "DAGResource",
    "DAGRunResource",
    "DagVersionResource",
    "HITLResource",
    "JobResource",
    "MonitoringResource",
    "PluginResource",
    "PoolResource",
    "TaskInstanceResource",
    "TaskStateStoreResource",
    "VariableResource",
    "WebLoginResource",
    "XComResource",
]
