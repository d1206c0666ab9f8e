"""Real Apache Airflow 2 (2.11.2 by default) for the integration tests (standard library only).

Importable (``from tests.harness import airflow2``) and runnable from the repo root::

    python -m tests.harness.airflow2 install [--client]   # build the Airflow venv (+ official client)
    python -m tests.harness.airflow2 serve               # start both servers, seed, block until ^C
    python -m tests.harness.airflow2 start               # same, detached; writes .cache/run/current.json
    python -m tests.harness.airflow2 seed [--xcoms N]    # re-seed the running servers' database
    python -m tests.harness.airflow2 stop                # stop what ``start`` started

Airflow lives in its own venv under ``<repo>/.cache/airflow-2.11.2/venv`` (never the project's
venv), pinned by ``tests/harness/constraints-airflow-2.11.2.txt``. ``AIRFLOW_ASYNC_AIRFLOW2_VERSION``
picks another release of :data:`RELEASES` (for the compatibility matrix, tests/harness/matrix.py):
its own venv ``.cache/airflow-<version>/venv``, constraints ``constraints-airflow-<version>.txt``
and state file ``.cache/run/current-<version>.json`` (the default release keeps ``current.json``);
what its servers need configured differently is in :data:`RELEASES`, nowhere else.

Each ``AirflowServer`` gets a fresh AIRFLOW_HOME with a SQLite database, two users (admin/admin
Admin, viewer/viewer Viewer) and two webservers on 127.0.0.1 sharing that database:

* main:   stock config: auth backends basic_auth + session, default page limits (max 100),
          ``[api] enable_xcom_deserialize_support = True``. No or bad credentials -> 403 (FAB's
          default AUTH_ROLE_PUBLIC="Public" makes anonymous requests "authenticated").
* second: basic auth ONLY (the UI session cookie is refused by the API with 401; 2.11.2 cannot
          do that by config alone, see shim/.../session_disabled.py), ``[api]
          maximum_page_limit = 25``, deserialize support left at its default (False ->
          deserialize=true answers 400). No or bad credentials -> 401.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

#: The release the harness runs when ``AIRFLOW_ASYNC_AIRFLOW2_VERSION`` is unset (``make test``).
DEFAULT_AIRFLOW_VERSION = "2.11.2"
#: The Airflow 2 releases the harness can run (each has a committed constraints file), and the
#: ONE place for what their servers need configured differently: lines added to the MAIN
#: webserver's ``webserver_config.py`` (Airflow's default one) so that it has the same shape on
#: every release. 2.9.3 and 2.10.5 resolve the FAB provider 1.5.3 (1.5.4 needs Airflow>=2.11.1),
#: which, unlike 1.5.4, leaves FAB's ``AUTH_ROLE_PUBLIC`` unset: stock, their API answers 401 to
#: missing or wrong credentials where 2.11.2 answers 403. Everything else (the session-backend
#: shim of the second webserver included) is the same on all three.
RELEASES: dict[str, str] = {
    "2.9.3": 'AUTH_ROLE_PUBLIC = "Public"  # FAB provider 1.5.4\'s default (1.5.3 sets none)\n',
    "2.10.5": 'AUTH_ROLE_PUBLIC = "Public"  # FAB provider 1.5.4\'s default (1.5.3 sets none)\n',
    "2.11.2": "",
}
VERSION_ENV = "AIRFLOW_ASYNC_AIRFLOW2_VERSION"
AIRFLOW_VERSION = os.environ.get(VERSION_ENV) or DEFAULT_AIRFLOW_VERSION
if AIRFLOW_VERSION not in RELEASES:
    raise RuntimeError(f"{VERSION_ENV}={AIRFLOW_VERSION!r}: the harness runs one of {', '.join(RELEASES)}")
CLIENT_VERSION = "2.10.0"

HARNESS_DIR = Path(__file__).resolve().parent
REPO_ROOT = HARNESS_DIR.parent.parent
CACHE_DIR = Path(os.environ.get("AIRFLOW_ASYNC_HARNESS_CACHE", REPO_ROOT / ".cache")).resolve()
AIRFLOW_VENV = CACHE_DIR / f"airflow-{AIRFLOW_VERSION}" / "venv"
CLIENT_VENV = CACHE_DIR / f"airflow-client-{CLIENT_VERSION}" / "venv"
CONSTRAINTS_FILE = HARNESS_DIR / f"constraints-airflow-{AIRFLOW_VERSION}.txt"
DAGS_FOLDER = HARNESS_DIR / "dags"
SEED_SCRIPT = HARNESS_DIR / "seed_airflow2.py"
RUN_DIR = CACHE_DIR / "run"
#: Where ``start`` records the running servers; a non-default release has its own, so that it
#: never replaces (or stops) the default release's servers.
_RUN_SUFFIX = "" if AIRFLOW_VERSION == DEFAULT_AIRFLOW_VERSION else f"-{AIRFLOW_VERSION}"
STATE_FILE = RUN_DIR / f"current{_RUN_SUFFIX}.json"
SERVE_LOG = RUN_DIR / f"serve{_RUN_SUFFIX}.log"

HOST = "127.0.0.1"
ADMIN = ("admin", "admin")
VIEWER = ("viewer", "viewer")
SECOND_MAXIMUM_PAGE_LIMIT = 25
MAIN_AUTH_BACKENDS = "airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session"
# Airflow 2.11.2 force-appends the session backend to any auth_backends value that lacks the
# string "airflow.api.auth.backend.session"; the shim's dotted name contains it, and the shim
# authenticates nobody. See tests/harness/shim/.../session_disabled.py.
SHIM_DIR = HARNESS_DIR / "shim"
SESSION_DISABLED_BACKEND = "airflow_async_harness.airflow.api.auth.backend.session_disabled"
SECOND_AUTH_BACKENDS = f"airflow.api.auth.backend.basic_auth,{SESSION_DISABLED_BACKEND}"
#: Airflow's default webserver_config.py (what ``airflow db migrate`` writes), for a release
#: whose main webserver needs lines added (see RELEASES).
MAIN_WEBSERVER_CONFIG = """\
from flask_appbuilder.const import AUTH_DB

AUTH_TYPE = AUTH_DB
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None
"""
# FAB's defaults (AUTH_DB, CSRF) except AUTH_ROLE_PUBLIC=None: FAB defaults it to "Public", and
# then the basic_auth backend passes requests without an Authorization header on to Flask-Login's
# session user - which would let the UI cookie in again.
SECOND_WEBSERVER_CONFIG = """\
from flask_appbuilder.const import AUTH_DB

AUTH_TYPE = AUTH_DB
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None
AUTH_ROLE_PUBLIC = None
"""
#: DAGs executed for real with ``airflow dags test <dag> 2024-01-01`` (run id
#: ``manual__2024-01-01T00:00:00+00:00``); their XComs are in the manifest with source "dags_test".
DAGS_TEST = ("harvest_real", "example_xcom")
DAGS_TEST_DATE = "2024-01-01"
START_TIMEOUT = 180.0
STOP_GRACE = 10.0
TRACEBACK_GRACE = 20.0

Log = Callable[[str], None]


class HarnessError(RuntimeError):
    """Installing, starting or seeding Airflow failed; the message carries the log tail."""


def _stderr_log(msg: str) -> None:
    print(f"[airflow2] {msg}", file=sys.stderr, flush=True)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<no log at {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def _bin(venv: Path, name: str) -> Path:
    return venv / "bin" / name


# --------------------------------------------------------------------------------------------
# Virtualenvs
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _ensure_venv(
    venv: Path,
    requirements: list[str],
    *,
    constraints: Path | None,
    check: list[str],
    log: Log,
) -> Path:
    """Create ``venv`` and pip-install ``requirements`` once; return the venv's python.

    A marker file next to the venv records a completed install (requirements + constraints
    hash); while it matches, this returns at once.
    """
    marker = venv.parent / "installed.json"
    want = {
        "requirements": requirements,
        "constraints_sha256": (hashlib.sha256(constraints.read_bytes()).hexdigest() if constraints else None),
    }
    python = _bin(venv, "python")

    def done() -> bool:
        try:
            have = json.loads(marker.read_text())
        except (OSError, ValueError):
            return False
        return python.exists() and all(have.get(k) == v for k, v in want.items())

    if done():
        return python
    with _file_lock(venv.parent / ".install.lock"):
        if done():  # another process finished it while we waited
            return python
        log(f"installing {' '.join(requirements)} into {venv} (takes ~1 min once) ...")
        t0 = time.monotonic()
        install_log = venv.parent / "install.log"
        if venv.exists():
            shutil.rmtree(venv)
        marker.unlink(missing_ok=True)
        base_python = os.environ.get("AIRFLOW_ASYNC_HARNESS_PYTHON") or getattr(
            sys, "_base_executable", sys.executable
        )
        with open(install_log, "w") as out:
            steps = [
                [base_python, "-m", "venv", str(venv)],
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--no-input",
                    "--disable-pip-version-check",
                    *(["-c", str(constraints)] if constraints else []),
                    *requirements,
                ],
                [str(python), *check],
            ]
            for cmd in steps:
                out.write(f"$ {' '.join(cmd)}\n")
                out.flush()
                rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
                if rc != 0:
                    raise HarnessError(
                        f"{cmd[0]} {cmd[1:3]} failed with exit {rc}; see {install_log}:\n{_tail(install_log)}"
                    )
        elapsed = time.monotonic() - t0
        marker.write_text(
            json.dumps({**want, "seconds": round(elapsed, 1), "installed_at": time.time()}, indent=1)
        )
        log(f"installed {venv} in {elapsed:.1f}s")
    return python


def ensure_airflow_venv(log: Log = _stderr_log) -> Path:
    """Build ``.cache/airflow-<AIRFLOW_VERSION>/venv`` with that ``apache-airflow`` (pinned by the
    committed constraints file) and return its python. Idempotent; cross-process locked."""
    return _ensure_venv(
        AIRFLOW_VENV,
        [f"apache-airflow=={AIRFLOW_VERSION}"],
        constraints=CONSTRAINTS_FILE,
        check=["-c", f"import airflow, sys; sys.exit(airflow.__version__ != {AIRFLOW_VERSION!r})"],
        log=log,
    )


def ensure_official_client_venv(log: Log = _stderr_log) -> Path:
    """Build ``.cache/airflow-client-2.10.0/venv`` with ``apache-airflow-client==2.10.0`` (for
    benchmarks against the official client); return its python. Idempotent."""
    return _ensure_venv(
        CLIENT_VENV,
        [f"apache-airflow-client=={CLIENT_VERSION}"],
        constraints=None,
        check=["-c", "import airflow_client.client"],
        log=log,
    )


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _group_alive(pgid: int) -> bool:
    """True while a non-zombie process of process group ``pgid`` exists (a zombie leader that
    its parent has not reaped yet would keep ``killpg(pgid, 0)`` succeeding)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def kill_groups(pgids: list[int], grace: float = STOP_GRACE) -> None:
    """SIGTERM each process group, then SIGKILL whatever is left after ``grace`` seconds."""
    pgids = [p for p in pgids if p and p > 1 and p != os.getpgid(0)]
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_group_alive(p) for p in pgids):
        time.sleep(0.1)
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


# Health checks go straight to 127.0.0.1, whatever http_proxy/https_proxy say.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http_status(url: str, timeout: float = 3.0) -> int | None:
    try:
        with _NO_PROXY_OPENER.open(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


class _Webserver:
    def __init__(self, name: str, workers: int, env: dict[str, str]) -> None:
        self.name = name
        self.workers = workers
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
        self.log_path = home / f"webserver-{self.name}.log"
        cmd = [
            str(airflow_bin),
            "webserver",
            "-H",
            HOST,
            "-p",
            str(self.port),
            "-w",
            str(self.workers),
            "--pid",
            str(home / f"webserver-{self.name}.pid"),
        ]
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
        # Poll health in the background so readiness is timed exactly even while the caller
        # is busy seeding.
        threading.Thread(target=self._poll, args=(self.proc,), daemon=True).start()

    def _poll(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = self.started_at + START_TIMEOUT * 2
        while proc is self.proc and proc.poll() is None and time.monotonic() < deadline:
            if _http_status(f"{self.url}/api/v1/health", timeout=2.0) == 200:
                self.ready_after = round(time.monotonic() - self.started_at, 2)
                return
            time.sleep(0.2)


class AirflowServer:
    """One AIRFLOW_HOME (SQLite), a main webserver and (optionally) a second one on the same DB.

    Typical use::

        server = AirflowServer()
        server.start()          # install (once), db migrate, users, both webservers in parallel
        server.seed()           # ~2,000 XComs in >= 100 runs + real `airflow dags test` runs
        ...                     # server.url, server.second_url, server.manifest_path
        server.stop()           # also registered with atexit

    ``start_and_seed()`` does both, seeding while the webservers boot.
    """

    def __init__(
        self,
        *,
        home: Path | str | None = None,
        workers: int = 4,
        second_workers: int = 2,
        cleanup: bool = True,
        log: Log = _stderr_log,
    ) -> None:
        self.workers = workers
        self.second_workers = second_workers
        self.log = log
        self._own_home = home is None
        self.cleanup = cleanup and home is None
        if home is None:
            RUN_DIR.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            home = RUN_DIR / f"{stamp}-{os.getpid()}-{secrets.token_hex(3)}"
        self.home = Path(home).resolve()
        self.python = _bin(AIRFLOW_VENV, "python")
        self.airflow_bin = _bin(AIRFLOW_VENV, "airflow")
        self.manifest_path = self.home / "manifest.json"
        self.main: _Webserver | None = None
        self.second: _Webserver | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._prepared = False
        self._stopped = False
        self.timings: dict[str, float] = {}
        self._secret_key = secrets.token_hex(16)
        self._atexit_registered = False
        self.seed_stats: dict[str, Any] = {}

    # -- configuration ------------------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        """Environment for every Airflow process of this server (CLI, seeder, webservers)."""
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
                "AIRFLOW__CORE__EXECUTOR": "SequentialExecutor",
                "AIRFLOW__CORE__ENABLE_XCOM_PICKLING": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__FERNET_KEY": "",
                "AIRFLOW__METRICS__TIMER_UNIT_CONSISTENCY": "True",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__SCHEDULER__CHILD_PROCESS_LOG_DIRECTORY": str(self.home / "logs" / "scheduler"),
                "AIRFLOW__WEBSERVER__SECRET_KEY": self._secret_key,
                # Permissions are synced once by `seed_airflow2.py setup`; skipping the per-worker
                # FAB sync makes startup faster and avoids racing inserts between 6 workers.
                "AIRFLOW__WEBSERVER__UPDATE_FAB_PERMS": "False",
                "AIRFLOW__WEBSERVER__WORKER_REFRESH_BATCH_SIZE": "0",  # no rolling worker restarts
                "AIRFLOW__WEBSERVER__WARN_DEPLOYMENT_EXPOSURE": "False",
                # Login is rate limited to 5 per 40 s by default; tests log in far more often.
                "AIRFLOW__WEBSERVER__AUTH_RATE_LIMITED": "False",
                "AIRFLOW__WEBSERVER__WEB_SERVER_WORKER_TIMEOUT": "120",
                "AIRFLOW__API__AUTH_BACKENDS": MAIN_AUTH_BACKENDS,
                "AIRFLOW__API__ENABLE_XCOM_DESERIALIZE_SUPPORT": "True",
                "PYTHONWARNINGS": "ignore",
                "NO_COLOR": "1",
            }
        )
        if RELEASES[AIRFLOW_VERSION]:  # written by prepare()
            env["AIRFLOW__WEBSERVER__CONFIG_FILE"] = str(self.home / "webserver_config_main.py")
        env.update(overrides)
        return env

    def _second_env(self) -> dict[str, str]:
        config_file = self.home / "webserver_config_second.py"
        config_file.write_text(SECOND_WEBSERVER_CONFIG)
        return self.env(
            AIRFLOW__API__AUTH_BACKENDS=SECOND_AUTH_BACKENDS,
            AIRFLOW__API__MAXIMUM_PAGE_LIMIT=str(SECOND_MAXIMUM_PAGE_LIMIT),
            AIRFLOW__API__ENABLE_XCOM_DESERIALIZE_SUPPORT="False",
            AIRFLOW__WEBSERVER__CONFIG_FILE=str(config_file),
            PYTHONPATH=str(SHIM_DIR),
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

    @property
    def url(self) -> str:
        if self.main is None:
            raise HarnessError("server not started")
        return self.main.url

    @property
    def second_url(self) -> str | None:
        return self.second.url if self.second else None

    def pids(self) -> dict[str, int]:
        out = {}
        for ws in (self.main, self.second):
            if ws and ws.proc:
                out[ws.name] = ws.proc.pid
        if self._watchdog:
            out["watchdog"] = self._watchdog.pid
        return out

    def rss_mb(self) -> dict[str, float]:
        """Resident memory per webserver (whole process group: monitor, gunicorn master,
        workers), summed from /proc."""
        out: dict[str, float] = {}
        groups = {ws.proc.pid: ws.name for ws in (self.main, self.second) if ws and ws.proc}
        totals = dict.fromkeys(groups.values(), 0)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                pgid = os.getpgid(int(entry))
                if pgid not in groups:
                    continue
                with open(f"/proc/{entry}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            totals[groups[pgid]] += int(line.split()[1])
            except (OSError, ValueError):
                continue
        for name, kb in totals.items():
            out[name] = round(kb / 1024, 1)
        return out

    # -- lifecycle ------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Install (once), create AIRFLOW_HOME, migrate the DB, sync permissions, create users."""
        if self._prepared:
            return
        t0 = time.monotonic()
        ensure_airflow_venv(self.log)
        self.timings["install"] = round(time.monotonic() - t0, 2)
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(exist_ok=True)
        if RELEASES[AIRFLOW_VERSION]:
            (self.home / "webserver_config_main.py").write_text(
                MAIN_WEBSERVER_CONFIG + RELEASES[AIRFLOW_VERSION]
            )
        self._register_atexit()
        self._run("db-migrate", [str(self.airflow_bin), "db", "migrate"])
        self._run(
            "setup",
            [
                str(self.python),
                str(SEED_SCRIPT),
                "setup",
                "--user",
                f"{ADMIN[0]}:{ADMIN[1]}:Admin",
                "--user",
                f"{VIEWER[0]}:{VIEWER[1]}:Viewer",
            ],
            env=self.env(AIRFLOW__WEBSERVER__UPDATE_FAB_PERMS="True"),
        )
        self._prepared = True

    def launch(self, second: bool = True) -> None:
        """Start the webserver process(es) without waiting for them (see ``wait_ready``)."""
        self.prepare()
        self._stopped = False
        for key in [k for k in self.timings if k.startswith("webserver_")]:
            del self.timings[key]
        self.main = _Webserver("main", self.workers, self.env())
        self.main.launch(self.airflow_bin, self.home)
        if second:
            self.second = _Webserver("second", self.second_workers, self._second_env())
            self.second.launch(self.airflow_bin, self.home)
        self._start_watchdog()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until every launched webserver answers ``GET /api/v1/health`` with 200."""
        servers = [ws for ws in (self.main, self.second) if ws]
        deadline = time.monotonic() + timeout
        retries = {ws.name: 2 for ws in servers}
        while True:
            pending = [ws for ws in servers if f"webserver_{ws.name}_ready" not in self.timings]
            if not pending:
                break
            for ws in pending:
                assert ws.proc is not None
                if ws.proc.poll() is not None:
                    tail = _tail(ws.log_path)
                    if retries[ws.name] > 0 and "in use" in tail:  # lost a race for the port
                        retries[ws.name] -= 1
                        self.log(f"{ws.name} webserver: port {ws.port} taken, retrying")
                        ws.launch(self.airflow_bin, self.home)
                        self._start_watchdog()
                        continue
                    self.stop(cleanup=False)
                    raise HarnessError(
                        f"Airflow {ws.name} webserver exited with {ws.proc.returncode} before "
                        f"answering; log {ws.log_path}:\n{tail}"
                    )
                if ws.ready_after is not None:
                    self.timings[f"webserver_{ws.name}_ready"] = ws.ready_after
                    continue
                # A webserver whose app fails to load (bad config, import error) logs a traceback
                # and then hangs; fail after a short grace instead of the full timeout.
                if ws.traceback_seen_at is None and "Traceback (most recent" in _tail(ws.log_path, 400):
                    ws.traceback_seen_at = time.monotonic()
                if ws.traceback_seen_at and time.monotonic() - ws.traceback_seen_at > TRACEBACK_GRACE:
                    self.stop(cleanup=False)
                    raise HarnessError(
                        f"Airflow {ws.name} webserver logged a traceback and is not healthy "
                        f"{TRACEBACK_GRACE:.0f}s later; log {ws.log_path}:\n{_tail(ws.log_path)}"
                    )
            if time.monotonic() > deadline:
                names = ", ".join(ws.name for ws in pending)
                tails = "\n".join(f"--- {ws.log_path}:\n{_tail(ws.log_path)}" for ws in pending)
                self.stop(cleanup=False)
                raise HarnessError(f"Airflow webserver(s) {names} not healthy after {timeout}s\n{tails}")
            time.sleep(0.25)

    def start(self, second: bool = True, timeout: float = START_TIMEOUT) -> AirflowServer:
        """prepare + launch + wait_ready. ``second=True`` also starts the clamped,
        basic-auth-only webserver on the same database, in parallel with the main one."""
        t0 = time.monotonic()
        try:
            self.launch(second=second)
            self.wait_ready(timeout)
        except BaseException:
            self.stop(cleanup=False)
            raise
        self.timings["start_total"] = round(time.monotonic() - t0, 2)
        return self

    def seed(
        self,
        *,
        xcoms: int = 2000,
        runs: int = 110,
        large: int = 2,
        dags_test: bool = True,
        reset: bool = False,
    ) -> Path:
        """Seed DAG runs + XComs through Airflow's models, run ``airflow dags test`` for real
        (unless already done), and write the manifest (a JSON list, see seed_airflow2.py)."""
        self.prepare()
        t0 = time.monotonic()
        seed_part = self.home / "manifest-seed.json"
        cmd = [
            str(self.python),
            str(SEED_SCRIPT),
            "seed",
            "--manifest",
            str(seed_part),
            "--xcoms",
            str(xcoms),
            "--runs",
            str(runs),
            "--large",
            str(large),
        ]
        if reset:
            cmd.append("--reset")
        stats = [line for line in self._run("seed", cmd).splitlines() if line.startswith("SEED_STATS ")]
        self.seed_stats = json.loads(stats[-1].split(" ", 1)[1]) if stats else {}
        parts = [json.loads(seed_part.read_text())]
        if dags_test:
            test_part = self.home / "manifest-dags-test.json"
            if not test_part.exists():
                for dag_id in DAGS_TEST:
                    self._run(
                        f"dags-test-{dag_id}", [str(self.airflow_bin), "dags", "test", dag_id, DAGS_TEST_DATE]
                    )
                collect = [str(self.python), str(SEED_SCRIPT), "collect", "--manifest", str(test_part)]
                for dag_id in DAGS_TEST:
                    collect += ["--dag-id", dag_id]
                self._run("collect", collect)
            parts.append(json.loads(test_part.read_text()))
        # One list in the v1 list endpoint's order: dag_id, task_id, run_id, map_index, key
        # (SQLite compares text bytewise; UTF-8 byte order == code point order == Python's).
        manifest = sorted(
            (entry for part in parts for entry in part),
            key=lambda e: (e["dag_id"], e["task_id"], e["dag_run_id"], e["map_index"], e["key"]),
        )
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False))
        tmp.replace(self.manifest_path)
        self.timings["seed_total"] = round(time.monotonic() - t0, 2)
        return self.manifest_path

    def start_and_seed(
        self, second: bool = True, timeout: float = START_TIMEOUT, **seed_kwargs: Any
    ) -> AirflowServer:
        """Launch the webservers, seed while they boot, then wait for health."""
        t0 = time.monotonic()
        try:
            self.launch(second=second)
            self.seed(**seed_kwargs)
            self.wait_ready(max(timeout - (time.monotonic() - t0), 30.0))
        except BaseException:
            self.stop(cleanup=False)
            raise
        self.timings["start_and_seed_total"] = round(time.monotonic() - t0, 2)
        return self

    def info(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "second_url": self.second_url,
            "users": {"admin": list(ADMIN), "viewer": list(VIEWER)},
            "manifest": str(self.manifest_path),
            "airflow_home": str(self.home),
            "python": str(self.python),
            "pids": self.pids(),
            "pgids": [p for p in self.pids().values()],
            "airflow_version": AIRFLOW_VERSION,
            "second_maximum_page_limit": SECOND_MAXIMUM_PAGE_LIMIT,
            "timings": self.timings,
        }

    def stop(self, cleanup: bool | None = None) -> None:
        """Kill every process group this server started (SIGTERM, SIGKILL after a grace)."""
        pgids = [ws.proc.pid for ws in (self.main, self.second) if ws and ws.proc]
        if not self._stopped and pgids:
            kill_groups(pgids)
            for ws in (self.main, self.second):
                if ws and ws.proc:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        ws.proc.wait(timeout=5)
        if self._watchdog and self._watchdog.poll() is None:
            kill_groups([self._watchdog.pid], grace=2)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=5)
        self._stopped = True
        if cleanup is False:
            self.cleanup = False  # keep the logs of a failed start for the atexit stop() too
        if (self.cleanup if cleanup is None else cleanup) and self._own_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> AirflowServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop(cleanup=None if exc[0] is None else False)

    def _register_atexit(self) -> None:
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True

    def _start_watchdog(self) -> None:
        """A tiny process that kills the webservers if this process dies without ``stop()``
        (SIGKILL, a crash): atexit alone cannot cover that."""
        if self._watchdog and self._watchdog.poll() is None:
            kill_groups([self._watchdog.pid], grace=1)
        pgids = [str(ws.proc.pid) for ws in (self.main, self.second) if ws and ws.proc]
        self._watchdog = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
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


class Scheduler:
    """``airflow scheduler`` on an existing harness AIRFLOW_HOME (SequentialExecutor, SQLite).

    The harness starts no scheduler by default (seeded runs need none, and it costs CPU); the
    test of ``examples/trigger_and_wait.py`` starts one for itself. ``stop()`` kills its process
    group; it is also registered with ``atexit``.
    """

    def __init__(self, home: Path | str) -> None:
        self.home = Path(home)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.home / "scheduler.log"

    def start(self) -> Scheduler:
        env = AirflowServer(home=self.home, cleanup=False).env(
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
            AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC="1",
            AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME="0.5",
        )
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [str(_bin(AIRFLOW_VENV, "airflow")), "scheduler"],
                env=env,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            kill_groups([self.proc.pid])
        self.proc = None

    def log_tail(self) -> str:
        return _tail(self.log_path)


class ExtraServer:
    """One more server process on an existing harness AIRFLOW_HOME, for tests that kill and restart it.

    ``kill()`` stops it abruptly (SIGKILL to its process group, like a crashed host); ``start()``
    again brings it back on the same port. ``stop()`` is registered with ``atexit``. Made by
    :func:`extra_webserver` here (Airflow 2) and ``airflow3.extra_api_server`` (Airflow 3).
    """

    def __init__(self, home: Path | str, process: Any, airflow_bin: Path) -> None:
        self.home = Path(home)
        self._ws = process
        self._airflow_bin = airflow_bin
        self._port: int | None = None
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the same across restarts)."""
        return self._ws.url

    def start(self, timeout: float = START_TIMEOUT) -> ExtraServer:
        """Start it (on the port it had, after a restart) and wait until it answers health checks."""
        pid_file = self.home / f"webserver-{self._ws.name}.pid"
        pid_file.unlink(missing_ok=True)  # a killed webserver leaves its pid file behind
        self._ws.launch(self._airflow_bin, self.home, port=self._port)
        self._port = self._ws.port
        deadline = time.monotonic() + timeout
        while self._ws.ready_after is None:
            proc = self._ws.proc
            if proc is None or proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise HarnessError(
                    f"extra webserver did not start; log {self._ws.log_path}:\n{_tail(self._ws.log_path)}"
                )
            time.sleep(0.2)
        return self

    def __enter__(self) -> ExtraServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def kill(self) -> None:
        """SIGKILL the whole server (its master and workers) at once."""
        proc = self._ws.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            deadline = time.monotonic() + STOP_GRACE
            while _group_alive(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL)."""
        proc = self._ws.proc
        if proc is not None and proc.poll() is None:
            kill_groups([proc.pid])
        self._ws.proc = None


def extra_webserver(home: Path | str, *, workers: int = 2, name: str = "extra") -> ExtraServer:
    """One more Airflow 2 webserver on ``home``'s database (the main one's configuration, with
    its own secret key, so sessions of the main webserver are not valid there)."""
    env = AirflowServer(home=home, cleanup=False).env()
    return ExtraServer(home, _Webserver(name, workers, env), _bin(AIRFLOW_VENV, "airflow"))


def _watchdog(parent: int, pgids: list[int]) -> None:
    while _alive(parent) and any(_group_alive(p) for p in pgids):
        time.sleep(1.0)
    if not _alive(parent):
        kill_groups(pgids)


# --------------------------------------------------------------------------------------------
# State file (``start`` / ``stop`` for developers)
# --------------------------------------------------------------------------------------------


def read_state(path: Path = STATE_FILE) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def env_for_state(state: dict[str, Any]) -> dict[str, str]:
    """The env vars that make tests/integration/conftest.py reuse a running server."""
    return {
        "AIRFLOW_ASYNC_TEST_URL": state["url"],
        "AIRFLOW_ASYNC_TEST_SECOND_URL": state.get("second_url") or "",
        "AIRFLOW_ASYNC_TEST_MANIFEST": state["manifest"],
        "AIRFLOW_ASYNC_TEST_HOME": state["airflow_home"],
        "AIRFLOW_ASYNC_TEST_PYTHON": state["python"],
    }


def _state_is_live(state: dict[str, Any] | None) -> bool:
    return (
        bool(state)
        and _alive(int(state.get("serve_pid", 0) or 0))
        and (_http_status(f"{state['url']}/api/v1/health") == 200)
    )


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _add_server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--xcoms", type=int, default=2000, help="seeded XComs (default 2000)")
    p.add_argument("--runs", type=int, default=110, help="harvest_demo DAG runs (+11 others)")
    p.add_argument("--large", type=int, default=2, help="~1 MB values among the XComs")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers, main server")
    p.add_argument("--second-workers", type=int, default=2, help="workers, second server")
    p.add_argument("--no-second", action="store_true", help="only the main webserver")
    p.add_argument("--no-dags-test", action="store_true", help="skip the real `dags test` runs")


def _cmd_serve(args: argparse.Namespace) -> int:
    stop_event = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop_event.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = AirflowServer(workers=args.workers, second_workers=args.second_workers, cleanup=not args.keep)
    state_file = Path(args.state_file) if args.state_file else None
    try:
        server.start_and_seed(
            second=not args.no_second,
            xcoms=args.xcoms,
            runs=args.runs,
            large=args.large,
            dags_test=not args.no_dags_test,
        )
        info = server.info()
        info["serve_pid"] = os.getpid()
        info["rss_mb"] = server.rss_mb()
        info["seed_stats"] = server.seed_stats
        if state_file:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(info, indent=1))
            tmp.replace(state_file)
        print(json.dumps(info), flush=True)
        while not stop_event.is_set():
            stop_event.wait(1.0)
            if server.main and server.main.proc and server.main.proc.poll() is not None:
                _stderr_log("main webserver exited; stopping")
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
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "serve",
        "--state-file",
        str(STATE_FILE),
        "--xcoms",
        str(args.xcoms),
        "--runs",
        str(args.runs),
        "--large",
        str(args.large),
        "--workers",
        str(args.workers),
        "--second-workers",
        str(args.second_workers),
    ]
    if args.no_second:
        cmd.append("--no-second")
    if args.no_dags_test:
        cmd.append("--no-dags-test")
    if args.keep:
        cmd.append("--keep")
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
    for k, v in env_for_state(state).items():
        print(f"export {k}='{v}'")


def _stop_state(state: dict[str, Any]) -> None:
    serve_pid = int(state.get("serve_pid", 0) or 0)
    if serve_pid and _alive(serve_pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(serve_pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE + 20
        while time.monotonic() < deadline and _alive(serve_pid):
            time.sleep(0.2)
    # Whatever is left (serve killed hard, watchdog, webserver groups): by recorded pgid.
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
    """Re-seed the database of the server described by the state file (replaces seeded runs)."""
    state = read_state()
    if not state:
        print(f"no running server ({STATE_FILE}); use `start` first", file=sys.stderr)
        return 1
    server = AirflowServer(home=state["airflow_home"])
    server._secret_key = ""  # unused by the seeder
    server._prepared = True
    server.seed(
        xcoms=args.xcoms, runs=args.runs, large=args.large, reset=True, dags_test=not args.no_dags_test
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


def _cmd_install(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    print(ensure_airflow_venv())
    if args.client:
        print(ensure_official_client_venv())
    _stderr_log(f"install done in {time.monotonic() - t0:.1f}s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.harness.airflow2",
        description=f"Real Airflow {AIRFLOW_VERSION} for integration tests ({VERSION_ENV} picks the release)",
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("install", help="build the Airflow venv (once)")
    p.add_argument("--client", action="store_true", help="also apache-airflow-client 2.10.0")
    p = sub.add_parser("serve", help="start + seed, print a JSON line, block until SIGINT/SIGTERM")
    _add_server_args(p)
    p.add_argument("--state-file", help="write the JSON info here once ready")
    p.add_argument("--keep", action="store_true", help="keep AIRFLOW_HOME after stopping")
    p = sub.add_parser("start", help=f"serve in the background; state in {STATE_FILE}")
    _add_server_args(p)
    p.add_argument("--keep", action="store_true", help="keep AIRFLOW_HOME after stopping")
    sub.add_parser("stop", help="stop what `start` started")
    p = sub.add_parser("seed", help="re-seed the running server (from the state file)")
    p.add_argument("--xcoms", type=int, default=2000)
    p.add_argument("--runs", type=int, default=110)
    p.add_argument("--large", type=int, default=2)
    p.add_argument("--no-dags-test", action="store_true")
    p = sub.add_parser("_watchdog")
    p.add_argument("--parent", type=int, required=True)
    p.add_argument("pgids", type=int, nargs="*")
    args = parser.parse_args(argv)
    if args.cmd == "_watchdog":
        _watchdog(args.parent, args.pgids)
        return 0
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
