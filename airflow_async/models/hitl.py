"""Models of API v2 only (hitl)."""

from __future__ import annotations

__all__: list[str] = []
