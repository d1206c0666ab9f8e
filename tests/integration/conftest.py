"""Integration fixtures: a real Airflow 2.11.2 (see tests/harness/airflow2.py).

Every test under tests/integration/ gets the ``integration`` marker automatically.

``airflow2`` (session scope) is an :class:`AirflowInfo`. By default the harness installs Airflow
(once, into .cache/), starts both webservers, seeds them and stops them at the end of the
session. To reuse servers that are already running (``python -m tests.harness.airflow2 start``
prints the exports), set:

* ``AIRFLOW_ASYNC_TEST_URL``          main webserver (basic_auth + session, max page 100)
* ``AIRFLOW_ASYNC_TEST_SECOND_URL``   second webserver (basic_auth only, max page 25)
* ``AIRFLOW_ASYNC_TEST_MANIFEST``     manifest JSON written by the seeder
* ``AIRFLOW_ASYNC_TEST_HOME`` / ``AIRFLOW_ASYNC_TEST_PYTHON``  optional (AIRFLOW_HOME, Airflow's
  python); ``AIRFLOW_ASYNC_TEST_ADMIN`` / ``AIRFLOW_ASYNC_TEST_VIEWER`` as ``user:password``.

Seed volume for a fresh server: ``AIRFLOW_ASYNC_TEST_XCOMS`` (default 2000) and
``AIRFLOW_ASYNC_TEST_RUNS`` (default 110 harvest_demo runs, plus 11 runs of other DAGs).
If the server cannot start, the fixture raises with the webserver log tail: tests error, they
are never skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.harness import airflow2 as harness
from tests.harness import airflow3 as harness3

from .servers import RealServer, airflow2_server, airflow3_server


@dataclass(frozen=True)
class AirflowInfo:
    url: str
    second_url: str | None
    admin: tuple[str, str]
    viewer: tuple[str, str]
    manifest: list[dict[str, Any]] = field(repr=False)
    manifest_path: Path
    airflow_home: Path | None
    python: Path


def _creds(var: str, default: tuple[str, str]) -> tuple[str, str]:
    raw = os.environ.get(var)
    if not raw:
        return default
    user, _, password = raw.partition(":")
    return (user, password)


def _load_manifest(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    if not isinstance(data, list):
        raise TypeError(f"{path}: manifest must be a JSON list")
    return data


#: The fixtures that start (or reuse) each major version's server.
_MAJOR_FIXTURES = {
    "airflow2": ("airflow2", "airflow2_server_info"),
    "airflow3": ("airflow3", "airflow3_server_info"),
}


def _needs(item: pytest.Item, major: str) -> bool:
    """Whether ``item`` needs the server of ``major`` (a fixture of it, or a ``server`` param)."""
    names = set(getattr(item, "fixturenames", ()))
    if names & set(_MAJOR_FIXTURES[major]):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and major in callspec.params.values()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)
    # The compatibility matrix (tests/harness/matrix.py) runs one release at a time:
    # AIRFLOW_ASYNC_TEST_ONLY=airflow2 (or airflow3) deselects the tests that need the other major.
    # Unset (CI), every test runs against both servers.
    only = os.environ.get("AIRFLOW_ASYNC_TEST_ONLY")
    if not only:
        return
    if only not in _MAJOR_FIXTURES:
        raise pytest.UsageError(f"AIRFLOW_ASYNC_TEST_ONLY={only!r}: use airflow2 or airflow3")
    (other,) = set(_MAJOR_FIXTURES) - {only}
    kept = [item for item in items if not _needs(item, other)]
    dropped = [item for item in items if _needs(item, other)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def airflow2_server_info() -> Iterator[dict[str, Any]]:
    """The harness's raw info dict (url, second_url, manifest, pids, timings, ...)."""
    url = os.environ.get("AIRFLOW_ASYNC_TEST_URL")
    if url:
        manifest = os.environ.get("AIRFLOW_ASYNC_TEST_MANIFEST")
        if not manifest:
            raise RuntimeError("AIRFLOW_ASYNC_TEST_URL is set but AIRFLOW_ASYNC_TEST_MANIFEST is not")
        yield {
            "url": url.rstrip("/"),
            "second_url": (os.environ.get("AIRFLOW_ASYNC_TEST_SECOND_URL") or "").rstrip("/") or None,
            "manifest": manifest,
            "airflow_home": os.environ.get("AIRFLOW_ASYNC_TEST_HOME"),
            "python": os.environ.get("AIRFLOW_ASYNC_TEST_PYTHON")
            or str(harness.AIRFLOW_VENV / "bin" / "python"),
            "reused": True,
        }
        return
    server = harness.AirflowServer()
    try:
        server.start_and_seed(
            xcoms=int(os.environ.get("AIRFLOW_ASYNC_TEST_XCOMS", "2000")),
            runs=int(os.environ.get("AIRFLOW_ASYNC_TEST_RUNS", "110")),
        )
        yield {**server.info(), "reused": False}
    finally:
        server.stop()


@pytest.fixture(scope="session")
def airflow2(airflow2_server_info: dict[str, Any]) -> AirflowInfo:
    info = airflow2_server_info
    manifest_path = Path(info["manifest"])
    return AirflowInfo(
        url=info["url"],
        second_url=info["second_url"],
        admin=_creds("AIRFLOW_ASYNC_TEST_ADMIN", harness.ADMIN),
        viewer=_creds("AIRFLOW_ASYNC_TEST_VIEWER", harness.VIEWER),
        manifest=_load_manifest(manifest_path),
        manifest_path=manifest_path,
        airflow_home=Path(info["airflow_home"]) if info.get("airflow_home") else None,
        python=Path(info["python"]),
    )


def _real_server(request: pytest.FixtureRequest, name: str) -> RealServer:
    if name == "airflow2":
        return airflow2_server(request.getfixturevalue("airflow2"))
    if name == "airflow3":
        return airflow3_server(request.getfixturevalue("airflow3"))
    raise AssertionError(f"unknown server {name!r}")


@pytest.fixture(params=["airflow2", "airflow3"])
def server(request: pytest.FixtureRequest) -> RealServer:
    """Each real server of the harness in turn (Airflow 2.11.2, then 3.3.2), behind the
    interface of tests/integration/servers.py."""
    return _real_server(request, request.param)


@pytest.fixture(params=["airflow2"])
def server_with_roles(request: pytest.FixtureRequest) -> RealServer:
    """The servers that can make a user without one permission: Airflow 2's FAB roles. (Airflow
    3's simple auth manager has four fixed roles, each of which may read XComs.)"""
    return _real_server(request, request.param)


# ------------------------------------------------------------------------------------------------
# Airflow 3.3.2 (API v2): tests/harness/airflow3.py
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Airflow3Info:
    """A running Airflow 3.3.2: ``url`` (main api-server), ``short_token_url`` (an api-server on
    the same database and JWT secret whose tokens are refused 5 s after they were issued)."""

    url: str
    short_token_url: str | None
    admin: tuple[str, str]
    viewer: tuple[str, str]
    manifest: list[dict[str, Any]] = field(repr=False)
    manifest_path: Path
    airflow_home: Path | None
    python: Path


@pytest.fixture(scope="session")
def airflow3_server_info() -> Iterator[dict[str, Any]]:
    """The Airflow 3 harness's raw info dict (url, short_token_url, manifest, pids, timings, ...).

    By default the harness installs Airflow 3.3.2 (once, into .cache/), starts both api-servers,
    seeds them and stops them at the end of the session. To reuse servers that are already
    running (``python -m tests.harness.airflow3 start`` prints the exports), set
    ``AIRFLOW_ASYNC_TEST3_URL``, ``AIRFLOW_ASYNC_TEST3_SHORT_TOKEN_URL``,
    ``AIRFLOW_ASYNC_TEST3_MANIFEST`` and optionally ``AIRFLOW_ASYNC_TEST3_HOME`` /
    ``AIRFLOW_ASYNC_TEST3_PYTHON``; ``AIRFLOW_ASYNC_TEST3_ADMIN`` / ``AIRFLOW_ASYNC_TEST3_VIEWER`` as
    ``user:password``. Seed volume: ``AIRFLOW_ASYNC_TEST3_XCOMS`` (default 2000) and
    ``AIRFLOW_ASYNC_TEST3_RUNS`` (default 110). Independent of the Airflow 2 fixtures and their
    ``AIRFLOW_ASYNC_TEST_*`` variables. Never skips: a server that cannot start raises with its
    log tail.
    """
    url = os.environ.get("AIRFLOW_ASYNC_TEST3_URL")
    if url:
        manifest = os.environ.get("AIRFLOW_ASYNC_TEST3_MANIFEST")
        if not manifest:
            raise RuntimeError("AIRFLOW_ASYNC_TEST3_URL is set but AIRFLOW_ASYNC_TEST3_MANIFEST is not")
        short_url = os.environ.get("AIRFLOW_ASYNC_TEST3_SHORT_TOKEN_URL") or ""
        python = os.environ.get("AIRFLOW_ASYNC_TEST3_PYTHON") or str(harness3.AIRFLOW_VENV / "bin" / "python")
        yield {
            "url": url.rstrip("/"),
            "short_token_url": short_url.rstrip("/") or None,
            "manifest": manifest,
            "airflow_home": os.environ.get("AIRFLOW_ASYNC_TEST3_HOME"),
            "python": python,
            "reused": True,
        }
        return
    server = harness3.Airflow3Server()
    try:
        server.start_and_seed(
            xcoms=int(os.environ.get("AIRFLOW_ASYNC_TEST3_XCOMS", "2000")),
            runs=int(os.environ.get("AIRFLOW_ASYNC_TEST3_RUNS", "110")),
        )
        yield {**server.info(), "reused": False}
    finally:
        server.stop()


@pytest.fixture(scope="session")
def airflow3(airflow3_server_info: dict[str, Any]) -> Airflow3Info:
    info = airflow3_server_info
    manifest_path = Path(info["manifest"])
    return Airflow3Info(
        url=info["url"],
        short_token_url=info["short_token_url"],
        admin=_creds("AIRFLOW_ASYNC_TEST3_ADMIN", harness3.ADMIN),
        viewer=_creds("AIRFLOW_ASYNC_TEST3_VIEWER", harness3.VIEWER),
        manifest=_load_manifest(manifest_path),
        manifest_path=manifest_path,
        airflow_home=Path(info["airflow_home"]) if info.get("airflow_home") else None,
        python=Path(info["python"]),
    )
