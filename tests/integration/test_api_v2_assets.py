"""``client.assets`` (API v2) against the real Airflow 3.3.2: assets, aliases, events, queued events.

The harness declares one asset (``harness_asset_one``, produced by ``asset_producer.produce``,
scheduling ``asset_consumer``) and one alias (``harness_alias``). Asset events cannot be deleted
through the API; no other test counts them. Queued events and runs made here are removed.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from airflow_async import AirflowClient, BadRequest, NotFound, PasswordAuth, UsageError
from airflow_async.models import AssetEvent, AssetQueuedEvent

from .conftest import Airflow3Info
from .releases import at_least, needs_release

pytestmark = pytest.mark.integration

ASSET = "harness_asset_one"
URI = "file:///tmp/airflow-async/harness-asset-one"
CONSUMER = "asset_consumer"
PRODUCER = "asset_producer"
MISSING = 987_654


def _client(af: Airflow3Info) -> AirflowClient:
    return AirflowClient(af.url, auth=PasswordAuth(*af.admin))


async def _asset_id(af: AirflowClient) -> int:
    [asset] = await af.assets.list(name_pattern=ASSET).all()
    return asset.id


async def _drop_queue(af: AirflowClient) -> None:
    with contextlib.suppress(NotFound):
        await af.assets.delete_dag_queued_events(CONSUMER)


@contextlib.asynccontextmanager
async def _consumer_unpaused(af: AirflowClient) -> AsyncIterator[None]:
    """``asset_consumer`` unpaused (a paused DAG gets no queued events), paused back after."""
    await af.dags.unpause(CONSUMER)
    try:
        yield
    finally:
        await af.dags.pause(CONSUMER)
        await _drop_queue(af)


async def test_the_asset_names_its_consumer_and_producer(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        asset_id = await _asset_id(af)
        asset = await af.assets.get(asset_id)
        assert (asset.name, asset.uri, asset.group) == (ASSET, URI, "asset")
        assert [d.dag_id for d in asset.scheduled_dags] == [CONSUMER]
        assert [(t.dag_id, t.task_id) for t in asset.producing_tasks] == [(PRODUCER, "produce")]
        assert asset.consuming_tasks == [] and asset.watchers == []
        assert asset.created_at is not None and asset.created_at.tzinfo is not None


async def test_the_asset_listing_filters(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        asset_id = await _asset_id(af)

        async def ids(**filters: object) -> list[int]:
            return [a.id for a in await af.assets.list(**filters).all()]  # type: ignore[arg-type]

        assert await ids(name_pattern="ASSET_ONE") == [asset_id]  # case-insensitive substring
        assert await ids(name_pattern="no_such_asset") == []
        with needs_release(af, "3.2.0"):  # the prefix patterns
            assert await ids(name_prefix_pattern="harness_") == [asset_id]
            assert await ids(name_prefix_pattern="HARNESS_") == []  # the prefix is case-sensitive
        assert await ids(uri_pattern="airflow-async/harness") == [asset_id]
        with needs_release(af, "3.2.0"):
            assert await ids(uri_prefix_pattern="s3://") == []
        assert await ids(dag_ids=[PRODUCER]) == [asset_id]
        assert await ids(dag_ids=["harvest_demo"]) == []
        assert asset_id in await ids(only_active=False, order_by="-id", page_size=1)
        with needs_release(af, "3.1.0"):  # several sort keys
            assert asset_id in await ids(only_active=False, order_by=["-id", "name"], page_size=1)
        with pytest.raises(BadRequest, match="'bogus' is disallowed"):  # order_by reaches the server
            await ids(order_by="-bogus")


async def test_aliases_are_listed_and_fetched(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        [alias] = await af.assets.aliases(name_pattern="harness").all()
        assert alias.name == "harness_alias" and alias.group == "asset"
        assert await af.assets.aliases(name_pattern="nothing_like_it").all() == []
        assert await af.assets.aliases(name_pattern="harness_al", order_by="-name").all() == [alias]
        with needs_release(af, "3.2.0"):
            assert await af.assets.aliases(name_prefix_pattern="harness_al").all() == [alias]
        assert await af.assets.alias(alias.id) == alias
        with pytest.raises(BadRequest, match="'bogus' is disallowed"):
            await af.assets.aliases(order_by="bogus").all()
        with pytest.raises(NotFound):
            await af.assets.alias(MISSING)


async def _event(af: AirflowClient, asset_id: int) -> tuple[AssetEvent, str]:
    mark = secrets.token_hex(4)
    return await af.assets.create_event(asset_id, extra={"test": mark, "n": [1, 2]}), mark


async def test_an_event_is_listed_with_its_extra_and_found_by_filter(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        asset_id = await _asset_id(af)
        await _drop_queue(af)
        event, mark = await _event(af, asset_id)  # asset_consumer is paused: nothing is queued
        assert (event.asset_id, event.uri, event.name) == (asset_id, URI, ASSET)
        assert event.extra == {"test": mark, "n": [1, 2], "from_rest_api": True}
        assert event.source_dag_id is None and event.source_map_index == -1
        assert event.created_dagruns == [] and event.timestamp is not None
        assert await af.assets.dag_queued_events(CONSUMER) == []
        assert await af.assets.queued_events(asset_id) == []

        when = event.timestamp
        newest = await af.assets.events(asset_id=asset_id, order_by="-timestamp", max_items=1).all()
        assert newest == [event]
        oldest = await af.assets.events(asset_id=asset_id, order_by=["timestamp"], max_items=1).all()
        assert oldest[0].id <= event.id
        with pytest.raises(BadRequest, match="'bogus' is disallowed"):
            await af.assets.events(order_by="bogus").all()
        since = await af.assets.events(asset_id=asset_id, timestamp_gte=when).all()
        assert event.id in [e.id for e in since]
        assert [e.extra for e in since if e.id == event.id] == [event.extra]
        with needs_release(af, "3.2.0"):  # the asset name filters of the event listing
            named = await af.assets.events(name_prefix_pattern=ASSET, timestamp_gte=when).all()
            assert [e.id for e in named] == [e.id for e in since]
        with needs_release(af, "3.1.0"):  # the strict bounds
            after = await af.assets.events(asset_id=asset_id, timestamp_gt=when).all()
            assert event.id not in [e.id for e in after]
        assert await af.assets.events(source_dag_id=PRODUCER, timestamp_gte=when).all() == []
        assert await af.assets.events(asset_id=MISSING).all() == []
        last = (await af.assets.get(asset_id)).last_asset_event
        if at_least(af, "3.1.0"):  # last_asset_event is 3.1+
            assert last is not None and last.id is not None and last.id >= event.id
        else:
            assert last is None


async def test_an_event_queues_for_the_unpaused_consumer_until_deleted(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        asset_id = await _asset_id(af)
        await _drop_queue(af)
        async with _consumer_unpaused(af):
            event, _ = await _event(af, asset_id)
            queued = await af.assets.dag_queued_events(CONSUMER)
            shown = CONSUMER if at_least(af, "3.1.0") else None  # dag_display_name: 3.1+
            assert [(q.dag_id, q.asset_id, q.dag_display_name) for q in queued] == [
                (CONSUMER, asset_id, shown)
            ]
            [one] = queued
            assert isinstance(one, AssetQueuedEvent) and one.created_at is not None
            assert await af.assets.queued_events(asset_id) == queued
            assert await af.assets.dag_queued_event(CONSUMER, asset_id) == one
            # ``before`` keeps what was queued before it.
            earlier = one.created_at - timedelta(seconds=1)
            assert await af.assets.queued_events(asset_id, before=earlier) == []
            assert await af.assets.dag_queued_events(CONSUMER, before=earlier) == []
            with pytest.raises(NotFound):
                await af.assets.dag_queued_event(CONSUMER, asset_id, before=earlier)
            with pytest.raises(NotFound):
                await af.assets.delete_dag_queued_event(CONSUMER, asset_id, before=earlier)
            # Another asset id matches nothing and leaves this one queued.
            with pytest.raises(NotFound):
                await af.assets.dag_queued_event(CONSUMER, MISSING)
            with pytest.raises(NotFound):
                await af.assets.delete_dag_queued_event(CONSUMER, MISSING)
            with pytest.raises(NotFound):
                await af.assets.delete_queued_events(MISSING)
            with pytest.raises(NotFound):
                await af.assets.delete_dag_queued_events("harvest_empty")
            assert await af.assets.dag_queued_events(CONSUMER) == queued
            # A second event for the same (DAG, asset) keeps the one queue entry.
            await _event(af, asset_id)
            assert len(await af.assets.dag_queued_events(CONSUMER)) == 1

            await af.assets.delete_dag_queued_event(CONSUMER, asset_id)
            assert await af.assets.dag_queued_events(CONSUMER) == []
            with pytest.raises(NotFound):
                await af.assets.delete_dag_queued_event(CONSUMER, asset_id)
            with pytest.raises(NotFound):
                await af.assets.dag_queued_event(CONSUMER, asset_id)

            await _event(af, asset_id)
            await af.assets.delete_queued_events(asset_id)
            assert await af.assets.queued_events(asset_id) == []
            with pytest.raises(NotFound):
                await af.assets.delete_queued_events(asset_id)

            await _event(af, asset_id)
            await af.assets.delete_dag_queued_events(CONSUMER)
            assert await af.assets.dag_queued_events(CONSUMER) == []
            with pytest.raises(NotFound):
                await af.assets.delete_dag_queued_events(CONSUMER)
            assert event.created_dagruns == []  # no scheduler: the queue made no run
        assert (await af.dags.get(CONSUMER)).is_paused is True


async def test_materialize_creates_a_run_of_the_producer(airflow3: Airflow3Info) -> None:
    run_id = f"test_materialize_{secrets.token_hex(4)}"
    async with _client(airflow3) as af:
        asset_id = await _asset_id(af)
        # Before 3.2 materialize takes no body: no run id, conf or note can be given.
        with needs_release(af, "3.2.0") as takes_a_body:
            run = await af.assets.materialize(asset_id, dag_run_id=run_id, conf={"k": 1}, note="made")
        if not takes_a_body:
            run = await af.assets.materialize(asset_id)
            try:
                # The run type asset_materialization is 3.2+: 3.0 and 3.1 make a manual run.
                assert (run.dag_id, run.run_type, run.state) == (PRODUCER, "manual", "queued")
                assert run.dag_run_id.startswith("manual__")
            finally:
                await af.dag_runs.delete(PRODUCER, run.dag_run_id)
            return
        try:
            assert (run.dag_id, run.dag_run_id) == (PRODUCER, run_id)
            assert (run.run_type, run.state, run.conf, run.note) == (
                "asset_materialization",
                "queued",
                {"k": 1},
                "made",
            )
            got = await af.dag_runs.get(PRODUCER, run_id)
            assert (got.run_type, got.triggered_by) == ("asset_materialization", "rest_api")
        finally:
            await af.dag_runs.delete(PRODUCER, run.dag_run_id)
        generated = await af.assets.materialize(asset_id)  # the server names the run
        try:
            assert generated.dag_id == PRODUCER
            assert generated.dag_run_id.startswith("asset_materialization__")
        finally:
            await af.dag_runs.delete(PRODUCER, generated.dag_run_id)
        with pytest.raises(NotFound):
            await af.dag_runs.get(PRODUCER, run_id)


async def test_a_missing_asset_is_not_found(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        with pytest.raises(NotFound, match=str(MISSING)):
            await af.assets.get(MISSING)
        with pytest.raises(NotFound):
            await af.assets.create_event(MISSING, extra={"x": 1})
        with pytest.raises(NotFound, match=r"(?i)No Dag materializes"):  # "No DAG" before 3.2
            await af.assets.materialize(MISSING)
        with pytest.raises(NotFound):
            await af.assets.delete_queued_events(MISSING)
        assert await af.assets.queued_events(MISSING) == []  # a listing: empty, not 404
        assert await af.assets.dag_queued_events("no_such_dag") == []


async def test_bad_arguments_are_usage_errors(airflow3: Airflow3Info) -> None:
    naive = datetime(2024, 1, 1)
    async with _client(airflow3) as af:
        with pytest.raises(UsageError, match="asset_id"):
            await af.assets.get("1")  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="asset_id"):
            await af.assets.get(0)
        with pytest.raises(UsageError, match="list of strings"):
            af.assets.list(dag_ids=CONSUMER)
        with pytest.raises(UsageError, match="only_active"):
            af.assets.list(only_active="yes")  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="page_size"):
            af.assets.list(pagesize=10)  # type: ignore[call-arg]
        with pytest.raises(UsageError, match="timezone"):
            af.assets.events(timestamp_gte=naive)
        with pytest.raises(UsageError, match="source_map_index"):
            af.assets.events(source_map_index=-2)
        with pytest.raises(UsageError, match="extra must be a dict"):
            await af.assets.create_event(1, extra=[1])  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="conf must be a dict"):
            await af.assets.materialize(1, conf="{}")  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="timezone"):
            await af.assets.queued_events(1, before=naive)
        with pytest.raises(UsageError, match="dag_id"):
            await af.assets.dag_queued_event("", 1)
        with pytest.raises(UsageError, match="asset_alias_id"):
            await af.assets.alias(None)  # type: ignore[arg-type]
