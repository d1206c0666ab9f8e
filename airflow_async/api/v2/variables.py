"""API v2 variables: ``client.variables`` on Airflow 3 (v1's operations plus the bulk endpoint)."""

from __future__ import annotations

from ..v1.variables import VariableResource as V1VariableResource


class VariableResource(V1VariableResource):
    """The variable endpoints of API v2: v1's, plus ``bulk``."""
