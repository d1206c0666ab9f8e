"""Where the resource groups lived before the API versions got a package each.

Kept so that ``from airflow_async.resources import ...`` keeps working; the groups live in
:mod:`airflow_async.api.v1` now (see docs/design.md).
"""

from .._validate import UNSET, UnsetType
from ..api.v1 import *  # noqa: F403
from ..api.v1 import __all__ as _v1_all

__all__ = ["UNSET", "UnsetType", *_v1_all]
