"""API v2 state stores (3.3+): ``client.task_state_store`` and ``client.asset_state_store``."""

from __future__ import annotations

from .._base import Resource


class TaskStateStoreResource(Resource):
    """The key/value state store of a task instance (``.../taskInstances/{task_id}/state-store``)."""


class AssetStateStoreResource(Resource):
    """The key/value state store of an asset (``/assets/{asset_id}/state-store``)."""
