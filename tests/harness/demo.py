"""`make demo`: the main job, end to end, on a local Airflow 2.11.2 that it starts and stops.

1. installs Airflow 2.11.2 into its own virtualenv under .cache/ (once; about 40 s),
2. starts it on 127.0.0.1 and seeds about 2,000 XComs over 120 DAG runs (real `airflow dags
   test` runs among them),
3. harvests every XCom value with the `airflow-async` command line into out/demo-xcoms.jsonl,
4. prints a summary and stops the server.

Run: ``make demo`` (or ``.venv/bin/python -m tests.harness.demo [--xcoms N] [--runs N]``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.harness import airflow2 as harness

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    """Start Airflow, seed it, harvest it through the CLI, print a summary, stop it."""
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--xcoms", type=int, default=2000, help="XComs to seed (default 2000)")
    parser.add_argument("--runs", type=int, default=110, help="DAG runs to seed (default 110)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "demo-xcoms.jsonl")
    args = parser.parse_args(argv)

    print("== installing Airflow 2.11.2 into .cache/ (first time only) ...", flush=True)
    harness.ensure_airflow_venv()
    server = harness.AirflowServer()
    try:
        print("== starting Airflow on 127.0.0.1 and seeding DAG runs and XComs ...", flush=True)
        server.start_and_seed(second=False, xcoms=args.xcoms, runs=args.runs)
        manifest = json.loads(Path(server.manifest_path).read_text())
        runs = {(e["dag_id"], e["dag_run_id"]) for e in manifest}
        print(f"   {server.url}: {len(manifest):,} XComs seeded in {len(runs)} DAG runs", flush=True)

        args.out.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "AIRFLOW_URL": server.url,
            "AIRFLOW_USERNAME": harness.ADMIN[0],
            "AIRFLOW_PASSWORD": harness.ADMIN[1],
        }
        cmd = [
            sys.executable, "-m", "airflow_async", "xcom", "harvest",
            "--out", str(args.out), "--force", "--concurrency", str(args.concurrency),
        ]  # fmt: skip
        print(f"== harvesting: airflow-async xcom harvest --out {args.out} --force", flush=True)
        started = time.monotonic()
        done = subprocess.run(cmd, env=env, text=True, capture_output=True, check=False)
        seconds = time.monotonic() - started
        sys.stderr.write(done.stderr)

        rows = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]
        failures_file = Path(f"{args.out}.failures.jsonl")
        failures = failures_file.read_text().splitlines() if failures_file.exists() else []
        seeded = {(e["dag_id"], e["dag_run_id"], e["task_id"], e["map_index"], e["key"]) for e in manifest}
        got = {(r["dag_id"], r["dag_run_id"], r["task_id"], r["map_index"], r["key"]) for r in rows}
        requests = _requests_from(done.stderr)
        print()
        print("== summary")
        print(f"   DAG runs seeded      {len(runs):>8,}")
        print(f"   entries listed       {len(rows) + len(failures):>8,}")
        print(f"   values written       {len(rows):>8,}   ({args.out})")
        print(f"   failures             {len(failures):>8,}")
        print(f"   seeded, not found    {len(seeded - got):>8,}")
        print(f"   seconds              {seconds:>8.1f}   (the CLI, end to end)")
        if requests:
            print(f"   requests             {requests:>8,}   ({requests / seconds:,.0f} per second)")
        ok = done.returncode == 0 and not failures and seeded <= got
        print("== demo " + ("passed" if ok else f"FAILED (exit code {done.returncode})"))
        return 0 if ok else 1
    finally:
        print("== stopping Airflow", flush=True)
        server.stop()


def _requests_from(stderr: str) -> int:
    """The request count from the CLI's summary line (``..., 2,036 requests)``)."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("harvest done:") and " requests)" in line:
            number = line.rsplit(" requests)", 1)[0].rsplit(" ", 1)[-1]
            return int(number.replace(",", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
