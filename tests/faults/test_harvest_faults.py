"""A harvest through transient and permanent faults: every value exactly once, every failure typed."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_async import NotFound, Requeue, ServerError
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
            # A 500 may pass later, so by default it would be fetched again in later rounds (see the
            # requeue tests below); here each request's own retries are counted exactly.
            async with af.xcom.harvest(requeue=None) as harvest:
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


def flaky_proxy_rules(rate: float = 0.2, seed: int = 0) -> list[FaultRule]:
    """One API GET in five fails, each attempt drawn afresh: what a flaky proxy does."""
    kinds: list[dict[str, Any]] = [
        {"kind": "status", "status": 502},
        {"kind": "status", "status": 503, "retry_after": "0"},
        {"kind": "status", "status": 429},
        {"kind": "disconnect"},
        {"kind": "truncate_json"},
    ]
    share = rate / len(kinds)
    return [
        FaultRule(**k, method="GET", rate=share, seed=seed * 100 + i, per_attempt=True, name=f"flaky_{i}")
        for i, k in enumerate(kinds)
    ]


async def test_10k_values_at_20_percent_faults_per_attempt_all_arrive_in_later_rounds() -> None:
    # A rate drawn per attempt means some requests fail all five attempts (0.2**5 = 0.03 %): about
    # three of 10,000 here, with this seed. They are fetched again after the rest and delivered.
    async with serve(data=DataSpec.for_entries(10_000)) as srv:
        for rule in flaky_proxy_rules(seed=1):
            srv.faults.add(rule)
        expected = all_xcoms(srv.data)
        tally = Tally()
        async with client(srv) as af:
            async with af.xcom.harvest(requeue=Requeue(wait=0.01)) as harvest:
                async for result in harvest:
                    tally.add(result)
            stats = af.stats

    s = harvest.stats
    assert s.requeued >= 1 and s.rounds >= 1  # the first pass did fail some values...
    assert s.recovered == s.requeued  # ...and each of them arrived in a later round
    assert tally.repeats == [] and tally.failures == {}
    assert tally.values == expected  # every value, once, and the right one for its entry
    assert s.listed == s.delivered == 10_000 and s.failed == s.cancelled == 0 and s.balanced
    assert 2_000 < sum(srv.stats.faults.values()) < 4_000  # about a fifth of ~12,500 attempts
    assert stats.failures == s.requeued  # the requests that failed all their attempts, no others


async def test_without_requeue_the_same_faults_end_as_reported_failures() -> None:
    async with serve(data=DataSpec.for_entries(10_000)) as srv:
        for rule in flaky_proxy_rules(seed=1):
            srv.faults.add(rule)
        tally = Tally()
        async with client(srv) as af:
            async with af.xcom.harvest(requeue=None) as harvest:
                async for result in harvest:
                    tally.add(result)
    s = harvest.stats
    assert s.requeued == s.rounds == 0
    assert len(tally.failures) == s.failed >= 1 and s.delivered == 10_000 - s.failed and s.balanced


async def test_permanent_failures_are_not_fetched_again() -> None:
    async with serve(data=DataSpec.for_entries(480)) as srv:
        srv.faults.add(FaultRule(kind="status", status=404, path_contains=P404, name="p404"))
        srv.faults.add(FaultRule(kind="status", status=403, path_contains=P500, name="p403"))
        async with client(srv) as af:
            async with af.xcom.harvest(requeue=Requeue(wait=0.01)) as harvest:
                results = [r async for r in harvest]
    failed = [r for r in results if not r.ok]
    assert failed and harvest.stats.failed == len(failed) and harvest.stats.requeued == 0
    assert srv.stats.faults_by_rule["p404"] + srv.stats.faults_by_rule["p403"] == len(failed)  # once each


async def test_a_value_that_keeps_failing_is_tried_once_per_round_and_then_reported() -> None:
    async with serve(data=DataSpec.for_entries(480)) as srv:
        srv.faults.add(FaultRule(kind="status", status=502, path_contains=P404, name="always"))
        async with client(srv) as af:
            async with af.xcom.harvest(requeue=Requeue(rounds=2, wait=0.01)) as harvest:
                results = [r async for r in harvest]
    failed = [r for r in results if not r.ok]
    s = harvest.stats
    assert failed and all(isinstance(r.error, ServerError) and r.error.status == 502 for r in failed)
    assert s.rounds == 2 and s.requeued == 2 * len(failed) and s.recovered == 0
    assert s.failed == len(failed) and s.delivered == len(results) - len(failed) and s.balanced
    # the first pass and two later rounds, five attempts each
    assert srv.stats.faults_by_rule["always"] == 3 * 5 * len(failed)
