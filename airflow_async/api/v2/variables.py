"""API v2 variables: ``client.variables`` on Airflow 3 (v1's operations plus the bulk endpoint)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...models import BulkResult
from ..v1.variables import VariableResource as V1VariableResource
from ._bulk import send_bulk


class VariableResource(V1VariableResource):
    """The variable endpoints of API v2: v1's, plus ``bulk``."""

    async def bulk(
        self,
        *,
        create: Sequence[Mapping[str, Any]] | None = None,
        update: Sequence[Mapping[str, Any]] | None = None,
        delete: Sequence[str] | None = None,
        action_on_existence: str = "fail",
        action_on_non_existence: str = "fail",
        update_mask: Sequence[str] | None = None,
    ) -> BulkResult:
        """Create, update and delete variables in one request (``PATCH /variables``).

        An entity dict holds ``create``'s arguments: ``{"key": ..., "value": ...,
        "description": ...}`` (``description`` optional; a non-string ``value`` is stored as
        JSON text). ``delete`` takes keys. ``update_mask`` (Airflow 3.1+) names the fields an
        update applies (``["description"]``); ``key`` cannot change.

        See :func:`~airflow_async.api.v2._bulk.send_bulk` for the choices and the retries. The
        server answers 200 even when items failed: check :attr:`BulkResult.ok` or call
        :meth:`BulkResult.raise_for_errors`.
        """
        return await send_bulk(
            self,
            ("variables",),
            create=create,
            update=update,
            delete=delete,
            action_on_existence=action_on_existence,
            action_on_non_existence=action_on_non_existence,
            update_mask=update_mask,
        )
