"""Turning exceptions into one readable line that says what to do, and an exit code."""

from __future__ import annotations

from typing import Any, Final

from yarl import URL

from .. import errors
from .config import CLIUsageError

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_RUN_FAILED",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "CommandFailed",
    "exit_code_for",
    "format_error",
]

#: Everything worked.
EXIT_OK: Final = 0
#: An error: the server refused, could not be reached, or answered something unusable.
EXIT_ERROR: Final = 1
#: The command line or environment was not usable (argparse uses 2 as well).
EXIT_USAGE: Final = 2
#: A harvest or export finished, but some entries failed (see the failures file).
EXIT_PARTIAL: Final = 3
#: ``runs trigger --wait``: the run finished in the ``failed`` state.
EXIT_RUN_FAILED: Final = 4
#: Stopped by Ctrl-C (SIGINT).
EXIT_INTERRUPTED: Final = 130
#: Stopped by SIGTERM.
EXIT_TERMINATED: Final = 143
#: Standard output was closed by its reader (``| head``), as a process killed by SIGPIPE.
EXIT_BROKEN_PIPE: Final = 141


class CommandFailed(Exception):
    """A command could not do its job for a reason it already explains (exit code 1 unless given)."""

    def __init__(self, message: str, *, exit_code: int = EXIT_ERROR) -> None:
        self.exit_code = exit_code
        super().__init__(message)


def _origin(url: str) -> str:
    try:
        u = URL(url)
        return str(u.origin()) if u.is_absolute() and u.host else url
    except (ValueError, TypeError):
        return url


def _api_path(url: str) -> str:
    try:
        return URL(url).path or url
    except (ValueError, TypeError):
        return url


#: The line for each error that needs nothing but its own fields, the first match winning (a
#: subclass before its base). Fields: ``exc``; ``origin``, the server; ``fix``, how to give other
#: credentials; ``path``, the request's API path; ``detail``, an API error's detail or title;
#: ``reason``, why a connection failed; ``content_type``, what a server sent that is not the API.
_LINES: Final[tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...]] = (
    (errors.Unauthorized, "401 from {origin}: wrong username or password ({fix})"),
    (errors.SessionAuthUnsupported, "{exc} (use --auth basic)"),
    (errors.NotFound, "404 from {origin}: {detail} ({exc.method} {path}; check the ids and --url)"),
    (
        errors.ServerError,
        "{exc.status} from {origin}: the server failed on {exc.method} {path}: {detail} "
        "(see the Airflow webserver log; retry later or lower --concurrency)",
    ),
    (errors.APIError, "{exc.status} from {origin}: {detail} ({exc.method} {path})"),
    (
        errors.ConnectError,
        "cannot connect to {origin}: is Airflow running? (check --url or AIRFLOW_URL; {reason})",
    ),
    (errors.RequestTimeout, "no answer from {origin} in time: raise --timeout or lower --concurrency"),
    (
        errors.TransportError,
        "lost the connection to {origin}: {exc.message} (run again; --resume continues a harvest)",
    ),
    (
        errors.DecodeError,
        "{origin} did not answer like Airflow's REST API ({exc.reason}; got {content_type} content): "
        "check --url",
    ),
    (errors.HarvestAborted, "{exc} (run again with --resume once the server is back)"),
    ((CLIUsageError, CommandFailed, errors.AirflowError), "{exc}"),
)


def _fields(exc: BaseException, origin: str, fix: str) -> dict[str, Any]:
    """What the templates of :data:`_LINES` may name."""
    default = "not found" if isinstance(exc, errors.NotFound) else "no details"
    return {
        "exc": exc,
        "origin": origin,
        "fix": fix,
        "path": _api_path(str(getattr(exc, "url", ""))),
        "detail": getattr(exc, "detail", None) or getattr(exc, "title", None) or default,
        "reason": _reason(str(getattr(exc, "message", ""))),
        "content_type": getattr(exc, "content_type", None) or "no",
    }


def _forbidden(exc: errors.Forbidden, origin: str, fix: str, username: str | None, wrong: bool | None) -> str:
    who = f"user {username!r}" if username else "these credentials"
    if wrong:
        return f"403 from {origin}: wrong username or password ({fix})"
    if wrong is None:
        return (
            f"403 from {origin}: {exc.method} {_api_path(exc.url)} was refused: wrong username or "
            f"password, or {who} lacks the permission ({fix}; or ask an Airflow admin "
            "for a role with this permission)"
        )
    return (
        f"403 from {origin}: {who} may not {exc.method} {_api_path(exc.url)} "
        "(ask an Airflow admin for a role with this permission)"
    )


def _login_failed(exc: errors.LoginFailed, origin: str, fix: str) -> str:
    why = str(exc).split(" failed: ", 1)[-1]
    if "wrong username or password" in why:
        return f"login to {origin} failed: wrong username or password ({fix})"
    return f"login to {origin} failed: {why} (try --auth basic)"


def format_error(
    exc: BaseException,
    *,
    server: str,
    credential_fix: str,
    username: str | None = None,
    wrong_credentials: bool | None = False,
) -> str:
    """One line describing ``exc`` for a person, with the fix when there is one.

    Args:
        exc: The error.
        server: The server URL the command used (``--url``).
        credential_fix: How to supply other credentials ("set AIRFLOW_PASSWORD or ...").
        username: The user name, to name in permission errors.
        wrong_credentials: For a 403: whether the credentials themselves were found wrong
            (``None``: it could be either, as with basic auth when the check was impossible).
    """
    origin = _origin(server)
    if isinstance(exc, errors.Forbidden):
        return _forbidden(exc, origin, credential_fix, username, wrong_credentials)
    if isinstance(exc, errors.LoginFailed):
        return _login_failed(exc, origin, credential_fix)
    for kinds, template in _LINES:
        if isinstance(exc, kinds):
            return template.format_map(_fields(exc, origin, credential_fix))
    if isinstance(exc, TimeoutError):
        return str(exc) or "timed out"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror or exc}"
    return f"unexpected error: {type(exc).__name__}: {exc} (run with --debug for the traceback)"


def _reason(message: str) -> str:
    # The transport says "cannot connect to host:port: <os error>; is the server running ...".
    text = message.split(": ", 1)[-1] if message.startswith("cannot connect") else message
    return text.split(";", 1)[0].strip()


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an error that ended a command."""
    if isinstance(exc, CommandFailed):
        return exc.exit_code
    if isinstance(exc, CLIUsageError | errors.UsageError):
        return EXIT_USAGE
    return EXIT_ERROR
