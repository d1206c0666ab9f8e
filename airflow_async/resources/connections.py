"""Connections: ``client.connections``."""

from __future__ import annotations

from ..models import Connection
from ..pagination import Paginator
from ._base import Resource, check_id


def _conn_key(c: Connection) -> str:
    return c.connection_id


class ConnectionResource(Resource):
    """The connection endpoints (``/connections``). The API never returns passwords."""

    def list(self, *, page_size: int = 100, max_items: int | None = None) -> Paginator[Connection]:
        """List connections."""
        return self._paginate(
            ("connections",), "connections", Connection, _conn_key, page_size=page_size, max_items=max_items
        )

    async def get(self, connection_id: str) -> Connection:
        """Get one connection."""
        return await self._one("GET", ("connections", check_id("connection_id", connection_id)), Connection)
