"""Every operation of the v2 spec the real 3.3.2 server ships has a method; docs/coverage.md is current."""

from __future__ import annotations

import pytest

from airflow_async import OPERATIONS as V1_OPERATIONS
from airflow_async import AirflowClient, BearerToken
from airflow_async.api.v2 import OPERATIONS
from tests.harness.coverage import DOC, render, spec_operations

from .conftest import Airflow3Info, AirflowInfo

pytestmark = pytest.mark.integration


def test_every_operation_of_the_v2_spec_has_a_method(airflow3: Airflow3Info) -> None:
    spec = spec_operations(airflow3.python, "v2")
    assert len(spec) == 128
    assert sorted(set(spec) - set(OPERATIONS)) == []  # an operation without a method
    assert sorted(set(OPERATIONS) - set(spec)) == []  # a mapping to an operation that does not exist
    client = AirflowClient(airflow3.url, auth=BearerToken("unused"), api_version="v2")
    for operation, target in OPERATIONS.items():
        group_name, _, method_name = target.partition(".")
        method = getattr(getattr(client, group_name), method_name, None)
        assert callable(method), f"{operation}: client.{target} does not exist on API v2"
        assert method.__doc__, f"client.{target} has no docstring"


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
