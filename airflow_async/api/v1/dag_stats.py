"""Run counts per DAG and state: ``client.dag_stats``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from ..._validate import check_strings
from ...errors import UsageError
from ...models import DagStats
from .._base import Resource, since


class DagStatsResource(Resource):
    """The DAG stats endpoint (``/dagStats``)."""

    @since("2.10.0")
    async def get(self, dag_ids: Sequence[str]) -> builtins.list[DagStats]:
        """How many runs of each DAG are in each state.

        DAGs the user may not read, or that do not exist, are left out (no error); the order is
        the server's.
        """
        ids = check_strings("dag_ids", dag_ids)
        if not ids:
            raise UsageError("dag_ids is required: pass the DAG ids to count runs of, e.g. ['my_dag']")
        if any("," in i for i in ids):
            raise UsageError("dag_ids cannot contain ',': the server splits the list on commas")
        items, _ = await self._items(
            "GET", ("dagStats",), "dags", DagStats, params={"dag_ids": ",".join(ids)}
        )
        return items
