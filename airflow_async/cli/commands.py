"""The everyday commands: tables on a terminal, ``--json`` for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from .. import __version__
from ..auth import PasswordAuth
from ..client import AirflowClient
from ..models import DAG, DAGRun
from .config import CLIUsageError
from .context import Context
from .errors import EXIT_OK, EXIT_RUN_FAILED
from .output import print_json, print_table, to_plain

__all__ = ["COMMANDS", "Column", "run_command"]

#: A table column: its header and how to get its value from an item.
Column = tuple[str, Callable[[Any], Any]]

#: An everyday command: gets the context and an open client, returns the exit code.
Handler = Callable[[Context, AirflowClient], Awaitable[int]]


def _attr(name: str) -> Column:
    return (name, lambda item: getattr(item, name))


def _table(ctx: Context, items: Sequence[Any], columns: Sequence[Column]) -> None:
    print_table(([get(i) for _, get in columns] for i in items), [h for h, _ in columns], out=ctx.stdout)


async def _show_list(ctx: Context, items: AsyncIterable[Any], columns: Sequence[Column]) -> int:
    rows = [item async for item in items]
    if ctx.json:
        print_json(rows, ctx.stdout)
    else:
        _table(ctx, rows, columns)
    return EXIT_OK


def _show_or_say(ctx: Context, data: Any, line: str) -> int:
    """``--json``: ``data`` as JSON; otherwise ``line``, for a person."""
    if ctx.json:
        print_json(data, ctx.stdout)
    else:
        ctx.stdout.write(f"{line}\n")
    return EXIT_OK


def _show_one(ctx: Context, item: Any, *, title: str | None = None) -> int:
    if ctx.json:
        print_json(item, ctx.stdout)
        return EXIT_OK
    plain = to_plain(item)
    print_table(list(plain.items()), ["field", "value"], out=ctx.stdout, title=title)
    return EXIT_OK


def _schedule(dag: DAG) -> Any:
    sched = dag.schedule_interval
    if isinstance(sched, dict):
        return sched.get("value", sched)
    return sched


#: The columns of ``dags list``.
DAG_COLUMNS: Sequence[Column] = (
    _attr("dag_id"),
    ("paused", lambda d: d.is_paused),
    ("schedule", _schedule),
    ("owners", lambda d: ", ".join(d.owners)),
    ("tags", lambda d: ", ".join(d.tag_names)),
    _attr("next_dagrun"),
)

#: The columns of ``runs list`` and of a triggered run (``logical_date``: the name both API
#: versions share; v1 also calls it ``execution_date``).
RUN_COLUMNS: Sequence[Column] = (
    _attr("dag_id"),
    _attr("dag_run_id"),
    _attr("state"),
    _attr("logical_date"),
    _attr("start_date"),
    _attr("end_date"),
)


# -- dags -------------------------------------------------------------------------------------


async def dags_list(ctx: Context, client: AirflowClient) -> int:
    """``dags list``."""
    a = ctx.args
    items = client.dags.list(tags=a.tag or None, dag_id_pattern=a.pattern, max_items=a.limit)
    return await _show_list(ctx, items, DAG_COLUMNS)


async def dags_get(ctx: Context, client: AirflowClient) -> int:
    """``dags get DAG_ID``."""
    return _show_one(ctx, await client.dags.get(ctx.args.dag_id))


async def _set_paused(ctx: Context, client: AirflowClient, paused: bool) -> int:
    dag_id = ctx.args.dag_id
    dag = await (client.dags.pause(dag_id) if paused else client.dags.unpause(dag_id))
    return _show_or_say(ctx, dag, f"{dag.dag_id} is {'paused' if dag.is_paused else 'unpaused'}")


async def dags_pause(ctx: Context, client: AirflowClient) -> int:
    """``dags pause DAG_ID``."""
    return await _set_paused(ctx, client, True)


async def dags_unpause(ctx: Context, client: AirflowClient) -> int:
    """``dags unpause DAG_ID``."""
    return await _set_paused(ctx, client, False)


# -- runs -------------------------------------------------------------------------------------


async def runs_list(ctx: Context, client: AirflowClient) -> int:
    """``runs list``."""
    a = ctx.args
    items = client.dag_runs.list(a.dag_id, state=a.state or None, max_items=a.limit)
    return await _show_list(ctx, items, RUN_COLUMNS)


async def runs_get(ctx: Context, client: AirflowClient) -> int:
    """``runs get DAG_ID RUN_ID``."""
    return _show_one(ctx, await client.dag_runs.get(ctx.args.dag_id, ctx.args.run_id))


def _parse_conf(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        conf = json.loads(text)
    except ValueError as exc:
        raise CLIUsageError(f"--conf is not valid JSON ({exc}); e.g. --conf '{{\"n\": 3}}'") from None
    if not isinstance(conf, dict):
        raise CLIUsageError("--conf must be a JSON object, e.g. --conf '{\"n\": 3}'")
    return conf


def _parse_date(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise CLIUsageError(
            f"--logical-date {text!r} is not ISO 8601, e.g. 2024-01-01T00:00:00+00:00"
        ) from None
    if when.tzinfo is None:
        raise CLIUsageError(f"--logical-date {text!r} needs a timezone, e.g. {text}+00:00")
    return when


async def runs_trigger(ctx: Context, client: AirflowClient) -> int:
    """``runs trigger DAG_ID``: start a run, and with ``--wait`` poll until it finishes."""
    a = ctx.args
    run = await client.dag_runs.trigger(
        a.dag_id,
        dag_run_id=a.run_id,
        logical_date=_parse_date(a.logical_date),
        conf=_parse_conf(a.conf),
        note=a.note,
    )
    if a.wait:
        ctx.note(f"triggered {run.dag_id} {run.dag_run_id}; waiting for it to finish ...")
        run = await client.dag_runs.wait(
            run.dag_id, run.dag_run_id, poll_interval=a.poll_interval, max_wait=a.max_wait
        )
    _show_run(ctx, run)
    if a.wait and run.state != "success":
        ctx.note(f"run {run.dag_run_id} of {run.dag_id} finished {run.state}")
        return EXIT_RUN_FAILED
    return EXIT_OK


def _show_run(ctx: Context, run: DAGRun) -> None:
    if ctx.json:
        print_json(run, ctx.stdout)
    else:
        _table(ctx, [run], RUN_COLUMNS)


# -- tasks, xcom ------------------------------------------------------------------------------


async def tasks_list(ctx: Context, client: AirflowClient) -> int:
    """``tasks list``: task instances."""
    a = ctx.args
    items = client.task_instances.list(a.dag_id, a.run_id, state=a.state or None, max_items=a.limit)
    columns: Sequence[Column] = (
        _attr("dag_id"),
        _attr("dag_run_id"),
        _attr("task_id"),
        _attr("map_index"),
        _attr("state"),
        ("try", lambda t: t.try_number),
        _attr("start_date"),
        _attr("duration"),
    )
    return await _show_list(ctx, items, columns)


async def xcom_list(ctx: Context, client: AirflowClient) -> int:
    """``xcom list``: entries without values."""
    a = ctx.args
    items = client.xcom.list(
        a.dag_id, a.run_id, a.task_id, map_index=a.map_index, xcom_key=a.key, max_items=a.limit
    )
    columns: Sequence[Column] = (
        _attr("dag_id"),
        _attr("logical_date"),
        _attr("task_id"),
        _attr("map_index"),
        _attr("key"),
        _attr("timestamp"),
    )
    return await _show_list(ctx, items, columns)


async def xcom_get(ctx: Context, client: AirflowClient) -> int:
    """``xcom get DAG_ID RUN_ID TASK_ID KEY``."""
    a = ctx.args
    xcom = await client.xcom.get(
        a.dag_id,
        a.run_id,
        a.task_id,
        a.key,
        map_index=a.map_index,
        deserialize=a.deserialize,
        stringify=a.stringify,
    )
    return _show_one(ctx, xcom)


# -- variables, pools, connections --------------------------------------------------------------


async def variables_list(ctx: Context, client: AirflowClient) -> int:
    """``variables list``."""
    columns: Sequence[Column] = (_attr("key"), _attr("value"), _attr("description"))
    return await _show_list(ctx, client.variables.list(max_items=ctx.args.limit), columns)


async def variables_get(ctx: Context, client: AirflowClient) -> int:
    """``variables get KEY``: the value alone (the whole variable with ``--json``)."""
    var = await client.variables.get(ctx.args.key)
    return _show_or_say(ctx, var, "" if var.value is None else var.value)


async def variables_set(ctx: Context, client: AirflowClient) -> int:
    """``variables set KEY VALUE`` (``-`` reads the value from standard input)."""
    a = ctx.args
    value = sys.stdin.read() if a.value == "-" else a.value
    var = await client.variables.set(a.key, value, description=a.description)
    return _show_or_say(ctx, var, f"set {var.key}")


async def variables_delete(ctx: Context, client: AirflowClient) -> int:
    """``variables delete KEY``."""
    await client.variables.delete(ctx.args.key)
    return _show_or_say(ctx, {"deleted": ctx.args.key}, f"deleted {ctx.args.key}")


async def pools_list(ctx: Context, client: AirflowClient) -> int:
    """``pools list``."""
    columns: Sequence[Column] = (
        _attr("name"),
        _attr("slots"),
        ("occupied", lambda p: p.occupied_slots),
        ("running", lambda p: p.running_slots),
        ("queued", lambda p: p.queued_slots),
        ("open", lambda p: p.open_slots),
        _attr("description"),
    )
    return await _show_list(ctx, client.pools.list(max_items=ctx.args.limit), columns)


async def connections_list(ctx: Context, client: AirflowClient) -> int:
    """``connections list`` (the API never returns passwords)."""
    columns: Sequence[Column] = (
        _attr("connection_id"),
        _attr("conn_type"),
        _attr("host"),
        _attr("port"),
        _attr("login"),
        _attr("schema"),
    )
    return await _show_list(ctx, client.connections.list(max_items=ctx.args.limit), columns)


# -- health, version --------------------------------------------------------------------------


async def health(ctx: Context, client: AirflowClient) -> int:
    """``health``: the status of each component."""
    info = await client.monitoring.health()
    if ctx.json:
        print_json(info, ctx.stdout)
        return EXIT_OK
    rows = []
    for name, part in to_plain(info).items():
        if isinstance(part, dict):
            heartbeat = next((v for k, v in part.items() if k.startswith("latest_")), None)
            rows.append([name, part.get("status"), heartbeat])
    print_table(rows, ["component", "status", "latest heartbeat"], out=ctx.stdout)
    return EXIT_OK


async def version(ctx: Context, client: AirflowClient) -> int:
    """``version``: the server's Airflow version and this client's version."""
    info = await client.monitoring.version()
    data = {"airflow": info.version, "git_version": info.git_version, "airflow_async": __version__}
    if ctx.json:
        print_json(data, ctx.stdout)
    else:
        print_table(list(data.items()), ["component", "version"], out=ctx.stdout)
    return EXIT_OK


async def auth_token(ctx: Context, client: AirflowClient) -> int:
    """``auth token``: a fresh token from the server's token endpoint, on standard output."""
    auth = client.auth
    if not isinstance(auth, PasswordAuth):
        raise CLIUsageError("auth token logs in with a user name and password: use --auth password")
    if client.api_version != "v2":
        raise CLIUsageError(
            f"{client.base_url} runs Airflow 2 (API {client.api_version}), which has no token endpoint; "
            "use --auth password (or session) there"
        )
    await auth.prepare(client.transport)
    token = auth.bearer_token()
    if token is None:
        raise CLIUsageError("the server gave no token")
    ctx.stdout.write(token + "\n")
    return EXIT_OK


#: Every everyday command, by its words on the command line.
COMMANDS: dict[tuple[str, ...], Handler] = {
    ("auth", "token"): auth_token,
    ("dags", "list"): dags_list,
    ("dags", "get"): dags_get,
    ("dags", "pause"): dags_pause,
    ("dags", "unpause"): dags_unpause,
    ("runs", "list"): runs_list,
    ("runs", "get"): runs_get,
    ("runs", "trigger"): runs_trigger,
    ("tasks", "list"): tasks_list,
    ("xcom", "list"): xcom_list,
    ("xcom", "get"): xcom_get,
    ("variables", "list"): variables_list,
    ("variables", "get"): variables_get,
    ("variables", "set"): variables_set,
    ("variables", "delete"): variables_delete,
    ("pools", "list"): pools_list,
    ("connections", "list"): connections_list,
    ("health",): health,
    ("version",): version,
}


async def run_command(ctx: Context, handler: Handler) -> int:
    """Open a client with the context's settings and run ``handler`` with it."""
    async with ctx.settings.make_client() as client:
        return await handler(ctx, client)
