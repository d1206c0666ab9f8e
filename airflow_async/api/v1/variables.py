"""Variables: ``client.variables``."""

from __future__ import annotations

from typing import Any, Unpack

from ..._validate import UNSET, UnsetType, check_id
from ...errors import NotFound, UsageError
from ...models import Variable
from ...pagination import Paginator
from .._base import PageOptions, Resource


def _var_key(v: Variable) -> str:
    return v.key


class VariableResource(Resource):
    """The variable endpoints (``/variables``)."""

    def list(
        self,
        *,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[Variable]:
        """List variables (values included)."""
        return self._paginate(
            ("variables",),
            "variables",
            Variable,
            _var_key,
            params={"order_by": order_by},
            paging=paging,
        )

    async def get(self, key: str) -> Variable:
        """Get one variable."""
        return await self._one("GET", ("variables", check_id("key", key)), Variable)

    async def create(self, key: str, value: str, *, description: str | None = None) -> Variable:
        """Create a variable (``POST``; not retried once it may have reached the server)."""
        return await self._one("POST", ("variables",), Variable, json=_body(key, value, description))

    async def set(self, key: str, value: str, *, description: str | None = None) -> Variable:
        """Create or overwrite a variable: ``PATCH`` it, or create it when it does not exist."""
        try:
            return await self._one(
                "PATCH",
                ("variables", check_id("key", key)),
                Variable,
                json=_body(key, value, description),
                idempotent=True,  # writing the same value twice is harmless
            )
        except NotFound:
            return await self.create(key, value, description=description)

    async def update(
        self,
        key: str,
        *,
        value: str | UnsetType = UNSET,
        description: str | UnsetType | None = UNSET,
    ) -> Variable:
        """Change the value, the description, or both, of an existing variable (``PATCH``).

        Arguments left :data:`~airflow_async.UNSET` keep their value on the server;
        ``description=None`` clears the description. Retried: setting values is safe to repeat.

        The 2.11 server refuses ``update_mask=value`` (it checks the mask against its internal
        field name) and wants a value in every body, so a value change is sent without a mask,
        and a description-only change with ``update_mask=description`` and a placeholder value
        the server ignores.

        Raises:
            NotFound: No such variable (use :meth:`set` to create it as needed).
        """
        if value is UNSET and description is UNSET:
            raise UsageError("nothing to update: pass value=, description= or both")
        if value is not UNSET and not isinstance(value, str):
            raise UsageError(f"value must be a string, got {type(value).__name__}")
        if description is not UNSET and not isinstance(description, str):
            raise UsageError(
                f"description must be a string, got {description!r}; the server cannot clear it, "
                "pass description='' to blank it"
            )
        body: dict[str, Any] = {"key": check_id("key", key), "value": "" if value is UNSET else value}
        if description is not UNSET:
            body["description"] = description
        return await self._one(
            "PATCH",
            ("variables", key),
            Variable,
            params={"update_mask": "description" if value is UNSET else None},
            json=body,
            idempotent=True,
        )

    async def delete(self, key: str) -> None:
        """Delete a variable."""
        await self._call("DELETE", ("variables", check_id("key", key)))


def _body(key: str, value: str, description: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"key": check_id("key", key), "value": value}
    if description is not None:
        body["description"] = description
    return body
