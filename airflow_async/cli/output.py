"""What the CLI shows: tables, JSON, and a progress display on standard error.

rich is optional (the ``cli`` extra): it is imported lazily, only to draw a table
on a terminal or a live progress display, and when it is missing the CLI falls
back to plain text. Standard output carries only the command's result, so it
stays clean for pipes; progress and summaries go to standard error.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TextIO

import attrs

from ..models._convert import converter

__all__ = [
    "Progress",
    "ProgressCounts",
    "dump_json",
    "format_cell",
    "isatty",
    "print_json",
    "print_table",
    "rich_available",
    "to_plain",
]


def isatty(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (False for anything that cannot tell)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def rich_available() -> bool:
    """Whether rich can be imported."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def to_plain(obj: Any) -> Any:
    """A model (or anything holding models and datetimes) as plain JSON-able data."""
    if attrs.has(type(obj)):
        return converter.unstructure(obj)
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    return obj


def _json_default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if attrs.has(type(obj)):
        return converter.unstructure(obj)
    return repr(obj)


def dump_json(obj: Any, *, indent: int | None = None) -> str:
    """JSON text for ``obj``; datetimes become ISO 8601 strings, unknown objects their repr."""
    return json.dumps(
        obj,
        default=_json_default,
        ensure_ascii=False,
        indent=indent,
        separators=None if indent else (",", ":"),
    )


def print_json(obj: Any, out: TextIO | None = None) -> None:
    """Print one JSON document (indented on a terminal, compact in a pipe)."""
    out = sys.stdout if out is None else out
    out.write(dump_json(to_plain(obj), indent=2 if isatty(out) else None) + "\n")
    out.flush()


def format_cell(value: Any) -> str:
    """A value as table text: ``-`` for None, ISO time, JSON for containers."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Mapping | list | tuple):
        return dump_json(to_plain(value))
    return str(value)


def print_table(
    rows: Iterable[Sequence[Any]],
    columns: Sequence[str],
    *,
    out: TextIO | None = None,
    title: str | None = None,
) -> int:
    """Print rows as a table: rich on a terminal when available, else aligned plain text.

    Returns the number of rows printed.
    """
    out = sys.stdout if out is None else out
    cells = [[format_cell(v) for v in row] for row in rows]
    if isatty(out) and rich_available():
        _rich_table(cells, columns, out, title)
    else:
        _plain_table(cells, columns, out)
    return len(cells)


def _plain_table(cells: list[list[str]], columns: Sequence[str], out: TextIO) -> None:
    header = [c.upper() for c in columns]
    widths = [len(h) for h in header]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    for row in [header, *cells]:
        line = "  ".join(text.ljust(widths[i]) for i, text in enumerate(row)).rstrip()
        out.write(line + "\n")
    out.flush()


def _rich_table(cells: list[list[str]], columns: Sequence[str], out: TextIO, title: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in cells:
        table.add_row(*row)
    Console(file=out).print(table)


@attrs.define(kw_only=True)
class ProgressCounts:
    """What a long command reports while it runs.

    Attributes:
        listed: Entries listed so far.
        done: Values fetched (or records written).
        failed: Entries that failed after retries.
        skipped: Entries skipped (already in the output file).
    """

    listed: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0


class Progress:
    """A one-line progress display on standard error, for ``with`` blocks.

    It shows entries listed, values fetched, failures, skipped entries, the rate and
    the elapsed time. It draws only when the stream is a terminal and ``enabled``;
    with rich it is a live line, without it a line rewritten with ``\\r``.

    Args:
        label: What is being done ("harvest", "export dag-runs").
        done_label: The word for ``done`` ("fetched", "written").
        stream: Where to draw (standard error by default).
        enabled: False for ``--quiet``.
        source: Called at each redraw for fresh counts (instead of setting ``counts``).
    """

    def __init__(
        self,
        label: str,
        *,
        done_label: str = "fetched",
        stream: TextIO | None = None,
        enabled: bool = True,
        source: Callable[[], ProgressCounts] | None = None,
    ) -> None:
        self.label = label
        self.source = source
        self.done_label = done_label
        self.stream = sys.stderr if stream is None else stream
        self.active = enabled and isatty(self.stream)
        self.counts = ProgressCounts()
        self.started = time.monotonic()
        self._live: Any = None
        self._last_draw = 0.0
        self._drawn = False

    @property
    def elapsed(self) -> float:
        """Seconds since the display was made."""
        return time.monotonic() - self.started

    def text(self) -> str:
        """The current progress line."""
        if self.source is not None:
            self.counts = self.source()
        c = self.counts
        elapsed = time.monotonic() - self.started
        rate = c.done / elapsed if elapsed > 0 else 0.0
        parts = [
            f"{self.label}: listed {c.listed:,}",
            f"{self.done_label} {c.done:,}",
            f"failed {c.failed:,}",
        ]
        if c.skipped:
            parts.append(f"skipped {c.skipped:,}")
        parts.append(f"{rate:,.1f}/s")
        parts.append(_clock(elapsed))
        return "  ".join(parts)

    def __enter__(self) -> Progress:
        if self.active and rich_available():
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text

            console = Console(file=self.stream)
            self._live = Live(
                get_renderable=lambda: Text(self.text()),
                console=console,
                refresh_per_second=8,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        return self

    def update(self) -> None:
        """Redraw if due (the rich display refreshes itself; the plain one here, 4 times a second)."""
        if not self.active or self._live is not None:
            return
        now = time.monotonic()
        if now - self._last_draw >= 0.25:
            self._last_draw = now
            self.stream.write("\r\x1b[2K" + self.text())
            self.stream.flush()
            self._drawn = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Remove the display, leaving the terminal line empty for the summary."""
        if self._live is not None:
            self._live.stop()
            self._live = None
        elif self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
