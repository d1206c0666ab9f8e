"""API v2 DAGs: ``client.dags`` on Airflow 3."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Unpack

from ..._validate import check_id, check_strings
from ...models import DAG
from ...pagination import Paginator
from .._base import PageOptions
from .._dags import DAGCommon, dag_key


class DAGResource(DAGCommon):
    """The DAG endpoints of API v2 (``/dags``, ``/dagSources``).

    ``get``, ``details``, ``pause``, ``unpause``, ``delete``, ``tasks`` and ``task`` are shared
    with v1.
    """

    def list(
        self,
        *,
        tags: Sequence[str] | None = None,
        paused: bool | None = None,
        dag_id_pattern: str | None = None,
        exclude_stale: bool | None = None,
        order_by: str | builtins.list[str] | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[DAG]:
        """List DAGs, optionally by tags, paused state or an id pattern (SQL ``LIKE``).

        ``exclude_stale`` (v2's name for v1's ``only_active``) leaves out DAGs whose file is gone.
        """
        return self._paginate(
            ("dags",),
            "dags",
            DAG,
            dag_key,
            params={
                "tags": check_strings("tags", tags),
                "paused": paused,
                "dag_id_pattern": dag_id_pattern,
                "exclude_stale": exclude_stale,
                "order_by": order_by,
            },
            paging=paging,
        )

    async def source(self, dag_id: str, *, version_number: int | None = None) -> str:
        """The source code of a DAG's file (of one of its versions with ``version_number``)."""
        data = await self._call(
            "GET", ("dagSources", check_id("dag_id", dag_id)), params={"version_number": version_number}
        )
        content = data.get("content") if isinstance(data, dict) else None
        return content if isinstance(content, str) else ""
