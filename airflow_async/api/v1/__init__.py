"""API v1 (Airflow 2.x): one module per part of the API, with its paths, parameters and bodies.

The client attaches these groups as attributes through :class:`~airflow_async.api.ResourceGroups`.
"""

from .config import ConfigResource
from .connections import ConnectionResource
from .dag_runs import DAGRunResource
from .dag_stats import DagStatsResource
from .dag_warnings import DagWarningResource
from .dags import DAGResource
from .datasets import DatasetResource
from .event_logs import EventLogResource
from .import_errors import ImportErrorResource
from .monitoring import MonitoringResource
from .operations import OPERATIONS
from .plugins import PluginResource
from .pools import PoolResource
from .providers import ProviderResource
from .roles import PermissionResource, RoleResource
from .task_instances import TaskInstanceResource
from .users import UserResource
from .variables import VariableResource
from .xcom import XComResource

__all__ = [
    "OPERATIONS",
    "ConfigResource",
    "ConnectionResource",
    "DAGResource",
    "DAGRunResource",
    "DagStatsResource",
    "DagWarningResource",
    "DatasetResource",
    "EventLogResource",
    "ImportErrorResource",
    "MonitoringResource",
    "PermissionResource",
    "PluginResource",
    "PoolResource",
    "ProviderResource",
    "RoleResource",
    "TaskInstanceResource",
    "UserResource",
    "VariableResource",
    "XComResource",
]
