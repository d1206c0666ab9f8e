"""The README's quickstart runs, unchanged but for the server's address, on both servers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .releases import server_at_least
from .servers import RealServer

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"


def _quickstart() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "the README has no python quickstart"
    return str(blocks[0])


def test_the_quickstart_runs_on_both_versions(server: RealServer, tmp_path: Path) -> None:
    code = _quickstart()
    assert "http://127.0.0.1:8080" in code and 'PasswordAuth("admin", "admin")' in code
    script = tmp_path / "quickstart.py"
    script.write_text(code.replace("http://127.0.0.1:8080", server.url), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600, check=False
    )
    lines = done.stdout.splitlines()
    version = "v2" if server.name == "airflow3" else "v1"
    if not server_at_least(server.url, server.login_auth(*server.admin), "2.10.0"):
        # Airflow 2.9 has only str(value): the quickstart's harvest (JSON values) is refused.
        assert lines[0].startswith("Airflow (") and lines[0].endswith(f"API {version}")
        assert done.returncode == 1 and "(JSON values) needs Airflow 2.10.0" in done.stderr, done.stderr
        return
    assert done.returncode == 0, done.stderr[-2000:]
    assert lines[0].startswith("Airflow (") and lines[0].endswith(f"API {version}")
    counts = dict(re.findall(r"(\w+)=(\d+)", lines[-2]))  # HarvestStats(listed=..., delivered=...)
    assert int(counts["listed"]) >= len(server.manifest)  # other tests may add XComs
    assert counts["delivered"] == counts["listed"] and counts["failed"] == "0"
    assert not any(line.startswith("failed:") for line in lines)
