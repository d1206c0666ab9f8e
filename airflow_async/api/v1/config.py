"""The server's configuration: ``client.config``."""

from __future__ import annotations

from ..._validate import check_id
from ...errors import DecodeError
from ...models import Config
from .._base import Resource


class ConfigResource(Resource):
    """The configuration endpoints (``/config``).

    Both answer :class:`~airflow_async.Forbidden` unless the server sets
    ``[webserver] expose_config`` (``True`` or ``non-sensitive-only``); sensitive values
    read ``< hidden >``.
    """

    async def get(self, *, section: str | None = None) -> Config:
        """The whole configuration, or one section of it."""
        if section is not None:
            check_id("section", section)
        return await self._one("GET", ("config",), Config, params={"section": section})

    async def get_value(self, section: str, option: str) -> str | None:
        """The value of one option.

        Raises:
            NotFound: The option does not exist.
            Forbidden: The server does not expose its configuration.
        """
        segments = ("config", "section", check_id("section", section), "option", check_id("option", option))
        config = await self._one("GET", segments, Config)
        for s in config.sections:
            for o in s.options:
                return o.value
        raise DecodeError(
            "expected one section with one option",
            status=200,
            method="GET",
            url=str(self._t.url(segments)),
            content_type="application/json",
            snippet=repr(config)[:120],
        )
