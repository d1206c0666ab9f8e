"""DAG files that failed to import: ``client.import_errors``."""

from __future__ import annotations

from typing import Unpack

from ..._validate import check_int
from ...models import ImportErrorInfo
from ...pagination import Paginator
from .._base import PageOptions, Resource


def _error_key(e: ImportErrorInfo) -> int:
    return e.import_error_id


class ImportErrorResource(Resource):
    """The import error endpoints (``/importErrors``)."""

    def list(
        self,
        *,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[ImportErrorInfo]:
        """List the import errors of DAG files."""
        return self._paginate(
            ("importErrors",),
            "import_errors",
            ImportErrorInfo,
            _error_key,
            params={"order_by": order_by},
            paging=paging,
        )

    async def get(self, import_error_id: int) -> ImportErrorInfo:
        """Get one import error."""
        return await self._one(
            "GET", ("importErrors", check_int("import_error_id", import_error_id)), ImportErrorInfo
        )
