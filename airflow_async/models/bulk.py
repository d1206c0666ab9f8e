"""Models of API v2 only (bulk)."""

from __future__ import annotations

__all__: list[str] = []
