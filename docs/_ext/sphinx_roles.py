"""A griffe extension: the docstrings' Sphinx roles as cross-references in the built site.

The package's docstrings name other objects the Sphinx way (``:class:`~airflow_async.auth.Auth```,
``:data:`API_VERSIONS```). This turns each into an optional mkdocs-autorefs reference: a link
where the target has a reference page, plain code where it has none (a private helper), so a
role never shows as raw text and never breaks the strict build. The ``::`` that introduces a
literal block in reST becomes a plain ``:`` (the indented block is code in Markdown too).
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

#: reST's "paragraph::" before an indented literal block: Markdown shows the block as code already.
LITERAL_MARKER = re.compile(r"(?<=\S)::$", re.M)
ROLE = re.compile(r":(?:py:)?(?:class|data|func|meth|attr|exc|mod|obj|const|type):`(?P<target>[^`]+)`")


def _resolve(obj: griffe.Object, name: str) -> str:
    """The full path of ``name`` as written in ``obj``'s docstring (itself when unknown)."""
    if name.startswith("airflow_async"):
        return name
    head, _, rest = name.partition(".")
    for scope in (obj, obj.parent):
        if scope is None:
            continue
        try:
            path = scope.resolve(head)
        except (griffe.NameResolutionError, AttributeError, ValueError):
            continue
        return f"{path}.{rest}" if rest else path
    return name


def _role(obj: griffe.Object, match: re.Match[str]) -> str:
    target = match.group("target").strip()
    short = target.startswith("~")
    target = target.lstrip("~").rstrip("()")
    title = target.rsplit(".", 1)[-1] if short else target
    ident = html.escape(_resolve(obj, target), quote=True)
    return f'<autoref identifier="{ident}" optional><code>{html.escape(title)}</code></autoref>'


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring once the object tree is complete."""

    def on_object(self, *, obj: griffe.Object, **_: Any) -> None:
        """Rewrite ``obj``'s own docstring (aliases share their target's)."""
        if obj.is_alias or obj.docstring is None:
            return
        text = LITERAL_MARKER.sub(":", obj.docstring.value)
        obj.docstring.value = ROLE.sub(lambda m: _role(obj, m), text)
