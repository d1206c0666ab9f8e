"""API v2 DAG versions: ``client.dag_versions`` (Airflow 3)."""

from __future__ import annotations

from .._base import Resource


class DagVersionResource(Resource):
    """The DAG version endpoints of API v2 (``/dags/{dag_id}/dagVersions``)."""
