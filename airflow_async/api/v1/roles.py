"""Roles and permissions: ``client.roles`` and ``client.permissions``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Unpack

from ..._validate import UNSET, UnsetType, check_id
from ...errors import UsageError
from ...models._convert import structure
from ...models.v1 import Action, Role
from ...pagination import Paginator
from .._base import PageOptions, Resource

#: A permission as an ``(action, resource)`` pair, e.g. ``("can_read", "DAGs")``.
Permission = tuple[str, str]


def _role_key(r: Role) -> str:
    return r.name


def _action_key(a: Action) -> str:
    return a.name


class RoleResource(Resource):
    """The role endpoints (``/roles``) of the FAB auth manager."""

    def list(
        self,
        *,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[Role]:
        """List roles with their permissions."""
        return self._paginate(
            ("roles",),
            "roles",
            Role,
            _role_key,
            params={"order_by": order_by},
            paging=paging,
        )

    async def get(self, name: str) -> Role:
        """Get one role."""
        return await self._one("GET", ("roles", check_id("name", name)), Role)

    async def create(self, name: str, permissions: Iterable[Permission] = ()) -> Role:
        """Create a role with ``(action, resource)`` permissions, e.g. ``[("can_read", "DAGs")]``.

        The 2.11 server answers an empty object, so the role is read back with a second request.

        Raises:
            Conflict: A role with this name exists.
            BadRequest: An action or resource does not exist.
        """
        body = {"name": check_id("name", name), "actions": _actions(permissions)}
        data = await self._call("POST", ("roles",), json=body)
        if isinstance(data, dict) and "name" in data:
            return structure(data, Role, source=lambda: ("POST", str(self._t.url(("roles",)))))
        return await self.get(name)

    async def update(
        self,
        name: str,
        *,
        new_name: str | UnsetType = UNSET,
        add_permissions: Iterable[Permission] | UnsetType = UNSET,
    ) -> Role:
        """Rename a role, add permissions to it, or both (``PATCH`` with an ``update_mask``).

        The server *adds* the permissions given and never removes any: a PATCH cannot take a
        permission away from a role (the FAB security manager only syncs additions).
        Retried when it does not rename the role.
        """
        body: dict[str, Any] = {"name": check_id("name", name)}
        fields = []
        if new_name is not UNSET:
            body["name"] = check_id("new_name", new_name)
            fields.append("name")
        if add_permissions is not UNSET:
            body["actions"] = _actions(add_permissions)
            fields.append("actions")
        mask = self._update_mask(fields, accepts="new_name= or add_permissions=")
        return await self._one(
            "PATCH",
            ("roles", name),
            Role,
            params={"update_mask": mask},
            json=body,
            idempotent=new_name is UNSET,
        )

    async def delete(self, name: str) -> None:
        """Delete a role."""
        await self._call("DELETE", ("roles", check_id("name", name)))


class PermissionResource(Resource):
    """The permission endpoint (``/permissions``): the actions roles can be granted."""

    def list(self, **paging: Unpack[PageOptions]) -> Paginator[Action]:
        """List the permission actions (``can_read``, ``can_edit``...)."""
        return self._paginate(
            ("permissions",),
            "actions",
            Action,
            _action_key,
            paging=paging,
        )


def _actions(permissions: Iterable[Permission]) -> list[dict[str, Any]]:
    if isinstance(permissions, str) or (
        isinstance(permissions, tuple)
        and len(permissions) == 2
        and all(isinstance(x, str) for x in permissions)
    ):
        raise UsageError(
            "permissions takes a list of (action, resource) pairs, e.g. [('can_read', 'DAGs')], "
            f"got {permissions!r}"
        )
    out = []
    for p in permissions:
        if not (isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(x, str) and x for x in p)):
            raise UsageError(
                f"each permission is an (action, resource) pair such as ('can_read', 'DAGs'), got {p!r}"
            )
        out.append({"action": {"name": p[0]}, "resource": {"name": p[1]}})
    return out
