"""Walkers over listings that change or clamp while they are paged: no row skipped, none repeated.

The fake server inserts rows at the front of the listed view, or deletes its first rows, right
after the ``after``-th page request (``mutate`` rules); or serves fewer rows than asked
(``clamp_page``). What the walker yields is compared with what the server holds at the end:
every row still there is yielded exactly once, and nothing is yielded that never existed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from airflow_async import AirflowClient, Paginator
from tests.fakes.fault_data import XComFilter
from tests.fakes.fault_server import DataSpec, FaultRule
from tests.faults.helpers import FaultsServer, client, serve

pytestmark = pytest.mark.filterwarnings("error")

SPEC = DataSpec(n_dags=3, runs_per_dag=20)  # 2,880 XComs, 60 DAG runs, 720 task instances

Row = tuple[Any, ...]

# (route, page size, how to list, the natural key of a listed item)
LISTINGS: dict[str, tuple[str, int, Callable[..., Paginator[Any]], Callable[[Any], Row]]] = {
    "xcom": (
        "xcom_list",
        100,
        lambda af, **kw: af.xcom.list(**kw),
        lambda e: (e.dag_id, e.execution_date.isoformat(), e.task_id, e.map_index, e.key),
    ),
    "dag_runs": (
        "dag_runs_list",
        7,
        lambda af, **kw: af.dag_runs.list(**kw),
        lambda r: (r.dag_id, r.dag_run_id),
    ),
    "task_instances": (
        "task_instances_list",
        40,
        lambda af, **kw: af.task_instances.list(**kw),
        lambda t: (t.dag_id, t.dag_run_id, t.task_id, t.map_index),
    ),
}


def rows_now(srv: FaultsServer, listing: str) -> list[Row]:
    """What the listing holds on the server now, in order, as natural keys."""
    data = srv.data
    if listing == "xcom":
        _, refs = data.xcom_page(XComFilter(), 0, 10**9)
        items = [data.xcom_item(ref) for ref in refs]
        return [
            (
                i["dag_id"],
                datetime.fromisoformat(i["execution_date"]).isoformat(),
                i["task_id"],
                i["map_index"],
                i["key"],
            )
            for i in items
        ]
    if listing == "dag_runs":
        _, pairs = data.runs_page(range(len(data.dag_ids)), 0, 10**9)
        return [(run["dag_id"], run["dag_run_id"]) for run in (data.run_json(d, r) for d, r in pairs)]
    _, triples = data.tis_page(None, None, 0, 10**9)
    tis = (data.ti_json(*t) for t in triples)
    return [(ti["dag_id"], ti["dag_run_id"], ti["task_id"], ti["map_index"]) for ti in tis]


async def walk(af: AirflowClient, listing: str, *, concurrent: bool) -> tuple[list[Row], Paginator[Any]]:
    _, page_size, make, key = LISTINGS[listing]
    paginator = make(af, page_size=page_size, concurrent=concurrent)
    return [key(item) async for item in paginator], paginator


MUTATIONS: dict[str, list[dict[str, Any]]] = {
    "insert": [dict(after=3, insert_rows=7)],
    "delete": [dict(after=3, delete_rows=5)],
    "insert_and_delete": [dict(after=2, insert_rows=4, delete_rows=9)],
    "several": [dict(after=2, insert_rows=5), dict(after=4, delete_rows=3), dict(after=6, insert_rows=11)],
}


@pytest.mark.parametrize("concurrent", [False, True], ids=["sequential", "concurrent"])
@pytest.mark.parametrize("mutation", list(MUTATIONS))
@pytest.mark.parametrize("listing", list(LISTINGS))
async def test_rows_changed_while_paging_are_neither_skipped_nor_repeated(
    listing: str, mutation: str, concurrent: bool
) -> None:
    async with serve(data=SPEC) as srv:
        before = rows_now(srv, listing)
        route = LISTINGS[listing][0]
        for i, change in enumerate(MUTATIONS[mutation]):
            srv.faults.add(FaultRule(kind="mutate", route=route, name=f"m{i}", **change))
        async with client(srv) as af:
            got, paginator = await walk(af, listing, concurrent=concurrent)
        after = rows_now(srv, listing)

    assert srv.stats.faults["mutate"] == len(MUTATIONS[mutation])  # the listing did change
    assert before != after
    assert len(got) == len(set(got)), "a row was yielded twice"
    assert set(after) <= set(got), f"skipped: {sorted(set(after) - set(got))[:5]}"
    assert set(got) <= set(before) | set(after), "yielded a row that never existed"
    assert paginator.rescans >= 1 and paginator.shortfall == 0


CLAMPS: dict[str, dict[str, Any]] = {
    "always": dict(page_limit=3),
    "every_3rd_page": dict(page_limit=3, every=3),
    "first_page_only": dict(page_limit=2, max_faults=1),
}


@pytest.mark.parametrize("concurrent", [False, True], ids=["sequential", "concurrent"])
@pytest.mark.parametrize("clamp", list(CLAMPS))
@pytest.mark.parametrize("listing", list(LISTINGS))
async def test_pages_shorter_than_asked_are_followed(listing: str, clamp: str, concurrent: bool) -> None:
    async with serve(data=SPEC) as srv:
        expected = rows_now(srv, listing)
        srv.faults.add(FaultRule(kind="clamp_page", route=LISTINGS[listing][0], **CLAMPS[clamp]))
        async with client(srv) as af:
            got, paginator = await walk(af, listing, concurrent=concurrent)
    assert srv.stats.faults["clamp_page"] > 0
    assert got == expected  # all of it, once, in the server's order
    assert paginator.shortfall == 0 and paginator.duplicates == 0


@pytest.mark.parametrize("concurrent", [False, True], ids=["sequential", "concurrent"])
async def test_clamped_pages_and_inserted_rows_together(concurrent: bool) -> None:
    async with serve(data=SPEC) as srv:
        srv.faults.add(FaultRule(kind="clamp_page", route="xcom_list", page_limit=30, every=2))
        srv.faults.add(FaultRule(kind="mutate", after=4, insert_rows=13, delete_rows=2))
        async with client(srv) as af:
            got, _ = await walk(af, "xcom", concurrent=concurrent)
        after = rows_now(srv, "xcom")
    assert len(got) == len(set(got)) and set(after) <= set(got)


async def test_a_walk_without_dedupe_says_the_listing_changed() -> None:
    async with serve(data=SPEC) as srv:
        srv.faults.add(FaultRule(kind="mutate", after=3, insert_rows=7))
        async with client(srv) as af:
            paginator = af.xcom.list(page_size=100, dedupe=False)
            got = [item async for item in paginator]
    assert paginator.changed_while_paging  # and a warning was logged
    keys = [item.natural_key for item in got]
    # it walked the offsets once, up to the new total: 7 rows came twice and the 7 new ones never
    assert len(keys) == 2_887 and len(set(keys)) == 2_880
    assert not any(key[4].startswith("inserted") for key in keys)
