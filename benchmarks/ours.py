"""airflow_async's harvest as a benchmark worker.

Streams ``client.xcom.harvest("~")`` and keeps only counts, as a user processing
values one by one would::

    python -m benchmarks.ours --url http://127.0.0.1:8080 --auth session --concurrency 8
    python -m benchmarks.ours --url http://127.0.0.1:8080 --auth password --concurrency 0

``--auth password`` is :class:`~airflow_async.PasswordAuth` (a token from Airflow 3's
``POST /auth/token``; a form login on Airflow 2). ``--concurrency 0`` leaves the client and
the harvest at their defaults (the API version's: 8 on Airflow 3); the result line reports
the concurrency the client used.

``--mode compose`` builds the same pipeline from public pieces instead (a DAG-run
listing, an XCom listing with ``dedupe=False`` and :func:`airflow_async.bounded_map`),
to show what the harvest's per-entry memory would be without the listing's dedupe.
"""

from __future__ import annotations

import asyncio
import cProfile
import sys
import time
from datetime import datetime

from airflow_async import (
    AirflowClient,
    Auth,
    BasicAuth,
    PasswordAuth,
    SessionAuth,
    XComEntry,
    bounded_map,
)
from airflow_async.errors import AirflowError
from benchmarks._worker import Meter, Result, base_parser, password


def make_auth(kind: str, user: str) -> Auth:
    """The auth scheme for ``--auth`` (``none`` sends no credentials)."""
    if kind == "basic":
        return BasicAuth(user, password())
    if kind == "session":
        return SessionAuth(user, password(), strict=True)
    if kind == "password":
        return PasswordAuth(user, password())
    return Auth()


async def harvest(base: str, *, auth: str, user: str, concurrency: int) -> Result:
    """Run ``client.xcom.harvest("~")`` to the end, counting results (``concurrency`` 0: defaults)."""
    result = Result(client="airflow-async", auth=auth, concurrency=concurrency)
    limit = {"max_concurrency": concurrency} if concurrency else {}
    async with AirflowClient(base, auth=make_auth(auth, user), **limit) as af:  # type: ignore[arg-type]
        result.concurrency = af.max_concurrency
        options = {"concurrency": concurrency} if concurrency else {}
        async with af.xcom.harvest("~", **options) as harvest:  # type: ignore[arg-type]
            async for item in harvest:
                if item.ok:
                    result.values += 1
                else:
                    result.errors += 1
                    result.error_sample = result.error_sample or str(item.error)[:200]
        result.listed = harvest.stats.listed
        result.runs = harvest.stats.runs_mapped
        result.requests = af.stats.requests
        result.extra = {
            "retries": af.stats.retries,
            "balanced": harvest.stats.balanced,
            "api_version": af.api_version,
            "harvest_concurrency": harvest.concurrency,
        }
    return result


async def compose(base: str, *, auth: str, user: str, concurrency: int) -> Result:
    """The harvest built from public pieces, with the XCom listing's dedupe turned off."""
    result = Result(client="airflow-async-compose", auth=auth, concurrency=concurrency)
    async with AirflowClient(base, auth=make_auth(auth, user), max_concurrency=concurrency) as af:
        run_ids: dict[tuple[str, datetime], str] = {}
        async for run in af.dag_runs.list("~", concurrent=True, dedupe=False):
            if run.execution_date is not None:
                run_ids[(run.dag_id, run.execution_date)] = run.dag_run_id

        async def fetch(entry: XComEntry) -> bool:
            assert entry.execution_date is not None
            run_id = run_ids[(entry.dag_id, entry.execution_date)]
            try:
                await af.xcom.get(entry.dag_id, run_id, entry.task_id, entry.key, map_index=entry.map_index)
            except AirflowError:
                return False
            return True

        async def entries() -> object:
            async for entry in af.xcom.list("~", dedupe=False):
                result.listed += 1
                yield entry

        async with bounded_map(fetch, entries(), limit=concurrency) as results:  # type: ignore[arg-type]
            async for ok in results:
                if ok:
                    result.values += 1
                else:
                    result.errors += 1
        result.runs = len(run_ids)
        result.requests = af.stats.requests
    return result


async def _main() -> None:
    parser = base_parser("python -m benchmarks.ours", ("none", "basic", "session", "password"))
    parser.add_argument("--mode", choices=("harvest", "compose"), default="harvest")
    parser.add_argument("--profile", help="write a cProfile (CPU-time clock) of the run to this file")
    args = parser.parse_args()
    run = harvest if args.mode == "harvest" else compose
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    meter = Meter()
    meter.start()
    if profiler is not None:
        profiler.enable()
    result = await run(args.url, auth=args.auth, user=args.user, concurrency=args.concurrency)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    meter.stop(result).emit()


if __name__ == "__main__":
    asyncio.run(_main())
    sys.exit(0)
