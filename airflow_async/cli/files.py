"""Output files for harvests and exports: JSONL and CSV writers, and reading them back to resume.

Every record is written whole and flushed at once, so a file cut short by Ctrl-C,
a crash or a lost connection holds only complete records, except perhaps a final
partial line when the process died in the middle of a write. :func:`read_done_keys`
drops such a line (truncating the file) and returns the natural keys of the
records already there, so a resumed run writes each record once.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

import attrs

from .config import CLIUsageError
from .output import dump_json, to_plain

__all__ = [
    "FORMATS",
    "FailureLog",
    "Layout",
    "RecordWriter",
    "ResumeState",
    "choose_format",
    "key_of",
    "read_columns",
    "read_done_keys",
]

#: The formats ``--format`` accepts.
FORMATS: Final = ("jsonl", "csv")

#: A record's natural key, as text.
Key = tuple[str, ...]


@attrs.frozen(kw_only=True)
class Layout:
    """What the records of an output file hold: their columns, and the fields that identify one.

    Attributes:
        columns: The fields of each record, in order (the CSV header).
        key: The natural key: ``--resume`` skips the records whose key the file already has.
    """

    columns: tuple[str, ...]
    key: tuple[str, ...]


def choose_format(fmt: str | None, out: str | None) -> str:
    """The output format: ``--format``, else from the file's suffix (``.csv``), else JSONL."""
    if fmt:
        return fmt
    if out and out != "-" and out.lower().endswith(".csv"):
        return "csv"
    return "jsonl"


def _key_text(value: Any) -> str:
    return "" if value is None else str(value)


def key_of(record: Mapping[str, Any], fields: Sequence[str]) -> Key:
    """The natural key of a record, as text (so JSONL and CSV records compare equal)."""
    return tuple(_key_text(record.get(f)) for f in fields)


def _csv_cell(value: Any, as_json: bool) -> str:
    if as_json:
        return dump_json(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return dump_json(value)


class RecordWriter:
    """Writes records (dicts) as JSON lines or CSV rows, flushing each one.

    The file is opened at the first record (or by :meth:`finish`), so a command
    that fails before it has anything to write leaves no file behind.

    Args:
        path: The file, or ``None`` for standard output.
        fmt: ``jsonl`` or ``csv``.
        columns: The fields of each record, in order (the CSV header).
        append: Add to the file (a resumed run) instead of replacing it.
        json_columns: CSV columns whose cells are always JSON text (a value that may be
            any JSON type); other cells are plain text, nested data as JSON.
    """

    def __init__(
        self,
        path: Path | None,
        fmt: str,
        columns: Sequence[str],
        *,
        append: bool = False,
        json_columns: Sequence[str] = (),
    ) -> None:
        if fmt not in FORMATS:
            raise CLIUsageError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        self.path = path
        self.fmt = fmt
        self.columns = list(columns)
        self.append = append
        self.json_columns = frozenset(json_columns)
        self.written = 0
        self._fh: TextIO | None = None
        self._csv: Any = None

    @property
    def name(self) -> str:
        """The file name for messages (``<stdout>`` for standard output)."""
        return "<stdout>" if self.path is None else str(self.path)

    def _open(self) -> TextIO:
        if self._fh is not None:
            return self._fh
        if self.path is None:
            fh: TextIO = sys.stdout
            need_header = True
        else:
            need_header = not (self.append and self.path.exists() and self.path.stat().st_size > 0)
            fh = open(self.path, "a" if self.append else "w", encoding="utf-8", newline="")
        self._fh = fh
        if self.fmt == "csv":
            self._csv = csv.writer(fh, lineterminator="\n")
            if need_header:
                self._csv.writerow(self.columns)
                fh.flush()
        return fh

    def write(self, record: Mapping[str, Any]) -> None:
        """Write one record and flush it."""
        fh = self._open()
        if self.fmt == "jsonl":
            fh.write(dump_json({c: to_plain(record.get(c)) for c in self.columns}) + "\n")
        else:
            self._csv.writerow(
                [_csv_cell(to_plain(record.get(c)), c in self.json_columns) for c in self.columns]
            )
        fh.flush()
        self.written += 1

    def finish(self) -> None:
        """Make sure the file exists (with its CSV header), then close it."""
        self._open()
        self.close()

    def close(self) -> None:
        """Close the file (standard output is flushed, never closed)."""
        fh, self._fh = self._fh, None
        if fh is None:
            return
        if fh is sys.stdout:
            fh.flush()
        else:
            fh.close()


class FailureLog:
    """The failures file: one JSON object per entry that failed after retries.

    Opened at the first failure, so a run without failures leaves no file; a stale
    file from an earlier run is removed by :meth:`reset` (a resumed run retries its
    entries, since they are not in the output file).

    Args:
        path: The file, or ``None`` to report failures on ``stream`` instead.
        stream: Where failures go when there is no file (standard error).
    """

    def __init__(self, path: Path | None, *, stream: TextIO | None = None) -> None:
        self.path = path
        self.stream = sys.stderr if stream is None else stream
        self.count = 0
        self._fh: TextIO | None = None

    def reset(self) -> None:
        """Remove the failures file of an earlier run."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def write(self, record: Mapping[str, Any]) -> None:
        """Record one failure."""
        self.count += 1
        line = dump_json(to_plain(dict(record)))
        if self.path is None:
            self.stream.write(f"failed: {line}\n")
            self.stream.flush()
            return
        if self._fh is None:
            self._fh = open(self.path, "w", encoding="utf-8")
        self._fh.write(line + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Close the file."""
        fh, self._fh = self._fh, None
        if fh is not None:
            fh.close()


@attrs.frozen(kw_only=True)
class ResumeState:
    """What :func:`read_done_keys` found in an existing output file.

    Attributes:
        keys: The natural keys of the complete records.
        records: How many complete records there are.
        dropped_bytes: Bytes of a partial last record that were cut off.
    """

    keys: frozenset[Key]
    records: int
    dropped_bytes: int


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield ``(end offset, line)`` for each line (with its newline, if any)."""
    start = 0
    while start < len(data):
        nl = data.find(b"\n", start)
        end = len(data) if nl < 0 else nl + 1
        yield end, data[start:end]
        start = end


def _jsonl_keys(path: Path, data: bytes, fields: Sequence[str]) -> tuple[set[Key], int, int]:
    keys: set[Key] = set()
    good = 0
    records = 0
    for lineno, (end, line) in enumerate(_lines(data), start=1):
        if not line.endswith(b"\n"):
            break  # a partial last line from a crash: dropped
        if not line.strip():
            good = end
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise CLIUsageError(
                f"line {lineno} of {path} is not a JSON object; is it a CSV file? "
                "(pass --format csv, or a new --out file)"
            ) from None
        if not isinstance(record, dict):
            raise CLIUsageError(f"line {lineno} of {path} is not a JSON object")
        keys.add(key_of(record, fields))
        records += 1
        good = end
    return keys, records, good


def _csv_keys(
    path: Path, data: bytes, fields: Sequence[str], columns: Sequence[str]
) -> tuple[set[Key], int, int]:
    consumed = [0]

    def feed() -> Iterator[str]:
        for end, line in _lines(data):
            consumed[0] = end
            yield line.decode("utf-8", "replace")

    keys: set[Key] = set()
    records = 0
    good = 0
    reader = csv.reader(feed(), strict=True)
    try:
        header = next(reader, None)
        if header is None or (not data.endswith(b"\n") and consumed[0] == len(data)):
            return keys, 0, 0  # an empty file, or a header cut short: start over
        if header != list(columns):
            raise CLIUsageError(
                f"{path} has columns {','.join(header)[:80]!r}, not those of this command; "
                "resume with the same command and --format, or pick a new --out file"
            )
        good = consumed[0]
        for row in reader:
            complete = consumed[0] < len(data) or data.endswith(b"\n")
            if not complete or len(row) != len(columns):
                break
            keys.add(key_of(dict(zip(columns, row, strict=True)), fields))
            records += 1
            good = consumed[0]
    except csv.Error:
        pass  # an unterminated quoted field at the end: the partial record is dropped
    return keys, records, good


def read_columns(path: Path, fmt: str) -> tuple[str, ...] | None:
    """The columns an existing output file was written in: its CSV header, or its first record's fields.

    ``None`` when the file is missing or holds no complete header or record yet (a resumed run
    starts it over), and when its first line is not ``fmt`` at all, which :func:`read_done_keys`
    then explains.

    Raises:
        CLIUsageError: The file cannot be read.
    """
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if not line.endswith(b"\n"):
                    return None  # cut short by a crash
                if fmt == "csv":
                    return tuple(next(csv.reader([line.decode("utf-8", "replace")]), []))
                if line.strip():
                    try:
                        record = json.loads(line)
                    except ValueError:
                        return None
                    return tuple(record) if isinstance(record, dict) else None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CLIUsageError(f"cannot read {path} to resume: {exc.strerror or exc}") from None
    return None


def read_done_keys(path: Path, fmt: str, fields: Sequence[str], columns: Sequence[str]) -> ResumeState:
    """Read the natural keys of the records in an output file, truncating a partial last record.

    Args:
        path: The output file (missing or empty means nothing is done yet).
        fmt: ``jsonl`` or ``csv``.
        fields: The natural-key fields.
        columns: The record's columns (the expected CSV header).

    Raises:
        CLIUsageError: The file is not one this command wrote.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ResumeState(keys=frozenset(), records=0, dropped_bytes=0)
    except OSError as exc:
        raise CLIUsageError(f"cannot read {path} to resume: {exc.strerror or exc}") from None
    if fmt == "jsonl":
        keys, records, good = _jsonl_keys(path, data, fields)
    else:
        keys, records, good = _csv_keys(path, data, fields, columns)
    dropped = len(data) - good
    if dropped:
        with open(path, "r+b") as fh:
            fh.truncate(good)
    return ResumeState(keys=frozenset(keys), records=records, dropped_bytes=dropped)
