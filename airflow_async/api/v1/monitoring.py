"""Health and version: ``client.monitoring``."""

from __future__ import annotations

from ...models import HealthInfo, VersionInfo
from .._base import Resource


class MonitoringResource(Resource):
    """The monitoring endpoints (``/health``, ``/version``)."""

    async def health(self) -> HealthInfo:
        """The health of the metadata database, scheduler and other components."""
        return await self._one("GET", ("health",), HealthInfo)

    async def version(self) -> VersionInfo:
        """The server's Airflow version."""
        return await self._one("GET", ("version",), VersionInfo)
