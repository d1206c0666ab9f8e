"""docs/coverage.md: every operation of both specs and the client method that calls it.

The page is generated from the specs the real servers ship (read with each server's own Python
and PyYAML) and from the two maps, ``airflow_async.OPERATIONS`` (v1) and
``airflow_async.api.v2.OPERATIONS`` (v2); tests/integration/test_api_v2_coverage.py fails when
the committed page differs from what this renders. Run from the repo root::

    python -m tests.harness.coverage write     # rewrite docs/coverage.md (needs both harness venvs)
    python -m tests.harness.coverage check     # exit 1 when docs/coverage.md is stale
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "coverage.md"
SITE = "lib/python3.11/site-packages/airflow"
#: Where each version's spec sits inside a harness venv, and the release it is read from.
SPECS = {
    "v1": ("2.11.2", f"{SITE}/api_connexion/openapi/v1.yaml"),
    "v2": ("3.3.2", f"{SITE}/api_fastapi/core_api/openapi/v2-rest-api-generated.yaml"),
}
_READ = (
    "import json, sys, yaml\n"
    "spec = yaml.safe_load(open(sys.argv[1]))\n"
    "ops = {op['operationId']: [m.upper(), p, op['tags'][0]] for p, path in spec['paths'].items()\n"
    "       for m, op in path.items() if m in ('get', 'put', 'post', 'patch', 'delete')}\n"
    "print(json.dumps(ops))\n"
)


@dataclass(frozen=True)
class Operation:
    """One operation of a spec: its HTTP method, path template and first tag."""

    method: str
    path: str
    tag: str


def spec_operations(python: Path | str, version: str) -> dict[str, Operation]:
    """``{operationId: Operation}`` of the spec of ``version`` inside the venv of ``python``."""
    spec = Path(python).parents[1] / SPECS[version][1]
    if not spec.is_file():
        raise FileNotFoundError(f"no {version} spec at {spec}: is the harness venv installed?")
    done = subprocess.run(
        [str(python), "-c", _READ, str(spec)], capture_output=True, text=True, timeout=120, check=True
    )
    return {op: Operation(*fields) for op, fields in json.loads(done.stdout).items()}


def operation_matcher(ops: Mapping[str, Operation]) -> Callable[[str, str], str | None]:
    """A function ``(method, path) -> operationId`` (or None) for the requests a server logged.

    A path segment matches a template's ``{param}`` or its literal text; where two templates
    match (``.../taskInstances/{task_id}/tries`` and ``.../{task_id}/{map_index}``), the one with
    more literal segments wins, as in the server's router. Servers log paths decoded, so a
    parameter may hold a ``/`` (a key ``a/b``): a path no template matches segment by segment
    is tried again with parameters that may span segments.
    """
    compiled: list[tuple[int, str, re.Pattern[str], re.Pattern[str], str]] = []
    for op_id, op in ops.items():
        parts = op.path.strip("/").split("/")
        strict = "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        loose = "/".join(".+?" if p.startswith("{") else re.escape(p) for p in parts)
        literal = sum(not p.startswith("{") for p in parts)
        compiled.append((-literal, op.method, re.compile(f"/{strict}"), re.compile(f"/{loose}"), op_id))
    compiled.sort(key=lambda c: c[0])

    def match(method: str, path: str) -> str | None:
        for loose in (False, True):
            for _, want, strict_re, loose_re, op_id in compiled:
                if want == method and (loose_re if loose else strict_re).fullmatch(path):
                    return op_id
        return None

    return match


#: One request in an api-server's access log (structlog's ``http.access`` lines, Airflow 3).
ACCESS_LINE = re.compile(
    r"\[http\.access\].* method=(?P<method>[A-Z]+) path=(?:'(?P<quoted>[^']*)'|(?P<path>\S+)) "
    r".*status_code=(?P<status>\d+)"
)


def logged_requests(log_files: Iterable[Path]) -> Iterator[tuple[str, str, int]]:
    """``(method, path, status)`` of every request in the given api-server logs."""
    for log in log_files:
        with open(log, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                found = ACCESS_LINE.search(line)
                if found:
                    path = found["quoted"] if found["quoted"] is not None else found["path"]
                    yield found["method"], path, int(found["status"])


def _since(method: object) -> str:
    return str(getattr(method, "since", ""))


def render(specs: Mapping[str, Mapping[str, Operation]]) -> str:
    """The page for the specs of both versions (``{"v1": ..., "v2": ...}``)."""
    from airflow_async import OPERATIONS as V1
    from airflow_async.api import ResourceGroups
    from airflow_async.api.v2 import OPERATIONS as V2

    maps = {"v1": V1, "v2": V2}

    def method_of(version: str, target: str) -> object | None:
        group_name, _, method_name = target.partition(".")
        group = vars(ResourceGroups).get(group_name)
        cls = group._classes.get(version) if group is not None else None
        return getattr(cls, method_name, None) if cls is not None else None

    lines = [
        "# API coverage",
        "",
        "<!-- Generated by `python -m tests.harness.coverage write` from the specs the real servers",
        "ship; tests/integration/test_api_v2_coverage.py fails when it is stale. Do not edit. -->",
        "",
        "Every operation of the REST API of each Airflow major version, and the method of",
        "`AirflowClient` that calls it (`client.<group>.<method>`). Where v1 and v2 mean the same",
        'thing, the method has the same name on both versions ("also on"); one method may serve',
        "several operations (a task instance and its mapped form, an operation and its dry run). A",
        "method marked with a release is gated: on an older server it raises",
        "`NotSupportedByServer` naming the release, before any request is sent.",
        "",
        "| API | Airflow | operations | with a method |",
        "|---|---|---|---|",
    ]
    for version, ops in specs.items():
        covered = sum(method_of(version, maps[version].get(op, "")) is not None for op in ops)
        lines.append(f"| {version} | {SPECS[version][0]} | {len(ops)} | {covered} |")
    for version, ops in specs.items():
        lines += ["", f"## API {version} (Airflow {SPECS[version][0]})", ""]
        lines += [
            "| tag | operationId | request | client method | since | also on |",
            "|---|---|---|---|---|---|",
        ]
        other = "v2" if version == "v1" else "v1"
        for op_id, op in sorted(ops.items(), key=lambda kv: (kv[1].tag, kv[0])):
            target = maps[version].get(op_id, "")
            method = method_of(version, target) if target else None
            since = _since(method) if method is not None else ""
            shown = f"`{target}`" if method is not None else f"MISSING `{target}`"
            also = other if target and target in maps[other].values() else ""
            lines.append(f"| {op.tag} | `{op_id}` | `{op.method} {op.path}` | {shown} | {since} | {also} |")
    return "\n".join(lines) + "\n"


def _harness_pythons() -> dict[str, Path]:
    from tests.harness import airflow2, airflow3

    return {"v1": airflow2.AIRFLOW_VENV / "bin" / "python", "v2": airflow3.AIRFLOW_VENV / "bin" / "python"}


def main(argv: list[str] | None = None) -> int:
    """``write`` or ``check`` docs/coverage.md."""
    parser = argparse.ArgumentParser(prog="python -m tests.harness.coverage")
    parser.add_argument("command", choices=["write", "check"])
    args = parser.parse_args(argv)
    specs = {v: spec_operations(python, v) for v, python in _harness_pythons().items()}
    page = render(specs)
    if args.command == "write":
        DOC.write_text(page, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
        return 0
    if DOC.read_text(encoding="utf-8") != page:
        print(
            f"{DOC.relative_to(ROOT)} is stale: run python -m tests.harness.coverage write", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
