"""DAG files that failed to import: ``client.import_errors``."""

from __future__ import annotations

from ..models import ImportErrorInfo
from ..pagination import Paginator
from ._base import Resource, check_int


def _error_key(e: ImportErrorInfo) -> int:
    return e.import_error_id


class ImportErrorResource(Resource):
    """The import error endpoints (``/importErrors``)."""

    def list(
        self,
        *,
        order_by: str | None = None,
        page_size: int = 100,
        offset: int = 0,
        max_items: int | None = None,
    ) -> Paginator[ImportErrorInfo]:
        """List the import errors of DAG files."""
        return self._paginate(
            ("importErrors",),
            "import_errors",
            ImportErrorInfo,
            _error_key,
            params={"order_by": order_by},
            page_size=page_size,
            offset=offset,
            max_items=max_items,
        )

    async def get(self, import_error_id: int) -> ImportErrorInfo:
        """Get one import error."""
        return await self._one(
            "GET", ("importErrors", check_int("import_error_id", import_error_id)), ImportErrorInfo
        )
