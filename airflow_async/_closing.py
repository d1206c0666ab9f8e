"""``async with`` for the library's objects that hold requests in flight."""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["AsyncClosing"]


class AsyncClosing:
    """Entering returns the object itself; leaving, however the block ends, awaits ``aclose()``.

    Used by the client, the harvest, the fan-out and the paginator, so that stopping early
    (``break``, an exception, cancellation) inside ``async with`` cancels their work in flight.
    """

    async def aclose(self) -> None:
        """Stop, and release what is held; subclasses say what."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        """Enter ``async with``: the object itself."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leave ``async with``: :meth:`aclose`."""
        await self.aclose()
