"""Every operation of Airflow's stable REST API v1 and the client method that calls it.

:data:`OPERATIONS` maps each ``operationId`` of the v1 spec (``airflow/api_connexion/openapi/
v1.yaml`` in apache-airflow 2.11) to ``"group.method"``: ``client.<group>.<method>``. Some
methods serve two operations (a task instance and its mapped form, selected by ``map_index``).
tests/integration/test_api_coverage.py checks the mapping against the spec a real server ships.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["OPERATIONS"]

OPERATIONS: Final[Mapping[str, str]] = {
    # Config
    "get_config": "config.get",
    "get_value": "config.get_value",
    # Connection
    "get_connections": "connections.list",
    "get_connection": "connections.get",
    "post_connection": "connections.create",
    "patch_connection": "connections.update",
    "delete_connection": "connections.delete",
    "test_connection": "connections.test",
    # DAG
    "get_dags": "dags.list",
    "get_dag": "dags.get",
    "patch_dag": "dags.update",
    "patch_dags": "dags.update_many",
    "delete_dag": "dags.delete",
    "get_dag_details": "dags.details",
    "get_tasks": "dags.tasks",
    "get_task": "dags.task",
    "get_dag_source": "dags.source",
    "reparse_dag_file": "dags.reparse",
    "post_clear_task_instances": "dags.clear_task_instances",
    "post_set_task_instances_state": "dags.set_task_instances_state",
    # DAGRun
    "get_dag_runs": "dag_runs.list",
    "get_dag_runs_batch": "dag_runs.list_batch",
    "get_dag_run": "dag_runs.get",
    "post_dag_run": "dag_runs.trigger",
    "delete_dag_run": "dag_runs.delete",
    "update_dag_run_state": "dag_runs.set_state",
    "clear_dag_run": "dag_runs.clear",
    "set_dag_run_note": "dag_runs.set_note",
    "get_upstream_dataset_events": "dag_runs.upstream_dataset_events",
    # DagStats
    "get_dag_stats": "dag_stats.get",
    # DagWarning
    "get_dag_warnings": "dag_warnings.list",
    # Dataset
    "get_datasets": "datasets.list",
    "get_dataset": "datasets.get",
    "get_dataset_events": "datasets.events",
    "create_dataset_event": "datasets.create_event",
    "get_dataset_queued_events": "datasets.queued_events",
    "delete_dataset_queued_events": "datasets.delete_queued_events",
    "get_dag_dataset_queued_events": "datasets.dag_queued_events",
    "get_dag_dataset_queued_event": "datasets.dag_queued_event",
    "delete_dag_dataset_queued_events": "datasets.delete_dag_queued_events",
    "delete_dag_dataset_queued_event": "datasets.delete_dag_queued_event",
    # EventLog
    "get_event_logs": "event_logs.list",
    "get_event_log": "event_logs.get",
    # ImportError
    "get_import_errors": "import_errors.list",
    "get_import_error": "import_errors.get",
    # Monitoring
    "get_health": "monitoring.health",
    "get_version": "monitoring.version",
    # Permission
    "get_permissions": "permissions.list",
    # Plugin
    "get_plugins": "plugins.list",
    # Pool
    "get_pools": "pools.list",
    "get_pool": "pools.get",
    "post_pool": "pools.create",
    "patch_pool": "pools.update",
    "delete_pool": "pools.delete",
    # Provider
    "get_providers": "providers.list",
    # Role
    "get_roles": "roles.list",
    "get_role": "roles.get",
    "post_role": "roles.create",
    "patch_role": "roles.update",
    "delete_role": "roles.delete",
    # TaskInstance
    "get_task_instances": "task_instances.list",
    "get_task_instances_batch": "task_instances.list_batch",
    "get_task_instance": "task_instances.get",
    "get_mapped_task_instance": "task_instances.get",
    "get_mapped_task_instances": "task_instances.list_mapped",
    "patch_task_instance": "task_instances.set_state",
    "patch_mapped_task_instance": "task_instances.set_state",
    "set_task_instance_note": "task_instances.set_note",
    "set_mapped_task_instance_note": "task_instances.set_note",
    "get_task_instance_dependencies": "task_instances.dependencies",
    "get_mapped_task_instance_dependencies": "task_instances.dependencies",
    "get_extra_links": "task_instances.links",
    "get_log": "task_instances.log",
    "get_task_instance_tries": "task_instances.tries",
    "get_mapped_task_instance_tries": "task_instances.tries",
    "get_task_instance_try_details": "task_instances.get_try",
    "get_mapped_task_instance_try_details": "task_instances.get_try",
    # User
    "get_users": "users.list",
    "get_user": "users.get",
    "post_user": "users.create",
    "patch_user": "users.update",
    "delete_user": "users.delete",
    # Variable
    "get_variables": "variables.list",
    "get_variable": "variables.get",
    "post_variables": "variables.create",
    "patch_variable": "variables.update",
    "delete_variable": "variables.delete",
    # XCom
    "get_xcom_entries": "xcom.list",
    "get_xcom_entry": "xcom.get",
}
