"""The retry decision function and the retry budget, without I/O."""

from __future__ import annotations

import pytest

from airflow_async import (
    ConnectError,
    RequestTimeout,
    RetryPolicy,
    TransportError,
    UsageError,
    ValidationError,
)
from airflow_async.errors import ResponseTooLarge, error_for_status
from airflow_async.retry import RetryBudget


def _api(status: int, retry_after: float | None = None) -> Exception:
    return error_for_status(
        status, method="GET", url="http://127.0.0.1/api/v1/x", body=None, retry_after=retry_after
    )


P = RetryPolicy(max_attempts=5)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_transient_statuses_retry(status: int) -> None:
    assert P.decide(_api(status), attempt=1, server_errors=0, idempotent=True).retry  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_never_retry(status: int) -> None:
    assert not P.decide(_api(status), attempt=1, server_errors=0, idempotent=True).retry  # type: ignore[arg-type]


def test_500_retries_a_bounded_number_of_times() -> None:
    err = _api(500)
    assert P.decide(err, attempt=1, server_errors=1, idempotent=True).retry  # type: ignore[arg-type]
    assert P.decide(err, attempt=2, server_errors=2, idempotent=True).retry  # type: ignore[arg-type]
    assert not P.decide(err, attempt=3, server_errors=3, idempotent=True).retry  # type: ignore[arg-type]


def test_connection_errors_and_timeouts_retry_for_safe_operations() -> None:
    for err in (
        ConnectError("refused", method="GET", url="http://h/"),
        RequestTimeout("slow", method="GET", url="http://h/"),
        TransportError("reset", method="GET", url="http://h/"),
    ):
        assert P.decide(err, attempt=1, server_errors=0, idempotent=True).retry


def test_unsafe_requests_are_not_retried_after_they_may_have_arrived() -> None:
    reset = TransportError("reset mid-body", method="POST", url="http://h/")
    assert not P.decide(reset, attempt=1, server_errors=0, idempotent=False).retry
    assert not P.decide(_api(502), attempt=1, server_errors=0, idempotent=False).retry  # type: ignore[arg-type]
    assert not P.decide(_api(500), attempt=1, server_errors=1, idempotent=False).retry  # type: ignore[arg-type]
    # ... but a connection that never opened, or an explicit refusal, can be retried.
    refused = ConnectError("refused", method="POST", url="http://h/")
    assert P.decide(refused, attempt=1, server_errors=0, idempotent=False).retry
    assert P.decide(_api(503), attempt=1, server_errors=0, idempotent=False).retry  # type: ignore[arg-type]


def test_retry_after_is_a_capped_floor() -> None:
    policy = RetryPolicy(retry_after_cap=5.0)
    assert policy.decide(_api(429, 3.0), attempt=1, server_errors=0, idempotent=True).min_wait == 3.0  # type: ignore[arg-type]
    assert policy.decide(_api(503, 99.0), attempt=1, server_errors=0, idempotent=True).min_wait == 5.0  # type: ignore[arg-type]


def test_attempts_are_bounded() -> None:
    err = _api(503)
    assert not P.decide(err, attempt=5, server_errors=0, idempotent=True).retry  # type: ignore[arg-type]


def test_too_large_is_final() -> None:
    err = ResponseTooLarge("big", method="GET", url="http://h/")
    assert not P.decide(err, attempt=1, server_errors=0, idempotent=True).retry


def test_full_jitter_backoff_stays_under_its_ceiling() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=4.0)
    waits = [policy.backoff(n) for n in range(1, 8) for _ in range(50)]
    assert all(0 <= w <= 4.0 for w in waits)
    assert max(policy.backoff(1) for _ in range(200)) <= 1.0
    assert len({round(w, 6) for w in waits}) > 100  # jittered, not fixed


def test_invalid_policy_values() -> None:
    with pytest.raises(UsageError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(UsageError):
        RetryPolicy(backoff_base=-1)


def test_budget_refuses_when_empty_and_refills_on_success() -> None:
    budget = RetryBudget(3)
    err = ConnectError("refused", method="GET", url="http://h/")
    assert [budget.try_spend(err) for _ in range(4)] == [True, True, True, False]
    budget.refund()
    assert budget.try_spend(err)
    timeout = RequestTimeout("slow", method="GET", url="http://h/")
    budget.refund()
    assert not budget.try_spend(timeout)  # a timeout costs two tokens


def test_v2_error_bodies_read_as_one_line() -> None:

    body = {
        "detail": [
            {"type": "missing", "loc": ["body", "logical_date"], "msg": "Field required", "input": {}},
            {"type": "extra_forbidden", "loc": ["body", "nope"], "msg": "Extra inputs are not permitted"},
        ]
    }
    err = error_for_status(422, method="POST", url="http://127.0.0.1/api/v2/dags/d/dagRuns", body=body)
    assert isinstance(err, ValidationError)
    assert str(err).startswith(
        "422 POST /api/v2/dags/d/dagRuns: body.logical_date: Field required; "
        "body.nope: Extra inputs are not permitted"
    )
    assert err.problems == [
        ("body.logical_date", "Field required"),
        ("body.nope", "Extra inputs are not permitted"),
    ]
    gone = error_for_status(
        404, method="GET", url="http://127.0.0.1/api/v1/dags", body={"error": "/api/v1 has been removed"}
    )
    assert str(gone).startswith("404 GET /api/v1/dags: /api/v1 has been removed")
    plain = error_for_status(
        403, method="GET", url="http://127.0.0.1/api/v2/dags", body={"detail": "Forbidden"}
    )
    assert plain.detail == "Forbidden"
