"""MkDocs hooks: pages whose text lives outside docs/ (one copy of each, never two).

* ``changelog.md`` is the repository's ``CHANGELOG.md``.
* ``benchmarks/results/*.md`` are the full benchmark reports under ``benchmarks/results/``.
* In ``benchmarks.md``, the line ``<!-- include: README.md#benchmarks -->`` becomes the README's
  "## Benchmarks" section (the tables the README carries, as the README has them now), its
  ``docs/<page>.md`` links made relative to docs/.

Nothing here touches the network.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = re.compile(r"<!-- include: README\.md#(?P<section>[\w-]+) -->")


def readme_section(title: str) -> str:
    """The body of the README's ``## <title>`` section (case-insensitive), without its heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S | re.I)
    if match is None:
        raise ValueError(f"README.md has no '## {title}' section")
    # The README links pages of the site as docs/<page>.md (from the repository's root); the
    # included text sits in docs/, where the same page is <page>.md.
    return re.sub(r"\]\(docs/", "](", match.group(1).strip()) + "\n"


def on_files(files: Files, config: Any, **_: Any) -> Files:
    """Add the changelog and the benchmark reports to the site's files."""
    changelog = ROOT / "CHANGELOG.md"
    files.append(File.generated(config, "changelog.md", abs_src_path=str(changelog)))
    for report in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        files.append(File.generated(config, f"benchmarks/results/{report.name}", abs_src_path=str(report)))
    return files


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Replace ``<!-- include: README.md#<section> -->`` with that README section."""
    return INCLUDE.sub(lambda m: readme_section(m.group("section")), markdown)
