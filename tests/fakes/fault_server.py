"""A fake Airflow 2.x (v1 REST API) server that misbehaves on purpose.

It serves a deterministic, lazily computed data set (:mod:`tests.fakes.fault_data`)
through the read endpoints a harvesting client needs, plus a few write endpoints,
form login and Basic auth, and injects faults configured by :class:`FaultRule`
(:mod:`tests.fakes.fault_rules`).  With no fault configured it is a fast in-memory
stub, usable from another process through the CLI::

    python -m tests.fakes.fault_server --port 0 --entries 10000 [--no-auth]

which prints ``{"url": ..., "pid": ..., "entries": ...}`` on one line once ready and
serves until SIGTERM/SIGINT.  In-process, use :func:`start_fault_server`::

    async with start_fault_server() as srv:
        srv.faults.add(FaultRule(kind="status", status=503, times=1))
        ...  # talk to srv.url
        assert srv.stats.faults["status_503"] > 0

Paths are split on the raw request target and each segment is percent-decoded on
its own, so ``%2F`` inside a key is a ``/`` in the key, ``%25`` a ``%``, and a ``+``
stays a ``+``.  Only ever binds 127.0.0.1.

``--api-v2`` (``ServerConfig.api_v2``) adds the minimum of an Airflow 3.3.2 api-server that
a harvest needs, in the real server's shapes: ``POST /auth/token`` (201 ``{"access_token"}``),
Bearer auth (401 ``{"detail": "Not authenticated"}``, 403 ``{"detail": "Invalid JWT
token"}``), ``GET /api/v2/version`` and the API v2 XCom listing and value fetch (items with
``run_id`` and ``...Z`` datetimes); ``/api/v1`` then answers 404 like 3.3.2.

Control endpoints (no auth): ``GET|POST /_control/faults`` (``POST`` replaces the
:class:`FaultConfig`, or appends its rules with ``"append": true``),
``GET|POST /_control/config`` (scalar :class:`ServerConfig` fields),
``POST /_control/reset``, ``POST /_control/expire_sessions``, ``GET /_control/stats``,
``GET /_control/data``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import datetime as dt
import hashlib
import http
import json
import os
import secrets
import signal
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final
from urllib.parse import unquote

from aiohttp import web

from tests.fakes.fault_data import (
    JSON,
    DataSet,
    DataSpec,
    XComFilter,
    XComRef,
    xcom_value,
)
from tests.fakes.fault_http import (
    ERROR_TYPE_BASE,
    PUBLIC_ROUTES,
    V2_ROUTES,
    WRITE_ROUTES,
    Ctx,
    Problem,
    Session,
    dumps,
    fmt_retry_after,
    html_response,
    json_response,
    login_html,
    parse_bool,
    parse_int,
    problem_response,
    resolve,
)
from tests.fakes.fault_rules import FaultConfig, FaultRule, Faults, Stats

__all__ = [
    "CONFIG_KEY",
    "DATA_KEY",
    "FAULTS_KEY",
    "STATS_KEY",
    "DataSet",
    "DataSpec",
    "FaultConfig",
    "FaultRule",
    "FaultServer",
    "Faults",
    "ServerConfig",
    "Stats",
    "create_app",
    "main",
    "start_fault_server",
    "xcom_value",
]

HOST: Final = "127.0.0.1"


def _z(stamp: object) -> str | None:
    """An Airflow 2 ``+00:00`` datetime string as 3.3.2 renders it (``...Z``)."""
    return None if stamp is None else str(stamp).replace("+00:00", "Z")


def _xcom_filter(d: int, r: int, task_id: str, q: Mapping[str, str]) -> XComFilter:
    """The XCom listing filter of one request (both API versions read the same query)."""
    raw_map = q.get("map_index")
    return XComFilter(
        d=d,
        r=r,
        task_id=None if task_id == "~" else task_id,
        map_index=None if raw_map is None else parse_int(raw_map, "map_index", -1),
        key=q.get("xcom_key"),
    )


@dataclass
class ServerConfig:
    """Static-ish server behaviour; scalar fields can be changed via ``/_control/config``."""

    auth: bool = True
    username: str = "admin"
    password: str = "admin"
    viewer_username: str | None = "viewer"
    viewer_password: str = "viewer"
    max_page_limit: int = 100
    fallback_page_limit: int = 100
    echo_unknown: bool = False
    xcom_deserialize_enabled: bool = False
    listing_unknown_404: bool = True
    login_csrf_cookie_required: bool = True
    login_failure_redirect: bool = False
    #: What a request without valid credentials gets. 401 is Airflow 2 with basic auth only;
    #: the stock ``basic_auth,session`` setup (FAB's AUTH_ROLE_PUBLIC) answers 403, also to a
    #: cookie whose session is gone, exactly like a permission refusal.
    unauthenticated_status: int = 401
    #: Also answer the few Airflow 3.3.2 (API v2) routes a harvest needs, as the real 3.3.2
    #: api-server does (tests/harness/airflow3.py lists its answers): ``POST /auth/token``,
    #: ``GET /api/v2/version``, the XCom listing and value fetch with a Bearer token; ``/api/v1``
    #: then answers 404 like 3.3.2. Off, ``/api/v2`` and ``/auth/token`` are 404 (a 2.x server).
    api_v2: bool = False
    faults: FaultConfig = field(default_factory=FaultConfig)


class FaultServer:
    """The fake server: app, live config, faults, stats and data.

    Use as ``async with start_fault_server(...) as srv`` (or ``await srv.start()`` /
    ``await srv.stop()``).  ``srv.url`` is ``http://127.0.0.1:PORT``.
    """

    def __init__(
        self,
        config: ServerConfig | None = None,
        data: DataSet | DataSpec | None = None,
    ) -> None:
        self.config = config or ServerConfig()
        self._initial_config = dataclasses.replace(self.config)
        if isinstance(data, DataSpec) or data is None:
            data = DataSet(data or DataSpec())
        self.data = data
        self.faults = Faults(self.config.faults)
        self.stats = Stats()
        self.sessions: dict[str, Session] = {}
        self.tokens: dict[str, str] = {}  # API v2 bearer token -> role
        self._conn_requests: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._rebuild_auth()
        self.app = web.Application()
        self.app[FAULTS_KEY] = self.faults
        self.app[STATS_KEY] = self.stats
        self.app[DATA_KEY] = self.data
        self.app[CONFIG_KEY] = self.config
        self.app[SERVER_KEY] = self
        self.app.router.add_route("*", "/{tail:.*}", self.handle)
        self._handlers = {
            "health": self._health,
            "version": self._version,
            "dags_list": self._dags_list,
            "dag_get": self._dag_get,
            "dag_runs_list": self._dag_runs_list,
            "dag_run_get": self._dag_run_get,
            "dag_runs_batch": self._dag_runs_batch,
            "dag_run_trigger": self._dag_run_trigger,
            "task_instances_list": self._tis_list,
            "task_instance_get": self._ti_get,
            "xcom_list": self._xcom_list,
            "xcom_get": self._xcom_get,
            "xcom_echo": self._xcom_get,
            "variables_list": self._variables_list,
            "variable_create": self._variable_create,
            "variable_get": self._variable_get,
            "variable_patch": self._variable_patch,
            "variable_delete": self._variable_delete,
            "login_page": self._login_page,
            "login": self._login,
            "login_redirect": self._login_redirect,
            "home": self._home,
            "not_found": self._not_found,
            "method_not_allowed": self._method_not_allowed,
            "token": self._token,
            "version_v2": self._version_v2,
            "xcom_list_v2": self._xcom_list_v2,
            "xcom_get_v2": self._xcom_get_v2,
            "not_found_v2": self._not_found_v2,
            "v1_removed": self._v1_removed,
        }

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        """API base URL, ``http://127.0.0.1:PORT/api/v1``."""
        return self.url + "/api/v1"

    async def start(self, port: int = 0) -> FaultServer:
        """Bind 127.0.0.1:``port`` (0: any free port) and start serving."""
        self._closing = asyncio.Event()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, HOST, port)
        await site.start()
        self._runner = runner
        addr = runner.addresses[0]
        self.port = int(addr[1])
        return self

    async def stop(self) -> None:
        """Release hanging handlers and stop serving."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FaultServer:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def reset(self) -> None:
        """Clear faults, stats and data overlays; restore the startup config (no faults)."""
        initial = dataclasses.replace(self._initial_config, faults=FaultConfig())
        for f in dataclasses.fields(ServerConfig):
            setattr(self.config, f.name, getattr(initial, f.name))
        self.faults.clear()
        self.config.faults = self.faults.config
        self.stats.reset()
        self.data.reset_overlays()
        self._rebuild_auth()

    def basic_auth_header(self, username: str | None = None, password: str | None = None) -> str:
        """Return an ``Authorization`` header value for the admin (or given) user."""
        user = self.config.username if username is None else username
        pw = self.config.password if password is None else password
        return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()

    def _rebuild_auth(self) -> None:
        cfg = self.config
        self._users = {cfg.username: (cfg.password, "admin")}
        if cfg.viewer_username:
            self._users[cfg.viewer_username] = (cfg.viewer_password, "viewer")
        self._basic = {self.basic_auth_header(u, pw): role for u, (pw, role) in self._users.items()}

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # ------------------------------------------------------------------- dispatch
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Entry point for every request (one catch-all route)."""
        path = request.raw_path.split("?", 1)[0]
        if path.startswith("/_control/"):
            return await self._control(request, path[len("/_control/") :])
        stats = self.stats
        stats.total_requests += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        reused = False
        transport = request.transport
        if transport is not None:
            seen = self._conn_requests.get(transport, 0)
            if seen == 0:
                stats.connections += 1
            self._conn_requests[transport] = seen + 1
            reused = seen > 0
        try:
            segs = [unquote(s) if "%" in s else s for s in path.split("/")[1:]]
            route, args = resolve(request.method, segs)
            if self.config.api_v2:
                if segs[:2] == ["api", "v1"]:
                    route, args = "v1_removed", ()
            elif route in V2_ROUTES:
                route, args = "not_found", ()
            ctx = Ctx(request, route, args, "/" + "/".join(segs))
            return await self._serve(ctx, reused)
        finally:
            stats.in_flight -= 1

    async def _serve(self, ctx: Ctx, reused: bool) -> web.StreamResponse:
        terminal: FaultRule | None = None
        if self.faults.has_rules:
            req = ctx.request
            identity = f"{req.method} {req.raw_path}"
            if req.method in ("POST", "PATCH", "PUT") and req.can_read_body:
                identity += " " + hashlib.sha1(await req.read()).hexdigest()
            for rule in self.faults.evaluate(ctx.route, req.method, ctx.path, identity, reused):
                self.stats.fault(rule.label, rule.name)
                if rule.kind == "hang":
                    await self._sleep(rule.hang_seconds)
                elif rule.kind == "clamp_page":
                    ctx.clamp = min(rule.page_limit, ctx.clamp or rule.page_limit)
                elif rule.kind == "mutate":
                    ctx.mutations.append(rule)
                else:
                    terminal = rule
        if terminal is not None and terminal.kind in (
            "status",
            "html",
            "disconnect",
            "reset_keepalive",
        ):
            return self._pre_fault(ctx, terminal)
        resp = await self._route(ctx)
        if terminal is not None and isinstance(resp, web.Response):
            self.stats.record(ctx.route, "dropped" if terminal.kind == "drop_body" else resp.status)
            return await self._post_fault(ctx, terminal, resp)
        self.stats.record(ctx.route, resp.status)
        return resp

    async def _route(self, ctx: Ctx) -> web.StreamResponse:
        try:
            if ctx.route not in PUBLIC_ROUTES and self.config.auth:
                if ctx.route in V2_ROUTES:
                    self._check_bearer(ctx)
                else:
                    self._check_auth(ctx)
            return await self._handlers[ctx.route](ctx)
        except Problem as p:
            if ctx.route in V2_ROUTES:  # FastAPI's error body
                return json_response({"detail": p.detail}, p.status)
            headers = {"WWW-Authenticate": "Basic"} if p.status == 401 else None
            return problem_response(
                p.status,
                p.title,
                p.detail,
                ERROR_TYPE_BASE + p.kind,
                ctx.request.path,
                headers,
            )

    # --------------------------------------------------------------------- faults
    def _pre_fault(self, ctx: Ctx, rule: FaultRule) -> web.StreamResponse:
        if rule.kind in ("disconnect", "reset_keepalive"):
            self.stats.record(ctx.route, "closed")
            if ctx.request.transport is not None:
                ctx.request.transport.close()
            return web.Response(status=500)  # never sent: the transport is closing
        self.stats.record(ctx.route, rule.status if rule.kind == "status" else 200)
        if rule.kind == "html":
            return html_response(login_html("injected-fault"))
        headers: dict[str, str] = {}
        if rule.retry_after is not None:
            headers["Retry-After"] = fmt_retry_after(rule.retry_after)
        title = http.HTTPStatus(rule.status).phrase
        if rule.html_body:
            page = (
                f"<html><head><title>{rule.status} {title}</title></head><body>"
                f"<h1>{rule.status} {title}</h1><hr>nginx</body></html>"
            )
            return web.Response(
                text=page,
                status=rule.status,
                content_type="text/html",
                headers=headers,
            )
        return problem_response(
            rule.status,
            title,
            f"Injected fault ({rule.label})",
            "about:blank",
            ctx.request.path,
            headers,
        )

    async def _post_fault(
        self,
        ctx: Ctx,
        rule: FaultRule,
        resp: web.Response,
    ) -> web.StreamResponse:
        body = resp.body if isinstance(resp.body, bytes) else b""
        cut = min(max(int(len(body) * rule.fraction), 0), max(len(body) - 1, 0))
        request = ctx.request
        if rule.kind == "truncate_json":
            out = web.Response(status=resp.status, body=body[:cut], content_type=resp.content_type)
            out.force_close()
            return out
        stream = web.StreamResponse(status=resp.status)
        stream.content_type = resp.content_type
        stream.content_length = len(body)
        try:
            await stream.prepare(request)
            if rule.kind == "close_after":
                await stream.write(body)
                await stream.write_eof()
            else:
                await stream.write(body[:cut])
                if rule.kind == "stall_body":
                    await self._sleep(rule.hang_seconds)
                    await stream.write(body[cut:])
                    await stream.write_eof()
                    return stream
            if request.transport is not None:
                request.transport.close()
        except ConnectionError:
            pass
        return stream

    # ----------------------------------------------------------------------- auth
    def _check_auth(self, ctx: Ctx) -> None:
        request = ctx.request
        role: str | None = None
        header = request.headers.get("Authorization")
        if header is not None:
            role = self._basic.get(header) or self._parse_basic(header)
        if role is None:
            token = request.cookies.get("session")
            sess = self.sessions.get(token) if token else None
            if sess is not None and sess.role is not None:
                sess.requests += 1
                limit = self.faults.config.session_max_requests
                if limit is not None and sess.requests > limit:
                    del self.sessions[token or ""]
                    self.stats.fault("session_expired")
                else:
                    role = sess.role
        if role is None:
            if self.config.unauthenticated_status == 403:
                raise Problem(403, "Forbidden", None)
            raise Problem(401, "Unauthorized", None)
        if role != "admin" and ctx.route in WRITE_ROUTES:
            raise Problem(403, "Forbidden", "Your user does not have the required permissions")

    def _parse_basic(self, header: str) -> str | None:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, pw = base64.b64decode(encoded.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        entry = self._users.get(user)
        return entry[1] if entry is not None and entry[0] == pw else None

    async def _login_page(self, ctx: Ctx) -> web.StreamResponse:
        token = ctx.request.cookies.get("session")
        sess = self.sessions.get(token) if token else None
        if sess is not None and sess.role is not None:
            return web.Response(status=302, headers={"Location": "/"})  # FAB: logged in already
        if sess is None:
            token, sess = secrets.token_urlsafe(24), Session(None, secrets.token_hex(20))
            self.sessions[token] = sess
        resp = html_response(login_html(sess.csrf))
        resp.set_cookie("session", token or "", httponly=True, path="/", samesite="Lax")
        return resp

    async def _login(self, ctx: Ctx) -> web.StreamResponse:
        request = ctx.request
        form = await request.post()
        csrf = str(form.get("csrf_token", ""))
        token = request.cookies.get("session")
        sess = self.sessions.get(token) if token else None
        if self.config.login_csrf_cookie_required:
            valid = sess is not None and bool(csrf) and csrf == sess.csrf
        else:
            valid = bool(csrf) and any(s.csrf == csrf for s in self.sessions.values())
        if not valid:
            self.stats.logins["csrf_error"] += 1
            page = "<h1>Bad Request</h1><p>The CSRF token is missing or invalid.</p>"
            return html_response(page, 400)
        injected = self.faults.take_login_failure()
        if injected:
            self.stats.fault("login_failed")
            if self.faults.config.login_fail_mode == "error":
                self.stats.logins["error"] += 1
                return html_response("<h1>Internal Server Error</h1>", 500)
        user = self._users.get(str(form.get("username", "")))
        ok = user is not None and user[0] == str(form.get("password", ""))
        if injected or not ok or user is None:
            self.stats.logins["failure"] += 1
            if self.config.login_failure_redirect:
                return web.Response(status=302, headers={"Location": "/login/"})
            assert sess is not None
            return html_response(login_html(sess.csrf, "Invalid login. Please try again."))
        if token:
            self.sessions.pop(token, None)
        new_token = secrets.token_urlsafe(24)
        self.sessions[new_token] = Session(user[1], secrets.token_hex(20))
        self.stats.logins["success"] += 1
        resp = web.Response(status=302, headers={"Location": "/home"})
        resp.set_cookie("session", new_token, httponly=True, path="/", samesite="Lax")
        return resp

    async def _login_redirect(self, ctx: Ctx) -> web.StreamResponse:
        return web.Response(status=308, headers={"Location": "/login/"})

    async def _home(self, ctx: Ctx) -> web.StreamResponse:
        return html_response("<html><head><title>Airflow</title></head><body>DAGs</body></html>")

    async def _not_found(self, ctx: Ctx) -> web.StreamResponse:
        raise Problem(404, "Not Found", "The requested URL was not found on the server.")

    async def _method_not_allowed(self, ctx: Ctx) -> web.StreamResponse:
        raise Problem(405, "Method Not Allowed", "The method is not allowed for the URL.")

    # --------------------------------------------------------------------- paging
    def _limit(self, ctx: Ctx, raw: int) -> int:
        cfg = self.config
        if raw < 0:
            raise Problem(400, "Bad Request", "Page limit must be a positive integer")
        limit = cfg.fallback_page_limit if raw == 0 else min(raw, cfg.max_page_limit)
        return limit if ctx.clamp is None else min(limit, ctx.clamp)

    def _page(self, ctx: Ctx) -> tuple[int, int]:
        q = ctx.request.query
        offset = parse_int(q.get("offset"), "offset", 0)
        if offset < 0:
            raise Problem(400, "Bad Request", f"{offset} is less than the minimum of 0")
        return offset, self._limit(ctx, parse_int(q.get("limit"), "limit", 100))

    def _missing(self, title: str, detail: str) -> None:
        if self.config.listing_unknown_404:
            raise Problem(404, title, detail)

    def _dag(self, dag_id: str) -> int:
        d = self.data.dag_index.get(dag_id)
        if d is None:
            raise Problem(404, "DAG not found", f"DAG with dag_id: '{dag_id}' not found")
        return d

    # ------------------------------------------------------------------ endpoints
    async def _health(self, ctx: Ctx) -> web.StreamResponse:
        now = dt.datetime.now(dt.UTC).isoformat()
        return json_response(
            {
                "metadatabase": {"status": "healthy"},
                "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": now},
                "triggerer": {"status": "healthy", "latest_triggerer_heartbeat": now},
                "dag_processor": {"status": None, "latest_dag_processor_heartbeat": None},
            },
        )

    async def _version(self, ctx: Ctx) -> web.StreamResponse:
        return json_response({"version": "2.11.2", "git_version": None})

    async def _dags_list(self, ctx: Ctx) -> web.StreamResponse:
        offset, limit = self._page(ctx)
        q = ctx.request.query
        pattern = q.get("dag_id_pattern")
        data = self.data
        dags: range | list[int] = range(len(data.dag_ids))
        if pattern:
            dags = [d for d in dags if pattern.lower() in data.dag_ids[d].lower()]
        if parse_bool(q.get("paused"), "paused", False):
            dags = []
        items = [data.dag_json(d) for d in dags[offset : offset + limit]]
        return json_response({"dags": items, "total_entries": len(dags)})

    async def _dag_get(self, ctx: Ctx) -> web.StreamResponse:
        return json_response(self.data.dag_json(self._dag(ctx.args[0])))

    def _run_404(self, dag_id: str, run_id: str) -> Problem:
        return Problem(
            404,
            "DAGRun not found",
            f"DAGRun with DAG ID: '{dag_id}' and DagRun ID: '{run_id}' not found",
        )

    async def _dag_runs_list(self, ctx: Ctx) -> web.StreamResponse:
        (dag_id,) = ctx.args
        offset, limit = self._page(ctx)
        dags: range | list[int] = range(len(self.data.dag_ids))
        if dag_id != "~":
            d = self.data.dag_index.get(dag_id)
            if d is None:
                self._missing("DAG not found", f"DAG with dag_id: '{dag_id}' not found")
            dags = [] if d is None else [d]
        total, pairs = self.data.runs_page(dags, offset, limit)
        items = [self.data.run_json(d, r) for d, r in pairs]
        return json_response({"dag_runs": items, "total_entries": total})

    async def _dag_runs_batch(self, ctx: Ctx) -> web.StreamResponse:
        body = await self._body(ctx)
        offset = body.get("page_offset", 0)
        raw_limit = body.get("page_limit", 100)
        if not isinstance(offset, int) or offset < 0:
            raise Problem(400, "Bad Request", f"{offset!r} is not valid for page_offset")
        if not isinstance(raw_limit, int) or raw_limit < 1:
            raise Problem(400, "Bad Request", f"{raw_limit!r} is less than the minimum of 1")
        limit = self._limit(ctx, raw_limit)
        dags: range | list[int] = range(len(self.data.dag_ids))
        dag_ids = body.get("dag_ids")
        if dag_ids is not None:
            if not isinstance(dag_ids, list):
                raise Problem(400, "Bad Request", "dag_ids must be a list")
            wanted = {self.data.dag_index.get(str(x)) for x in dag_ids}
            dags = sorted(d for d in wanted if d is not None)
        total, pairs = self.data.runs_page(dags, offset, limit)
        items = [self.data.run_json(d, r) for d, r in pairs]
        return json_response({"dag_runs": items, "total_entries": total})

    async def _dag_run_get(self, ctx: Ctx) -> web.StreamResponse:
        dag_id, run_id = ctx.args
        d = self._dag(dag_id)
        triggered = self.data.triggered.get((dag_id, run_id))
        if triggered is not None:
            return json_response(triggered)
        r = self.data.find_run(dag_id, run_id)
        if r is None:
            raise self._run_404(dag_id, run_id)
        return json_response(self.data.run_json(d, r))

    async def _body(self, ctx: Ctx) -> dict[str, Any]:
        raw = await ctx.request.read()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise Problem(400, "Bad Request", "Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Problem(400, "Bad Request", "Request body must be a JSON object")
        return body

    async def _dag_run_trigger(self, ctx: Ctx) -> web.StreamResponse:
        (dag_id,) = ctx.args
        body = await self._body(ctx)
        data = self.data
        data.trigger_calls.append({"dag_id": dag_id, "body": body})
        self._dag(dag_id)
        now = dt.datetime.now(dt.UTC).isoformat()
        logical = str(body.get("logical_date") or body.get("execution_date") or now)
        run_id = str(body.get("dag_run_id") or f"manual__{logical}")
        if (dag_id, run_id) in data.triggered or data.find_run(dag_id, run_id) is not None:
            raise Problem(
                409,
                "Conflict",
                f"DAGRun with DAG ID: '{dag_id}' and DAGRun ID: '{run_id}' already exists",
            )
        run: JSON = {
            "dag_run_id": run_id,
            "dag_id": dag_id,
            "logical_date": logical,
            "execution_date": logical,
            "start_date": None,
            "end_date": None,
            "data_interval_start": logical,
            "data_interval_end": logical,
            "last_scheduling_decision": None,
            "run_type": "manual",
            "state": "queued",
            "external_trigger": True,
            "conf": body.get("conf") or {},
            "note": body.get("note"),
        }
        data.triggered[(dag_id, run_id)] = run
        return json_response(run)

    def _run_pos(self, dag_id: str, run_id: str) -> tuple[int | None, int | None, bool]:
        """``(d, r, known)`` for listing paths; ``known`` False means answer empty."""
        d = r = None
        if dag_id != "~":
            d = self.data.dag_index.get(dag_id)
            if d is None:
                self._missing("DAG not found", f"DAG with dag_id: '{dag_id}' not found")
                return None, None, False
        if run_id != "~":
            r = self.data.find_run(dag_id, run_id)
            if r is None:
                if (dag_id, run_id) not in self.data.triggered:
                    self._missing("DAGRun not found", self._run_404(dag_id, run_id).detail or "")
                return d, None, False
        return d, r, True

    async def _tis_list(self, ctx: Ctx) -> web.StreamResponse:
        dag_id, run_id = ctx.args
        offset, limit = self._page(ctx)
        d, r, known = self._run_pos(dag_id, run_id)
        if not known:
            return json_response({"task_instances": [], "total_entries": 0})
        total, rows = self.data.tis_page(d, r, offset, limit)
        items = [self.data.ti_json(*row) for row in rows]
        return json_response({"task_instances": items, "total_entries": total})

    async def _ti_get(self, ctx: Ctx) -> web.StreamResponse:
        dag_id, run_id, task_id, raw_map = ctx.args
        d = self._dag(dag_id)
        r = self.data.find_run(dag_id, run_id)
        if r is None:
            raise self._run_404(dag_id, run_id)
        s = self.data.slot_index.get((task_id, parse_int(raw_map, "map_index", -1)))
        if s is None:
            raise Problem(
                404,
                "Task instance not found",
                f"Task instance {task_id!r} (map_index {raw_map}) not found in {dag_id}/{run_id}",
            )
        return json_response(self.data.ti_json(d, r, s))

    async def _xcom_list(self, ctx: Ctx) -> web.StreamResponse:
        dag_id, run_id, task_id = ctx.args
        offset, limit = self._page(ctx)
        q = ctx.request.query
        d, r, known = self._run_pos(dag_id, run_id)
        if known and task_id != "~" and task_id not in self.data.task_slots:
            self._missing("Task not found", f"Task {task_id!r} not found in DAG {dag_id!r}")
            known = False
        if not known:
            return json_response({"xcom_entries": [], "total_entries": 0})
        f = _xcom_filter(d, r, task_id, q)
        total, refs = self.data.xcom_page(f, offset, limit)
        body = dumps(
            {"xcom_entries": [self.data.xcom_item(ref) for ref in refs], "total_entries": total},
        )
        for rule in ctx.mutations:
            self.data.mutate(f, rule.insert_rows, rule.delete_rows)
        return web.Response(body=body, content_type="application/json")

    async def _xcom_get(self, ctx: Ctx) -> web.StreamResponse:
        dag_id, run_id, task_id, key = ctx.args
        q = ctx.request.query
        map_index = parse_int(q.get("map_index"), "map_index", -1)
        deserialize = parse_bool(q.get("deserialize"), "deserialize", False)
        stringify = parse_bool(q.get("stringify"), "stringify", True)
        if deserialize and not self.config.xcom_deserialize_enabled:
            raise Problem(400, "Bad Request", "XCom deserialization is disabled in configuration.")
        data = self.data
        item: JSON | None = None
        if ctx.route != "xcom_echo":
            d = data.dag_index.get(dag_id)
            r = data.find_run(dag_id, run_id)
            s = data.slot_index.get((task_id, map_index))
            if d is not None and r is not None and s is not None:
                ref = XComRef(d, r, s, key)
                if data.xcom_exists(ref):
                    item = data.xcom_item(ref)
                    value: Any = data.xcom_value(ref)
        if item is None:
            if ctx.route != "xcom_echo" and not self.config.echo_unknown:
                where = f"{dag_id}/{run_id}/{task_id}"
                detail = f"XCom entry {key!r} (map_index {map_index}) not found for {where}"
                raise Problem(404, "XCom entry not found", detail)
            value = {
                "echo": True,
                "dag_id": dag_id,
                "dag_run_id": run_id,
                "task_id": task_id,
                "key": key,
                "map_index": map_index,
            }
            item = {
                "dag_id": dag_id,
                "dag_run_id": run_id,
                "execution_date": None,
                "key": key,
                "map_index": map_index,
                "task_id": task_id,
                "timestamp": None,
                "raw_path": ctx.request.raw_path,
            }
        item["value"] = str(value) if stringify else value
        return json_response(item)

    # ------------------------------------------------------------ API v2 (3.3.2)
    def _check_bearer(self, ctx: Ctx) -> None:
        header = ctx.request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Problem(401, "Unauthorized", "Not authenticated")
        if header.removeprefix("Bearer ") not in self.tokens:
            raise Problem(403, "Forbidden", "Invalid JWT token")

    async def _token(self, ctx: Ctx) -> web.StreamResponse:
        try:
            body = await ctx.request.json()
        except ValueError:
            body = None
        user = self._users.get(str(body.get("username"))) if isinstance(body, dict) else None
        if user is None or not isinstance(body, dict) or body.get("password") != user[0]:
            raise Problem(401, "Unauthorized", "Invalid credentials")
        now = int(dt.datetime.now(dt.UTC).timestamp())
        claims = {
            "sub": str(body["username"]),
            "role": user[1],
            "teams": [],
            "jti": secrets.token_hex(16),
            "aud": "apache-airflow",
            "nbf": now,
            "exp": now + 86400,
            "iat": now,
        }
        token = ".".join(
            base64.urlsafe_b64encode(dumps(part)).decode().rstrip("=")
            for part in ({"alg": "HS512", "typ": "JWT"}, claims)
        )
        token += "." + secrets.token_urlsafe(64)  # not a real signature: only this fake checks it
        self.tokens[token] = user[1]
        return json_response({"access_token": token}, status=201)

    async def _version_v2(self, ctx: Ctx) -> web.StreamResponse:
        return json_response({"version": "3.3.2", "git_version": ".release:fake"})

    async def _not_found_v2(self, ctx: Ctx) -> web.StreamResponse:
        return json_response({"error": "API route not found"}, status=404)

    async def _v1_removed(self, ctx: Ctx) -> web.StreamResponse:
        error = "/api/v1 has been removed in Airflow 3, please use its upgraded version /api/v2 instead."
        return json_response({"error": error}, status=404)

    def _xcom_item_v2(self, ref: XComRef) -> JSON:
        """A 3.3.2 XCom list item: the run id in it, no ``execution_date``, datetimes in ``Z``."""
        item = self.data.xcom_item(ref)
        run = self.data.runs[ref.r]
        logical = _z(item["execution_date"])
        return {
            "key": item["key"],
            "timestamp": _z(item["timestamp"]),
            "logical_date": logical,
            "map_index": item["map_index"],
            "task_id": item["task_id"],
            "dag_id": item["dag_id"],
            "run_id": run.run_id,
            "dag_display_name": item["dag_id"],
            "task_display_name": item["task_id"],
            "run_after": logical,
        }

    async def _xcom_list_v2(self, ctx: Ctx) -> web.StreamResponse:
        dag_id, run_id, task_id = ctx.args
        q = ctx.request.query
        offset = parse_int(q.get("offset"), "offset", 0)
        limit = parse_int(q.get("limit"), "limit", 50)  # 3.3.2: default 50, capped, 0 gives 0
        if offset < 0 or limit < 0:
            raise Problem(422, "Unprocessable Entity", "limit and offset must be >= 0")
        limit = min(limit, self.config.max_page_limit)
        d, r, known = self._run_pos(dag_id, run_id)
        if not known or (task_id != "~" and task_id not in self.data.task_slots):
            return json_response({"xcom_entries": [], "total_entries": 0})
        total, refs = self.data.xcom_page(_xcom_filter(d, r, task_id, q), offset, limit)
        entries = [self._xcom_item_v2(ref) for ref in refs]
        return json_response({"xcom_entries": entries, "total_entries": total})

    async def _xcom_get_v2(self, ctx: Ctx) -> web.StreamResponse:
        dag_id, run_id, task_id, key = ctx.args
        q = ctx.request.query
        map_index = parse_int(q.get("map_index"), "map_index", -1)
        stringify = parse_bool(q.get("stringify"), "stringify", False)  # 3.3.2's default
        parse_bool(q.get("deserialize"), "deserialize", False)  # allowed either way in 3.x
        data = self.data
        d = data.dag_index.get(dag_id)
        r = data.find_run(dag_id, run_id)
        s = data.slot_index.get((task_id, map_index))
        ref = XComRef(d, r, s, key) if d is not None and r is not None and s is not None else None
        if ref is None or not data.xcom_exists(ref):
            raise Problem(404, "Not Found", f"XCom entry with key: `{key}` not found")
        value = data.xcom_value(ref)
        return json_response({**self._xcom_item_v2(ref), "value": str(value) if stringify else value})

    async def _variables_list(self, ctx: Ctx) -> web.StreamResponse:
        offset, limit = self._page(ctx)
        rows = list(self.data.variables.values())
        page = rows[offset : offset + limit]
        items = [{"key": v["key"], "description": v["description"]} for v in page]
        return json_response({"variables": items, "total_entries": len(rows)})

    def _variable_body(self, body: dict[str, Any]) -> JSON:
        missing = [f for f in ("key", "value") if f not in body]
        if missing:
            raise Problem(
                400,
                "Bad Request",
                str({f: ["Missing data for required field."] for f in missing}),
            )
        return {
            "key": str(body["key"]),
            "value": str(body["value"]),
            "description": body.get("description"),
        }

    async def _variable_create(self, ctx: Ctx) -> web.StreamResponse:
        var = self._variable_body(await self._body(ctx))
        self.data.variables[var["key"]] = var
        return json_response(var)

    def _variable(self, key: str) -> JSON:
        var = self.data.variables.get(key)
        if var is None:
            raise Problem(404, "Variable not found", "Variable does not exist")
        return var

    async def _variable_get(self, ctx: Ctx) -> web.StreamResponse:
        return json_response(self._variable(ctx.args[0]))

    async def _variable_patch(self, ctx: Ctx) -> web.StreamResponse:
        (key,) = ctx.args
        var = self._variable_body(await self._body(ctx))
        if var["key"] != key:
            raise Problem(
                400,
                "Invalid post body",
                "key from request body doesn't match uri parameter",
            )
        old = self._variable(key)
        if var["description"] is None:
            var["description"] = old["description"]
        self.data.variables[key] = var
        return json_response(var)

    async def _variable_delete(self, ctx: Ctx) -> web.StreamResponse:
        (key,) = ctx.args
        self._variable(key)
        del self.data.variables[key]
        return web.Response(status=204)

    # -------------------------------------------------------------------- control
    async def _control(self, request: web.Request, name: str) -> web.StreamResponse:
        try:
            body: dict[str, Any] = {}
            if request.method == "POST" and request.can_read_body:
                raw = await request.json()
                if not isinstance(raw, dict):
                    raise ValueError("body must be a JSON object")
                body = raw
            return self._control_op(request.method, name, body)
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, status=400)

    def _control_op(self, method: str, name: str, body: dict[str, Any]) -> web.Response:
        match method, name:
            case "GET", "faults":
                pass
            case "POST", "faults":
                append = bool(body.pop("append", False))
                new = FaultConfig.from_json(body)
                if append:
                    for rule in new.rules:
                        self.faults.add(rule)
                    for key in body.keys() - {"rules"}:
                        setattr(self.faults.config, key, getattr(new, key))
                else:
                    self.faults.set(new)
                self.config.faults = self.faults.config
            case "GET", "config":
                return json_response(self._config_json())
            case "POST", "config":
                scalars = {f.name for f in dataclasses.fields(ServerConfig)} - {"faults"}
                unknown = set(body) - scalars
                if unknown:
                    raise ValueError(f"unknown ServerConfig fields: {sorted(unknown)}")
                for key, value in body.items():
                    setattr(self.config, key, value)
                self._rebuild_auth()
                return json_response(self._config_json())
            case "POST", "reset":
                self.reset()
            case "POST", "expire_sessions":
                self.sessions.clear()
            case "GET", "stats":
                snap = self.stats.snapshot()
                snap["trigger_calls"] = len(self.data.trigger_calls)
                snap["inserted_rows"] = len(self.data.inserted)
                snap["deleted_rows"] = len(self.data.deleted)
                snap["sessions"] = sum(1 for s in self.sessions.values() if s.role)
                return json_response(snap)
            case "GET", "data":
                spec = self.data.spec
                out = {f.name: getattr(spec, f.name) for f in dataclasses.fields(DataSpec)}
                out["start"] = spec.start.isoformat()
                out["total_entries"] = spec.total_entries
                out["dag_ids"] = len(self.data.dag_ids)
                out["run_ids"] = [run.run_id for run in self.data.runs]
                return json_response(out)
            case _:
                return json_response({"error": f"no control endpoint {method} {name}"}, status=404)
        return json_response(self.faults.config.to_json())

    def _config_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self.config)
        out.pop("faults", None)
        return out


FAULTS_KEY: Final = web.AppKey("faults", Faults)
STATS_KEY: Final = web.AppKey("stats", Stats)
DATA_KEY: Final = web.AppKey("data", DataSet)
CONFIG_KEY: Final = web.AppKey("config", ServerConfig)
SERVER_KEY: Final = web.AppKey("server", FaultServer)


def create_app(
    config: ServerConfig | None = None,
    data: DataSet | DataSpec | None = None,
) -> web.Application:
    """Return the aiohttp application of a new :class:`FaultServer` (not started)."""
    return FaultServer(config, data).app


def start_fault_server(
    config: ServerConfig | None = None,
    data: DataSet | DataSpec | None = None,
    port: int = 0,
) -> _Starter:
    """Start a server on 127.0.0.1: ``async with start_fault_server() as srv: ...``.

    Also awaitable (``srv = await start_fault_server()``; then ``await srv.stop()``).
    """
    return _Starter(FaultServer(config, data), port)


class _Starter:
    def __init__(self, server: FaultServer, port: int) -> None:
        self.server, self.port = server, port

    def __await__(self) -> Any:
        return self.server.start(self.port).__await__()

    async def __aenter__(self) -> FaultServer:
        return await self.server.start(self.port)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.server.stop()


async def _serve_cli(args: argparse.Namespace) -> None:
    overrides: dict[str, Any] = {"payload_bytes": args.payload_bytes}
    if args.entries is not None:
        spec = DataSpec.for_entries(args.entries, **overrides)
    else:
        spec = DataSpec(**overrides)
    config = ServerConfig(
        auth=not args.no_auth,
        username=args.user,
        password=args.password,
        max_page_limit=args.max_page_limit,
        echo_unknown=args.echo,
        xcom_deserialize_enabled=args.xcom_deserialize,
        api_v2=args.api_v2,
    )
    server = FaultServer(config, DataSet(spec))
    await server.start(args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready = {"url": server.url, "pid": os.getpid(), "entries": spec.total_entries}
    print(json.dumps(ready), flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description="Fake Airflow v1 REST server (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--entries",
        type=int,
        default=None,
        help="number of XComs (default: the 12,000 of DataSpec())",
    )
    parser.add_argument("--payload-bytes", type=int, default=0)
    parser.add_argument("--max-page-limit", type=int, default=100)
    parser.add_argument("--no-auth", action="store_true")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--echo", action="store_true", help="echo unknown XCom ids")
    parser.add_argument(
        "--api-v2",
        action="store_true",
        help="also answer Airflow 3.3.2's /auth/token and API v2 XCom routes (and 404 /api/v1)",
    )
    parser.add_argument(
        "--xcom-deserialize",
        action="store_true",
        help="accept deserialize=true on XCom GETs",
    )
    asyncio.run(_serve_cli(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
