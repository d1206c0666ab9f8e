"""API v2 jobs: ``client.jobs`` (Airflow 3)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, Unpack

from ..._http import QueryValue
from ..._validate import check_bool, check_strings
from ...models import Job
from ...pagination import Paginator
from .._base import PageOptions, Resource, require_given, split_options
from .filters import ADDED_ARGUMENTS

__all__ = ["JobFilters", "JobListOptions", "JobResource"]


class JobFilters(TypedDict, total=False):
    """The filters of ``GET /jobs``; each is left out unless given.

    Attributes:
        job_type: ``"SchedulerJob"``, ``"TriggererJob"``, ``"DagProcessorJob"``...
        job_state: ``"running"``, ``"success"``, ``"failed"``...
        hostname: Only jobs that run on this host.
        executor_class: Only jobs with this executor.
        is_alive: Only jobs whose heartbeat is recent. The 3.3.2 server applies it to each page
            after paging (a page may come back short; ``total_entries`` counts every job),
            and keeps only the live jobs for ``False`` too.
        start_date_gte, start_date_gt, start_date_lte, start_date_lt: A range of start dates
            (aware datetimes).
        end_date_gte, end_date_gt, end_date_lte, end_date_lt: A range of end dates.
        order_by: ``id`` (the default), ``dag_id``, ``state``, ``job_type``, ``start_date``,
            ``end_date``, ``latest_heartbeat``, ``executor_class``, ``hostname``, ``unixname``;
            ``-`` for descending; several for a multi-key sort.
    """

    job_type: str | None
    job_state: str | None
    hostname: str | None
    executor_class: str | None
    is_alive: bool | None
    start_date_gte: datetime | None
    start_date_gt: datetime | None
    start_date_lte: datetime | None
    start_date_lt: datetime | None
    end_date_gte: datetime | None
    end_date_gt: datetime | None
    end_date_lte: datetime | None
    end_date_lt: datetime | None
    order_by: str | list[str] | None


class JobListOptions(JobFilters, PageOptions, total=False):
    """The keywords of ``jobs.list``: its filters and the paging options."""


def _job_key(job: Job) -> int:
    return job.id


class JobResource(Resource):
    """The job endpoint of API v2 (``/jobs``): scheduler, triggerer and DAG-processor jobs."""

    def list(self, **options: Unpack[JobListOptions]) -> Paginator[Job]:
        """List jobs (rows of the ``job`` table), by ``id`` unless ``order_by``.

        Takes the filters of :class:`JobFilters` and the paging options of
        :class:`~airflow_async.api._base.PageOptions`. A server that runs no scheduler,
        triggerer or DAG processor has no jobs: the listing is empty.
        """
        filters, paging = split_options(options, JobListOptions, "jobs.list")
        require_given(self, "jobs.list", filters, ADDED_ARGUMENTS["jobs.list"])
        if filters.get("is_alive") is not None:
            check_bool("is_alive", filters["is_alive"])
        order_by = filters.pop("order_by", None)
        # One value each (no list filters here): a string goes as it is, a datetime as ISO 8601.
        params: dict[str, QueryValue] = {k: v for k, v in filters.items() if v is not None}
        if order_by is not None:
            params["order_by"] = (
                [order_by] if isinstance(order_by, str) else check_strings("order_by", order_by)
            )
        return self._paginate(("jobs",), "jobs", Job, _job_key, params=params, paging=paging)
