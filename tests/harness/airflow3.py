"""Real Apache Airflow 3 (API v2; 3.3.2 unless told) for the integration tests (standard library only).

The release: ``AIRFLOW_ASYNC_AIRFLOW3_VERSION`` (3.0.6, 3.1.8, 3.2.2 or 3.3.2; default 3.3.2).
What the harness does differently per release is in ONE place, :func:`release_config`; the
seeder adapts to each release's internals itself (seed_airflow3.py). A release other than the
default keeps its own state file and serve log (``.cache/run/current3-<version>.json``), so it
never touches a running default server. The FINDINGS below were measured on 3.3.2.

Importable (``from tests.harness import airflow3``) and runnable from the repo root::

    python -m tests.harness.airflow3 install            # build the Airflow 3 venv (once)
    python -m tests.harness.airflow3 serve              # start both api-servers, seed, block until ^C
    python -m tests.harness.airflow3 start              # same, detached; writes .cache/run/current3.json
    python -m tests.harness.airflow3 seed [--xcoms N]   # re-seed the running servers' database
    python -m tests.harness.airflow3 stop               # stop what ``start`` started

Airflow 3 lives in its own venv under ``<repo>/.cache/airflow-<version>/venv`` (never the project's
venv, never the Airflow 2 one), pinned by ``tests/harness/constraints-airflow-<version>.txt``. The
venv, process and lock helpers are the Airflow 2 harness's (tests/harness/airflow2.py). Each
``Airflow3Server`` gets a fresh AIRFLOW_HOME under ``.cache/run/`` with a SQLite database, the
simple auth manager with two users whose passwords are known (admin/admin role admin,
viewer/viewer role viewer), an explicit ``[api_auth] jwt_secret`` and ``[api] secret_key``, and
two ``airflow api-server -H 127.0.0.1 -p <free port> -w 1`` processes sharing that database and
that JWT secret:

* main:  stock config (tokens live ``[api_auth] jwt_expiration_time`` = 86400 s, leeway 10 s,
         ``[api] maximum_page_limit`` 100).
* short: ``AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME=5`` and ``AIRFLOW__API_AUTH__JWT_LEEWAY=0``:
         its tokens are refused 5 s after they were issued, for tests of re-login. (With the
         default 10 s leeway a 5 s token is still accepted until ~15 s: measured.) Both servers
         accept each other's tokens (same secret); the main one keeps its 10 s leeway.

Passwords: 3.3.2's SimpleAuthManager reads them from ``[core] simple_auth_manager_passwords_file``
(default ``$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated``), a JSON object
``{"user": "password"}``; at start-up it only ADDS generated passwords for configured users that
are missing from the file (under an flock), so pre-writing ``{"admin": "admin", "viewer":
"viewer"}`` gives known passwords. The harness writes ``<home>/passwords.json`` and points the
option at it; ``POST /auth/token`` answers 201 for both users.

FINDINGS on the real 3.3.2 api-server (tests/integration/test_harness3_smoke.py re-checks them;
"(held)" marks a fact of /work/shared/docs/airflow-api-notes.md, "Airflow 3", that proved true):

* ``GET /api/v2/version`` without credentials: 200 ``{"version": "3.3.2", "git_version":
  ".release:<sha>"}``. ``GET /api/v1/version``: 404 ``{"error": "/api/v1 has been removed in
  Airflow 3, please use its upgraded version /api/v2 instead."}``. ``/api/v2/monitor/health``
  answers 200 without credentials too (scheduler "unhealthy": the harness runs none). (held)
* ``POST /auth/token`` ``{"username","password"}``: 201 ``{"access_token"}`` only (no
  ``expires_in``, no refresh token); wrong password 401 ``{"detail": "Invalid credentials"}``.
  The JWT payload: ``sub``, ``role``, ``teams``, ``jti``, ``aud`` ("apache-airflow"), ``nbf``,
  ``exp``, ``iat``; HS512. A token request takes ~3 ms (no password hashing). No rate limit.
* Without a token: 401 ``{"detail": "Not authenticated"}``; a garbage Bearer token: 403
  ``{"detail": "Invalid JWT token"}``; the viewer on a PATCH: 403 ``{"detail": "Forbidden"}``.
  (held)
* Expiry: an expired token gets 401 ``{"detail": "Token Expired"}`` (held; not 403). The server
  accepts a token until ``exp + [api_auth] jwt_leeway`` (10 s by default): measured with
  ``jwt_expiration_time=5``, a token was refused at 4.9 s with leeway 0 and only at 15.2 s with
  the default leeway, so the notes' recipe (``JWT_EXPIRATION_TIME=15``, leeway untouched) gives
  tokens that live ~25 s. Hence the short server's leeway 0. A bad signature is 403
  ``{"detail": "Invalid JWT token"}`` (held).
* Paging (XCom list, dags, dagRuns): ``limit`` default 50; ``limit=1000`` is capped at 100
  silently (``total_entries`` is the full count); ``limit=0`` returns ZERO items with the right
  ``total_entries`` (not the default page: a client that sends ``limit=0`` meaning "default" gets
  nothing); ``limit=-1`` / ``offset=-1`` / ``limit=abc`` -> 422 ``{"detail": [{"type", "loc",
  "msg", "input", "ctx"?}]}``. (held)
* XCom list items: ``key, timestamp, logical_date, map_index, task_id, dag_id, run_id,
  dag_display_name, task_display_name, run_after``: no value, and the run id is there (held;
  the notes omit the two ``*_display_name`` fields). Datetimes render as ``...Z``
  (``2024-01-01T00:00:00Z``; v1 rendered ``+00:00``); ``logical_date`` is null for a run without
  one. Default order (dag_id, task_id, run_id, map_index, key), the manifest's order.
* DAG-run lists carry ``total_entries_limit``, ``next_cursor``, ``previous_cursor`` (null with
  offset paging) besides ``dag_runs`` and ``total_entries``.
* XCom get: defaults deserialize=false, stringify=false (held). deserialize=true is always
  allowed in 3.x (no ``enable_xcom_deserialize_support`` gate as on 2.x). deserialize=false
  returns the stored JSON as it is: plain JSON unchanged, a tuple as ``{"__classname__":
  "builtins.tuple", "__version__": 1, "__data__": [7, "t"]}``, a pendulum datetime likewise.
  deserialize=true first ``json.loads`` a STRING value and then flattens serde objects into
  strings (``airflow.serialization.stringify``): a tuple -> ``"(7,t)"``, a datetime ->
  ``"pendulum.datetime.DateTime@version=2(timestamp=1704092400.0, tz=(UTC,...))"``, and a string
  that happens to be JSON (``'{"run": 3}'``) comes back as the parsed object ``{"run": 3}``.
  Everything else is the same both ways. The manifest records both answers for every XCom.
* Keys with spaces, ``/``, ``+``, ``%41``, non-ASCII and run ids with ``~``, ``+``, ``:`` are all
  fetchable with each path segment percent-encoded (``~`` literal; aiohttp/yarl keep ``%25``).
  A raw ``+`` in a path works too, but a key containing a literal ``%41`` sent unencoded is
  decoded to ``A`` on the way and answers 404: encode ``%`` always.
* Errors: ``{"detail": "..."}`` (404 ``XCom entry with key: `k` not found``, 404 ``The Dag with
  ID: `d` was not found``, 409 on a duplicate XCom create: ``The XCom with key: `k` with mentioned
  task instance already exists.``); 422 ``{"detail": [{"type": "extra_forbidden", "loc": ["body",
  "extra"], ...}]}`` for an unknown body field; an unknown ``/api/v2/...`` route -> 404 ``{"error":
  "API route not found"}`` (held); an unknown path outside ``/api`` answers 200 with the UI's HTML.
* XCom create ``POST .../xcomEntries {"key", "value", "map_index"}``: 201 (the seeder creates a
  few XComs this way, sequentially), 409 when it exists (held).
* Performance on this 2-core machine (measured while other sessions kept the load average at
  ~25, so expect less on a quiet one): install from nothing 26-28 s (44 s once under load);
  ``db migrate`` ~3 s; the seed step ~13-16 s in all (DAG sync 1 s, 121 runs 1 s, 2,000 XComs
  1.5-2.5 s, both real ``dags test`` runs ~6 s in one process: ~12 s EACH as separate ``airflow
  dags test`` commands); both api-servers answer ~7-9 s after launch, while the seeder runs;
  reading the manifest back (2 GETs per XCom, ~4,000 requests over both servers) 34-45 s;
  start-and-seed 51-61 s, 84 s including a fresh install. One XCom GET costs ~11 ms of server
  CPU here: on SQLite its joined-load query scans the whole ``task_instance`` table (``EXPLAIN
  QUERY PLAN``: ``SCAN task_instance_1``), so the cost grows with the task instances in the DB
  (~3.7 ms per GET with 20 runs, ~11 ms with 121). The notes' "about 30 s per install" held.
  An idle api-server: one process, ~240 MB RSS, no CPU.
* Not in the notes: 3.x ``airflow dags test <dag> 2024-01-01`` names its run ``manual__<now>``
  (logical date 2024-01-01), where 2.x named it ``manual__2024-01-01T00:00:00+00:00``. Seeding
  in process needs the scheduler-side ``SerializedDAG`` (``DBDagBag().get_latest_version_of_dag``)
  for ``create_dagrun(run_id=, logical_date=None|date, data_interval=, run_after=, run_type=,
  triggered_by=, state=)``, and ``XComModel.set(..., serialize=False)`` with the task SDK's
  ``BaseXCom.serialize_value(value)``: ``XCom.set``'s default ``serialize=True`` (the notes'
  recipe) would store every value as a JSON *string* of its JSON, which no real task does.
* Scheduler (``Scheduler`` below; tests/integration/test_examples.py::test_trigger_and_wait
  runs one for ``examples/trigger_and_wait.py``): ``airflow scheduler`` with the api-servers'
  environment schedules and runs ``trigger_demo`` with NO dag-processor: it reads the DAG the
  seeder serialized, and each task process parses its file from the ``dags-folder`` bundle
  itself. LocalExecutor on SQLite works in 3.3.2 (no refusal, no "database is locked" seen; 2.x
  refused that pair). Needed on top of the env: ``[core] execution_api_server_url =
  http://127.0.0.1:<main port>/execution/`` (the default is ``http://localhost:8080/execution/``,
  from ``[api] base_url``); the JWT secret the env shares already signs the tasks' tokens. With
  a dead URL the task supervisor retries ``PATCH task-instances/<id>/run`` ~10 s (tenacity,
  ``httpx.ConnectError`` in the scheduler log), the executor reports "failed" for a task still
  "queued", and the run fails: the log of the scheduler (stdout) carries the supervisors'
  output, ``<home>/logs/dag_id=.../run_id=.../task_id=.../attempt=1.log`` the task's (JSON
  lines). With fork, LocalExecutor forks all ``[core] parallelism`` workers at start (32 by
  default: the harness sets 2). ``--skip-serve-logs``, else a log server binds 0.0.0.0:8793.
  Measured: first heartbeat (``/api/v2/monitor/health``) ~2 s after launch; trigger -> success
  ~4.5 s (first task ~2.9 s, the second 0.1 s); SIGTERM stops it in <1 s; the whole test ~5 s.
  It leaves one ``job`` row (SchedulerJob, success); health reports the scheduler "healthy" for
  30 s afterwards. A queued run of any UNPAUSED DAG is started too (a shared test leaves
  ``harvest_empty`` unpaused with its seeded queued run), so the test pauses the others meanwhile.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness.airflow2 import (
    _NO_PROXY_OPENER,
    CACHE_DIR,
    DAGS_FOLDER,
    HOST,
    REPO_ROOT,
    RUN_DIR,
    ExtraServer,
    HarnessError,
    Log,
    _alive,
    _bin,
    _ensure_venv,
    _free_port,
    _http_status,
    _tail,
    kill_groups,
)
from tests.harness.airflow2 import Scheduler as Scheduler2

#: The release the harness runs unless ``AIRFLOW_ASYNC_AIRFLOW3_VERSION`` names another.
DEFAULT_VERSION = "3.3.2"
#: The Airflow 3 releases the harness can run (each has its constraints file beside this one).
SUPPORTED_VERSIONS = ("3.0.6", "3.1.8", "3.2.2", "3.3.2")


@dataclass(frozen=True)
class ReleaseConfig:
    """Everything the harness does differently for one Airflow 3 release (see ``release_config``).

    Attributes:
        version: The release (``"3.2.2"``).
        maximum_page_limit: What a ``limit`` larger than ``[api] maximum_page_limit`` (100)
            returns at most: 100 from 3.1.7 (the server caps silently), ``None`` before (the
            server ignores the option and returns as many as asked).
        env: ``AIRFLOW__*`` settings this release needs on top of the common ones.
        slash_keys: Whether the release routes an XCom key containing ``/`` (3.1+): 3.0's
            public ``.../xcomEntries/{xcom_key}`` and its execution API's ``/xcoms/.../{key}``
            take one path segment, so no task can push such a key and no client can read one.
            Where False the seeder writes no such key and ``dags test`` runs skip pushing one
            (seed_airflow3.py, ``AIRFLOW_ASYNC_HARNESS3_SLASH_KEYS``).
        short_token_seconds: The short-token server's token lifetime: 5 s, but 2 s on 3.0,
            whose harvest of the seeded XComs ended before two 5 s lifetimes had passed
            (measured), too few expiries for the test of re-login mid-harvest.
    """

    version: str
    maximum_page_limit: int | None
    env: dict[str, str] = field(default_factory=dict)
    slash_keys: bool = True
    short_token_seconds: int = 5


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def release_config(version: str) -> ReleaseConfig:
    """The one table of what differs between the Airflow 3 releases the harness runs.

    Raises:
        HarnessError: ``version`` is not one the harness has constraints for.
    """
    if version not in SUPPORTED_VERSIONS:
        raise HarnessError(
            f"AIRFLOW_ASYNC_AIRFLOW3_VERSION={version!r}: the harness runs {', '.join(SUPPORTED_VERSIONS)}"
        )
    release = _release(version)
    env: dict[str, str] = {}
    if release < (3, 1):
        # 3.0 still gates ``GET .../xcomEntries/{key}?deserialize=true`` behind this option (400
        # "XCom deserialization is disabled in configuration"), as 2.x did; 3.1 dropped the gate.
        env["AIRFLOW__API__ENABLE_XCOM_DESERIALIZE_SUPPORT"] = "True"
    slash_keys = release >= (3, 1)
    env["AIRFLOW_ASYNC_HARNESS3_SLASH_KEYS"] = "1" if slash_keys else "0"  # read by the seeder
    return ReleaseConfig(
        version=version,
        maximum_page_limit=100 if release >= (3, 1, 7) else None,
        env=env,
        slash_keys=slash_keys,
        short_token_seconds=5 if release >= (3, 1) else 2,
    )


AIRFLOW_VERSION = os.environ.get("AIRFLOW_ASYNC_AIRFLOW3_VERSION") or DEFAULT_VERSION
RELEASE = release_config(AIRFLOW_VERSION)
HARNESS_DIR = Path(__file__).resolve().parent
AIRFLOW_VENV = CACHE_DIR / f"airflow-{AIRFLOW_VERSION}" / "venv"
CONSTRAINTS_FILE = HARNESS_DIR / f"constraints-airflow-{AIRFLOW_VERSION}.txt"
SEED_SCRIPT = HARNESS_DIR / "seed_airflow3.py"
#: ``start``/``stop``'s state (and ``serve``'s log): the default release's names are unchanged;
#: another release gets its own, so running one never stops or overwrites the other.
_RUN_SUFFIX = "" if AIRFLOW_VERSION == DEFAULT_VERSION else f"-{AIRFLOW_VERSION}"
STATE_FILE = RUN_DIR / f"current3{_RUN_SUFFIX}.json"
SERVE_LOG = RUN_DIR / f"serve3{_RUN_SUFFIX}.log"

ADMIN = ("admin", "admin")
VIEWER = ("viewer", "viewer")
#: The short-token server's ``[api_auth] jwt_expiration_time`` and ``jwt_leeway`` (seconds).
SHORT_TOKEN_SECONDS = RELEASE.short_token_seconds
SHORT_TOKEN_LEEWAY = 0
#: Most items one page returns for any ``limit`` (``None``: uncapped), see ``ReleaseConfig``.
MAXIMUM_PAGE_LIMIT = RELEASE.maximum_page_limit
HEALTH_PATH = "/api/v2/version"
#: Concurrent request streams per api-server while reading the manifest back (2 servers x 2).
READ_STREAMS_PER_SERVER = 2
#: DAGs executed for real with ``airflow dags test <dag> 2024-01-01`` (3.x names the run
#: ``manual__<now>``, logical date 2024-01-01); their XComs have source "dags_test".
DAGS_TEST = ("harvest_real", "example_xcom")
DAGS_TEST_DATE = "2024-01-01"
START_TIMEOUT = 180.0
STOP_GRACE = 10.0
TRACEBACK_GRACE = 20.0


def _stderr_log(msg: str) -> None:
    print(f"[airflow3] {msg}", file=sys.stderr, flush=True)


def ensure_airflow_venv(log: Log = _stderr_log) -> Path:
    """Build ``.cache/airflow-<version>/venv`` with ``apache-airflow==<version>`` (pinned by the
    committed constraints file) and return its python. Idempotent; cross-process locked."""
    return _ensure_venv(
        AIRFLOW_VENV,
        [f"apache-airflow=={AIRFLOW_VERSION}"],
        constraints=CONSTRAINTS_FILE,
        check=["-c", f"import airflow, sys; sys.exit(airflow.__version__ != {AIRFLOW_VERSION!r})"],
        log=log,
    )


class _ApiServer:
    """One ``airflow api-server`` process (its own process group) and its readiness poller."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = env
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = Path()
        self.started_at = 0.0
        self.ready_after: float | None = None
        self.traceback_seen_at: float | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def launch(self, airflow_bin: Path, home: Path, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.log_path = home / f"api-server-{self.name}.log"
        cmd = [str(airflow_bin), "api-server", "-H", HOST, "-p", str(self.port), "-w", "1"]
        with open(self.log_path, "ab") as out:
            out.write(f"$ {' '.join(cmd)}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                cmd,
                env=self.env,
                cwd=home,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        self.ready_after = None
        self.traceback_seen_at = None
        threading.Thread(target=self._poll, args=(self.proc,), daemon=True).start()

    def _poll(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = self.started_at + START_TIMEOUT * 2
        while proc is self.proc and proc.poll() is None and time.monotonic() < deadline:
            if _http_status(f"{self.url}{HEALTH_PATH}", timeout=2.0) == 200:
                self.ready_after = round(time.monotonic() - self.started_at, 2)
                return
            time.sleep(0.2)


class Airflow3Server:
    """One AIRFLOW_HOME (SQLite), a main api-server and (optionally) a short-token one.

    Typical use::

        server = Airflow3Server()
        server.start_and_seed()   # install (once), db migrate, both api-servers, seed, manifest
        ...                       # server.url, server.short_token_url, server.manifest_path
        server.stop()             # also registered with atexit
    """

    def __init__(
        self,
        *,
        home: Path | str | None = None,
        cleanup: bool = True,
        log: Log = _stderr_log,
        jwt_secret: str | None = None,
    ) -> None:
        self.log = log
        self._own_home = home is None
        self.cleanup = cleanup and home is None
        if home is None:
            RUN_DIR.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            home = RUN_DIR / f"af3-{stamp}-{os.getpid()}-{secrets.token_hex(3)}"
        self.home = Path(home).resolve()
        self.python = _bin(AIRFLOW_VENV, "python")
        self.airflow_bin = _bin(AIRFLOW_VENV, "airflow")
        self.manifest_path = self.home / "manifest.json"
        self.passwords_file = self.home / "passwords.json"
        self.main: _ApiServer | None = None
        self.short: _ApiServer | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._prepared = False
        self._stopped = False
        self._atexit_registered = False
        self.timings: dict[str, float] = {}
        self.seed_stats: dict[str, Any] = {}
        # Shared by every process of this home (both api-servers, the CLI, the seeder): a token of
        # one server is valid on the other. Kept in <home>/secrets.json so `seed` can reuse it.
        self._secrets = self._load_secrets(jwt_secret)

    def _load_secrets(self, jwt_secret: str | None) -> dict[str, str]:
        path = self.home / "secrets.json"
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text())
            if isinstance(data, dict) and data.get("jwt_secret"):
                return {str(k): str(v) for k, v in data.items()}
        return {"jwt_secret": jwt_secret or secrets.token_urlsafe(48), "secret_key": secrets.token_hex(16)}

    # -- configuration ------------------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        """Environment for every Airflow process of this server (CLI, seeder, api-servers)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AIRFLOW__") and k not in ("AIRFLOW_HOME", "AIRFLOW_CONFIG")
        }
        env.pop("PYTHONPATH", None)
        env.pop("VIRTUAL_ENV", None)
        env["PATH"] = f"{AIRFLOW_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",  # example_xcom is re-exported in dags/
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",  # 3.x has no SequentialExecutor
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__FERNET_KEY": "",
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN[0]}:admin,{VIEWER[0]}:viewer",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file),
                "AIRFLOW__API_AUTH__JWT_SECRET": self._secrets["jwt_secret"],
                "AIRFLOW__API__SECRET_KEY": self._secrets["secret_key"],
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": str(
                    self.home / "logs" / "dag-processor"
                ),
                "PYTHONWARNINGS": "ignore",
                "NO_COLOR": "1",
                **RELEASE.env,
            }
        )
        env.update(overrides)
        return env

    def _short_env(self) -> dict[str, str]:
        return self.env(
            AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME=str(SHORT_TOKEN_SECONDS),
            AIRFLOW__API_AUTH__JWT_LEEWAY=str(SHORT_TOKEN_LEEWAY),
        )

    # -- helpers --------------------------------------------------------------------------------

    def _run(
        self, name: str, cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 300
    ) -> str:
        """Run an Airflow-venv command, logging to ``<home>/<name>.log``; raise with its tail."""
        log_path = self.home / f"{name}.log"
        t0 = time.monotonic()
        with open(log_path, "ab") as out:
            out.write(f"$ {' '.join(cmd)}\n".encode())
            out.flush()
            try:
                proc = subprocess.run(
                    cmd,
                    env=env or self.env(),
                    cwd=self.home,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise HarnessError(f"{name} timed out after {timeout}s:\n{_tail(log_path)}") from exc
        err = proc.stderr.decode(errors="replace")
        with open(log_path, "a") as out:
            out.write(err)
        self.timings[name] = round(time.monotonic() - t0, 2)
        if proc.returncode != 0:
            raise HarnessError(f"{name} failed (exit {proc.returncode}):\n{_tail(log_path)}")
        return err

    @staticmethod
    def _stats(stderr: str, prefix: str) -> dict[str, Any]:
        lines = [line for line in stderr.splitlines() if line.startswith(prefix + " ")]
        return json.loads(lines[-1].split(" ", 1)[1]) if lines else {}

    @property
    def url(self) -> str:
        if self.main is None:
            raise HarnessError("server not started")
        return self.main.url

    @property
    def short_token_url(self) -> str | None:
        return self.short.url if self.short else None

    def _servers(self) -> list[_ApiServer]:
        return [s for s in (self.main, self.short) if s]

    def pids(self) -> dict[str, int]:
        out = {s.name: s.proc.pid for s in self._servers() if s.proc}
        if self._watchdog:
            out["watchdog"] = self._watchdog.pid
        return out

    # -- lifecycle ------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Install (once), create AIRFLOW_HOME with the passwords file, migrate the DB."""
        if self._prepared:
            return
        t0 = time.monotonic()
        ensure_airflow_venv(self.log)
        self.timings["install"] = round(time.monotonic() - t0, 2)
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(exist_ok=True)
        (self.home / "secrets.json").write_text(json.dumps(self._secrets))
        self.passwords_file.write_text(json.dumps({ADMIN[0]: ADMIN[1], VIEWER[0]: VIEWER[1]}) + "\n")
        self._register_atexit()
        self._run("db-migrate", [str(self.airflow_bin), "db", "migrate"])
        self._prepared = True

    def launch(self, short: bool = True) -> None:
        """Start the api-server process(es) without waiting for them (see ``wait_ready``)."""
        self.prepare()
        self._stopped = False
        for key in [k for k in self.timings if k.startswith("api_server_")]:
            del self.timings[key]
        self.main = _ApiServer("main", self.env())
        self.main.launch(self.airflow_bin, self.home)
        if short:
            self.short = _ApiServer("short", self._short_env())
            self.short.launch(self.airflow_bin, self.home)
        self._start_watchdog()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until every launched api-server answers ``GET /api/v2/version`` with 200; fail
        fast (with the log tail) when one exits or logs a traceback and stays unhealthy."""
        servers = self._servers()
        deadline = time.monotonic() + timeout
        retries = {s.name: 2 for s in servers}
        while True:
            pending = [s for s in servers if f"api_server_{s.name}_ready" not in self.timings]
            if not pending:
                return
            for s in pending:
                assert s.proc is not None
                if s.proc.poll() is not None:
                    tail = _tail(s.log_path)
                    if retries[s.name] > 0 and "in use" in tail:  # lost a race for the port
                        retries[s.name] -= 1
                        self.log(f"{s.name} api-server: port {s.port} taken, retrying")
                        s.launch(self.airflow_bin, self.home)
                        self._start_watchdog()
                        continue
                    self.stop(cleanup=False)
                    raise HarnessError(
                        f"Airflow 3 {s.name} api-server exited with {s.proc.returncode} before "
                        f"answering; log {s.log_path}:\n{tail}"
                    )
                if s.ready_after is not None:
                    self.timings[f"api_server_{s.name}_ready"] = s.ready_after
                    continue
                if s.traceback_seen_at is None and "Traceback (most recent" in _tail(s.log_path, 400):
                    s.traceback_seen_at = time.monotonic()
                if s.traceback_seen_at and time.monotonic() - s.traceback_seen_at > TRACEBACK_GRACE:
                    self.stop(cleanup=False)
                    raise HarnessError(
                        f"Airflow 3 {s.name} api-server logged a traceback and is not healthy "
                        f"{TRACEBACK_GRACE:.0f}s later; log {s.log_path}:\n{_tail(s.log_path)}"
                    )
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                tails = "\n".join(f"--- {s.log_path}:\n{_tail(s.log_path)}" for s in pending)
                self.stop(cleanup=False)
                raise HarnessError(f"Airflow 3 api-server(s) {names} not healthy after {timeout}s\n{tails}")
            time.sleep(0.25)

    def start(self, short: bool = True, timeout: float = START_TIMEOUT) -> Airflow3Server:
        """prepare + launch + wait_ready (no seeding)."""
        t0 = time.monotonic()
        try:
            self.launch(short=short)
            self.wait_ready(timeout)
        except BaseException:
            self.stop(cleanup=False)
            raise
        self.timings["start_total"] = round(time.monotonic() - t0, 2)
        return self

    def seed_db(
        self,
        *,
        xcoms: int = 2000,
        runs: int = 110,
        large: int = 2,
        dags_test: bool = True,
        reset: bool = False,
    ) -> None:
        """Write DAGs, runs and XComs into the DB (no server needed) and run ``dags test``."""
        self.prepare()
        cmd = [
            str(self.python),
            str(SEED_SCRIPT),
            "seed",
            "--plan",
            str(self.home / "plan-seed.json"),
            "--xcoms",
            str(xcoms),
            "--runs",
            str(runs),
            "--large",
            str(large),
            "--dags-test-date",
            DAGS_TEST_DATE,
            "--dags-test-plan",
            str(self.home / "plan-dags-test.json"),
        ]
        if dags_test:
            for dag_id in DAGS_TEST:
                cmd += ["--dags-test", dag_id]
        if reset:
            cmd.append("--reset")
        self.seed_stats = self._stats(self._run("seed", cmd), "SEED_STATS")

    def write_manifest(self, url: str | None = None, read_urls: list[str] | None = None) -> Path:
        """POST the plan's API XComs and read every planned XCom back from the running server(s)
        into the manifest (a JSON list, see seed_airflow3.py). Reads go to both api-servers (same
        database): one request stream per server process keeps both cores busy (~2x faster)."""
        plans = [self.home / "plan-seed.json", self.home / "plan-dags-test.json"]
        cmd = [str(self.python), str(SEED_SCRIPT), "manifest", "--url", url or self.url]
        if read_urls is None:
            read_urls = [s.url for s in self._servers()]
        for read_url in read_urls:
            cmd += ["--read-url", read_url]
        cmd += ["--streams", str(READ_STREAMS_PER_SERVER)]
        cmd += ["--user", f"{ADMIN[0]}:{ADMIN[1]}", "--manifest", str(self.manifest_path)]
        for plan in plans:
            if plan.exists():
                cmd += ["--plan", str(plan)]
        self.seed_stats.update(self._stats(self._run("manifest", cmd), "MANIFEST_STATS"))
        return self.manifest_path

    def start_and_seed(
        self, short: bool = True, timeout: float = START_TIMEOUT, **seed_kwargs: Any
    ) -> Airflow3Server:
        """Launch the api-servers, seed the DB while they boot, wait for health, write the manifest."""
        t0 = time.monotonic()
        try:
            self.launch(short=short)
            t1 = time.monotonic()
            self.seed_db(**seed_kwargs)
            self.wait_ready(max(timeout - (time.monotonic() - t0), 30.0))
            self.timings["wait_after_seed"] = round(time.monotonic() - t1 - self.timings.get("seed", 0), 2)
            self.write_manifest()
        except BaseException:
            self.stop(cleanup=False)
            raise
        self.timings["start_and_seed_total"] = round(time.monotonic() - t0, 2)
        self.log(f"ready at {self.url} (short-token {self.short_token_url}): {json.dumps(self.timings)}")
        return self

    def info(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "short_token_url": self.short_token_url,
            "users": {"admin": list(ADMIN), "viewer": list(VIEWER)},
            "manifest": str(self.manifest_path),
            "airflow_home": str(self.home),
            "python": str(self.python),
            "pids": self.pids(),
            "pgids": list(self.pids().values()),
            "airflow_version": AIRFLOW_VERSION,
            "short_token_seconds": SHORT_TOKEN_SECONDS,
            "short_token_leeway": SHORT_TOKEN_LEEWAY,
            "maximum_page_limit": MAXIMUM_PAGE_LIMIT,
            "slash_keys": RELEASE.slash_keys,
            "timings": self.timings,
            "seed_stats": self.seed_stats,
        }

    def stop(self, cleanup: bool | None = None) -> None:
        """Kill every process group this server started (SIGTERM, SIGKILL after a grace)."""
        pgids = [s.proc.pid for s in self._servers() if s.proc]
        if not self._stopped and pgids:
            kill_groups(pgids, grace=STOP_GRACE)
            for s in self._servers():
                if s.proc:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        s.proc.wait(timeout=5)
        if self._watchdog and self._watchdog.poll() is None:
            kill_groups([self._watchdog.pid], grace=2)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=5)
        self._stopped = True
        if cleanup is False:
            self.cleanup = False  # keep the logs of a failed start for the atexit stop() too
        if (self.cleanup if cleanup is None else cleanup) and self._own_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> Airflow3Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop(cleanup=None if exc[0] is None else False)

    def _register_atexit(self) -> None:
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True

    def _start_watchdog(self) -> None:
        """The Airflow 2 harness's watchdog process: kills the api-servers' process groups if this
        process dies without ``stop()`` (SIGKILL, a crash), which atexit cannot cover."""
        if self._watchdog and self._watchdog.poll() is None:
            kill_groups([self._watchdog.pid], grace=1)
        pgids = [str(s.proc.pid) for s in self._servers() if s.proc]
        self._watchdog = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.harness.airflow2",
                "_watchdog",
                "--parent",
                str(os.getpid()),
                *pgids,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd=str(REPO_ROOT),
        )


# --------------------------------------------------------------------------------------------
# State file (``start`` / ``stop`` for developers)
# --------------------------------------------------------------------------------------------


def sync_dags(home: Path | str) -> None:
    """Write the DAG folder's DAGs to the database of the server on ``home`` again (what
    ``airflow dags reserialize`` does): brings back a DAG a test deleted."""
    server = Airflow3Server(home=home, cleanup=False)
    server._run("sync-dags", [str(server.python), str(SEED_SCRIPT), "sync-dags"])


def extra_api_server(home: Path | str, name: str = "extra") -> ExtraServer:
    """One more Airflow 3 api-server on ``home`` (same database and JWT secret as the main one)."""
    env = Airflow3Server(home=home, cleanup=False).env()
    return ExtraServer(home, _ApiServer(name, env), _bin(AIRFLOW_VENV, "airflow"))


class Scheduler(Scheduler2):
    """``airflow scheduler`` (LocalExecutor, SQLite) on an existing harness AIRFLOW_HOME, whose
    task workers call the execution API of the running api-server at ``api_url``.

    The Airflow 2 harness's :class:`~tests.harness.airflow2.Scheduler` with this version's
    environment (see FINDINGS, "Scheduler"): its ``stop()`` kills the process group (scheduler,
    executor workers, task supervisors); ``start()`` also starts the Airflow 2 harness's
    watchdog, so a test process killed hard leaves no scheduler behind. Use it as
    a context manager: ``with Scheduler(home, url) as s:`` starts it, waits until it heartbeats
    (``wait_ready``) and stops it on the way out, whatever happened.
    """

    def __init__(self, home: Path | str, api_url: str, *, parallelism: int = 2) -> None:
        super().__init__(home)
        self.api_url = api_url.rstrip("/")
        self.parallelism = parallelism
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._started_wall = 0.0
        self._log_offset = 0

    @property
    def execution_api_url(self) -> str:
        return f"{self.api_url}/execution/"

    def env(self) -> dict[str, str]:
        return Airflow3Server(home=self.home, cleanup=False).env(
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=self.execution_api_url,
            # LocalExecutor forks [core] parallelism workers at once (32 by default).
            AIRFLOW__CORE__PARALLELISM=str(self.parallelism),
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
            AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC="1",
            AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME="0.5",
        )

    def start(self) -> Scheduler:
        self._started_wall = time.time()
        # --skip-serve-logs: no log server on 0.0.0.0:8793 (the logs are files under <home>/logs).
        cmd = [str(_bin(AIRFLOW_VENV, "airflow")), "scheduler", "--skip-serve-logs"]
        with open(self.log_path, "ab") as out:
            self._log_offset = out.tell()
            out.write(f"$ {' '.join(cmd)}  # execution API {self.execution_api_url}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                cmd,
                env=self.env(),
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        atexit.register(self.stop)
        parent, pgid = str(os.getpid()), str(self.proc.pid)
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "tests.harness.airflow2", "_watchdog", "--parent", parent, pgid],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd=str(REPO_ROOT),
        )
        return self

    def heartbeat(self) -> float | None:
        """The api-server's ``latest_scheduler_heartbeat`` (epoch seconds), if any."""
        try:
            with _NO_PROXY_OPENER.open(f"{self.api_url}/api/v2/monitor/health", timeout=3.0) as resp:
                beat = json.load(resp)["scheduler"]["latest_scheduler_heartbeat"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return dt.datetime.fromisoformat(beat).timestamp() if beat else None

    def wait_ready(self, timeout: float = 60.0) -> Scheduler:
        """Wait until this scheduler heartbeats (``/api/v2/monitor/health``); raise
        :class:`HarnessError` with its log tail if it exits or stays silent."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise HarnessError(
                    f"Airflow 3 scheduler exited ({code}); {self.log_path}:\n{self.log_tail()}"
                )
            beat = self.heartbeat()
            if beat is not None and beat >= self._started_wall - 1.0:
                return self
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"Airflow 3 scheduler sent no heartbeat in {timeout:.0f}s; {self.log_path}:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.5)

    def log_tail(self, lines: int = 80) -> str:
        """The end of ``<home>/scheduler.log`` (the scheduler's, its executor's and the task
        supervisors' output) since this ``start()``, headed by where the tasks were told to report."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._log_offset)
                text = fh.read().decode(errors="replace")
        except OSError as exc:
            text = f"<no log at {self.log_path}: {exc}>"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"[tasks call the execution API at {self.execution_api_url}]\n{tail}"

    def stop(self) -> None:
        super().stop()
        if self._watchdog is not None and self._watchdog.poll() is None:
            kill_groups([self._watchdog.pid], grace=2)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=5)
        self._watchdog = None

    def __enter__(self) -> Scheduler:
        self.start()
        try:
            return self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def read_state(path: Path = STATE_FILE) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def env_for_state(state: dict[str, Any]) -> dict[str, str]:
    """The env vars that make tests/integration/conftest.py reuse running Airflow 3 servers."""
    return {
        "AIRFLOW_ASYNC_TEST3_URL": state["url"],
        "AIRFLOW_ASYNC_TEST3_SHORT_TOKEN_URL": state.get("short_token_url") or "",
        "AIRFLOW_ASYNC_TEST3_MANIFEST": state["manifest"],
        "AIRFLOW_ASYNC_TEST3_HOME": state["airflow_home"],
        "AIRFLOW_ASYNC_TEST3_PYTHON": state["python"],
    }


def _state_is_live(state: dict[str, Any] | None) -> bool:
    return (
        bool(state)
        and _alive(int(state.get("serve_pid", 0) or 0))
        and (_http_status(f"{state['url']}{HEALTH_PATH}") == 200)
    )


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _add_seed_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--xcoms", type=int, default=2000, help="seeded XComs (default 2000)")
    p.add_argument("--runs", type=int, default=110, help="harvest_demo DAG runs (+11 others)")
    p.add_argument("--large", type=int, default=2, help="~1 MB values among the XComs")
    p.add_argument("--no-dags-test", action="store_true", help="skip the real `dags test` runs")


def _add_server_args(p: argparse.ArgumentParser) -> None:
    _add_seed_args(p)
    p.add_argument("--no-short", action="store_true", help="only the main api-server")
    p.add_argument("--keep", action="store_true", help="keep AIRFLOW_HOME after stopping")


def _cmd_serve(args: argparse.Namespace) -> int:
    stop_event = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop_event.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = Airflow3Server(cleanup=not args.keep)
    state_file = Path(args.state_file) if args.state_file else None
    try:
        server.start_and_seed(
            short=not args.no_short,
            xcoms=args.xcoms,
            runs=args.runs,
            large=args.large,
            dags_test=not args.no_dags_test,
        )
        info = server.info()
        info["serve_pid"] = os.getpid()
        if state_file:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(info, indent=1))
            tmp.replace(state_file)
        print(json.dumps(info), flush=True)
        while not stop_event.is_set():
            stop_event.wait(1.0)
            if server.main and server.main.proc and server.main.proc.poll() is not None:
                _stderr_log("main api-server exited; stopping")
                break
    finally:
        server.stop()
        if state_file and (read_state(state_file) or {}).get("serve_pid") == os.getpid():
            state_file.unlink(missing_ok=True)
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    state = read_state()
    if _state_is_live(state):
        assert state is not None
        _stderr_log(f"already running (serve pid {state['serve_pid']}); `stop` first")
        _print_state(state)
        return 0
    if state:
        _stop_state(state)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.unlink(missing_ok=True)
    serve_log = SERVE_LOG
    cmd = [sys.executable, "-m", "tests.harness.airflow3", "serve", "--state-file", str(STATE_FILE)]
    cmd += ["--xcoms", str(args.xcoms), "--runs", str(args.runs), "--large", str(args.large)]
    for flag in ("no_short", "no_dags_test", "keep"):
        if getattr(args, flag):
            cmd.append("--" + flag.replace("_", "-"))
    with open(serve_log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(REPO_ROOT),
        )
    deadline = time.monotonic() + 900  # includes a first install
    while time.monotonic() < deadline:
        state = read_state()
        if state and state.get("serve_pid") == proc.pid:
            _print_state(state)
            return 0
        if proc.poll() is not None:
            print(f"serve exited with {proc.returncode}:\n{_tail(serve_log)}", file=sys.stderr)
            return 1
        time.sleep(0.5)
    kill_groups([proc.pid])
    print(f"timed out waiting for the servers:\n{_tail(serve_log)}", file=sys.stderr)
    return 1


def _print_state(state: dict[str, Any]) -> None:
    print(json.dumps(state, indent=1))
    print("# reuse it in pytest:")
    print("export " + " ".join(f"{k}='{v}'" for k, v in env_for_state(state).items()))


def _stop_state(state: dict[str, Any]) -> None:
    serve_pid = int(state.get("serve_pid", 0) or 0)
    if serve_pid and _alive(serve_pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(serve_pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE + 20
        while time.monotonic() < deadline and _alive(serve_pid):
            time.sleep(0.2)
    # Whatever is left (serve killed hard, watchdog, api-server groups): by recorded pgid.
    kill_groups([int(p) for p in state.get("pgids", [])] + ([serve_pid] if serve_pid else []), grace=3)


def _cmd_stop(_args: argparse.Namespace) -> int:
    state = read_state()
    if not state:
        _stderr_log(f"nothing to stop ({STATE_FILE} missing)")
        return 0
    _stop_state(state)
    STATE_FILE.unlink(missing_ok=True)
    _stderr_log("stopped")
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    """Re-seed the database of the servers described by the state file (replaces seeded runs)."""
    state = read_state()
    if not state:
        print(f"no running server ({STATE_FILE}); use `start` first", file=sys.stderr)
        return 1
    server = Airflow3Server(home=state["airflow_home"])
    server._prepared = True
    server.seed_db(
        xcoms=args.xcoms, runs=args.runs, large=args.large, reset=True, dags_test=not args.no_dags_test
    )
    server.write_manifest(
        url=state["url"], read_urls=[u for u in (state["url"], state.get("short_token_url")) if u]
    )
    print(
        json.dumps(
            {
                "manifest": str(server.manifest_path),
                "timings": server.timings,
                "seed_stats": server.seed_stats,
            }
        )
    )
    return 0


def _cmd_install(_args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    print(ensure_airflow_venv())
    _stderr_log(f"install done in {time.monotonic() - t0:.1f}s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.harness.airflow3",
        description=f"Real Airflow {AIRFLOW_VERSION} for integration tests",
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install", help="build the Airflow 3 venv (once)")
    p = sub.add_parser("serve", help="start + seed, print a JSON line, block until SIGINT/SIGTERM")
    _add_server_args(p)
    p.add_argument("--state-file", help="write the JSON info here once ready")
    p = sub.add_parser("start", help=f"serve in the background; state in {STATE_FILE}")
    _add_server_args(p)
    sub.add_parser("stop", help="stop what `start` started")
    p = sub.add_parser("seed", help="re-seed the running servers (from the state file)")
    _add_seed_args(p)
    args = parser.parse_args(argv)
    handlers = {
        "install": _cmd_install,
        "serve": _cmd_serve,
        "start": _cmd_start,
        "stop": _cmd_stop,
        "seed": _cmd_seed,
    }
    try:
        return handlers[args.cmd](args)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
