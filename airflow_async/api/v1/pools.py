"""Pools: ``client.pools``."""

from __future__ import annotations

from typing import Any, Unpack

from ..._validate import UNSET, UnsetType, check_id, given
from ...errors import UsageError
from ...models import Pool
from ...pagination import Paginator
from .._base import PageOptions, Resource


def _pool_key(p: Pool) -> str:
    return p.name


class PoolResource(Resource):
    """The pool endpoints (``/pools``)."""

    def list(
        self,
        *,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[Pool]:
        """List pools."""
        return self._paginate(
            ("pools",),
            "pools",
            Pool,
            _pool_key,
            params={"order_by": order_by},
            paging=paging,
        )

    async def get(self, name: str) -> Pool:
        """Get one pool."""
        return await self._one("GET", ("pools", check_id("name", name)), Pool)

    async def create(
        self,
        name: str,
        slots: int,
        *,
        description: str | None = None,
        include_deferred: bool | None = None,
    ) -> Pool:
        """Create a pool (``POST``; not retried once it may have reached the server).

        Raises:
            Conflict: A pool with this name exists.
        """
        body: dict[str, Any] = {"name": check_id("name", name), "slots": _slots(slots)}
        if description is not None:
            body["description"] = description
        if include_deferred is not None:
            body["include_deferred"] = include_deferred
        return await self._one("POST", ("pools",), Pool, json=body)

    async def update(
        self,
        name: str,
        *,
        new_name: str | UnsetType = UNSET,
        slots: int | UnsetType = UNSET,
        description: str | UnsetType | None = UNSET,
        include_deferred: bool | UnsetType = UNSET,
    ) -> Pool:
        """Change the fields given, and only those (``PATCH`` with an ``update_mask``).

        Arguments left :data:`~airflow_async.UNSET` are not sent; ``description=None`` clears the
        description. The ``default_pool`` can change ``slots`` and ``include_deferred`` only.
        Retried when it does not rename the pool (setting values is safe to repeat).
        """
        if slots is not UNSET:
            _slots(slots)
        if new_name is not UNSET:
            check_id("new_name", new_name)
        fields = given(name=new_name, slots=slots, description=description, include_deferred=include_deferred)
        mask = self._update_mask(fields, accepts="new_name=, slots=, description=, include_deferred=")
        return await self._one(
            "PATCH",
            ("pools", check_id("name", name)),
            Pool,
            params={"update_mask": mask},
            json=self._patch_body(name, fields),
            idempotent=new_name is UNSET,
        )

    def _patch_body(self, name: str, fields: dict[str, Any]) -> dict[str, Any]:
        """The body of a pool's PATCH: on v1, just the fields named in the mask."""
        return fields

    async def delete(self, name: str) -> None:
        """Delete a pool.

        Raises:
            BadRequest: It is the ``default_pool``, which cannot be deleted.
        """
        await self._call("DELETE", ("pools", check_id("name", name)))


def _slots(slots: int) -> int:
    if not isinstance(slots, int) or isinstance(slots, bool) or slots < -1:
        raise UsageError(f"slots must be an int >= 0 (or -1 for unlimited), got {slots!r}")
    return slots
