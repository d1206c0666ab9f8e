"""Loaded plugins: ``client.plugins``."""

from __future__ import annotations

from ..models import Plugin
from ..pagination import Paginator
from ._base import Resource


def _plugin_key(p: Plugin) -> str:
    return p.name


class PluginResource(Resource):
    """The plugin endpoint (``/plugins``)."""

    def list(
        self, *, page_size: int = 100, offset: int = 0, max_items: int | None = None
    ) -> Paginator[Plugin]:
        """List the plugins the server loaded."""
        return self._paginate(
            ("plugins",),
            "plugins",
            Plugin,
            _plugin_key,
            page_size=page_size,
            offset=offset,
            max_items=max_items,
        )
