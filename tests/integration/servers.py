"""The real servers the reliability tests run against, behind one small interface.

Each :class:`RealServer` knows how to do to its Airflow what a test needs done from the
outside: end every login session (what an expired session, a logout elsewhere or a wiped
``session`` table does), start one more webserver that a test may kill and restart, and make
a user without a permission. Tests take the ``server`` fixture (tests/integration/conftest.py),
parametrized over the servers the harness runs, so that the same test proves the same
behaviour on each; Airflow 3 joins the list with its own implementation of these operations.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_async import AirflowClient, BasicAuth, SessionAuth
from tests.harness import airflow2 as harness

Key = tuple[str, str, str, int, str]


@dataclass
class RealServer:
    """A running real Airflow, as the tests see it."""

    name: str
    url: str
    admin: tuple[str, str]
    home: Path
    manifest: list[dict[str, Any]] = field(repr=False)

    def login_auth(self, username: str, password: str) -> SessionAuth:
        """The auth a user logs in with on this server (Airflow 2: a session cookie)."""
        return SessionAuth(username, password, strict=True)

    def admin_client(self, url: str | None = None) -> AirflowClient:
        """A client as the admin, for setting things up."""
        return AirflowClient(url or self.url, auth=BasicAuth(*self.admin))

    def seeded_values(self) -> dict[Key, Any]:
        """Every seeded XCom value, as the harvest's defaults deliver it."""
        return {
            (e["dag_id"], e["dag_run_id"], e["task_id"], e["map_index"], e["key"]): e["value_no_deserialize"]
            for e in self.manifest
        }

    def end_sessions(self) -> int:
        """End every login session on the server; return how many there were.

        Airflow 2 keeps sessions in the ``session`` table of its metadata database: deleting the
        rows is what an expiry or a logout elsewhere does to a client holding the cookie.
        """
        db = sqlite3.connect(self.home / "airflow.db", timeout=30)
        try:
            with db:
                return db.execute("DELETE FROM session").rowcount
        finally:
            db.close()

    @contextlib.contextmanager
    def ending_sessions_every(self, seconds: float) -> Iterator[list[int]]:
        """End every session every ``seconds`` while the block runs; yields the counts ended."""
        ended: list[int] = []
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(seconds):
                ended.append(self.end_sessions())

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield ended
        finally:
            stop.set()
            thread.join(timeout=60)

    @contextlib.contextmanager
    def extra_webserver(self) -> Iterator[harness.ExtraWebserver]:
        """One more webserver on the same database, which the test may kill and start again."""
        ws = harness.ExtraWebserver(self.home).start()
        try:
            yield ws
        finally:
            ws.stop()

    @contextlib.asynccontextmanager
    async def user_without(self, resource: str) -> Any:
        """A user whose role has the Viewer's permissions except those on ``resource``.

        Yields ``(username, password)``; the user and the role are deleted afterwards.
        """
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


def airflow2_server(info: Any) -> RealServer:
    """The harness's Airflow 2.11.2 (``info``: the ``airflow2`` fixture's AirflowInfo)."""
    if info.airflow_home is None:
        raise RuntimeError("the reliability tests need AIRFLOW_ASYNC_TEST_HOME (the server's AIRFLOW_HOME)")
    return RealServer(
        name="airflow2", url=info.url, admin=info.admin, home=info.airflow_home, manifest=info.manifest
    )
