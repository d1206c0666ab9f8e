"""Installed providers: ``client.providers``."""

from __future__ import annotations

import builtins

from ...models import Provider
from .._base import Resource


class ProviderResource(Resource):
    """The provider endpoint (``/providers``)."""

    async def list(self) -> builtins.list[Provider]:
        """The provider packages installed on the server (the endpoint does not page)."""
        items, _ = await self._items("GET", ("providers",), "providers", Provider)
        return items
