"""API v2 plugins: ``client.plugins`` on Airflow 3 (v1's listing plus plugin import errors)."""

from __future__ import annotations

import builtins

from ...models import PluginImportError
from .._base import since
from ..v1.plugins import PluginResource as V1PluginResource


class PluginResource(V1PluginResource):
    """The plugin endpoints of API v2: v1's listing, plus ``import_errors``."""

    @since("3.1.0")
    async def import_errors(self) -> builtins.list[PluginImportError]:
        """The plugins the server failed to load, and why (the whole list: the endpoint does not page)."""
        items, _ = await self._items("GET", ("plugins", "importErrors"), "import_errors", PluginImportError)
        return items
