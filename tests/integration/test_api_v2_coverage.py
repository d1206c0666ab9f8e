"""Every operation of the v2 spec the real server ships has a method; docs/coverage.md is current.

The map holds every operation of every 3.x release: each operation a server's spec lacks must be
one the client refuses before sending (its method's ``.since`` is newer than the release, or its
``.until`` not newer: ``get_dag_reports`` exists in 3.0 only), and no operation the server has
may be refused.
"""

from __future__ import annotations

import pytest

from airflow_async import OPERATIONS as V1_OPERATIONS
from airflow_async import AirflowClient, BearerToken
from airflow_async.api.v2 import OPERATIONS
from airflow_async.versions import parse_release
from tests.harness import airflow3 as harness3
from tests.harness.coverage import DOC, render, spec_operations

from .conftest import Airflow3Info, AirflowInfo

pytestmark = pytest.mark.integration

#: How many operations each release's v2 spec has (read from the specs the packages ship).
SPEC_SIZE = {"3.0.6": 99, "3.1.8": 108, "3.2.2": 110, "3.3.2": 128}


def test_every_operation_of_the_v2_spec_has_a_method(airflow3: Airflow3Info) -> None:
    spec = spec_operations(airflow3.python, "v2")
    release = parse_release(harness3.AIRFLOW_VERSION)
    assert len(spec) == SPEC_SIZE[harness3.AIRFLOW_VERSION]
    assert sorted(set(spec) - set(OPERATIONS)) == []  # an operation without a method
    client = AirflowClient(airflow3.url, auth=BearerToken("unused"), api_version="v2")
    for operation, target in OPERATIONS.items():
        group_name, _, method_name = target.partition(".")
        method = getattr(getattr(client, group_name), method_name, None)
        assert callable(method), f"{operation}: client.{target} does not exist on API v2"
        assert method.__doc__, f"client.{target} has no docstring"
        since, until = getattr(method, "since", None), getattr(method, "until", None)
        added_later = since is not None and parse_release(since) > release
        removed = until is not None and parse_release(until) <= release
        if operation in spec:  # the server has it: the client must not refuse it
            assert not added_later and not removed, f"client.{target} refuses {operation}"
        else:  # a mapping to an operation this release lacks: refused as a later (or earlier) one's
            assert added_later or removed, (
                f"{operation} is not in the {harness3.AIRFLOW_VERSION} spec, but client.{target} "
                f"is not marked as added later or removed (since={since!r}, until={until!r})"
            )


def test_what_both_versions_mean_the_same_has_one_name() -> None:
    # The operations v2 kept from v1 (same operationId): the same client method on both.
    kept = set(OPERATIONS) & set(V1_OPERATIONS)
    assert len(kept) == 55
    differ = {op: (V1_OPERATIONS[op], OPERATIONS[op]) for op in kept if V1_OPERATIONS[op] != OPERATIONS[op]}
    # v1 sets a task instance's state with patch_task_instance; v2 merged state and note into it.
    assert differ == {"patch_task_instance": ("task_instances.set_state", "task_instances.update")}


def test_the_coverage_page_is_generated_from_both_specs(
    airflow2: AirflowInfo, airflow3: Airflow3Info
) -> None:
    specs = {"v1": spec_operations(airflow2.python, "v1"), "v2": spec_operations(airflow3.python, "v2")}
    page = render(specs)
    assert "MISSING" not in page
    assert DOC.read_text(encoding="utf-8") == page, (
        "docs/coverage.md is stale: python -m tests.harness.coverage write"
    )
