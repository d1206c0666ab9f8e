"""XCom entries: ``client.xcom``."""

from __future__ import annotations

from ...harvest import HarvestStats, RunIds
from .._xcom import XComHarvesting
from .dag_runs import DAGRunResource
from .run_ids import RunIdMap


class XComResource(XComHarvesting):
    """The XCom endpoints of API v1 (``.../taskInstances/{task_id}/xcomEntries``).

    Listing, fetching and harvesting are shared with v2
    (:class:`~airflow_async.api._xcom.XComHarvesting`); v1 adds how to find an entry's run id.
    """

    def run_ids(self, dag_id: str, stats: HarvestStats) -> RunIds | None:
        """v1 entries carry no run id: a :class:`RunIdMap` over the DAG's runs finds it."""
        return RunIdMap(DAGRunResource(self._client), dag_id, stats)
