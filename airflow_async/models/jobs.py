"""Models of API v2 only: jobs, DAG versions, connection tests queued for a worker, plugin import errors."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["ConnectionTestStatus", "DagVersion", "Job", "PluginImportError"]


@attrs.frozen(kw_only=True)
class Job:
    """A scheduler, triggerer or DAG-processor job (a row of the ``job`` table).

    Attributes:
        id: The job's id.
        job_type: ``"SchedulerJob"``, ``"TriggererJob"``, ``"DagProcessorJob"``...
        state: ``"running"``, ``"success"``, ``"failed"``...
        latest_heartbeat: When the job last said it was alive.
        hostname, unixname: Where it runs, and as whom.
        executor_class: The executor a scheduler job uses.
        dag_id, dag_display_name: The DAG, for jobs that run one (``None`` for schedulers).
    """

    id: int
    job_type: str | None = None
    state: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    latest_heartbeat: datetime | None = None
    executor_class: str | None = None
    hostname: str | None = None
    unixname: str | None = None
    dag_id: str | None = None
    dag_display_name: str | None = None


@attrs.frozen(kw_only=True)
class DagVersion:
    """One version of a DAG: a change of its serialized structure, in a bundle version.

    Attributes:
        id: The version's UUID.
        version_number: 1 for the first version of the DAG, then 2, 3...
        dag_id: The DAG.
        bundle_name, bundle_version: Where its code came from (``bundle_version`` is ``None``
            for a bundle without versions, such as the local DAGs folder).
        bundle_url: A link to the code in the bundle, when the bundle has one.
        created_at: When the version was first seen.
    """

    id: str
    version_number: int
    dag_id: str
    bundle_name: str | None = None
    bundle_version: str | None = None
    bundle_url: str | None = None
    created_at: datetime | None = None
    dag_display_name: str | None = None


@attrs.frozen(kw_only=True)
class ConnectionTestStatus:
    """A connection test queued for a worker (``connections.enqueue_test``), and its outcome.

    Attributes:
        token: What ``connections.test_result`` takes to ask for the outcome.
        connection_id: The connection tested.
        state: ``"pending"``, ``"queued"``, ``"running"``, then ``"success"`` or ``"failed"``
            (a plain string, so a state a newer server adds reads as sent).
        result_message: The hook's message, once the test ran.
        created_at: When it was queued (sent by ``test_result`` only).
    """

    token: str
    connection_id: str
    state: str | None = None
    result_message: str | None = None
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class PluginImportError:
    """A plugin the server failed to load.

    Attributes:
        source: Where the plugin came from (a file of the plugins folder, an entry point).
        error: Why it failed (the exception, as the server words it).
    """

    source: str
    error: str | None = None
