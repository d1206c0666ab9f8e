"""API v2 health and version: ``client.monitoring``."""

from __future__ import annotations

from ...models import HealthInfo, VersionInfo
from .._base import Resource


class MonitoringResource(Resource):
    """The monitoring endpoints (``/monitor/health``, ``/version``)."""

    async def health(self) -> HealthInfo:
        """The health of the metadatabase, scheduler, triggerer and DAG processor."""
        return await self._one("GET", ("monitor", "health"), HealthInfo)

    async def version(self) -> VersionInfo:
        """The server's Airflow version."""
        return await self._one("GET", ("version",), VersionInfo)
