"""The documentation site builds strictly, and its reference pages show what a reader looks for.

``mkdocs build --strict`` (mkdocs.yml) fails on a broken link, a missing anchor, a reference that
does not resolve or a docstring griffe cannot read. The built HTML is then read the way a reader
would read it: the AirflowClient page shows the constructor's signature and the docstring's first
line, every public class and function of ``airflow_async`` has a reference entry, and no page
loads a font or script from another host.
"""

from __future__ import annotations

import html
import inspect
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import airflow_async
from airflow_async import AirflowClient
from airflow_async.api import v2

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = Path(sys.executable).with_name("mkdocs")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return out


def _text(page: Path) -> str:
    """The page's visible text: tags removed, entities decoded, whitespace collapsed."""
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def test_the_airflowclient_page_shows_its_signature_and_docstring(site: Path) -> None:
    text = _text(site / "reference" / "client" / "index.html")
    signature = re.search(r"AirflowClient \( (.*?) \)", text)
    assert signature, "no AirflowClient( ... ) signature on the page"
    for parameter in inspect.signature(AirflowClient).parameters:
        assert f"{parameter} :" in signature.group(1), parameter
    assert "base_url : str | URL" in signature.group(1) and "auth : Auth" in signature.group(1)
    assert AirflowClient.__doc__
    first_line = " ".join(AirflowClient.__doc__.strip().splitlines()[0].split())
    assert first_line in text
    assert ":class:`" not in text, "a Sphinx role was left as raw text"


def test_every_public_class_and_function_of_both_versions_has_a_reference_entry(site: Path) -> None:
    _, _, _, _, body = (site / "objects.inv").read_bytes().split(b"\n", 4)
    documented = {line.split(" ", 1)[0] for line in zlib.decompress(body).decode().splitlines()}
    public = [getattr(package, name) for package in (airflow_async, v2) for name in package.__all__]
    paths = {f"{o.__module__}.{o.__qualname__}" for o in public if inspect.isclass(o) or inspect.isroutine(o)}
    assert len(paths) > 130
    assert sorted(paths - documented) == []


def test_the_pages_fetch_nothing_from_other_hosts(site: Path) -> None:
    for page in site.rglob("*.html"):
        raw = page.read_text(encoding="utf-8")
        loads = re.findall(r"<(?:link|script|img)\b[^>]*(?:href|src)=\"(https?:)?//([^\"/]+)", raw)
        assert not loads, f"{page.relative_to(site)} loads {loads[:3]}"
