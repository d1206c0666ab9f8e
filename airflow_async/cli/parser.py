"""The command line: argparse parsers for every command, each ``--help`` with examples."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .. import __version__
from .commands import COMMANDS, run_command
from .config import AUTH_SCHEMES, DEFAULT_URL
from .context import Context
from .files import FORMATS
from .harvest import EXPORTS, export_command, harvest_command

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


def _connection_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command takes, both before and after the command words.

    On the subcommands their default is SUPPRESS, so a value given before the
    command words is not overwritten by a subcommand's default.
    """

    def d(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    g = parser.add_argument_group("connection and display options")
    g.add_argument("--url", default=d(None), help=f"server root (env AIRFLOW_URL; default {DEFAULT_URL})")
    g.add_argument("--username", "-u", default=d(None), help="user name (env AIRFLOW_USERNAME)")
    g.add_argument(
        "--password-file", metavar="FILE", default=d(None), help="read the password from FILE ('-': stdin)"
    )
    g.add_argument(
        "--password",
        default=d(None),
        help="the password (discouraged: it lands in shell history; use AIRFLOW_PASSWORD)",
    )
    g.add_argument(
        "--auth",
        choices=AUTH_SCHEMES,
        default=d(None),
        help="how to log in (env AIRFLOW_AUTH; default session)",
    )
    g.add_argument("--token-file", metavar="FILE", default=d(None), help="bearer token file for --auth token")
    g.add_argument(
        "--concurrency", type=int, metavar="N", default=d(None), help="requests in flight (default 16)"
    )
    g.add_argument(
        "--timeout", type=float, metavar="SECONDS", default=d(None), help="per request attempt (default 30)"
    )
    g.add_argument(
        "--quiet", "-q", action="store_true", default=d(False), help="no progress display or notes"
    )
    g.add_argument("--verbose", "-v", action="store_true", default=d(False), help="log retries and warnings")
    g.add_argument(
        "--debug", action="store_true", default=d(False), help="show tracebacks and the request log on stderr"
    )


class _Builder:
    def __init__(self, root: argparse.ArgumentParser) -> None:
        self.root = root
        self.groups: dict[str, Any] = {}
        self._top = root.add_subparsers(title="commands", metavar="COMMAND")

    def group(self, name: str, help: str, examples: str) -> Any:
        parser = self._top.add_parser(
            name, help=help, description=help, epilog=examples, formatter_class=_Formatter
        )
        parser.set_defaults(runner=None, help_parser=parser)
        sub = parser.add_subparsers(title=f"{name} commands", metavar="COMMAND")
        self.groups[name] = sub
        return sub

    def command(
        self,
        words: Sequence[str],
        help: str,
        examples: str,
        runner: Runner,
        *,
        json: bool = False,
    ) -> argparse.ArgumentParser:
        where = self.groups[words[0]] if len(words) > 1 else self._top
        parser: argparse.ArgumentParser = where.add_parser(
            words[-1],
            help=help,
            description=help,
            epilog="examples:\n" + examples,
            formatter_class=_Formatter,
        )
        parser.set_defaults(runner=runner, command=" ".join(words))
        if json:
            parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        _connection_options(parser, top=False)
        return parser


def _everyday(words: tuple[str, ...]) -> Runner:
    handler = COMMANDS[words]

    async def runner(ctx: Context) -> int:
        return await run_command(ctx, handler)

    return runner


def _limit(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, metavar="N", help="show at most N")


def _ex(*lines: str) -> str:
    return "".join(f"  {PROG} {line}\n" for line in lines)


def _add_everyday(b: _Builder) -> None:
    b.group(
        "dags", "List, show, pause and unpause DAGs.", "examples:\n" + _ex("dags list", "dags pause my_dag")
    )
    p = b.command(
        ("dags", "list"),
        "List DAGs.",
        _ex("dags list", "dags list --pattern etl_ --json"),
        _everyday(("dags", "list")),
        json=True,
    )
    p.add_argument("--pattern", help="only DAG ids containing this (SQL LIKE)")
    p.add_argument("--tag", action="append", help="only DAGs with this tag (repeatable)")
    _limit(p)
    for verb, text in (("get", "Show one DAG."), ("pause", "Pause a DAG."), ("unpause", "Unpause a DAG.")):
        p = b.command(("dags", verb), text, _ex(f"dags {verb} my_dag"), _everyday(("dags", verb)), json=True)
        p.add_argument("dag_id", metavar="DAG_ID")

    b.group("runs", "List, show and trigger DAG runs.", "examples:\n" + _ex("runs list --dag-id my_dag"))
    p = b.command(
        ("runs", "list"),
        "List DAG runs (of all DAGs unless --dag-id).",
        _ex("runs list --dag-id my_dag --state failed", "runs list --limit 20 --json"),
        _everyday(("runs", "list")),
        json=True,
    )
    p.add_argument("--dag-id", default="~", help="only this DAG's runs")
    p.add_argument("--state", action="append", help="only runs in this state (repeatable)")
    _limit(p)
    p = b.command(
        ("runs", "get"),
        "Show one DAG run.",
        _ex("runs get my_dag 'manual__2024-01-01T00:00:00+00:00'"),
        _everyday(("runs", "get")),
        json=True,
    )
    p.add_argument("dag_id", metavar="DAG_ID")
    p.add_argument("run_id", metavar="RUN_ID")
    p = b.command(
        ("runs", "trigger"),
        "Trigger a DAG run; with --wait, wait until it finishes (exit 4 if it failed).",
        _ex("runs trigger my_dag", "runs trigger my_dag --conf '{\"n\": 3}' --wait --max-wait 300"),
        _everyday(("runs", "trigger")),
        json=True,
    )
    p.add_argument("dag_id", metavar="DAG_ID")
    p.add_argument("--run-id", help="the new run's id (default: the server picks manual__<date>)")
    p.add_argument("--conf", metavar="JSON", help="the run's conf, a JSON object")
    p.add_argument("--logical-date", metavar="ISO", help="e.g. 2024-01-01T00:00:00+00:00")
    p.add_argument("--note", help="a note on the run")
    p.add_argument("--wait", action="store_true", help="poll until the run succeeds or fails")
    p.add_argument("--poll-interval", type=float, default=2.0, metavar="SECONDS", help="default 2")
    p.add_argument("--max-wait", type=float, default=600.0, metavar="SECONDS", help="default 600")

    b.group("tasks", "List task instances.", "examples:\n" + _ex("tasks list --dag-id my_dag --state failed"))
    p = b.command(
        ("tasks", "list"),
        "List task instances (of all DAGs and runs unless filtered).",
        _ex(
            "tasks list --dag-id my_dag --run-id 'scheduled__2024-01-01T00:00:00+00:00'",
            "tasks list --state failed --json",
        ),
        _everyday(("tasks", "list")),
        json=True,
    )
    p.add_argument("--dag-id", default="~")
    p.add_argument("--run-id", default="~")
    p.add_argument("--state", action="append", help="only this state (repeatable)")
    _limit(p)


def _add_admin(b: _Builder) -> None:
    b.group("variables", "Read and write variables.", "examples:\n" + _ex("variables get my_key"))
    p = b.command(
        ("variables", "list"),
        "List variables.",
        _ex("variables list"),
        _everyday(("variables", "list")),
        json=True,
    )
    _limit(p)
    p = b.command(
        ("variables", "get"),
        "Print a variable's value (the whole variable with --json).",
        _ex("variables get my_key"),
        _everyday(("variables", "get")),
        json=True,
    )
    p.add_argument("key", metavar="KEY")
    p = b.command(
        ("variables", "set"),
        "Create or overwrite a variable.",
        _ex("variables set my_key 'some value'", "variables set my_key - < value.txt"),
        _everyday(("variables", "set")),
        json=True,
    )
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="VALUE", help="the value ('-' reads standard input)")
    p.add_argument("--description")
    p = b.command(
        ("variables", "delete"),
        "Delete a variable.",
        _ex("variables delete my_key"),
        _everyday(("variables", "delete")),
        json=True,
    )
    p.add_argument("key", metavar="KEY")

    b.group("pools", "List pools.", "examples:\n" + _ex("pools list"))
    _limit(
        b.command(
            ("pools", "list"),
            "List pools.",
            _ex("pools list --json"),
            _everyday(("pools", "list")),
            json=True,
        )
    )
    b.group("connections", "List connections.", "examples:\n" + _ex("connections list"))
    _limit(
        b.command(
            ("connections", "list"),
            "List connections (never their passwords).",
            _ex("connections list --json"),
            _everyday(("connections", "list")),
            json=True,
        )
    )
    b.command(
        ("health",),
        "Show the health of Airflow's components.",
        _ex("health", "health --json"),
        _everyday(("health",)),
        json=True,
    )
    b.command(
        ("version",),
        "Show the server's and this client's versions.",
        _ex("version"),
        _everyday(("version",)),
        json=True,
    )


def _output_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--out", "-o", metavar="FILE", help=f"write {what} to FILE (default: standard output)")
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="jsonl (one JSON object per line) or csv; default from FILE's suffix, else jsonl",
    )
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted run: skip what FILE already holds"
    )
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def _add_xcom(b: _Builder) -> None:
    b.group(
        "xcom",
        "List, show and harvest XCom entries.",
        "examples:\n" + _ex("xcom list --dag-id my_dag", "xcom harvest --dag-id my_dag --out xcoms.jsonl"),
    )
    p = b.command(
        ("xcom", "list"),
        "List XCom entries (without values; v1 rows carry the execution date, not the run id).",
        _ex("xcom list --dag-id my_dag --key return_value --limit 50"),
        _everyday(("xcom", "list")),
        json=True,
    )
    _xcom_filters(p, multi_key=False)
    _limit(p)
    p = b.command(
        ("xcom", "get"),
        "Show one XCom entry with its value.",
        _ex("xcom get my_dag 'manual__2024-01-01T00:00:00+00:00' my_task return_value --json"),
        _everyday(("xcom", "get")),
        json=True,
    )
    for name in ("dag_id", "run_id", "task_id", "key"):
        p.add_argument(name, metavar=name.upper())
    p.add_argument("--map-index", type=int, metavar="N", help="of a mapped task instance")
    _value_options(p)
    p = b.command(
        ("xcom", "harvest"),
        "Fetch every matching XCom value concurrently and stream it to a file as it arrives.\n\n"
        "Each record is one JSON line (or CSV row) with dag_id, dag_run_id, task_id, map_index, key,\n"
        "timestamp and value. Values are JSON by default (--stringify for the server's repr strings);\n"
        "in CSV the value column holds the value's JSON text. Entries that still fail after retries go\n"
        "to FILE.failures.jsonl with their error, and the exit code is 3. Ctrl-C stops cleanly (exit\n"
        "130) leaving a valid file; --resume continues without duplicates or re-fetching.",
        _ex(
            "xcom harvest --out xcoms.jsonl",
            "xcom harvest --dag-id my_dag --key return_value --out xcoms.csv",
            "xcom harvest --dag-id my_dag --out xcoms.jsonl --resume",
            "xcom harvest --dag-id my_dag | jq .value",
        ),
        harvest_command,
    )
    _xcom_filters(p, multi_key=True)
    _value_options(p)
    _output_options(p, "the values")
    p.add_argument("--failures", metavar="FILE", help="where failures go (default FILE.failures.jsonl)")


def _xcom_filters(p: argparse.ArgumentParser, *, multi_key: bool) -> None:
    p.add_argument("--dag-id", default="~", help="only this DAG (default: all)")
    p.add_argument("--run-id", default="~", help="only this DAG run (default: all)")
    p.add_argument("--task-id", default="~", help="only this task (default: all)")
    if multi_key:
        p.add_argument("--key", action="extend", nargs="+", metavar="KEY", help="only these keys")
    else:
        p.add_argument("--key", help="only this key")
    p.add_argument("--map-index", type=int, metavar="N", help="only this map index")


def _value_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stringify",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="values as the server's Python-repr strings; default --no-stringify: JSON values",
    )
    p.add_argument(
        "--deserialize", action="store_true", help="have the server run the XCom backend's full deserialize"
    )


def _add_export(b: _Builder) -> None:
    b.group(
        "export",
        "Export metadata listings (DAG runs, task instances, XCom entries) to JSONL or CSV.",
        "examples:\n"
        + _ex("export dag-runs --out runs.jsonl", "export task-instances --state failed --out failed.csv"),
    )
    for name, kind in EXPORTS.items():
        p = b.command(
            ("export", name),
            f"Export {name.replace('-', ' ')} to a file, streaming (resumable with --resume; "
            f"records are keyed by {', '.join(kind.key)}).",
            _ex(
                f"export {name} --out {name}.jsonl",
                f"export {name} --dag-id my_dag --out {name}.csv --resume",
            ),
            export_command,
        )
        p.set_defaults(kind=name)
        p.add_argument("--dag-id", default="~", help="only this DAG (default: all)")
        if name != "dag-runs":
            p.add_argument("--run-id", default="~", help="only this DAG run (default: all)")
        if name == "xcom-entries":
            p.add_argument("--task-id", default="~", help="only this task (default: all)")
            p.add_argument("--key", action="extend", nargs="+", metavar="KEY", help="only these keys")
            p.add_argument("--map-index", type=int, metavar="N", help="only this map index")
        else:
            p.add_argument("--state", action="append", help="only this state (repeatable)")
        _output_options(p, "the records")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``airflow-async`` command."""
    root = argparse.ArgumentParser(
        prog=PROG, description=_DESCRIPTION, epilog=_MAIN_EXAMPLES, formatter_class=_Formatter
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _connection_options(root, top=True)
    root.set_defaults(runner=None, help_parser=root)
    b = _Builder(root)
    _add_everyday(b)
    _add_xcom(b)
    _add_export(b)
    _add_admin(b)
    return root
