"""Client instructions per request on the fast stub, counted by valgrind (callgrind).

::

    python -m benchmarks.cpu_instructions [SMALL] [LARGE]     # default 1,000 and 3,000 entries

CPU seconds on a shared 2-core machine move with everything else that runs; instruction counts
do not. Each client (bare aiohttp, the floor, and ``xcom.harvest``) harvests a stub of SMALL and
one of LARGE entries under ``valgrind --tool=callgrind``; the difference of the two counts,
divided by the difference of the requests made, is the cost of one more request with start-up
and imports taken out. The stub (``tests/fakes/fault_server.py --no-auth``) runs outside valgrind.
Set ``AIRFLOW_ASYNC_BENCH_ROOT`` to another checkout of this repository to measure its
``airflow_async`` (a before/after comparison) with this file's workers. Needs valgrind; takes a
few minutes (valgrind runs Python about 50 times slower).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLIENTS = {"bare": "benchmarks.bare_aiohttp", "ours": "benchmarks.ours"}


def count(kind: str, url: str, out: Path) -> tuple[int, int]:
    """Instructions and requests of one harvest by ``kind`` under callgrind."""
    code_root = os.environ.get("AIRFLOW_ASYNC_BENCH_ROOT", str(ROOT))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([code_root, str(ROOT)])}
    cmd = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        PY,
        "-m",
        CLIENTS[kind],
        "--url",
        url,
        "--auth",
        "none",
        "--concurrency",
        "16",
    ]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{kind} under valgrind failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return int(found.group(1)), int(result["requests"])


def measure(sizes: tuple[int, int] = (1000, 3000)) -> dict[str, float]:
    """Instructions per request of each client (``bare``, ``ours``), from harvests of two sizes."""
    counts: dict[str, dict[int, tuple[int, int]]] = {"bare": {}, "ours": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            server = [PY, "-m", "tests.fakes.fault_server", "--port", "0", "--entries", str(n), "--no-auth"]
            stub = subprocess.Popen(server, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            assert stub.stdout is not None
            url = json.loads(stub.stdout.readline())["url"]
            try:
                for kind in CLIENTS:
                    counts[kind][n] = count(kind, url, Path(tmp) / f"{kind}.{n}.out")
            finally:
                stub.terminate()
    small, large = sizes
    per = {}
    for kind, by_size in counts.items():
        (i0, r0), (i1, r1) = by_size[small], by_size[large]
        per[kind] = (i1 - i0) / (r1 - r0)
    return per


def main(argv: list[str]) -> int:
    """Count both clients at both sizes and print instructions per request."""
    small, large = (int(a) for a in argv[:2]) if len(argv) >= 2 else (1000, 3000)
    per = measure((small, large))
    print(
        f"instructions per request: bare aiohttp {per['bare'] / 1e3:.1f}k, airflow_async "
        f"{per['ours'] / 1e3:.1f}k, ratio {per['ours'] / per['bare']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
