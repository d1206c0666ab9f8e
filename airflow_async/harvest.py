"""XCom harvesting: list every matching entry, fetch every value concurrently, stream results.

The harvest is a pipeline. The XCom listing is read a few pages ahead while the
values of entries already listed are being fetched, so the first values arrive
before the listing ends and memory is bounded by the concurrency and the page
size, not by the number of entries. v1 listings carry no run id: the harvest maps
``(dag_id, execution_date)`` to ``dag_run_id`` from a DAG-run listing made
alongside, never by guessing the id's format.

Nothing is lost silently: every listed entry ends as exactly one
:class:`HarvestResult`, either with its value or with the error that stopped it,
so at the end ``listed == delivered + failed`` (plus ``cancelled`` when the
consumer stopped early, and ``skipped`` for entries a ``skip`` predicate passed over).

An entry whose fetch failed with an error that may pass (a connection reset, a
timeout, 429, 5xx, a body cut short: what the retry policy retries) after the
request's own retries is not reported yet: it is set aside and fetched again in
a later round, once the rest of the work is done (see :class:`~airflow_async.retry.Requeue`). Only
what still fails in the last round, or fails for good (404, 403, too large), is
reported as a failure.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol, TypedDict, Unpack

import attrs

from ._closing import AsyncClosing
from ._validate import check_id, check_map_index
from .errors import (
    AirflowError,
    HarvestAborted,
    ResponseTooLarge,
    RunNotFound,
    TransportError,
    UsageError,
)
from .fanout import FanOut, bounded_map, read_ahead
from .models import XCom, XComEntry
from .retry import Requeue

__all__ = ["Harvest", "HarvestResult", "HarvestStats"]

log = logging.getLogger("airflow_async")

_DEFAULT_REQUEUE = Requeue()


@attrs.frozen(kw_only=True)
class HarvestResult:
    """The outcome for one listed XCom entry: its value, or the error that stopped it.

    Attributes:
        entry: The listed entry, with ``dag_run_id`` filled in when it was found.
        value: The fetched XCom (``None`` on failure).
        error: The error after retries (``None`` on success).
    """

    entry: XComEntry
    value: XCom | None = None
    error: AirflowError | None = None

    @property
    def ok(self) -> bool:
        """Whether the value was fetched."""
        return self.error is None


@attrs.define(kw_only=True)
class HarvestStats:
    """Counts of a harvest, readable while it runs and after.

    Invariant once the harvest ends: ``listed == delivered + failed + cancelled + skipped``.
    """

    listed: int = 0
    delivered: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0
    #: Fetches set aside after a transient failure and tried again in a later round
    #: (an entry set aside in two rounds counts twice).
    requeued: int = 0
    #: Entries delivered in a later round after their first fetch failed.
    recovered: int = 0
    #: Later rounds run.
    rounds: int = 0
    runs_mapped: int = 0
    run_map_refreshes: int = 0
    started: float = attrs.field(factory=time.monotonic)
    finished: float | None = None

    @property
    def elapsed(self) -> float:
        """Seconds since the harvest started (until it finished)."""
        return (self.finished or time.monotonic()) - self.started

    @property
    def balanced(self) -> bool:
        """Whether every listed entry is accounted for."""
        return self.listed == self.delivered + self.failed + self.cancelled + self.skipped


class RunIds(Protocol):
    """Finds the run id of XCom entries whose listing did not carry it (API v1)."""

    def start(self) -> None:
        """Start what finding them needs (a DAG-run listing), alongside the XCom listing."""

    def reload_if_failed(self) -> None:
        """Start again if that failed (before a later round of the harvest)."""

    async def resolve(self, entry: XComEntry) -> str:
        """The ``dag_run_id`` of ``entry``; raises :class:`~airflow_async.errors.RunNotFound`."""

    async def close(self) -> None:
        """Stop, and collect what was started."""


class XComSource(Protocol):
    """What a harvest needs of one API version: list entries, find an entry's run id, get a value.

    Each API version's XCom resource implements it (``client.xcom``); the harvest knows nothing
    else about the client or the version it talks to.
    """

    def list_entries(
        self, dag_id: str, dag_run_id: str, task_id: str, *, key: str | None, map_index: int | None
    ) -> AsyncIterator[XComEntry]:
        """The entries of one listing (one key, or all keys with ``key=None``), in order."""

    def run_ids(self, dag_id: str, stats: HarvestStats) -> RunIds | None:
        """How to find the run id of entries listed without one; ``None`` when entries carry it."""

    async def get_value(self, entry: XComEntry, *, deserialize: bool, stringify: bool) -> XCom:
        """Fetch the value of one entry (its ``dag_run_id`` filled in)."""


class HarvestOptions(TypedDict, total=False):
    """The keyword arguments of a harvest, declared once for ``xcom.harvest`` and :class:`Harvest`.

    See :class:`Harvest` for what each means.
    """

    dag_run_id: str
    task_id: str
    keys: Sequence[str] | None
    map_index: int | None
    deserialize: bool
    stringify: bool
    concurrency: int | None
    abort_after: int | None
    skip: Callable[[XComEntry], bool] | None
    requeue: Requeue | None


class Harvest(AsyncClosing, AsyncIterator[HarvestResult]):
    """A running harvest; made by ``client.xcom.harvest(...)``.

    Iterate it to receive a :class:`HarvestResult` per listed entry, in the order
    the values arrive. Use ``async with`` so that stopping early cancels the
    requests in flight::

        async with client.xcom.harvest("~") as harvest:
            async for result in harvest:
                if result.ok:
                    print(result.entry.key, result.value.value)
        print(harvest.stats)

    Args:
        source: The XCom resource of an open client (``client.xcom``).
        dag_id, dag_run_id, task_id: What to list (``~`` for all).
        keys: Only these XCom keys (one listing per key).
        map_index: Only this map index.
        deserialize, stringify: Passed to each value fetch; see ``xcom.get``.
        concurrency: Value fetches in flight; defaults to the client's ``max_concurrency``.
        abort_after: Stop with :class:`~airflow_async.errors.HarvestAborted` after this many
            consecutive transport failures (the server looks down): the requests in flight are
            cancelled at once, the failure that reached the limit is still yielded, and the next
            step raises. ``None`` never aborts.
        skip: Called with each entry (its ``dag_run_id`` resolved) before its value is
            fetched; entries it returns True for are not fetched, not yielded, and counted
            in ``stats.skipped`` (e.g. entries a resumed harvest already wrote).
        requeue: Later rounds for entries that failed with a transient error; see
            :class:`~airflow_async.retry.Requeue`. ``None`` (or ``Requeue(rounds=0)``) reports
            them at once.
        default_concurrency: The concurrency when ``concurrency`` is not given.
        transient: Tells an error that may pass (fetched again later) from one that would not.
    """

    def __init__(
        self,
        source: XComSource,
        *,
        dag_id: str = "~",
        default_concurrency: int,
        transient: Callable[[AirflowError], bool],
        **options: Unpack[HarvestOptions],
    ) -> None:
        dag_run_id = options.get("dag_run_id", "~")
        task_id = options.get("task_id", "~")
        keys = options.get("keys")
        map_index = options.get("map_index")
        concurrency = options.get("concurrency")
        abort_after = options.get("abort_after", 64)
        requeue = options.get("requeue", _DEFAULT_REQUEUE)
        check_id("dag_id", dag_id, wildcard=True)
        check_id("dag_run_id", dag_run_id, wildcard=True)
        check_id("task_id", task_id, wildcard=True)
        check_map_index(map_index)
        if keys is not None:
            if isinstance(keys, str):
                raise UsageError(f"keys takes a list of keys, e.g. [{keys!r}], not a string")
            if not keys:
                raise UsageError("keys is an empty list, which would harvest nothing: pass None for all keys")
            for key in keys:
                check_id("key", key)
        if concurrency is not None and (not isinstance(concurrency, int) or concurrency < 1):
            raise UsageError(f"concurrency must be an int >= 1, got {concurrency!r}")
        if abort_after is not None and abort_after < 1:
            raise UsageError(f"abort_after must be None or >= 1, got {abort_after!r}")
        if requeue is not None and not isinstance(requeue, Requeue):
            raise UsageError(f"requeue takes a Requeue(rounds=..., wait=...) or None, got {requeue!r}")
        self._source = source
        self._transient = transient
        self.dag_id, self.dag_run_id, self.task_id = dag_id, dag_run_id, task_id
        self.keys = list(keys) if keys is not None else None
        self.map_index = map_index
        self.deserialize = options.get("deserialize", False)
        self.stringify = options.get("stringify", False)
        self.concurrency = concurrency or default_concurrency
        self.abort_after = abort_after
        self.skip = options.get("skip")
        self.requeue = requeue or Requeue(rounds=0)
        self.stats = HarvestStats()
        self._runs: RunIds | None = None
        self._fanout: FanOut[XComEntry, HarvestResult | None] | None = None
        self._consecutive_transport_failures = 0
        self._aborted: HarvestAborted | None = None
        self._finished = False
        self._set_aside: list[HarvestResult] = []  # transient failures of this round, for the next
        self._to_report: collections.deque[HarvestResult] = collections.deque()
        self._requeued_keys: set[tuple[object, ...]] = set()

    async def _entries(self) -> AsyncIterator[XComEntry]:
        keys: list[str | None] = [*self.keys] if self.keys else [None]
        for key in keys:
            async for entry in self._source.list_entries(
                self.dag_id, self.dag_run_id, self.task_id, key=key, map_index=self.map_index
            ):
                self.stats.listed += 1
                yield entry

    async def _fetch(self, entry: XComEntry) -> HarvestResult | None:
        try:
            run_id = entry.dag_run_id or self.dag_run_id
            if run_id == "~":
                if self._runs is None:
                    raise RunNotFound(f"XCom entry {entry.natural_key} was listed without its run id")
                run_id = await self._runs.resolve(entry)
            if entry.dag_run_id != run_id:
                entry = attrs.evolve(entry, dag_run_id=run_id)
            if self.skip is not None and self.skip(entry):
                return None
            value = await self._source.get_value(
                entry, deserialize=self.deserialize, stringify=self.stringify
            )
        except AirflowError as exc:
            return HarvestResult(entry=entry, error=exc)
        return HarvestResult(entry=entry, value=value)

    def __aiter__(self) -> Harvest:
        return self

    async def __anext__(self) -> HarvestResult:
        if self._to_report:
            return self._to_report.popleft()
        if self._aborted is not None:
            error, self._aborted = self._aborted, None
            raise error
        if self._finished:
            raise StopAsyncIteration
        if self._fanout is None:
            self._start()
        assert self._fanout is not None
        while True:
            try:
                result = await anext(self._fanout)
            except StopAsyncIteration:
                if await self._next_round():
                    continue
                await self._finish()
                raise
            except BaseException:
                await self.aclose()
                raise
            if result is None:
                self.stats.skipped += 1
                continue
            if self._set_aside_for_later(result):
                if self._aborted is None:
                    continue
                # Aborted: what was set aside will not get its later round; report it now.
                self._to_report.extend(self._set_aside)
                self.stats.failed += len(self._set_aside)
                self._set_aside.clear()
                result = self._to_report.popleft()
            else:
                self._account(result)
            if self._aborted is not None:
                # Stop the requests in flight now, even without ``async with``; the results that
                # tipped it over are still delivered, and then the next call raises HarvestAborted.
                await self.aclose()
            return result

    def _set_aside_for_later(self, result: HarvestResult) -> bool:
        """Keep a transient failure for the next round instead of reporting it, if rounds are left."""
        error = result.error
        if error is None or self.stats.rounds >= self.requeue.rounds:
            return False
        if not self._transient(error):
            return False
        self._set_aside.append(result)
        self._requeued_keys.add(result.entry.natural_key)
        self.stats.requeued += 1
        self._count_failure(error)
        return True

    async def _next_round(self) -> bool:
        """Start the next round over the entries set aside; False when there are none."""
        if not self._set_aside:
            return False
        entries, self._set_aside = [r.entry for r in self._set_aside], []
        wait = self.requeue.wait * 2**self.stats.rounds
        self.stats.rounds += 1
        log.info(
            "harvest round %d: fetching %d values again in %.1fs (their fetches failed with "
            "transient errors)",
            self.stats.rounds + 1,
            len(entries),
            wait,
        )
        assert self._fanout is not None
        await self._fanout.aclose()
        await asyncio.sleep(wait)
        if self._runs is not None:
            self._runs.reload_if_failed()
        self._fanout = bounded_map(self._fetch, entries, limit=self.concurrency)
        return True

    def _start(self) -> None:
        if self.dag_run_id == "~":
            self._runs = self._source.run_ids(self.dag_id, self.stats)
            if self._runs is not None:
                self._runs.start()
        entries = read_ahead(self._entries(), size=max(200, 2 * self.concurrency))
        self._fanout = bounded_map(self._fetch, entries, limit=self.concurrency)

    def _account(self, result: HarvestResult) -> None:
        if result.error is None:
            self.stats.delivered += 1
            if self._requeued_keys and result.entry.natural_key in self._requeued_keys:
                self.stats.recovered += 1
            self._consecutive_transport_failures = 0
            return
        self.stats.failed += 1
        self._count_failure(result.error)

    def _count_failure(self, error: AirflowError) -> None:
        """Count a failure towards ``abort_after`` (transport failures in a row) and abort there."""
        # A value over max_response_bytes is the value's size, not a sign that the server is down.
        if isinstance(error, TransportError) and not isinstance(error, ResponseTooLarge):
            self._consecutive_transport_failures += 1
            if self.abort_after is not None and self._consecutive_transport_failures >= self.abort_after:
                self._aborted = self._abort(error)
        else:
            self._consecutive_transport_failures = 0

    def _abort(self, last: AirflowError) -> HarvestAborted:
        return HarvestAborted(
            f"harvest stopped after {self._consecutive_transport_failures} consecutive transport "
            f"failures; the server looks down (last error: {last}). Delivered {self.stats.delivered}, "
            f"failed {self.stats.failed} of {self.stats.listed} listed",
            stats=self.stats,
        )

    async def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self._fanout is not None:
            await self._fanout.aclose()
        if self._runs is not None:
            await self._runs.close()
        self._set_aside.clear()  # not fetched again: the harvest stopped first; counted as cancelled
        self.stats.cancelled = (
            self.stats.listed - self.stats.delivered - self.stats.failed - self.stats.skipped
        )
        self.stats.finished = time.monotonic()
        if self.stats.cancelled:
            log.info("harvest stopped early: %d listed entries were not fetched", self.stats.cancelled)

    async def aclose(self) -> None:
        """Stop the harvest and cancel the requests in flight."""
        await self._finish()

    async def collect(self) -> list[HarvestResult]:
        """Run the whole harvest and return every result (holds them all in memory)."""
        async with self:
            return [r async for r in self]
