"""Fault rules, their runtime state, and request statistics for the fake Airflow server.

A :class:`FaultRule` says *what* to do (``kind``), *to which requests* (``route``,
``path_contains``, ``method``) and *when*: which request identities are selected
(all, ``every`` k-th distinct one, or a seeded ``rate``) and for how many attempts
(``times``: transient; ``None``: permanent).  With ``per_attempt``, a ``rate`` is drawn
afresh for every attempt instead (a flaky proxy: a retry is as likely to fail as the
first try, so some requests fail all their attempts).  A request's identity is its method, raw
path with query, and body, so a client's retry of the same call is the same identity.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

FaultKind = Literal[
    "status",  # answer `status` (Problem JSON, or HTML with html_body), optional Retry-After
    "html",  # answer 200 with an HTML page (a proxy / login page)
    "hang",  # sleep hang_seconds, then answer normally
    "stall_body",  # send headers + `fraction` of the body, sleep hang_seconds, send the rest
    "drop_body",  # send headers (full Content-Length) + `fraction` of the body, then close
    "truncate_json",  # send a complete response whose JSON body is cut at `fraction`
    "disconnect",  # close the connection without answering
    "reset_keepalive",  # like disconnect, only for requests on a reused connection
    "close_after",  # answer normally, then close the connection without Connection: close
    "clamp_page",  # clamp listing page sizes to page_limit
    "mutate",  # after the `after`-th matching listing request, insert/delete XCom rows
]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
MODIFIER_KINDS: frozenset[str] = frozenset({"hang", "clamp_page", "mutate"})
BROWSER_ROUTES: frozenset[str] = frozenset({"login", "login_page", "login_redirect", "home"})
LISTING_ROUTES: frozenset[str] = frozenset(
    {
        "dags_list",
        "dag_runs_list",
        "dag_runs_batch",
        "task_instances_list",
        "xcom_list",
        "variables_list",
    },
)


@dataclass
class FaultRule:
    """One fault to inject.  All fields are JSON-friendly (see ``POST /_control/faults``)."""

    kind: FaultKind
    status: int = 503
    retry_after: int | float | str | None = None
    html_body: bool = False
    route: str | list[str] | None = None  # None: every API route (mutate: xcom_list only;
    # clamp_page: listing routes only); login/home routes only when named explicitly
    path_contains: str | None = None
    method: str | None = None
    every: int | None = None
    rate: float | None = None
    seed: int = 0
    per_attempt: bool = False
    times: int | None = None
    max_faults: int | None = None
    hang_seconds: float = 0.0
    fraction: float = 0.5
    page_limit: int = 10
    after: int = 1
    insert_rows: int = 0
    delete_rows: int = 0
    name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.every is not None and self.every < 1:
            raise ValueError("every must be >= 1")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")

    @property
    def label(self) -> str:
        """The stats key of this fault kind, e.g. ``status_503`` or ``drop_body``."""
        return f"status_{self.status}" if self.kind == "status" else self.kind

    def matches(self, route: str, method: str, path: str, reused: bool) -> bool:
        """Whether a request falls in this rule's scope (before identity selection)."""
        if self.route is None:
            if route in BROWSER_ROUTES:
                return False
            if self.kind == "mutate" and route != "xcom_list":
                return False
            if self.kind == "clamp_page" and route not in LISTING_ROUTES:
                return False
        elif isinstance(self.route, str):
            if route != self.route:
                return False
        elif route not in self.route:
            return False
        if self.method is not None and method != self.method.upper():
            return False
        if self.path_contains is not None and self.path_contains not in path:
            return False
        return not (self.kind == "reset_keepalive" and not reused)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FaultRule:
        """Build a rule from a JSON object, rejecting unknown fields."""
        known = {f.name for f in fields(cls)}
        unknown = set(obj) - known
        if unknown:
            raise ValueError(f"unknown FaultRule fields: {sorted(unknown)}")
        return cls(**obj)


@dataclass
class FaultConfig:
    """Everything a test may switch on: rules plus session and login faults."""

    rules: list[FaultRule] = field(default_factory=list)
    session_max_requests: int | None = None
    login_fail_times: int = 0
    login_fail_always: bool = False
    login_fail_mode: Literal["reject", "error"] = "reject"

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FaultConfig:
        """Build a config from a JSON object, rejecting unknown fields."""
        known = {f.name for f in fields(cls)}
        unknown = set(obj) - known
        if unknown:
            raise ValueError(f"unknown FaultConfig fields: {sorted(unknown)}")
        rules = [FaultRule.from_json(r) for r in obj.get("rules", [])]
        rest = {k: v for k, v in obj.items() if k != "rules"}
        if rest.get("login_fail_mode", "reject") not in ("reject", "error"):
            raise ValueError("login_fail_mode must be 'reject' or 'error'")
        return cls(rules=rules, **rest)


@dataclass
class _RuleState:
    seen: int = 0
    ordinal: int = 0
    fired: int = 0
    attempts: dict[str, int] = field(default_factory=dict)
    selected: dict[str, bool] = field(default_factory=dict)


def _unit_hash(seed: int, identity: str) -> float:
    digest = hashlib.blake2b(f"{seed}:{identity}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class Faults:
    """The live fault configuration of one server, with per-rule counters."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._states: list[_RuleState] = [_RuleState() for _ in self.config.rules]

    @property
    def rules(self) -> list[FaultRule]:
        """The active rules, in evaluation order."""
        return self.config.rules

    @property
    def has_rules(self) -> bool:
        """Whether any rule is configured (the fast path skips evaluation otherwise)."""
        return bool(self.config.rules)

    def set(self, config: FaultConfig) -> None:
        """Replace the whole configuration and forget rule counters."""
        self.config = config
        self._states = [_RuleState() for _ in config.rules]

    def add(self, rule: FaultRule) -> FaultRule:
        """Append one rule and return it."""
        self.config.rules.append(rule)
        self._states.append(_RuleState())
        return rule

    def clear(self) -> None:
        """Remove every fault (rules, session expiry, login failures)."""
        self.set(FaultConfig())

    def fired(self, rule: FaultRule) -> int:
        """How many times ``rule`` fired."""
        for r, st in zip(self.config.rules, self._states, strict=True):
            if r is rule:
                return st.fired
        raise KeyError("rule not configured")

    def take_login_failure(self) -> bool:
        """Consume one login failure if one is configured."""
        cfg = self.config
        if cfg.login_fail_always:
            return True
        if cfg.login_fail_times > 0:
            cfg.login_fail_times -= 1
            return True
        return False

    def evaluate(
        self,
        route: str,
        method: str,
        path: str,
        identity: str,
        reused: bool,
    ) -> list[FaultRule]:
        """Return the rules that fire for this request attempt, updating counters."""
        out: list[FaultRule] = []
        terminal = False
        for rule, st in zip(self.config.rules, self._states, strict=True):
            if not rule.matches(route, method, path, reused):
                continue
            st.seen += 1
            if rule.kind == "mutate":
                limit_ok = rule.max_faults is None or st.fired < rule.max_faults
                if st.seen == rule.after and limit_ok:
                    st.fired += 1
                    out.append(rule)
                continue
            attempt = st.attempts.get(identity, 0) + 1
            st.attempts[identity] = attempt
            if rule.per_attempt and rule.rate is not None:
                st.selected[identity] = _unit_hash(rule.seed, f"{identity}#{attempt}") < rule.rate
            elif attempt == 1:
                st.ordinal += 1
                if rule.every is not None:
                    chosen = st.ordinal % rule.every == 0
                elif rule.rate is not None:
                    chosen = _unit_hash(rule.seed, identity) < rule.rate
                else:
                    chosen = True
                st.selected[identity] = chosen
            if not st.selected[identity]:
                continue
            if rule.times is not None and attempt > rule.times:
                continue
            if rule.max_faults is not None and st.fired >= rule.max_faults:
                continue
            is_terminal = rule.kind not in MODIFIER_KINDS
            if is_terminal and terminal:
                continue
            terminal = terminal or is_terminal
            st.fired += 1
            out.append(rule)
        return out


class Stats:
    """Request and fault counters of one server (``GET /_control/stats``)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero every counter (the connection/in-flight gauges keep their current value)."""
        self.total_requests = 0
        self.routes: dict[str, Counter[str]] = {}
        self.faults: Counter[str] = Counter()
        self.faults_by_rule: Counter[str] = Counter()
        self.logins: Counter[str] = Counter()
        self.connections = 0
        self.max_in_flight = getattr(self, "in_flight", 0)
        self.in_flight: int = getattr(self, "in_flight", 0)

    def record(self, route: str, outcome: int | str) -> None:
        """Count one answered (or dropped) request by route and status."""
        counter = self.routes.get(route)
        if counter is None:
            counter = self.routes[route] = Counter()
        counter[str(outcome)] += 1

    def fault(self, label: str, rule_name: str | None = None) -> None:
        """Count one injected fault."""
        self.faults[label] += 1
        if rule_name is not None:
            self.faults_by_rule[rule_name] += 1

    def count(self, route: str, outcome: int | str | None = None) -> int:
        """Requests answered on ``route`` (with ``outcome`` only, if given)."""
        counter = self.routes.get(route, Counter())
        return counter[str(outcome)] if outcome is not None else sum(counter.values())

    def snapshot(self) -> dict[str, Any]:
        """Return the counters as JSON-able data."""
        return {
            "total_requests": self.total_requests,
            "routes": {route: dict(c) for route, c in sorted(self.routes.items())},
            "faults": dict(self.faults),
            "faults_total": sum(self.faults.values()),
            "faults_by_rule": dict(self.faults_by_rule),
            "logins": dict(self.logins),
            "connections": self.connections,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
        }
