"""API v1: finding the run id of an XCom entry, which v1 listings do not carry."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ...errors import RunNotFound
from ...harvest import HarvestStats
from ...models import XComEntry

if TYPE_CHECKING:
    from .dag_runs import DAGRunResource

__all__ = ["RunIdMap"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class _DagRuns:
    """One DAG's ``execution_date -> dag_run_id``, in about a quarter of a plain dict's memory.

    Airflow names the runs it makes ``<run_type>__<execution date, ISO 8601>``
    (``scheduled__2024-01-01T00:00:00+00:00``): a run id that is exactly that, with the date in
    UTC, is kept as its run type alone (one shared string per type), any other run id in full.
    Dates are keyed as microseconds since the epoch (an int, not a datetime in a tuple). Nothing
    is guessed: the short form is kept only for a run id seen to equal it.
    """

    __slots__ = ("full", "typed")

    def __init__(self) -> None:
        self.typed: dict[int, str] = {}
        self.full: dict[int, str] = {}

    def add(self, date: datetime, run_id: str) -> None:
        """Remember the run id of the run at ``date``."""
        at = (date - _EPOCH) // _MICROSECOND
        run_type, sep, rest = run_id.partition("__")
        if sep and date.utcoffset() == timedelta(0) and rest == date.isoformat():
            self.typed[at] = sys.intern(run_type)
            self.full.pop(at, None)
        else:
            self.full[at] = run_id
            self.typed.pop(at, None)

    def get(self, date: datetime) -> str | None:
        """The run id of the run at ``date``, if one was listed."""
        at = (date - _EPOCH) // _MICROSECOND
        run_type = self.typed.get(at)
        if run_type is not None:  # the run's own date, in UTC as it was written
            return f"{run_type}__{(_EPOCH + at * _MICROSECOND).isoformat()}"
        return self.full.get(at)

    def __len__(self) -> int:
        return len(self.typed) + len(self.full)


class RunIdMap:
    """``(dag_id, execution_date) -> dag_run_id``, built from DAG-run listings.

    v1 XCom listings carry ``execution_date`` but no run id, and a run id's format cannot be
    guessed (``manual__...``, ``scheduled__...``, or anything a user chose), so the runs are
    listed alongside the entries and each entry is looked up by its DAG and date. A run that
    appeared after the listing (an entry whose date is not in the map) makes the map list that
    DAG's runs once more. Counts go to ``stats`` (``runs_mapped``, ``run_map_refreshes``).
    """

    def __init__(self, dag_runs: DAGRunResource, dag_id: str, stats: HarvestStats) -> None:
        self._dag_runs = dag_runs
        self._dag_id = dag_id
        self._stats = stats
        self._map: dict[str, _DagRuns] = {}
        self._refreshed: set[str] = set()
        self._lock = asyncio.Lock()
        self._ready: asyncio.Task[None] | None = None

    def start(self) -> None:
        """List the runs in the background."""
        self._ready = asyncio.ensure_future(self._load(self._dag_id))

    def reload_if_failed(self) -> None:
        """List the runs again if the listing failed (before a later round of the harvest)."""
        ready = self._ready
        if ready is not None and ready.done() and not ready.cancelled() and ready.exception() is not None:
            self.start()

    async def close(self) -> None:
        """Cancel the listing if it still runs, and collect its outcome."""
        if self._ready is None:
            return
        if not self._ready.done():
            self._ready.cancel()
        # Also retrieves a failure no entry awaited (the listing failed first), which asyncio
        # would otherwise report as "Task exception was never retrieved".
        await asyncio.gather(self._ready, return_exceptions=True)

    async def _load(self, dag_id: str) -> None:
        async for run in self._dag_runs.list(dag_id, concurrent=True):
            date = run.execution_date or run.logical_date
            if date is not None:
                runs = self._map.get(run.dag_id)
                if runs is None:
                    runs = self._map[run.dag_id] = _DagRuns()
                runs.add(date, run.dag_run_id)
        self._stats.runs_mapped = sum(map(len, self._map.values()))

    async def resolve(self, entry: XComEntry) -> str:
        """The run id of ``entry``, once the listing has come in."""
        if self._ready is None:
            self.start()
        assert self._ready is not None
        if not self._ready.done():
            await asyncio.shield(self._ready)  # many fetches wait on one listing; none may cancel it
        self._ready.result()  # the listing's error, if it failed
        if entry.execution_date is None:
            raise RunNotFound(f"XCom entry {entry.natural_key} has no execution_date to find its run by")
        found = self._find(entry.dag_id, entry.execution_date)
        if found is not None:
            return found
        async with self._lock:  # a run created after the map was built: list that DAG's runs once
            if entry.dag_id not in self._refreshed:
                self._refreshed.add(entry.dag_id)
                self._stats.run_map_refreshes += 1
                await self._load(entry.dag_id)
        found = self._find(entry.dag_id, entry.execution_date)
        if found is None:
            raise RunNotFound(
                f"no DAG run of {entry.dag_id!r} has execution_date {entry.execution_date.isoformat()} "
                "(the run may have been deleted after the XCom listing)"
            )
        return found

    def _find(self, dag_id: str, date: datetime) -> str | None:
        runs = self._map.get(dag_id)
        return runs.get(date) if runs is not None else None
