"""`make demo`: the main job, end to end, on a local Airflow 2.11.2 and a local Airflow 3.3.2.

For each of the two (one after the other, so they do not share the machine's 2 cores):

1. installs that Airflow into its own virtualenv under .cache/ (once; about 30 s each),
2. starts it on 127.0.0.1 and seeds about 2,000 XComs over 120 DAG runs (real `airflow dags
   test` runs among them),
3. harvests every XCom value with the `airflow-async` command line, the same command for both
   (the client asks the server which API it speaks; password auth on both),
4. stops the server,

then prints a side-by-side summary: entries, values, failures, seconds, requests per second.

Run: ``make demo`` (or ``.venv/bin/python -m tests.harness.demo [--xcoms N] [--runs N]``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.harness import airflow2, airflow3

ROOT = Path(__file__).resolve().parents[2]


def _harvest(
    name: str, url: str, admin: tuple[str, str], manifest: list[dict[str, Any]], args: Any
) -> dict[str, Any]:
    out: Path = args.out_dir / f"demo-{name}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AIRFLOW_URL": url, "AIRFLOW_USERNAME": admin[0], "AIRFLOW_PASSWORD": admin[1]}
    cmd = [sys.executable, "-m", "airflow_async", "xcom", "harvest", "--out", str(out), "--force"]
    if args.concurrency:
        cmd += ["--concurrency", str(args.concurrency)]
    print(f"== harvesting {name}: airflow-async xcom harvest --out {out} --force", flush=True)
    started = time.monotonic()
    done = subprocess.run(cmd, env=env, text=True, capture_output=True, check=False)
    seconds = time.monotonic() - started
    sys.stderr.write(done.stderr)
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    failures_file = Path(f"{out}.failures.jsonl")
    failures = failures_file.read_text().splitlines() if failures_file.exists() else []
    seeded = {(e["dag_id"], e["dag_run_id"], e["task_id"], e["map_index"], e["key"]) for e in manifest}
    got = {(r["dag_id"], r["dag_run_id"], r["task_id"], r["map_index"], r["key"]) for r in rows}
    return {
        "runs": len({(e["dag_id"], e["dag_run_id"]) for e in manifest}),
        "listed": len(rows) + len(failures),
        "values": len(rows),
        "failures": len(failures),
        "missing": len(seeded - got),
        "seconds": seconds,
        "requests": _requests_from(done.stderr),
        "ok": done.returncode == 0 and not failures and seeded <= got,
        "exit": done.returncode,
    }


def _airflow2(args: Any) -> dict[str, Any]:
    print("== Airflow 2.11.2: installing into .cache/ (first time only), starting, seeding ...", flush=True)
    airflow2.ensure_airflow_venv()
    server = airflow2.AirflowServer()
    try:
        server.start_and_seed(second=False, xcoms=args.xcoms, runs=args.runs)
        manifest = json.loads(Path(server.manifest_path).read_text())
        return {"api": "v1", **_harvest("airflow2", server.url, airflow2.ADMIN, manifest, args)}
    finally:
        server.stop()


def _airflow3(args: Any) -> dict[str, Any]:
    print("== Airflow 3.3.2: installing into .cache/ (first time only), starting, seeding ...", flush=True)
    airflow3.ensure_airflow_venv()
    server = airflow3.Airflow3Server()
    try:
        server.start_and_seed(short=False, xcoms=args.xcoms, runs=args.runs)
        manifest = json.loads(Path(server.manifest_path).read_text())
        return {"api": "v2", **_harvest("airflow3", server.url, airflow3.ADMIN, manifest, args)}
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    """Start each Airflow, seed it, harvest it through the CLI, stop it; print both summaries."""
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--xcoms", type=int, default=2000, help="XComs to seed (default 2000)")
    parser.add_argument("--runs", type=int, default=110, help="DAG runs to seed (default 110)")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="requests in flight (default: the API version's)"
    )
    parser.add_argument("--out-dir", type=Path, default=ROOT / "out")
    args = parser.parse_args(argv)

    servers: dict[str, Callable[[Any], dict[str, Any]]] = {
        "Airflow 2.11.2": _airflow2,
        "Airflow 3.3.2": _airflow3,
    }
    results = {name: run(args) for name, run in servers.items()}
    print()
    print("== summary (password auth on both; the CLI chose the API version by asking the server)")
    names = list(results)
    print(f"   {'':22}" + "".join(f"{n:>18}" for n in names))
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("API", lambda r: r["api"]),
        ("DAG runs seeded", lambda r: f"{r['runs']:,}"),
        ("entries listed", lambda r: f"{r['listed']:,}"),
        ("values written", lambda r: f"{r['values']:,}"),
        ("failures", lambda r: f"{r['failures']:,}"),
        ("seeded, not found", lambda r: f"{r['missing']:,}"),
        ("seconds (the CLI)", lambda r: f"{r['seconds']:.1f}"),
        ("requests", lambda r: f"{r['requests']:,}"),
        ("requests per second", lambda r: f"{r['requests'] / r['seconds']:,.0f}" if r["seconds"] else "-"),
    ]
    for label, cell in rows:
        print(f"   {label:22}" + "".join(f"{cell(results[n]):>18}" for n in names))
    ok = all(r["ok"] for r in results.values())
    failed = [f"{n} (exit code {r['exit']})" for n, r in results.items() if not r["ok"]]
    print("== demo " + ("passed" if ok else "FAILED: " + ", ".join(failed)))
    return 0 if ok else 1


def _requests_from(stderr: str) -> int:
    """The request count from the CLI's summary line (``..., 2,036 requests)``)."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("harvest done:") and " requests)" in line:
            number = line.rsplit(" requests)", 1)[0].rsplit(" ", 1)[-1]
            return int(number.replace(",", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
