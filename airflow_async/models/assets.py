"""Models of API v2 only (assets)."""

from __future__ import annotations

__all__: list[str] = []
