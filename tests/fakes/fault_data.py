"""Deterministic, lazily indexed data set behind the fake Airflow v1 server.

Nothing here is materialised per XCom: an entry is addressed by its position in a
regular grid ``dag x run x task-instance slot x key`` and computed on demand, so a
data set of a million XComs costs a few kilobytes.  Listing pages are slices of a
cartesian product, computed by mixed-radix arithmetic.

Identities and order
--------------------
* dag ``d``: ``dag_0000`` .. (zero padded, at least 4 digits).
* run ``r`` (the same run ids in every dag, one per day from ``spec.start``):
  ``scheduled__2024-01-01T00:00:00+00:00``; every run with ``r % 5 == 3`` is
  ``manual__<day>T12:34:56.789012+00:00`` and every run with ``r % 11 == 7`` (not
  manual) is ``dataset_triggered__<day>T00:00:00+00:00``.
* task ``t``: ``t00_extract``, ``t01_group.transform``, ... A task is mapped when
  ``t % mapped_every == mapped_every - 1``; it then has task instances with
  ``map_index`` ``0 .. map_count-1``, other tasks have one with ``map_index`` -1.
* key ``k``: ``return_value``, ``key with spaces``, ``nested/path/key``,
  ``weird +plus %41 ü``, then ``key_004`` ...
* global index ``((d * runs + r) * slots + s) * keys + k``; entries at or past
  ``spec.max_entries`` do not exist.  Listings are ordered by that index.
* value: :func:`xcom_value` of the identity, a dict holding the ids and a number.
"""

from __future__ import annotations

import bisect
import datetime as dt
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

_TASK_NAMES = ("extract", "transform", "load", "validate", "report", "notify")
BASE_KEYS: tuple[str, ...] = (
    "return_value",
    "key with spaces",
    "nested/path/key",
    "weird +plus %41 ü",
)
_UTC = dt.UTC


def iso(value: dt.datetime | None) -> str | None:
    """Format a datetime the way Airflow 2's API does (``isoformat`` with ``+00:00``)."""
    return None if value is None else value.isoformat()


def xcom_value(
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int,
    key: str,
    payload_bytes: int = 0,
) -> JSON:
    """Return the deterministic value of the XCom with this identity.

    The value echoes the identity and adds ``n``, a CRC32 of it, so a test can check
    that the value it received belongs to the entry it asked for.  ``payload_bytes``
    adds a ``pad`` string of that length (for size-sensitive benchmarks).
    """
    ident = f"{dag_id}|{run_id}|{task_id}|{map_index}|{key}"
    value: JSON = {
        "dag_id": dag_id,
        "run_id": run_id,
        "task_id": task_id,
        "map_index": map_index,
        "key": key,
        "n": zlib.crc32(ident.encode()),
    }
    if payload_bytes > 0:
        value["pad"] = "x" * payload_bytes
    return value


@dataclass(frozen=True)
class DataSpec:
    """Parameters of the generated data set (see the module docstring for the shapes)."""

    n_dags: int = 10
    runs_per_dag: int = 25
    tasks_per_run: int = 6
    keys_per_task: int = 4
    map_count: int = 4
    mapped_every: int = 3
    max_entries: int | None = None
    payload_bytes: int = 0
    start: dt.date = dt.date(2024, 1, 1)

    @classmethod
    def for_entries(cls, entries: int, **overrides: Any) -> DataSpec:
        """Return a spec with exactly ``entries`` XComs, growing the number of dags."""
        base = cls(**overrides)
        per_dag = max(1, base.entries_per_run * base.runs_per_dag)
        n_dags = max(1, -(-entries // per_dag))
        return cls(**{**overrides, "n_dags": n_dags, "max_entries": entries})

    @property
    def slots_per_run(self) -> int:
        """Number of task instances in each run (mapped tasks count once per map index)."""
        return sum(len(_map_indexes(self, t)) for t in range(self.tasks_per_run))

    @property
    def entries_per_run(self) -> int:
        """Number of XComs in each run before any ``max_entries`` cap."""
        return self.slots_per_run * self.keys_per_task

    @property
    def grid_entries(self) -> int:
        """Number of XComs in the full grid, before the cap."""
        return self.n_dags * self.runs_per_dag * self.entries_per_run

    @property
    def total_entries(self) -> int:
        """Number of XComs in the data set (the grid, capped by ``max_entries``)."""
        grid = self.grid_entries
        return grid if self.max_entries is None else min(grid, self.max_entries)


def _map_indexes(spec: DataSpec, t: int) -> tuple[int, ...]:
    every = spec.mapped_every
    if spec.map_count > 0 and every > 0 and t % every == every - 1:
        return tuple(range(spec.map_count))
    return (-1,)


def task_id_for(t: int) -> str:
    """Return the task id of task number ``t``."""
    name = _TASK_NAMES[t % len(_TASK_NAMES)]
    return f"t{t:02d}_group.{name}" if t % 4 == 1 else f"t{t:02d}_{name}"


def key_for(k: int) -> str:
    """Return the XCom key number ``k``."""
    return BASE_KEYS[k] if k < len(BASE_KEYS) else f"key_{k:03d}"


@dataclass(frozen=True, slots=True)
class Slot:
    """One task instance position inside a run."""

    t: int
    task_id: str
    map_index: int


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Per-run facts shared by every dag (runs are the same in each dag)."""

    run_id: str
    run_type: str
    logical: dt.datetime
    start: dt.datetime
    end: dt.datetime | None
    state: str
    template: JSON


@dataclass(frozen=True, slots=True)
class XComRef:
    """Identity of one XCom row, by grid positions plus the key string."""

    d: int
    r: int
    s: int
    key: str


@dataclass(slots=True)
class XComFilter:
    """A listing's filter: ``None`` means ``~`` / no filter."""

    d: int | None = None
    r: int | None = None
    task_id: str | None = None
    map_index: int | None = None
    key: str | None = None


class _Product:
    """The cartesian product of four sorted index sequences, addressed by position."""

    __slots__ = ("axes", "dims", "size")

    def __init__(self, axes: tuple[Sequence[int], ...], dims: tuple[int, ...]) -> None:
        self.axes = axes
        self.dims = dims
        size = 1
        for axis in axes:
            size *= len(axis)
        self.size = size

    def at(self, j: int) -> tuple[int, ...]:
        out = [0] * len(self.axes)
        for i in range(len(self.axes) - 1, -1, -1):
            axis = self.axes[i]
            j, rem = divmod(j, len(axis))
            out[i] = axis[rem]
        return tuple(out)

    def flat(self, j: int) -> int:
        """Global index (in the full grid) of the product element at position ``j``."""
        g = 0
        for value, dim in zip(self.at(j), self.dims, strict=True):
            g = g * dim + value
        return g

    def count_below(self, cap: int | None) -> int:
        """Number of leading elements whose global index is below ``cap``."""
        if cap is None or self.size == 0 or self.flat(self.size - 1) < cap:
            return self.size
        lo, hi = 0, self.size - 1  # flat(hi) >= cap
        while lo < hi:
            mid = (lo + hi) // 2
            if self.flat(mid) < cap:
                lo = mid + 1
            else:
                hi = mid
        return lo


@dataclass
class DataSet:
    """The data set plus its mutable overlays (inserted/deleted rows, triggers, variables)."""

    spec: DataSpec = field(default_factory=DataSpec)

    def __post_init__(self) -> None:
        spec = self.spec
        width = max(4, len(str(max(spec.n_dags - 1, 0))))
        self.dag_ids: list[str] = [f"dag_{d:0{width}d}" for d in range(spec.n_dags)]
        self.dag_index: dict[str, int] = {d: i for i, d in enumerate(self.dag_ids)}
        tasks, maps = range(spec.tasks_per_run), _map_indexes
        self.slots: list[Slot] = [Slot(t, task_id_for(t), m) for t in tasks for m in maps(spec, t)]
        self.slot_index: dict[tuple[str, int], int] = {
            (s.task_id, s.map_index): i for i, s in enumerate(self.slots)
        }
        self.task_slots: dict[str, list[int]] = {}
        for i, s in enumerate(self.slots):
            self.task_slots.setdefault(s.task_id, []).append(i)
        self.keys: list[str] = [key_for(k) for k in range(spec.keys_per_task)]
        self.key_index: dict[str, int] = {k: i for i, k in enumerate(self.keys)}
        self.runs: list[RunInfo] = [self._make_run(r) for r in range(spec.runs_per_dag)]
        self.run_index: dict[str, int] = {run.run_id: i for i, run in enumerate(self.runs)}
        self.dims = (spec.n_dags, spec.runs_per_dag, len(self.slots), spec.keys_per_task)
        self.reset_overlays()

    # ----------------------------------------------------------------- overlays
    def reset_overlays(self) -> None:
        """Forget inserted/deleted rows, triggered runs and variables."""
        self.deleted: set[int] = set()
        self.inserted: dict[XComRef, int] = {}  # ref -> insertion sequence number
        self._insert_seq = 0
        self.triggered: dict[tuple[str, str], JSON] = {}
        self.trigger_calls: list[JSON] = []
        self.variables: dict[str, JSON] = {}

    # --------------------------------------------------------------- generation
    def _make_run(self, r: int) -> RunInfo:
        day = dt.datetime.combine(self.spec.start + dt.timedelta(days=r), dt.time(), tzinfo=_UTC)
        if r % 5 == 3:
            logical = day.replace(hour=12, minute=34, second=56, microsecond=789012)
            run_type, prefix = "manual", "manual"
            start = logical + dt.timedelta(seconds=1)
        elif r % 11 == 7:
            logical, run_type, prefix = day, "dataset_triggered", "dataset_triggered"
            start = logical + dt.timedelta(days=1, seconds=3)
        else:
            logical, run_type, prefix = day, "scheduled", "scheduled"
            start = logical + dt.timedelta(days=1, seconds=5)
        run_id = f"{prefix}__{logical.isoformat()}"
        last = r == self.spec.runs_per_dag - 1
        end = None if last else start + dt.timedelta(seconds=2 * len(self.slots) + 10)
        state = "running" if last else "success"
        template: JSON = {
            "dag_run_id": run_id,
            "dag_id": "",
            "logical_date": iso(logical),
            "execution_date": iso(logical),
            "start_date": iso(start),
            "end_date": iso(end),
            "data_interval_start": iso(logical),
            "data_interval_end": iso(logical + dt.timedelta(days=1)),
            "last_scheduling_decision": iso(end or start),
            "run_type": run_type,
            "state": state,
            "external_trigger": run_type == "manual",
            "conf": {},
            "note": None,
        }
        return RunInfo(run_id, run_type, logical, start, end, state, template)

    def find_run(self, dag_id: str, run_id: str) -> int | None:
        """Return the run position of ``run_id`` (same in every dag), or ``None``."""
        return self.run_index.get(run_id)

    def dag_json(self, d: int) -> JSON:
        """Return the DAG object of dag ``d`` (fields of Airflow 2.11's DAG schema)."""
        dag_id = self.dag_ids[d]
        nxt = self.runs[-1].logical + dt.timedelta(days=1)
        return {
            "dag_id": dag_id,
            "dag_display_name": dag_id,
            "root_dag_id": None,
            "is_paused": False,
            "is_active": True,
            "is_subdag": False,
            "last_parsed_time": iso(self.runs[0].logical),
            "last_pickled": None,
            "last_expired": None,
            "scheduler_lock": None,
            "pickle_id": None,
            "default_view": "grid",
            "fileloc": f"/opt/airflow/dags/{dag_id}.py",
            "file_token": f"token-{d}",
            "owners": ["airflow"],
            "description": f"Fake DAG number {d}",
            "schedule_interval": {"__type": "CronExpression", "value": "@daily"},
            "timetable_description": "At 00:00",
            "tags": [{"name": "fake"}],
            "max_active_tasks": 16,
            "max_active_runs": 16,
            "max_consecutive_failed_dag_runs": 0,
            "has_task_concurrency_limits": False,
            "has_import_errors": False,
            "next_dagrun": iso(nxt),
            "next_dagrun_data_interval_start": iso(nxt),
            "next_dagrun_data_interval_end": iso(nxt + dt.timedelta(days=1)),
            "next_dagrun_create_after": iso(nxt + dt.timedelta(days=1)),
        }

    def run_json(self, d: int, r: int) -> JSON:
        """Return the DAGRun object of run ``r`` in dag ``d``."""
        out = dict(self.runs[r].template)
        out["dag_id"] = self.dag_ids[d]
        return out

    def _ti_times(self, r: int, s: int) -> tuple[dt.datetime, dt.datetime | None]:
        run = self.runs[r]
        start = run.start + dt.timedelta(seconds=2 * s + 1)
        if run.state == "running" and s == len(self.slots) - 1:
            return start, None
        return start, start + dt.timedelta(seconds=1.5)

    def ti_json(self, d: int, r: int, s: int) -> JSON:
        """Return the TaskInstance object (Airflow 2.11 fields) at ``(d, r, s)``."""
        run, slot = self.runs[r], self.slots[s]
        start, end = self._ti_times(r, s)
        failed = s == 1 and r % 10 == 3
        state = "running" if end is None else ("failed" if failed else "success")
        return {
            "task_id": slot.task_id,
            "task_display_name": slot.task_id,
            "dag_id": self.dag_ids[d],
            "dag_run_id": run.run_id,
            "execution_date": iso(run.logical),
            "start_date": iso(start),
            "end_date": iso(end),
            "duration": None if end is None else 1.5,
            "state": state,
            "try_number": 2 if failed else 1,
            "map_index": slot.map_index,
            "rendered_map_index": None if slot.map_index < 0 else str(slot.map_index),
            "max_tries": 1,
            "hostname": "fake-worker",
            "unixname": "airflow",
            "pool": "default_pool",
            "pool_slots": 1,
            "queue": "default",
            "priority_weight": len(self.slots) - s,
            "operator": "PythonOperator",
            "queued_when": iso(start - dt.timedelta(seconds=0.5)),
            "pid": 1000 + s,
            "executor": None,
            "executor_config": "{}",
            "sla_miss": None,
            "rendered_fields": {},
            "trigger": None,
            "triggerer_job": None,
            "note": None,
        }

    # -------------------------------------------------------------------- xcoms
    def _flat(self, d: int, r: int, s: int, k: int) -> int:
        _, n_runs, n_slots, n_keys = self.dims
        return ((d * n_runs + r) * n_slots + s) * n_keys + k

    def _unflat(self, g: int) -> tuple[int, int, int, int]:
        _, n_runs, n_slots, n_keys = self.dims
        g, k = divmod(g, n_keys)
        g, s = divmod(g, n_slots)
        d, r = divmod(g, n_runs)
        return d, r, s, k

    def _base_exists(self, g: int) -> bool:
        cap = self.spec.max_entries
        return (cap is None or g < cap) and g not in self.deleted

    def xcom_exists(self, ref: XComRef) -> bool:
        """Whether the XCom ``ref`` exists (base grid under the cap, or inserted)."""
        k = self.key_index.get(ref.key)
        if k is not None and self._base_exists(self._flat(ref.d, ref.r, ref.s, k)):
            return True
        return ref in self.inserted

    def xcom_item(self, ref: XComRef) -> JSON:
        """Return the XCom collection item for ``ref`` (no ``dag_run_id``, like real v1)."""
        slot = self.slots[ref.s]
        start, end = self._ti_times(ref.r, ref.s)
        stamp = (end or start) - dt.timedelta(seconds=0.25)
        if ref in self.inserted:
            stamp += dt.timedelta(hours=1, microseconds=self.inserted[ref])
        return {
            "dag_id": self.dag_ids[ref.d],
            "execution_date": self.runs[ref.r].template["execution_date"],
            "key": ref.key,
            "map_index": slot.map_index,
            "task_id": slot.task_id,
            "timestamp": iso(stamp),
        }

    def xcom_value(self, ref: XComRef) -> JSON:
        """Return the value of the XCom ``ref`` (see :func:`xcom_value`)."""
        slot = self.slots[ref.s]
        return xcom_value(
            self.dag_ids[ref.d],
            self.runs[ref.r].run_id,
            slot.task_id,
            slot.map_index,
            ref.key,
            self.spec.payload_bytes,
        )

    def _axes(self, f: XComFilter) -> tuple[Sequence[int], Sequence[int], Sequence[int]]:
        dags: Sequence[int] = range(self.dims[0]) if f.d is None else (f.d,)
        runs: Sequence[int] = range(self.dims[1]) if f.r is None else (f.r,)
        slots: Sequence[int]
        if f.task_id is None and f.map_index is None:
            slots = range(self.dims[2])
        else:
            cand = self.task_slots.get(f.task_id, []) if f.task_id else range(self.dims[2])
            slots = [s for s in cand if f.map_index in (None, self.slots[s].map_index)]
        return dags, runs, slots

    def _matches(self, f: XComFilter, ref: XComRef) -> bool:
        slot = self.slots[ref.s]
        return (
            f.d in (None, ref.d)
            and f.r in (None, ref.r)
            and f.task_id in (None, slot.task_id)
            and f.map_index in (None, slot.map_index)
            and f.key in (None, ref.key)
        )

    def xcom_page(self, f: XComFilter, offset: int, limit: int) -> tuple[int, list[XComRef]]:
        """Return ``(total_entries, refs)`` for one listing page, in stable order."""
        dags, runs, slots = self._axes(f)
        if f.key is None:
            keys: Sequence[int] = range(self.dims[3])
        else:
            k = self.key_index.get(f.key)
            keys = () if k is None else (k,)
        prod = _Product((dags, runs, slots, keys), self.dims)
        n_base = prod.count_below(self.spec.max_entries)

        def ref_at(j: int) -> XComRef:
            d, r, s, k = prod.at(j)
            return XComRef(d, r, s, self.keys[k])

        if not self.deleted and not self.inserted:
            end = min(n_base, offset + limit)
            return n_base, [ref_at(j) for j in range(offset, end)]
        return self._merged_page(f, prod, n_base, offset, limit, ref_at)

    def _merged_page(
        self,
        f: XComFilter,
        prod: _Product,
        n_base: int,
        offset: int,
        limit: int,
        ref_at: Callable[[int], XComRef],
    ) -> tuple[int, list[XComRef]]:
        cap = self.spec.max_entries
        live = (g for g in self.deleted if cap is None or g < cap)
        dels = sorted(g for g in live if self._matches(f, self._ref_of(g)))
        ins = sorted(
            ((self._flat(ref.d, ref.r, ref.s, 0), 0, seq), ref)
            for ref, seq in self.inserted.items()
            if self._matches(f, ref)
        )
        ins_keys = [key for key, _ in ins]
        total = n_base - len(dels) + len(ins)

        def before(j: int) -> int:  # view elements strictly before base element j
            if j >= n_base:
                return n_base - len(dels) + len(ins)
            g = prod.flat(j)
            return j - bisect.bisect_left(dels, g) + bisect.bisect_left(ins_keys, (g, 1, 0))

        lo, hi = 0, n_base  # largest j with before(j) <= offset
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if before(mid) <= offset:
                lo = mid
            else:
                hi = mid - 1
        if lo == 0:  # inserted rows may precede the first base row
            j, pos, ip = 0, 0, 0
        else:
            j, pos = lo, before(lo)
            ip = bisect.bisect_left(ins_keys, (prod.flat(j), 1, 0)) if j < n_base else len(ins)
        out: list[XComRef] = []
        while len(out) < limit and (j < n_base or ip < len(ins)):
            g = prod.flat(j) if j < n_base else None
            if ip < len(ins) and (g is None or ins_keys[ip] < (g, 1, 0)):
                ref: XComRef = ins[ip][1]
                ip += 1
            else:
                assert g is not None
                j += 1
                if g in self.deleted:
                    continue
                ref = ref_at(j - 1)
            if pos >= offset:
                out.append(ref)
            pos += 1
        return total, out

    def _ref_of(self, g: int) -> XComRef:
        d, r, s, k = self._unflat(g)
        return XComRef(d, r, s, self.keys[k])

    def mutate(self, f: XComFilter, insert: int, delete: int) -> tuple[int, int]:
        """Delete the first ``delete`` rows of the view ``f``, then insert ``insert`` rows
        at its front (new keys ``inserted NNNN`` in the view's first task instance).

        Returns ``(inserted, deleted)``.
        """
        deleted = 0
        if delete > 0:
            _, refs = self.xcom_page(f, 0, delete)
            for ref in refs:
                self._delete(ref)
                deleted += 1
        inserted = 0
        if insert > 0:
            _, first = self.xcom_page(f, 0, 1)
            dags, runs, slots = self._axes(f)
            if first:
                d, r, s = first[0].d, first[0].r, first[0].s
            elif dags and runs and slots:
                d, r, s = dags[0], runs[0], slots[0]
            else:
                return 0, deleted
            for _ in range(insert):
                self._insert_seq += 1
                ref = XComRef(d, r, s, f"inserted {self._insert_seq:04d}")
                # Sort before the slot's base rows and before earlier insertions.
                self.inserted[ref] = -self._insert_seq
                inserted += 1
        return inserted, deleted

    def _delete(self, ref: XComRef) -> None:
        if ref in self.inserted:
            del self.inserted[ref]
            return
        k = self.key_index.get(ref.key)
        if k is not None:
            self.deleted.add(self._flat(ref.d, ref.r, ref.s, k))

    # ------------------------------------------------------------ run listings
    def runs_page(
        self,
        dags: Iterable[int],
        offset: int,
        limit: int,
    ) -> tuple[int, list[tuple[int, int]]]:
        """Return ``(total, [(d, r)])`` for a dag-run listing over ``dags``."""
        dag_list = list(dags)
        n_runs = self.dims[1]
        total = len(dag_list) * n_runs
        end = min(total, offset + limit)
        return total, [(dag_list[j // n_runs], j % n_runs) for j in range(offset, end)]

    def tis_page(
        self,
        d: int | None,
        r: int | None,
        offset: int,
        limit: int,
    ) -> tuple[int, list[tuple[int, ...]]]:
        """Return ``(total, [(d, r, s)])`` for a task-instance listing."""
        dags: Sequence[int] = range(self.dims[0]) if d is None else (d,)
        runs: Sequence[int] = range(self.dims[1]) if r is None else (r,)
        prod = _Product((dags, runs, range(self.dims[2])), self.dims[:3])
        end = min(prod.size, offset + limit)
        return prod.size, [prod.at(j) for j in range(offset, end)]
