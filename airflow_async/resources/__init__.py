"""Resource groups: one module per part of the API, attached to the client as attributes."""

from .connections import ConnectionResource
from .dag_runs import DAGRunResource
from .dags import DAGResource
from .monitoring import MonitoringResource
from .pools import PoolResource
from .task_instances import TaskInstanceResource
from .variables import VariableResource
from .xcom import XComResource

__all__ = [
    "ConnectionResource",
    "DAGResource",
    "DAGRunResource",
    "MonitoringResource",
    "PoolResource",
    "TaskInstanceResource",
    "VariableResource",
    "XComResource",
]
