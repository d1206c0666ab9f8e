"""Warnings found while processing DAGs: ``client.dag_warnings``."""

from __future__ import annotations

from typing import Unpack

from ...models import DagWarning
from ...pagination import Paginator
from .._base import PageOptions, Resource


def _warning_key(w: DagWarning) -> tuple[str, str]:
    return (w.dag_id, w.warning_type or "")


class DagWarningResource(Resource):
    """The DAG warning endpoint (``/dagWarnings``)."""

    def list(
        self,
        *,
        dag_id: str | None = None,
        warning_type: str | None = None,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[DagWarning]:
        """List DAG warnings, optionally of one DAG or one type (e.g. ``"non-existent pool"``)."""
        return self._paginate(
            ("dagWarnings",),
            "dag_warnings",
            DagWarning,
            _warning_key,
            params={"dag_id": dag_id, "warning_type": warning_type, "order_by": order_by},
            paging=paging,
        )
