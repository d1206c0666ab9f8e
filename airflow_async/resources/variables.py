"""Variables: ``client.variables``."""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..models import Variable
from ..pagination import Paginator
from ._base import Resource, check_id


def _var_key(v: Variable) -> str:
    return v.key


class VariableResource(Resource):
    """The variable endpoints (``/variables``)."""

    def list(self, *, page_size: int = 100, max_items: int | None = None) -> Paginator[Variable]:
        """List variables (values included)."""
        return self._paginate(
            ("variables",), "variables", Variable, _var_key, page_size=page_size, max_items=max_items
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

    async def delete(self, key: str) -> None:
        """Delete a variable."""
        await self._call("DELETE", ("variables", check_id("key", key)))


def _body(key: str, value: str, description: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"key": check_id("key", key), "value": value}
    if description is not None:
        body["description"] = description
    return body
