"""The real servers the shared integration tests run against, behind one small interface.

Each :class:`RealServer` knows how to do to its Airflow what a test needs done from the
outside: make its logins expire while a test runs (Airflow 2: delete the rows of the ``session``
table; Airflow 3: the api-server whose tokens live 5 seconds), start one more server process
that a test may kill and restart, run a real scheduler for one test, and (Airflow 2) make a
user without a permission. Tests take the ``server`` fixture (tests/integration/conftest.py),
parametrized over both, so that the same test proves the same behaviour on Airflow 2.11.2 and
3.3.2.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_async import AirflowClient, PasswordAuth
from tests.harness import airflow2 as harness2
from tests.harness import airflow3 as harness3

Key = tuple[str, str, str, int, str]


@dataclass
class Expiring:
    """Logins that expire while a test runs: the URL to use, and how many expired so far."""

    url: str
    expired: Callable[[], int]


@dataclass
class RealServer:
    """A running real Airflow, as the shared tests see it."""

    name: str
    url: str
    admin: tuple[str, str]
    home: Path
    manifest: list[dict[str, Any]] = field(repr=False)
    #: The manifest field holding what the harvest's defaults deliver.
    value_field: str = "value"
    #: Whether the server can make a user without one permission (Airflow 2's FAB roles; the
    #: simple auth manager of Airflow 3 has fixed roles that all read XComs).
    has_roles: bool = False

    def login_auth(self, username: str, password: str) -> PasswordAuth:
        """The one auth a user needs on both versions."""
        return PasswordAuth(username, password)

    def admin_client(self, url: str | None = None) -> AirflowClient:
        """A client as the admin, for setting things up."""
        return AirflowClient(url or self.url, auth=PasswordAuth(*self.admin))

    def key(self, e: dict[str, Any]) -> Key:
        """The identity of a manifest entry."""
        return (e["dag_id"], e["dag_run_id"], e["task_id"], e["map_index"], e["key"])

    def seeded_values(self) -> dict[Key, Any]:
        """Every seeded XCom value, as the harvest's defaults deliver it."""
        return {self.key(e): e[self.value_field] for e in self.manifest}

    @contextlib.contextmanager
    def logins_expiring(self) -> Iterator[Expiring]:
        """Make logins expire every few seconds while the block runs."""
        raise NotImplementedError

    def extra_server(self) -> harness2.ExtraServer:
        """One more server process on the same database, which a test may kill and restart."""
        raise NotImplementedError

    def scheduler(self) -> contextlib.AbstractContextManager[harness2.Scheduler]:
        """A real scheduler on the server's database while the block runs (stopped after it,
        with its whole process group, however the block ends)."""
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def user_without(self, resource: str) -> AsyncIterator[tuple[str, str]]:
        """A user whose role lacks the permissions on ``resource`` (servers with ``has_roles``)."""
        raise NotImplementedError
        yield ("", "")  # pragma: no cover


class Airflow2(RealServer):
    """The harness's Airflow 2.11.2 (webserver with basic_auth + session backends)."""

    def end_sessions(self) -> int:
        """End every login session; return how many there were (rows of the ``session`` table)."""
        db = sqlite3.connect(self.home / "airflow.db", timeout=30)
        try:
            with db:
                return db.execute("DELETE FROM session").rowcount
        finally:
            db.close()

    @contextlib.contextmanager
    def logins_expiring(self) -> Iterator[Expiring]:
        """Delete every session each second (what an expiry or a logout elsewhere does)."""
        ended: list[int] = []
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(1.0):
                ended.append(self.end_sessions())

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield Expiring(self.url, lambda: sum(1 for n in ended if n))
        finally:
            stop.set()
            thread.join(timeout=60)

    def extra_server(self) -> harness2.ExtraServer:
        """One more webserver (the main one's configuration, its own secret key)."""
        return harness2.extra_webserver(self.home)

    @contextlib.contextmanager
    def scheduler(self) -> Iterator[harness2.Scheduler]:
        """``airflow scheduler`` (SequentialExecutor, its own DAG parsing) on this home."""
        running = harness2.Scheduler(self.home).start()
        try:
            yield running
        finally:
            running.stop()

    @contextlib.asynccontextmanager
    async def user_without(self, resource: str) -> AsyncIterator[tuple[str, str]]:
        """A user whose role has the Viewer's permissions except those on ``resource``."""
        suffix = secrets.token_hex(4)
        role, user, password = f"no_{resource.lower()}_{suffix}", f"limited_{suffix}", secrets.token_hex(8)
        async with self.admin_client() as af:
            viewer = await af.roles.get("Viewer")
            kept = [(action, res) for action, res in viewer.permissions if res != resource]
            assert len(kept) < len(viewer.permissions), f"the Viewer has no permission on {resource}"
            await af.roles.create(role, kept)
            try:
                await af.users.create(
                    user,
                    password=password,
                    email=f"{user}@example.invalid",
                    first_name="Limited",
                    last_name="User",
                    roles=[role],
                )
                try:
                    yield (user, password)
                finally:
                    await af.users.delete(user)
            finally:
                await af.roles.delete(role)


@dataclass
class Airflow3(RealServer):
    """The harness's Airflow 3.3.2 (api-server with the simple auth manager)."""

    short_token_url: str = ""

    @contextlib.contextmanager
    def logins_expiring(self) -> Iterator[Expiring]:
        """The api-server on the same database whose tokens expire 5 s after they are issued."""
        started = time.monotonic()
        lifetime = harness3.SHORT_TOKEN_SECONDS
        yield Expiring(self.short_token_url, lambda: int((time.monotonic() - started) // lifetime))

    def extra_server(self) -> harness2.ExtraServer:
        """One more api-server (same database and JWT secret)."""
        return harness3.extra_api_server(self.home)

    def scheduler(self) -> harness3.Scheduler:
        """``airflow scheduler`` (LocalExecutor) whose tasks call this api-server's execution API;
        entering it waits until it heartbeats."""
        return harness3.Scheduler(self.home, self.url)


def airflow2_server(info: Any) -> RealServer:
    """The harness's Airflow 2.11.2 (``info``: the ``airflow2`` fixture's AirflowInfo)."""
    if info.airflow_home is None:
        raise RuntimeError("the shared tests need AIRFLOW_ASYNC_TEST_HOME (the server's AIRFLOW_HOME)")
    return Airflow2(
        name="airflow2",
        url=info.url,
        admin=info.admin,
        home=info.airflow_home,
        manifest=info.manifest,
        value_field="value_no_deserialize",  # what v1 sends without deserialize
        has_roles=True,
    )


def airflow3_server(info: Any) -> RealServer:
    """The harness's Airflow 3.3.2 (``info``: the ``airflow3`` fixture's Airflow3Info)."""
    if info.airflow_home is None or not info.short_token_url:
        raise RuntimeError("the shared tests need AIRFLOW_ASYNC_TEST3_HOME and the short-token server")
    return Airflow3(
        name="airflow3",
        url=info.url,
        admin=info.admin,
        home=info.airflow_home,
        manifest=info.manifest,
        short_token_url=info.short_token_url,
    )
