"""Every v2 operation of the server's spec was called on the real server during this test session.

Runs last (pytest collects the integration modules in name order, and this one's name sorts
after them): it reads the access logs of the session's api-servers and matches each request to
an operation of the spec. An operation no test called is one the suite does not prove; an
operation whose every call failed is listed too, with the statuses it got, so the intent is
visible (some operations cannot succeed on a stock server: connection tests are disabled, no
external log handler is configured). Run the whole integration suite for this test to mean
anything; alone, it fails and says what was not called.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from tests.harness.coverage import logged_requests, operation_matcher, spec_operations

from .conftest import Airflow3Info

pytestmark = pytest.mark.integration

#: Operations the api-server leaves out of its access log (``http_access_log._HEALTH_PATHS``);
#: tests/integration/test_shared_groups.py calls ``monitoring.health()`` on both servers.
UNLOGGED = {"get_health"}

#: Operations that cannot answer 2xx on the harness's stock server, and why; their tests assert
#: the typed error a user gets (Forbidden, NotFound, BadRequest).
REFUSED_HERE: dict[str, str] = {
    "get_config": "[api] expose_config is off (403)",
    "get_config_value": "[api] expose_config is off (403)",
    "test_connection": "[core] test_connection is Disabled (403)",
    "enqueue_connection_test": "[core] test_connection is Disabled (403)",
    "get_connection_test": "no test can be queued, so every token is unknown (404)",
    "get_external_log_url": "no task log handler with external links is configured (400)",
    "get_import_error": "every harness DAG imports: no import error to fetch (404)",
    "get_hitl_detail": "no human-in-the-loop task has run: that needs a worker (404)",
    "get_hitl_detail_try_detail": "no human-in-the-loop task has run (404)",
    "update_hitl_detail": "no human-in-the-loop task has run (404)",
    "patch_task_instance_by_map_index": (
        "mapped task instances exist only in seeded runs, which other tests count: only their dry "
        "run is sent (patch_task_instance_dry_run_by_map_index); the real PATCH is asserted NotFound"
    ),
}


#: uvicorn's own access line, which Airflow before 3.2 logs instead of structlog's ``http.access``
#: (``INFO:     127.0.0.1:59902 - "GET /api/v2/version HTTP/1.1" 200 OK``; the path as sent,
#: percent-encoded, which the matcher reads as well).
UVICORN_ACCESS = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>[^ ?"]+)(?:\?[^ "]*)? HTTP/[\d.]+" (?P<status>\d{3})'
)


def _uvicorn_requests(log_files: Iterable[Path]) -> Iterator[tuple[str, str, int]]:
    for log in log_files:
        with open(log, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if (found := UVICORN_ACCESS.search(line)) and "[http.access]" not in line:
                    yield found["method"], found["path"], int(found["status"])


def test_every_v2_operation_was_called_on_the_real_server(airflow3: Airflow3Info) -> None:
    assert airflow3.airflow_home is not None, (
        "the api-server logs live in AIRFLOW_HOME: set AIRFLOW_ASYNC_TEST3_HOME"
    )
    ops = spec_operations(airflow3.python, "v2")
    match = operation_matcher(ops)
    statuses: dict[str, set[int]] = {}
    logs = sorted(airflow3.airflow_home.glob("api-server-*.log"))
    for method, path, status in [*logged_requests(logs), *_uvicorn_requests(logs)]:
        op = match(method, path)
        if op is not None:
            statuses.setdefault(op, set()).add(status)
    never = sorted(set(ops) - set(statuses) - UNLOGGED)
    assert never == [], f"{len(never)} v2 operations were never called by the suite: {never}"
    failed_only = {op: sorted(s) for op, s in statuses.items() if all(code >= 400 for code in s)}
    refused_here = set(REFUSED_HERE) & set(ops)  # an older release lacks some of them altogether
    unexpected = {op: codes for op, codes in failed_only.items() if op not in refused_here}
    assert unexpected == {}, "operations that never succeeded here (the status codes they got)"
    now_succeed = sorted(refused_here - set(failed_only))
    assert now_succeed == [], "operations listed as refused that succeeded: take them off REFUSED_HERE"
