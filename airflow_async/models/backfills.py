"""Models of API v2 only (backfills)."""

from __future__ import annotations

__all__: list[str] = []
