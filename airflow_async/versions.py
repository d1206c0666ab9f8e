"""The API versions, as data: where each lives, how a server is recognised, what it has.

Everything the client knows about a version that is not a path, a parameter or a body of
one operation is here: the path prefix, the unauthenticated endpoint that tells a server's
release, which Airflow releases speak it, and whether this library speaks it yet. Paths,
parameters, bodies and the models that differ live in the version's own package
(``airflow_async.api.v1``); see docs/design.md.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Final

import attrs

from .errors import UsageError

__all__ = ["API_VERSIONS", "DETECTION_ORDER", "ApiVersion", "Release", "api_version", "parse_release"]

#: A release number as a comparable tuple: ``"3.1.7"`` -> ``(3, 1, 7)``.
Release = tuple[int, ...]

_RELEASE = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


@functools.lru_cache(maxsize=256)
def parse_release(text: str) -> Release:
    """Parse a release string as the version endpoint sends it (``"2.11.2"``, ``"3.0.0rc1"``).

    Cached: the release gates (``require_release``) compare against a few constant strings on
    every call of a gated operation.

    Raises:
        ValueError: ``text`` does not start with a release number.
    """
    match = _RELEASE.match(text)
    if match is None:
        raise ValueError(f"not a release number: {text!r}")
    return tuple(int(part) for part in match.group(1).split("."))


@attrs.frozen(kw_only=True)
class ApiVersion:
    """One version of Airflow's REST API.

    Attributes:
        name: ``"v1"`` or ``"v2"``, as ``AirflowClient(api_version=...)`` takes it.
        prefix: The path prefix of every operation (``/api/v1``).
        airflow: The Airflow releases that serve it (``"2.x"``).
        version_path: The unauthenticated endpoint that answers the server's release.
        supported: Whether this library speaks it.
        default_concurrency: Requests in flight by default. Airflow 2's webserver runs 4 sync
            gunicorn workers; Airflow 3's api-server runs one uvicorn worker with about 15
            database connections, and more requests than that queue for a connection (on
            SQLite, a 3.3.2 api-server flooded past its pool stopped answering altogether).
        joins_update_mask: How a PATCH names its fields: v1 takes ``update_mask`` as one
            comma-separated value; v2 takes the key once per field and reads a comma-joined
            value as one unknown field, changing nothing without an error (3.3.2).
    """

    name: str
    prefix: str
    airflow: str
    version_path: str
    supported: bool
    default_concurrency: int
    joins_update_mask: bool


#: Every API version, by name.
API_VERSIONS: Final[Mapping[str, ApiVersion]] = {
    "v1": ApiVersion(
        name="v1",
        prefix="/api/v1",
        airflow="2.x",
        version_path="/api/v1/version",
        supported=True,
        default_concurrency=16,
        joins_update_mask=True,
    ),
    "v2": ApiVersion(
        name="v2",
        prefix="/api/v2",
        airflow="3.x",
        version_path="/api/v2/version",
        supported=True,
        default_concurrency=8,
        joins_update_mask=False,
    ),
}

#: The order ``api_version="auto"`` asks the versions in: Airflow 3 first (it answers 404 on
#: ``/api/v1``), then Airflow 2 (whose webserver has no ``/api/v2``).
DETECTION_ORDER: Final[tuple[ApiVersion, ...]] = (API_VERSIONS["v2"], API_VERSIONS["v1"])


def api_version(name: str) -> ApiVersion:
    """The version called ``name``, if this library speaks it.

    Raises:
        UsageError: An unknown name, or a version not supported yet.
    """
    version = API_VERSIONS.get(name) if isinstance(name, str) else None
    if version is None:
        choices = ", ".join(repr(n) for n in ("auto", *API_VERSIONS))
        raise UsageError(f"api_version must be one of {choices} (auto asks the server), got {name!r}")
    if not version.supported:
        speaks = [v for v in API_VERSIONS.values() if v.supported]
        raise UsageError(
            f"api_version {name!r} (Airflow {version.airflow}) is not supported yet; "
            + ", ".join(f"use {v.name!r} with Airflow {v.airflow}" for v in speaks)
        )
    return version
