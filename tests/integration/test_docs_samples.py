"""Every ```python block of the guides runs, as a reader would paste it, against the real servers.

A block runs on both servers (the ``server`` fixture) unless an HTML comment on the line before
it says otherwise: ``<!-- run: airflow2 -->`` or ``<!-- run: airflow3 -->`` for a block about one
version, ``<!-- not-run: reason -->`` for one that cannot run here (used sparingly). The only
change made to a block is the server's address (``http://127.0.0.1:8080`` in the guides) and, if
they differ, the admin's credentials. A block passes when it exits 0; blocks check what they
claim with an ``assert`` where the claim is not already a crash.

The samples only read the seeded data (or create their own objects and remove them), so the
tests that count seeded runs and XComs are not disturbed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .releases import server_at_least
from .servers import RealServer

pytestmark = pytest.mark.integration

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: The pages whose samples run: the guides (docs/guides/) and the hand-written pages beside them.
PAGES = sorted([*DOCS.glob("guides/*.md"), DOCS / "errors.md", DOCS / "index.md"])
#: A ```python block, and the <!-- mark: arg --> comment on the line before it, if any.
BLOCK = re.compile(
    r"(?:<!--\s*(?P<mark>[\w-]+)(?::\s*(?P<arg>[^>]*?))?\s*-->\n)?```python\n(?P<code>.*?)```", re.S
)
ADDRESS = "http://127.0.0.1:8080"
MAJORS = ("airflow2", "airflow3")


@dataclass(frozen=True)
class Sample:
    page: str
    line: int
    code: str
    servers: tuple[str, ...]


def samples() -> list[Sample]:
    """The python blocks of the guides, with the servers each runs on."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            mark, arg = match.group("mark"), (match.group("arg") or "").strip()
            line = text.count("\n", 0, match.start("code"))
            where = f"{page.relative_to(DOCS)}:{line}"
            if mark == "not-run":
                assert arg, f"{where}: say why the block cannot run: <!-- not-run: reason -->"
                continue
            if mark == "run":
                servers = tuple(arg.split())
                assert servers and set(servers) <= set(MAJORS), f"{where}: <!-- run: airflow2|airflow3 -->"
            else:
                assert mark is None, f"{where}: unknown mark {mark!r} before the block"
                servers = MAJORS
            found.append(Sample(str(page.relative_to(DOCS)), line, match.group("code"), servers))
    return found


def _params() -> list[object]:
    return [
        pytest.param(name, sample, id=f"{sample.page}:{sample.line}-{name}")
        for sample in samples()
        for name in sample.servers
    ]


def test_the_guides_have_samples_for_each_page_and_version() -> None:
    found = samples()
    assert {s.page for s in found} >= {f"guides/{p.stem}.md" for p in DOCS.glob("guides/*.md")}
    assert all(ADDRESS in s.code for s in found), "every sample talks to the documented address"
    for name in MAJORS:
        assert sum(name in s.servers for s in found) >= 10


@pytest.mark.parametrize(("server", "sample"), _params(), indirect=["server"])
def test_a_guide_sample_runs(server: RealServer, sample: Sample, tmp_path: Path) -> None:
    code = sample.code.replace(ADDRESS, server.url)
    if server.admin != ("admin", "admin"):
        code = code.replace('"admin", "admin"', ", ".join(map(repr, server.admin)))
    script = tmp_path / "sample.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path
    )
    refused = done.stderr.strip().splitlines()[-1:] if done.returncode else []
    if (
        refused
        and refused[0].startswith("airflow_async.errors.NotSupportedByServer: ")
        and server.name == "airflow2"
    ):
        # A sample of what the release lacks (Airflow 2.9: JSON XCom values) must stop with the
        # client's refusal naming the release that has it, and the server must be older.
        assert "needs Airflow 2.10" in refused[0], refused[0]
        assert not server_at_least(server.url, server.login_auth(*server.admin), "2.10.0"), refused[0]
        return
    assert done.returncode == 0, f"{sample.page}:{sample.line} on {server.name}:\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), f"{sample.page}:{sample.line} printed nothing"
