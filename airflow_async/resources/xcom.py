"""XCom entries: ``client.xcom``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..models import XCom, XComEntry
from ..pagination import Paginator
from ..retry import Requeue
from ._base import Resource, check_id, check_map_index

if TYPE_CHECKING:
    from ..harvest import Harvest


_DEFAULT_REQUEUE = Requeue()


def _entry_key(e: XComEntry) -> tuple[str, str, str, int, str]:
    return e.natural_key


class XComResource(Resource):
    """The XCom endpoints (``/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries``)."""

    def list(
        self,
        dag_id: str = "~",
        dag_run_id: str = "~",
        task_id: str = "~",
        *,
        map_index: int | None = None,
        xcom_key: str | None = None,
        page_size: int = 100,
        offset: int = 0,
        max_items: int | None = None,
        concurrent: bool = False,
        dedupe: bool = True,
    ) -> Paginator[XComEntry]:
        """List XCom entries (without values). ``~`` lists across all DAGs, runs or tasks.

        Args:
            dag_id: The DAG id, or ``~`` for all DAGs.
            dag_run_id: The DAG run id, or ``~``.
            task_id: The task id, or ``~``.
            map_index: Only entries of this map index.
            xcom_key: Only entries with this key.
            page_size: The ``limit`` per page request.
            offset: Skip this many entries first.
            max_items: Stop after this many entries.
            concurrent: Fetch pages after the first concurrently.
            dedupe: See :class:`~airflow_async.pagination.Paginator`.

        Returns:
            A paginator of :class:`~airflow_async.models.XComEntry`. v1 entries carry
            ``execution_date`` but no ``dag_run_id``.
        """
        check_map_index(map_index)
        if xcom_key is not None:
            check_id("xcom_key", xcom_key)
        return self._paginate(
            (
                "dags",
                check_id("dag_id", dag_id, wildcard=True),
                "dagRuns",
                check_id("dag_run_id", dag_run_id, wildcard=True),
                "taskInstances",
                check_id("task_id", task_id, wildcard=True),
                "xcomEntries",
            ),
            "xcom_entries",
            XComEntry,
            _entry_key,
            params={"map_index": map_index, "xcom_key": xcom_key},
            page_size=page_size,
            offset=offset,
            max_items=max_items,
            concurrent=concurrent,
            dedupe=dedupe,
        )

    async def get(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        key: str,
        *,
        map_index: int | None = None,
        deserialize: bool = False,
        stringify: bool = False,
    ) -> XCom:
        """Get one XCom entry with its value.

        Args:
            dag_id: The DAG id.
            dag_run_id: The DAG run id (``manual__2024-01-01T00:00:00+00:00``...).
            task_id: The task id.
            key: The XCom key (may contain spaces and ``/``).
            map_index: The map index of a mapped task instance.
            deserialize: Ask the server to run the XCom backend's full
                ``deserialize_value`` (only matters with a custom backend).
            stringify: ``True`` makes the v1 server return ``str(value)``, its own default;
                ``False`` (this client's default) returns the JSON value.

        Raises:
            NotFound: No such entry.
        """
        check_map_index(map_index)
        return await self._one(
            "GET",
            (
                "dags",
                check_id("dag_id", dag_id),
                "dagRuns",
                check_id("dag_run_id", dag_run_id),
                "taskInstances",
                check_id("task_id", task_id),
                "xcomEntries",
                check_id("key", key),
            ),
            XCom,
            params={"map_index": map_index, "deserialize": deserialize, "stringify": stringify},
        )

    def harvest(
        self,
        dag_id: str = "~",
        *,
        dag_run_id: str = "~",
        task_id: str = "~",
        keys: Sequence[str] | None = None,
        map_index: int | None = None,
        deserialize: bool = False,
        stringify: bool = False,
        concurrency: int | None = None,
        abort_after: int | None = 64,
        skip: Callable[[XComEntry], bool] | None = None,
        requeue: Requeue | None = _DEFAULT_REQUEUE,
    ) -> Harvest:
        """Fetch every matching XCom value concurrently, streaming results as they arrive.

        See :class:`~airflow_async.harvest.Harvest` for what it yields and counts; ``skip``
        passes over entries before their value is fetched (counted in ``stats.skipped``),
        ``abort_after`` consecutive transport failures stop it with ``HarvestAborted``, and
        ``requeue`` fetches again, in later rounds, the entries that failed with a transient
        error (:class:`~airflow_async.harvest.Requeue`; ``None`` reports them at once).
        """
        from ..harvest import Harvest

        return Harvest(
            self._client,
            dag_id=dag_id,
            dag_run_id=dag_run_id,
            task_id=task_id,
            keys=keys,
            map_index=map_index,
            deserialize=deserialize,
            stringify=stringify,
            concurrency=concurrency,
            abort_after=abort_after,
            skip=skip,
            requeue=requeue,
        )
