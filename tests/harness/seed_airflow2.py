"""Seeder for the Airflow 2.11.2 integration harness.

Runs ONLY under the Airflow venv's own python (``.cache/airflow-2.11.2/venv/bin/python``), with
the same AIRFLOW_HOME / AIRFLOW__* environment as the webservers. Driven by tests/harness/airflow2.py.

Subcommands:
  setup    sync FAB permissions/roles and create the users (one process instead of 3 CLI calls)
  seed     sync the harness DAGs to the DB, create DAG runs + task instances, write XComs,
           and write a JSON manifest of every seeded XCom
  collect  read back the XComs of given DAG runs (e.g. after ``airflow dags test``) into a manifest

FINDINGS (verified with real requests against 2.11.2, default XCom backend,
enable_xcom_pickling=False; tests/integration/test_harness_smoke.py re-checks every kind):
  * GET .../xcomEntries/{key}: ``deserialize`` defaults to false, ``stringify`` to true.
    deserialize=true needs ``[api] enable_xcom_deserialize_support=True``, else 400 "XCom
    deserialization is disabled in configuration." (enabled on the main server only).
  * deserialize=false returns what the ORM loaded: the default backend JSON-decodes it with
    ``XComDecoder.orm_object_hook``, which leaves plain JSON alone but turns serde-encoded
    objects into flat strings: a tuple (5, "t") -> "(5,t)", a datetime ->
    "pendulum.datetime.DateTime@version=2(timestamp=1704085200.0,tz=(UTC,...))" - for both
    stringify values. deserialize=true fully decodes them (tuple -> [5, "t"] / "(5, 't')").
    For plain JSON kinds (dict, list, str, int, float, bool, None) all four combos agree except
    for stringify.
  * stringify=false -> the native JSON value; datetimes as ISO ("2024-01-01T05:00:00+00:00").
    Dict keys come back sorted (Flask's JSON provider), so compare parsed values, not bytes.
  * stringify=true -> ``str(python_value)``: Python repr for containers ("{'rows': 3, 'ok':
    True}", "[1, None]", "(5, 't')"), "True"/"False", str() of numbers, the string itself for
    str, "2024-01-01 05:00:00+00:00" for a datetime, and JSON null (not "None") for None.
  * Keys with spaces, '/', non-ASCII; run ids with '+', ':', '~', '.': all fetchable with each
    path segment percent-encoded; a raw '/' in the key or a raw '+' in the run id also works.

MANIFEST: a JSON list, in the v1 list endpoint's order (dag_id, task_id, run_id, map_index,
key), one object per XCom: dag_id, dag_run_id, execution_date (as the API renders it), task_id,
map_index, key, kind (value kind, "real_<type>" for dags-test XComs), source ("seed" or
"dags_test"), and the GET results: ``value`` (deserialize=true, stringify=false), ``string``
(deserialize=true, stringify=true), ``value_no_deserialize`` and ``string_no_deserialize``
(deserialize=false; the latter is what the defaults return).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import pendulum

# Value kinds ------------------------------------------------------------------------------------

UNICODE = "héllo wörld ✓ 日本"
LARGE_ASCII_CHUNK = "0123456789abcdef"
LARGE_UNICODE_CHUNK = "héllo wörld ✓ 日本 "
MAPPED_WIDTH = 8
SEEDED_DAGS = ("harvest_demo", "harvest_other", "harvest_empty")
START = pendulum.datetime(2024, 1, 1, tz="UTC")


def _demo_slots():
    """(task_id, map_index, key, kind, value_fn(i)) for the harvest_demo DAG, one run index i."""
    slots = [
        (
            "extract",
            -1,
            "return_value",
            "dict",
            lambda i: {"run": i, "rows": 3, "source": "extract", "ok": True, "ratio": 0.5},
        ),
        ("extract", -1, "my key/with slash", "str", lambda i: f"slash key value {i}"),
        (
            "extract",
            -1,
            "meta",
            "nested_dict",
            lambda i: {"tags": ["a", "b"], "owner": {"name": "José", "id": i}, "none": None},
        ),
        ("transform", -1, "return_value", "list", lambda i: [{"run": i}, i, "two", None, 2.5]),
        ("transform", -1, "rows", "list_int", lambda i: list(range(i % 7))),
        ("load", -1, "return_value", "int", lambda i: i * 7),
        ("load", -1, "count", "big_int", lambda i: 10**12 + i),
        ("load", -1, "ratio", "float", lambda i: i / 8),
        ("load", -1, "flag", "bool", lambda i: i % 2 == 0),
        ("load", -1, "nothing", "none", lambda i: None),
        ("report", -1, "return_value", "unicode_str", lambda i: f"{UNICODE} #{i}"),
        ("report", -1, "summary with spaces", "json_like_str", lambda i: json.dumps({"run": i})),
        ("report", -1, "clé ✓ 日本", "unicode_key", lambda i: "value under a non-ASCII key"),
        ("weird", -1, "return_value", "empty_str", lambda i: ""),
        ("weird", -1, "empty dict", "empty_dict", lambda i: {}),
        ("weird", -1, "tuple", "tuple", lambda i: (i, "t")),
        ("weird", -1, "when", "datetime", lambda i: START + dt.timedelta(hours=i)),
    ]
    for m in range(MAPPED_WIDTH):
        slots.append(("square", m, "return_value", "mapped_int", lambda i, m=m: m * m + i))
    return slots


def _large_value(n: int) -> str:
    """~1 MB strings: even n ASCII (1 MiB), odd n unicode-heavy (~1 MB of UTF-8)."""
    if n % 2 == 0:
        return f"large #{n}:" + LARGE_ASCII_CHUNK * 65536
    return f"large #{n}:" + LARGE_UNICODE_CHUNK * 45000


# Helpers ----------------------------------------------------------------------------------------


def _iso(d) -> str:
    """ISO form as the v1 API renders datetimes (marshmallow DateTime -> isoformat)."""
    return d.isoformat()


def _api_value(value):
    """What GET ...xcomEntries/{key}?stringify=false returns for a decoded XCom value."""
    from airflow.utils.json import WebEncoder

    return json.loads(json.dumps(value, cls=WebEncoder))


def _api_string(value):
    """What GET ...xcomEntries/{key}?stringify=true returns (marshmallow fields.String)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _entry(xcom_row, raw_value, execution_date, source, kind):
    """One manifest entry.  ``xcom_row.value`` is what the ORM loaded (already decoded by the
    default backend's ``orm_deserialize_value``: the deserialize=false path); ``raw_value`` is the
    stored column, decoded here with ``XCom.deserialize_value`` exactly as the API's
    deserialize=true path does."""
    import copy

    from airflow.models.xcom import XCom

    stub = copy.copy(xcom_row)
    stub.value = raw_value
    value = XCom.deserialize_value(stub)
    entry = {
        "dag_id": xcom_row.dag_id,
        "dag_run_id": xcom_row.run_id,
        "execution_date": _iso(execution_date),
        "task_id": xcom_row.task_id,
        "map_index": xcom_row.map_index,
        "key": xcom_row.key,
        "kind": kind or f"real_{type(value).__name__}",
        "source": source,
        "value": _api_value(value),
        "string": _api_string(value),
    }
    entry["value_no_deserialize"] = _api_value(xcom_row.value)
    entry["string_no_deserialize"] = _api_string(xcom_row.value)
    return entry


# Subcommands ------------------------------------------------------------------------------------


def cmd_setup(args) -> None:
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    t0 = time.monotonic()
    with get_application_builder() as appbuilder:
        appbuilder.add_permissions(update_perms=True)
        appbuilder.sm.sync_roles()
        for spec in args.user:
            username, password, role_name = spec.split(":", 2)
            role = appbuilder.sm.find_role(role_name)
            if role is None:
                raise SystemExit(f"no role {role_name!r}")
            if appbuilder.sm.find_user(username):
                continue
            user = appbuilder.sm.add_user(
                username, username, "harness", f"{username}@example.invalid", role, password
            )
            if not user:
                raise SystemExit(f"failed to create user {username!r}")
    print(f"setup done in {time.monotonic() - t0:.2f}s", file=sys.stderr)


def _sync_dags(dags_folder: str):
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=dags_folder, include_examples=False, read_dags_from_db=False)
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    bag.sync_to_db()
    return bag


def _run_plan(n_runs: int):
    """Yield (i, run_id, execution_date, run_type) for harvest_demo."""
    from airflow.utils.types import DagRunType

    for i in range(n_runs):
        logical = START + dt.timedelta(hours=i)
        if i % 10 == 7:
            # API-triggered runs carry microseconds in both the date and the id.
            logical = logical + dt.timedelta(minutes=11, seconds=12, microseconds=345678)
        if i == 5:
            yield i, "custom~run.5:a+b", logical, DagRunType.MANUAL
        elif i % 3 == 0:
            yield i, f"scheduled__{logical.isoformat()}", logical, DagRunType.SCHEDULED
        else:
            yield i, f"manual__{logical.isoformat()}", logical, DagRunType.MANUAL


def _create_run(dag, run_id, logical, run_type, session, state):
    from airflow.timetables.base import DataInterval
    from airflow.utils.state import DagRunState, TaskInstanceState

    interval = dag.timetable.infer_manual_data_interval(run_after=logical)
    if run_type.value == "scheduled":
        interval = DataInterval(logical, logical + dt.timedelta(hours=1))
    dr = dag.create_dagrun(
        state=DagRunState(state),
        execution_date=logical,
        run_id=run_id,
        start_date=logical + dt.timedelta(minutes=1),
        external_trigger=run_type.value == "manual",
        run_type=run_type,
        session=session,
        data_interval=(interval.start, interval.end),
    )
    if state == "success":
        dr.end_date = logical + dt.timedelta(minutes=2)
        for ti in dr.get_task_instances(session=session):
            ti.state = TaskInstanceState.SUCCESS
            ti.start_date = logical + dt.timedelta(minutes=1)
            ti.end_date = logical + dt.timedelta(minutes=1, seconds=30)
    return dr


def cmd_seed(args) -> None:
    from airflow.models.xcom import XCom
    from airflow.utils.session import create_session

    t0 = time.monotonic()
    if args.reset:
        from airflow.api.common.delete_dag import delete_dag
        from airflow.exceptions import DagNotFound

        for dag_id in SEEDED_DAGS:
            try:
                delete_dag(dag_id, keep_records_in_log=False)
            except DagNotFound:
                pass
    bag = _sync_dags(args.dags_folder)
    t_sync = time.monotonic() - t0

    demo = bag.get_dag("harvest_demo")
    other = bag.get_dag("harvest_other")
    empty = bag.get_dag("harvest_empty")
    slots = _demo_slots()
    other_runs = 8
    empty_runs = 3
    n_other = min(other_runs * 2, args.xcoms // 4)
    n_large = min(args.large, args.xcoms - n_other)
    n_demo = max(args.xcoms - n_other - n_large, 0)
    runs = max(args.runs, 1)
    if n_demo > runs * len(slots):
        raise SystemExit(f"{n_demo} XComs do not fit in {runs} runs x {len(slots)} slots")

    planned = []  # (run_id, logical, task, map_index, key, kind, value)
    with create_session() as session:
        demo_runs = []
        for i, run_id, logical, run_type in _run_plan(runs):
            state = "failed" if i % 17 == 16 else "success"
            _create_run(demo, run_id, logical, run_type, session, state)
            demo_runs.append((i, run_id, logical))
        mapped = [slot for slot in slots if slot[1] >= 0]
        unmapped = [slot for slot in slots if slot[1] < 0]
        for idx, (i, run_id, logical) in enumerate(demo_runs):
            count = n_demo // runs + (1 if idx < n_demo % runs else 0)
            # Like a real run, a run holds the XComs of ALL its mapped task instances (when the
            # volume allows); the remaining unmapped slots rotate so every kind appears.
            if count >= len(mapped):
                chosen = mapped + [unmapped[(i + k) % len(unmapped)] for k in range(count - len(mapped))]
            else:
                chosen = [slots[(i + k) % len(slots)] for k in range(count)]
            for task, mi, key, kind, fn in chosen:
                planned.append(("harvest_demo", run_id, logical, task, mi, key, kind, fn(i)))
        for n in range(n_large):
            i, run_id, logical = demo_runs[n % len(demo_runs)]
            planned.append(
                ("harvest_demo", run_id, logical, "report", -1, f"large {n}", "large_str", _large_value(n))
            )

        from airflow.utils.types import DagRunType

        other_plan = []
        for j in range(other_runs):
            logical = START + dt.timedelta(days=j)
            run_id = f"scheduled__{logical.isoformat()}"
            _create_run(other, run_id, logical, DagRunType.SCHEDULED, session, "success")
            other_plan.append((run_id, logical))
        for n in range(n_other):
            run_id, logical = other_plan[n // 2 % other_runs]
            if n % 2 == 0:
                planned.append(("harvest_other", run_id, logical, "ping", -1, "return_value", "str", "pong"))
            else:
                planned.append(("harvest_other", run_id, logical, "pong", -1, "return_value", "int", 1))
        for j in range(empty_runs):
            logical = START + dt.timedelta(days=j)
            _create_run(
                empty,
                f"manual__{logical.isoformat()}",
                logical,
                DagRunType.MANUAL,
                session,
                "queued" if j == 0 else "success",
            )
        session.flush()
        t_runs = time.monotonic() - t0 - t_sync

        for dag_id, run_id, _logical, task, mi, key, _kind, value in planned:
            XCom.set(
                key=key,
                value=value,
                dag_id=dag_id,
                task_id=task,
                run_id=run_id,
                map_index=mi,
                session=session,
            )
        session.commit()
        t_xcom = time.monotonic() - t0 - t_sync - t_runs

    manifest = _read_back(
        {(d, r): (lg, kind) for d, r, lg, _t, _m, _k, kind, _v in planned},
        kinds={(d, r, t, m, k): kind for d, r, _lg, t, m, k, kind, _v in planned},
        source="seed",
    )
    if len(manifest) != len(planned):
        raise SystemExit(f"read back {len(manifest)} XComs, planned {len(planned)}")
    Path(args.manifest).write_text(json.dumps(manifest, ensure_ascii=False))
    print(
        "SEED_STATS "
        + json.dumps(
            {
                "xcoms": len(manifest),
                "dag_runs": runs + other_runs + empty_runs,
                "sync_dags_s": round(t_sync, 2),
                "runs_s": round(t_runs, 2),
                "xcoms_s": round(t_xcom, 2),
                "total_s": round(time.monotonic() - t0, 2),
            }
        ),
        file=sys.stderr,
    )


def _read_back(run_filter, kinds, source):
    """Manifest entries for all XComs of the given (dag_id, run_id) pairs, in API list order."""
    from airflow.models.dagrun import DagRun
    from airflow.models.xcom import XCom
    from airflow.utils.session import create_session
    from sqlalchemy import select

    out = []
    with create_session() as session:
        pairs = set(run_filter)
        dag_ids = {d for d, _ in pairs}
        rows = session.execute(
            select(XCom, XCom.value, DagRun.execution_date)
            .join(DagRun, (XCom.dag_id == DagRun.dag_id) & (XCom.run_id == DagRun.run_id))
            .where(XCom.dag_id.in_(dag_ids))
            .order_by(XCom.dag_id, XCom.task_id, XCom.run_id, XCom.map_index, XCom.key)
        ).all()
        for xcom, raw_value, execution_date in rows:
            if (xcom.dag_id, xcom.run_id) not in pairs:
                continue
            kind = kinds.get((xcom.dag_id, xcom.run_id, xcom.task_id, xcom.map_index, xcom.key))
            out.append(_entry(xcom, raw_value, execution_date, source, kind))
    return out


def cmd_collect(args) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = session.execute(
            select(DagRun.dag_id, DagRun.run_id).where(DagRun.dag_id.in_(args.dag_id))
        ).all()
    manifest = _read_back({(d, r): None for d, r in runs}, kinds={}, source=args.source)
    Path(args.manifest).write_text(json.dumps(manifest, ensure_ascii=False))
    print(json.dumps({"xcoms": len(manifest), "dag_runs": len(runs)}), file=sys.stderr)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--user", action="append", default=[], help="name:password:Role")
    p = sub.add_parser("seed")
    p.add_argument("--manifest", required=True)
    p.add_argument("--dags-folder", default=os.environ.get("AIRFLOW__CORE__DAGS_FOLDER"))
    p.add_argument("--xcoms", type=int, default=2000)
    p.add_argument("--runs", type=int, default=110, help="harvest_demo runs (+11 others)")
    p.add_argument("--large", type=int, default=2, help="number of ~1 MB values")
    p.add_argument("--reset", action="store_true", help="delete previously seeded runs first")
    p = sub.add_parser("collect")
    p.add_argument("--manifest", required=True)
    p.add_argument("--dag-id", action="append", required=True)
    p.add_argument("--source", default="dags_test")
    args = parser.parse_args(argv)
    {"setup": cmd_setup, "seed": cmd_seed, "collect": cmd_collect}[args.cmd](args)


if __name__ == "__main__":
    main()
