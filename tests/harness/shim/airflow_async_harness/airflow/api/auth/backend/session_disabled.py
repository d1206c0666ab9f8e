"""API auth backend for the harness's SECOND webserver: authenticates nobody.

Why it exists: Airflow 2.11.2 cannot run its v1 API without the session backend.
``AirflowConfigParser._upgrade_auth_backends`` appends ``airflow.api.auth.backend.session`` to
any ``[api] auth_backends`` that does not already contain that string, and FAB's basic_auth
backend lets a request without an Authorization header through when ``AUTH_ROLE_PUBLIC`` is set
(FAB defaults it to "Public"), after which Flask-Login's user from the session cookie is
authorized. So ``AIRFLOW__API__AUTH_BACKENDS=...basic_auth`` alone still accepts a UI session
cookie on the API.

The second webserver therefore uses ``auth_backends = airflow.api.auth.backend.basic_auth,
airflow_async_harness.airflow.api.auth.backend.session_disabled`` (this module's dotted name
contains the magic substring, so nothing is appended) and ``AUTH_ROLE_PUBLIC = None``: basic
auth works, a session cookie alone gets 401 - an Airflow whose API does not take UI sessions.
Loaded by the Airflow venv's python via PYTHONPATH=tests/harness/shim (second server only).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response

CLIENT_AUTH = None


def init_app(_: Any) -> None:
    """Nothing to initialize."""


def requires_authentication(function: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(function)
    def decorated(*args: Any, **kwargs: Any) -> Response:
        return Response("Unauthorized", 401, {"WWW-Authenticate": "Basic"})

    return decorated
