"""API v2 DAG runs (update, batch listing, clears, bulk, the wait stream) and backfills, on the real 3.3.2.

Everything that writes works on runs and backfills the test makes and removes in ``finally``;
the seeded runs are only read or dry-run.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from airflow_async import (
    AirflowClient,
    Conflict,
    NotFound,
    PasswordAuth,
    UsageError,
    ValidationError,
)
from airflow_async.api.v2.filters import CURSOR_SINCE
from airflow_async.models import DAGRunSnapshot

from .conftest import Airflow3Info
from .releases import at_least, needs_release

pytestmark = pytest.mark.integration

#: Seeded runs were made to run in 2024; the runs tests make run "now".
SEEDED_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)


def _client(af: Airflow3Info) -> AirflowClient:
    return AirflowClient(af.url, auth=PasswordAuth(*af.admin))


def _run_id() -> str:
    return f"test_runs_{secrets.token_hex(4)}"


@contextlib.asynccontextmanager
async def _own_runs(af: AirflowClient, count: int, dag_id: str = "harvest_empty") -> AsyncIterator[list[str]]:
    """Trigger ``count`` runs of ``dag_id`` and delete them afterwards."""
    ids = [_run_id() for _ in range(count)]
    try:
        for run_id in ids:
            await af.dag_runs.trigger(dag_id, dag_run_id=run_id)
        yield ids
    finally:
        for run_id in ids:
            with contextlib.suppress(NotFound):
                await af.dag_runs.delete(dag_id, run_id)


async def _seeded(af: AirflowClient, dag_id: str) -> list[tuple[str, str | None, str | None]]:
    runs = await af.dag_runs.list(dag_id, run_after_lte=SEEDED_BEFORE).all()
    return sorted((r.dag_run_id, r.state, r.note) for r in runs)


async def test_update_changes_only_the_fields_given(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af, _own_runs(af, 1) as (run_id,):
        noted = await af.dag_runs.update("harvest_empty", run_id, note="first")
        assert (noted.state, noted.note) == ("queued", "first")
        # Two fields: the mask must name both (the server ignores a comma-joined mask).
        both = await af.dag_runs.update("harvest_empty", run_id, state="failed", note="second")
        assert (both.state, both.note) == ("failed", "second")
        assert (await af.dag_runs.set_state("harvest_empty", run_id, "success")).state == "success"
        kept = await af.dag_runs.set_note("harvest_empty", run_id, "third")
        assert (kept.state, kept.note) == ("success", "third")
        got = await af.dag_runs.get("harvest_empty", run_id)
        assert (got.state, got.note) == ("success", "third")
        with pytest.raises(UsageError, match="nothing to update: pass at least one of state= or note="):
            await af.dag_runs.update("harvest_empty", run_id)
        with pytest.raises(UsageError, match="state must be one of"):
            await af.dag_runs.update("harvest_empty", run_id, state="running")
        with pytest.raises(NotFound):
            await af.dag_runs.update("harvest_empty", "no_such_run", note="x")


async def test_list_batch_pages_with_v2_filter_names(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        seeded = await _seeded(af, "harvest_other")
        with needs_release(af, "3.1.0") as strict:  # the batch body's _gt/_lt bounds are 3.1+
            af.dag_runs.list_batch(run_after_lt=SEEDED_BEFORE)
        before = {"run_after_lt" if strict else "run_after_lte": SEEDED_BEFORE}
        batch = af.dag_runs.list_batch(
            dag_ids=["harvest_other"],
            order_by="run_after",
            page_size=3,
            **before,  # type: ignore[arg-type]
        )
        runs = await batch.all()
        assert batch.total_entries == len(seeded) > 3 and batch.pages_fetched >= 2
        assert sorted(r.dag_run_id for r in runs) == [r[0] for r in seeded]
        assert [r.run_after for r in runs] == sorted(r.run_after for r in runs)
        succeeded = af.dag_runs.list_batch(
            dag_ids=["harvest_other"],
            states=["success"],
            **before,  # type: ignore[arg-type]
        )
        assert {r.state for r in await succeeded.all()} == {"success"}
        assert succeeded.total_entries == len([r for r in seeded if r[1] == "success"])
        with pytest.raises(UsageError, match="unexpected keyword argument"):
            af.dag_runs.list_batch(execution_date_gte=SEEDED_BEFORE)  # type: ignore[call-arg]
        with pytest.raises(UsageError, match="needs a timezone"):
            af.dag_runs.list_batch(run_after_gte=datetime(2024, 1, 1))


async def test_dag_run_and_task_instance_listings_page_by_cursor_on_3_2_2_and_later(
    airflow3: Airflow3Info,
) -> None:
    async with _client(airflow3) as af:
        cursors = at_least(af, CURSOR_SINCE)  # older servers page these listings by offset only
        by_cursor = af.dag_runs.list("~", page_size=7)
        by_offset = af.dag_runs.list("~", page_size=7, cursor=False)
        concurrent = af.dag_runs.list("~", page_size=7, concurrent=True)
        assert by_cursor.by_cursor is cursors and not by_offset.by_cursor and not concurrent.by_cursor
        cursor_runs = [(r.dag_id, r.dag_run_id) for r in await by_cursor.all()]
        offset_runs = [(r.dag_id, r.dag_run_id) for r in await by_offset.all()]
        assert len(cursor_runs) == len(set(cursor_runs)) > 100
        assert cursor_runs == offset_runs  # the same rows in the same order, one after the other
        assert by_cursor.pages_fetched == by_offset.pages_fetched == -(-len(cursor_runs) // 7)
        tis = af.task_instances.list("harvest_demo", "~", page_size=50)
        keyed = [(t.dag_run_id, t.task_id, t.map_index) for t in await tis.all()]
        assert tis.by_cursor is cursors and len(keyed) == len(set(keyed))
        # 3.2's cursor pages carry no count (total_entries null); 3.3's and offset pages do.
        counted = not cursors or at_least(af, "3.3.0")
        assert tis.total_entries == (len(keyed) if counted else None)
        with needs_release(af, CURSOR_SINCE):
            af.dag_runs.list("~", cursor=True)
        with pytest.raises(UsageError, match="has no cursor paging"):
            af.pools.list(cursor=True)
        if cursors:
            with pytest.raises(UsageError, match="cursor paging walks from the first row"):
                af.dag_runs.list("~", cursor=True, offset=3)
        else:  # NotSupportedByServer is a UsageError: asserted apart
            with needs_release(af, CURSOR_SINCE):
                af.dag_runs.list("~", cursor=True, offset=3)


async def test_clear_dry_run_lists_task_instances_and_a_real_clear_requeues_an_own_run(
    airflow3: Airflow3Info,
) -> None:
    async with _client(airflow3) as af:
        seeded = (await af.dag_runs.list("harvest_demo", run_after_lte=SEEDED_BEFORE, max_items=1).all())[0]
        tis = await af.task_instances.list("harvest_demo", seeded.dag_run_id).all()
        would = await af.dag_runs.clear("harvest_demo", seeded.dag_run_id, dry_run=True)
        # v2 sends whole task instances: the map index tells the mapped ones apart.
        assert sorted((t.task_id, t.map_index) for t in would) == sorted(
            (t.task_id, t.map_index) for t in tis
        )
        assert {t.dag_run_id for t in would} == {seeded.dag_run_id}
        failed_only = await af.dag_runs.clear(
            "harvest_demo", seeded.dag_run_id, dry_run=True, only_failed=True
        )
        assert failed_only == [t for t in would if t.state in ("failed", "upstream_failed")]
        assert (await af.dag_runs.get("harvest_demo", seeded.dag_run_id)).state == seeded.state
        with pytest.raises(UsageError, match="only_new and only_failed exclude each other"):
            await af.dag_runs.clear(
                "harvest_demo", seeded.dag_run_id, dry_run=True, only_new=True, only_failed=True
            )

        async with _own_runs(af, 1) as (run_id,):
            await af.dag_runs.set_state("harvest_empty", run_id, "success")
            own = await af.dag_runs.clear("harvest_empty", run_id, dry_run=True)
            assert [(t.task_id, t.dag_run_id) for t in own] == [("nothing", run_id)]
            with needs_release(af, "3.3.0") as notes:  # DAGRunClearBody.note is 3.3+
                cleared = await af.dag_runs.clear(
                    "harvest_empty", run_id, dry_run=False, note="cleared by a test"
                )
            if not notes:
                cleared = await af.dag_runs.clear("harvest_empty", run_id, dry_run=False)
            assert (cleared.dag_run_id, cleared.state, cleared.note) == (
                run_id,
                "queued",
                "cleared by a test" if notes else None,
            )


async def test_clear_many_and_clear_partitions(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        seeded = await af.dag_runs.list("harvest_demo", run_after_lte=SEEDED_BEFORE, max_items=2).all()
        ids = [r.dag_run_id for r in seeded]
        with needs_release(af, "3.3.0") as available:  # clear_dag_runs, clear_dag_run_partitions
            would = await af.dag_runs.clear_many("harvest_demo", ids, dry_run=True)
        if not available:
            with needs_release(af, "3.3.0"):
                await af.dag_runs.clear_partitions("harvest_demo", dag_run_id=ids[0], dry_run=True)
            return
        one = await af.dag_runs.clear("harvest_demo", ids[0], dry_run=True)
        assert {t.dag_run_id for t in would} == set(ids)
        assert len(would) == len(one) + len(await af.dag_runs.clear("harvest_demo", ids[1], dry_run=True))
        # No seeded run has a partition key: choosing by one finds nothing.
        assert await af.dag_runs.clear_many("harvest_demo", partition_key="no-such-key", dry_run=True) == []
        counted = await af.dag_runs.clear_partitions(
            "harvest_demo", partition_date_start=datetime(2024, 1, 1, tzinfo=UTC), dry_run=True
        )
        assert (counted.dag_runs_cleared, counted.task_instances_cleared, counted.dry_run) == (0, 0, True)
        with pytest.raises(UsageError, match="choose the runs in exactly one way"):
            await af.dag_runs.clear_many("harvest_demo", ids, partition_key="k", dry_run=True)
        with pytest.raises(UsageError, match="choose the runs in exactly one way"):
            await af.dag_runs.clear_partitions("harvest_demo", dry_run=True)
        with pytest.raises(NotFound):
            await af.dag_runs.clear_many("harvest_demo", ["no_such_run"], dry_run=True)

        async with _own_runs(af, 2) as own:
            for run_id in own:
                await af.dag_runs.set_state("harvest_empty", run_id, "failed")
            cleared = await af.dag_runs.clear_many("harvest_empty", own, dry_run=False)
            assert sorted((r.dag_run_id, r.state) for r in cleared) == sorted((r, "queued") for r in own)
            reset = await af.dag_runs.clear_partitions("harvest_empty", dag_run_id=own[0], dry_run=False)
            # A run without a partition key has nothing to reset (the harness has no partitioned DAG).
            assert (reset.dag_runs_cleared, reset.task_instances_cleared, reset.dry_run) == (0, 0, False)


async def test_bulk_updates_and_deletes_own_runs(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af, _own_runs(af, 2) as (kept, dropped):
        with needs_release(af, "3.3.0") as available:  # bulk_dag_runs
            result = await af.dag_runs.bulk(
                "harvest_empty",
                update=[{"dag_run_id": kept, "state": "failed", "note": "bulk"}],
                delete=[dropped],
            )
        if not available:
            return
        assert result.ok
        assert result.update is not None and result.update.success == (f"harvest_empty.{kept}",)
        assert result.delete is not None and result.delete.success == (f"harvest_empty.{dropped}",)
        got = await af.dag_runs.get("harvest_empty", kept)
        assert (got.state, got.note) == ("failed", "bulk")
        with pytest.raises(NotFound):
            await af.dag_runs.get("harvest_empty", dropped)
        missing = await af.dag_runs.bulk("harvest_empty", delete=[dropped])
        assert not missing.ok and [e.status_code for _, e in missing.errors] == [404]
        with pytest.raises(NotFound):
            missing.raise_for_errors()
        skipped = await af.dag_runs.bulk("harvest_empty", delete=[dropped], action_on_non_existence="skip")
        assert skipped.ok and skipped.delete is not None and skipped.delete.success == ()


async def test_upstream_asset_events_of_a_run_not_triggered_by_an_asset(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af, _own_runs(af, 1, dag_id="asset_consumer") as (run_id,):
        assert await af.dag_runs.upstream_asset_events("asset_consumer", run_id) == []
        with pytest.raises(NotFound):
            await af.dag_runs.upstream_asset_events("asset_consumer", "no_such_run")


async def test_wait_until_finished_yields_each_snapshot_until_the_run_finishes(
    airflow3: Airflow3Info,
) -> None:
    async with _client(airflow3) as af, _own_runs(af, 1) as (run_id,):
        with needs_release(af, "3.1.0") as available:  # wait_dag_run_until_finished
            af.dag_runs.wait_until_finished("harvest_empty", run_id, interval=0.2)
        if not available:
            return
        seen: list[DAGRunSnapshot] = []
        finisher: asyncio.Task[object] | None = None
        stream = af.dag_runs.wait_until_finished("harvest_empty", run_id, interval=0.2)
        async with contextlib.aclosing(stream):
            async for snapshot in stream:
                seen.append(snapshot)
                if finisher is None:
                    # The first snapshot came while the run was still queued: finish it now,
                    # from a second task, while the stream stays open.
                    assert snapshot.state == "queued" and not snapshot.finished
                    finisher = asyncio.create_task(
                        af.dag_runs.update("harvest_empty", run_id, state="success")
                    )
        assert finisher is not None
        await finisher
        assert seen[-1].state == "success" and seen[-1].finished
        assert all(not s.finished for s in seen[:-1])
        with pytest.raises(NotFound):
            async for _ in af.dag_runs.wait_until_finished("harvest_empty", "no_such_run"):
                pass
        with pytest.raises(UsageError, match="interval must be seconds > 0"):
            af.dag_runs.wait_until_finished("harvest_empty", run_id, interval=0)


async def test_backfill_lifecycle_on_2023_dates(airflow3: Airflow3Info) -> None:
    start, end = datetime(2023, 3, 1, tzinfo=UTC), datetime(2023, 3, 3, tzinfo=UTC)
    async with _client(airflow3) as af:
        before = await _seeded(af, "harvest_other")
        planned = await af.backfills.dry_run("harvest_other", start, end)
        assert [p.logical_date for p in planned] == [datetime(2023, 3, d, tzinfo=UTC) for d in (1, 2, 3)]
        # 3.3: "... non-periodic schedule"; before: "harvest_empty has no schedule".
        with pytest.raises(ValidationError, match=r"non-periodic schedule|has no schedule"):
            await af.backfills.dry_run("harvest_empty", start, end)
        backfill = None
        try:
            backfill = await af.backfills.create(
                "harvest_other", start, end, max_active_runs=2, dag_run_conf={"b": 1}
            )
            assert (backfill.dag_id, backfill.from_date, backfill.to_date) == ("harvest_other", start, end)
            assert (backfill.max_active_runs, backfill.dag_run_conf, backfill.completed_at) == (
                2,
                {"b": 1},
                None,
            )
            assert (await af.backfills.get(backfill.id)).id == backfill.id
            listed = await af.backfills.list("harvest_other").all()
            assert backfill.id in {b.id for b in listed}
            runs = await af.dag_runs.list("harvest_other", logical_date_gte=start, logical_date_lte=end).all()
            assert sorted((r.logical_date, r.run_type, r.state, r.conf) for r in runs) == [
                (p.logical_date, "backfill", "queued", {"b": 1}) for p in planned
            ]
            with pytest.raises(Conflict, match="already a running backfill"):
                await af.backfills.create("harvest_other", start, end)
            assert (await af.backfills.pause(backfill.id)).is_paused is True
            assert (await af.backfills.unpause(backfill.id)).is_paused is False
            cancelled = await af.backfills.cancel(backfill.id)
            assert cancelled.completed_at is not None
            failed = await af.dag_runs.list(
                "harvest_other", logical_date_gte=start, logical_date_lte=end
            ).all()
            assert {r.state for r in failed} == {"failed"}  # cancelling fails its queued runs
            with pytest.raises(Conflict, match="already completed"):
                await af.backfills.pause(backfill.id)
        finally:
            if backfill is not None:
                with contextlib.suppress(Conflict):
                    await af.backfills.cancel(backfill.id)
            for run in await af.dag_runs.list(
                "harvest_other", logical_date_gte=start, logical_date_lte=end
            ).all():
                await af.dag_runs.delete("harvest_other", run.dag_run_id)
        assert (
            await af.dag_runs.list("harvest_other", logical_date_gte=start, logical_date_lte=end).all() == []
        )
        assert await _seeded(af, "harvest_other") == before
        with pytest.raises(NotFound):
            await af.backfills.get(10**9)
        with pytest.raises(UsageError, match="reprocess_behavior must be one of"):
            await af.backfills.create("harvest_other", start, end, reprocess_behavior="all")
