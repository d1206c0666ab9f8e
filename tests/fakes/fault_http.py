"""HTTP plumbing of the fake Airflow server: routing, Problem JSON, parameter parsing."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web

from tests.fakes.fault_rules import FaultRule

ERROR_TYPE_BASE: Final = (
    "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html#section/Errors/"
)
PROBLEM_JSON: Final = "application/problem+json"
WRITE_ROUTES: Final = frozenset(
    {"dag_run_trigger", "variable_create", "variable_patch", "variable_delete"},
)
PUBLIC_ROUTES: Final = frozenset(
    {
        "health",
        "version",
        "login",
        "login_page",
        "login_redirect",
        "home",
        "not_found",
        "method_not_allowed",
        "token",
        "version_v2",
        "not_found_v2",
        "v1_removed",
    },
)
#: Routes of the minimal Airflow 3.3.2 (API v2) mode (``ServerConfig.api_v2``): their errors are
#: FastAPI's ``{"detail": ...}``, their auth a Bearer token from ``POST /auth/token``.
V2_ROUTES: Final = frozenset(
    {"token", "version_v2", "xcom_list_v2", "xcom_get_v2", "not_found_v2", "v1_removed"},
)


class Problem(Exception):
    """An API error, rendered as Problem JSON (``type`` from Airflow's error docs)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail
        self.kind = kind or {
            400: "BadRequest",
            401: "Unauthenticated",
            403: "PermissionDenied",
            404: "NotFound",
            409: "AlreadyExists",
        }.get(status, "Unknown")


def dumps(obj: object) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(obj, separators=(",", ":")).encode()


def json_response(obj: object, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.Response(body=dumps(obj), status=status, content_type="application/json")


def problem_response(
    status: int,
    title: str,
    detail: str | None,
    type_: str,
    instance: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A Problem JSON response (``application/problem+json``)."""
    body = {"detail": detail, "instance": instance, "status": status, "title": title, "type": type_}
    return web.Response(
        body=dumps(body),
        status=status,
        content_type=PROBLEM_JSON,
        headers=headers,
    )


def login_html(csrf: str, error: str | None = None) -> str:
    """The Flask-AppBuilder style login page with its hidden ``csrf_token`` input."""
    alert = f'<div class="alert alert-danger">{html.escape(error)}</div>' if error else ""
    return (
        "<!DOCTYPE html><html><head><title>Sign In - Airflow</title></head><body>"
        f'{alert}<form method="post" action="/login/" name="login">'
        f'<input id="csrf_token" name="csrf_token" type="hidden" value="{csrf}">'
        '<input id="username" name="username" type="text">'
        '<input id="password" name="password" type="password">'
        '<input class="btn btn-primary" type="submit" value="Sign In"></form></body></html>'
    )


def html_response(text: str, status: int = 200) -> web.Response:
    """An HTML response."""
    return web.Response(text=text, status=status, content_type="text/html")


def resolve(method: str, segs: list[str]) -> tuple[str, tuple[str, ...]]:
    """Map a method and decoded path segments to ``(route name, path args)``."""
    table: dict[str, str]
    args: tuple[str, ...] = ()
    match segs:
        case ["api", "v1", *rest]:
            pass
        case ["api", "v2", *rest]:
            return resolve_v2(method, rest)
        case ["auth", "token"]:
            return ("token" if method == "POST" else "method_not_allowed"), ()
        case ["login", ""]:
            return {"GET": "login_page", "POST": "login"}.get(method, "method_not_allowed"), ()
        case ["login"]:
            return "login_redirect", ()
        case ["home"] | [""]:
            return "home", ()
        case _:
            return "not_found", ()
    match rest:
        case ["health"]:
            table = {"GET": "health"}
        case ["version"]:
            table = {"GET": "version"}
        case ["dags"]:
            table = {"GET": "dags_list"}
        case ["dags", d]:
            table, args = {"GET": "dag_get"}, (d,)
        case ["dags", d, "dagRuns"]:
            table, args = {"GET": "dag_runs_list", "POST": "dag_run_trigger"}, (d,)
        case ["dags", "~", "dagRuns", "list"] if method == "POST":
            table = {"POST": "dag_runs_batch"}
        case ["dags", d, "dagRuns", r]:
            table, args = {"GET": "dag_run_get"}, (d, r)
        case ["dags", d, "dagRuns", r, "taskInstances"]:
            table, args = {"GET": "task_instances_list"}, (d, r)
        case ["dags", d, "dagRuns", r, "taskInstances", t]:
            table, args = {"GET": "task_instance_get"}, (d, r, t, "-1")
        case ["dags", d, "dagRuns", r, "taskInstances", t, "xcomEntries"]:
            table, args = {"GET": "xcom_list"}, (d, r, t)
        case ["dags", d, "dagRuns", r, "taskInstances", t, m]:
            table, args = {"GET": "task_instance_get"}, (d, r, t, m)
        case ["dags", d, "dagRuns", r, "taskInstances", t, "xcomEntries", k]:
            table, args = {"GET": "xcom_get"}, (d, r, t, k)
        case ["_echo", "dags", d, "dagRuns", r, "taskInstances", t, "xcomEntries", k]:
            table, args = {"GET": "xcom_echo"}, (d, r, t, k)
        case ["variables"]:
            table = {"GET": "variables_list", "POST": "variable_create"}
        case ["variables", k]:
            table = {"GET": "variable_get", "PATCH": "variable_patch", "DELETE": "variable_delete"}
            args = (k,)
        case _:
            return "not_found", ()
    return table.get(method, "method_not_allowed"), args


def resolve_v2(method: str, rest: list[str]) -> tuple[str, tuple[str, ...]]:
    """The few API v2 routes of the fake's Airflow 3 mode (version, XCom list and get)."""
    match rest:
        case ["version"] if method == "GET":
            return "version_v2", ()
        case ["dags", d, "dagRuns", r, "taskInstances", t, "xcomEntries"] if method == "GET":
            return "xcom_list_v2", (d, r, t)
        case ["dags", d, "dagRuns", r, "taskInstances", t, "xcomEntries", k] if method == "GET":
            return "xcom_get_v2", (d, r, t, k)
    return "not_found_v2", ()


@dataclass(slots=True)
class Ctx:
    """Per-request state handed to endpoint handlers."""

    request: web.Request
    route: str
    args: tuple[str, ...]
    path: str
    clamp: int | None = None
    mutations: list[FaultRule] = field(default_factory=list)


@dataclass(slots=True)
class Session:
    """A browser session: anonymous (``role`` None, holds the CSRF token) or logged in."""

    role: str | None
    csrf: str
    requests: int = 0


def parse_int(raw: str | None, name: str, default: int) -> int:
    """Parse an integer query parameter or raise a 400 :class:`Problem`."""
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise Problem(400, "Bad Request", f"'{raw}' is not of type 'integer' ({name})") from None


def parse_bool(raw: str | None, name: str, default: bool) -> bool:
    """Parse a boolean query parameter (true/false/1/0) or raise a 400 :class:`Problem`."""
    if raw is None:
        return default
    low = raw.lower()
    if low in ("true", "1"):
        return True
    if low in ("false", "0"):
        return False
    raise Problem(400, "Bad Request", f"'{raw}' is not of type 'boolean' ({name})")


def fmt_retry_after(value: int | float | str) -> str:
    """Render a ``Retry-After`` value (numbers as seconds, strings verbatim)."""
    return value if isinstance(value, str) else f"{value:g}"
