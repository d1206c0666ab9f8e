"""API v2 DAG versions: ``client.dag_versions`` (Airflow 3)."""

from __future__ import annotations

import builtins
from typing import Unpack

from ..._validate import check_int
from ...models import DagVersion
from ...pagination import Paginator
from .. import paths
from .._base import PageOptions, Resource


def _version_key(v: DagVersion) -> tuple[str, int]:
    return v.dag_id, v.version_number


class DagVersionResource(Resource):
    """The DAG version endpoints of API v2 (``/dags/{dag_id}/dagVersions``).

    A DAG gets a new version when its serialized structure changes (tasks, dependencies,
    arguments) or its bundle moves to a new version; runs and task instances name the version
    they ran.
    """

    def list(
        self,
        dag_id: str = "~",
        *,
        version_number: int | None = None,
        bundle_name: str | None = None,
        bundle_version: str | None = None,
        order_by: str | builtins.list[str] | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[DagVersion]:
        """List the versions of a DAG (of every DAG with ``"~"``), oldest first unless ``order_by``.

        Args:
            dag_id: The DAG, or ``"~"`` for all.
            version_number: Only this version number.
            bundle_name: Only versions from this bundle (``"dags-folder"`` for the local folder).
            bundle_version: Only versions of this bundle version.
            order_by: ``id``, ``version_number``, ``bundle_name``, ``bundle_version`` (``-`` for
                descending).
        """
        if version_number is not None:
            check_int("version_number", version_number)
        return self._paginate(
            (*paths.dag(dag_id, wildcard=True), "dagVersions"),
            "dag_versions",
            DagVersion,
            _version_key,
            params={
                "version_number": version_number,
                "bundle_name": bundle_name,
                "bundle_version": bundle_version,
                "order_by": order_by,
            },
            paging=paging,
        )

    async def get(self, dag_id: str, version_number: int) -> DagVersion:
        """One version of a DAG, by its number (1 for the first).

        Raises:
            NotFound: No such DAG or version.
        """
        return await self._one(
            "GET",
            (*paths.dag(dag_id), "dagVersions", check_int("version_number", version_number)),
            DagVersion,
        )
