"""A harvest through transient and permanent faults: every value exactly once, every failure typed."""

from __future__ import annotations

import pytest

from airflow_async import NotFound, ServerError
from tests.fakes.fault_server import DataSpec, FaultRule
from tests.faults.helpers import Tally, all_xcoms, client, result_key, serve

pytestmark = pytest.mark.filterwarnings("error")

#: Five statuses the policy retries; each rule picks ~4% of the requests, for 1 or 2 attempts.
TRANSIENT = [(503, 1), (429, 2), (502, 1), (504, 2), (500, 2)]


P500 = "/taskInstances/t00_extract/xcomEntries/nested/path/key"
P404 = "/taskInstances/t01_group.transform/xcomEntries/key with spaces"


def transient_rules(rate: float = 0.2) -> list[FaultRule]:
    share = rate / len(TRANSIENT)
    return [
        FaultRule(kind="status", status=status, rate=share, seed=i, times=times, name=f"transient_{status}")
        for i, (status, times) in enumerate(TRANSIENT)
    ]


async def test_10k_values_through_20_percent_transient_faults_arrive_exactly_once() -> None:
    async with serve(data=DataSpec.for_entries(10_000)) as srv:
        for rule in transient_rules():
            srv.faults.add(rule)
        expected = all_xcoms(srv.data)
        tally = Tally()
        async with client(srv) as af:
            async with af.xcom.harvest() as harvest:
                async for result in harvest:
                    tally.add(result)
            stats = af.stats

        assert len(expected) == 10_000
        assert tally.repeats == [] and tally.failures == {}
        assert tally.values == expected  # every value, once, and the right one for its entry
        assert harvest.stats.listed == harvest.stats.delivered == 10_000
        assert harvest.stats.failed == harvest.stats.cancelled == 0 and harvest.stats.balanced

        injected = sum(srv.stats.faults.values())
        # about a fifth of the ~10,200 distinct requests, each failing once or twice
        assert 2_000 < injected < 5_000
        assert set(srv.stats.faults) == {f"status_{s}" for s, _ in TRANSIENT}
        assert stats.retries == injected  # one retry per injected fault, no more, no less
        assert stats.failures == 0 and stats.budget_exhausted == 0
        assert stats.requests == srv.stats.total_requests


async def test_permanent_failures_are_reported_with_their_typed_error() -> None:
    async with serve(data=DataSpec.for_entries(2_000)) as srv:
        # One key of one task always fails with a 500 (retried, then reported), one of another task
        # with a 404 (reported at once). They come first: the first rule that fires takes the attempt.
        srv.faults.add(FaultRule(kind="status", status=500, path_contains=P500, name="p500"))
        srv.faults.add(FaultRule(kind="status", status=404, path_contains=P404, name="p404"))
        for rule in transient_rules():
            srv.faults.add(rule)
        expected = all_xcoms(srv.data)
        tally = Tally()
        async with client(srv) as af:
            async with af.xcom.harvest() as harvest:
                async for result in harvest:
                    tally.add(result)
            stats = af.stats

        bad500 = {k for k in expected if (k[2], k[4]) == ("t00_extract", "nested/path/key")}
        bad404 = {k for k in expected if (k[2], k[4]) == ("t01_group.transform", "key with spaces")}
        assert len(bad500) > 20 and len(bad404) > 20
        assert tally.repeats == []
        assert set(tally.failures) == bad500 | bad404
        errors500 = [tally.failures[k] for k in bad500]
        assert all(isinstance(e, ServerError) and e.status == 500 for e in errors500)
        assert all(type(tally.failures[k]) is NotFound for k in bad404)
        assert all("/xcomEntries/nested%2Fpath%2Fkey" in str(tally.failures[k]) for k in bad500)
        assert tally.values == {k: v for k, v in expected.items() if k not in bad500 | bad404}

        s = harvest.stats
        assert s.listed == len(expected) == len(tally.values) + len(tally.failures)
        assert (s.delivered, s.failed, s.cancelled) == (len(tally.values), len(tally.failures), 0)
        assert s.balanced
        # every fault was retried except the last 500 of each permanently failing entry and the 404s
        injected = sum(srv.stats.faults.values())
        assert srv.stats.faults_by_rule["p500"] == 3 * len(bad500)  # first try + 2 retries of a 500
        assert srv.stats.faults_by_rule["p404"] == len(bad404)
        assert stats.retries == injected - len(bad500) - len(bad404)
        assert stats.failures == len(bad500) + len(bad404)


async def test_results_carry_the_entry_they_belong_to() -> None:
    async with serve() as srv:
        async with client(srv) as af:
            harvest = af.xcom.harvest(keys=["weird +plus %41 ü"])
            results = await harvest.collect()
    assert results and all(r.ok for r in results)
    assert harvest.stats.balanced and harvest.stats.listed == harvest.stats.delivered == len(results)
    for r in results:
        assert r.value is not None and r.value.key == r.entry.key == "weird +plus %41 ü"
        assert r.value.value["run_id"] == r.entry.dag_run_id and result_key(r)[1] == r.entry.dag_run_id
