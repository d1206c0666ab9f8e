"""The ``airflow-async`` CLI against the real Airflow 2.11.2 server, run as a subprocess
(``python -m airflow_async``) with credentials in environment variables."""

from __future__ import annotations

import csv
import functools
import json
import os
import pty
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.harness import airflow2 as harness2
from tests.harness import airflow3 as harness3

from .conftest import AirflowInfo
from .servers import RealServer

pytestmark = pytest.mark.integration

Key = tuple[str, str, str, int, str]

_OUR_VARS = ("AIRFLOW_URL", "AIRFLOW_USERNAME", "AIRFLOW_PASSWORD", "AIRFLOW_AUTH", "AIRFLOW_TOKEN")


def _env(url: str, user: tuple[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _OUR_VARS}
    env.update({"AIRFLOW_URL": url, "AIRFLOW_USERNAME": user[0], "AIRFLOW_PASSWORD": user[1]}, **extra)
    return env


def _cli(
    airflow2: AirflowInfo | RealServer,
    *args: str,
    url: str | None = None,
    user: tuple[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow_async", *args],
        env=_env(url or airflow2.url, user or airflow2.admin),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _seeded(airflow2: AirflowInfo | RealServer, **match: Any) -> dict[Key, dict[str, Any]]:
    return {
        (e["dag_id"], e["dag_run_id"], e["task_id"], e["map_index"], e["key"]): e
        for e in airflow2.manifest
        if all(e[k] == v for k, v in match.items())
    }


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _read_jsonl(path: Path) -> dict[Key, Any]:
    got: dict[Key, Any] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        rec = json.loads(line)
        assert list(rec) == ["dag_id", "dag_run_id", "task_id", "map_index", "key", "timestamp", "value"]
        key = (rec["dag_id"], rec["dag_run_id"], rec["task_id"], rec["map_index"], rec["key"])
        assert key not in got, f"line {n}: {key} written twice"
        got[key] = rec["value"]
    return got


def _check_values(
    got: dict[Key, Any], seeded: dict[Key, dict[str, Any]], field: str = "value_no_deserialize"
) -> None:
    """Compare with the manifest; by default with the value as the server sends it without
    ``deserialize`` (the CLI's default: a tuple arrives as "(7,t)")."""
    missing = set(seeded) - set(got)
    assert not missing, f"{len(missing)} seeded XComs missing, e.g. {sorted(missing)[:3]}"
    wrong = [k for k, e in seeded.items() if not _same(got[k], e[field])]
    assert not wrong, (
        f"{len(wrong)} values differ, e.g. {wrong[0]}: {got[wrong[0]]!r} != {seeded[wrong[0]][field]!r}"
    )


@functools.cache
def _has_json_values(url: str) -> bool:
    """Whether the server's XCom fetch has JSON values (``stringify``): Airflow 2.10 and newer."""
    proc = subprocess.run(
        [sys.executable, "-m", "airflow_async", "version", "--json"],
        env=_env(url, harness2.ADMIN),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    return tuple(int(p) for p in json.loads(proc.stdout)["airflow"].split(".")[:2]) >= (2, 10)


def _values(airflow2: AirflowInfo) -> tuple[list[str], str]:
    """The harvest flags for values, and the manifest field they match: the default (JSON values),
    or on Airflow 2.9, which has only ``str(value)``, ``--stringify``."""
    if _has_json_values(airflow2.url):
        return [], "value_no_deserialize"
    return ["--stringify"], "string_no_deserialize"


def _json_values_refused(airflow2: AirflowInfo, *args: str) -> bool:
    """On Airflow 2.9 (no JSON values), assert that the CLI refuses the default harvest ``args``
    in one line naming Airflow 2.10 before listing anything, and return True; False elsewhere."""
    if _has_json_values(airflow2.url):
        return False
    proc = _cli(airflow2, *args)
    assert proc.returncode == 2 and proc.stdout == ""
    line = _one_error_line(proc)
    assert "stringify=False) (JSON values) needs Airflow 2.10.0 or newer; the server runs 2.9" in line
    return True


# -- harvest ----------------------------------------------------------------------------------


def test_harvest_everything_to_jsonl(airflow2: AirflowInfo, tmp_path: Path) -> None:
    out = tmp_path / "xcoms.jsonl"
    if _json_values_refused(airflow2, "xcom", "harvest", "--out", str(out)):
        assert not out.exists()
        return
    proc = _cli(airflow2, "xcom", "harvest", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    got = _read_jsonl(out)
    _check_values(got, _seeded(airflow2))
    assert f"harvest done: {len(got):,} values written to {out}" in proc.stderr
    assert not Path(f"{out}.failures.jsonl").exists()


def test_harvest_csv_with_filters(airflow2: AirflowInfo, tmp_path: Path) -> None:
    out = tmp_path / "other.csv"
    flags, field = _values(airflow2)
    args = ("--dag-id", "harvest_other", "--key", "return_value", "--out", str(out))
    proc = _cli(airflow2, "xcom", "harvest", *flags, *args)
    assert proc.returncode == 0, proc.stderr
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    got = {
        (r["dag_id"], r["dag_run_id"], r["task_id"], int(r["map_index"]), r["key"]): json.loads(r["value"])
        for r in rows
    }
    seeded = _seeded(airflow2, dag_id="harvest_other", key="return_value")
    assert len(rows) == len(got) == len(seeded) > 0
    _check_values(got, seeded, field)


def test_harvest_stringify_matches_the_servers_strings(airflow2: AirflowInfo, tmp_path: Path) -> None:
    out = tmp_path / "real.jsonl"
    proc = _cli(airflow2, "xcom", "harvest", "--dag-id", "harvest_real", "--stringify", "--out", str(out))
    got = _read_jsonl(out)
    seeded = _seeded(airflow2, dag_id="harvest_real")
    if not _has_json_values(airflow2.url):
        # Airflow 2.9 routes no key containing '/': those entries fail, by release, alone.
        slashed = {k for k in seeded if "/" in k[4]}
        assert slashed and proc.returncode == 3, proc.stderr
        failures = [json.loads(line) for line in Path(f"{out}.failures.jsonl").read_text().splitlines()]
        assert {
            (f["dag_id"], f["dag_run_id"], f["task_id"], f["map_index"], f["key"]) for f in failures
        } == slashed
        assert all("needs Airflow 2.10" in f["error"]["message"] for f in failures)
        seeded = {k: e for k, e in seeded.items() if k not in slashed}
    else:
        assert proc.returncode == 0, proc.stderr
    assert len(got) == len(seeded) > 0
    _check_values(got, seeded, field="string_no_deserialize")


def test_harvest_deserialize(airflow2: AirflowInfo, tmp_path: Path) -> None:
    out = tmp_path / "weird.jsonl"
    args = ("xcom", "harvest", "--dag-id", "harvest_demo", "--task-id", "weird", "--deserialize")
    if _json_values_refused(airflow2, *args, "--out", str(out)):
        return
    proc = _cli(airflow2, *args, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    seeded = _seeded(airflow2, dag_id="harvest_demo", task_id="weird")
    _check_values(_read_jsonl(out), seeded, field="value")  # a tuple arrives as [7, "t"]


def _wait_for_lines(path: Path, n: int, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the harvest ended before {n} lines: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {n} lines in {timeout}s")


def test_interrupt_then_resume_has_no_duplicates_and_misses_nothing(
    airflow2: AirflowInfo, tmp_path: Path
) -> None:
    seeded = _seeded(airflow2, dag_id="harvest_demo", task_id="weird")  # unicode keys, slashes, spaces
    assert len(seeded) > 100
    out = tmp_path / "weird.jsonl"
    if _json_values_refused(airflow2, "xcom", "harvest", "--dag-id", "harvest_demo", "--task-id", "weird"):
        return
    cmd = [
        sys.executable,
        "-m",
        "airflow_async",
        "xcom",
        "harvest",
        "--dag-id",
        "harvest_demo",
        "--task-id",
        "weird",
    ]
    env = _env(airflow2.url, airflow2.admin)
    proc = subprocess.Popen(
        [*cmd, "--concurrency", "2", "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        _wait_for_lines(out, 40, proc)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert stdout == "" and "Traceback" not in stderr
    assert "harvest interrupted" in stderr and "--resume" in stderr
    partial = _read_jsonl(out)  # complete, valid lines only
    assert 40 <= len(partial) < len(seeded)
    assert out.read_bytes().endswith(b"\n")

    resumed = subprocess.run(
        [*cmd, "--out", str(out), "--resume"], env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(partial):,} skipped" in resumed.stderr
    assert f"{len(seeded) - len(partial):,} values written" in resumed.stderr  # nothing fetched twice
    got = _read_jsonl(out)
    assert set(got) == set(seeded)
    _check_values(got, seeded)


def test_resume_after_a_crash_mid_line(airflow2: AirflowInfo, tmp_path: Path) -> None:
    out = tmp_path / "other.jsonl"
    flags, field = _values(airflow2)
    args = ("xcom", "harvest", *flags, "--dag-id", "harvest_other", "--out", str(out))
    assert _cli(airflow2, *args).returncode == 0
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:5]) + lines[5][:30], encoding="utf-8")  # as a kill -9 would leave it
    proc = _cli(airflow2, *args, "--resume")
    assert proc.returncode == 0, proc.stderr
    assert "partial last line" in proc.stderr
    got = _read_jsonl(out)
    _check_values(got, _seeded(airflow2, dag_id="harvest_other"), field)
    assert len(got) == len(lines)


def test_progress_shows_on_a_terminal_and_stdout_stays_clean(airflow2: AirflowInfo) -> None:
    """Standard error is a pseudo-terminal (progress drawn), standard output a pipe (records only)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_async",
            "xcom",
            "harvest",
            *_values(airflow2)[0],
            "--dag-id",
            "harvest_demo",
            "--task-id",
            "report",
            "--concurrency",
            "2",
        ],
        env=_env(airflow2.url, airflow2.admin, TERM="xterm-256color", COLUMNS="120"),
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO once the child closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        stdout, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(10)
    os.close(master)
    stderr = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, stderr
    assert "harvest: listed" in stderr and "fetched" in stderr and "/s" in stderr, stderr[-2000:]
    assert "harvest done" in stderr
    records = [json.loads(line) for line in stdout.splitlines()]  # nothing but JSON lines
    seeded = _seeded(airflow2, dag_id="harvest_demo", task_id="report")
    assert len(records) == len(seeded)
    assert "\x1b" not in stdout and "listed" not in stdout


def test_quiet_when_stderr_is_not_a_terminal(airflow2: AirflowInfo) -> None:
    flags = _values(airflow2)[0]
    proc = _cli(airflow2, "xcom", "harvest", *flags, "--dag-id", "harvest_other", "--out", "-")
    assert proc.returncode == 0, proc.stderr
    assert "listed" not in proc.stderr and "\r" not in proc.stderr
    assert proc.stderr.startswith("harvest done:")
    assert len(proc.stdout.splitlines()) == len(_seeded(airflow2, dag_id="harvest_other"))
    assert _cli(airflow2, "-q", "xcom", "harvest", *flags, "--dag-id", "harvest_other").stderr == ""


# -- export -----------------------------------------------------------------------------------


def test_export_dag_runs_and_xcom_entries(server: RealServer, tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    proc = _cli(server, "export", "dag-runs", "--dag-id", "harvest_other", "--out", str(runs))
    assert proc.returncode == 0, proc.stderr
    with runs.open(newline="") as fh:
        got_runs = {r["dag_run_id"] for r in csv.DictReader(fh)}
    assert got_runs >= {e["dag_run_id"] for e in server.manifest if e["dag_id"] == "harvest_other"}

    entries = tmp_path / "entries.jsonl"
    args = ("export", "xcom-entries", "--dag-id", "harvest_demo", "--task-id", "weird", "--out", str(entries))
    assert _cli(server, *args).returncode == 0
    lines = entries.read_text(encoding="utf-8").splitlines(keepends=True)
    entries.write_text("".join(lines[:50]) + lines[50][:10], encoding="utf-8")
    proc = _cli(server, *args, "--resume")
    assert proc.returncode == 0, proc.stderr
    assert "50 skipped" in proc.stderr
    recs = [json.loads(line) for line in entries.read_text(encoding="utf-8").splitlines()]
    keys = {(r["dag_id"], r["dag_run_id"], r["task_id"], r["map_index"], r["key"]) for r in recs}
    assert len(keys) == len(recs) == len(lines)
    assert keys == set(_seeded(server, dag_id="harvest_demo", task_id="weird"))


# -- everyday commands ------------------------------------------------------------------------


def _json(airflow2: AirflowInfo | RealServer, *args: str, user: tuple[str, str] | None = None) -> Any:
    proc = _cli(airflow2, *args, "--json", user=user)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_json_output_of_everyday_commands(server: RealServer) -> None:
    dags = _json(server, "dags", "list")
    assert {"harvest_demo", "harvest_other"} <= {d["dag_id"] for d in dags}
    assert _json(server, "dags", "get", "harvest_other")["dag_id"] == "harvest_other"
    run_ids = {e["dag_run_id"] for e in server.manifest if e["dag_id"] == "harvest_other"}
    runs = _json(server, "runs", "list", "--dag-id", "harvest_other")
    assert run_ids <= {r["dag_run_id"] for r in runs}
    one = sorted(run_ids)[0]
    assert _json(server, "runs", "get", "harvest_other", one)["dag_run_id"] == one
    assert isinstance(_json(server, "tasks", "list", "--dag-id", "harvest_other", "--limit", "5"), list)
    entries = _json(server, "xcom", "list", "--dag-id", "harvest_other", "--limit", "3")
    assert len(entries) == 3
    slashed = _seeded(server, dag_id="harvest_demo", key="my key/with slash")
    # Airflow 3.0 routes no key containing '/': its harness seeds none (see ReleaseConfig.slash_keys).
    e = next(iter((slashed or _seeded(server, dag_id="harvest_demo")).values()))
    get = (
        "xcom",
        "get",
        e["dag_id"],
        e["dag_run_id"],
        e["task_id"],
        "my key/with slash",
        "--map-index",
        str(e["map_index"]),
    )
    if server.name == "airflow2" and not _has_json_values(server.url):
        # Airflow 2.9 routes no key containing '/' (and has no JSON values): refused by release.
        assert "needs Airflow 2.10" in _one_error_line(_cli(server, *get))
    elif not slashed:  # Airflow 3.0: refused by release, before sending
        assert "needs Airflow 3.1" in _one_error_line(_cli(server, *get))
    else:
        assert _same(_json(server, *get)["value"], e[server.value_field])
    releases = {"airflow2": harness2.AIRFLOW_VERSION, "airflow3": harness3.AIRFLOW_VERSION}
    assert _json(server, "version")["airflow"] == releases[server.name]
    assert "metadatabase" in _json(server, "health")
    assert isinstance(_json(server, "pools", "list"), list)
    assert isinstance(_json(server, "connections", "list"), list)


def test_variables_round_trip(server: RealServer) -> None:
    key = f"cli_test_{uuid.uuid4().hex[:8]}"
    assert _json(server, "variables", "set", key, "first value")["value"] == "first value"
    assert _json(server, "variables", "set", key, "second")["value"] == "second"
    got = _cli(server, "variables", "get", key)
    assert got.returncode == 0 and got.stdout == "second\n"
    assert key in {v["key"] for v in _json(server, "variables", "list")}
    assert _json(server, "variables", "delete", key) == {"deleted": key}
    gone = _cli(server, "variables", "get", key)
    assert gone.returncode == 1 and gone.stderr.startswith("airflow-async: error: 404 from")


def test_table_output_when_piped(airflow2: AirflowInfo) -> None:
    proc = _cli(airflow2, "runs", "list", "--dag-id", "harvest_other")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["DAG_ID", "DAG_RUN_ID", "STATE"]
    assert all(line.startswith("harvest_other ") for line in lines[1:])


# -- errors -----------------------------------------------------------------------------------


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("airflow-async: error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize("auth", ["session", "basic"])
def test_wrong_password_is_one_line(airflow2: AirflowInfo, tmp_path: Path, auth: str) -> None:
    out = tmp_path / "x.jsonl"
    wrong = (airflow2.admin[0], "definitely-not-the-password")
    flags = _values(airflow2)[0]  # (on Airflow 2.9 the default is refused before any login)
    proc = _cli(airflow2, "--auth", auth, "xcom", "harvest", *flags, "--out", str(out), user=wrong)
    assert proc.returncode == 1
    line = _one_error_line(proc)
    assert "wrong username or password (set AIRFLOW_PASSWORD or use --password-file)" in line
    assert airflow2.url in line
    assert "definitely-not-the-password" not in proc.stderr + proc.stdout
    assert not out.exists()
    if auth == "basic":
        # With the session backend enabled as well, Airflow 2 answers 403 (not 401) to wrong
        # basic-auth credentials; the CLI tells that from a missing permission by one login try.
        assert line == (
            f"airflow-async: error: 403 from {airflow2.url}: wrong username or password "
            "(set AIRFLOW_PASSWORD or use --password-file)"
        )


def test_wrong_password_on_the_basic_only_server_is_a_401(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url is not None
    wrong = (airflow2.admin[0], "definitely-not-the-password")
    proc = _cli(airflow2, "--auth", "basic", "dags", "list", url=airflow2.second_url, user=wrong)
    assert proc.returncode == 1
    assert _one_error_line(proc) == (
        f"airflow-async: error: 401 from {airflow2.second_url}: wrong username or password "
        "(set AIRFLOW_PASSWORD or use --password-file)"
    )


def test_unreachable_url_is_one_line(airflow2: AirflowInfo) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    proc = _cli(airflow2, "dags", "list", url=f"http://127.0.0.1:{port}")
    assert proc.returncode == 1
    line = _one_error_line(proc)
    assert line.startswith(
        f"airflow-async: error: cannot connect to http://127.0.0.1:{port}: is Airflow running?"
    )


def test_viewer_may_read_but_not_pause(airflow2: AirflowInfo) -> None:
    assert _json(airflow2, "dags", "get", "harvest_other", user=airflow2.viewer)["dag_id"] == "harvest_other"
    proc = _cli(airflow2, "dags", "pause", "harvest_other", user=airflow2.viewer)
    assert proc.returncode == 1
    line = _one_error_line(proc)
    assert "403" in line and repr(airflow2.viewer[0]) in line


def test_usage_errors_exit_2(airflow2: AirflowInfo, tmp_path: Path) -> None:
    proc = _cli(airflow2, "xcom", "harvest", "--format", "xml")
    assert proc.returncode == 2
    env = {k: v for k, v in _env(airflow2.url, airflow2.admin).items() if k != "AIRFLOW_PASSWORD"}
    no_pw = subprocess.run(
        [sys.executable, "-m", "airflow_async", "dags", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert no_pw.returncode == 2
    assert _one_error_line(no_pw).endswith(
        "no password: set AIRFLOW_PASSWORD or use --password-file "
        "(a prompt needs a terminal, and standard input is not one)"
    )


def test_session_falls_back_to_basic_on_the_basic_only_server(airflow2: AirflowInfo, tmp_path: Path) -> None:
    assert airflow2.second_url is not None, "the harness gives no second (basic-auth only) server"
    out = tmp_path / "x.jsonl"
    flags, field = _values(airflow2)
    args = ("xcom", "harvest", *flags, "--dag-id", "harvest_other", "--out", str(out))
    proc = _cli(airflow2, *args, url=airflow2.second_url)
    assert proc.returncode == 0, proc.stderr
    warnings_ = [line for line in proc.stderr.splitlines() if line.startswith("airflow-async: warning:")]
    assert len(warnings_) == 1 and "basic auth" in warnings_[0]
    _check_values(_read_jsonl(out), _seeded(airflow2, dag_id="harvest_other"), field)


def test_password_file_and_console_script(airflow2: AirflowInfo, tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text(airflow2.admin[1] + "\n")
    script = Path(sys.executable).parent / "airflow-async"
    env = {k: v for k, v in _env(airflow2.url, airflow2.admin).items() if k != "AIRFLOW_PASSWORD"}
    cmd: Sequence[str] = [str(script), "version", "--json", "--password-file", str(pw)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["airflow"] == harness2.AIRFLOW_VERSION
