"""The v1 run-id map keeps Airflow's own run ids short and gives every run id back exactly."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from airflow_async.api.v1.run_ids import _DagRuns


def test_every_run_id_comes_back_exactly_whatever_its_form() -> None:
    plus2 = timezone(timedelta(hours=2))
    runs = {
        datetime(2024, 1, 1, tzinfo=UTC): "scheduled__2024-01-01T00:00:00+00:00",
        datetime(2024, 1, 2, 12, 34, 56, 789012, tzinfo=UTC): "manual__2024-01-02T12:34:56.789012+00:00",
        datetime(2024, 1, 3, tzinfo=UTC): "my own id",  # a user's run id
        datetime(2024, 1, 4, tzinfo=UTC): "backfill__2024-01-04T00:00:00Z",  # not isoformat()
        datetime(2024, 1, 5, 2, tzinfo=plus2): "manual__2024-01-05T02:00:00+02:00",  # not UTC
        datetime(2024, 1, 6, tzinfo=UTC): "__2024-01-06T00:00:00+00:00",  # an empty run type
    }
    table = _DagRuns()
    for date, run_id in runs.items():
        table.add(date, run_id)
    assert len(table) == len(runs)
    for date, run_id in runs.items():
        assert table.get(date) == run_id
        # The same instant written in another zone (as another listing may send it).
        assert table.get(date.astimezone(timezone(timedelta(hours=-5)))) == run_id
    assert table.get(datetime(2024, 1, 7, tzinfo=UTC)) is None
    # A run listed again under another id (renamed between two listings) replaces the old one.
    table.add(datetime(2024, 1, 1, tzinfo=UTC), "renamed")
    assert table.get(datetime(2024, 1, 1, tzinfo=UTC)) == "renamed" and len(table) == len(runs)


def test_airflows_own_run_ids_take_a_fraction_of_a_plain_map() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    texts = [(start + timedelta(hours=i)).isoformat() for i in range(20_000)]

    def traced(fill: Callable[[datetime, str], None]) -> int:
        """Memory held after adding every run as a listing delivers it (fresh objects each)."""
        tracemalloc.start()
        try:
            for text in texts:
                fill(datetime.fromisoformat(text), f"scheduled__{text}")
            return tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    plain: dict[tuple[str, datetime], str] = {}  # what the map held before
    table = _DagRuns()
    before = traced(lambda date, run_id: plain.__setitem__(("dag", date), run_id))
    after = traced(table.add)
    assert after * 3 < before
    assert all(table.get(date) == run_id for (_, date), run_id in plain.items())
