"""Every v2 operation was called on the real 3.3.2 server during this test session.

Runs last (pytest collects the integration modules in name order, and this one's name sorts
after them): it reads the access logs of the session's api-servers and matches each request to
an operation of the spec. An operation no test called is one the suite does not prove; an
operation whose every call failed is listed too, with the statuses it got, so the intent is
visible (some operations cannot succeed on a stock server: connection tests are disabled, no
external log handler is configured). Run the whole integration suite for this test to mean
anything; alone, it fails and says what was not called.
"""

from __future__ import annotations

import pytest

from tests.harness.coverage import logged_requests, operation_matcher, spec_operations

from .conftest import Airflow3Info

pytestmark = pytest.mark.integration

#: Operations that cannot answer 2xx on the harness's stock server, and the status they give.
REFUSED_HERE: dict[str, set[int]] = {}


def test_every_v2_operation_was_called_on_the_real_server(airflow3: Airflow3Info) -> None:
    assert airflow3.airflow_home is not None, (
        "the api-server logs live in AIRFLOW_HOME: set AIRFLOW_ASYNC_TEST3_HOME"
    )
    ops = spec_operations(airflow3.python, "v2")
    match = operation_matcher(ops)
    statuses: dict[str, set[int]] = {}
    for method, path, status in logged_requests(sorted(airflow3.airflow_home.glob("api-server-*.log"))):
        op = match(method, path)
        if op is not None:
            statuses.setdefault(op, set()).add(status)
    never = sorted(set(ops) - set(statuses))
    assert never == [], f"{len(never)} v2 operations were never called by the suite: {never}"
    failed_only = {op: s for op, s in statuses.items() if all(code >= 400 for code in s)}
    assert failed_only == REFUSED_HERE, "operations that never succeeded (status codes they got)"
