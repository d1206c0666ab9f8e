"""API v2 backfills: ``client.backfills`` (Airflow 3)."""

from __future__ import annotations

from .._base import Resource


class BackfillResource(Resource):
    """The backfill endpoints of API v2 (``/backfills``)."""
