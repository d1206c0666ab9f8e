"""API v2 assets, asset aliases, asset events and queued events: ``client.assets`` (Airflow 3)."""

from __future__ import annotations

from .._base import Resource


class AssetResource(Resource):
    """The asset endpoints of API v2 (``/assets``, ``/assets/aliases``, ``/assets/events``, queued events)."""
