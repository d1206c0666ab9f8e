"""DAGs: ``client.dags``."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import DAG
from ..pagination import Paginator
from ._base import Resource, check_id
from .dag_runs import _seq


def _dag_key(d: DAG) -> str:
    return d.dag_id


class DAGResource(Resource):
    """The DAG endpoints (``/dags``)."""

    def list(
        self,
        *,
        tags: Sequence[str] | None = None,
        only_active: bool | None = None,
        paused: bool | None = None,
        dag_id_pattern: str | None = None,
        order_by: str | None = None,
        page_size: int = 100,
        offset: int = 0,
        max_items: int | None = None,
        concurrent: bool = False,
    ) -> Paginator[DAG]:
        """List DAGs, optionally by tags, paused state or an id pattern (SQL ``LIKE``)."""
        return self._paginate(
            ("dags",),
            "dags",
            DAG,
            _dag_key,
            params={
                "tags": _seq("tags", tags),
                "only_active": only_active,
                "paused": paused,
                "dag_id_pattern": dag_id_pattern,
                "order_by": order_by,
            },
            page_size=page_size,
            offset=offset,
            max_items=max_items,
            concurrent=concurrent,
        )

    async def get(self, dag_id: str) -> DAG:
        """Get one DAG."""
        return await self._one("GET", ("dags", check_id("dag_id", dag_id)), DAG)

    async def pause(self, dag_id: str) -> DAG:
        """Pause a DAG (``PATCH`` with ``update_mask=is_paused``)."""
        return await self._set_paused(dag_id, True)

    async def unpause(self, dag_id: str) -> DAG:
        """Unpause a DAG."""
        return await self._set_paused(dag_id, False)

    async def _set_paused(self, dag_id: str, paused: bool) -> DAG:
        # Setting a flag to a value is safe to repeat, so this PATCH is retried.
        return await self._one(
            "PATCH",
            ("dags", check_id("dag_id", dag_id)),
            DAG,
            params={"update_mask": "is_paused"},
            json={"is_paused": paused},
            idempotent=True,
        )
