"""Users: ``client.users``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Unpack

from ..._validate import UNSET, UnsetType, check_id, check_strings, given
from ...errors import UsageError
from ...models.v1 import User
from ...pagination import Paginator
from .._base import PageOptions, Resource


def _user_key(u: User) -> str:
    return u.username


class UserResource(Resource):
    """The user endpoints (``/users``) of the FAB auth manager. Passwords are never returned."""

    def list(
        self,
        *,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[User]:
        """List users."""
        return self._paginate(
            ("users",),
            "users",
            User,
            _user_key,
            params={"order_by": order_by},
            paging=paging,
        )

    async def get(self, username: str) -> User:
        """Get one user."""
        return await self._one("GET", ("users", check_id("username", username)), User)

    async def create(
        self,
        username: str,
        *,
        password: str,
        email: str,
        first_name: str,
        last_name: str,
        roles: Sequence[str] | None = None,
    ) -> User:
        """Create a user (``POST``; not retried once it may have reached the server).

        ``roles`` are role names; without them the user gets the server's default role.

        Raises:
            Conflict: The username or email is taken.
            BadRequest: A role does not exist, or a field is invalid.
        """
        body: dict[str, Any] = {
            "username": check_id("username", username),
            "password": check_id("password", password),
            "email": check_id("email", email),
            "first_name": check_id("first_name", first_name),
            "last_name": check_id("last_name", last_name),
        }
        if roles is not None:
            body["roles"] = _roles(roles)
        return await self._one("POST", ("users",), User, json=body)

    async def update(
        self,
        username: str,
        *,
        new_username: str | UnsetType = UNSET,
        password: str | UnsetType = UNSET,
        email: str | UnsetType = UNSET,
        first_name: str | UnsetType = UNSET,
        last_name: str | UnsetType = UNSET,
        roles: Sequence[str] | UnsetType = UNSET,
    ) -> User:
        """Change the fields given, and only those (``PATCH`` with an ``update_mask``).

        ``roles`` replaces the user's roles. The server validates a whole user even when the
        mask names one field, so the user is read first (one extra GET) to fill in the fields
        it requires. Retried when it does not rename the user.
        """
        for name, value in (
            ("new_username", new_username),
            ("password", password),
            ("email", email),
            ("first_name", first_name),
            ("last_name", last_name),
        ):
            if value is not UNSET:
                check_id(name, value)
        fields = given(
            username=new_username,
            password=password,
            email=email,
            first_name=first_name,
            last_name=last_name,
            roles=UNSET if roles is UNSET else _roles(roles),
        )
        mask = self._update_mask(
            fields, accepts="new_username=, password=, email=, first_name=, last_name=, roles="
        )
        current = await self.get(username)
        body = {
            "username": current.username,
            "email": current.email,
            "first_name": current.first_name,
            "last_name": current.last_name,
            **fields,
        }
        return await self._one(
            "PATCH",
            ("users", username),
            User,
            params={"update_mask": mask},
            json=body,
            idempotent=new_username is UNSET,
        )

    async def delete(self, username: str) -> None:
        """Delete a user."""
        await self._call("DELETE", ("users", check_id("username", username)))


def _roles(roles: Sequence[str]) -> list[dict[str, str]]:
    if isinstance(roles, Sequence) and not isinstance(roles, str) and not roles:
        return []  # no roles at all is a valid choice here
    names = check_strings("roles", roles) or []
    if not all(isinstance(r, str) and r for r in names):
        raise UsageError(f"roles takes role names, e.g. ['Viewer'], got {roles!r}")
    return [{"name": r} for r in names]
