"""Seeder for the Airflow 3 integration harness (3.0.6, 3.1.8, 3.2.2, 3.3.2).

``seed`` and ``collect`` run ONLY under the Airflow 3 venv's own python
(``.cache/airflow-3.3.2/venv/bin/python``) with the same AIRFLOW_HOME / AIRFLOW__* environment as
the api-servers; ``manifest`` is standard library only (any python). Driven by
tests/harness/airflow3.py.

Subcommands:
  seed      make the harness DAGs known to the DB (what ``airflow dags reserialize`` does, in
            process), create DAG runs + task instances through ``SerializedDAG.create_dagrun`` and
            write XComs with ``XComModel.set`` exactly as a real task's push stores them; write a
            PLAN (JSON list of what was written, without values) for ``manifest``
  dags-test ``airflow dags test <dag> 2024-01-01`` for real (also ``seed --dags-test``), then
            the plan entries of those DAGs' XComs
  collect   the plan entries of every XCom of the given DAGs
  manifest  with a token from the running api-server: create the plan's ``source: "api"`` XComs
            through ``POST .../xcomEntries``, then read every planned XCom back with
            ``GET .../xcomEntries/{key}`` (defaults, then ``deserialize=true``) and write the
            MANIFEST: what the real server answers, not what the seeder meant to write

How a value is stored (3.3.2 source, checked against ``airflow dags test`` rows): a task's
``xcom_push`` runs ``BaseXCom.serialize_value`` (``airflow.sdk.serde.serialize``: plain JSON
stays as it is, a tuple or datetime becomes ``{"__classname__", "__version__", "__data__"}``),
sends that through the Execution API, and the server stores it with ``XComModel.set(...,
serialize=False)`` in the JSON column. The public create endpoint stores its body's ``value``
the same way. ``XComModel.set``'s default ``serialize=True`` would store a JSON *string* of the
JSON instead; nothing in a real deployment writes that, so the seeder does not.

MANIFEST: a JSON list in the v2 list endpoint's default order (dag_id, task_id, run_id,
map_index, key), one object per XCom: dag_id, dag_run_id, logical_date (as the v2 API renders
it, ``...Z``; null for runs without one), run_after, task_id, map_index, key, kind (value kind;
``real_<json type>`` for dags-test XComs), source (``seed``, ``api`` or ``dags_test``), and the
GET results: ``value`` (v2 defaults: deserialize=false, stringify=false) and ``value_deserialize``
(deserialize=true, stringify=false).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import inspect
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

SEEDED_DAGS = ("harvest_demo", "harvest_other", "harvest_empty")
#: Extra harvest_demo slots (task, map_index, key, kind, value_fn) on top of seed_airflow2's.
EXTRA_SLOTS = (
    ("extract", -1, "a+b plus", "plus_key", lambda i: f"plus {i}"),
    ("extract", -1, "%41 not A", "percent_key", lambda i: {"percent": "%41", "i": i}),
    ("transform", -1, "deep", "nested", lambda i: {"a": [{"b": {"c": [i, None, {"d": "✓"}]}}]}),
)
#: XComs created through the v2 create endpoint by ``manifest`` (harvest_other, one run).
API_SLOTS = (
    ("ping", -1, "api created", "dict", {"via": "POST xcomEntries", "n": 1, "ok": True}),
    ("ping", -1, "api/str ✓", "unicode_str", "créé par l'API ✓"),
    ("pong", -1, "api list", "list", [1, "two", None, 3.5, False]),
)


# ------------------------------------------------------------------------------------------------
# seed / collect (Airflow venv)
# ------------------------------------------------------------------------------------------------


def _sync_dags(session) -> None:
    """``airflow dags reserialize``, in process (airflow/cli/commands/dag_command.py of each
    release: 3.3 unpacks the bundle's version data, 3.2 moved the DAG bag to dag_processing, 3.1
    has ``BundleDagBag``/``sync_bag_to_db`` in models.dagbag, 3.0 ``DagBag.sync_to_db``)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    try:  # 3.2+
        from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    except ImportError:
        try:  # 3.1
            from airflow.models.dagbag import BundleDagBag, sync_bag_to_db
        except ImportError:  # 3.0
            BundleDagBag = sync_bag_to_db = None
    try:  # 3.3+: the bundle's version comes with version data
        from airflow.dag_processing.bundles.base import unpack_bundle_version
    except ImportError:

        def unpack_bundle_version(version, _bundle):
            return version, None

    manager = DagBundlesManager()
    manager.sync_bundles_to_db(session=session)
    session.commit()
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        version, version_data = unpack_bundle_version(bundle.get_current_version(), bundle)
        if BundleDagBag is None:
            from airflow.models.dagbag import DagBag

            bag = DagBag(bundle.path, bundle_path=bundle.path, include_examples=False)
        elif "bundle_name" in inspect.signature(BundleDagBag).parameters:
            bag = BundleDagBag(bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        else:
            bag = BundleDagBag(bundle.path, bundle_path=bundle.path)
        if bag.import_errors:
            raise SystemExit(f"DAG import errors: {bag.import_errors}")
        if sync_bag_to_db is None:
            bag.sync_to_db(bundle.name, bundle_version=version, session=session)
            continue
        extra = {} if version_data is None else {"version_data": version_data}
        sync_bag_to_db(bag, bundle.name, bundle_version=version, session=session, **extra)
    session.commit()


def _latest_dag(dag_id: str, session):
    """The scheduler-side DAG (``SerializedDAG``) of ``dag_id`` that ``create_dagrun`` is called on."""
    try:  # 3.1+
        from airflow.models.dagbag import DBDagBag
    except ImportError:  # 3.0
        from airflow.models.serialized_dag import SerializedDagModel

        return SerializedDagModel.get_dag(dag_id, session=session)
    return DBDagBag().get_latest_version_of_dag(dag_id, session=session)


def _store_xcom(key, value, *, dag_id, task_id, run_id, map_index, session) -> None:
    """Store an XCom as the Execution API does with a task's push: ``value`` is what the task
    sent (``BaseXCom.serialize_value``), written to the JSON column as it is."""
    from airflow.models.xcom import XComModel

    if "serialize" in inspect.signature(XComModel.set).parameters:  # 3.1+
        XComModel.set(
            key=key,
            value=value,
            dag_id=dag_id,
            task_id=task_id,
            run_id=run_id,
            map_index=map_index,
            serialize=False,  # what the Execution API does with it
            session=session,
        )
        return
    # 3.0: XComModel.set always serializes again; the Execution API's own insert does not.
    from airflow.models.dagrun import DagRun
    from sqlalchemy import delete, select

    x = XComModel
    dag_run_pk = session.scalar(select(DagRun.id).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
    session.execute(
        delete(x).where(
            x.key == key,
            x.run_id == run_id,
            x.task_id == task_id,
            x.dag_id == dag_id,
            x.map_index == map_index,
        )
    )
    session.add(
        x(
            dag_run_id=dag_run_pk,
            key=key,
            value=value,
            run_id=run_id,
            task_id=task_id,
            dag_id=dag_id,
            map_index=map_index,
        )
    )


def cmd_sync_dags(args) -> None:
    """Parse the DAG folder and write the DAGs to the DB again (brings back a deleted DAG)."""
    from airflow.utils.session import create_session

    with create_session() as session:
        _sync_dags(session)
    print("SYNCED", file=sys.stderr)


def _slash_keys() -> bool:
    """Whether this release routes XCom keys containing ``/`` (tests/harness/airflow3.py's
    ``ReleaseConfig.slash_keys``: not 3.0)."""
    return os.environ.get("AIRFLOW_ASYNC_HARNESS3_SLASH_KEYS", "1") != "0"


def _demo_slots():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import seed_airflow2  # the Airflow 2 seeder's value kinds (pendulum only at import)

    slots = seed_airflow2._demo_slots()
    if not _slash_keys():  # no task of this release can push one, no client read one
        slots = [s for s in slots if "/" not in s[2]]
    mapped = [s for s in slots if s[1] >= 0]
    unmapped = [s for s in slots if s[1] < 0]
    return unmapped + list(EXTRA_SLOTS) + mapped, seed_airflow2


def _run_plan(n_runs: int, start):
    """(i, run_id, logical_date | None, run_after, run_type) for harvest_demo."""
    from airflow.utils.types import DagRunType

    for i in range(n_runs):
        logical = start + dt.timedelta(hours=i)
        if i % 10 == 7:
            # API-triggered runs carry microseconds in both the date and the id.
            logical = logical + dt.timedelta(minutes=11, seconds=12, microseconds=345678)
        if i == 5:
            yield i, "custom~run.5:a+b", logical, logical, DagRunType.MANUAL
        elif i % 10 == 9:
            # Airflow 3: a manual run may have no logical date at all (run_after only).
            yield i, f"manual__{logical.isoformat()}", None, logical, DagRunType.MANUAL
        elif i % 3 == 0:
            after = logical + dt.timedelta(hours=1)
            yield i, f"scheduled__{logical.isoformat()}", logical, after, DagRunType.SCHEDULED
        else:
            yield i, f"manual__{logical.isoformat()}", logical, logical, DagRunType.MANUAL


def _create_run(dag, run_id, logical, run_after, run_type, session, state):
    from airflow.utils.state import DagRunState, TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType

    interval = None
    if logical is not None:
        interval = (
            (logical, logical + dt.timedelta(hours=1))
            if run_type.value == "scheduled"
            else (logical, logical)
        )
    dr = dag.create_dagrun(
        run_id=run_id,
        logical_date=logical,
        data_interval=interval,
        run_after=run_after,
        run_type=run_type,
        triggered_by=(
            DagRunTriggeredByType.TIMETABLE
            if run_type.value == "scheduled"
            else DagRunTriggeredByType.REST_API
        ),
        state=DagRunState(state),
        start_date=run_after + dt.timedelta(minutes=1),
        session=session,
    )
    if state in ("success", "failed"):
        dr.end_date = run_after + dt.timedelta(minutes=2)
        for ti in dr.get_task_instances(session=session):
            failed = state == "failed" and ti.task_id == "report"
            ti.state = TaskInstanceState.FAILED if failed else TaskInstanceState.SUCCESS
            ti.start_date = run_after + dt.timedelta(minutes=1)
            ti.end_date = run_after + dt.timedelta(minutes=1, seconds=30)
    return dr


def cmd_seed(args) -> None:
    from airflow.sdk.bases.xcom import BaseXCom
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunType

    t0 = time.monotonic()
    slots, seed2 = _demo_slots()
    start = seed2.START
    if args.reset:
        from airflow.api.common.delete_dag import delete_dag
        from airflow.exceptions import DagNotFound

        for dag_id in SEEDED_DAGS:
            try:
                delete_dag(dag_id, keep_records_in_log=False)
            except DagNotFound:
                pass
    with create_session() as session:
        _sync_dags(session)
    t_sync = time.monotonic() - t0

    other_runs, empty_runs = 8, 3
    n_other = min(other_runs * 2, args.xcoms // 4)
    n_large = min(args.large, args.xcoms - n_other)
    n_demo = max(args.xcoms - n_other - n_large, 0)
    runs = max(args.runs, 1)
    if n_demo > runs * len(slots):
        raise SystemExit(f"{n_demo} XComs do not fit in {runs} runs x {len(slots)} slots")

    planned = []  # (dag_id, run_id, task, map_index, key, kind, value)
    api_planned = []
    with create_session() as session:
        demo = _latest_dag("harvest_demo", session)
        other = _latest_dag("harvest_other", session)
        empty = _latest_dag("harvest_empty", session)
        if demo is None or other is None or empty is None:
            raise SystemExit("harness DAGs are not serialized in the DB")
        demo_runs = []
        for i, run_id, logical, after, run_type in _run_plan(runs, start):
            state = "failed" if i % 17 == 16 else "success"
            _create_run(demo, run_id, logical, after, run_type, session, state)
            demo_runs.append((i, run_id))
        mapped = [slot for slot in slots if slot[1] >= 0]
        unmapped = [slot for slot in slots if slot[1] < 0]
        for idx, (i, run_id) in enumerate(demo_runs):
            count = n_demo // runs + (1 if idx < n_demo % runs else 0)
            # Like a real run, a run holds the XComs of ALL its mapped task instances (when the
            # volume allows); the remaining unmapped slots rotate so every kind appears.
            if count >= len(mapped):
                chosen = mapped + [unmapped[(i + k) % len(unmapped)] for k in range(count - len(mapped))]
            else:
                chosen = [slots[(i + k) % len(slots)] for k in range(count)]
            for task, mi, key, kind, fn in chosen:
                planned.append(("harvest_demo", run_id, task, mi, key, kind, fn(i)))
        for n in range(n_large):
            _i, run_id = demo_runs[n % len(demo_runs)]
            planned.append(
                ("harvest_demo", run_id, "report", -1, f"large {n}", "large_str", seed2._large_value(n))
            )

        other_plan = []
        for j in range(other_runs):
            logical = start + dt.timedelta(days=j)
            run_id = f"scheduled__{logical.isoformat()}"
            after = logical + dt.timedelta(days=1)
            _create_run(other, run_id, logical, after, DagRunType.SCHEDULED, session, "success")
            other_plan.append(run_id)
        for n in range(n_other):
            run_id = other_plan[n // 2 % other_runs]
            if n % 2 == 0:
                planned.append(("harvest_other", run_id, "ping", -1, "return_value", "str", "pong"))
            else:
                planned.append(("harvest_other", run_id, "pong", -1, "return_value", "int", 1))
        if args.api_xcoms:
            for task, mi, key, kind, value in API_SLOTS:
                if "/" in key and not _slash_keys():
                    continue
                api_planned.append(("harvest_other", other_plan[-1], task, mi, key, kind, value))
        for j in range(empty_runs):
            logical = start + dt.timedelta(days=j)
            _create_run(
                empty,
                f"manual__{logical.isoformat()}",
                logical,
                logical,
                DagRunType.MANUAL,
                session,
                "queued" if j == 0 else "success",
            )
        session.commit()
        t_runs = time.monotonic() - t0 - t_sync

        for dag_id, run_id, task, mi, key, _kind, value in planned:
            _store_xcom(
                key,
                BaseXCom.serialize_value(value),  # what a task's xcom_push sends
                dag_id=dag_id,
                task_id=task,
                run_id=run_id,
                map_index=mi,
                session=session,
            )
        session.commit()
        t_xcom = time.monotonic() - t0 - t_sync - t_runs

    plan = [
        {"dag_id": d, "dag_run_id": r, "task_id": t, "map_index": m, "key": k, "kind": kind, "source": "seed"}
        for d, r, t, m, k, kind, _v in planned
    ] + [
        {
            "dag_id": d,
            "dag_run_id": r,
            "task_id": t,
            "map_index": m,
            "key": k,
            "kind": kind,
            "source": "api",
            "post_value": v,
        }
        for d, r, t, m, k, kind, v in api_planned
    ]
    Path(args.plan).write_text(json.dumps(plan, ensure_ascii=False))
    stats = {
        "xcoms": len(planned),
        "api_xcoms": len(api_planned),
        "dag_runs": runs + other_runs + empty_runs,
        "sync_dags_s": round(t_sync, 2),
        "runs_s": round(t_runs, 2),
        "xcoms_s": round(t_xcom, 2),
        "total_s": round(time.monotonic() - t0, 2),
    }
    if args.dags_test and not Path(args.dags_test_plan).exists():  # a re-seed keeps those runs
        stats.update(_dags_test(args.dags_test, args.dags_test_date, args.dags_test_plan))
        stats["total_s"] = round(time.monotonic() - t0, 2)
    print("SEED_STATS " + json.dumps(stats), file=sys.stderr)


def _collect(dag_ids: list[str], plan_path: str, source: str) -> int:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    x = XComModel
    with create_session() as session:
        rows = session.execute(
            select(x.dag_id, x.run_id, x.task_id, x.map_index, x.key)
            .where(x.dag_id.in_(dag_ids))
            .order_by(x.dag_id, x.task_id, x.run_id, x.map_index, x.key)
        ).all()
    plan = [
        {"dag_id": d, "dag_run_id": r, "task_id": t, "map_index": m, "key": k, "kind": None, "source": source}
        for d, r, t, m, k in rows
    ]
    Path(plan_path).write_text(json.dumps(plan, ensure_ascii=False))
    return len(plan)


def cmd_collect(args) -> None:
    n = _collect(args.dag_id, args.plan, args.source)
    print(json.dumps({"xcoms": n}), file=sys.stderr)


def _dags_test(dag_ids: list[str], date: str, plan_path: str) -> dict[str, float]:
    """``airflow dags test <dag> <date>`` for each DAG, through Airflow's own CLI parser but in
    this one process (the in-process Execution API app is built once: ~6 s saved per DAG), then
    the plan entries of their XComs."""
    from airflow.cli.cli_parser import get_parser

    if not _slash_keys():
        # 3.0's execution API cannot store a key containing '/' (its route takes one segment):
        # the task's push of one would fail the task. Skip that push, as the release requires.
        from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

        push = RuntimeTaskInstance.xcom_push

        def xcom_push(self, key, value):
            if "/" in key:
                print(f"SKIPPED xcom_push of {key!r}: this release cannot store it", file=sys.stderr)
                return None
            return push(self, key, value)

        RuntimeTaskInstance.xcom_push = xcom_push
    timings = {}
    for dag_id in dag_ids:
        t0 = time.monotonic()
        args = get_parser().parse_args(["dags", "test", dag_id, date])
        args.func(args)
        timings[f"dags_test_{dag_id}_s"] = round(time.monotonic() - t0, 2)
    _collect(dag_ids, plan_path, "dags_test")
    return timings


def cmd_dags_test(args) -> None:
    print("SEED_STATS " + json.dumps(_dags_test(args.dag_id, args.date, args.plan)), file=sys.stderr)


# ------------------------------------------------------------------------------------------------
# manifest (standard library only)
# ------------------------------------------------------------------------------------------------

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1, never a proxy


def _request(method: str, url: str, *, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    for attempt in range(3):
        try:
            with _OPENER.open(req, timeout=120) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            if exc.code >= 500 and attempt < 2:
                time.sleep(0.5 * (attempt + 1))
                continue
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, raw.decode(errors="replace")
    raise AssertionError("unreachable")


def get_token(base_url: str, username: str, password: str) -> str:
    status, body = _request(
        "POST", f"{base_url}/auth/token", body={"username": username, "password": password}
    )
    if status != 201:
        raise SystemExit(f"POST /auth/token as {username!r}: {status} {body}")
    return body["access_token"]


def token_claims(token: str) -> dict[str, Any]:
    """The JWT payload, unverified (``exp``, ``iat``, ``sub``, ``role``)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def entry_path(e: dict[str, Any]) -> str:
    def seg(s: str) -> str:
        return quote(s, safe="")

    return (
        f"/api/v2/dags/{seg(e['dag_id'])}/dagRuns/{seg(e['dag_run_id'])}"
        f"/taskInstances/{seg(e['task_id'])}/xcomEntries"
    )


class _Conn:
    """One keep-alive HTTP/1.1 connection to one api-server (reconnects when the server closes)."""

    def __init__(self, url: str, token: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.prefix = parsed.path.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, Any]:
        for attempt in range(4):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.conn.request("GET", self.prefix + path, headers=self.headers)
                resp = self.conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 3:
                    raise
                time.sleep(0.2 * (attempt + 1))
                continue
            if resp.status >= 500 and attempt < 3:
                time.sleep(0.5 * (attempt + 1))
                continue
            try:
                return resp.status, json.loads(raw)
            except ValueError:
                return resp.status, raw.decode(errors="replace")
        raise AssertionError("unreachable")


def _read_back(
    plan: list[dict[str, Any]], urls: list[str], token: str, streams_per_url: int
) -> list[dict[str, Any]]:
    """GET every planned XCom twice (v2 defaults; deserialize=true), spread over ``urls`` (api-servers
    on the same database: one request stream per server process keeps both cores busy)."""
    work = list(enumerate(plan))
    out: list[dict[str, Any] | None] = [None] * len(plan)
    lock = threading.Lock()
    errors: list[str] = []

    def worker(url: str) -> None:
        conn = _Conn(url, token)
        while not errors:
            with lock:
                if not work:
                    return
                idx, e = work.pop()
            path = entry_path(e) + "/" + quote(e["key"], safe="")
            answers = {}
            for name, params in (("value", {}), ("value_deserialize", {"deserialize": "true"})):
                query = urlencode({"map_index": e["map_index"], **params})
                status, body = conn.get(f"{path}?{query}")
                if status != 200:
                    errors.append(f"GET {path}?{query}: {status} {str(body)[:300]}")
                    return
                answers[name] = body
            got = answers["value"]
            out[idx] = {
                "dag_id": e["dag_id"],
                "dag_run_id": e["dag_run_id"],
                "logical_date": got["logical_date"],
                "run_after": got.get("run_after"),  # 3.1+: 3.0's XCom answers have no run_after
                "task_id": e["task_id"],
                "map_index": e["map_index"],
                "key": e["key"],
                "kind": e["kind"] or f"real_{type(got['value']).__name__}",
                "source": e["source"],
                "value": got["value"],
                "value_deserialize": answers["value_deserialize"]["value"],
            }

    def guarded(url: str) -> None:
        try:
            worker(url)
        except Exception as exc:  # a worker that dies must fail the manifest, not shorten it
            errors.append(f"read-back from {url} failed: {exc!r}")

    threads = [threading.Thread(target=guarded, args=(u,)) for u in urls for _ in range(streams_per_url)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(errors[0])
    return [e for e in out if e is not None]


def cmd_manifest(args) -> None:
    t0 = time.monotonic()
    base = args.url.rstrip("/")
    user, _, password = args.user.partition(":")
    token = get_token(base, user, password)
    plan: list[dict[str, Any]] = []
    for part in args.plan:
        plan += json.loads(Path(part).read_text())

    created = 0
    for e in plan:  # sequentially: SQLite answers 500 to concurrent XCom writes
        if e["source"] != "api":
            continue
        body = {"key": e["key"], "value": e.pop("post_value"), "map_index": e["map_index"]}
        status, answer = _request("POST", base + entry_path(e), token=token, body=body)
        if status not in (201, 409):  # 409: it exists already (a manifest re-run)
            raise SystemExit(f"POST xcomEntries {body['key']!r}: {status} {answer}")
        created += status == 201

    urls = [u.rstrip("/") for u in (args.read_url or [base])]
    manifest = _read_back(plan, urls, token, streams_per_url=max(args.streams, 1))
    # The v2 list endpoint's default order (SQLite compares text bytewise; UTF-8 byte order ==
    # code point order == Python's str order).
    manifest.sort(key=lambda e: (e["dag_id"], e["task_id"], e["dag_run_id"], e["map_index"], e["key"]))
    tmp = Path(args.manifest).with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False))
    tmp.replace(args.manifest)
    stats = {"xcoms": len(manifest), "api_created": created, "readback_s": round(time.monotonic() - t0, 2)}
    print("MANIFEST_STATS " + json.dumps(stats), file=sys.stderr)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--plan", required=True)
    p.add_argument("--xcoms", type=int, default=2000)
    p.add_argument("--runs", type=int, default=110, help="harvest_demo runs (+11 others)")
    p.add_argument("--large", type=int, default=2, help="number of ~1 MB values")
    p.add_argument("--no-api-xcoms", dest="api_xcoms", action="store_false", help="no POSTed XComs")
    p.add_argument("--reset", action="store_true", help="delete previously seeded runs first")
    p.add_argument("--dags-test", action="append", default=[], metavar="DAG_ID", help="then `dags test` it")
    p.add_argument("--dags-test-date", default="2024-01-01")
    p.add_argument("--dags-test-plan", help="plan file of the dags-test XComs")
    sub.add_parser("sync-dags")
    p = sub.add_parser("dags-test")
    p.add_argument("--dag-id", action="append", required=True)
    p.add_argument("--date", default="2024-01-01")
    p.add_argument("--plan", required=True)
    p = sub.add_parser("collect")
    p.add_argument("--plan", required=True)
    p.add_argument("--dag-id", action="append", required=True)
    p.add_argument("--source", default="dags_test")
    p = sub.add_parser("manifest")
    p.add_argument("--url", required=True)
    p.add_argument("--user", default=os.environ.get("AIRFLOW_ASYNC_HARNESS3_USER", "admin:admin"))
    p.add_argument("--plan", action="append", required=True)
    p.add_argument("--manifest", required=True)
    p.add_argument("--read-url", action="append", help="api-server(s) to read back from (default --url)")
    p.add_argument("--streams", type=int, default=1, help="request streams per read-back server")
    args = parser.parse_args(argv)
    commands = {
        "seed": cmd_seed,
        "sync-dags": cmd_sync_dags,
        "dags-test": cmd_dags_test,
        "collect": cmd_collect,
        "manifest": cmd_manifest,
    }
    commands[args.cmd](args)


if __name__ == "__main__":
    main()
