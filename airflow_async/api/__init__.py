"""The REST API, one package per version, and the one table of resource groups.

:class:`ResourceGroups` is the only list of the client's resource groups: each attribute is a
:class:`~airflow_async.api._base.Group` naming the class that implements the group on each API
version. :class:`~airflow_async.AirflowClient` inherits it, so ``client.dags`` is created on
first use. The version packages (``airflow_async.api.v1``) hold the paths, parameters and
bodies of their operations; what every version shares is in ``_base.py``.
"""

from . import v1, v2
from ._base import Group

__all__ = ["ResourceGroups"]


class ResourceGroups:
    """The resource groups of a client, one per part of the API.

    A group listed with one class exists only in that API version (v1: datasets, roles, users,
    permissions...); the same class named for both versions means the operations are the same.

    The groups: ``dags``, ``dag_runs``, ``task_instances``, ``xcom``, ``variables``, ``pools``,
    ``connections``, ``monitoring``, ``datasets``, ``event_logs``, ``import_errors``, ``config``,
    ``plugins``, ``providers``, ``roles``, ``permissions``, ``users``, ``dag_stats``,
    ``dag_warnings``, ``assets``, ``asset_state_store``, ``task_state_store``, ``backfills``,
    ``dag_versions``, ``jobs``, ``hitl``, ``web_login``. Together they cover every operation of
    both APIs (``airflow_async.OPERATIONS`` and ``airflow_async.api.v2.OPERATIONS`` map each
    operationId to its method).
    """

    dags = Group(v1.DAGResource, v2.DAGResource)
    dag_runs = Group(v1.DAGRunResource, v2.DAGRunResource)
    task_instances = Group(v1.TaskInstanceResource, v2.TaskInstanceResource)
    xcom = Group(v1.XComResource, v2.XComResource)
    variables = Group(v1.VariableResource, v2.VariableResource)
    pools = Group(v1.PoolResource, v2.PoolResource)
    connections = Group(v1.ConnectionResource, v2.ConnectionResource)
    monitoring = Group(v1.MonitoringResource, v2.MonitoringResource)
    datasets = Group(v1.DatasetResource)
    event_logs = Group(v1.EventLogResource, v1.EventLogResource)
    import_errors = Group(v1.ImportErrorResource, v1.ImportErrorResource)
    config = Group(v1.ConfigResource, v1.ConfigResource)
    plugins = Group(v1.PluginResource, v2.PluginResource)
    providers = Group(v1.ProviderResource, v1.ProviderResource)
    roles = Group(v1.RoleResource)
    permissions = Group(v1.PermissionResource)
    users = Group(v1.UserResource)
    dag_stats = Group(v1.DagStatsResource, v1.DagStatsResource)
    dag_warnings = Group(v1.DagWarningResource, v1.DagWarningResource)
    # API v2 (Airflow 3) only
    assets = Group(v2=v2.AssetResource)
    asset_state_store = Group(v2=v2.AssetStateStoreResource)
    task_state_store = Group(v2=v2.TaskStateStoreResource)
    backfills = Group(v2=v2.BackfillResource)
    dag_versions = Group(v2=v2.DagVersionResource)
    jobs = Group(v2=v2.JobResource)
    hitl = Group(v2=v2.HITLResource)
    web_login = Group(v2=v2.WebLoginResource)
