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
from ..models import XComEntry
from .config import CLIUsageError
from .context import Context, interruptible
from .errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, EXIT_TERMINATED
from .files import (
    FailureLog,
    Layout,
    RecordWriter,
    ResumeState,
    choose_format,
    key_of,
    read_columns,
    read_done_keys,
)
from .output import Progress, ProgressCounts, to_plain

__all__ = [
    "EXPORTS",
    "HARVEST_COLUMNS",
    "HARVEST_KEY",
    "ExportKind",
    "export_command",
    "export_record",
    "failure_record",
    "harvest_command",
    "harvest_record",
]

#: The fields of each harvested record, in order.
HARVEST_COLUMNS: Final = ("dag_id", "dag_run_id", "task_id", "map_index", "key", "timestamp", "value")
#: The natural key of a harvested record.
HARVEST_KEY: Final = ("dag_id", "dag_run_id", "task_id", "map_index", "key")
_HARVEST_LAYOUTS: Final = (Layout(columns=HARVEST_COLUMNS, key=HARVEST_KEY),)


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
        "logical_date": entry.logical_date,
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
    layout: Layout
    resume: ResumeState


def _columns_text(columns: Sequence[str]) -> str:
    text = ",".join(columns)
    return text if len(text) <= 80 else text[:77] + "..."


def _resume_layout(ctx: Context, path: Path, fmt: str, layouts: Sequence[Layout]) -> Layout:
    """The layout of ``layouts`` that the file to resume was written in (the first: today's)."""
    found = read_columns(path, fmt)
    if found is None:
        return layouts[0]  # nothing complete in it yet: it starts over in today's columns
    # A CSV row is read by position, a JSON line by name (its fields in another order will do).
    exact = [lay for lay in layouts if lay.columns == found]
    named = [lay for lay in layouts if set(lay.columns) == set(found)] if fmt == "jsonl" else []
    layout = next(iter(exact + named), None)
    if layout is None:
        command = getattr(ctx.args, "command", "this command")
        raise CLIUsageError(
            f"{path} has columns {_columns_text(found)!r}, not those of '{command}' "
            f"({_columns_text(layouts[0].columns)!r}): resume it with the command and --format that "
            "wrote it, or write a new file (another --out, or --force to overwrite this one)"
        )
    if layout is not layouts[0]:
        ctx.note(
            f"{path} has the columns of an earlier airflow-async release: resuming it in those columns "
            f"(records keyed by {', '.join(layout.key)}); a new file gets today's columns"
        )
    return layout


def _prepare_output(ctx: Context, layouts: Sequence[Layout]) -> _Target:
    """Check ``--out``/``--resume``/``--force`` and read what a resumed run has done.

    ``layouts`` are the layouts the command writes, today's first, then those of earlier
    releases that ``--resume`` continues a file in.
    """
    args = ctx.args
    out = args.out if args.out not in (None, "-") else None
    fmt = choose_format(args.format, out)
    path = Path(out) if out else None
    empty = ResumeState(keys=frozenset(), records=0, dropped_bytes=0)
    if path is None:
        if args.resume:
            raise CLIUsageError("--resume needs --out FILE (it reads what that file already holds)")
        return _Target(path=None, fmt=fmt, layout=layouts[0], resume=empty)
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
        return _Target(path=path, fmt=fmt, layout=layouts[0], resume=empty)
    layout = _resume_layout(ctx, path, fmt, layouts)
    state = read_done_keys(path, fmt, layout.key, layout.columns)
    if state.records or state.dropped_bytes:
        dropped = (
            f"; dropped a partial last line ({state.dropped_bytes} bytes)" if state.dropped_bytes else ""
        )
        ctx.note(f"resuming {path}: {state.records:,} records already there are skipped{dropped}")
    return _Target(path=path, fmt=fmt, layout=layout, resume=state)


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
    target = _prepare_output(ctx, _HARVEST_LAYOUTS)
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
    """One kind of ``export``: what it lists, the columns it writes and its natural key.

    Attributes:
        name: The command word (``dag-runs``).
        columns: The columns of a new file, in order; each names an attribute of the listed
            items (a neutral property such as ``logical_date`` included).
        key: The fields that identify a record, for ``--resume``.
        listing: Lists the items.
        earlier: The layouts earlier releases wrote, which ``--resume`` continues a file in.
    """

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    listing: Listing
    earlier: tuple[Layout, ...] = ()

    @property
    def layouts(self) -> tuple[Layout, ...]:
        """Today's layout, then the earlier ones."""
        return (Layout(columns=self.columns, key=self.key), *self.earlier)


def export_record(item: Any, columns: Sequence[str]) -> dict[str, Any]:
    """The record of a listed item: the named attributes, as plain JSON-able values."""
    return {c: to_plain(getattr(item, c)) for c in columns}


def _dag_runs(client: AirflowClient, args: Any) -> AsyncIterator[Any]:
    return client.dag_runs.list(args.dag_id, state=args.state or None, concurrent=True)


def _task_instances(client: AirflowClient, args: Any) -> AsyncIterator[Any]:
    return client.task_instances.list(args.dag_id, args.run_id, state=args.state or None, concurrent=True)


def _xcom_entries(client: AirflowClient, args: Any) -> AsyncIterator[Any]:
    # Each entry with the run id it belongs to (v1 listings carry only the run's date).
    return client.xcom.entries(
        args.dag_id, args.run_id, args.task_id, keys=args.key or None, map_index=args.map_index
    )


async def _aclose(items: AsyncIterator[Any]) -> None:
    """Stop a listing left early (a paginator's pages, the run listing behind XCom entries)."""
    aclose = getattr(items, "aclose", None)
    if aclose is not None:
        await aclose()


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# What earlier releases wrote: every field of the model, in the model's order, which moved as
# fields were added and when the models were split into a package. --resume continues a file
# in the columns it has, so that a file begun by an earlier release is finished without
# duplicates (the v1 models still have every one of these fields).
_EARLIER_DAG_RUNS: Final = _names(
    "dag_id dag_run_id execution_date logical_date start_date end_date data_interval_start"
    " data_interval_end last_scheduling_decision run_type state external_trigger conf note"
)
_EARLIER_TIS_BASE: Final = (
    "dag_id task_id dag_run_id execution_date map_index state try_number max_tries start_date"
    " end_date duration hostname unixname operator pool pool_slots queue priority_weight"
    " queued_when pid executor_config note rendered_fields"
)
_EARLIER_TIS: Final = (
    _names(_EARLIER_TIS_BASE),  # the first CLI
    _names(
        _EARLIER_TIS_BASE + " task_display_name executor rendered_map_index sla_miss trigger triggerer_job"
    ),
    _names(  # after the models were split (execution_date moved behind the shared fields)
        "dag_id task_id dag_run_id map_index state try_number max_tries start_date end_date"
        " duration hostname unixname operator pool pool_slots queue priority_weight queued_when pid"
        " executor_config task_display_name executor execution_date note rendered_fields"
        " rendered_map_index sla_miss trigger triggerer_job"
    ),
)
_EARLIER_XCOM_ENTRIES: Final = Layout(
    columns=_names("dag_id task_id key execution_date map_index timestamp dag_run_id"),
    key=_names("dag_id execution_date task_id map_index key"),
)
_RUN_KEY: Final = ("dag_id", "dag_run_id")
_TI_KEY: Final = ("dag_id", "dag_run_id", "task_id", "map_index")

#: The kinds ``export`` knows. The columns are pinned here, not derived from the models (whose
#: field order may move): identity first, under the names both API versions share and
#: version-agnostic code reads (``logical_date``, not v1's ``execution_date``); fields only one
#: version sends (v1's ``execution_date``, ``external_trigger``, ``sla_miss``; v2's ``run_after``,
#: ``id``, ``queued_at``...) are left out, so a file has the same columns whatever the server.
EXPORTS: Final[dict[str, ExportKind]] = {
    "dag-runs": ExportKind(
        name="dag-runs",
        columns=_names(
            "dag_id dag_run_id logical_date state run_type start_date end_date data_interval_start"
            " data_interval_end last_scheduling_decision conf note"
        ),
        key=_RUN_KEY,
        listing=_dag_runs,
        earlier=(Layout(columns=_EARLIER_DAG_RUNS, key=_RUN_KEY),),
    ),
    "task-instances": ExportKind(
        name="task-instances",
        columns=_names(
            "dag_id dag_run_id task_id map_index logical_date state try_number max_tries start_date"
            " end_date duration queued_when operator task_display_name pool pool_slots queue"
            " priority_weight executor executor_config hostname unixname pid rendered_map_index note"
            " rendered_fields trigger triggerer_job"
        ),
        key=_TI_KEY,
        listing=_task_instances,
        earlier=tuple(Layout(columns=columns, key=_TI_KEY) for columns in _EARLIER_TIS),
    ),
    "xcom-entries": ExportKind(
        name="xcom-entries",
        columns=_names("dag_id dag_run_id task_id map_index key logical_date timestamp"),
        # An entry whose run was not found (deleted mid-listing) has no run id: its date tells it apart.
        key=_names("dag_id dag_run_id logical_date task_id map_index key"),
        listing=_xcom_entries,
        earlier=(_EARLIER_XCOM_ENTRIES,),
    ),
}


async def export_command(ctx: Context) -> int:
    """``export KIND``: a metadata listing, streamed to a file."""
    kind = EXPORTS[ctx.args.kind]
    target = _prepare_output(ctx, kind.layouts)
    columns, key = target.layout.columns, target.layout.key
    settings = ctx.settings
    done = target.resume.keys
    writer = RecordWriter(target.path, target.fmt, columns, append=ctx.args.resume)
    counts = ProgressCounts()
    progress = Progress(f"export {kind.name}", done_label="written", stream=ctx.stderr, enabled=not ctx.quiet)
    progress.counts = counts

    async def work() -> None:
        async with settings.make_client() as client:
            items = kind.listing(client, ctx.args)
            try:
                with progress:
                    async for item in items:
                        counts.listed += 1
                        record = export_record(item, columns)
                        if done and key_of(record, key) in done:
                            counts.skipped += 1
                        else:
                            writer.write(record)
                            counts.done += 1
                        progress.update()
            finally:
                await _aclose(items)

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
