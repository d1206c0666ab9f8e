"""The compatibility matrix: the integration suite against every supported Airflow release.

Run from the repo root (``make test-matrix`` / ``make test-matrix VERSIONS="3.0.6 3.3.2"``)::

    python -m tests.harness.matrix [VERSIONS...]     # default: all of RELEASES, in order

For each release, one at a time (so it fits a 2-core machine), it runs
``python -m pytest tests/integration -p no:cacheprovider -q --junitxml=...`` in a subprocess with
``AIRFLOW_ASYNC_AIRFLOW2_VERSION`` (or ``..._AIRFLOW3_VERSION``) naming the release,
``AIRFLOW_ASYNC_TEST_ONLY`` naming its major, and every ``AIRFLOW_ASYNC_TEST*`` reuse variable
removed, so the session fixtures install, start, seed and stop that release themselves. It
parses the JUnit XML, prints a table and writes ``docs/compatibility.md``: one row per release
(result, counts, what the library gates there), the date and the library commit. Rows of
releases not run this time are kept from the existing document, marked as earlier runs. Each
run's output is in ``.cache/matrix/<release>.log``. Exit status 0 only if every release run
passed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from airflow_async.api import ResourceGroups
from airflow_async.api import v1 as api_v1
from airflow_async.api import v2 as api_v2
from airflow_async.api._base import Group
from airflow_async.api.v2.filters import CURSOR_SINCE
from airflow_async.versions import parse_release

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DOC_PATH = REPO_ROOT / "docs" / "compatibility.md"
LOG_DIR = REPO_ROOT / ".cache" / "matrix"

#: Every release the matrix covers, oldest first (the order it runs them in).
RELEASES: tuple[str, ...] = ("2.9.3", "2.10.5", "2.11.2", "3.0.6", "3.1.8", "3.2.2", "3.3.2")
#: The environment variable that picks each major's release in its harness.
VERSION_VARS = {"airflow2": "AIRFLOW_ASYNC_AIRFLOW2_VERSION", "airflow3": "AIRFLOW_ASYNC_AIRFLOW3_VERSION"}
#: Variables that make the fixtures reuse running servers (URL, MANIFEST, HOME, PYTHON, users,
#: seed sizes, TEST_ONLY): all removed, so each run starts its own server with default seeding.
_REUSE_VAR = re.compile(r"^AIRFLOW_ASYNC_TEST3?_")
#: Marks the machine-readable copy of the rows at the end of docs/compatibility.md.
_DATA_MARK = "<!-- matrix-data:"


def major(release: str) -> str:
    """``"airflow2"`` or ``"airflow3"``: the fixture (and API) family of ``release``."""
    return "airflow2" if parse_release(release)[0] == 2 else "airflow3"


def select(requested: Sequence[str]) -> list[str]:
    """The releases to run, in :data:`RELEASES` order; all of them when none is requested.

    Raises:
        SystemExit: A requested name is not one of :data:`RELEASES`.
    """
    unknown = [r for r in requested if r not in RELEASES]
    if unknown:
        raise SystemExit(
            f"unknown Airflow release(s): {', '.join(unknown)}; the matrix covers {', '.join(RELEASES)}"
        )
    wanted = set(requested) or set(RELEASES)
    return [r for r in RELEASES if r in wanted]


# --------------------------------------------------------------------------------------------
# What the library gates on each release
# --------------------------------------------------------------------------------------------


def _method(group: str, name: str, version: str) -> object:
    descriptor = ResourceGroups.__dict__[group]
    assert isinstance(descriptor, Group)
    cls = descriptor._classes[version]
    return getattr(cls, name)


def gated(release: str) -> list[str]:
    """What the client refuses (``NotSupportedByServer``) or does differently on ``release``.

    One ``"<since>+ <what>"`` entry per operation of the release's API version (v1 for Airflow 2,
    v2 for Airflow 3) whose client method carries a ``since`` (``airflow_async.api._base.since``)
    newer than ``release``, ``what`` being its operationId; for Airflow 3 before
    :data:`~airflow_async.api.v2.filters.CURSOR_SINCE`, the cursor paging of DAG-run and
    task-instance listings too. Ordered by ``since``, then as in the operation table.
    """
    have = parse_release(release)
    version, operations = ("v1", api_v1.OPERATIONS) if have[0] == 2 else ("v2", api_v2.OPERATIONS)
    out: list[tuple[str, str]] = []
    for op_id, target in operations.items():
        group, name = target.split(".")
        since = getattr(_method(group, name, version), "since", None)
        if since is not None and have < parse_release(since):
            out.append((since, op_id))
    if version == "v2" and have < parse_release(CURSOR_SINCE):
        out.append((CURSOR_SINCE, "cursor paging (DAG runs, task instances: offset paging instead)"))
    out.sort(key=lambda item: parse_release(item[0]))  # stable: table order within a release
    return [f"{since}+ {what}" for since, what in out]


def _group_gates(gates: Sequence[str]) -> str:
    """``gated()`` entries as one table cell: ``needs X.Y.Z: `a`, `b`<br>needs ...``."""
    by_since: dict[str, list[str]] = {}
    for entry in gates:
        since, what = entry.split("+ ", 1)
        by_since.setdefault(since, []).append(f"`{what}`")
    return "<br>".join(f"needs {since}: {', '.join(whats)}" for since, whats in by_since.items()) or "nothing"


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass
class Counts:
    """The outcome counts of one JUnit XML report, and the ids of what did not pass."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    not_passed: list[str] = field(default_factory=list)


def parse_junit(xml_text: str) -> Counts:
    """Count the test cases of a pytest JUnit XML report.

    A case with a ``<failure>`` is failed, else one with an ``<error>`` (setup or teardown)
    is an error, else one with ``<skipped>`` is skipped, else it passed.
    """
    counts = Counts()
    root = ET.fromstring(xml_text)
    for case in root.iter("testcase"):
        kinds = {child.tag for child in case}
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        if "failure" in kinds:
            counts.failed += 1
            counts.not_passed.append(f"FAILED {name}")
        elif "error" in kinds:
            counts.errors += 1
            counts.not_passed.append(f"ERROR {name}")
        elif "skipped" in kinds:
            counts.skipped += 1
            counts.not_passed.append(f"SKIPPED {name}")
        else:
            counts.passed += 1
    return counts


@dataclass
class Row:
    """One release's line in the matrix."""

    release: str
    result: str  # "pass" or "FAIL"
    passed: int
    failed: int
    errors: int
    skipped: int
    gated: list[str]
    date: str
    commit: str
    earlier: bool = False  # kept from a previous document, not run this time

    @classmethod
    def from_counts(cls, release: str, counts: Counts, exit_code: int, date: str, commit: str) -> Row:
        """The row of a run: it passes when pytest exited 0 with every case passed."""
        ok = exit_code == 0 and counts.passed > 0 and not (counts.failed or counts.errors or counts.skipped)
        return cls(
            release=release,
            result="pass" if ok else "FAIL",
            passed=counts.passed,
            failed=counts.failed,
            errors=counts.errors,
            skipped=counts.skipped,
            gated=gated(release),
            date=date,
            commit=commit,
        )


def library_commit() -> str:
    """``git rev-parse --short HEAD``, with ``+dirty`` when the work tree has changes."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (head or "unknown") + ("+dirty" if status else "")


def run_env(release: str, base: Mapping[str, str]) -> dict[str, str]:
    """The environment of the pytest run for ``release``: no reuse variables, this release's
    version variable, the other major's removed, and ``AIRFLOW_ASYNC_TEST_ONLY`` set."""
    env = {k: v for k, v in base.items() if not _REUSE_VAR.match(k) and k not in VERSION_VARS.values()}
    env[VERSION_VARS[major(release)]] = release
    env["AIRFLOW_ASYNC_TEST_ONLY"] = major(release)
    return env


def run_release(release: str, date: str, commit: str) -> tuple[Row, Counts]:
    """Run the integration suite against ``release`` (its fixtures start and stop it)."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{release}.log"
    with tempfile.TemporaryDirectory(prefix="matrix-") as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "tests/integration",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={junit}",
        ]
        print(f"\n=== Airflow {release}: {' '.join(cmd[2:])} (log {log_path})", flush=True)
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                cmd,
                cwd=REPO_ROOT,
                env=run_env(release, os.environ),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                sys.stdout.write(line)
            exit_code = proc.wait()
        counts = parse_junit(junit.read_text()) if junit.exists() else Counts(not_passed=["no JUnit report"])
    return Row.from_counts(release, counts, exit_code, date, commit), counts


# --------------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------------


def load_rows(text: str) -> list[Row]:
    """The rows recorded in an existing docs/compatibility.md (none if it has no data block)."""
    start = text.find(_DATA_MARK)
    if start < 0:
        return []
    end = text.find("-->", start)
    data = json.loads(text[start + len(_DATA_MARK) : end])
    return [Row(**{**item, "earlier": False}) for item in data]


def merge(previous: Iterable[Row], fresh: Iterable[Row]) -> list[Row]:
    """The rows of this run, plus the previous rows of the releases not run now (marked as
    earlier), in :data:`RELEASES` order."""
    by_release = {row.release: Row(**{**asdict(row), "earlier": True}) for row in previous}
    by_release.update({row.release: row for row in fresh})
    return [by_release[r] for r in RELEASES if r in by_release]


def _record(row: Row) -> dict[str, object]:
    """``row`` as stored in the document's data block (``earlier`` is decided when reading)."""
    return {k: v for k, v in asdict(row).items() if k != "earlier"}


def _reproduce(release: str) -> str:
    var = VERSION_VARS[major(release)]
    return (
        f"{var}={release} AIRFLOW_ASYNC_TEST_ONLY={major(release)} "
        ".venv/bin/python -m pytest tests/integration -p no:cacheprovider -q"
    )


def render(rows: Sequence[Row]) -> str:
    """docs/compatibility.md for ``rows``."""
    lines = [
        "# Compatibility",
        "",
        "Generated by `make test-matrix` (`tests/harness/matrix.py`): the integration suite",
        "(`tests/integration`) run against a real server of each Airflow release, one release at a",
        "time, each installed into its own venv from `tests/harness/constraints-airflow-<release>.txt`.",
        "Where a release lacks an operation, the client refuses it with `NotSupportedByServer`",
        '("needs Airflow X.Y") before sending, and the tests assert that refusal there.',
        "",
        "| Release | Result | Passed | Failed | Errors | Skipped | Gated or unavailable there "
        "| Date | Library commit |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for row in rows:
        mark = " (earlier run)" if row.earlier else ""
        gates = _group_gates(row.gated)
        lines.append(
            f"| {row.release} | {row.result} | {row.passed} | {row.failed} | {row.errors} | {row.skipped} "
            f"| {gates} | {row.date}{mark} | {row.commit}{mark} |"
        )
    if any(row.earlier for row in rows):
        lines += ["", "Rows marked *(earlier run)* were not re-run by the last `make test-matrix`."]
    lines += [
        "",
        "## Reproduce",
        "",
        "```sh",
        "make test-matrix                          # every release",
        'make test-matrix VERSIONS="2.9.3 3.3.2"   # a subset (other rows are kept)',
        "```",
        "",
        "One release by hand:",
        "",
        "```sh",
        *(_reproduce(row.release) for row in rows),
        "```",
        "",
        f"{_DATA_MARK} {json.dumps([_record(r) for r in rows])} -->",
        "",
    ]
    return "\n".join(lines)


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table of ``rows`` for the terminal."""
    header = ("release", "result", "passed", "failed", "errors", "skipped", "gated", "date", "commit")
    body = [
        (
            r.release,
            r.result,
            str(r.passed),
            str(r.failed),
            str(r.errors),
            str(r.skipped),
            str(len(r.gated)),
            r.date + (" (earlier)" if r.earlier else ""),
            r.commit,
        )
        for r in rows
    ]
    widths = [max(len(cells[i]) for cells in (header, *body)) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) for cells in (header, *body)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the matrix for the requested releases; write docs/compatibility.md."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.harness.matrix", description=__doc__.splitlines()[0]
    )
    parser.add_argument("versions", nargs="*", metavar="VERSION", help=f"any of {', '.join(RELEASES)}")
    args = parser.parse_args(argv)
    releases = select(args.versions)
    date = dt.datetime.now(dt.UTC).date().isoformat()
    commit = library_commit()
    fresh: list[Row] = []
    failures: dict[str, list[str]] = {}
    for release in releases:
        row, counts = run_release(release, date, commit)
        fresh.append(row)
        if row.result != "pass":
            failures[release] = counts.not_passed
    previous = load_rows(DOC_PATH.read_text()) if DOC_PATH.exists() else []
    rows = merge(previous, fresh)
    DOC_PATH.write_text(render(rows))
    print("\n" + format_table(rows))
    for release, not_passed in failures.items():
        print(f"\nAirflow {release}: " + ("; ".join(not_passed) or "pytest failed (see its log)"))
    print(f"\nwrote {DOC_PATH.relative_to(REPO_ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
