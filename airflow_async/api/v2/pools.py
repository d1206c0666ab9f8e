"""API v2 pools and connections: ``client.pools``, ``client.connections`` on Airflow 3.

The same operations as v1 but for the body of a change: v2 validates a PATCH body as a whole
object (a pool's ``pool`` and ``include_deferred``, a connection's ``conn_type`` are required
even when the update mask names none of them, and are ignored then; checked on 3.3.2), and it
cannot rename a pool.
"""

from __future__ import annotations

from typing import Any

from ...errors import NotSupportedByServer
from ..v1.connections import ConnectionResource as V1ConnectionResource
from ..v1.pools import PoolResource as V1PoolResource


class PoolResource(V1PoolResource):
    """The pool endpoints of API v2 (``/pools``): v1's, with v2's PATCH body."""

    def _patch_body(self, name: str, fields: dict[str, Any]) -> dict[str, Any]:
        """v2 wants ``pool`` (the name, which it cannot change) and ``include_deferred`` in every body."""
        if "name" in fields:
            raise NotSupportedByServer(
                "Airflow 3 cannot rename a pool (the body's pool name must match the URL's): create "
                "one with the new name and delete the old one",
                needs="API v1 (Airflow 2)",
            )
        return {"pool": name, "include_deferred": False, **fields}


class ConnectionResource(V1ConnectionResource):
    """The connection endpoints of API v2 (``/connections``): v1's, with v2's PATCH body."""

    def _patch_body(self, connection_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """v2 wants ``conn_type`` in every body; outside the mask its value is ignored."""
        return {"conn_type": "generic", **super()._patch_body(connection_id, fields)}
