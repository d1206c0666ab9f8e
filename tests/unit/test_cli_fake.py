"""A tiny in-process fake of Airflow 2's v1 API for the CLI's unit tests.

It runs an aiohttp.web app on 127.0.0.1 in a background thread (so that the CLI's
own ``asyncio.run`` and subprocesses can talk to it), with Basic auth and a
form login, and the endpoints the CLI uses. It counts the XCom value fetches, so
tests can check that a resumed harvest does not fetch again what it already has.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

USER, PASSWORD = "admin", "s3cret-pw"
SESSION = "fake-session-cookie-value"


def execution_date(i: int) -> str:
    """The execution date of run ``i`` (one day apart from 2024-01-01)."""
    return (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=i)).isoformat()


def run_id(i: int) -> str:
    """The run id of run ``i`` (with ``+`` and ``:`` as real ones have)."""
    return f"manual__{execution_date(i)}"


class FakeAirflow:
    """The fake server: ``runs`` runs of DAG ``d1``, each with ``tasks`` tasks and the given keys.

    Args:
        runs, tasks, keys: The size of the XCom data set (runs x tasks x keys entries).
        delay: Seconds each value fetch takes.
        fail: ``(run index, task_id, key)`` entries whose value fetch answers 404.
        refused_status: The answer to missing or wrong credentials (Airflow 2 with both the
            basic and the session backends answers 403).
    """

    def __init__(
        self,
        *,
        runs: int = 3,
        tasks: int = 2,
        keys: tuple[str, ...] = ("return_value", "k 2"),
        delay: float = 0.0,
        fail: frozenset[tuple[int, str, str]] = frozenset(),
        refused_status: int = 401,
    ) -> None:
        self.runs, self.tasks, self.keys = runs, tasks, keys
        self.delay = delay
        self.fail = fail
        self.refused_status = refused_status
        self.value_fetches: Counter[tuple[str, str, str, str]] = Counter()
        self.logins = 0
        self.run_listings = 0  # DAG-run page requests
        self.variables: dict[str, dict[str, Any]] = {"greeting": {"key": "greeting", "value": "hello"}}
        self.paused = False
        self.run_state = "success"  # the state runs have once triggered
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # -- data ----------------------------------------------------------------------------

    def value(self, i: int, task: str, key: str) -> Any:
        """The XCom value of one entry."""
        return {"run": i, "task": task, "key": key, "list": [1, 2.5, None, "x"]}

    def entries(self) -> list[dict[str, Any]]:
        """Every XCom entry as the v1 listing shows it (no run id)."""
        out = []
        for i in range(self.runs):
            for t in range(self.tasks):
                for key in self.keys:
                    out.append(
                        {
                            "dag_id": "d1",
                            "execution_date": execution_date(i),
                            "task_id": f"t{t}",
                            "map_index": -1,
                            "key": key,
                            "timestamp": execution_date(i),
                        }
                    )
        return out

    def expected(self) -> dict[tuple[str, str, str, int, str], Any]:
        """Natural key -> value of every entry."""
        return {
            ("d1", run_id(i), f"t{t}", -1, key): self.value(i, f"t{t}", key)
            for i in range(self.runs)
            for t in range(self.tasks)
            for key in self.keys
        }

    def _run(self, i: int) -> dict[str, Any]:
        return {
            "dag_id": "d1",
            "dag_run_id": run_id(i),
            "execution_date": execution_date(i),
            "logical_date": execution_date(i),
            "state": self.run_state,
            "run_type": "manual",
            "conf": {},
        }

    # -- http ----------------------------------------------------------------------------

    @staticmethod
    def _page(request: web.Request, items: list[Any], name: str) -> web.Response:
        limit = min(int(request.query.get("limit", 100)), 100)
        offset = int(request.query.get("offset", 0))
        return web.json_response({name: items[offset : offset + limit], "total_entries": len(items)})

    @staticmethod
    def _problem(status: int, title: str, detail: str) -> web.Response:
        return web.json_response(
            {"type": "about:blank", "title": title, "status": status, "detail": detail}, status=status
        )

    #: What Airflow 2 answers without credentials (their operations declare ``security: []``).
    PUBLIC = frozenset({"/api/v1/version", "/api/v1/health"})

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # As a real 2.x webserver: an unknown path (/api/v2/...) is a 404 whatever the credentials.
        known = request.match_info.http_exception is None
        if known and request.path.startswith("/api/") and request.path not in self.PUBLIC:
            good_basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            ok = (
                request.headers.get("Authorization") == good_basic
                or request.cookies.get("session") == SESSION
            )
            if not ok:
                if self.refused_status == 403:
                    return self._problem(403, "Forbidden", "")
                return self._problem(401, "Unauthorized", "No credentials or wrong credentials")
        response: web.StreamResponse = await handler(request)
        return response

    async def _login_page(self, request: web.Request) -> web.Response:
        page = '<form><input id="csrf_token" name="csrf_token" type="hidden" value="tok123"></form>'
        return web.Response(text=page, content_type="text/html")

    async def _login(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("username") == USER and form.get("password") == PASSWORD and form.get("csrf_token"):
            self.logins += 1
            resp = web.Response(status=302, headers={"Location": "/home"})
            resp.set_cookie("session", SESSION)
            return resp
        return web.Response(status=302, headers={"Location": "/login/"})

    async def _dag_runs(self, request: web.Request) -> web.Response:
        self.run_listings += 1
        dag = request.match_info["dag"]
        runs = [self._run(i) for i in range(self.runs)] if dag in ("~", "d1") else []
        state = request.query.getall("state", [])
        if state:
            runs = [r for r in runs if r["state"] in state]
        return self._page(request, runs, "dag_runs")

    async def _dag_run(self, request: web.Request) -> web.Response:
        for i in range(self.runs):
            if run_id(i) == request.match_info["run"]:
                return web.json_response(self._run(i))
        return self._problem(
            404,
            "DAGRun not found",
            f"DAGRun with DAG ID: 'd1' and DagRun ID: '{request.match_info['run']}' not found",
        )

    async def _trigger(self, request: web.Request) -> web.Response:
        body = await request.json()
        run = self._run(0) | {"state": "queued", "conf": body.get("conf")}  # run 0's id by default
        if "dag_run_id" in body:
            run["dag_run_id"] = body["dag_run_id"]
        return web.json_response(run)

    async def _xcom_list(self, request: web.Request) -> web.Response:
        items = self.entries()
        key = request.query.get("xcom_key")
        if key is not None:
            items = [e for e in items if e["key"] == key]
        if request.match_info["task"] != "~":
            items = [e for e in items if e["task_id"] == request.match_info["task"]]
        if request.match_info["run"] != "~":
            items = [e for e in items if f"manual__{e['execution_date']}" == request.match_info["run"]]
        if "map_index" in request.query:
            items = [e for e in items if e["map_index"] == int(request.query["map_index"])]
        return self._page(request, items, "xcom_entries")

    async def _xcom_get(self, request: web.Request) -> web.Response:
        m = request.match_info
        self.value_fetches[(m["dag"], m["run"], m["task"], m["key"])] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        for i in range(self.runs):
            if run_id(i) != m["run"]:
                continue
            if (i, m["task"], m["key"]) in self.fail:
                return self._problem(404, "XCom entry not found", "gone")
            value = self.value(i, m["task"], m["key"])
            if request.query.get("stringify") == "true":
                value = str(value)
            return web.json_response(
                {
                    "dag_id": "d1",
                    "execution_date": execution_date(i),
                    "task_id": m["task"],
                    "map_index": -1,
                    "key": m["key"],
                    "timestamp": execution_date(i),
                    "value": value,
                }
            )
        return self._problem(404, "XCom entry not found", "no such run")

    def _dag(self) -> dict[str, Any]:
        return {
            "dag_id": "d1",
            "is_paused": self.paused,
            "owners": ["airflow"],
            "tags": [{"name": "demo"}],
            "schedule_interval": {"__type": "CronExpression", "value": "@daily"},
        }

    async def _dags(self, request: web.Request) -> web.Response:
        return self._page(request, [self._dag()], "dags")

    async def _dag_get(self, request: web.Request) -> web.Response:
        if request.match_info["dag"] != "d1":
            return self._problem(
                404, "DAG not found", f"DAG with dag_id: '{request.match_info['dag']}' not found"
            )
        return web.json_response(self._dag())

    async def _dag_patch(self, request: web.Request) -> web.Response:
        self.paused = bool((await request.json())["is_paused"])
        return web.json_response(self._dag())

    async def _tis(self, request: web.Request) -> web.Response:
        tis = [
            {
                "dag_id": "d1",
                "dag_run_id": run_id(i),
                "execution_date": execution_date(i),  # v1 only: the run's logical date
                "task_id": f"t{t}",
                "map_index": -1,
                "state": "success",
                "try_number": 1,
                "sla_miss": None,
            }
            for i in range(self.runs)
            for t in range(self.tasks)
        ]
        return self._page(request, tis, "task_instances")

    async def _variables(self, request: web.Request) -> web.Response:
        return self._page(request, list(self.variables.values()), "variables")

    async def _variable(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if request.method == "DELETE":
            self.variables.pop(key, None)
            return web.Response(status=204)
        if request.method == "PATCH":
            if key not in self.variables:
                return self._problem(404, "Variable not found", key)
            self.variables[key] = await request.json()
        if key not in self.variables:
            return self._problem(404, "Variable not found", f"Variable {key} not found")
        return web.json_response(self.variables[key])

    async def _variable_create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.variables[body["key"]] = body
        return web.json_response(body)

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "metadatabase": {"status": "healthy"},
                "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2024-01-01T00:00:00+00:00"},
            }
        )

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "2.11.2", "git_version": None})

    async def _pools(self, request: web.Request) -> web.Response:
        return self._page(request, [{"name": "default_pool", "slots": 128, "open_slots": 128}], "pools")

    async def _connections(self, request: web.Request) -> web.Response:
        return self._page(
            request,
            [{"connection_id": "db", "conn_type": "postgres", "host": "127.0.0.1", "port": 5432}],
            "connections",
        )

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(middlewares=[self._auth])
        p = "/api/v1"
        x = p + "/dags/{dag}/dagRuns/{run}/taskInstances/{task}/xcomEntries"
        app.add_routes(
            [
                web.get("/login/", self._login_page),
                web.post("/login/", self._login),
                web.get(p + "/dags", self._dags),
                web.get(p + "/dags/{dag}", self._dag_get),
                web.patch(p + "/dags/{dag}", self._dag_patch),
                web.get(p + "/dags/{dag}/dagRuns", self._dag_runs),
                web.post(p + "/dags/{dag}/dagRuns", self._trigger),
                web.get(p + "/dags/{dag}/dagRuns/{run}", self._dag_run),
                web.get(p + "/dags/{dag}/dagRuns/{run}/taskInstances", self._tis),
                web.get(x, self._xcom_list),
                web.get(x + "/{key}", self._xcom_get),
                web.get(p + "/variables", self._variables),
                web.post(p + "/variables", self._variable_create),
                web.route("*", p + "/variables/{key}", self._variable),
                web.get(p + "/health", self._health),
                web.get(p + "/version", self._version),
                web.get(p + "/pools", self._pools),
                web.get(p + "/connections", self._connections),
            ]
        )
        return app

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeAirflow:
        """Serve on 127.0.0.1 (a free port) from a background thread."""
        started = threading.Event()
        errors: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                runner = web.AppRunner(self.app(), access_log=None)
                loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, "127.0.0.1", 0)
                loop.run_until_complete(site.start())
                port = runner.addresses[0][1]
                self.url = f"http://127.0.0.1:{port}"
                self._runner = runner
            except BaseException as exc:
                errors.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-airflow", daemon=True)
        self._thread.start()
        started.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


@contextmanager
def fake_airflow(**kwargs: Any) -> Iterator[FakeAirflow]:
    """A started :class:`FakeAirflow`, stopped on exit."""
    server = FakeAirflow(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def test_fake_serves_pages() -> None:
    """The fake itself answers a listing with Basic auth (a sanity check for the tests below)."""
    import json
    import urllib.request

    with fake_airflow() as srv:
        req = urllib.request.Request(
            srv.url + "/api/v1/dags/~/dagRuns?limit=2",
            headers={"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            data = json.load(resp)
    assert data["total_entries"] == 3
    assert len(data["dag_runs"]) == 2
