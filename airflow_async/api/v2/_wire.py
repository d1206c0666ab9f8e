"""API v2: where its wire names differ from the shared models'.

v2 sends an XCom's run id as ``run_id``; the models call it ``dag_run_id`` on both versions, so
version-agnostic code reads one name. Airflow 3.0 sends the DAGs scheduled on an asset as
``consuming_dags``; 3.1 renamed them ``scheduled_dags`` (the model's name) and added
``consuming_tasks``. Every other v2 field has the models' name already.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from cattrs.gen import make_dict_structure_fn, override

from ...models import XCom, XComEntry
from ...models._convert import make_converter, structure_with
from ...models.assets import Asset

__all__ = ["structure_v2"]

T = TypeVar("T")

_converter = make_converter()
for _model in (XComEntry, XCom):
    _converter.register_structure_hook(
        _model, make_dict_structure_fn(_model, _converter, dag_run_id=override(rename="run_id"))
    )
_structure_asset = make_dict_structure_fn(Asset, _converter)


def _asset(data: Any, model: type[Asset]) -> Asset:
    if isinstance(data, Mapping) and "scheduled_dags" not in data and "consuming_dags" in data:
        data = {**data, "scheduled_dags": data["consuming_dags"]}  # Airflow 3.0's name
    return _structure_asset(data, model)


_converter.register_structure_hook(Asset, _asset)


def structure_v2(data: Any, model: type[T], *, source: Callable[[], tuple[str, str]] | None = None) -> T:
    """Build ``model`` from a v2 answer (``run_id`` read as ``dag_run_id``, 3.0's
    ``consuming_dags`` as ``scheduled_dags``)."""
    return structure_with(_converter, data, model, source=source)
