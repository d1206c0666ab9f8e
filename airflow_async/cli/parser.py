"""The command line: argparse parsers for every command, each ``--help`` with examples."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import attrs

from .. import __version__
from .commands import COMMANDS, run_command
from .config import AUTH_SCHEMES, DEFAULT_URL
from .context import Context
from .files import FORMATS
from .harvest import EXPORTS, ExportKind, export_command, harvest_command

__all__ = ["PROG", "build_parser"]

#: The program name in messages.
PROG = "airflow-async"

#: Runs a parsed command and returns its exit code.
Runner = Callable[[Context], Awaitable[int]]

_DESCRIPTION = f"""\
Talk to Apache Airflow's REST API (Airflow 2.x, /api/v1) from the shell: harvest XCom values and
export metadata to JSONL/CSV files that can be resumed, and run everyday commands with table or
--json output.

connection settings (flags win over the environment):
  AIRFLOW_URL        server root (default {DEFAULT_URL})
  AIRFLOW_USERNAME   user name
  AIRFLOW_PASSWORD   password (or --password-file FILE, or a prompt on a terminal)
  AIRFLOW_AUTH       session (default), basic or token
  AIRFLOW_TOKEN      bearer token for --auth token (or --token-file FILE)

exit codes: 0 ok, 1 error, 2 usage error, 3 some entries failed (harvest),
            4 triggered run failed (runs trigger --wait), 130 interrupted (Ctrl-C),
            141 output pipe closed
"""

_MAIN_EXAMPLES = """\
examples:
  export AIRFLOW_URL=http://127.0.0.1:8080 AIRFLOW_USERNAME=admin AIRFLOW_PASSWORD=admin
  airflow-async dags list
  airflow-async xcom harvest --dag-id my_dag --out xcoms.jsonl
  airflow-async xcom harvest --dag-id my_dag --out xcoms.jsonl --resume
  airflow-async export dag-runs --state failed --out failed-runs.csv
  airflow-async runs trigger my_dag --conf '{"n": 3}' --wait
  airflow-async <command> --help
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


#: One ``add_argument`` call: the flags (or a positional's name) and the keywords.
Arg = tuple[tuple[str, ...], dict[str, Any]]


def _arg(*flags: str, **settings: Any) -> Arg:
    return flags, settings


def _ex(*lines: str) -> str:
    return "".join(f"  {PROG} {line}\n" for line in lines)


# -- arguments several commands take, each declared once ----------------------------------------

#: The options every command takes, both before and after the command words.
_CONNECTION: Final = (
    _arg("--url", help=f"server root (env AIRFLOW_URL; default {DEFAULT_URL})"),
    _arg("--username", "-u", help="user name (env AIRFLOW_USERNAME)"),
    _arg("--password-file", metavar="FILE", help="read the password from FILE ('-': stdin)"),
    _arg("--password", help="the password (discouraged: it lands in shell history; use AIRFLOW_PASSWORD)"),
    _arg(
        "--auth",
        choices=AUTH_SCHEMES,
        help="how to log in (env AIRFLOW_AUTH; default password)",
    ),
    _arg("--token-file", metavar="FILE", help="bearer token file for --auth token"),
    _arg(
        "--concurrency",
        type=int,
        metavar="N",
        help="requests in flight (default: 16 on Airflow 2, 8 on 3)",
    ),
    _arg("--timeout", type=float, metavar="SECONDS", help="per request attempt (default 30)"),
    _arg("--quiet", "-q", action="store_true", help="no progress display or notes"),
    _arg("--verbose", "-v", action="store_true", help="log retries and warnings"),
    _arg("--debug", action="store_true", help="show tracebacks and the request log on stderr"),
)

_DAG_ID: Final = _arg("dag_id", metavar="DAG_ID")
_RUN_ID: Final = _arg("run_id", metavar="RUN_ID")
_DAG_FILTER: Final = _arg("--dag-id", default="~", help="only this DAG (default: all)")
_RUN_FILTER: Final = _arg("--run-id", default="~", help="only this DAG run (default: all)")
_TASK_FILTER: Final = _arg("--task-id", default="~", help="only this task (default: all)")
_STATE: Final = _arg("--state", action="append", help="only this state (repeatable)")
_KEYS: Final = _arg("--key", action="extend", nargs="+", metavar="KEY", help="only these keys")
_MAP_INDEX: Final = _arg("--map-index", type=int, metavar="N", help="only this map index")
_LIMIT: Final = _arg("--limit", type=int, metavar="N", help="show at most N")
_VALUE_OPTIONS: Final = (
    _arg(
        "--stringify",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="values as the server's Python-repr strings; default --no-stringify: JSON values",
    ),
    _arg(
        "--deserialize", action="store_true", help="have the server run the XCom backend's full deserialize"
    ),
)


def _output_options(what: str) -> tuple[Arg, ...]:
    return (
        _arg("--out", "-o", metavar="FILE", help=f"write {what} to FILE (default: standard output)"),
        _arg(
            "--format",
            choices=FORMATS,
            help="jsonl (one JSON object per line) or csv; default from FILE's suffix, else jsonl",
        ),
        _arg(
            "--resume", action="store_true", help="continue an interrupted run: skip what FILE already holds"
        ),
        _arg("--force", action="store_true", help="overwrite FILE if it exists"),
    )


# -- the commands -------------------------------------------------------------------------------


@attrs.frozen
class _Command:
    """A command: its words, help, examples and arguments; ``runner`` None: an everyday one."""

    words: str
    help: str
    examples: tuple[str, ...]
    args: tuple[Arg, ...] = ()
    runner: Runner | None = None
    defaults: dict[str, Any] = attrs.field(factory=dict)


#: The command groups: name, help, examples.
_GROUPS: Final = (
    ("dags", "List, show, pause and unpause DAGs.", ("dags list", "dags pause my_dag")),
    ("runs", "List, show and trigger DAG runs.", ("runs list --dag-id my_dag",)),
    ("tasks", "List task instances.", ("tasks list --dag-id my_dag --state failed",)),
    (
        "xcom",
        "List, show and harvest XCom entries.",
        ("xcom list --dag-id my_dag", "xcom harvest --dag-id my_dag --out xcoms.jsonl"),
    ),
    (
        "export",
        "Export metadata listings (DAG runs, task instances, XCom entries) to JSONL or CSV.",
        ("export dag-runs --out runs.jsonl", "export task-instances --state failed --out failed.csv"),
    ),
    ("variables", "Read and write variables.", ("variables get my_key",)),
    ("pools", "List pools.", ("pools list",)),
    ("connections", "List connections.", ("connections list",)),
    ("auth", "Get credentials for scripts.", ("auth token",)),
)

_DAGS_LIST: Final = (
    _arg("--pattern", help="only DAG ids containing this (SQL LIKE)"),
    _arg("--tag", action="append", help="only DAGs with this tag (repeatable)"),
    _LIMIT,
)
_TRIGGER: Final = (
    _DAG_ID,
    _arg("--run-id", help="the new run's id (default: the server picks manual__<date>)"),
    _arg("--conf", metavar="JSON", help="the run's conf, a JSON object"),
    _arg("--logical-date", metavar="ISO", help="e.g. 2024-01-01T00:00:00+00:00"),
    _arg("--note", help="a note on the run"),
    _arg("--wait", action="store_true", help="poll until the run succeeds or fails"),
    _arg("--poll-interval", type=float, default=2.0, metavar="SECONDS", help="default 2"),
    _arg("--max-wait", type=float, default=600.0, metavar="SECONDS", help="default 600"),
)
_XCOM_LIST: Final = (
    _DAG_FILTER,
    _RUN_FILTER,
    _TASK_FILTER,
    _arg("--key", help="only this key"),
    _MAP_INDEX,
    _LIMIT,
)
_XCOM_GET: Final = (
    *(_arg(name, metavar=name.upper()) for name in ("dag_id", "run_id", "task_id", "key")),
    _arg("--map-index", type=int, metavar="N", help="of a mapped task instance"),
    *_VALUE_OPTIONS,
)
_HARVEST: Final = (
    *(_DAG_FILTER, _RUN_FILTER, _TASK_FILTER, _KEYS, _MAP_INDEX, *_VALUE_OPTIONS),
    *_output_options("the values"),
    _arg("--failures", metavar="FILE", help="where failures go (default FILE.failures.jsonl)"),
)
_HARVEST_HELP: Final = (
    "Fetch every matching XCom value concurrently and stream it to a file as it arrives.\n\n"
    "Each record is one JSON line (or CSV row) with dag_id, dag_run_id, task_id, map_index, key,\n"
    "timestamp and value. Values are JSON by default (--stringify for the server's repr strings);\n"
    "in CSV the value column holds the value's JSON text. Entries that still fail after retries go\n"
    "to FILE.failures.jsonl with their error, and the exit code is 3. Ctrl-C stops cleanly (exit\n"
    "130) leaving a valid file; --resume continues without duplicates or re-fetching."
)
_KEY: Final = _arg("key", metavar="KEY")
_VARIABLES_SET: Final = (
    _KEY,
    _arg("value", metavar="VALUE", help="the value ('-' reads standard input)"),
    _arg("--description"),
)

#: What each ``export`` kind filters on.
_EXPORT_FILTERS: Final[dict[str, tuple[Arg, ...]]] = {
    "dag-runs": (_DAG_FILTER, _STATE),
    "task-instances": (_DAG_FILTER, _RUN_FILTER, _STATE),
    "xcom-entries": (_DAG_FILTER, _RUN_FILTER, _TASK_FILTER, _KEYS, _MAP_INDEX),
}


def _export(name: str, kind: ExportKind) -> _Command:
    return _Command(
        f"export {name}",
        f"Export {name.replace('-', ' ')} to a file, streaming (resumable with --resume; "
        f"records are keyed by {', '.join(kind.key)}).",
        (f"export {name} --out {name}.jsonl", f"export {name} --dag-id my_dag --out {name}.csv --resume"),
        (*_EXPORT_FILTERS[name], *_output_options("the records")),
        runner=export_command,
        defaults={"kind": name},
    )


def _dags(verb: str, text: str) -> _Command:
    return _Command(f"dags {verb}", text, (f"dags {verb} my_dag",), (_DAG_ID,))


#: Every command, in the order of the help.
_COMMANDS: Final = (
    _Command("dags list", "List DAGs.", ("dags list", "dags list --pattern etl_ --json"), _DAGS_LIST),
    _dags("get", "Show one DAG."),
    _dags("pause", "Pause a DAG."),
    _dags("unpause", "Unpause a DAG."),
    _Command(
        "runs list",
        "List DAG runs (of all DAGs unless --dag-id).",
        ("runs list --dag-id my_dag --state failed", "runs list --limit 20 --json"),
        (_DAG_FILTER, _STATE, _LIMIT),
    ),
    _Command(
        "runs get",
        "Show one DAG run.",
        ("runs get my_dag 'manual__2024-01-01T00:00:00+00:00'",),
        (_DAG_ID, _RUN_ID),
    ),
    _Command(
        "runs trigger",
        "Trigger a DAG run; with --wait, wait until it finishes (exit 4 if it failed).",
        ("runs trigger my_dag", "runs trigger my_dag --conf '{\"n\": 3}' --wait --max-wait 300"),
        _TRIGGER,
    ),
    _Command(
        "tasks list",
        "List task instances (of all DAGs and runs unless filtered).",
        (
            "tasks list --dag-id my_dag --run-id 'scheduled__2024-01-01T00:00:00+00:00'",
            "tasks list --state failed --json",
        ),
        (_DAG_FILTER, _RUN_FILTER, _STATE, _LIMIT),
    ),
    _Command(
        "xcom list",
        "List XCom entries (without values; v1 rows carry the run's logical date, not its run id).",
        ("xcom list --dag-id my_dag --key return_value --limit 50",),
        _XCOM_LIST,
    ),
    _Command(
        "xcom get",
        "Show one XCom entry with its value.",
        ("xcom get my_dag 'manual__2024-01-01T00:00:00+00:00' my_task return_value --json",),
        _XCOM_GET,
    ),
    _Command(
        "xcom harvest",
        _HARVEST_HELP,
        (
            "xcom harvest --out xcoms.jsonl",
            "xcom harvest --dag-id my_dag --key return_value --out xcoms.csv",
            "xcom harvest --dag-id my_dag --out xcoms.jsonl --resume",
            "xcom harvest --dag-id my_dag | jq .value",
        ),
        _HARVEST,
        runner=harvest_command,
    ),
    *(_export(name, kind) for name, kind in EXPORTS.items()),
    _Command("variables list", "List variables.", ("variables list",), (_LIMIT,)),
    _Command(
        "variables get",
        "Print a variable's value (the whole variable with --json).",
        ("variables get my_key",),
        (_KEY,),
    ),
    _Command(
        "variables set",
        "Create or overwrite a variable.",
        ("variables set my_key 'some value'", "variables set my_key - < value.txt"),
        _VARIABLES_SET,
    ),
    _Command("variables delete", "Delete a variable.", ("variables delete my_key",), (_KEY,)),
    _Command("pools list", "List pools.", ("pools list --json",), (_LIMIT,)),
    _Command(
        "connections list",
        "List connections (never their passwords).",
        ("connections list --json",),
        (_LIMIT,),
    ),
    _Command("health", "Show the health of Airflow's components.", ("health", "health --json")),
    _Command("version", "Show the server's and this client's versions.", ("version",)),
    _Command(
        "auth token",
        "Print a fresh API token (Airflow 3) for scripts: AIRFLOW_TOKEN=$(airflow-async auth token).",
        ("auth token", "auth token > token.txt"),
    ),
)


def _connection_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command takes, both before and after the command words.

    On the subcommands their default is SUPPRESS, so a value given before the
    command words is not overwritten by a subcommand's default.
    """
    g = parser.add_argument_group("connection and display options")
    for flags, settings in _CONNECTION:
        unset = False if settings.get("action") == "store_true" else None
        g.add_argument(*flags, **settings, default=unset if top else argparse.SUPPRESS)


def _everyday(words: tuple[str, ...]) -> Runner:
    handler = COMMANDS[words]

    async def runner(ctx: Context) -> int:
        return await run_command(ctx, handler)

    return runner


def _subparser(where: Any, name: str, text: str, examples: Sequence[str]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = where.add_parser(
        name, help=text, description=text, epilog="examples:\n" + _ex(*examples), formatter_class=_Formatter
    )
    return parser


def _add_commands(root: argparse.ArgumentParser) -> None:
    top = root.add_subparsers(title="commands", metavar="COMMAND")
    groups: dict[str, Any] = {}
    for name, text, examples in _GROUPS:
        parser = _subparser(top, name, text, examples)
        parser.set_defaults(runner=None, help_parser=parser)
        groups[name] = parser.add_subparsers(title=f"{name} commands", metavar="COMMAND")
    for cmd in _COMMANDS:
        words = tuple(cmd.words.split())
        parser = _subparser(groups[words[0]] if len(words) > 1 else top, words[-1], cmd.help, cmd.examples)
        parser.set_defaults(runner=cmd.runner or _everyday(words), command=cmd.words, **cmd.defaults)
        if cmd.runner is None:
            parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        _connection_options(parser, top=False)
        for flags, settings in cmd.args:
            parser.add_argument(*flags, **settings)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``airflow-async`` command."""
    root = argparse.ArgumentParser(
        prog=PROG, description=_DESCRIPTION, epilog=_MAIN_EXAMPLES, formatter_class=_Formatter
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _connection_options(root, top=True)
    root.set_defaults(runner=None, help_parser=root)
    _add_commands(root)
    return root
