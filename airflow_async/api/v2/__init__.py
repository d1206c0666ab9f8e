"""API v2 (Airflow 3.x): the groups whose paths, parameters or bodies differ from v1's.

Groups whose operations are the same on both versions (variables, pools, connections) are the
v1 classes, attached for v2 too in :class:`~airflow_async.api.ResourceGroups`; the real-server
tests run them against both.
"""

from .dag_runs import DAGRunResource
from .dags import DAGResource
from .monitoring import MonitoringResource
from .task_instances import TaskInstanceResource
from .xcom import XComResource

__all__ = [
    "DAGResource",
    "DAGRunResource",
    "MonitoringResource",
    "TaskInstanceResource",
    "XComResource",
]
