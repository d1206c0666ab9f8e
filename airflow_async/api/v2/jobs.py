"""API v2 jobs: ``client.jobs`` (Airflow 3)."""

from __future__ import annotations

from .._base import Resource


class JobResource(Resource):
    """The job endpoint of API v2 (``/jobs``): scheduler, triggerer and DAG-processor jobs."""
