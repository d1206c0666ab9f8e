"""API v2 pools and connections: ``client.pools``, ``client.connections`` on Airflow 3.

The same operations as v1 but for the body of a change: v2 validates a PATCH body as a whole
object (a pool's ``pool`` and ``include_deferred``, a connection's ``conn_type`` are required
even when the update mask names none of them, and are ignored then; checked on 3.3.2), and it
cannot rename a pool. Both add the bulk ``PATCH``; connections add the default connections and
the connection tests a worker runs (3.3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from ..._validate import check_bool, check_id
from ...errors import NotSupportedByServer
from ...models import BulkResult, ConnectionTestStatus
from .._base import since
from ..v1.connections import ConnectionFields, _body, _settings
from ..v1.connections import ConnectionResource as V1ConnectionResource
from ..v1.pools import PoolResource as V1PoolResource
from ._bulk import send_bulk


class PoolResource(V1PoolResource):
    """The pool endpoints of API v2 (``/pools``): v1's, with v2's PATCH body, plus ``bulk``."""

    def _patch_body(self, name: str, fields: dict[str, Any]) -> dict[str, Any]:
        """v2 wants ``pool`` (the name, which it cannot change) and ``include_deferred`` in every body."""
        if "name" in fields:
            raise NotSupportedByServer(
                "Airflow 3 cannot rename a pool (the body's pool name must match the URL's): create "
                "one with the new name and delete the old one",
                needs="API v1 (Airflow 2)",
            )
        return {"pool": name, "include_deferred": False, **fields}

    async def bulk(
        self,
        *,
        create: Sequence[Mapping[str, Any]] | None = None,
        update: Sequence[Mapping[str, Any]] | None = None,
        delete: Sequence[str] | None = None,
        action_on_existence: str = "fail",
        action_on_non_existence: str = "fail",
        update_mask: Sequence[str] | None = None,
    ) -> BulkResult:
        """Create, update and delete pools in one request (``PATCH /pools``).

        An entity dict holds ``create``'s arguments: ``{"name": ..., "slots": ...,
        "description": ..., "include_deferred": ...}`` (``description`` and
        ``include_deferred`` optional). Airflow validates an update body as a whole pool (a
        422 for the whole request on 3.3.2 when ``slots`` or ``include_deferred`` is missing);
        with an ``update_mask`` (Airflow 3.1+) that leaves them out, the client fills them with
        placeholders the server ignores, so ``{"name": "p", "description": "d"}`` with
        ``update_mask=["description"]`` works. Without a mask, pass every field. A pool cannot
        be renamed. ``delete`` takes pool names (``default_pool`` cannot be deleted).

        See :func:`~airflow_async.api.v2._bulk.send_bulk` for the choices and the retries. The
        server answers 200 even when items failed: check :attr:`BulkResult.ok` or call
        :meth:`BulkResult.raise_for_errors`.
        """
        return await send_bulk(
            self,
            ("pools",),
            create=create,
            update=_masked_pools(update, update_mask),
            delete=delete,
            action_on_existence=action_on_existence,
            action_on_non_existence=action_on_non_existence,
            update_mask=update_mask,
        )


class ConnectionResource(V1ConnectionResource):
    """The connection endpoints of API v2 (``/connections``): v1's, with v2's PATCH body, and more.

    Adds ``bulk``, ``create_defaults``, and the tests a worker runs (``enqueue_test``,
    ``test_result``, Airflow 3.3+).
    """

    def _patch_body(self, connection_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """v2 wants ``conn_type`` in every body; outside the mask its value is ignored."""
        return {"conn_type": "generic", **super()._patch_body(connection_id, fields)}

    async def bulk(
        self,
        *,
        create: Sequence[Mapping[str, Any]] | None = None,
        update: Sequence[Mapping[str, Any]] | None = None,
        delete: Sequence[str] | None = None,
        action_on_existence: str = "fail",
        action_on_non_existence: str = "fail",
        update_mask: Sequence[str] | None = None,
    ) -> BulkResult:
        """Create, update and delete connections in one request (``PATCH /connections``).

        An entity dict holds ``create``'s arguments: ``{"connection_id": ..., "conn_type":
        ..., "host": ..., "login": ..., "password": ..., "port": ..., "schema": ...,
        "extra": ..., "description": ...}``, all but the first two optional; ``extra`` may be
        a JSON string or a mapping the client encodes. An update body is validated as a whole
        connection, so it needs ``conn_type``. ``delete`` takes connection ids. On 3.3.2 the
        server does not apply ``update_mask`` (Airflow 3.1+) to connections (apache/airflow
        #72486): an update writes every field its body holds.

        See :func:`~airflow_async.api.v2._bulk.send_bulk` for the choices and the retries. The
        server answers 200 even when items failed: check :attr:`BulkResult.ok` or call
        :meth:`BulkResult.raise_for_errors`.
        """
        return await send_bulk(
            self,
            ("connections",),
            create=_connection_entities(create),
            update=_connection_entities(update),
            delete=delete,
            action_on_existence=action_on_existence,
            action_on_non_existence=action_on_non_existence,
            update_mask=update_mask,
        )

    async def create_defaults(self) -> None:
        """Create Airflow's default connections (``aws_default``, ``postgres_default``... ~60 of them).

        Connections that exist keep their settings (the server adds only the missing ids), so
        repeating it is harmless and it is retried. List the connections before and after to
        learn which ids it added.
        """
        await self._call("POST", ("connections", "defaults"), idempotent=True)

    @since("3.3.0")
    async def enqueue_test(
        self,
        connection_id: str,
        conn_type: str,
        *,
        commit_on_success: bool = False,
        executor: str | None = None,
        queue: str | None = None,
        **fields: Unpack[ConnectionFields],
    ) -> ConnectionTestStatus:
        """Queue a test of connection settings for a worker to run; poll it with :meth:`test_result`.

        Takes the fields of :class:`ConnectionFields`, like :meth:`create`. Not retried once it
        may have reached the server (a second test of the same connection while one is active
        is a 409).

        Args:
            connection_id: The connection tested (an existing one's stored credentials are
                used when the settings keep its host and port).
            conn_type: Its type.
            commit_on_success: Save the settings as the connection when the test succeeds.
            executor: The executor to run it on (422 when not configured).
            queue: The worker queue.

        Returns:
            Its ``token`` and ``state`` (``"pending"``).

        Raises:
            Forbidden: Testing connections is disabled (``[core] test_connection``, whose
                default is ``Disabled``), or the user may not test this connection.
            Conflict: A test of this connection is already active.
        """
        body = _settings(connection_id, conn_type, fields, "connections.enqueue_test")
        body["commit_on_success"] = check_bool("commit_on_success", commit_on_success)
        if executor is not None:
            body["executor"] = check_id("executor", executor)
        if queue is not None:
            body["queue"] = check_id("queue", queue)
        return await self._one("POST", ("connections", "enqueue-test"), ConnectionTestStatus, json=body)

    @since("3.3.0")
    async def test_result(self, token: str) -> ConnectionTestStatus:
        """The state of a test queued with :meth:`enqueue_test`, by its token.

        The server takes the token in the ``Airflow-Connection-Test-Token`` header; a read, so
        it is retried like any other.

        Raises:
            NotFound: No test has this token (or the user may not read its connection).
        """
        segments = ("connections", "enqueue-test")
        data = await self._call(
            "GET", segments, headers={"Airflow-Connection-Test-Token": check_id("token", token)}
        )
        return self._structure(data, ConnectionTestStatus, source=lambda: ("GET", str(self._t.url(segments))))


#: What a pool update body must hold (3.3.2), with a placeholder a mask leaving it out ignores.
_POOL_PLACEHOLDERS = {"slots": 0, "include_deferred": False}


def _masked_pools(
    entities: Sequence[Mapping[str, Any]] | None, update_mask: Sequence[str] | None
) -> Sequence[Mapping[str, Any]] | None:
    """Pool update bodies with the fields the mask leaves out filled in (the server ignores them)."""
    if entities is None or update_mask is None or isinstance(entities, str | bytes | Mapping):
        return entities  # send_bulk words the errors
    fill = {name: value for name, value in _POOL_PLACEHOLDERS.items() if name not in update_mask}
    return [{**fill, **entity} if isinstance(entity, Mapping) else entity for entity in entities]


def _connection_entities(entities: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Connection bodies as the API takes them: ``extra`` as JSON text, ``port`` checked."""
    if entities is None or isinstance(entities, str | bytes | Mapping):
        return entities  # type: ignore[return-value]  # send_bulk words the error
    return [_body(**entity) if isinstance(entity, Mapping) else entity for entity in entities]
