"""API v2 human-in-the-loop details (3.1+): ``client.hitl`` (Airflow 3).

A human-in-the-loop task (Airflow's ``HITLOperator`` and its kin) waits until a person picks
one of its options (and fills in its params). Its detail lives under the task instance, whose
map index is always part of the path (-1 for an unmapped task):
``/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/hitlDetails``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict, Unpack

from ..._validate import check_int, check_map_index, check_strings, check_text
from ...errors import UsageError
from ...models import HITLDetail, HITLDetailTry, HITLResponse
from ...pagination import Paginator
from .. import paths
from .._base import PageOptions, Resource, filter_query, require_given, since, split_options
from .filters import ADDED_ARGUMENTS

__all__ = ["HITLFilters", "HITLListOptions", "HITLResource"]


class HITLFilters(TypedDict, total=False):
    """The filters of ``GET /dags/{dag_id}/dagRuns/{dag_run_id}/hitlDetails`` (the server's names).

    ``*_pattern`` match a substring (case-insensitive), ``*_prefix_pattern`` a prefix; ``state``
    is the task instance's state; ``subject_search`` and ``body_search`` match substrings.
    """

    dag_id_pattern: str | None
    dag_id_prefix_pattern: str | None
    task_id: str | None
    task_id_pattern: str | None
    task_id_prefix_pattern: str | None
    map_index: int | None
    state: Sequence[str] | None
    response_received: bool | None
    responded_by_user_id: Sequence[str] | None
    responded_by_user_name: Sequence[str] | None
    subject_search: str | None
    body_search: str | None
    created_at_gte: datetime | None
    created_at_gt: datetime | None
    created_at_lte: datetime | None
    created_at_lt: datetime | None


class HITLListOptions(HITLFilters, PageOptions, total=False):
    """The keywords of ``hitl.list``: its filters and the paging options."""


#: The filters that take one text (the others take lists, a bool, an int or datetimes).
_TEXT_FILTERS = frozenset(
    {
        "dag_id_pattern",
        "dag_id_prefix_pattern",
        "task_id",
        "task_id_pattern",
        "task_id_prefix_pattern",
        "subject_search",
        "body_search",
    }
)


def _hitl_key(detail: HITLDetail) -> tuple[str, str, str, int]:
    ti = detail.task_instance
    if ti is None:
        return ("", "", "", id(detail))  # no task instance to key on: never a duplicate
    return (ti.dag_id, ti.dag_run_id or "", ti.task_id, ti.map_index)


class HITLResource(Resource):
    """The human-in-the-loop endpoints of API v2 (``.../hitlDetails``), Airflow 3.1+.

    Methods that take ``map_index`` address a mapped task instance when it is >= 0 and the
    unmapped one when it is -1 (the default).
    """

    @staticmethod
    def _detail(dag_id: str, dag_run_id: str, task_id: str, map_index: int) -> list[str | int]:
        index = check_map_index(map_index)
        if index is None:
            raise UsageError("map_index must be an int >= -1 here (-1 for an unmapped task), got None")
        return [*paths.task_instance(dag_id, dag_run_id, task_id), index, "hitlDetails"]

    @since("3.1.0")
    def list(
        self,
        dag_id: str = "~",
        dag_run_id: str = "~",
        *,
        order_by: str | builtins.list[str] | None = None,
        **options: Unpack[HITLListOptions],
    ) -> Paginator[HITLDetail]:
        """List the human-in-the-loop details of a run (``~`` for all DAGs or all runs).

        Takes the filters of :class:`HITLFilters`, ``order_by`` (``"-created_at"``,
        ``["subject", "responded_at"]``...) and the paging options of
        :class:`~airflow_async.api._base.PageOptions`.
        """
        filters, paging = split_options(options, HITLListOptions, "hitl.list")
        require_given(self, "hitl.list", filters, ADDED_ARGUMENTS["hitl.list"])
        # filter_query reads a string as a list of strings: the one-text filters go as they are.
        texts = {name: check_text(name, filters.pop(name)) for name in _TEXT_FILTERS & filters.keys()}
        order = [order_by] if isinstance(order_by, str) else order_by
        return self._paginate(
            (*paths.dag_run(dag_id, dag_run_id, wildcard=True), "hitlDetails"),
            "hitl_details",
            HITLDetail,
            _hitl_key,
            params={**filter_query(filters), **texts, "order_by": check_strings("order_by", order)},
            paging=paging,
        )

    @since("3.1.0")
    async def get(self, dag_id: str, dag_run_id: str, task_id: str, *, map_index: int = -1) -> HITLDetail:
        """Get the human-in-the-loop detail of a task instance.

        Raises:
            NotFound: No such task instance, or it is not a human-in-the-loop task.
        """
        return await self._one("GET", self._detail(dag_id, dag_run_id, task_id, map_index), HITLDetail)

    @since("3.2.0")
    async def get_try(
        self, dag_id: str, dag_run_id: str, task_id: str, try_number: int, *, map_index: int = -1
    ) -> HITLDetailTry:
        """Get the human-in-the-loop detail of one try of a task instance.

        Raises:
            NotFound: No such try, or it is not a human-in-the-loop task.
        """
        segments = [
            *self._detail(dag_id, dag_run_id, task_id, map_index),
            "tries",
            check_int("try_number", try_number),
        ]
        return await self._one("GET", segments, HITLDetailTry)

    @since("3.1.0")
    async def respond(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        chosen_options: Sequence[str],
        *,
        params_input: Mapping[str, Any] | None = None,
        map_index: int = -1,
    ) -> HITLResponse:
        """Answer a human-in-the-loop task: the options chosen (at least one) and the params filled in.

        Not retried once it may have reached the server (a second answer is refused).

        Raises:
            BadRequest: An option the task does not offer, or several where it takes one.
            Forbidden: The user is not one of the task's assigned users.
            Conflict: The task was answered already.
            NotFound: No such task instance, or it is not a human-in-the-loop task.
        """
        if isinstance(chosen_options, str) or not isinstance(chosen_options, Sequence) or not chosen_options:
            raise UsageError(
                "chosen_options takes a non-empty list of option names, e.g. ['Approve'], "
                f"got {chosen_options!r}"
            )
        if not all(isinstance(option, str) for option in chosen_options):
            raise UsageError(f"chosen_options takes option names (strings), got {chosen_options!r}")
        if params_input is not None and not isinstance(params_input, Mapping):
            raise UsageError(
                f"params_input takes a dict of param names to values, got {type(params_input).__name__}"
            )
        body = {"chosen_options": builtins.list(chosen_options), "params_input": dict(params_input or {})}
        return await self._one(
            "PATCH", self._detail(dag_id, dag_run_id, task_id, map_index), HITLResponse, json=body
        )
