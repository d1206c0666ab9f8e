"""API v2 human-in-the-loop details (3.1+): ``client.hitl`` (Airflow 3)."""

from __future__ import annotations

from .._base import Resource


class HITLResource(Resource):
    """The human-in-the-loop endpoints of API v2 (``.../hitlDetails``)."""
