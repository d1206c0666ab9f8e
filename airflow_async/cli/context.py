"""What every command gets: its parsed arguments, the output streams and the connection settings."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Coroutine
from typing import Any, TextIO, TypeVar

from .config import Settings, resolve_settings

__all__ = ["Context", "interruptible"]

T = TypeVar("T")


class Context:
    """A command's arguments and streams.

    Args:
        args: The parsed command line.
        stdout: Where results go (standard output).
        stderr: Where progress, notes and errors go (standard error).
    """

    def __init__(
        self, args: argparse.Namespace, *, stdout: TextIO | None = None, stderr: TextIO | None = None
    ):
        self.args = args
        self.stdout = sys.stdout if stdout is None else stdout
        self.stderr = sys.stderr if stderr is None else stderr
        self._settings: Settings | None = None

    @property
    def quiet(self) -> bool:
        """``--quiet``: no progress display and no notes."""
        return bool(getattr(self.args, "quiet", False))

    @property
    def json(self) -> bool:
        """``--json``: results as JSON instead of tables."""
        return bool(getattr(self.args, "json", False))

    @property
    def settings(self) -> Settings:
        """The connection settings (resolved, and a password asked for, on first use)."""
        if self._settings is None:
            self._settings = resolve_settings(self.args)
        return self._settings

    @property
    def resolved(self) -> Settings | None:
        """The settings if they were resolved already (for error messages)."""
        return self._settings

    def note(self, message: str) -> None:
        """A line on standard error, unless ``--quiet``."""
        if not self.quiet:
            self.stderr.write(f"{message}\n")
            self.stderr.flush()


async def interruptible(work: Coroutine[Any, Any, T]) -> tuple[T | None, int | None]:
    """Run ``work``, cancelling it cleanly on SIGINT (Ctrl-C) or SIGTERM.

    Returns ``(result, None)`` when it finished, or ``(None, signal number)`` when a
    signal stopped it; cancellation lets its ``finally`` and ``async with`` blocks
    close files and requests.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        task.cancel()

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            continue
        installed.append(sig)
    try:
        return await task, None
    except asyncio.CancelledError:
        if received and task.cancelled():
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we were cancelled too, from outside
            return None, received[0]
        raise
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
