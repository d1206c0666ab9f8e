"""Models of API v2 only (jobs)."""

from __future__ import annotations

__all__: list[str] = []
