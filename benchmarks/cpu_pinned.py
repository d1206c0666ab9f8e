"""Client CPU per request on the fast stub, the stub and the client pinned to different cores.

::

    python -m benchmarks.cpu_pinned [REPS] [ENTRIES]     # default 5 repetitions, 10,000 entries

The stub (``tests/fakes/fault_server.py --no-auth``) runs on core 0 and each client (bare aiohttp,
the floor, and ``xcom.harvest``) on core 1 (``taskset``), alternating; the minimum CPU per request
of each side is compared, since noise from the rest of the machine only adds. Prints one line of
samples and one of minimums; needs ``taskset`` (util-linux) and 2 cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def main(argv: list[str]) -> int:
    """Run the comparison and print it."""
    reps = int(argv[0]) if argv else 5
    entries = int(argv[1]) if len(argv) > 1 else 10_000
    server = [PY, "-m", "tests.fakes.fault_server", "--port", "0", "--entries", str(entries), "--no-auth"]
    stub = subprocess.Popen(["taskset", "-c", "0", *server], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert stub.stdout is not None
    url = json.loads(stub.stdout.readline())["url"]
    samples: dict[str, list[float]] = {"bare": [], "ours": []}
    modules = {"bare": "benchmarks.bare_aiohttp", "ours": "benchmarks.ours"}
    try:
        for rep in range(reps):
            for kind in ("bare", "ours") if rep % 2 == 0 else ("ours", "bare"):
                cmd = ["taskset", "-c", "1", PY, "-m", modules[kind], "--url", url, "--auth", "none"]
                done = subprocess.run(
                    [*cmd, "--concurrency", "16"], cwd=ROOT, capture_output=True, text=True, timeout=900
                )
                result = json.loads(done.stdout.strip().splitlines()[-1])
                if result.get("values") != entries:
                    raise SystemExit(f"{kind} fetched {result.get('values')} of {entries}: {result}")
                samples[kind].append(result["cpu_s"] / result["requests"] * 1e6)
    finally:
        stub.terminate()
    bare, ours = min(samples["bare"]), min(samples["ours"])
    print(json.dumps({k: [round(x, 1) for x in v] for k, v in samples.items()}))
    print(
        f"min client CPU us/request: bare aiohttp {bare:.1f}, airflow_async {ours:.1f}, "
        f"ratio {ours / bare:.2f}x (load average {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
