"""Pools: ``client.pools``."""

from __future__ import annotations

from ..models import Pool
from ..pagination import Paginator
from ._base import Resource, check_id


def _pool_key(p: Pool) -> str:
    return p.name


class PoolResource(Resource):
    """The pool endpoints (``/pools``)."""

    def list(self, *, page_size: int = 100, max_items: int | None = None) -> Paginator[Pool]:
        """List pools."""
        return self._paginate(("pools",), "pools", Pool, _pool_key, page_size=page_size, max_items=max_items)

    async def get(self, name: str) -> Pool:
        """Get one pool."""
        return await self._one("GET", ("pools", check_id("name", name)), Pool)
