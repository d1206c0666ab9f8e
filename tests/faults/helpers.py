"""Shared pieces of the fault suite: the server, the client, and what the data set holds.

The suite drives the fake Airflow server of :mod:`tests.fakes.fault_server` through a
subclass that adds two things the fake does not do by itself:

* ``mutate`` rules on the DAG-run and task-instance listings (the fake applies them to
  XCom listings only): rows are inserted at the front of the listed view, or the first
  rows deleted, right after the ``after``-th matching listing page was computed;
* a catch-all route whose pattern also matches ``\\n``, so ids holding line breaks reach
  the handler instead of aiohttp's own 404 (the fake's route uses ``.*``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from aiohttp import web

from airflow_async import AirflowClient, Auth, BasicAuth, HarvestResult, RetryPolicy
from tests.fakes.fault_data import JSON, DataSet, DataSpec, XComFilter
from tests.fakes.fault_http import Ctx
from tests.fakes.fault_server import FaultServer, ServerConfig, xcom_value

#: Retries without waits worth the name: the waits are not what these tests are about.
FAST = RetryPolicy(backoff_base=0.001, backoff_max=0.01)

#: The per-attempt timeout of tests whose faults must make a request time out. It is what a
#: *healthy* request must beat, so it is far above what one takes on a loaded machine: the
#: in-process fake answers in well under 0.1 s at load average 8 on 2 cores, also with a
#: 16-wide harvest in flight (a 0.2-0.3 s timeout was not enough there). Tests count retries
#: and attempts on the server side as well as the client's.
TIMEOUT = 1.5

#: How long a ``hang`` or ``stall_body`` fault holds its request: far past :data:`TIMEOUT`,
#: so an attempt that meets one times out however slow the machine (the server releases the
#: hung handlers when it stops).
HANG_SECONDS = 300.0

#: A small data set: 2 DAGs x 5 runs x 12 task instances x 4 keys = 480 XComs.
SMALL = DataSpec(n_dags=2, runs_per_dag=5)

XComKey = tuple[str, str, str, int, str]


class MutableDataSet(DataSet):
    """The fake's data set plus inserted/deleted DAG runs and task instances."""

    def reset_overlays(self) -> None:
        super().reset_overlays()
        self.run_inserts: dict[int, list[int]] = {}  # dag -> synthetic run positions, newest first
        self.run_deletes: set[tuple[int, int]] = set()
        self.ti_inserts: dict[tuple[int, int], list[int]] = {}  # (dag, run) -> synthetic slots
        self.ti_deletes: set[tuple[int, int, int]] = set()
        self._synthetic = 0

    # -- DAG runs ---------------------------------------------------------------------------
    def _run_rows(self, dags: Iterable[int]) -> list[tuple[int, int]]:
        rows: list[tuple[int, int]] = []
        for d in dags:
            rows += [(d, r) for r in self.run_inserts.get(d, [])]
            rows += [(d, r) for r in range(self.dims[1]) if (d, r) not in self.run_deletes]
        return rows

    def runs_page(self, dags: Iterable[int], offset: int, limit: int) -> tuple[int, list[tuple[int, int]]]:
        rows = self._run_rows(dags)
        return len(rows), rows[offset : offset + limit]

    def run_json(self, d: int, r: int) -> JSON:
        if r < self.dims[1]:
            return super().run_json(d, r)
        out = super().run_json(d, 0)
        logical = (self.runs[0].logical - dt.timedelta(days=r)).isoformat()
        out.update(dag_run_id=f"inserted__{r:06d}", logical_date=logical, execution_date=logical)
        return out

    def mutate_runs(self, dags: Sequence[int], insert: int, delete: int) -> None:
        """Delete the first ``delete`` runs of the view, then insert ``insert`` runs at its front."""
        for row in self._run_rows(dags)[:delete]:
            d, r = row
            if r >= self.dims[1]:
                self.run_inserts[d].remove(r)
            else:
                self.run_deletes.add(row)
        for _ in range(insert):
            self._synthetic += 1
            self.run_inserts.setdefault(dags[0], []).insert(0, self.dims[1] + self._synthetic)

    # -- task instances ---------------------------------------------------------------------
    def _ti_rows(self, d: int | None, r: int | None) -> list[tuple[int, ...]]:
        dags = range(self.dims[0]) if d is None else (d,)
        runs = range(self.dims[1]) if r is None else (r,)
        rows: list[tuple[int, ...]] = []
        for dd in dags:
            for rr in runs:
                rows += [(dd, rr, s) for s in self.ti_inserts.get((dd, rr), [])]
                rows += [(dd, rr, s) for s in range(self.dims[2]) if (dd, rr, s) not in self.ti_deletes]
        return rows

    def tis_page(
        self, d: int | None, r: int | None, offset: int, limit: int
    ) -> tuple[int, list[tuple[int, ...]]]:
        rows = self._ti_rows(d, r)
        return len(rows), rows[offset : offset + limit]

    def ti_json(self, d: int, r: int, s: int) -> JSON:
        if s < self.dims[2]:
            return super().ti_json(d, r, s)
        out = super().ti_json(d, r, 0)
        out.update(task_id=f"inserted_{s:06d}", task_display_name=f"inserted_{s:06d}", map_index=-1)
        return out

    def mutate_tis(self, d: int | None, r: int | None, insert: int, delete: int) -> None:
        """Delete the first ``delete`` task instances of the view, then insert ``insert`` at its front."""
        rows = self._ti_rows(d, r)
        for row in rows[:delete]:
            dd, rr, s = row
            if s >= self.dims[2]:
                self.ti_inserts[(dd, rr)].remove(s)
            else:
                self.ti_deletes.add((dd, rr, s))
        if insert and rows:
            dd, rr = rows[0][0], rows[0][1]
            for _ in range(insert):
                self._synthetic += 1
                self.ti_inserts.setdefault((dd, rr), []).insert(0, self.dims[2] + self._synthetic)


class FaultsServer(FaultServer):
    """The fake server with mutations on DAG-run and task-instance listings (see the module doc)."""

    data: MutableDataSet

    def __init__(self, config: ServerConfig | None = None, data: DataSpec | None = None) -> None:
        super().__init__(config, MutableDataSet(data or SMALL))
        self.app.router.add_route("*", "/{tail:(?s:.*)}", self.handle)

    def _view(self, dag_id: str) -> list[int]:
        return list(range(len(self.data.dag_ids))) if dag_id == "~" else [self.data.dag_index[dag_id]]

    async def _dag_runs_list(self, ctx: Ctx) -> web.StreamResponse:
        resp = await super()._dag_runs_list(ctx)
        for rule in ctx.mutations:
            self.data.mutate_runs(self._view(ctx.args[0]), rule.insert_rows, rule.delete_rows)
        return resp

    async def _tis_list(self, ctx: Ctx) -> web.StreamResponse:
        resp = await super()._tis_list(ctx)
        dag_id, run_id = ctx.args
        d = None if dag_id == "~" else self.data.dag_index[dag_id]
        r = None if run_id == "~" else self.data.find_run(dag_id, run_id)
        for rule in ctx.mutations:
            self.data.mutate_tis(d, r, rule.insert_rows, rule.delete_rows)
        return resp


@contextlib.asynccontextmanager
async def serve(
    config: ServerConfig | None = None, data: DataSpec | None = None
) -> AsyncIterator[FaultsServer]:
    """Run a :class:`FaultsServer` on 127.0.0.1 for the ``async with`` block."""
    server = FaultsServer(config, data)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def client(
    srv: FaultServer | str,
    *,
    auth: Auth | None = None,
    retry: RetryPolicy | None = FAST,
    **kwargs: Any,
) -> AirflowClient:
    """A client of ``srv`` as the admin user, with fast retries unless told otherwise.

    The fake server speaks API v1; the version is forced, so the faults these tests inject
    land on the requests they count, not on the version probe (test_password_auth.py covers detection).
    """
    url = srv if isinstance(srv, str) else srv.url
    kwargs.setdefault("api_version", "v1")
    return AirflowClient(url, auth=auth or BasicAuth("admin", "admin"), retry=retry, **kwargs)


def all_xcoms(data: DataSet) -> dict[XComKey, JSON]:
    """Every XCom of the data set as it is now: ``(dag, run id, task, map index, key) -> value``."""
    total, refs = data.xcom_page(XComFilter(), 0, 10**9)
    out: dict[XComKey, JSON] = {}
    for ref in refs:
        slot = data.slots[ref.s]
        run_id = data.runs[ref.r].run_id
        dag_id = data.dag_ids[ref.d]
        out[(dag_id, run_id, slot.task_id, slot.map_index, ref.key)] = xcom_value(
            dag_id, run_id, slot.task_id, slot.map_index, ref.key, data.spec.payload_bytes
        )
    assert len(out) == total
    return out


def result_key(result: HarvestResult) -> XComKey:
    """The identity of a harvest result's entry, in the form of :func:`all_xcoms`."""
    e = result.entry
    assert e.dag_run_id is not None
    return (e.dag_id, e.dag_run_id, e.task_id, e.map_index, e.key)


class Tally:
    """Our own count of a harvest's outcomes, next to the harvest's stats."""

    def __init__(self) -> None:
        self.values: dict[XComKey, Any] = {}
        self.repeats: list[XComKey] = []
        self.failures: dict[XComKey, BaseException] = {}

    def add(self, result: HarvestResult) -> None:
        key = result_key(result) if result.entry.dag_run_id else _unresolved_key(result)
        if key in self.values or key in self.failures:
            self.repeats.append(key)
        if result.ok:
            assert result.value is not None
            self.values[key] = result.value.value
        else:
            assert result.error is not None
            self.failures[key] = result.error

    @property
    def seen(self) -> int:
        return len(self.values) + len(self.failures) + len(self.repeats)


def _unresolved_key(result: HarvestResult) -> XComKey:
    e = result.entry
    date = e.execution_date.isoformat() if e.execution_date else ""
    return (e.dag_id, f"<unresolved {date}>", e.task_id, e.map_index, e.key)
