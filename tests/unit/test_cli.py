"""Unit tests of the ``airflow-async`` CLI: parsing, settings, files, errors, and commands
run end to end against a tiny in-process fake server."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from airflow_async.cli import build_parser, main
from airflow_async.cli import output as cli_output
from airflow_async.cli.config import CLIUsageError, PasswordOnCommandLineWarning, resolve_settings
from airflow_async.cli.errors import format_error
from airflow_async.cli.files import RecordWriter, read_done_keys
from airflow_async.cli.harvest import EXPORTS, HARVEST_COLUMNS, HARVEST_KEY
from airflow_async.errors import ConnectError, LoginFailed, error_for_status
from airflow_async.models import DAGRun, TaskInstance, XComEntry

from .test_cli_fake import PASSWORD, USER, FakeAirflow, execution_date, fake_airflow, run_id

KEY_FIELDS = list(HARVEST_KEY)


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def _args(*argv: str) -> Any:
    return build_parser().parse_args([*argv, "health"])


# -- parsing ----------------------------------------------------------------------------------


def test_global_options_before_or_after_the_command() -> None:
    p = build_parser()
    before = p.parse_args(["--url", "http://127.0.0.1:9", "--concurrency", "3", "dags", "list"])
    after = p.parse_args(["dags", "list", "--url", "http://127.0.0.1:9", "--concurrency", "3"])
    for args in (before, after):
        assert args.url == "http://127.0.0.1:9"
        assert args.concurrency == 3
        assert args.command == "dags list"


def test_harvest_arguments() -> None:
    args = build_parser().parse_args(
        ["xcom", "harvest", "--key", "a", "b", "--key", "c", "--dag-id", "d", "--out", "f.csv", "--resume"]
    )
    assert args.key == ["a", "b", "c"]
    assert (args.dag_id, args.run_id, args.task_id) == ("d", "~", "~")
    assert args.resume and not args.stringify and not args.deserialize
    assert build_parser().parse_args(["xcom", "harvest", "--stringify"]).stringify is True
    assert build_parser().parse_args(["xcom", "harvest", "--no-stringify"]).stringify is False


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["xcom", "harvest", "--help"],
        ["export", "dag-runs", "--help"],
        ["runs", "trigger", "--help"],
        ["variables", "--help"],
        ["health", "--help"],
    ],
)
def test_every_help_has_an_example(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "airflow-async " in out.split("examples:")[1]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dags", "list", "--bogus"]) == 2
    assert main(["dags"]) == 2  # a group without its command prints its help
    assert main(["xcom", "harvest", "--format", "xml"]) == 2


# -- settings and password sources --------------------------------------------------------------


def test_password_from_environment() -> None:
    s = resolve_settings(
        _args(),
        environ={"AIRFLOW_USERNAME": "u", "AIRFLOW_PASSWORD": "pw", "AIRFLOW_URL": "http://127.0.0.1:1"},
    )
    assert (s.url, s.username, s.auth_scheme) == (
        "http://127.0.0.1:1",
        "u",
        "password",
    )  # PasswordAuth: Airflow 2 and 3
    assert "pw" not in repr(s)
    assert "pw" not in repr(s.make_auth()) and type(s.make_auth()).__name__ == "PasswordAuth"


def test_password_file_wins_and_strips_the_newline(tmp_path: Path) -> None:
    f = tmp_path / "pw"
    f.write_text("from-file\n")
    s = resolve_settings(
        _args("--password-file", str(f), "--auth", "basic"),
        environ={"AIRFLOW_USERNAME": "u", "AIRFLOW_PASSWORD": "from-env"},
    )
    assert s._secret == "from-file"
    with pytest.raises(CLIUsageError, match="empty"):
        (tmp_path / "empty").write_text("\n")
        resolve_settings(_args("--password-file", str(tmp_path / "empty")), environ={"AIRFLOW_USERNAME": "u"})
    with pytest.raises(CLIUsageError, match="cannot read"):
        resolve_settings(_args("--password-file", str(tmp_path / "nope")), environ={"AIRFLOW_USERNAME": "u"})


def test_prompt_only_on_a_terminal() -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "typed"

    env = {"AIRFLOW_USERNAME": "u"}
    with pytest.raises(CLIUsageError, match="AIRFLOW_PASSWORD") as err:
        resolve_settings(_args(), environ=env, stdin=io.StringIO(), prompt=prompt)
    assert "terminal" in str(err.value)
    assert asked == []
    s = resolve_settings(_args(), environ=env, stdin=_TTY(), prompt=prompt)
    assert s._secret == "typed"
    assert len(asked) == 1 and "u" in asked[0]


def test_password_on_the_command_line_warns() -> None:
    with pytest.warns(PasswordOnCommandLineWarning, match="shell history"):
        s = resolve_settings(_args("--password", "pw"), environ={"AIRFLOW_USERNAME": "u"})
    assert s._secret == "pw"
    with pytest.raises(CLIUsageError, match="not both"):
        resolve_settings(_args("--password", "pw", "--password-file", "x"), environ={"AIRFLOW_USERNAME": "u"})


def test_username_and_token_sources(tmp_path: Path) -> None:
    with pytest.raises(CLIUsageError, match="AIRFLOW_USERNAME"):
        resolve_settings(_args(), environ={"AIRFLOW_PASSWORD": "pw"})
    s = resolve_settings(_args("--auth", "token"), environ={"AIRFLOW_TOKEN": "s3cr3t-tok"})
    assert s.username is None and "s3cr3t" not in repr(s)
    assert s.make_auth().headers()["Authorization"] == "Bearer s3cr3t-tok"
    (tmp_path / "t").write_text("tok2\n")
    s = resolve_settings(_args("--auth", "token", "--token-file", str(tmp_path / "t")), environ={})
    assert s.make_auth().headers()["Authorization"] == "Bearer tok2"
    with pytest.raises(CLIUsageError, match="AIRFLOW_TOKEN"):
        resolve_settings(_args("--auth", "token"), environ={})
    with pytest.raises(CLIUsageError, match="--concurrency"):
        resolve_settings(_args("--concurrency", "0"), environ={"AIRFLOW_TOKEN": "t", "AIRFLOW_AUTH": "token"})


# -- files: writers and resume ----------------------------------------------------------------


def _record(i: int, value: Any) -> dict[str, Any]:
    return {
        "dag_id": "d",
        "dag_run_id": run_id(i),
        "task_id": 't, "quoted"',
        "map_index": -1,
        "key": "k",
        "timestamp": None,
        "value": value,
    }


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_writer_round_trip_and_resume_keys(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}"
    values = [{"a": [1, None]}, "text\nwith newline", 3, None]
    w = RecordWriter(path, fmt, HARVEST_COLUMNS, json_columns=("value",))
    for i, v in enumerate(values):
        w.write(_record(i, v))
    w.close()
    # Appending (a resumed run) writes no second CSV header.
    w = RecordWriter(path, fmt, HARVEST_COLUMNS, append=True, json_columns=("value",))
    w.write(_record(9, True))
    w.close()
    state = read_done_keys(path, fmt, KEY_FIELDS, HARVEST_COLUMNS)
    assert state.records == 5 and state.dropped_bytes == 0
    assert ("d", run_id(9), 't, "quoted"', "-1", "k") in state.keys
    if fmt == "jsonl":
        got = [json.loads(line)["value"] for line in path.read_text().splitlines()]
    else:
        rows = list(csv.DictReader(path.open(newline="")))
        got = [json.loads(r["value"]) for r in rows]
    assert got == [*values, True]


def test_resume_jsonl_drops_a_partial_last_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    w = RecordWriter(path, "jsonl", HARVEST_COLUMNS)
    w.write(_record(0, 1))
    w.write(_record(1, 2))
    w.close()
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"dag_id": "d", "dag_run_id": "manual__20')
    state = read_done_keys(path, "jsonl", KEY_FIELDS, HARVEST_COLUMNS)
    assert state.records == 2
    assert state.dropped_bytes == len(b'{"dag_id": "d", "dag_run_id": "manual__20')
    assert path.read_bytes() == whole  # truncated back to the complete lines


def test_resume_csv_drops_a_partial_record_even_inside_quotes(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    w = RecordWriter(path, "csv", HARVEST_COLUMNS, json_columns=("value",))
    w.write(_record(0, 1))
    w.close()
    whole = path.read_bytes()
    for tail in (b'd,manual__x,"t, ""quo', b"d,manual__x,t,-1,k,,", b'd,manual__x,"t\n'):
        path.write_bytes(whole + tail)
        state = read_done_keys(path, "csv", KEY_FIELDS, HARVEST_COLUMNS)
        assert state.records == 1, tail
        assert path.read_bytes() == whole


def test_resume_rejects_a_file_of_another_kind(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("dag_id,dag_run_id\nnot json\n")
    with pytest.raises(CLIUsageError, match="not a JSON object"):
        read_done_keys(path, "jsonl", KEY_FIELDS, HARVEST_COLUMNS)
    with pytest.raises(CLIUsageError, match="columns"):
        read_done_keys(path, "csv", KEY_FIELDS, HARVEST_COLUMNS)
    assert read_done_keys(tmp_path / "missing", "csv", KEY_FIELDS, HARVEST_COLUMNS).records == 0


# -- error lines ------------------------------------------------------------------------------


def test_error_lines() -> None:
    fix = "set AIRFLOW_PASSWORD or use --password-file"
    e401 = error_for_status(
        401, method="GET", url="http://127.0.0.1:8080/api/v1/dags", body={"title": "Unauthorized"}
    )
    assert (
        format_error(e401, server="http://127.0.0.1:8080", credential_fix=fix)
        == "401 from http://127.0.0.1:8080: wrong username or password "
        "(set AIRFLOW_PASSWORD or use --password-file)"
    )
    refused = ConnectError(
        "cannot connect to 127.0.0.1:1: [Errno 111] Connect call failed; "
        "is the server running and is base_url right?",
        method="GET",
        url="http://127.0.0.1:1/api/v1/dags",
    )
    line = format_error(refused, server="http://127.0.0.1:1", credential_fix=fix)
    assert line.startswith("cannot connect to http://127.0.0.1:1: is Airflow running?")
    assert "\n" not in line
    login = LoginFailed(
        "wrong username or password (the form did not accept them)", url="http://127.0.0.1:8080/login/"
    )
    assert "wrong username or password" in format_error(
        login, server="http://127.0.0.1:8080", credential_fix=fix
    )
    e403 = error_for_status(403, method="PATCH", url="http://127.0.0.1:8080/api/v1/dags/d", body={})
    assert "'viewer'" in format_error(
        e403, server="http://127.0.0.1:8080", credential_fix=fix, username="viewer"
    )


# -- end to end against the fake server ---------------------------------------------------------


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAirflow]:
    with fake_airflow() as srv:
        for name in ("AIRFLOW_URL", "AIRFLOW_USERNAME", "AIRFLOW_PASSWORD", "AIRFLOW_AUTH", "AIRFLOW_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AIRFLOW_URL", srv.url)
        monkeypatch.setenv("AIRFLOW_USERNAME", USER)
        monkeypatch.setenv("AIRFLOW_PASSWORD", PASSWORD)
        yield srv


def _read_jsonl(path: Path) -> dict[tuple[Any, ...], Any]:
    out: dict[tuple[Any, ...], Any] = {}
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        assert list(rec) == list(HARVEST_COLUMNS)
        key = (rec["dag_id"], rec["dag_run_id"], rec["task_id"], rec["map_index"], rec["key"])
        assert key not in out, f"duplicate {key}"
        out[key] = rec["value"]
    return out


@pytest.mark.parametrize("auth", ["session", "basic"])
def test_harvest_jsonl(
    fake: FakeAirflow, tmp_path: Path, capsys: pytest.CaptureFixture[str], auth: str
) -> None:
    out = tmp_path / "x.jsonl"
    assert main(["xcom", "harvest", "--auth", auth, "--out", str(out)]) == 0
    assert _read_jsonl(out) == fake.expected()
    captured = capsys.readouterr()
    assert captured.out == ""  # the values went to the file; stdout stays clean
    assert "harvest done: 12 values written" in captured.err
    assert PASSWORD not in captured.err
    assert not Path(f"{out}.failures.jsonl").exists()
    assert fake.logins == (1 if auth == "session" else 0)


def test_harvest_csv_and_stringify(fake: FakeAirflow, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    assert main(["xcom", "harvest", "-q", "--dag-id", "d1", "--key", "return_value", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(newline="")))
    assert list(rows[0]) == list(HARVEST_COLUMNS)
    got = {(r["dag_run_id"], r["task_id"], r["key"]): json.loads(r["value"]) for r in rows}
    want = {(k[1], k[2], k[4]): v for k, v in fake.expected().items() if k[4] == "return_value"}
    assert got == want
    out2 = tmp_path / "s.jsonl"
    assert main(["xcom", "harvest", "-q", "--stringify", "--task-id", "t0", "--out", str(out2)]) == 0
    values = _read_jsonl(out2)
    assert len(values) == 6 and all(isinstance(v, str) and v.startswith("{'run'") for v in values.values())


def test_harvest_to_stdout_is_pipe_clean(fake: FakeAirflow, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["xcom", "harvest", "--task-id", "t1"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 6 and all(json.loads(line)["task_id"] == "t1" for line in lines)


def test_harvest_failures_go_to_their_file_and_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_airflow(fail=frozenset({(1, "t0", "k 2")})) as srv:
        monkeypatch.setenv("AIRFLOW_URL", srv.url)
        monkeypatch.setenv("AIRFLOW_USERNAME", USER)
        monkeypatch.setenv("AIRFLOW_PASSWORD", PASSWORD)
        out = tmp_path / "x.jsonl"
        assert main(["xcom", "harvest", "-q", "--out", str(out)]) == 3
        assert len(_read_jsonl(out)) == 11
        failures = [json.loads(line) for line in Path(f"{out}.failures.jsonl").read_text().splitlines()]
        assert len(failures) == 1
        f = failures[0]
        assert (f["dag_run_id"], f["task_id"], f["key"]) == (run_id(1), "t0", "k 2")
        assert f["error"]["type"] == "NotFound" and f["error"]["status"] == 404
        # Neutral names: the run's date as logical_date (v1's execution_date does not exist on v2).
        assert list(f) == ["dag_id", "dag_run_id", "logical_date", "task_id", "map_index", "key", "error"]
        assert f["logical_date"] == execution_date(1)
        # The entry is fixed on the server: --resume fetches only it, and the failures file goes.
        srv.fail = frozenset()
        before = sum(srv.value_fetches.values())
        assert main(["xcom", "harvest", "-q", "--out", str(out), "--resume"]) == 0
        assert sum(srv.value_fetches.values()) - before == 1
        assert _read_jsonl(out) == srv.expected()
        assert not Path(f"{out}.failures.jsonl").exists()


def test_resume_skips_before_fetching(
    fake: FakeAirflow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.jsonl"
    assert main(["xcom", "harvest", "-q", "--out", str(out)]) == 0
    lines = out.read_text().splitlines(keepends=True)
    # Keep 5 complete lines and half of the 6th, as a crash would.
    out.write_text("".join(lines[:5]) + lines[5][:20])
    fake.value_fetches.clear()
    assert main(["xcom", "harvest", "--out", str(out), "--resume"]) == 0
    assert sum(fake.value_fetches.values()) == 7  # only what was missing
    assert _read_jsonl(out) == fake.expected()
    err = capsys.readouterr().err
    assert "5 records already there" in err and "partial last line" in err
    assert "7 values written" in err and "5 skipped" in err


def test_existing_output_needs_resume_or_force(
    fake: FakeAirflow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.jsonl"
    out.write_text("{}\n")
    assert main(["xcom", "harvest", "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["xcom", "harvest", "-q", "--out", str(out), "--force"]) == 0
    assert len(_read_jsonl(out)) == 12
    assert main(["xcom", "harvest", "--resume"]) == 2


def test_export_and_resume(fake: FakeAirflow, tmp_path: Path) -> None:
    out = tmp_path / "runs.csv"
    assert main(["export", "dag-runs", "-q", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(newline="")))
    assert [r["dag_run_id"] for r in rows] == [run_id(i) for i in range(3)]
    out.write_text("".join(out.read_text().splitlines(keepends=True)[:2]))  # header + 1 row
    assert main(["export", "dag-runs", "-q", "--out", str(out), "--resume"]) == 0
    assert [r["dag_run_id"] for r in csv.DictReader(out.open(newline=""))] == [run_id(i) for i in range(3)]
    xo = tmp_path / "x.jsonl"
    assert main(["export", "xcom-entries", "-q", "--key", "k 2", "--out", str(xo)]) == 0
    recs = [json.loads(line) for line in xo.read_text().splitlines()]
    assert len(recs) == 6 and {r["key"] for r in recs} == {"k 2"}
    assert {r["dag_run_id"] for r in recs} == {run_id(i) for i in range(3)}  # run ids resolved
    to = tmp_path / "tis.jsonl"
    assert main(["export", "task-instances", "-q", "--state", "success", "--out", str(to)]) == 0
    assert len(to.read_text().splitlines()) == 6


# -- export: pinned, neutral columns, and files of earlier releases -----------------------------

#: The columns of each export kind, as docs/cli.md lists them.
PINNED_COLUMNS = {
    "dag-runs": (
        "dag_id dag_run_id logical_date state run_type start_date end_date data_interval_start"
        " data_interval_end last_scheduling_decision conf note"
    ),
    "task-instances": (
        "dag_id dag_run_id task_id map_index logical_date state try_number max_tries start_date end_date"
        " duration queued_when operator task_display_name pool pool_slots queue priority_weight executor"
        " executor_config hostname unixname pid rendered_map_index note rendered_fields trigger"
        " triggerer_job"
    ),
    "xcom-entries": "dag_id dag_run_id task_id map_index key logical_date timestamp",
}
#: What each kind's model has that the export leaves out on purpose: v1-only fields (the
#: neutral logical_date stands for execution_date; run_type for external_trigger).
_V2_RUN = {"run_after", "queued_at", "duration", "triggered_by", "triggering_user_name", "dag_versions"}
_V2_RUN |= {"bundle_version", "dag_display_name", "partition_key"}
_V2_TI = {"run_after", "id", "operator_name", "scheduled_when", "dag_display_name", "dag_version"}
LEFT_OUT = {
    "dag-runs": (DAGRun, {"execution_date", "external_trigger", *_V2_RUN}),
    "task-instances": (TaskInstance, {"execution_date", "sla_miss", *_V2_TI}),
    "xcom-entries": (XComEntry, {"execution_date", "run_after"}),
}


def test_export_columns_are_pinned_and_neutral() -> None:
    for name, kind in EXPORTS.items():
        assert kind.columns == tuple(PINNED_COLUMNS[name].split()), name
        assert "execution_date" not in kind.columns + kind.key, name
        assert set(kind.key) <= set(kind.columns), name
        # Every field of the model is either exported or left out on purpose: a field the model
        # gains (API v2's run_after, say) makes this fail until someone decides on it.
        model, left_out = LEFT_OUT[name]
        fields = {f.name for f in attrs.fields(model)}
        assert fields - left_out - {"logical_date"} == set(kind.columns) - {"logical_date"}, name
    assert EXPORTS["xcom-entries"].key == (
        "dag_id",
        "dag_run_id",
        "logical_date",
        "task_id",
        "map_index",
        "key",
    )
    assert "execution_date" not in HARVEST_COLUMNS


def test_exports_write_the_neutral_columns(fake: FakeAirflow, tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    assert main(["export", "dag-runs", "-q", "--out", str(runs)]) == 0
    with runs.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == EXPORTS["dag-runs"].columns
    assert [r[2] for r in rows[1:]] == [execution_date(i) for i in range(3)]  # logical_date
    tis = tmp_path / "tis.jsonl"
    assert main(["export", "task-instances", "-q", "--out", str(tis)]) == 0
    recs = [json.loads(line) for line in tis.read_text().splitlines()]
    assert len(recs) == 6 and all(tuple(r) == EXPORTS["task-instances"].columns for r in recs)
    # TaskInstance.logical_date: what v1 sends as execution_date.
    assert [r["logical_date"] for r in recs] == [execution_date(i) for i in range(3) for _ in range(2)]
    entries = tmp_path / "entries.jsonl"
    assert main(["export", "xcom-entries", "-q", "--task-id", "t1", "--out", str(entries)]) == 0
    recs = [json.loads(line) for line in entries.read_text().splitlines()]
    assert {(r["dag_run_id"], r["logical_date"]) for r in recs} == {
        (run_id(i), execution_date(i)) for i in range(3)
    }


def test_export_xcom_entries_filters(fake: FakeAirflow, tmp_path: Path) -> None:
    out = tmp_path / "entries.jsonl"
    # A run id given: the entries carry it, and no DAG runs are listed to find it.
    args = ["export", "xcom-entries", "-q", "--run-id", run_id(1), "--key", "return_value", "k 2"]
    assert main([*args, "--map-index", "-1", "--out", str(out)]) == 0
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted((r["task_id"], r["key"]) for r in recs) == sorted(
        (f"t{t}", k) for t in range(2) for k in ("return_value", "k 2")
    )
    assert {r["dag_run_id"] for r in recs} == {run_id(1)} and fake.run_listings == 0
    assert main([*args, "--map-index", "3", "--out", str(out), "--force"]) == 0
    assert out.read_text() == ""
    # All runs: the run ids come from one listing of the DAG runs.
    assert main(["export", "xcom-entries", "-q", "--out", str(out), "--force"]) == 0
    assert len(out.read_text().splitlines()) == 12 and fake.run_listings == 1


def test_tables_show_the_logical_date(fake: FakeAirflow, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["xcom", "list", "--task-id", "t0", "--key", "k 2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["DAG_ID", "LOGICAL_DATE", "TASK_ID", "MAP_INDEX", "KEY", "TIMESTAMP"]
    assert lines[1].split()[:2] == ["d1", "2024-01-01T00:00:00+00:00"]
    assert main(["runs", "trigger", "d1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[3] == "LOGICAL_DATE" and lines[1].split()[3] == "2024-01-01T00:00:00+00:00"


# The files the previous release wrote (columns: every model field, in the model's order), as
# templates of its records for the fake's data; copied from that release's output, not from the
# CLI's own table of earlier layouts.
_OLD_RUNS_CSV = (
    "dag_id,dag_run_id,execution_date,logical_date,start_date,end_date,data_interval_start,"
    "data_interval_end,last_scheduling_decision,run_type,state,external_trigger,conf,note",
    ["d1,manual__{d},{d},{d},,,,,,manual,success,,{{}},".format(d=execution_date(i)) for i in range(3)],
)
_OLD_TIS_CSV = (
    "dag_id,task_id,dag_run_id,execution_date,map_index,state,try_number,max_tries,start_date,"
    "end_date,duration,hostname,unixname,operator,pool,pool_slots,queue,priority_weight,queued_when,"
    "pid,executor_config,note,rendered_fields,task_display_name,executor,rendered_map_index,sla_miss,"
    "trigger,triggerer_job",
    [
        f"d1,t{t},manual__{d},{d},-1,success,1" + "," * 22
        for d in map(execution_date, range(3))
        for t in (0, 1)
    ],
)
# ... and what the code in between wrote (the models split into a package moved execution_date).
_SPLIT_TIS_CSV = (
    "dag_id,task_id,dag_run_id,map_index,state,try_number,max_tries,start_date,end_date,duration,"
    "hostname,unixname,operator,pool,pool_slots,queue,priority_weight,queued_when,pid,executor_config,"
    "task_display_name,executor,execution_date,note,rendered_fields,rendered_map_index,sla_miss,"
    "trigger,triggerer_job",
    [
        f"d1,t{t},manual__{d},-1,success,1" + "," * 17 + d + "," * 6
        for d in map(execution_date, range(3))
        for t in (0, 1)
    ],
)
_OLD_ENTRIES = [
    (d, t, k) for d in map(execution_date, range(3)) for t in ("t0", "t1") for k in ("return_value", "k 2")
]
_OLD_ENTRIES_CSV = (
    "dag_id,task_id,key,execution_date,map_index,timestamp,dag_run_id",
    [f"d1,{t},{k},{d},-1,{d},manual__{d}" for d, t, k in _OLD_ENTRIES],
)
_OLD_ENTRIES_JSONL = (
    None,
    [
        f'{{"dag_id":"d1","task_id":"{t}","key":"{k}","execution_date":"{d}","map_index":-1,'
        f'"timestamp":"{d}","dag_run_id":"manual__{d}"}}'
        for d, t, k in _OLD_ENTRIES
    ],
)


@pytest.mark.parametrize(
    ("kind", "fmt", "old"),
    [
        ("dag-runs", "csv", _OLD_RUNS_CSV),
        ("task-instances", "csv", _OLD_TIS_CSV),
        ("task-instances", "csv", _SPLIT_TIS_CSV),
        ("xcom-entries", "csv", _OLD_ENTRIES_CSV),
        ("xcom-entries", "jsonl", _OLD_ENTRIES_JSONL),
    ],
)
def test_resume_finishes_a_file_of_an_earlier_release_in_its_columns(
    fake: FakeAirflow,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    fmt: str,
    old: tuple[str | None, list[str]],
) -> None:
    header, records = old
    whole = "".join(f"{line}\n" for line in ([header] if header else []) + records)
    out = tmp_path / f"old.{fmt}"
    # Stopped after two records, in the middle of the third.
    start = "".join(f"{line}\n" for line in ([header] if header else []) + records[:2])
    out.write_text(start + records[2][:9], encoding="utf-8")
    assert main(["export", kind, "--out", str(out), "--resume"]) == 0
    err = capsys.readouterr().err
    assert "columns of an earlier airflow-async release" in err and "2 records already there" in err
    # The file is finished as that release would have written it: its columns, no duplicates.
    assert out.read_text(encoding="utf-8") == whole


@pytest.mark.parametrize(
    ("kind", "fmt", "content"),
    [
        ("dag-runs", "csv", ",".join(HARVEST_COLUMNS) + "\nd1,r,t,-1,k,,1\n"),  # a harvest's file
        ("task-instances", "csv", ",".join(EXPORTS["dag-runs"].columns) + "\n"),  # another kind's
        ("xcom-entries", "jsonl", '{"dag_id":"d1","dag_run_id":"r","task_id":"t","key":"k","value":1}\n'),
    ],
)
def test_resume_refuses_a_file_of_other_columns_and_says_what_to_do(
    fake: FakeAirflow, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, fmt: str, content: str
) -> None:
    out = tmp_path / f"other.{fmt}"
    out.write_text(content)
    assert main(["export", kind, "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert f"not those of 'export {kind}'" in err
    assert "another --out" in err and "--force" in err
    assert out.read_text() == content  # untouched


def test_resume_takes_a_json_line_by_its_names(fake: FakeAirflow, tmp_path: Path) -> None:
    out = tmp_path / "runs.jsonl"
    assert main(["export", "dag-runs", "-q", "--out", str(out)]) == 0
    first, *rest = out.read_text().splitlines()
    reordered = json.dumps(dict(reversed(json.loads(first).items())))  # e.g. rewritten by jq -S
    out.write_text(reordered + "\n")
    assert main(["export", "dag-runs", "-q", "--out", str(out), "--resume"]) == 0
    assert out.read_text().splitlines() == [reordered, *rest]


@pytest.mark.parametrize(
    ("argv", "check"),
    [
        (["dags", "list"], lambda d: d[0]["dag_id"] == "d1"),
        (["dags", "get", "d1"], lambda d: d["schedule_interval"]["value"] == "@daily"),
        (["dags", "pause", "d1"], lambda d: d["is_paused"] is True),
        (["runs", "list", "--dag-id", "d1", "--limit", "2"], lambda d: len(d) == 2),
        (["runs", "get", "d1", run_id(0)], lambda d: d["dag_run_id"] == run_id(0)),
        (["runs", "trigger", "d1", "--conf", '{"n": 1}'], lambda d: d["conf"] == {"n": 1}),
        (["tasks", "list", "--dag-id", "d1"], lambda d: len(d) == 6),
        (["xcom", "list", "--key", "k 2"], lambda d: len(d) == 6),
        (["xcom", "get", "d1", run_id(2), "t1", "k 2"], lambda d: d["value"]["run"] == 2),
        (["variables", "list"], lambda d: d == [{"key": "greeting", "value": "hello", "description": None}]),
        (["variables", "get", "greeting"], lambda d: d["value"] == "hello"),
        (["variables", "set", "new", "v"], lambda d: d["key"] == "new"),
        (["variables", "delete", "greeting"], lambda d: d == {"deleted": "greeting"}),
        (["pools", "list"], lambda d: d[0]["name"] == "default_pool"),
        (["connections", "list"], lambda d: d[0]["conn_type"] == "postgres"),
        (["health"], lambda d: d["metadatabase"]["status"] == "healthy"),
        (["version"], lambda d: d["airflow"] == "2.11.2"),
    ],
)
def test_json_output_parses(
    fake: FakeAirflow, capsys: pytest.CaptureFixture[str], argv: list[str], check: Any
) -> None:
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    assert check(json.loads(captured.out))


def test_tables_in_plain_text_without_rich(
    fake: FakeAirflow, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "DAG_ID",
        "DAG_RUN_ID",
        "STATE",
        "LOGICAL_DATE",
        "START_DATE",
        "END_DATE",
    ]
    assert len(out.splitlines()) == 4
    assert main(["variables", "get", "greeting"]) == 0
    assert capsys.readouterr().out == "hello\n"
    # On a terminal without rich: still a plain table.
    monkeypatch.setattr(cli_output, "rich_available", lambda: False)
    tty = _TTY()
    cli_output.print_table([["a", None, True]], ["x", "y", "z"], out=tty)
    assert tty.getvalue().splitlines() == ["X  Y  Z", "a  -  yes"]


def test_rich_table_on_a_terminal() -> None:
    tty = _TTY()
    cli_output.print_table([["d1", 3]], ["dag_id", "runs"], out=tty)
    text = tty.getvalue()
    assert "d1" in text and "dag_id" in text and "━" in text  # rich's box drawing


def test_plain_progress_line_without_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_output, "rich_available", lambda: False)
    tty = _TTY()
    with cli_output.Progress("harvest", stream=tty) as progress:
        progress.counts.listed, progress.counts.done, progress.counts.failed = 10, 7, 1
        progress.update()
    text = tty.getvalue()
    assert (
        "\rharvest: listed 10" in text.replace("\x1b[2K", "") and "fetched 7" in text and "failed 1" in text
    )
    quiet = _TTY()
    with cli_output.Progress("harvest", stream=quiet, enabled=False) as progress:
        progress.update()
    assert quiet.getvalue() == ""
    piped = io.StringIO()
    with cli_output.Progress("harvest", stream=piped) as progress:
        progress.update()
    assert piped.getvalue() == ""


def test_wrong_password_is_one_line(
    fake: FakeAirflow, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_PASSWORD", "wrong-pw")
    assert main(["dags", "list", "--auth", "basic"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"airflow-async: error: 401 from {fake.url}: wrong username or password "
        "(set AIRFLOW_PASSWORD or use --password-file)\n"
    )
    assert main(["xcom", "harvest", "--out", "-"]) == 1  # session login refused
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "wrong username or password" in err and "wrong-pw" not in err


def test_unreachable_server_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("AIRFLOW_USERNAME", "u")
    monkeypatch.setenv("AIRFLOW_PASSWORD", "p")
    out = tmp_path / "x.jsonl"
    assert main(["--url", "http://127.0.0.1:1", "xcom", "harvest", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("airflow-async: error: cannot connect to http://127.0.0.1:1: is Airflow running?")
    assert err.count("\n") == 1
    assert not out.exists()  # nothing to write: no empty file left behind
    # --debug adds the traceback (in a subprocess: CPython 3.11.7's traceback carets can upset a
    # later ast.parse in the same process, which pytest needs).
    proc = subprocess.run(
        [sys.executable, "-m", "airflow_async", "--url", "http://127.0.0.1:1", "--debug", "health"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AIRFLOW_USERNAME": "u", "AIRFLOW_PASSWORD": "p"},
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert "Traceback" in proc.stderr and "airflow-async: error: cannot connect" in proc.stderr


def test_not_found_and_password_warning(
    fake: FakeAirflow, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_PASSWORD")
    assert main(["dags", "get", "nope", "--password", PASSWORD]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("airflow-async: warning: --password puts the password in your shell history")
    assert err[1].startswith(f"airflow-async: error: 404 from {fake.url}: DAG with dag_id: 'nope' not found")
    assert len(err) == 2


def _wait_for_lines(path: Path, n: int, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        assert proc.poll() is None, f"the harvest ended early: {proc.communicate()}"
        time.sleep(0.02)
    raise AssertionError(f"{path} did not reach {n} lines")


def test_sigint_stops_cleanly_and_resume_completes(tmp_path: Path) -> None:
    with fake_airflow(runs=40, delay=0.03) as srv:  # 160 entries, ~2.4 s at concurrency 2
        env = {**os.environ, "AIRFLOW_URL": srv.url, "AIRFLOW_USERNAME": USER, "AIRFLOW_PASSWORD": PASSWORD}
        out = tmp_path / "x.jsonl"
        cmd = [
            sys.executable,
            "-m",
            "airflow_async",
            "xcom",
            "harvest",
            "--concurrency",
            "2",
            "--out",
            str(out),
        ]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_for_lines(out, 10, proc)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
        assert stdout == ""
        assert "harvest interrupted" in stderr and "--resume" in stderr and "Traceback" not in stderr
        first = _read_jsonl(out)  # every line is complete JSON, no duplicates
        assert 10 <= len(first) < 160
        assert out.read_bytes().endswith(b"\n")
        srv.value_fetches.clear()
        done = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert f"{len(first):,} skipped" in done.stderr
        assert _read_jsonl(out) == srv.expected()
        assert sum(srv.value_fetches.values()) == 160 - len(first)  # nothing fetched twice


def test_a_403_for_wrong_basic_credentials_is_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake_airflow(refused_status=403) as srv:
        monkeypatch.setenv("AIRFLOW_URL", srv.url)
        monkeypatch.setenv("AIRFLOW_USERNAME", USER)
        monkeypatch.setenv("AIRFLOW_PASSWORD", "wrong-pw")
        assert main(["--auth", "basic", "dags", "list"]) == 1
        assert capsys.readouterr().err == (
            f"airflow-async: error: 403 from {srv.url}: wrong username or password "
            "(set AIRFLOW_PASSWORD or use --password-file)\n"
        )


def test_403_lines() -> None:
    fix = "set AIRFLOW_PASSWORD or use --password-file"
    e403 = error_for_status(403, method="GET", url="http://127.0.0.1:8080/api/v1/dags", body={})
    unsure = format_error(
        e403, server="http://127.0.0.1:8080", credential_fix=fix, username="u", wrong_credentials=None
    )
    assert "wrong username or password, or user 'u' lacks the permission" in unsure
    sure = format_error(e403, server="http://127.0.0.1:8080", credential_fix=fix, wrong_credentials=True)
    assert sure == f"403 from http://127.0.0.1:8080: wrong username or password ({fix})"


@pytest.mark.parametrize(("state", "code"), [("success", 0), ("failed", 4)])
def test_trigger_and_wait(
    fake: FakeAirflow, capsys: pytest.CaptureFixture[str], state: str, code: int
) -> None:
    fake.run_state = state
    assert main(["runs", "trigger", "d1", "--wait", "--poll-interval", "0.01", "--json"]) == code
    captured = capsys.readouterr()
    assert json.loads(captured.out)["state"] == state
    assert "waiting for it to finish" in captured.err
    assert main(["runs", "trigger", "d1", "--conf", "[1]"]) == 2
    assert "--conf must be a JSON object" in capsys.readouterr().err
