"""API v2 login and logout pages: ``client.web_login`` (Airflow 3)."""

from __future__ import annotations

from .._base import Resource


class WebLoginResource(Resource):
    """The browser login/logout redirects of API v2 (``/auth/login``, ``/auth/logout``)."""
