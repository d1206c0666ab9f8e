"""Every operation of Airflow's REST API v2 (3.3.2) and the client method that calls it.

:data:`OPERATIONS` maps each ``operationId`` of the v2 spec (``airflow/api_fastapi/core_api/
openapi/v2-rest-api-generated.yaml`` in apache-airflow 3.3.2) to ``"group.method"``:
``client.<group>.<method>`` on a client talking to Airflow 3. Where v1 and v2 mean the same
thing the method has the v1 name (``dag_runs.trigger`` for ``trigger_dag_run``); one method may
serve several operations (a task instance and its mapped form, an operation and its dry run).
tests/integration/test_api_v2_coverage.py checks the mapping against the spec the real server
ships, and ``docs/coverage.md`` is generated from it and from the v1 map.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["OPERATIONS"]

OPERATIONS: Final[Mapping[str, str]] = {
    # Asset
    "get_assets": "assets.list",
    "get_asset": "assets.get",
    "get_asset_aliases": "assets.aliases",
    "get_asset_alias": "assets.alias",
    "get_asset_events": "assets.events",
    "create_asset_event": "assets.create_event",
    "materialize_asset": "assets.materialize",
    "get_asset_queued_events": "assets.queued_events",
    "delete_asset_queued_events": "assets.delete_queued_events",
    "get_dag_asset_queued_events": "assets.dag_queued_events",
    "get_dag_asset_queued_event": "assets.dag_queued_event",
    "delete_dag_asset_queued_events": "assets.delete_dag_queued_events",
    "delete_dag_asset_queued_event": "assets.delete_dag_queued_event",
    # Asset State Store
    "list_asset_state_store": "asset_state_store.list",
    "get_asset_state_store": "asset_state_store.get",
    "set_asset_state_store": "asset_state_store.set",
    "delete_asset_state_store": "asset_state_store.delete",
    "clear_asset_state_store": "asset_state_store.clear",
    # Backfill
    "list_backfills": "backfills.list",
    "get_backfill": "backfills.get",
    "create_backfill": "backfills.create",
    "create_backfill_dry_run": "backfills.dry_run",
    "pause_backfill": "backfills.pause",
    "unpause_backfill": "backfills.unpause",
    "cancel_backfill": "backfills.cancel",
    # Config
    "get_config": "config.get",
    "get_config_value": "config.get_value",
    # Connection
    "get_connections": "connections.list",
    "get_connection": "connections.get",
    "post_connection": "connections.create",
    "patch_connection": "connections.update",
    "delete_connection": "connections.delete",
    "test_connection": "connections.test",
    "bulk_connections": "connections.bulk",
    "create_default_connections": "connections.create_defaults",
    "enqueue_connection_test": "connections.enqueue_test",
    "get_connection_test": "connections.test_result",
    # DAG
    "get_dags": "dags.list",
    "get_dag": "dags.get",
    "patch_dag": "dags.update",
    "patch_dags": "dags.update_many",
    "delete_dag": "dags.delete",
    "get_dag_details": "dags.details",
    "favorite_dag": "dags.favorite",
    "get_dag_reports": "dags.reports",  # Airflow 3.0 only
    "unfavorite_dag": "dags.unfavorite",
    "get_dag_tags": "dags.tags",
    # DAG Parsing, DagSource, Task
    "reparse_dag_file": "dags.reparse",
    "get_dag_source": "dags.source",
    "get_tasks": "dags.tasks",
    "get_task": "dags.task",
    # DagRun
    "get_dag_runs": "dag_runs.list",
    "get_list_dag_runs_batch": "dag_runs.list_batch",
    "get_dag_run": "dag_runs.get",
    "trigger_dag_run": "dag_runs.trigger",
    "patch_dag_run": "dag_runs.update",
    "delete_dag_run": "dag_runs.delete",
    "clear_dag_run": "dag_runs.clear",
    "get_upstream_asset_events": "dag_runs.upstream_asset_events",
    "bulk_dag_runs": "dag_runs.bulk",
    "clear_dag_runs": "dag_runs.clear_many",
    "clear_dag_run_partitions": "dag_runs.clear_partitions",
    "wait_dag_run_until_finished": "dag_runs.wait_until_finished",
    # DagStats, DagVersion, DagWarning
    "get_dag_stats": "dag_stats.get",
    "get_dag_versions": "dag_versions.list",
    "get_dag_version": "dag_versions.get",
    "list_dag_warnings": "dag_warnings.list",
    # Event Log
    "get_event_logs": "event_logs.list",
    "get_event_log": "event_logs.get",
    # Import Error
    "get_import_errors": "import_errors.list",
    "get_import_error": "import_errors.get",
    # Job
    "get_jobs": "jobs.list",
    # Login
    "login": "web_login.login_url",
    "logout": "web_login.logout_url",
    # Monitor, Version
    "get_health": "monitoring.health",
    "get_version": "monitoring.version",
    # Plugin
    "get_plugins": "plugins.list",
    "import_errors": "plugins.import_errors",
    # Pool
    "get_pools": "pools.list",
    "get_pool": "pools.get",
    "post_pool": "pools.create",
    "patch_pool": "pools.update",
    "delete_pool": "pools.delete",
    "bulk_pools": "pools.bulk",
    # Provider
    "get_providers": "providers.list",
    # Task Instance
    "get_task_instances": "task_instances.list",
    "get_task_instances_batch": "task_instances.list_batch",
    "get_task_instance": "task_instances.get",
    "get_mapped_task_instance": "task_instances.get",
    "get_mapped_task_instances": "task_instances.list_mapped",
    "patch_task_instance": "task_instances.update",
    "patch_task_instance_by_map_index": "task_instances.update",
    "patch_task_instance_dry_run": "task_instances.update",
    "patch_task_instance_dry_run_by_map_index": "task_instances.update",
    "patch_task_group_instances": "task_instances.update_group",
    "patch_task_group_instances_dry_run": "task_instances.update_group",
    "bulk_task_instances": "task_instances.bulk",
    "delete_task_instance": "task_instances.delete",
    "post_clear_task_instances": "dags.clear_task_instances",
    "get_task_instance_dependencies": "task_instances.dependencies",
    "get_task_instance_dependencies_by_map_index": "task_instances.dependencies",
    "get_task_instance_tries": "task_instances.tries",
    "get_mapped_task_instance_tries": "task_instances.tries",
    "get_task_instance_try_details": "task_instances.get_try",
    "get_mapped_task_instance_try_details": "task_instances.get_try",
    "get_extra_links": "task_instances.links",
    "get_log": "task_instances.log",
    "get_external_log_url": "task_instances.external_log_url",
    "get_hitl_details": "hitl.list",
    "get_hitl_detail": "hitl.get",
    "get_hitl_detail_try_detail": "hitl.get_try",
    "update_hitl_detail": "hitl.respond",
    # Task State Store
    "list_task_state_store": "task_state_store.list",
    "get_task_state_store": "task_state_store.get",
    "set_task_state_store": "task_state_store.set",
    "patch_task_state_store": "task_state_store.update",
    "delete_task_state_store": "task_state_store.delete",
    "clear_task_state_store": "task_state_store.clear",
    # Variable
    "get_variables": "variables.list",
    "get_variable": "variables.get",
    "post_variable": "variables.create",
    "patch_variable": "variables.update",
    "delete_variable": "variables.delete",
    "bulk_variables": "variables.bulk",
    # XCom
    "get_xcom_entries": "xcom.list",
    "get_xcom_entry": "xcom.get",
    "create_xcom_entry": "xcom.create",
    "update_xcom_entry": "xcom.update",
    "delete_xcom_entry": "xcom.delete",
}
