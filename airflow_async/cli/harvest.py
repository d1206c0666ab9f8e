"""``xcom harvest`` and ``export``: stream many records to a file, resumably.

Both write each record as it arrives (flushed, one per line), never holding the
whole set in memory, and both can ``--resume``: the natural keys already in the
output file are skipped. The harvest skips them before their value is fetched.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from ..client import AirflowClient
from ..errors import AirflowError, APIError
from ..harvest import Harvest, HarvestResult
from ..models import DAGRun, TaskInstance, XComEntry
from .config import CLIUsageError
from .context import Context, interruptible
from .errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, EXIT_TERMINATED
from .files import FailureLog, RecordWriter, ResumeState, choose_format, key_of, read_done_keys
from .output import Progress, ProgressCounts, to_plain

__all__ = [
    "EXPORTS",
    "HARVEST_COLUMNS",
    "HARVEST_KEY",
    "ExportKind",
    "export_command",
    "failure_record",
    "harvest_command",
    "harvest_record",
]

#: The fields of each harvested record, in order.
HARVEST_COLUMNS: Final = ("dag_id", "dag_run_id", "task_id", "map_index", "key", "timestamp", "value")
#: The natural key of a harvested record.
HARVEST_KEY: Final = ("dag_id", "dag_run_id", "task_id", "map_index", "key")


def harvest_record(result: HarvestResult) -> dict[str, Any]:
    """The output record of a fetched XCom value."""
    e, x = result.entry, result.value
    assert x is not None
    return {
        "dag_id": e.dag_id,
        "dag_run_id": e.dag_run_id,
        "task_id": e.task_id,
        "map_index": e.map_index,
        "key": e.key,
        "timestamp": x.timestamp or e.timestamp,
        "value": x.value,
    }


def failure_record(entry: XComEntry, error: BaseException) -> dict[str, Any]:
    """The failures-file record of an entry that failed after retries."""
    err: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, APIError):
        err["status"] = error.status
    return {
        "dag_id": entry.dag_id,
        "dag_run_id": entry.dag_run_id,
        "execution_date": entry.execution_date,
        "task_id": entry.task_id,
        "map_index": entry.map_index,
        "key": entry.key,
        "error": err,
    }


def _entry_key(e: XComEntry) -> tuple[str, ...]:
    # The same text key_of() makes from a record read back from the file.
    return (e.dag_id, e.dag_run_id or "", e.task_id, str(e.map_index), e.key)


@attrs.frozen(kw_only=True)
class _Target:
    path: Path | None
    fmt: str
    resume: ResumeState


def _prepare_output(ctx: Context, columns: Sequence[str], key: Sequence[str]) -> _Target:
    """Check ``--out``/``--resume``/``--force`` and read what a resumed run has done."""
    args = ctx.args
    out = args.out if args.out not in (None, "-") else None
    fmt = choose_format(args.format, out)
    path = Path(out) if out else None
    empty = ResumeState(keys=frozenset(), records=0, dropped_bytes=0)
    if path is None:
        if args.resume:
            raise CLIUsageError("--resume needs --out FILE (it reads what that file already holds)")
        return _Target(path=None, fmt=fmt, resume=empty)
    if path.is_dir():
        raise CLIUsageError(f"--out {path} is a directory: name a file")
    if not path.parent.is_dir():
        raise CLIUsageError(f"--out {path}: the directory {path.parent} does not exist")
    if not args.resume:
        if path.exists() and path.stat().st_size > 0 and not args.force:
            raise CLIUsageError(
                f"{path} already exists: add --resume to continue where it stopped, "
                "or --force to overwrite it"
            )
        return _Target(path=path, fmt=fmt, resume=empty)
    state = read_done_keys(path, fmt, key, columns)
    if state.records or state.dropped_bytes:
        dropped = (
            f"; dropped a partial last line ({state.dropped_bytes} bytes)" if state.dropped_bytes else ""
        )
        ctx.note(f"resuming {path}: {state.records:,} records already there are skipped{dropped}")
    return _Target(path=path, fmt=fmt, resume=state)


def _failures_path(ctx: Context, target: _Target) -> Path | None:
    given = getattr(ctx.args, "failures", None)
    if given:
        return Path(given)
    return None if target.path is None else Path(f"{target.path}.failures.jsonl")


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.1f}/s" if seconds > 0 else "-"


async def harvest_command(ctx: Context) -> int:
    """``xcom harvest``: every matching XCom value, streamed to a file as it arrives."""
    args = ctx.args
    target = _prepare_output(ctx, HARVEST_COLUMNS, HARVEST_KEY)
    settings = ctx.settings
    done = target.resume.keys
    skip: Callable[[XComEntry], bool] | None = (lambda e: _entry_key(e) in done) if done else None
    writer = RecordWriter(
        target.path, target.fmt, HARVEST_COLUMNS, append=args.resume, json_columns=("value",)
    )
    failures = FailureLog(_failures_path(ctx, target), stream=ctx.stderr)
    holder: list[Harvest] = []
    requests: list[int] = [0]

    def counts() -> ProgressCounts:
        if not holder:
            return ProgressCounts()
        s = holder[0].stats
        return ProgressCounts(listed=s.listed, done=s.delivered, failed=s.failed, skipped=s.skipped)

    progress = Progress("harvest", stream=ctx.stderr, enabled=not ctx.quiet, source=counts)

    async def work() -> None:
        async with settings.make_client() as client:
            harvest = client.xcom.harvest(
                args.dag_id,
                dag_run_id=args.run_id,
                task_id=args.task_id,
                keys=args.key or None,
                map_index=args.map_index,
                deserialize=args.deserialize,
                stringify=args.stringify,
                concurrency=settings.concurrency,
                skip=skip,
            )
            holder.append(harvest)
            with progress:
                async with harvest:
                    async for result in harvest:
                        requests[0] = client.stats.requests
                        if result.ok:
                            writer.write(harvest_record(result))
                        else:
                            assert result.error is not None
                            failures.write(failure_record(result.entry, result.error))
                        progress.update()

    failures.reset()
    stopped: AirflowError | None = None
    try:
        try:
            _, signum = await interruptible(work())
        except AirflowError as exc:
            if not holder or not holder[0].stats.listed:
                raise  # nothing was listed (bad credentials, no server): the error says it all
            stopped, signum = exc, None  # it stopped midway: say what it did, then the error
        if signum is None and stopped is None:
            writer.finish()
    finally:
        progress.close()
        writer.close()
        failures.close()
    stats = counts()
    elapsed = holder[0].stats.elapsed if holder else 0.0
    summary = (
        f"{stats.done:,} values written to {writer.name} in {elapsed:.1f}s ({_rate(stats.done, elapsed)}, "
        f"{requests[0]:,} requests)"
    )
    if stats.skipped:
        summary += f"; {stats.skipped:,} skipped (already in the file)"
    recovered = holder[0].stats.recovered if holder else 0
    if recovered:
        summary += f"; {recovered:,} arrived in a later round after transient failures"
    if stats.failed:
        where = f"see {failures.path}" if failures.path else "listed above"
        summary += f"; {stats.failed:,} failed ({where})"
    not_fetched = holder[0].stats.cancelled if holder else 0
    if not_fetched:
        summary += f"; {not_fetched:,} listed but not fetched"
    if stopped is not None:
        ctx.note(f"harvest stopped: {summary}; run the same command with --resume to continue")
        raise stopped
    if signum is not None:
        ctx.note(f"harvest interrupted: {summary}; run the same command with --resume to continue")
        return EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED
    ctx.note(f"harvest done: {summary}")
    if stats.failed:
        ctx.note("run the same command with --resume to retry the failed entries")
        return EXIT_PARTIAL
    return EXIT_OK


# -- export -----------------------------------------------------------------------------------


#: Lists the items of one export kind, given an open client and the parsed arguments.
Listing = Callable[[AirflowClient, Any], AsyncIterator[Any]]


@attrs.frozen(kw_only=True)
class ExportKind:
    """One kind of ``export``: what it lists, its columns and its natural key."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    listing: Listing


def _fields(model: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in attrs.fields(model))


async def _dag_runs(client: AirflowClient, args: Any) -> AsyncIterator[Any]:
    async for run in client.dag_runs.list(args.dag_id, state=args.state or None, concurrent=True):
        yield run


async def _task_instances(client: AirflowClient, args: Any) -> AsyncIterator[Any]:
    listing = client.task_instances.list(args.dag_id, args.run_id, state=args.state or None, concurrent=True)
    async for ti in listing:
        yield ti


async def _xcom_entries(client: AirflowClient, args: Any) -> AsyncIterator[Any]:
    # v1 entries carry no run id: map (dag_id, execution_date) to it from a DAG-run listing.
    runs: dict[tuple[str, Any], str] = {}
    if args.run_id == "~":
        async for run in client.dag_runs.list(args.dag_id, concurrent=True):
            date = run.execution_date or run.logical_date
            if date is not None:
                runs[(run.dag_id, date)] = run.dag_run_id
    keys: list[str | None] = list(args.key) if args.key else [None]
    for key in keys:
        listing = client.xcom.list(
            args.dag_id, args.run_id, args.task_id, xcom_key=key, map_index=args.map_index, concurrent=True
        )
        async for entry in listing:
            run_id = entry.dag_run_id or (
                args.run_id if args.run_id != "~" else runs.get((entry.dag_id, entry.execution_date))
            )
            yield attrs.evolve(entry, dag_run_id=run_id)


#: The kinds ``export`` knows.
EXPORTS: Final[dict[str, ExportKind]] = {
    "dag-runs": ExportKind(
        name="dag-runs", columns=_fields(DAGRun), key=("dag_id", "dag_run_id"), listing=_dag_runs
    ),
    "task-instances": ExportKind(
        name="task-instances",
        columns=_fields(TaskInstance),
        key=("dag_id", "dag_run_id", "task_id", "map_index"),
        listing=_task_instances,
    ),
    "xcom-entries": ExportKind(
        name="xcom-entries",
        columns=_fields(XComEntry),
        key=("dag_id", "execution_date", "task_id", "map_index", "key"),
        listing=_xcom_entries,
    ),
}


async def export_command(ctx: Context) -> int:
    """``export KIND``: a metadata listing, streamed to a file."""
    kind = EXPORTS[ctx.args.kind]
    target = _prepare_output(ctx, kind.columns, kind.key)
    settings = ctx.settings
    done = target.resume.keys
    writer = RecordWriter(target.path, target.fmt, kind.columns, append=ctx.args.resume)
    counts = ProgressCounts()
    progress = Progress(f"export {kind.name}", done_label="written", stream=ctx.stderr, enabled=not ctx.quiet)
    progress.counts = counts

    async def work() -> None:
        async with settings.make_client() as client:
            with progress:
                async for item in kind.listing(client, ctx.args):
                    counts.listed += 1
                    record = to_plain(item)
                    if done and key_of(record, kind.key) in done:
                        counts.skipped += 1
                    else:
                        writer.write(record)
                        counts.done += 1
                    progress.update()

    try:
        _, signum = await interruptible(work())
        if signum is None:
            writer.finish()
    finally:
        progress.close()
        writer.close()
    elapsed = progress.elapsed
    summary = f"{counts.done:,} records written to {writer.name} in {elapsed:.1f}s"
    if counts.skipped:
        summary += f"; {counts.skipped:,} skipped (already in the file)"
    if signum is not None:
        ctx.note(f"export {kind.name} interrupted: {summary}; run the same command with --resume to continue")
        return EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED
    ctx.note(f"export {kind.name} done: {summary}")
    return EXIT_OK
