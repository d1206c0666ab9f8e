"""Connections: ``client.connections``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypedDict, Unpack

from ..._validate import UNSET, UnsetType, check_id, given
from ...errors import UsageError
from ...models import Connection, ConnectionTest
from ...pagination import Paginator
from .._base import PageOptions, Resource, split_options


def _conn_key(c: Connection) -> str:
    return c.connection_id


#: ``extra`` as a JSON string, or a mapping the client encodes.
Extra = str | Mapping[str, Any] | None


class ConnectionFields(TypedDict, total=False):
    """The optional fields of a connection, for ``create`` and ``test``.

    Attributes:
        description: What it is for.
        host, login, schema, port, password: Where and how to connect.
        extra: A JSON string, or a mapping the client encodes as JSON.
    """

    description: str | None
    host: str | None
    login: str | None
    schema: str | None
    port: int | None
    password: str | None
    extra: Extra


class ConnectionResource(Resource):
    """The connection endpoints (``/connections``). The API never returns passwords."""

    def list(
        self,
        *,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[Connection]:
        """List connections."""
        return self._paginate(
            ("connections",),
            "connections",
            Connection,
            _conn_key,
            params={"order_by": order_by},
            paging=paging,
        )

    async def get(self, connection_id: str) -> Connection:
        """Get one connection."""
        return await self._one("GET", ("connections", check_id("connection_id", connection_id)), Connection)

    async def create(
        self,
        connection_id: str,
        conn_type: str,
        **fields: Unpack[ConnectionFields],
    ) -> Connection:
        """Create a connection (``POST``; not retried once it may have reached the server).

        Takes the fields of :class:`ConnectionFields` (``host``, ``login``, ``password``,
        ``port``, ``extra`` as a JSON string or a mapping...).

        Raises:
            Conflict: A connection with this id exists.
            BadRequest: The id has characters the server refuses, or a field is invalid.
        """
        body = _settings(connection_id, conn_type, fields, "connections.create")
        return await self._one("POST", ("connections",), Connection, json=body)

    async def update(
        self,
        connection_id: str,
        *,
        conn_type: str | UnsetType = UNSET,
        description: str | UnsetType | None = UNSET,
        host: str | UnsetType | None = UNSET,
        login: str | UnsetType | None = UNSET,
        schema: str | UnsetType | None = UNSET,
        port: int | UnsetType | None = UNSET,
        password: str | UnsetType | None = UNSET,
        extra: Extra | UnsetType = UNSET,
    ) -> Connection:
        """Change the fields given, and only those (``PATCH`` with an ``update_mask``).

        Arguments left :data:`~airflow_async.UNSET` are not sent; ``None`` clears a field. The
        id cannot change. Setting values is safe to repeat, so this PATCH is retried.
        """
        fields = given(
            conn_type=conn_type,
            description=description,
            host=host,
            login=login,
            schema=schema,
            port=port,
            password=password,
            extra=extra,
        )
        mask = self._update_mask(
            fields, accepts="conn_type=, description=, host=, login=, schema=, port=, password=, extra="
        )
        body = self._patch_body(connection_id, _body(**fields, keep_none=True))
        return await self._one(
            "PATCH",
            ("connections", connection_id),
            Connection,
            params={"update_mask": mask},
            json=body,
            idempotent=True,
        )

    def _patch_body(self, connection_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """The body of a connection's PATCH: on v1, the id and the fields named in the mask."""
        return {"connection_id": check_id("connection_id", connection_id), **fields}

    async def delete(self, connection_id: str) -> None:
        """Delete a connection."""
        await self._call("DELETE", ("connections", check_id("connection_id", connection_id)))

    async def test(
        self,
        conn_type: str,
        *,
        connection_id: str = "airflow_async_test",
        **fields: Unpack[ConnectionFields],
    ) -> ConnectionTest:
        """Test connection settings with their hook, without saving them.

        Takes the fields of :class:`ConnectionFields`, like :meth:`create`.

        Raises:
            Forbidden: Testing connections is disabled (``[core] test_connection``, the default).
        """
        body = _settings(connection_id, conn_type, fields, "connections.test")
        # Nothing is stored: repeating the test is harmless.
        return await self._one("POST", ("connections", "test"), ConnectionTest, json=body, idempotent=True)


def _settings(connection_id: str, conn_type: str, fields: ConnectionFields, where: str) -> dict[str, Any]:
    split_options(fields, ConnectionFields, where)
    return _body(
        connection_id=check_id("connection_id", connection_id),
        conn_type=check_id("conn_type", conn_type),
        **fields,
    )


def _body(*, keep_none: bool = False, **fields: Any) -> dict[str, Any]:
    port = fields.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
        raise UsageError(f"port must be an int from 1 to 65535, got {port!r}")
    extra = fields.get("extra")
    if isinstance(extra, Mapping):
        fields["extra"] = json.dumps(dict(extra))
    elif extra is not None and not isinstance(extra, str):
        raise UsageError(f"extra must be a JSON string or a dict, got {type(extra).__name__}")
    return {k: v for k, v in fields.items() if keep_none or v is not None}
