"""Loaded plugins: ``client.plugins``."""

from __future__ import annotations

from typing import Unpack

from ...models import Plugin
from ...pagination import Paginator
from .._base import PageOptions, Resource


def _plugin_key(p: Plugin) -> str:
    return p.name


class PluginResource(Resource):
    """The plugin endpoint (``/plugins``)."""

    def list(self, **paging: Unpack[PageOptions]) -> Paginator[Plugin]:
        """List the plugins the server loaded."""
        return self._paginate(
            ("plugins",),
            "plugins",
            Plugin,
            _plugin_key,
            paging=paging,
        )
