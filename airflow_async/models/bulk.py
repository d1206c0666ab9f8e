"""Models of API v2 only (bulk): what a bulk ``PATCH`` answered, action by action.

The bulk endpoints (``PATCH /variables``, ``/pools``, ``/connections``, a run's task instances,
a DAG's runs) answer 200 even when items failed: each action lists the keys that succeeded and
the errors it met. A :class:`BulkResult` never raises on its own; read :attr:`BulkResult.ok`
(or :attr:`BulkResult.errors`), or call :meth:`BulkResult.raise_for_errors` to turn the first
error into the library's typed exception (:class:`~airflow_async.errors.Conflict` for an
existing key, :class:`~airflow_async.errors.NotFound` for a missing one...).
"""

from __future__ import annotations

from typing import Any

import attrs

from ..errors import error_for_status

__all__ = ["BulkActionResult", "BulkItemError", "BulkResult"]

#: The actions of a bulk body, in the order the library sends them.
BULK_ACTIONS = ("create", "update", "delete")


@attrs.frozen(kw_only=True)
class BulkItemError:
    """One error a bulk action met.

    Attributes:
        message: What the server said (``"The variables with these keys: {'k'} already exist."``).
        status_code: The HTTP status the server gives the error (409 exists, 404 not found,
            400 bad field); ``None`` when it gave none (a body that failed validation).
        raw: The error object as the server sent it.
    """

    message: str
    status_code: int | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False)


@attrs.frozen(kw_only=True)
class BulkActionResult:
    """The outcome of one action (create, update or delete) of a bulk request.

    Attributes:
        success: The ids or keys the action applied to, in the server's order.
        errors: The errors it met. The server stops an action at its first error (for
            ``"fail"``, before changing anything of that action), so one error usually
            names every offending key.
    """

    success: tuple[str, ...] = ()
    errors: tuple[BulkItemError, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the action met no error."""
        return not self.errors


@attrs.frozen(kw_only=True)
class BulkResult:
    """What a bulk request did: one :class:`BulkActionResult` per action sent (``None`` if not sent).

    Attributes:
        create, update, delete: The result of each action.
        url: The URL the request went to (for :meth:`raise_for_errors`'s message).
    """

    create: BulkActionResult | None = None
    update: BulkActionResult | None = None
    delete: BulkActionResult | None = None
    url: str = ""

    @property
    def ok(self) -> bool:
        """True when no action met an error."""
        return not self.errors

    @property
    def errors(self) -> list[tuple[str, BulkItemError]]:
        """Every error, as ``(action, error)`` pairs in the order create, update, delete."""
        return [
            (name, error)
            for name in BULK_ACTIONS
            if (result := getattr(self, name)) is not None
            for error in result.errors
        ]

    def raise_for_errors(self) -> BulkResult:
        """Raise the typed error of the first error met, if any; else return the result itself.

        The exception's class follows the error's status (409 :class:`~airflow_async.errors.
        Conflict`, 404 :class:`~airflow_async.errors.NotFound`, 400 ``BadRequest``; an error
        without a status is a 422 :class:`~airflow_async.errors.ValidationError`) and its
        detail lists every error, prefixed by its action. The actions that succeeded stay
        applied on the server: a bulk request is not a transaction across actions.
        """
        errors = self.errors
        if not errors:
            return self
        first = errors[0][1]
        detail = "; ".join(f"{name}: {error.message}" for name, error in errors)
        raise error_for_status(
            first.status_code or 422, method="PATCH", url=self.url, body={"detail": detail}
        )
