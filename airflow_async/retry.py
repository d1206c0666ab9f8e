"""The retry policy: which failures are retried, how long to wait, and when to stop.

The policy is data plus one decision function, :meth:`RetryPolicy.decide`; the
transport runs it through tenacity. A :class:`RetryBudget` shared by all requests
of a client keeps a dead or overloaded server from being hammered: every retry
spends a token, every success earns one back, and with the bucket empty requests
fail on their first error.
"""

from __future__ import annotations

import random
from typing import Any, Final

import attrs

from .errors import (
    AirflowError,
    APIError,
    ConnectError,
    DecodeError,
    RequestTimeout,
    ResponseTooLarge,
    TransportError,
    UsageError,
)

__all__ = ["NO_RETRY", "Requeue", "RetryBudget", "RetryDecision", "RetryPolicy"]

_DEFAULT_STATUSES: Final = frozenset({429, 502, 503, 504})


@attrs.frozen(kw_only=True)
class RetryDecision:
    """What :meth:`RetryPolicy.decide` concluded about one failed attempt.

    Attributes:
        retry: Whether to try again.
        min_wait: A floor on the wait before the next attempt (from ``Retry-After``).
        reason: A short description for the log.
    """

    retry: bool
    min_wait: float = 0.0
    reason: str = ""


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise UsageError(f"RetryPolicy.{attribute.name} must be >= 0, got {value!r}")


def _at_least_one(_: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 1:
        raise UsageError(f"RetryPolicy.{attribute.name} must be >= 1 (1 means no retries), got {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How the client retries requests that are safe to repeat.

    Retried: connection errors, timeouts, 429, 502, 503, 504, a JSON body that does
    not parse (cut short on the way), and up to ``max_server_error_retries`` 500s
    per request. Never retried: 400, 401, 403, 404, 409, 422, a page that is not
    JSON at all (an HTML login or proxy page), and any request that is not safe to
    repeat (a POST that triggers a run or creates an object) once it may have
    reached the server.

    Waits use full-jitter exponential backoff, ``random() * min(backoff_max,
    backoff_base * 2**n)``, raised to the server's ``Retry-After`` (capped at
    ``retry_after_cap``) when it sends one.

    Attributes:
        max_attempts: Attempts per request, the first included (1 disables retries).
        backoff_base: Seconds; the scale of the exponential backoff.
        backoff_max: Seconds; the cap on one backoff wait before jitter.
        retry_statuses: HTTP statuses retried.
        max_server_error_retries: How many 500 answers one request may retry.
        retry_after_cap: Seconds; the most a ``Retry-After`` header can make us wait.
        budget: Tokens in the client-wide retry budget (``None``: unlimited).
    """

    max_attempts: int = attrs.field(default=5, validator=_at_least_one)
    backoff_base: float = attrs.field(default=0.25, validator=_positive)
    backoff_max: float = attrs.field(default=10.0, validator=_positive)
    retry_statuses: frozenset[int] = _DEFAULT_STATUSES
    max_server_error_retries: int = attrs.field(default=2, validator=_positive)
    retry_after_cap: float = attrs.field(default=60.0, validator=_positive)
    budget: int | None = 200

    @property
    def enabled(self) -> bool:
        """Whether this policy retries at all."""
        return self.max_attempts > 1

    def backoff(self, retry_number: int) -> float:
        """Full-jitter wait before retry number ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** max(0, retry_number - 1)))
        return float(random.random() * ceiling)

    def transient(self, error: AirflowError) -> bool:
        """Whether ``error`` may pass if the same read is sent again later (what would be retried)."""
        return self.decide(error, attempt=0, server_errors=0, idempotent=True).retry

    def decide(
        self,
        error: AirflowError,
        *,
        attempt: int,
        server_errors: int,
        idempotent: bool,
    ) -> RetryDecision:
        """Decide whether to retry after ``error`` on attempt number ``attempt``.

        Args:
            error: What the attempt raised.
            attempt: The attempt that failed, counting from 1.
            server_errors: How many 500 answers this request has had so far, this one included.
            idempotent: Whether the operation is safe to repeat.
        """
        if attempt >= self.max_attempts:
            return RetryDecision(retry=False, reason="no attempts left")
        if isinstance(error, ResponseTooLarge):
            return RetryDecision(retry=False, reason="response too large")
        if isinstance(error, TransportError):
            if not idempotent and not isinstance(error, ConnectError):
                return RetryDecision(retry=False, reason="not safe to repeat after it was sent")
            kind = "timeout" if isinstance(error, RequestTimeout) else "connection error"
            return RetryDecision(retry=True, reason=kind)
        if isinstance(error, DecodeError):
            if idempotent and _declared_json(error.content_type):
                return RetryDecision(retry=True, reason="JSON body cut short")
            return RetryDecision(retry=False, reason="not JSON" if idempotent else "not safe to repeat")
        if isinstance(error, APIError):
            if not idempotent and error.status not in (429, 503):
                # 429 and 503 mean the server refused the work; anything else may have done it.
                return RetryDecision(retry=False, reason="not safe to repeat")
            if error.status == 500:
                if server_errors > self.max_server_error_retries:
                    return RetryDecision(retry=False, reason="too many 500s")
                return RetryDecision(retry=True, reason="500")
            if error.status in self.retry_statuses:
                wait = 0.0
                if error.retry_after is not None:
                    wait = min(error.retry_after, self.retry_after_cap)
                return RetryDecision(retry=True, min_wait=wait, reason=str(error.status))
        return RetryDecision(retry=False, reason="not retryable")


def _declared_json(content_type: str) -> bool:
    """Whether a response said it was JSON (or said nothing), so a body that does not parse was cut."""
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media in ("application/json", "application/problem+json") or media.endswith("+json")


#: A policy that never retries.
NO_RETRY: Final = RetryPolicy(max_attempts=1, budget=None)


class RetryBudget:
    """A token bucket shared by all requests of one client.

    Each retry costs one token (a timeout two); each successful request returns
    one, up to ``capacity``. When the bucket cannot pay, the request fails with
    the error it had instead of retrying, so a dead server costs a bounded number
    of retries however many requests are queued.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.tokens = float(capacity)
        self.exhausted = 0

    def try_spend(self, error: AirflowError) -> bool:
        """Take the tokens for one retry after ``error``; return False when there are too few."""
        cost = 2.0 if isinstance(error, RequestTimeout) else 1.0
        if self.tokens < cost:
            self.exhausted += 1
            return False
        self.tokens -= cost
        return True

    def refund(self) -> None:
        """Return one token after a success."""
        if self.tokens < self.capacity:
            self.tokens = min(float(self.capacity), self.tokens + 1.0)


@attrs.frozen(kw_only=True)
class Requeue:
    """When a harvest fetches again the entries whose fetch failed with a transient error.

    Each request already has its own retries (the client's
    :class:`~airflow_async.retry.RetryPolicy`); on a server that fails one request
    in five, all five attempts of some requests still fail. Such entries are set
    aside, and once the harvest has fetched everything else it waits ``wait``
    seconds and fetches them again, up to ``rounds`` times, doubling the wait each
    round. What fails in the last round is reported as a failure; 404, 403, a value
    over ``max_response_bytes`` and other errors that would fail again are
    reported at once.

    With the defaults (3 rounds, after 1, 2 and 4 s) a harvest rides out a server
    that is flaky but alive, and an outage of about 7 s plus each request's own
    retry window (a few seconds with the default policy). A server that stays down
    longer ends as failures, or sooner as
    :class:`~airflow_async.errors.HarvestAborted` after ``abort_after`` consecutive
    transport failures; either way every entry is accounted for.

    Attributes:
        rounds: Later rounds at most; 0 reports transient failures at once.
        wait: Seconds before the first later round; each round waits twice as long.
    """

    rounds: int = attrs.field(default=3)
    wait: float = attrs.field(default=1.0)

    @rounds.validator
    def _check_rounds(self, _: object, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise UsageError(f"Requeue.rounds must be an int >= 0 (0: no later rounds), got {value!r}")

    @wait.validator
    def _check_wait(self, _: object, value: float) -> None:
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise UsageError(f"Requeue.wait must be a number of seconds >= 0, got {value!r}")
