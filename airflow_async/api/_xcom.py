"""What the XCom resources of both API versions share: the harvest, ``entries()``, and the
:class:`~airflow_async.harvest.XComSource` methods a harvest calls.

The paths and parameters of the XCom listing and value fetch are the same on both versions; a
version's XCom resource supplies ``run_ids`` (v1 maps run ids from a DAG-run listing; v2
entries carry theirs) and the operations only it has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Unpack

import attrs

from .._validate import check_id, check_map_index
from ..errors import RunNotFound
from ..harvest import Harvest, HarvestOptions, HarvestStats, RunIds
from ..models import XCom, XComEntry
from ..pagination import Paginator
from . import paths
from ._base import PageOptions, Resource, older_than, require_release

__all__ = ["XComHarvesting"]

#: The release whose v1 value fetch takes ``stringify`` and a key containing ``/``: Airflow 2.9
#: answers every value as ``str(value)`` (no ``stringify`` parameter: 400 "Extra query
#: parameter(s) stringify not in spec") and routes no key with a ``/`` (404, even encoded).
XCOM_FETCH_SINCE = "2.10.0"


def _entry_key(e: XComEntry) -> tuple[str, str, str, int, str]:
    return e.natural_key


class XComHarvesting(Resource):
    """The XCom listing, value fetch, harvest and ``entries()``: the same on both API versions.

    A version's XCom resource adds ``run_ids`` and its own operations.
    """

    #: The release from which the server routes a key containing ``/`` (a version overrides it).
    _slash_keys_since = XCOM_FETCH_SINCE

    def list(
        self,
        dag_id: str = "~",
        dag_run_id: str = "~",
        task_id: str = "~",
        *,
        map_index: int | None = None,
        xcom_key: str | None = None,
        **paging: Unpack[PageOptions],
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
            A paginator of :class:`~airflow_async.models.XComEntry`. v1 entries carry the
            run's ``execution_date`` but no ``dag_run_id`` (use :meth:`entries` for both);
            v2 entries carry ``dag_run_id``.
        """
        check_map_index(map_index)
        if xcom_key is not None:
            check_id("xcom_key", xcom_key)
        return self._paginate(
            paths.xcom_entries(dag_id, dag_run_id, task_id, wildcard=True),
            "xcom_entries",
            XComEntry,
            _entry_key,
            params={"map_index": map_index, "xcom_key": xcom_key},
            paging=paging,
            # Both versions sort XComs on their whole key (dag_id, task_id, run_id, map_index,
            # key): no ties, so a row moves only by the rows inserted or deleted before it.
            total_order=True,
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
            stringify: ``True`` makes the server return ``str(value)`` (the v1 server's own
                default); ``False`` (this client's default, and v2's) returns the JSON value.

        Raises:
            NotFound: No such entry.
            NotSupportedByServer: Airflow before 2.10 and ``stringify=False`` (it returns only
                ``str(value)``), or a ``key`` containing ``/`` (it cannot route one).
        """
        check_map_index(map_index)
        self._check_fetch("xcom.get", stringify)
        self._check_key_route("xcom.get", key)
        # Airflow 2.9 always stringifies and refuses the parameter; stringify=True means the same.
        params = {"map_index": map_index, "deserialize": deserialize}
        if not older_than(self, XCOM_FETCH_SINCE):
            params["stringify"] = stringify
        return await self._one(
            "GET",
            (*paths.xcom_entries(dag_id, dag_run_id, task_id), check_id("key", key)),
            XCom,
            params=params,
        )

    def _check_key_route(self, what: str, key: str) -> None:
        """Refuse a key containing ``/`` in the path where the server cannot route one."""
        if "/" in key:
            require_release(self, self._slash_keys_since, f"{what} of a key containing '/'")

    def _check_fetch(self, what: str, stringify: bool) -> None:
        """Refuse JSON values (``stringify=False``) where the server has only ``str(value)``."""
        if not stringify:
            require_release(
                self,
                XCOM_FETCH_SINCE,
                f"{what}(stringify=False) (JSON values)",
                instead="pass stringify=True: this release returns every value as str(value)",
            )

    def run_ids(self, dag_id: str, stats: HarvestStats) -> RunIds | None:
        """How to find the run id of entries listed without one; ``None`` when they carry it."""
        raise NotImplementedError

    def harvest(self, dag_id: str = "~", **options: Unpack[HarvestOptions]) -> Harvest:
        """Fetch every matching XCom value concurrently, streaming results as they arrive.

        Takes the keywords of :class:`~airflow_async.harvest.Harvest` (``dag_run_id``,
        ``task_id``, ``keys``, ``map_index``, ``deserialize``, ``stringify``, ``concurrency``,
        ``abort_after``, ``skip``, ``requeue``), which says what it yields and counts: ``skip``
        passes over entries before their value is fetched (counted in ``stats.skipped``),
        ``abort_after`` consecutive transport failures stop it with ``HarvestAborted``, and
        ``requeue`` fetches again, in later rounds, the entries that failed with a transient
        error (:class:`~airflow_async.retry.Requeue`; ``None`` reports them at once).
        """
        client = self._client
        self._check_fetch("xcom.harvest", options.get("stringify", False))  # before listing anything
        harvest = Harvest(
            self,
            dag_id=dag_id,
            default_concurrency=client.max_concurrency,
            transient=client.retry.transient,
            **options,
        )
        client.close_on_exit(harvest)
        return harvest

    async def entries(
        self,
        dag_id: str = "~",
        dag_run_id: str = "~",
        task_id: str = "~",
        *,
        keys: Sequence[str] | None = None,
        map_index: int | None = None,
    ) -> AsyncIterator[XComEntry]:
        """List XCom entries with their ``dag_run_id`` filled in (``None`` where no run matches).

        What ``list`` gives, one listing per key of ``keys``, plus the run id each entry belongs
        to (v1 listings carry only the run's ``execution_date``: the runs are listed too).
        """
        runs = self.run_ids(dag_id, HarvestStats()) if dag_run_id == "~" else None
        try:
            for key in [*keys] if keys else [None]:
                listing = self.list(
                    dag_id, dag_run_id, task_id, xcom_key=key, map_index=map_index, concurrent=True
                )
                async for entry in listing:
                    if entry.dag_run_id is None:
                        run_id: str | None = dag_run_id
                        if runs is not None:
                            try:
                                run_id = await runs.resolve(entry)
                            except RunNotFound:
                                run_id = None
                        entry = attrs.evolve(entry, dag_run_id=run_id)
                    yield entry
        finally:
            if runs is not None:
                await runs.close()

    # -- what a harvest needs (harvest.XComSource) ------------------------------------------

    def list_entries(
        self, dag_id: str, dag_run_id: str, task_id: str, *, key: str | None, map_index: int | None
    ) -> AsyncIterator[XComEntry]:
        """One XCom listing for a harvest (see :class:`~airflow_async.harvest.XComSource`)."""
        return self.list(dag_id, dag_run_id, task_id, xcom_key=key, map_index=map_index)

    async def get_value(self, entry: XComEntry, *, deserialize: bool, stringify: bool) -> XCom:
        """The value of a listed entry (its ``dag_run_id`` filled in)."""
        if entry.dag_run_id is None:
            raise RunNotFound(f"XCom entry {entry.natural_key} has no dag_run_id to fetch its value by")
        return await self.get(
            entry.dag_id,
            entry.dag_run_id,
            entry.task_id,
            entry.key,
            map_index=entry.map_index,
            deserialize=deserialize,
            stringify=stringify,
        )
