"""What every benchmark worker shares: arguments, the result line, CPU and memory readings.

A worker is one client harvesting every XCom value of a server once, in its own
process. It prints a single JSON line (the last line of its stdout) that
:mod:`benchmarks.run` reads. Standard library only.

The password comes from ``BENCH_PASSWORD`` (default ``admin``), never from the
command line, so it shows up in no process list and no benchmark output.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Meter", "Result", "base_parser", "password"]


def password() -> str:
    """The password for basic auth and logins (from ``BENCH_PASSWORD``)."""
    return os.environ.get("BENCH_PASSWORD", "admin")


def base_parser(prog: str, auths: tuple[str, ...]) -> argparse.ArgumentParser:
    """The arguments every worker takes."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--url", required=True, help="server root, e.g. http://127.0.0.1:8080")
    parser.add_argument("--auth", choices=auths, default=auths[0])
    parser.add_argument("--user", default="admin")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--page-size", type=int, default=100)
    return parser


@dataclass
class Result:
    """One worker's result line."""

    client: str
    auth: str
    concurrency: int
    listed: int = 0
    values: int = 0
    errors: int = 0
    requests: int = 0
    runs: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    cpu_user_s: float = 0.0
    cpu_sys_s: float = 0.0
    cpu_process_s: float = 0.0
    maxrss_kb: int = 0
    error_sample: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def emit(self) -> None:
        """Print the result as the last line of stdout."""
        print(json.dumps(asdict(self)), flush=True)


class Meter:
    """Wall time and the process's CPU time (user + sys) between ``start`` and ``stop``.

    CPU is read with ``resource.getrusage(RUSAGE_SELF)``: the client's own process only,
    without the interpreter start-up and imports that happen before ``start``.
    """

    def __init__(self) -> None:
        self._t0 = 0.0
        self._r0: resource.struct_rusage | None = None

    def start(self) -> None:
        """Start measuring."""
        self._r0 = resource.getrusage(resource.RUSAGE_SELF)
        self._t0 = time.perf_counter()

    def stop(self, result: Result) -> Result:
        """Stop and write wall, CPU and peak RSS into ``result``."""
        wall = time.perf_counter() - self._t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        r0 = self._r0
        assert r0 is not None, "Meter.start() was not called"
        result.wall_s = round(wall, 4)
        result.cpu_user_s = round(r1.ru_utime - r0.ru_utime, 4)
        result.cpu_sys_s = round(r1.ru_stime - r0.ru_stime, 4)
        result.cpu_s = round(result.cpu_user_s + result.cpu_sys_s, 4)
        result.cpu_process_s = round(r1.ru_utime + r1.ru_stime, 4)
        result.maxrss_kb = int(r1.ru_maxrss)  # kilobytes on Linux
        return result
