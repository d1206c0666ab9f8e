"""Any id round-trips: the client encodes each path segment and the server decodes the same id back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from airflow_async import AirflowClient, UsageError
from tests.fakes.fault_server import ServerConfig
from tests.faults.helpers import client, serve

pytestmark = pytest.mark.filterwarnings("error")

#: Any non-empty string of code points that UTF-8 can carry (surrogates cannot).
IDS = st.text(st.characters(codec="utf-8"), min_size=1)


@pytest.fixture
async def echo() -> AsyncIterator[AirflowClient]:
    """A client of a server that echoes the ids of any XCom it does not hold."""
    async with serve(ServerConfig(echo_unknown=True)) as srv, client(srv, retry=None) as af:
        yield af


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dag_id=IDS, run_id=IDS, task_id=IDS, key=IDS)
@example(dag_id=".", run_id="..", task_id="...", key="./..")
@example(dag_id="~x", run_id="a/b", task_id="%2F", key="?#&=+ ")
@example(dag_id="\x00", run_id="\r\n", task_id="\u2028", key="😀漢字")
@example(dag_id="~", run_id="r", task_id="t", key="k")
async def test_any_ids_round_trip_through_the_url(
    echo: AirflowClient, dag_id: str, run_id: str, task_id: str, key: str
) -> None:
    ids = (dag_id, run_id, task_id, key)
    if "~" in ids:  # '~' means "all" in Airflow's paths: an XCom GET needs one object's id
        with pytest.raises(UsageError, match="cannot be '~' here"):
            await echo.xcom.get(*ids)
        return
    xcom = await echo.xcom.get(*ids)
    value = xcom.value
    assert value["echo"] is True
    assert (value["dag_id"], value["dag_run_id"], value["task_id"], value["key"]) == ids
