"""API v2 plugins: ``client.plugins`` on Airflow 3 (v1's listing plus plugin import errors)."""

from __future__ import annotations

from ..v1.plugins import PluginResource as V1PluginResource


class PluginResource(V1PluginResource):
    """The plugin endpoints of API v2: v1's listing, plus ``import_errors``."""
