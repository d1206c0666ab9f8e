"""A metadata crawl that grows: offset vs cursor paging of task instances on a real Airflow 3.3.2.

::

    python -m benchmarks.crawl3              # 100,000 task instances (about 15-25 min)
    python -m benchmarks.crawl3 --quick      # 5,000
    python -m benchmarks.crawl3 --rows 20000 --churn none --out /tmp/crawl3.md

It starts its own Airflow 3.3.2 api-server (``tests/harness/airflow3.py``, a fresh
AIRFLOW_HOME with SQLite, one api-server, ``127.0.0.1`` only), writes a DAG of
:data:`TASKS` ``EmptyOperator`` tasks (``crawl_wide``) into a DAG folder of its own, and seeds
``rows / TASKS`` DAG runs of it straight into the database: one run through
``SerializedDAG.create_dagrun`` (as ``tests/harness/seed_airflow3.py`` does), the others as SQL
copies of that run's ``dag_run`` and ``task_instance`` rows (new run ids and dates, new uuid7 ids).
The seeding runs under the Airflow venv's python (``python -m benchmarks.crawl3 _seed``).

Then it walks ``client.task_instances.list("~", "~", page_size=100)`` with airflow_async:

(a) by offset (``cursor=False``), one page after the other;
(b) by cursor (the default on 3.2.2+: ``paginator.by_cursor`` is recorded);
(c) by offset with ``concurrent=True`` (up to ``client.max_concurrency`` pages in flight).

For (a) and (b) it times every page (from the end of one ``pages()`` iteration to the next: the
request, its JSON decoding and the model building), and reports the median of the
:data:`PAGES_PER_MARK` pages that start at each mark (offset 0, 10 %, 25 %, 50 %, 75 %, 99 % of
the rows). Every walk must list each row exactly once (count == rows in the database, no
duplicate natural keys). The churn walks (``--churn``, default all three) insert :data:`FRONT_INSERT`
task instances at the FRONT of the default order (``map_index, id``: ids below every uuid7)
after :data:`CHURN_AFTER_PAGES` pages, and counts what each mode repeated, yielded twice and
missed against the database afterwards; the inserted rows are deleted after each walk.

The machine's load average (``os.getloadavg()``) is recorded with every walk: other processes
(another benchmark of another Airflow 3 server) share its 2 cores.

Wired into ``benchmarks/run.py`` as :func:`section_crawl3`; run alone, it prints its table and
writes ``benchmarks/results/<date>-crawl3[-quick].md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.run import Env, Report
    from tests.harness.airflow3 import Airflow3Server

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DAG_ID = "crawl_wide"
TASKS = 100
PAGE_SIZE = 100
ROWS = 100_000
QUICK_ROWS = 5_000
#: Where per-page times are reported, as fractions of the rows.
MARKS = (0.0, 0.10, 0.25, 0.50, 0.75, 0.99)
PAGES_PER_MARK = 5
#: Task instances inserted at the front of the listing while it is walked (churn part).
FRONT_INSERT = 1_000
FRONT_RUN_PREFIX = "crawl_front_"
CHURN_AFTER_PAGES = 10
USER, PASSWORD = "admin", "admin"

DAG_FILE = f'''"""{TASKS} empty tasks: the DAG whose task instances benchmarks/crawl3.py seeds."""

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    "{DAG_ID}",
    schedule="@hourly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
):
    for i in range({TASKS}):
        EmptyOperator(task_id=f"t{{i:03d}}")
'''


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"[crawl3] {msg}", file=sys.stderr, flush=True)


def _load() -> str:
    """The load average now, as ``a/b/c``."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# --------------------------------------------------------------------------------------------
# Seeding (runs under the Airflow 3 venv's python: ``python -m benchmarks.crawl3 _seed``)
# --------------------------------------------------------------------------------------------


def _seed(runs: int, front_runs: int) -> dict[str, Any]:
    """Seed ``runs`` DAG runs of :data:`DAG_ID` with all their task instances, and
    ``front_runs`` DAG runs without task instances (the churn part fills them)."""
    from airflow.models.dagbag import DBDagBag  # type: ignore[import-not-found]
    from airflow.models.dagrun import DagRun  # type: ignore[import-not-found]
    from airflow.models.taskinstance import TaskInstance  # type: ignore[import-not-found]
    from airflow.utils.session import create_session  # type: ignore[import-not-found]
    from airflow.utils.types import DagRunType  # type: ignore[import-not-found]
    from sqlalchemy import select  # type: ignore[import-not-found]

    from tests.harness.seed_airflow3 import _create_run, _sync_dags

    try:
        from uuid6 import uuid7  # type: ignore[import-not-found]  # Airflow's ids for task instances
    except ImportError:  # pragma: no cover - only if Airflow stops shipping uuid6
        uuid7 = uuid.uuid4

    t0 = time.monotonic()
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with create_session() as session:
        _sync_dags(session)
    t_sync = time.monotonic() - t0
    with create_session() as session:
        dag = DBDagBag().get_latest_version_of_dag(DAG_ID, session=session)
        if dag is None:
            raise SystemExit(f"{DAG_ID} is not serialized in the DB")
        first = f"scheduled__{start.isoformat()}"
        after = start + dt.timedelta(hours=1)
        _create_run(dag, first, start, after, DagRunType.SCHEDULED, session, "success")  # type: ignore[no-untyped-call]
        session.commit()
        run_table, ti_table = DagRun.__table__, TaskInstance.__table__
        run_row = dict(session.execute(select(run_table).where(run_table.c.run_id == first)).mappings().one())
        ti_rows = [
            dict(r) for r in session.execute(select(ti_table).where(ti_table.c.run_id == first)).mappings()
        ]
        run_row.pop("id", None)
        new_runs: list[dict[str, Any]] = []
        new_tis: list[dict[str, Any]] = []

        def shifted(value: Any, delta: dt.timedelta) -> Any:
            return value + delta if isinstance(value, dt.datetime) else value

        plan = [(f"scheduled__{(start + dt.timedelta(hours=i)).isoformat()}", i) for i in range(1, runs)]
        # Runs for the churn part: dated before every seeded run, with no task instances yet.
        plan += [(f"{FRONT_RUN_PREFIX}{k:03d}", -1 - k) for k in range(front_runs)]
        for run_id, hours in plan:
            delta = dt.timedelta(hours=hours)
            row = {k: shifted(v, delta) for k, v in run_row.items()}
            row["run_id"] = run_id
            new_runs.append(row)
            if run_id.startswith(FRONT_RUN_PREFIX):
                continue
            for ti in ti_rows:
                copy = {k: shifted(v, delta) for k, v in ti.items()}
                copy["id"], copy["run_id"] = uuid7(), run_id
                new_tis.append(copy)
        if new_runs:
            session.execute(run_table.insert(), new_runs)
        for i in range(0, len(new_tis), 10_000):
            session.execute(ti_table.insert(), new_tis[i : i + 10_000])
        session.commit()
    return {
        "dag_runs": runs,
        "front_runs": front_runs,
        "task_instances": len(ti_rows) * runs,
        "sync_dags_s": round(t_sync, 2),
        "total_s": round(time.monotonic() - t0, 2),
    }


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def crawl_server(rows: int) -> Iterator[tuple[Airflow3Server, dict[str, Any]]]:
    """An Airflow 3.3.2 of our own with ``rows`` task instances; yields it and the seed stats."""
    from tests.harness.airflow3 import Airflow3Server

    class CrawlServer(Airflow3Server):
        """The harness server with a DAG folder of its own (only ``crawl_wide``)."""

        def env(self, **overrides: str) -> dict[str, str]:
            """The harness environment, pointed at ``<home>/dags``."""
            return super().env(**{"AIRFLOW__CORE__DAGS_FOLDER": str(self.home / "dags"), **overrides})

    runs = max(rows // TASKS, 1)
    server = CrawlServer()
    t0 = time.monotonic()
    try:
        server.prepare()
        (server.home / "dags").mkdir(exist_ok=True)
        (server.home / "dags" / f"{DAG_ID}.py").write_text(DAG_FILE)
        server.launch(short=False)  # boots while the seeder writes
        front_runs = -(-FRONT_INSERT // TASKS)
        out = server._run(
            "seed-crawl3",
            [str(server.python), "-m", "benchmarks.crawl3", "_seed", str(runs), str(front_runs)],
            env={**server.env(), "PYTHONPATH": str(ROOT)},
            timeout=1800,
        )
        stats = json.loads([line for line in out.splitlines() if line.startswith("CRAWL3_SEED ")][-1][12:])
        server.wait_ready()
        stats["ready_s"] = round(time.monotonic() - t0, 1)
        log(f"Airflow {server.url} ready with {stats['task_instances']:,} task instances: {stats}")
        yield server, stats
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------
# Direct database access (stdlib sqlite3): the truth a walk is checked against, and the churn
# --------------------------------------------------------------------------------------------


class Db:
    """The server's SQLite database, for counting and for inserting rows while a walk runs."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    def keys(self) -> set[tuple[str, str, str, int]]:
        """Every task instance's natural key ``(dag_id, run_id, task_id, map_index)``."""
        with contextlib.closing(self._connect()) as con:
            return set(con.execute("SELECT dag_id, run_id, task_id, map_index FROM task_instance"))

    def insert_front(self, n: int) -> int:
        """Insert ``n`` task instances that sort before every seeded one (``map_index`` -1, ids
        below every uuid7), copies of one seeded run's, into the empty churn runs."""
        with contextlib.closing(self._connect()) as con:
            con.row_factory = sqlite3.Row
            template = con.execute(
                "SELECT * FROM task_instance WHERE run_id = (SELECT min(run_id) FROM task_instance"
                " WHERE run_id NOT LIKE ?)",
                (f"{FRONT_RUN_PREFIX}%",),
            ).fetchall()
            front = [
                r[0]
                for r in con.execute(
                    "SELECT run_id FROM dag_run WHERE run_id LIKE ? ORDER BY run_id",
                    (f"{FRONT_RUN_PREFIX}%",),
                )
            ]
            if not template or not front:
                raise RuntimeError("nothing to copy: the churn runs or the template run are missing")
            cols = list(template[0].keys())
            dashed = "-" in str(template[0]["id"])
            rows = []
            for i in range(n):
                run_id, src = front[i // len(template)], template[i % len(template)]
                ident = uuid.UUID(int=i + 1)
                values = dict(src)
                values["id"] = str(ident) if dashed else ident.hex
                values["run_id"] = run_id
                rows.append(tuple(values[c] for c in cols))
            with con:
                con.executemany(
                    f"INSERT INTO task_instance ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    rows,
                )
            return len(rows)

    def delete_front(self) -> int:
        """Delete what :meth:`insert_front` inserted."""
        with contextlib.closing(self._connect()) as con, con:
            return con.execute(
                "DELETE FROM task_instance WHERE run_id LIKE ?", (f"{FRONT_RUN_PREFIX}%",)
            ).rowcount


# --------------------------------------------------------------------------------------------
# The walks
# --------------------------------------------------------------------------------------------


@dataclass
class Walk:
    """One walk of the listing and what it yielded."""

    name: str
    options: dict[str, Any]
    by_cursor: bool = False
    wall: float = 0.0
    listed: int = 0
    distinct: int = 0
    expected: int = 0
    missed: int = 0
    total_entries: int | None = None
    pages_fetched: int = 0
    repeats_skipped: int = 0
    rescans: int = 0
    inserted: int = 0
    page_times: list[tuple[int, float]] = field(default_factory=list)
    load: str = ""

    @property
    def rps(self) -> float:
        """Rows listed per second of wall time."""
        return self.listed / self.wall if self.wall else 0.0

    @property
    def yielded_twice(self) -> int:
        """Rows the walk yielded more than once."""
        return self.listed - self.distinct

    @property
    def exact(self) -> bool:
        """Every row listed exactly once."""
        return self.listed == self.expected == self.distinct and not self.missed

    def at(self, offset: int) -> float | None:
        """Median seconds of the :data:`PAGES_PER_MARK` pages starting at ``offset`` or later."""
        if not self.page_times:
            return None
        first = next((i for i, (off, _s) in enumerate(self.page_times) if off >= offset), None)
        if first is None:
            return None
        first = min(first, max(len(self.page_times) - PAGES_PER_MARK, 0))
        return statistics.median(s for _o, s in self.page_times[first : first + PAGES_PER_MARK])

    def as_json(self) -> dict[str, Any]:
        """Everything but the page times, plus their summary."""
        data = {k: v for k, v in self.__dict__.items() if k != "page_times"}
        times = [s for _o, s in self.page_times]
        if times:
            data["page_s"] = {"min": min(times), "median": statistics.median(times), "max": max(times)}
        return data


async def walk(
    url: str, name: str, options: dict[str, Any], db: Db, *, churn: Callable[[], int] | None = None
) -> Walk:
    """Walk ``task_instances.list("~", "~", page_size=100, **options)`` once.

    Times every page (``pages()`` iterations; the caller's own work between them is excluded),
    keeps every natural key, and checks them against the database afterwards. ``churn`` runs
    after :data:`CHURN_AFTER_PAGES` pages (it inserts rows and returns how many).
    """
    from airflow_async import AirflowClient, PasswordAuth

    result = Walk(name, options)
    keys: set[tuple[str, str, str, int]] = set()
    async with AirflowClient(url, auth=PasswordAuth(USER, PASSWORD)) as client:
        await client.task_instances.list("~", "~", page_size=1, max_items=1, cursor=False).all()  # log in
        pager = client.task_instances.list("~", "~", page_size=PAGE_SIZE, **options)
        result.by_cursor = pager.by_cursor
        load0 = _load()
        t0 = t_prev = time.perf_counter()
        async with contextlib.aclosing(pager.pages()) as pages:
            async for page in pages:
                result.page_times.append((page.offset, time.perf_counter() - t_prev))
                for ti in page.items:
                    keys.add((ti.dag_id, ti.dag_run_id or "", ti.task_id, ti.map_index))
                result.listed += len(page.items)
                if churn is not None and len(result.page_times) == CHURN_AFTER_PAGES:
                    result.inserted = churn()
                t_prev = time.perf_counter()
        result.wall = time.perf_counter() - t0
        result.load = f"{load0} -> {_load()}"
        result.total_entries = pager.total_entries
        result.pages_fetched = pager.pages_fetched
        result.repeats_skipped = pager.duplicates
        result.rescans = pager.rescans
    truth = db.keys()
    result.distinct, result.expected = len(keys), len(truth)
    result.missed = len(truth - keys)
    log(
        f"{name}: {result.listed:,} rows in {result.wall:.1f}s ({result.rps:,.0f}/s), "
        f"{result.pages_fetched} pages, exact={result.exact}, load {result.load}"
    )
    return result


MODES: dict[str, tuple[str, dict[str, Any]]] = {
    "offset": ("(a) by offset (`cursor=False`)", {"cursor": False}),
    "cursor": ("(b) by cursor (default)", {}),
    "concurrent": ("(c) by offset, `concurrent=True`", {"concurrent": True}),
}
CHURN_MODES: dict[str, tuple[str, dict[str, Any]]] = {
    "offset": ("by offset (dedupe, re-scan)", {"cursor": False}),
    "offset-nodedupe": ("by offset, `dedupe=False`", {"cursor": False, "dedupe": False}),
    "cursor": ("by cursor (default)", {}),
}


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def walk_table(walks: list[Walk], rows: int) -> str:
    """Per-page times at the marks, wall, rows/s and the exactly-once check."""
    marks = [min(int(rows * f) // PAGE_SIZE * PAGE_SIZE, max(rows - PAGE_SIZE, 0)) for f in MARKS]
    head = " | ".join(f"page @{m:,} ms" for m in marks)
    lines = [
        f"| walk | by_cursor | {head} | pages | wall s | rows/s | listed | distinct | in DB | exactly once |"
        " load avg (start -> end) |",
        "|---|:---:|" + "---:|" * (len(marks) + 6) + ":---:|---|",
    ]
    for w in walks:
        cells = " | ".join(_s(w.at(m)) if not w.options.get("concurrent") else "-" for m in marks)
        lines.append(
            f"| {w.name} | {'yes' if w.by_cursor else 'no'} | {cells} | {w.pages_fetched:,} | {w.wall:.1f} | "
            f"{w.rps:,.0f} | {w.listed:,} | {w.distinct:,} | {w.expected:,} | "
            f"{'yes' if w.exact else '**no**'} | {w.load} |"
        )
    return "\n".join(lines)


def churn_table(walks: list[Walk]) -> str:
    """What each mode made of rows inserted at the front while it walked."""
    lines = [
        "| walk | inserted | pages | rescans | served again, skipped by dedupe (re-scan included) "
        "| yielded twice | missed | listed | in DB after | wall s | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for w in walks:
        lines.append(
            f"| {w.name} | {w.inserted:,} | {w.pages_fetched:,} | {w.rescans} | {w.repeats_skipped:,} | "
            f"{w.yielded_twice:,} | {w.missed:,} | {w.listed:,} | {w.expected:,} | {w.wall:.1f} | {w.load} |"
        )
    return "\n".join(lines)


def _slowdown(w: Walk, rows: int) -> str:
    """``first page ms -> last page ms (x)`` of a sequential walk."""
    first, last = w.at(0), w.at(max(rows - PAGE_SIZE, 0))
    if not first or last is None:
        return "n/a"
    return f"{first * 1000:.0f} -> {last * 1000:.0f} ms ({last / first:.1f}x)"


def measure_crawl(url: str, db: Db, churn: list[str]) -> tuple[list[Walk], list[Walk]]:
    """Run the three walks, then the churn walks named in ``churn`` (keys of :data:`CHURN_MODES`)."""
    walks = [asyncio.run(walk(url, label, opts, db)) for label, opts in MODES.values()]
    churned: list[Walk] = []
    for mode in churn:
        label, opts = CHURN_MODES[mode]
        try:
            churned.append(
                asyncio.run(walk(url, label, opts, db, churn=lambda: db.insert_front(FRONT_INSERT)))
            )
        finally:
            db.delete_front()
    return walks, churned


def crawl_body(rows: int, stats: dict[str, Any], walks: list[Walk], churned: list[Walk]) -> str:
    """The markdown of the section."""
    by_name = {w.name: w for w in walks}
    offset, cursor = by_name[MODES["offset"][0]], by_name[MODES["cursor"][0]]
    body = (
        f"Airflow 3.3.2, one api-server (`-w 1`), SQLite; {stats['task_instances']:,} task instances: "
        f"{stats['dag_runs']:,} DAG runs x {TASKS} tasks of `{DAG_ID}`, seeded in {stats['total_s']:.0f}s "
        f'(one run through `create_dagrun`, the rest SQL copies). Each walk: `task_instances.list("~", "~", '
        f"page_size={PAGE_SIZE}, ...)`, one run each after a warm-up request; page times are the median of "
        f"the {PAGES_PER_MARK} pages from that offset (request + decode + models). Without options the "
        f"paginator walks by cursor (`by_cursor` {cursor.by_cursor}). In cursor mode `total_entries` is "
        f"capped at 50,000 by the server (reported {cursor.total_entries:,}); the walk ends on `next_cursor` "
        f"null. Another benchmark shared the 2 cores: see the load averages.\n\n"
        f"{walk_table(walks, rows)}\n\n"
        f"First page -> last page: offset {_slowdown(offset, rows)}, cursor {_slowdown(cursor, rows)}. "
        f"Every offset page sorts the whole table (no index on `map_index, id`) keeping offset+limit rows "
        f"and counts all rows (`total_entries`); a cursor page filters `(map_index, id) > cursor` and counts "
        f"at most 50,000. The api-server runs one worker process: concurrent pages queue on it "
        f"and on SQLite."
    )
    if churned:
        body += (
            f"\n\nRows inserted while walking: after {CHURN_AFTER_PAGES} pages, {FRONT_INSERT:,} task "
            f"instances were inserted at the front of the order (`map_index` -1, ids below every uuid7), "
            f"then deleted after the walk.\n\n{churn_table(churned)}"
        )
    return body


def section_crawl3(report: Report, env: Env) -> None:
    """The crawl section for ``benchmarks/run.py``: its own Airflow 3.3.2, seeded, walked, stopped.

    Rows: ``report.args.crawl_rows`` if set, else :data:`QUICK_ROWS` with ``--quick`` and
    :data:`ROWS` otherwise; ``report.args.crawl_churn`` (a list of :data:`CHURN_MODES` keys,
    default all of them) chooses the churn walks. ``env`` is unused (the walks run in this process).
    """
    args = report.args
    rows = getattr(args, "crawl_rows", None) or (QUICK_ROWS if args.quick else ROWS)
    churn = getattr(args, "crawl_churn", None)
    churn = list(CHURN_MODES) if churn is None else churn
    with crawl_server(rows) as (server, stats):
        walks, churned = measure_crawl(server.url, Db(server.home / "airflow.db"), churn)
    report.raw["crawl3"] = {
        "seed": stats,
        "walks": [w.as_json() for w in walks],
        "churn": [w.as_json() for w in churned],
    }
    report.add(
        f"Metadata crawl: {stats['task_instances']:,} task instances, offset vs cursor (Airflow 3.3.2)",
        crawl_body(rows, stats, walks, churned),
    )
    offset = next(w for w in walks if w.name == MODES["offset"][0])
    cursor = next(w for w in walks if w.name == MODES["cursor"][0])
    report.goal("crawl: every walk lists each task instance exactly once", "", all(w.exact for w in walks))
    if offset.wall and cursor.wall:
        report.goal("crawl: cursor walk faster than offset walk", f"{offset.wall / cursor.wall:.2f}x", None)


# --------------------------------------------------------------------------------------------
# Alone
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the section alone; print its table and write ``benchmarks/results/<date>-crawl3.md``."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_seed"]:  # under the Airflow venv, from crawl_server()
        print("CRAWL3_SEED " + json.dumps(_seed(int(argv[1]), int(argv[2]))), file=sys.stderr)
        return 0
    p = argparse.ArgumentParser(prog="python -m benchmarks.crawl3", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} task instances")
    p.add_argument("--rows", type=int, dest="crawl_rows", help=f"task instances (default {ROWS:,})")
    p.add_argument(
        "--churn",
        default=",".join(CHURN_MODES),
        help=f"churn walks, comma separated, or 'none' (default {','.join(CHURN_MODES)})",
    )
    p.add_argument("--out", help="markdown output (default benchmarks/results/<date>-crawl3[-quick].md)")
    args = p.parse_args(argv)
    args.crawl_churn = [m.strip() for m in args.churn.split(",") if m.strip() and m.strip() != "none"]
    unknown = set(args.crawl_churn) - set(CHURN_MODES)
    if unknown:
        p.error(f"unknown churn walks {sorted(unknown)}; choose from {list(CHURN_MODES)}")
    from benchmarks.run import Env, Report, scrub

    started = time.monotonic()
    load = _load()
    report = Report(args, {})
    section_crawl3(report, Env())
    name = f"{dt.date.today().isoformat()}-crawl3" + ("-quick" if args.quick else "")
    out = Path(args.out) if args.out else RESULTS / f"{name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = " ".join(["python -m benchmarks.crawl3", *argv])
    head = (
        f"# Metadata crawl, {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}\n\n"
        f"Command: `{cmd}` ({(time.monotonic() - started) / 60:.1f} min); {os.cpu_count()} cores; "
        f"load average at start {load}, at end {_load()}.\n\n"
    )
    out.write_text(scrub(head + "\n".join(report.parts)) + "\n")
    out.with_suffix(".json").write_text(scrub(json.dumps(report.raw, indent=1)) + "\n")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
