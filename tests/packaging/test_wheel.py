"""The wheel a user installs: built from the sdist, checked, installed alone, used, type-checked.

``python -m build`` makes the sdist and, from it, the wheel (so a file missing from the sdist
breaks the wheel too); ``twine check --strict`` reads their metadata as PyPI would. The wheel is
installed into a fresh virtualenv without the dev extras (its dependencies come from the
registry), and from outside the source tree: the package imports, the ``airflow-async`` entry
point answers ``--version`` and ``--help``, and mypy --strict (the project's, pointed at that
virtualenv's python) accepts a small typed script that uses the client. The same mypy run on a
copy of the virtualenv whose package lost its ``py.typed`` fails, so the check really depends on
the marker the wheel ships.
"""

from __future__ import annotations

import email
import email.message
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import airflow_async

ROOT = Path(__file__).resolve().parents[2]
VERSION = airflow_async.__version__
MYPY = Path(sys.executable).with_name("mypy")

#: A user's script: strict mypy accepts it only if the installed package carries its types.
SNIPPET = """\
from __future__ import annotations

import asyncio
from typing import assert_type

from airflow_async import DAG, AirflowClient, Paginator, PasswordAuth, __version__
from airflow_async.versions import Release


async def main(url: str) -> list[str]:
    async with AirflowClient(url, auth=PasswordAuth("admin", "admin"), max_concurrency=4) as af:
        listing = af.dags.list(max_items=10)
        assert_type(listing, Paginator[DAG])
        release: Release | None = af.server_version
        print(release, af.api_version)
        return [dag.dag_id async for dag in listing]


if __name__ == "__main__":
    print(__version__.upper(), asyncio.run(main("http://127.0.0.1:8080")))
"""


def _run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@dataclass(frozen=True)
class Built:
    sdist: Path
    wheel: Path
    venv: Path
    work: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    _ok(_run(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=work))
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    venv = work / "venv"
    _ok(_run(sys.executable, "-m", "venv", venv, cwd=work))
    _ok(_run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=work))
    return Built(sdist, wheel, venv, work)


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        return email.message_from_bytes(zf.read(f"airflow_async-{VERSION}.dist-info/METADATA"))


def test_twine_accepts_both_files(built: Built) -> None:
    _ok(_run(sys.executable, "-m", "twine", "check", "--strict", built.sdist, built.wheel, cwd=built.work))


def test_the_wheel_carries_types_license_readme_and_classifiers(built: Built) -> None:
    assert built.wheel.name == f"airflow_async-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(built.wheel) as zf:
        names = set(zf.namelist())
        entry_points = zf.read(f"airflow_async-{VERSION}.dist-info/entry_points.txt").decode()
    assert "airflow_async/py.typed" in names
    assert f"airflow_async-{VERSION}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "docs/"))]
    assert "airflow-async = airflow_async.cli:main" in entry_points
    meta = _metadata(built.wheel)
    assert meta["Version"] == VERSION and meta["Name"] == "airflow-async"
    assert meta["License-Expression"] == "Apache-2.0" and meta["License-File"] == "LICENSE"
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert "# airflow-async" in meta.get_payload() and "## Documentation" in meta.get_payload()
    classifiers = meta.get_all("Classifier") or []
    for wanted in ("Programming Language :: Python :: 3.11", "Typing :: Typed", "Framework :: AsyncIO"):
        assert wanted in classifiers
    extras = meta.get_all("Provides-Extra") or []
    assert {"cli", "docs", "dev"} <= set(extras)


def test_the_sdist_carries_the_license_changelog_and_docs(built: Built) -> None:
    with tarfile.open(built.sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    for wanted in (
        "LICENSE",
        "CHANGELOG.md",
        "README.md",
        "pyproject.toml",
        "mkdocs.yml",
        "airflow_async/py.typed",
    ):
        assert wanted in names
    assert not [n for n in names if n.startswith((".cache/", ".venv/", "site/", "out/"))]


def test_the_installed_package_imports_and_its_command_answers(built: Built) -> None:
    code = "import airflow_async as a; print(a.__version__, a.__file__)"
    where = _ok(_run(built.python, "-c", code, cwd=built.work))
    version, path = where.split()
    assert version == VERSION and Path(path).is_relative_to(built.venv)
    # without the dev extras (and without the cli extra: rich is optional)
    assert _run(built.python, "-c", "import pytest", cwd=built.work).returncode != 0
    assert _run(built.python, "-c", "import rich", cwd=built.work).returncode != 0
    command = built.venv / "bin" / "airflow-async"
    assert _ok(_run(command, "--version", cwd=built.work)).strip() == f"airflow-async {VERSION}"
    usage = _ok(_run(command, "--help", cwd=built.work))
    assert "xcom" in usage and "export" in usage


def _mypy(python: Path, work: Path) -> subprocess.CompletedProcess[str]:
    script = work / "uses_the_client.py"
    script.write_text(SNIPPET, encoding="utf-8")
    config = work / "mypy.ini"  # none of the project's settings: a user's bare strict run
    config.write_text("[mypy]\n", encoding="utf-8")
    return _run(
        MYPY,
        "--strict",
        "--no-incremental",
        "--config-file",
        config,
        "--python-executable",
        python,
        script,
        cwd=work,
    )


def test_mypy_strict_accepts_a_typed_script_against_the_installed_wheel(built: Built) -> None:
    work = built.work / "typed"
    work.mkdir()
    assert "Success" in _ok(_mypy(built.python, work))


def test_without_py_typed_the_same_check_fails(built: Built) -> None:
    copy = built.work / "venv-untyped"
    shutil.copytree(built.venv, copy, symlinks=True)
    (marker,) = copy.glob("lib/python*/site-packages/airflow_async/py.typed")
    marker.unlink()
    work = built.work / "untyped"
    work.mkdir()
    done = _mypy(copy / "bin" / "python", work)
    assert done.returncode != 0
    assert "py.typed" in done.stdout or "import-untyped" in done.stdout, done.stdout
