"""The ``airflow-async`` command line (also ``python -m airflow_async``).

``main`` parses the arguments, runs the command on an event loop, and turns any
error into one line on standard error and an exit code (see
:mod:`airflow_async.cli.errors`). rich, if installed, draws tables and progress.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from ..errors import Forbidden
from .context import Context
from .errors import EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, exit_code_for, format_error
from .parser import PROG, build_parser

__all__ = ["build_parser", "main"]


@contextmanager
def _diagnostics(stderr: TextIO, *, debug: bool, verbose: bool) -> Iterator[None]:
    """Route the library's log and warnings to standard error as short lines, then restore."""
    logger = logging.getLogger("airflow_async")
    handler = logging.StreamHandler(stderr)
    if debug:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    old_level, old_propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG if debug else logging.INFO if verbose else logging.ERROR)
    logger.addHandler(handler)
    logger.propagate = False
    with warnings.catch_warnings():
        warnings.simplefilter("default")

        def show(
            message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
        ) -> None:
            stderr.write(f"{PROG}: warning: {message}\n")
            stderr.flush()

        warnings.showwarning = show
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
            logger.propagate = old_propagate


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``airflow-async`` command line and return its exit code.

    Args:
        argv: The arguments (default ``sys.argv[1:]``).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.runner is None:
        args.help_parser.print_help(sys.stderr)
        return EXIT_USAGE
    ctx = Context(args)
    with _diagnostics(ctx.stderr, debug=args.debug, verbose=args.verbose):
        try:
            code: int = asyncio.run(args.runner(ctx))
        except KeyboardInterrupt:
            ctx.stderr.write(f"{PROG}: interrupted\n")
            return EXIT_INTERRUPTED
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, like other tools
            _silence_stdout()
            return EXIT_BROKEN_PIPE
        except Exception as exc:
            return _report(ctx, exc)
    return code


def _silence_stdout() -> None:
    # Further writes (and the interpreter's final flush) go nowhere instead of failing again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _report(ctx: Context, exc: Exception) -> int:
    settings = ctx.resolved
    if ctx.args.debug:
        traceback.print_exception(exc, file=ctx.stderr)
    server = settings.url if settings else (ctx.args.url or "the server")
    fix = settings.credential_fix() if settings else "set AIRFLOW_PASSWORD or use --password-file"
    try:
        wrong: bool | None = False
        if isinstance(exc, Forbidden) and settings is not None and settings.auth_scheme == "basic":
            wrong = asyncio.run(settings.password_rejected())
        line = format_error(
            exc,
            server=server,
            credential_fix=fix,
            username=settings.username if settings else None,
            wrong_credentials=wrong,
        )
        code = exit_code_for(exc)
    except Exception:  # never let the error report itself fail
        line, code = f"{type(exc).__name__}: {exc}", EXIT_ERROR
    ctx.stderr.write(f"{PROG}: error: {line}\n")
    ctx.stderr.flush()
    return code
