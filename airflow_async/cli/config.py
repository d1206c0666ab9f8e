"""Connection settings for the CLI: flags, environment variables and password sources.

Precedence, highest first: a flag, then the environment, then (for a password, only
when standard input is a terminal) an interactive prompt. Secrets are never echoed,
logged or shown in ``repr()``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, TextIO

import attrs

from ..auth import Auth, BasicAuth, BearerToken, PasswordAuth, SessionAuth
from ..client import DEFAULT_TIMEOUT, AirflowClient
from ..errors import AirflowError, LoginFailed
from .output import isatty

__all__ = [
    "AUTH_SCHEMES",
    "DEFAULT_URL",
    "CLIUsageError",
    "PasswordOnCommandLineWarning",
    "Settings",
    "resolve_settings",
]

#: The server used when neither ``--url`` nor ``AIRFLOW_URL`` is given.
DEFAULT_URL: Final = "http://127.0.0.1:8080"
#: The values ``--auth`` accepts.
AUTH_SCHEMES: Final = ("password", "session", "basic", "token")

_PASSWORD_FIX = "set AIRFLOW_PASSWORD or use --password-file"
_TOKEN_FIX = "set AIRFLOW_TOKEN or use --token-file"


class CLIUsageError(Exception):
    """The command line or the environment is not usable as given (exit code 2).

    The message says what is wrong and how to fix it.
    """


class PasswordOnCommandLineWarning(UserWarning):
    """``--password`` was used: the password lands in the shell history and the process list."""


@attrs.frozen(kw_only=True)
class Settings:
    """Everything needed to open a client; secrets are kept out of ``repr()``.

    Attributes:
        url: The server root.
        auth_scheme: ``password`` (the default: a token on Airflow 3, a session login on
            Airflow 2), ``session``, ``basic`` (Airflow 2 only) or ``token``.
        username: The user (``None`` with token auth).
        concurrency: Requests in flight at most (None: the API version's default).
        timeout: Seconds per request attempt.
    """

    url: str
    auth_scheme: str
    username: str | None
    concurrency: int | None
    timeout: float
    _secret: str = attrs.field(repr=False, alias="secret")

    def make_auth(self) -> Auth:
        """The auth object for these settings."""
        if self.auth_scheme == "token":
            return BearerToken(self._secret)
        assert self.username is not None
        if self.auth_scheme == "basic":
            return BasicAuth(self.username, self._secret)
        if self.auth_scheme == "session":
            return SessionAuth(self.username, self._secret)
        return PasswordAuth(self.username, self._secret)

    def make_client(self) -> AirflowClient:
        """An (unopened) client for these settings."""
        return AirflowClient(
            self.url, auth=self.make_auth(), max_concurrency=self.concurrency, timeout=self.timeout
        )

    async def password_rejected(self) -> bool | None:
        """Whether the login form rejects the user name and password (``None``: cannot tell).

        Airflow 2 answers 403, not 401, to wrong basic-auth credentials when its session
        backend is enabled too, so a 403 alone does not say whether the password is wrong
        or the user lacks a permission; one login attempt does.
        """
        if self.username is None:
            return None
        auth = SessionAuth(self.username, self._secret, strict=True)
        try:
            async with AirflowClient(self.url, auth=auth, timeout=self.timeout, retry=None) as client:
                await auth.prepare(client.transport)
        except LoginFailed as exc:
            return "wrong username or password" in str(exc)
        except AirflowError:
            return None
        return False

    def credential_fix(self) -> str:
        """What to tell the user when the server refuses the credentials."""
        return _TOKEN_FIX if self.auth_scheme == "token" else _PASSWORD_FIX


def _read_secret_file(path: str, what: str, stdin: TextIO) -> str:
    if path == "-":
        text = stdin.readline()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CLIUsageError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from None
    secret = text.rstrip("\r\n")
    if not secret:
        raise CLIUsageError(f"the {what} file {path} is empty")
    return secret


def _positive(name: str, value: object, kind: Callable[[str], float]) -> float:
    try:
        number = kind(str(value))
    except ValueError:
        raise CLIUsageError(f"{name} must be a positive number, got {value!r}") from None
    if number <= 0:
        raise CLIUsageError(f"{name} must be a positive number, got {value!r}")
    return number


def _pick(flag: object, env: Mapping[str, str], name: str, default: object) -> object:
    if flag is not None:
        return flag
    return env.get(name) or default


def _token(args: argparse.Namespace, env: Mapping[str, str], stdin: TextIO) -> str:
    if args.token_file:
        return _read_secret_file(args.token_file, "token", stdin)
    if env.get("AIRFLOW_TOKEN"):
        return env["AIRFLOW_TOKEN"]
    raise CLIUsageError(f"--auth token needs a token: {_TOKEN_FIX}")


def _password(
    args: argparse.Namespace,
    env: Mapping[str, str],
    stdin: TextIO,
    prompt: Callable[[str], str],
    ask: str,
) -> str:
    if args.password is not None and args.password_file:
        raise CLIUsageError("use either --password or --password-file, not both")
    if args.password_file:
        return _read_secret_file(args.password_file, "password", stdin)
    if args.password is not None:
        warnings.warn(
            "--password puts the password in your shell history and the process list; "
            "prefer AIRFLOW_PASSWORD or --password-file",
            PasswordOnCommandLineWarning,
            stacklevel=3,
        )
        if not args.password:
            raise CLIUsageError(f"--password is empty: {_PASSWORD_FIX}")
        return str(args.password)
    if env.get("AIRFLOW_PASSWORD"):
        return env["AIRFLOW_PASSWORD"]
    if not isatty(stdin):
        raise CLIUsageError(
            f"no password: {_PASSWORD_FIX} (a prompt needs a terminal, and standard input is not one)"
        )
    secret = prompt(ask)
    if not secret:
        raise CLIUsageError(f"no password given: {_PASSWORD_FIX}")
    return secret


def resolve_settings(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> Settings:
    """Build :class:`Settings` from parsed arguments and the environment.

    Raises:
        CLIUsageError: A setting is missing or invalid; the message names the fix.
    """
    env = os.environ if environ is None else environ
    stdin = sys.stdin if stdin is None else stdin
    url = args.url or env.get("AIRFLOW_URL") or DEFAULT_URL
    scheme = args.auth or env.get("AIRFLOW_AUTH") or "password"
    if scheme not in AUTH_SCHEMES:
        raise CLIUsageError(f"--auth must be one of {', '.join(AUTH_SCHEMES)}, got {scheme!r}")
    concurrency = _pick(args.concurrency, env, "AIRFLOW_CONCURRENCY", None)
    in_flight = None if concurrency is None else int(_positive("--concurrency", concurrency, int))
    timeout = _positive("--timeout", _pick(args.timeout, env, "AIRFLOW_TIMEOUT", DEFAULT_TIMEOUT), float)
    username: str | None = None
    if scheme == "token":
        secret = _token(args, env, stdin)
    else:
        username = args.username or env.get("AIRFLOW_USERNAME")
        if not username:
            raise CLIUsageError("no username: set AIRFLOW_USERNAME or use --username")
        secret = _password(args, env, stdin, prompt, f"Password for {username} at {url}: ")
    return Settings(
        url=url, auth_scheme=scheme, username=username, concurrency=in_flight, timeout=timeout, secret=secret
    )
