"""Run every benchmark, print the tables and write ``benchmarks/results/<date>.md``.

::

    python -m benchmarks.run              # everything (``make bench``; about an hour)
    python -m benchmarks.run --quick      # a smoke run of every part (``make bench-quick``)
    python -m benchmarks.run --sections real,sweep --reps 3
    python -m benchmarks.run --server-url http://127.0.0.1:8080   # reuse a running Airflow 2
    python -m benchmarks.run --sections real3,latency3 --reps 3   # Airflow 3.3.2 only

Sections (``--sections``, comma separated; default all):

``real``
    A real Airflow 2.11.2 (started and seeded by ``tests/harness/airflow2.py``, or
    ``--server-url``). One run alternates, ``--reps`` times each: (a) the official
    ``apache-airflow-client==2.10.0`` sequential, as its docs show, in its own virtualenv;
    (b) the same with a thread pool; (c) bare aiohttp with basic auth, the floor of (d)
    ``client.xcom.harvest`` with BasicAuth; (e) the harvest with SessionAuth beside (c')
    bare aiohttp with a session cookie.
``sweep``
    (e) and (c') at concurrency 1, 4, 8, 16, 32.
``latency``
    The ``real`` comparison again through :mod:`benchmarks.latency_proxy` (``--rtt-ms``).
``real3``
    A real Airflow 3.3.2 that this run starts (``tests/harness/airflow3.py``: a fresh home,
    one ``api-server -w 1``, the same ~2,000 seeded XComs) and stops at the end; never a
    server that was already running. One run alternates, ``--reps`` times each: (a3) the
    official ``apache-airflow-client==3.3.2`` sequential, as its docs show (a JWT from
    ``POST /auth/token`` passed as the access token), in its own virtualenv; (b3) the same with
    a thread pool; (c3) bare aiohttp with a bearer token, the floor of (e3)
    ``client.xcom.harvest`` with ``PasswordAuth`` at default settings. Beside each run's wall
    time: the CPU seconds the api-server used meanwhile (``/proc/<pid>/stat`` utime+stime of
    its process group, before and after), to show whether the run is server-bound.
``latency3``
    The ``real3`` comparison again through :mod:`benchmarks.latency_proxy` (``--rtt-ms``).
``crawl3``
    A metadata crawl that grows (:mod:`benchmarks.crawl3`): 100,000 task instances on an
    Airflow 3.3.2 of its own, walked by offset, by cursor and by concurrent offsets, the time
    of each page as the offset grows, and rows inserted while walking.
``cpu``
    CPU time per request of each client against the fast stub
    (``tests/fakes/fault_server.py --no-auth``), each client in its own process; profiles
    airflow_async with cProfile when it is over 1.2x bare aiohttp.
``instructions``
    Instructions per request of bare aiohttp and of the harvest under valgrind's callgrind
    (:mod:`benchmarks.cpu_instructions`): harvests of two sizes, the difference divided by the
    difference of requests, so imports and start-up cancel out. Unlike CPU seconds, the count
    does not move with the rest of the machine.
``scale``
    The harvest over 1k, 10k and 100k stub entries: time and peak RSS.
``memory``
    A streaming harvest of 1,000,000 entries: peak RSS against the 100k run.

Every client is a subprocess printing one JSON line (see ``benchmarks/_worker.py``).
Passwords reach the workers through ``BENCH_PASSWORD``, never their command lines, and
no output of this script contains a password or a cookie.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import io
import itertools
import json
import os
import platform
import pstats
import re
import select
import shlex
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
CACHE = ROOT / ".cache"
LOGS = CACHE / "bench"
HTTPX_VENV = CACHE / "bench-httpx" / "venv"
HTTPX_REQUIREMENT = "httpx==0.28.1"
OFFICIAL3_VERSION = "3.3.2"
OFFICIAL3_VENV = CACHE / f"airflow-client-{OFFICIAL3_VERSION}" / "venv"
#: The official 3.3.2 client and every package it pulls in, pinned (the versions of the Airflow
#: 3.3.2 constraints where they overlap), so the venv resolves the same everywhere.
OFFICIAL3_REQUIREMENTS = [
    f"apache-airflow-client=={OFFICIAL3_VERSION}",
    "pydantic==2.14.4",
    "pydantic_core==2.50.5",
    "annotated-types==0.8.0",
    "typing-inspection==0.4.5",
    "typing_extensions==4.16.0",
    "python-dateutil==4.0.0",
    "six==1.17.0",
    "tzdata==2026.6",
    "urllib3==2.8.0",
]
PY = sys.executable
USER = "admin"
ALL_SECTIONS = (
    "cpu",
    "instructions",
    "scale",
    "memory",
    "real",
    "sweep",
    "latency",
    "real3",
    "latency3",
    "crawl3",
)
SWEEP = (1, 4, 8, 16, 32)
WORKER_TIMEOUT = 3600.0

#: What the issue asks of the library, checked against the results.
GOAL_SPEEDUP_VS_OFFICIAL = 10.0
GOAL_FLOOR_RATIO = 1.10
GOAL_CPU_RATIO = 1.2
GOAL_RSS_MB = 150.0
GOAL_RSS_GROWTH = 1.20
GOAL3_FLOOR_RATIO = 1.05
GOAL3_SPEEDUP_VS_OFFICIAL_LATENCY = 8.0


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _secrets() -> list[str]:
    return [s for s in {os.environ.get("BENCH_PASSWORD", "admin")} if s]


_CREDENTIALS = (
    re.compile(r"(?i)(\bsession=)[^;\s\"']+"),
    re.compile(r"(?i)(\bauthorization[\"']?:\s*[\"']?\w+\s+)[^\s\"']+"),
    re.compile(r"(?i)(\bcookie[\"']?:\s*[\"']?)[^\n\"']+"),
)


def scrub(text: str) -> str:
    """Remove the password, session cookies and auth headers from text bound for the output."""
    for secret in _secrets():
        text = text.replace(secret, "<redacted>")
    for pattern in _CREDENTIALS:
        text = pattern.sub(r"\1<redacted>", text)
    return text


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    """One client configuration in a comparison table."""

    key: str
    label: str
    kind: str  # official[3] | official[3]-threads | bare | ours | ours-compose | httpx
    auth: str
    floor: str | None = None


REAL_CLIENTS = (
    Client("a", "(a) official 2.10.0, sequential", "official", "basic"),
    Client("b", "(b) official 2.10.0, thread pool", "official-threads", "basic"),
    Client("c", "(c) bare aiohttp, basic auth (floor of d)", "bare", "basic"),
    Client("d", "(d) airflow_async harvest, BasicAuth", "ours", "basic", floor="c"),
    Client("e", "(e) airflow_async harvest, SessionAuth", "ours", "session", floor="c'"),
    Client("c'", "(c') bare aiohttp, session cookie (floor of e)", "bare", "cookie"),
)
#: Airflow 3.3.2. (e3) runs at the library's defaults (``--concurrency 0``: 8 on Airflow 3).
REAL3_CLIENTS = (
    Client("a3", f"(a3) official {OFFICIAL3_VERSION}, sequential", "official3", "token"),
    Client("b3", f"(b3) official {OFFICIAL3_VERSION}, thread pool", "official3-threads", "token"),
    Client("c3", "(c3) bare aiohttp, bearer token (floor of e3)", "bare", "token"),
    Client("e3", "(e3) airflow_async harvest, PasswordAuth, defaults", "ours", "password", floor="c3"),
)
STUB_CLIENTS = (
    Client("bare", "bare aiohttp (floor)", "bare", "none"),
    Client("ours", "airflow_async harvest", "ours", "none", floor="bare"),
    Client(
        "httpx", f"httpx {HTTPX_REQUIREMENT.split('==')[1]} (same pipeline as the floor)", "httpx", "none"
    ),
    Client("official", "official 2.10.0, sequential", "official", "none"),
)


@dataclass
class Env:
    """Where the workers' interpreters are."""

    official_python: Path | None = None
    official3_python: Path | None = None
    httpx_python: Path | None = None


def worker_cmd(client: Client, url: str, concurrency: int, env: Env) -> list[str]:
    """The command line of one worker run (no secrets in it)."""
    common = ["--url", url, "--auth", client.auth]
    if client.kind in ("official", "official-threads"):
        assert env.official_python is not None, "the official client's venv is not ready"
        mode = "sequential" if client.kind == "official" else "threads"
        return [
            str(env.official_python),
            str(BENCH / "official_client.py"),
            *common,
            "--mode",
            mode,
            "--concurrency",
            str(concurrency),
        ]
    if client.kind in ("official3", "official3-threads"):
        assert env.official3_python is not None, "the official 3.3.2 client's venv is not ready"
        mode = "sequential" if client.kind == "official3" else "threads"
        return [
            str(env.official3_python),
            str(BENCH / "official_client3.py"),
            *common,
            "--mode",
            mode,
            "--concurrency",
            str(concurrency),
        ]
    if client.kind == "httpx":
        assert env.httpx_python is not None, "the httpx venv is not ready"
        return [
            str(env.httpx_python),
            str(BENCH / "httpx_client.py"),
            *common,
            "--concurrency",
            str(concurrency),
        ]
    module = {"bare": "benchmarks.bare_aiohttp", "ours": "benchmarks.ours", "ours-compose": "benchmarks.ours"}
    if client.kind == "ours" and client.auth == "password":
        concurrency = 0  # the library's defaults
    cmd = [PY, "-m", module[client.kind], *common, "--concurrency", str(concurrency)]
    if client.kind == "ours-compose":
        cmd += ["--mode", "compose"]
    return cmd


def display_cmd(cmd: list[str]) -> str:
    """A command line relative to the repo root, for the report."""
    parts = []
    for part in cmd:
        with contextlib.suppress(ValueError):
            part = str(Path(part).relative_to(ROOT)) if part.startswith(str(ROOT)) else part
        parts.append(part)
    return shlex.join(parts)


def run_worker(
    cmd: list[str], *, timeout: float = WORKER_TIMEOUT, password: str | None = None
) -> dict[str, Any]:
    """Run one worker and return its JSON result (with ``failed`` set when it did not finish).

    ``password`` (default ``BENCH_PASSWORD``, else ``admin``) reaches it as ``BENCH_PASSWORD``.
    """
    secret = password if password is not None else os.environ.get("BENCH_PASSWORD", "admin")
    env = {**os.environ, "BENCH_PASSWORD": secret}
    env.pop("PYTHONPATH", None)
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"failed": True, "error": f"timed out after {timeout:.0f}s"}
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = "\n".join(proc.stderr.splitlines()[-15:])
        return {"failed": True, "error": scrub(f"exit {proc.returncode}: {tail}")}
    if result.get("error_sample"):
        result["error_sample"] = scrub(str(result["error_sample"]))
    result["process_s"] = round(time.monotonic() - t0, 2)
    return result


# --------------------------------------------------------------------------------------------
# Servers: the stub, the proxy, real Airflow
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def json_line_process(cmd: list[str], name: str, timeout: float = 60.0) -> Iterator[dict[str, Any]]:
    """Start a process that prints one JSON line when ready; stop it (by its pid) on exit."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"{name}.log", "w") as err:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, text=True
        )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"{name} did not start; see {LOGS / f'{name}.log'}")
        yield json.loads(line)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def stub(entries: int, *, api_v2: bool = False) -> Iterator[str]:
    """The fake Airflow server with ``entries`` XComs; yields its URL.

    By default an Airflow 2 (API v1) without auth. ``api_v2`` makes it answer like Airflow
    3.3.2 (``POST /auth/token``, Bearer auth, the API v2 XCom routes; see the fake's docstring).
    """
    cmd = [PY, "-m", "tests.fakes.fault_server", "--port", "0", "--entries", str(entries)]
    cmd += ["--api-v2"] if api_v2 else ["--no-auth"]
    with json_line_process(cmd, f"stub-{entries}{'-v2' if api_v2 else ''}") as info:
        yield str(info["url"])


@contextlib.contextmanager
def latency_proxy(url: str, rtt_ms: float) -> Iterator[str]:
    """A latency proxy in front of ``url``; yields the proxy's URL."""
    cmd = [PY, "-m", "benchmarks.latency_proxy", "--target", url, "--rtt-ms", str(rtt_ms)]
    with json_line_process(cmd, "latency-proxy") as info:
        yield str(info["url"])


@contextlib.contextmanager
def real_airflow(args: argparse.Namespace) -> Iterator[str]:
    """A seeded Airflow 2.11.2 from the harness (or ``--server-url``); yields its URL."""
    if args.server_url:
        yield args.server_url
        return
    from tests.harness import airflow2

    log(f"starting Airflow {airflow2.AIRFLOW_VERSION} and seeding {args.xcoms} XComs in {args.runs} runs ...")
    t0 = time.monotonic()
    server = airflow2.AirflowServer(workers=args.workers)
    with server:
        server.start_and_seed(second=False, xcoms=args.xcoms, runs=args.runs, large=0, dags_test=False)
        log(f"Airflow ready at {server.url} after {time.monotonic() - t0:.0f}s")
        yield server.url


@dataclass
class Airflow3:
    """The Airflow 3.3.2 this run started: where it answers, its api-server, what it holds."""

    url: str
    version: str
    pid: int  # the api-server's (its own process group: the harness starts it in a new session)
    expected_values: int  # XComs in the harness's manifest: what every client must fetch
    password: str  # the harness's admin password, for the workers' env only (never printed)

    def server_cpu(self) -> float:
        """CPU seconds (utime+stime) used so far by the api-server's process group."""
        return process_group_cpu_seconds(self.pid)


@contextlib.contextmanager
def real_airflow3(args: argparse.Namespace) -> Iterator[Airflow3]:
    """A fresh Airflow 3.3.2 from the harness, seeded, stopped at the end; never a running one."""
    from tests.harness import airflow3

    log(f"starting Airflow {airflow3.AIRFLOW_VERSION} and seeding {args.xcoms} XComs in {args.runs} runs ...")
    t0 = time.monotonic()
    server = airflow3.Airflow3Server(log=log)  # a fresh AIRFLOW_HOME under .cache/run/
    with server:
        server.start_and_seed(short=False, xcoms=args.xcoms, runs=args.runs, large=0, dags_test=False)
        info = server.info()
        manifest = json.loads(Path(info["manifest"]).read_text())
        version = "unknown"
        with contextlib.suppress(OSError, ValueError, KeyError):
            with urllib.request.urlopen(f"{server.url}/api/v2/version", timeout=30) as resp:
                version = str(json.loads(resp.read())["version"])
        log(f"Airflow {version} ready at {server.url} after {time.monotonic() - t0:.0f}s")
        yield Airflow3(
            url=server.url,
            version=version,
            pid=int(info["pids"]["main"]),
            expected_values=len(manifest),
            password=airflow3.ADMIN[1],
        )
    log("Airflow 3 stopped")


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_group_cpu_seconds(pgid: int) -> float:
    """utime+stime of every live process of process group ``pgid`` (``/proc/<pid>/stat``).

    The api-server's pid leads its own group, so this is that process plus any worker it forked.
    """
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # after "(comm)": state ppid pgrp ... utime(11) stime(12)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / _CLK_TCK


def ensure_official3_venv() -> Path:
    """``.cache/airflow-client-3.3.2/venv`` with the official 3.3.2 client, its dependencies
    pinned (built once by the harness's cached, file-locked builder); return its python."""
    from tests.harness import airflow2

    return airflow2._ensure_venv(
        OFFICIAL3_VENV,
        OFFICIAL3_REQUIREMENTS,
        constraints=None,
        check=["-c", "import airflow_client.client"],
        log=log,
    )


def ensure_httpx_venv() -> Path:
    """A throwaway venv with httpx under ``.cache/`` (never the project's venv); return its python.

    Built once by the harness's builder (the one that also makes the official client's venv):
    a file lock makes concurrent callers (``make bench``, the smoke tests) wait for one install,
    and a marker of the requirement makes later calls return at once.
    """
    from tests.harness import airflow2

    return airflow2._ensure_venv(
        HTTPX_VENV, [HTTPX_REQUIREMENT], constraints=None, check=["-c", "import httpx"], log=log
    )


def ensure_official_venv() -> Path:
    """The harness's ``.cache/airflow-client-2.10.0/venv`` with the official client (built once, locked)."""
    from tests.harness import airflow2

    return airflow2.ensure_official_client_venv(log=log)


# --------------------------------------------------------------------------------------------
# Measuring and summarising
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    """All samples of one client configuration, and their medians."""

    client: Client
    concurrency: int
    samples: list[dict[str, Any]] = field(default_factory=list)
    command: str = ""

    @property
    def ok(self) -> list[dict[str, Any]]:
        """Samples that finished."""
        return [s for s in self.samples if not s.get("failed")]

    def median(self, name: str) -> float | None:
        """Median of a numeric field over finished samples."""
        values = [float(s[name]) for s in self.ok if s.get(name) is not None]
        return statistics.median(values) if values else None

    @property
    def wall(self) -> float | None:
        """Median wall seconds."""
        return self.median("wall_s")

    @property
    def rps(self) -> float | None:
        """Requests per second at the median wall time."""
        wall, requests = self.wall, self.median("requests")
        return requests / wall if wall and requests else None

    @property
    def cpu_us_per_request(self) -> float | None:
        """Median client CPU (user+sys) per request, microseconds."""
        values = [s["cpu_s"] / s["requests"] * 1e6 for s in self.ok if s.get("requests")]
        return statistics.median(values) if values else None

    @property
    def errors(self) -> int:
        """Failed fetches over all samples (and failed runs)."""
        return sum(int(s.get("errors", 0)) for s in self.ok) + len(self.samples) - len(self.ok)

    def as_json(self) -> dict[str, Any]:
        """Raw data for the JSON file."""
        return {
            "key": self.client.key,
            "label": self.client.label,
            "concurrency": self.concurrency,
            "command": self.command,
            "samples": self.samples,
        }


def measure(
    clients: list[Client],
    url: str,
    concurrency: int,
    reps: int,
    env: Env,
    what: str,
    *,
    server_cpu: Callable[[], float] | None = None,
    password: str | None = None,
) -> dict[str, Row]:
    """Run each client ``reps`` times, alternating (the order rotates every repetition).

    Each sample also records the 1-minute load average after it, and with ``server_cpu`` (a
    reading of the server's CPU seconds) the server CPU the run cost (``server_cpu_s``).
    """
    sequential = ("official", "official3")
    rows = {c.key: Row(c, 1 if c.kind in sequential else concurrency) for c in clients}
    for rep in range(reps):
        order = clients[rep % len(clients) :] + clients[: rep % len(clients)]
        for client in order:
            row = rows[client.key]
            cmd = worker_cmd(client, url, concurrency, env)
            row.command = display_cmd(cmd)
            before = server_cpu() if server_cpu else 0.0
            result = run_worker(cmd, password=password)
            if server_cpu:
                result["server_cpu_s"] = round(server_cpu() - before, 2)
            result["loadavg_1m"] = round(os.getloadavg()[0], 2)
            if not result.get("failed") and result.get("concurrency"):
                row.concurrency = int(result["concurrency"])  # what the worker used (defaults)
            row.samples.append(result)
            if result.get("failed"):
                log(f"{what} rep {rep + 1}/{reps} {client.label}: FAILED {result['error'][:300]}")
            else:
                server = f", server CPU {result['server_cpu_s']:.1f}s" if server_cpu else ""
                log(
                    f"{what} rep {rep + 1}/{reps} {client.label}: {result['wall_s']:.2f}s, "
                    f"{result['requests']} requests, {result['values']} values, {result['errors']} errors"
                    f"{server}, load {result['loadavg_1m']}"
                )
    return rows


def _f(value: float | None, fmt: str = "{:.2f}") -> str:
    return "n/a" if value is None else fmt.format(value)


def _ratio(num: float | None, den: float | None, fmt: str = "{:.2f}x") -> str:
    return "n/a" if not num or not den else fmt.format(num / den)


def comparison_table(rows: dict[str, Row]) -> str:
    """The (a)..(e) table: median wall, req/s, speed-up over (a), ratio to the floor."""
    base = rows.get("a")
    out = [
        "| client | concurrency | median wall s | req/s | speed-up vs (a) | wall vs floor | "
        "client CPU s | values | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows.values():
        floor = rows.get(row.client.floor) if row.client.floor else None
        out.append(
            f"| {row.client.label} | {row.concurrency} | {_f(row.wall)} | {_f(row.rps, '{:.1f}')} | "
            f"{_ratio(base.wall if base else None, row.wall)} | "
            f"{_ratio(row.wall, floor.wall) if floor else '-'} | {_f(row.median('cpu_s'))} | "
            f"{_f(row.median('values'), '{:.0f}')} | {row.errors} |"
        )
    return "\n".join(out)


def _sample_median(row: Row | None, num: str, den: str, scale: float = 1.0) -> float | None:
    """Median over the row's good samples of ``num / den * scale`` (samples lacking either left out)."""
    if row is None:
        return None
    values = [s[num] / s[den] * scale for s in row.ok if s.get(num) is not None and s.get(den)]
    return statistics.median(values) if values else None


def _server_share(row: Row) -> float | None:
    """Median over samples of the server's CPU seconds per wall second of the client's run."""
    return _sample_median(row, "server_cpu_s", "wall_s")


def _server_ms_per_request(row: Row) -> float | None:
    """Median over samples of the server's CPU milliseconds per request."""
    return _sample_median(row, "server_cpu_s", "requests", 1e3)


def _per_value(row: Row | None) -> float | None:
    """Median wall seconds per value fetched."""
    return _sample_median(row, "wall_s", "values")


def comparison3_table(rows: dict[str, Row]) -> str:
    """The (a3)..(e3) table, with the api-server's CPU beside each client's wall time."""
    base = rows.get("a3")
    out = [
        "| client | concurrency | median wall s | req/s | ms/value | speed-up vs (a3) | wall vs floor | "
        "server CPU s | server CPU / wall | server CPU ms/request | client CPU s | values | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows.values():
        floor = rows.get(row.client.floor) if row.client.floor else None
        per_value = _per_value(row)
        out.append(
            f"| {row.client.label} | {row.concurrency} | {_f(row.wall)} | {_f(row.rps, '{:.1f}')} | "
            f"{_f(per_value * 1e3 if per_value else None, '{:.1f}')} | "
            f"{_ratio(_per_value(base), per_value)} | "
            f"{_ratio(row.wall, floor.wall) if floor else '-'} | "
            f"{_f(row.median('server_cpu_s'), '{:.1f}')} | "
            f"{_f(_server_share(row))} | {_f(_server_ms_per_request(row), '{:.1f}')} | "
            f"{_f(row.median('cpu_s'))} | {_f(row.median('values'), '{:.0f}')} | {row.errors} |"
        )
    return "\n".join(out)


def cpu_table(rows: dict[str, Row]) -> str:
    """Client CPU per request against the stub."""
    bare = rows.get("bare")
    out = [
        "| client | requests | client CPU s | CPU µs/request | vs bare aiohttp | median wall s | req/s "
        "| peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows.values():
        out.append(
            f"| {row.client.label} | {_f(row.median('requests'), '{:.0f}')} | {_f(row.median('cpu_s'))} | "
            f"{_f(row.cpu_us_per_request, '{:.0f}')} | "
            f"{_ratio(row.cpu_us_per_request, bare.cpu_us_per_request if bare else None)} | "
            f"{_f(row.wall)} | {_f(row.rps, '{:.0f}')} | {_f(_mb(row.median('maxrss_kb')), '{:.1f}')} |"
        )
    return "\n".join(out)


def _mb(kb: float | None) -> float | None:
    return None if kb is None else kb / 1024


def sweep_table(sweep: dict[int, dict[str, Row]]) -> tuple[str, str]:
    """The concurrency sweep of (e) and (c'), and where more concurrency stops helping."""
    out = [
        "| concurrency | (e) median wall s | (e) req/s | (c') median wall s | (c') req/s | (e) vs (c') |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for conc, rows in sweep.items():
        e, c = rows["e"], rows["c'"]
        out.append(
            f"| {conc} | {_f(e.wall)} | {_f(e.rps, '{:.1f}')} | {_f(c.wall)} | {_f(c.rps, '{:.1f}')} | "
            f"{_ratio(e.wall, c.wall)} |"
        )
    walls = [(conc, rows["e"].wall) for conc, rows in sweep.items() if rows["e"].wall]
    verdict = "not enough data"
    for (c1, w1), (c2, w2) in itertools.pairwise(walls):
        if w2 > 0.9 * w1:
            verdict = (
                f"going from {c1} to {c2} in flight gains {100 * (1 - w2 / w1):.0f}% (< 10%): "
                f"more concurrency stops helping at about {c1}"
            )
            break
    else:
        if walls:
            verdict = f"still improving at {walls[-1][0]}"
    return "\n".join(out), verdict


def scale_table(scale: dict[int, dict[str, Row]]) -> str:
    """Harvest time and peak RSS by data-set size."""
    out = [
        "| entries | client | median wall s | req/s | peak RSS MB | CPU µs/request |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for entries, rows in scale.items():
        for row in rows.values():
            out.append(
                f"| {entries:,} | {row.client.label} | {_f(row.wall)} | {_f(row.rps, '{:.0f}')} | "
                f"{_f(_mb(row.median('maxrss_kb')), '{:.1f}')} | {_f(row.cpu_us_per_request, '{:.0f}')} |"
            )
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Profiling
# --------------------------------------------------------------------------------------------


_PACKAGES = (
    ("airflow_async", "/airflow_async/"),
    ("aiohttp", "/aiohttp/"),
    ("yarl / multidict", ("/yarl/", "/multidict/", "/propcache/")),
    ("tenacity", "/tenacity/"),
    ("cattrs / attrs", ("/cattrs/", "/attr/", "<cattrs generated", "<attrs generated")),
    ("asyncio", "/asyncio/"),
    ("json", "/json/"),
    ("urllib (quote)", "/urllib/"),
)


def _package_of(filename: str) -> str:
    for name, needles in _PACKAGES:
        for needle in (needles,) if isinstance(needles, str) else needles:
            if needle in filename:
                return name
    if filename == "~":
        return "built-ins and C calls (socket, select, ...)"
    return "other"


def profile_ours(url: str, concurrency: int) -> str:
    """Profile one harvest against the stub on the CPU-time clock; summarise by package and function."""
    LOGS.mkdir(parents=True, exist_ok=True)
    prof = LOGS / "ours.prof"
    cmd = [PY, "-m", "benchmarks.ours", "--url", url, "--auth", "none", "--concurrency", str(concurrency)]
    result = run_worker([*cmd, "--profile", str(prof)])
    if result.get("failed") or not prof.exists():
        return f"(profiling failed: {result.get('error', '?')})"
    stats = pstats.Stats(str(prof))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_package: dict[str, float] = {}
    total = 0.0
    for (filename, _line, _func), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        by_package[_package_of(filename)] = by_package.get(_package_of(filename), 0.0) + tottime
        total += tottime
    requests = max(1, int(result.get("requests", 1)))
    lines = [f"own CPU time by package ({requests} requests, profiler overhead included):"]
    for name, secs in sorted(by_package.items(), key=lambda kv: -kv[1]):
        lines.append(
            f"  {name:<45} {secs:7.3f} s  {100 * secs / total:5.1f}%  {secs / requests * 1e6:6.0f} us/req"
        )
    buf = io.StringIO()
    stats.stream = buf  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(20)
    buf.write("\n--- cumulative, airflow_async only ---\n")
    stats.sort_stats("cumtime").print_stats("/airflow_async/", 20)
    text = buf.getvalue().replace(str(ROOT) + "/", "")
    text = re.sub(r"\S*/site-packages/", "", text)
    text = re.sub(r"\S*/lib/python3\.\d+/", "", text)
    keep = [line.rstrip() for line in text.splitlines()]
    keep = [line for line in keep if line and not line.startswith(("   Ordered", "   List", "   Random"))]
    return "\n".join([*lines, "", *keep])


# --------------------------------------------------------------------------------------------
# Machine
# --------------------------------------------------------------------------------------------


def _version(dist: str, python: Path | None = None) -> str:
    if python is None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or "not installed"


def machine_info(env: Env) -> dict[str, Any]:
    """CPU, cores, memory, Python and library versions."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "aiohttp": _version("aiohttp"),
        "airflow_async": _version("airflow-async"),
        "official_client": _version("apache-airflow-client", env.official_python)
        if env.official_python
        else "n/a",
        "official_client3": _version("apache-airflow-client", env.official3_python)
        if env.official3_python
        else "n/a",
        "httpx": _version("httpx", env.httpx_python) if env.httpx_python else "n/a",
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "git": _git_state(),
    }


def _git_state() -> str:
    """The commit the library was measured at, and whether its files had local changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "airflow_async"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' + uncommitted changes in airflow_async/' if dirty else ''}"


def server_version(url: str) -> str:
    """The Airflow version the server reports (``/api/v1/version``, authenticated)."""
    import base64

    secret = os.environ.get("BENCH_PASSWORD", "admin")
    token = base64.b64encode(f"{USER}:{secret}".encode()).decode()
    req = urllib.request.Request(f"{url}/api/v1/version", headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return str(json.loads(resp.read())["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class Report:
    """Everything measured, and the markdown made from it."""

    args: argparse.Namespace
    machine: dict[str, Any]
    parts: list[str] = field(default_factory=list)
    goals: list[tuple[str, str, bool | None]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def add(self, title: str, body: str) -> None:
        """Add a section and print it."""
        text = f"## {title}\n\n{body}\n"
        self.parts.append(text)
        print(f"\n{text}", flush=True)

    def goal(self, what: str, measured: str, ok: bool | None) -> None:
        """Record a goal of the issue and whether it was met."""
        self.goals.append((what, measured, ok))


def _goal_ratio(
    report: Report, what: str, num: Row | None, den: Row | None, limit: float, above: bool
) -> None:
    if num is None or den is None or not num.wall or not den.wall:
        report.goal(what, "n/a", None)
        return
    ratio = den.wall / num.wall if above else num.wall / den.wall
    ok = ratio >= limit if above else ratio <= limit
    report.goal(what, f"{ratio:.2f}x", ok)


def section_real(report: Report, url: str, env: Env, *, via: str = "") -> None:
    """The (a)..(e) comparison on the real server (``via`` names the proxy, if any)."""
    args = report.args
    what = "latency" if via else "real"
    rows = measure(list(REAL_CLIENTS), url, args.concurrency, args.reps, env, what)
    report.raw[what] = [r.as_json() for r in rows.values()]
    listed = rows["c'"].median("listed") or rows["e"].median("listed")
    runs = rows["c'"].median("runs") or rows["e"].median("runs")
    title = "Real Airflow 2.11.2" + (
        f", through the latency proxy ({args.rtt_ms:g} ms round trip)" if via else ""
    )
    body = (
        f"{_f(listed, '{:.0f}')} XComs in {_f(runs, '{:.0f}')} DAG runs; concurrency {args.concurrency}; "
        f"{args.reps} alternating repetitions, medians. Basic auth costs Airflow 2 a password hash per "
        f"request, so (a)-(d) are bound by the server's CPU; (e) and (c') log in once.\n\n"
        f"{comparison_table(rows)}\n\nCommands:\n\n"
        + "\n".join(f"- {r.client.key}: `{r.command}`" for r in rows.values())
    )
    report.add(title, body)
    suffix = " (latency proxy)" if via else ""
    _goal_ratio(
        report, f"(e) >= 10x faster than (a){suffix}", rows["e"], rows["a"], GOAL_SPEEDUP_VS_OFFICIAL, True
    )
    _goal_ratio(
        report, f"(d) within 10% of its floor (c){suffix}", rows["d"], rows["c"], GOAL_FLOOR_RATIO, False
    )
    _goal_ratio(
        report, f"(e) within 10% of its floor (c'){suffix}", rows["e"], rows["c'"], GOAL_FLOOR_RATIO, False
    )


def section_real3(report: Report, af3: Airflow3, url: str, env: Env, *, via: str = "") -> None:
    """The (a3)..(e3) comparison on the Airflow 3.3.2 this run started (``via``: the proxy)."""
    args = report.args
    what = "latency3" if via else "real3"
    rows = measure(
        list(REAL3_CLIENTS),
        url,
        args.concurrency,
        args.reps,
        env,
        what,
        server_cpu=af3.server_cpu,
        password=af3.password,
    )
    report.raw[what] = [r.as_json() for r in rows.values()]
    loads = [s["loadavg_1m"] for r in rows.values() for s in r.samples if "loadavg_1m" in s]
    runs = rows["c3"].median("runs")
    title = f"Real Airflow {af3.version}" + (
        f", through the latency proxy ({args.rtt_ms:g} ms round trip)" if via else ""
    )
    body = (
        f"{af3.expected_values} XComs (the harness's manifest) in {_f(runs, '{:.0f}')} DAG runs; one "
        f"`airflow api-server -w 1` on SQLite, started for this run; (b3) and (c3) at concurrency "
        f"{args.concurrency}, (e3) at the library's defaults; {args.reps} alternating repetitions, "
        f"medians. ms/value and the speed-up are wall time per value fetched. Server CPU = "
        f"utime+stime of the api-server's process group (`/proc/<pid>/stat`) before and after each "
        f"client run; server CPU / wall near 1.0 means its one process was busy the whole run "
        f"(server-bound; it shares {os.cpu_count()} cores with the client). Load average (1 min) "
        f"after the runs: {min(loads, default=0):.2f}-{max(loads, default=0):.2f}.\n\n"
        f"{comparison3_table(rows)}\n\nCommands:\n\n"
        + "\n".join(f"- {r.client.key}: `{r.command}`" for r in rows.values())
    )
    report.add(title, body)
    suffix = " (latency proxy)" if via else ""
    complete = all(
        len(r.ok) == len(r.samples) == args.reps
        and r.errors == 0
        and all(s.get("values") == af3.expected_values for s in r.ok)
        for r in rows.values()
    )
    report.goal(
        f"every 3.3.2 client fetched all {af3.expected_values} values, no errors{suffix}",
        "yes" if complete else "no",
        complete,
    )
    if via:
        a3, e3 = _per_value(rows["a3"]), _per_value(rows["e3"])
        ratio = a3 / e3 if a3 and e3 else None
        report.goal(
            f"(e3) >= {GOAL3_SPEEDUP_VS_OFFICIAL_LATENCY:g}x faster per value than (a3){suffix}",
            _f(ratio, "{:.2f}x"),
            None if ratio is None else ratio >= GOAL3_SPEEDUP_VS_OFFICIAL_LATENCY,
        )
        return
    _goal_ratio(
        report,
        f"(e3) within {GOAL3_FLOOR_RATIO:g}x of its floor (c3)",
        rows["e3"],
        rows["c3"],
        GOAL3_FLOOR_RATIO,
        False,
    )
    _goal_ratio(report, "(e3) not slower than (b3)", rows["e3"], rows["b3"], 1.0, False)


def section_sweep(report: Report, url: str, env: Env) -> None:
    """(e) and (c') at several concurrencies."""
    args = report.args
    clients = [c for c in REAL_CLIENTS if c.key in ("e", "c'")]
    sweep: dict[int, dict[str, Row]] = {}
    for conc in args.sweep:
        sweep[conc] = measure(clients, url, conc, args.reps, env, f"sweep c={conc}")
    report.raw["sweep"] = {str(c): [r.as_json() for r in rows.values()] for c, rows in sweep.items()}
    table, verdict = sweep_table(sweep)
    report.add(
        "Concurrency sweep on the real server: (e) SessionAuth and its floor (c')",
        f"{table}\n\n(e): {verdict}. Airflow 2's webserver runs {args.workers} synchronous gunicorn workers "
        f"on {os.cpu_count()} cores shared with the client.",
    )


def section_instructions(report: Report) -> None:
    """Instructions per request under callgrind, bare aiohttp against the harvest."""
    from benchmarks import cpu_instructions

    sizes = (200, 600) if report.args.quick else (1000, 3000)
    per = cpu_instructions.measure(sizes)
    ratio = per["ours"] / per["bare"]
    report.raw["instructions"] = per
    report.add(
        "Client instructions per request (fast stub, callgrind)",
        f"Harvests of {sizes[0]:,} and {sizes[1]:,} stub entries at concurrency 16 under "
        "`valgrind --tool=callgrind`; the difference of the instruction counts over the difference "
        "of the requests made (start-up and imports cancel out).\n\n"
        "| client | instructions per request | ratio |\n|---|---:|---:|\n"
        f"| bare aiohttp | {per['bare'] / 1e3:,.1f}k | 1.00x |\n"
        f"| airflow_async harvest | {per['ours'] / 1e3:,.1f}k | {ratio:.2f}x |\n\n"
        f"Command: `python -m benchmarks.cpu_instructions {sizes[0]} {sizes[1]}`",
    )
    report.goal(
        f"airflow_async instructions/request <= {GOAL_CPU_RATIO}x bare aiohttp",
        f"{ratio:.2f}x",
        ratio <= GOAL_CPU_RATIO,
    )


def section_cpu(report: Report, env: Env) -> None:
    """Client CPU per request against the stub, and a profile when the library is over budget."""
    args = report.args
    clients = [c for c in STUB_CLIENTS if c.key in args.stub_clients]
    with stub(args.cpu_entries) as url:
        rows = measure(clients, url, args.concurrency, args.reps, env, "cpu")
        ours = rows["ours"].cpu_us_per_request if "ours" in rows else None
        bare = rows["bare"].cpu_us_per_request if "bare" in rows else None
        profile = ""
        if ours and bare and ours / bare > GOAL_CPU_RATIO and not args.no_profile:
            log(f"airflow_async is over {GOAL_CPU_RATIO}x bare aiohttp in CPU per request: profiling it")
            profile = profile_ours(url, args.concurrency)
    report.raw["cpu"] = [r.as_json() for r in rows.values()]
    body = (
        f"Fast stub: `tests/fakes/fault_server.py --no-auth --entries {args.cpu_entries}` in its own "
        f"process; each client in its own process, CPU = user+sys of that process during the harvest "
        f"(`getrusage(RUSAGE_SELF)`, imports excluded); concurrency {args.concurrency}; {args.reps} "
        f"alternating repetitions, medians.\n\n{cpu_table(rows)}\n\nCommands:\n\n"
        + "\n".join(f"- {r.client.key}: `{r.command}`" for r in rows.values())
    )
    if profile:
        body += (
            "\n\ncProfile of one airflow_async harvest on the stub (profiler overhead inflates every "
            f"number; compare them with each other):\n\n```\n{profile}\n```"
        )
    report.add("Client CPU per request (fast stub)", body)
    if ours and bare:
        ratio = ours / bare
        report.goal(
            f"airflow_async CPU/request <= {GOAL_CPU_RATIO}x bare aiohttp",
            f"{ratio:.2f}x",
            ratio <= GOAL_CPU_RATIO,
        )


def section_scale(report: Report, env: Env) -> dict[int, dict[str, Row]]:
    """Harvest wall time and peak RSS over growing stub data sets."""
    args = report.args
    clients = [
        Client("ours", "airflow_async harvest", "ours", "none"),
        Client("compose", "airflow_async pieces, listing dedupe=False", "ours-compose", "none"),
        Client("bare", "bare aiohttp", "bare", "none"),
    ]
    scale: dict[int, dict[str, Row]] = {}
    for entries in args.scale:
        with stub(entries) as url:
            scale[entries] = measure(clients, url, args.concurrency, 1, env, f"scale {entries}")
    report.raw["scale"] = {str(n): [r.as_json() for r in rows.values()] for n, rows in scale.items()}
    report.add(
        "Scaling on the stub: time and peak RSS",
        f"One run each, concurrency {args.concurrency}; peak RSS is `ru_maxrss` of the client process "
        f"(interpreter and imports included).\n\n{scale_table(scale)}",
    )
    return scale


def section_memory(report: Report, env: Env, scale: dict[int, dict[str, Row]]) -> None:
    """A streaming harvest of ``--memory-entries`` entries against the 100k run."""
    args = report.args
    clients = [
        Client("ours", "airflow_async harvest", "ours", "none"),
        Client("compose", "airflow_async pieces, listing dedupe=False", "ours-compose", "none"),
    ]
    with stub(args.memory_entries) as url:
        rows = measure(clients, url, args.concurrency, 1, env, f"memory {args.memory_entries}")
    report.raw["memory"] = [r.as_json() for r in rows.values()]
    ref_n = max((n for n in scale if n < args.memory_entries), default=None)
    lines = [
        "| client | entries | median wall s | peak RSS MB | reference run | its peak RSS MB | growth |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, row in rows.items():
        ref = scale[ref_n][key] if ref_n is not None and key in scale[ref_n] else None
        rss, ref_rss = _mb(row.median("maxrss_kb")), _mb(ref.median("maxrss_kb")) if ref else None
        lines.append(
            f"| {row.client.label} | {args.memory_entries:,} | {_f(row.wall)} | {_f(rss, '{:.1f}')} | "
            f"{f'{ref_n:,}' if ref_n else '-'} | {_f(ref_rss, '{:.1f}')} | {_ratio(rss, ref_rss)} |"
        )
        if key == "ours" and rss is not None:
            report.goal(
                f"harvest of {args.memory_entries:,}: peak RSS < {GOAL_RSS_MB:.0f} MB",
                f"{rss:.1f} MB",
                rss < GOAL_RSS_MB,
            )
            if ref_rss:
                report.goal(
                    f"harvest of {args.memory_entries:,}: peak RSS within 20% of the {ref_n:,} run",
                    f"{rss / ref_rss:.2f}x",
                    rss / ref_rss <= GOAL_RSS_GROWTH,
                )
    report.add(
        f"Memory: a streaming harvest of {args.memory_entries:,} entries",
        "\n".join(lines)
        + "\n\nThe harvest's XCom listing dedupes by natural key; XCom listings sort on their whole key, "
        "so while the count holds still only the last pages' keys are checked and the rest are written "
        "to a temporary file, 8 bytes each (`airflow_async/pagination.py`). Its run-id map holds one "
        "entry per DAG run, about 62 bytes each (`airflow_async/api/v1/run_ids.py`). The second row "
        "builds the same pipeline from public pieces, with `xcom.list(..., dedupe=False)` and a plain "
        "dict of run ids.",
    )


def render(report: Report, started: float) -> str:
    """The whole markdown report."""
    m = report.machine
    args = report.args
    goals = ["| goal | measured | met |", "|---|---:|:---:|"]
    for what, measured, ok in report.goals:
        goals.append(f"| {what} | {measured} | {'yes' if ok else 'n/a' if ok is None else '**no**'} |")
    head = [
        f"# Benchmarks, {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}" + (" (quick)" if args.quick else ""),
        "",
        f"Command: `{display_cmd([PY, '-m', 'benchmarks.run', *sys.argv[1:]])}` "
        f"({(time.monotonic() - started) / 60:.1f} min)",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}",
        f"- Python {m['python']}, aiohttp {m['aiohttp']}, airflow_async {m['airflow_async']}, "
        f"apache-airflow-client {m['official_client']} (Airflow 2) and {m.get('official_client3', 'n/a')} "
        f"(Airflow 3), httpx {m['httpx']}",
        f"- Airflow server: {m.get('airflow', 'not run')}; Airflow 3 server: {m.get('airflow3', 'not run')}; "
        f"library at git {m.get('git', '?')}",
        f"- Load average at start {m['loadavg_start']}, at end {[round(x, 2) for x in os.getloadavg()]} "
        "(the client, the server and anything else on the machine share its cores)",
        "",
        "## Goals",
        "",
        *goals,
        "",
    ]
    return "\n".join(head) + "\n" + "\n".join(report.parts)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; ``--quick`` shrinks every size and repetition."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a smoke run of every section (< 3 min)")
    p.add_argument(
        "--sections",
        help=f"comma separated: {ALL_SECTIONS} (default all; --quick leaves out instructions)",
    )
    p.add_argument("--reps", type=int, help="repetitions per client (default 3; quick 1)")
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight for (b)-(e) (default 8)")
    p.add_argument("--sweep", help="concurrencies for the sweep (default 1,4,8,16,32; quick 1,8)")
    p.add_argument("--rtt-ms", type=float, default=25.0, help="latency proxy round trip (default 25)")
    p.add_argument("--xcoms", type=int, help="XComs to seed (default 2000; quick 50)")
    p.add_argument("--runs", type=int, help="DAG runs to seed (default 110; quick 10)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    p.add_argument("--server-url", help="use this running Airflow 2 instead of starting one")
    p.add_argument(
        "--cpu-entries", type=int, help="stub entries for the CPU table (default 10000; quick 1000)"
    )
    p.add_argument("--scale", help="stub sizes (default 1000,10000,100000; quick 1000,5000)")
    p.add_argument(
        "--memory-entries", type=int, help="entries for the memory run (default 1000000; quick 10000)"
    )
    p.add_argument("--stub-clients", default="bare,ours,httpx,official", help="clients of the CPU table")
    p.add_argument("--no-profile", action="store_true", help="skip cProfile of the library")
    p.add_argument("--out", help="markdown output (default benchmarks/results/<date>[-quick].md)")
    args = p.parse_args(argv)
    q = args.quick
    default = [s for s in ALL_SECTIONS if not (q and s == "instructions")]
    args.sections = [s.strip() for s in (args.sections or ",".join(default)).split(",") if s.strip()]
    unknown = set(args.sections) - set(ALL_SECTIONS)
    if unknown:
        p.error(f"unknown sections {sorted(unknown)}; choose from {ALL_SECTIONS}")
    args.stub_clients = [c.strip() for c in args.stub_clients.split(",") if c.strip()]
    args.reps = args.reps or (1 if q else 3)
    args.sweep = [int(x) for x in (args.sweep or ("1,8" if q else ",".join(map(str, SWEEP)))).split(",")]
    args.xcoms = args.xcoms or (50 if q else 2000)
    args.runs = args.runs or (10 if q else 110)
    args.cpu_entries = args.cpu_entries or (1000 if q else 10000)
    args.scale = [int(x) for x in (args.scale or ("1000,5000" if q else "1000,10000,100000")).split(",")]
    args.memory_entries = args.memory_entries or (10_000 if q else 1_000_000)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections, print the tables and write the report."""
    args = parse_args(argv)
    started = time.monotonic()
    env = Env()
    cpu = "cpu" in args.sections
    if {"real", "latency"} & set(args.sections) or (cpu and "official" in args.stub_clients):
        env.official_python = ensure_official_venv()
    if cpu and "httpx" in args.stub_clients:
        env.httpx_python = ensure_httpx_venv()
    if {"real3", "latency3"} & set(args.sections):
        env.official3_python = ensure_official3_venv()
    report = Report(args, machine_info(env))
    sections = set(args.sections)
    try:
        if {"real", "sweep", "latency"} & sections:
            with real_airflow(args) as url:
                report.machine["airflow"] = f"{server_version(url)} ({args.workers} gunicorn workers, SQLite)"
                if not args.quick:  # warm the workers' imports and caches; not recorded
                    run_worker(worker_cmd(REAL_CLIENTS[4], url, args.concurrency, env))
                if "real" in sections:
                    section_real(report, url, env)
                    write_report(report, started)
                if "sweep" in sections:
                    section_sweep(report, url, env)
                    write_report(report, started)
                if "latency" in sections:
                    with latency_proxy(url, args.rtt_ms) as proxied:
                        section_real(report, proxied, env, via=proxied)
                    write_report(report, started)
        if {"real3", "latency3"} & sections:
            with real_airflow3(args) as af3:
                report.machine["airflow3"] = (
                    f"{af3.version} (one api-server worker, SQLite, started by this run)"
                )
                if not args.quick:  # warm the api-server's imports and caches; not recorded
                    run_worker(
                        worker_cmd(REAL3_CLIENTS[-1], af3.url, args.concurrency, env), password=af3.password
                    )
                if "real3" in sections:
                    section_real3(report, af3, af3.url, env)
                    write_report(report, started)
                if "latency3" in sections:
                    with latency_proxy(af3.url, args.rtt_ms) as proxied:
                        section_real3(report, af3, proxied, env, via=proxied)
                    write_report(report, started)
        if "cpu" in sections:
            section_cpu(report, env)
            write_report(report, started)
        if "instructions" in sections:
            section_instructions(report)
            write_report(report, started)
        scale: dict[int, dict[str, Row]] = {}
        if "scale" in sections or "memory" in sections:
            scale = section_scale(report, env)
            write_report(report, started)
        if "memory" in sections:
            section_memory(report, env, scale)
            write_report(report, started)
        if "crawl3" in sections:
            from benchmarks.crawl3 import section_crawl3  # it imports this module

            if args.quick and getattr(args, "crawl_churn", None) is None:
                args.crawl_churn = ["cursor"]  # one insert walk: bench-quick stays short
            section_crawl3(report, env)
    finally:
        write_report(report, started, final=True)
    return 0


def write_report(report: Report, started: float, *, final: bool = False) -> None:
    """Write the markdown (and the raw JSON beside it); ``final`` also prints the goals."""
    args = report.args
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = dt.date.today().isoformat() + ("-quick" if args.quick else "")
    out = Path(args.out) if args.out else RESULTS / f"{name}.md"
    text = scrub(render(report, started))
    out.write_text(text + "\n")
    raw = {"machine": report.machine, "goals": report.goals, **report.raw}
    out.with_suffix(".json").write_text(scrub(json.dumps(raw, indent=1)) + "\n")
    if not final:
        return
    goals = "\n".join(
        f"  {'ok ' if ok else '-- ' if ok is None else 'NO '} {w}: {m}" for w, m, ok in report.goals
    )
    print(
        f"\nGoals:\n{goals}\n\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}", flush=True
    )


if __name__ == "__main__":
    sys.exit(main())
