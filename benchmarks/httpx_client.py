"""httpx's AsyncClient doing the same harvest as ``bare_aiohttp.py`` (for CPU per request).

Run by a throwaway virtualenv that has httpx (``benchmarks.run`` makes it under
``.cache/bench-httpx/venv``; httpx is not a dependency of this project)::

    .cache/bench-httpx/venv/bin/python benchmarks/httpx_client.py --url http://127.0.0.1:PORT

Same pipeline as the bare aiohttp floor: DAG runs listed concurrently, XCom pages
into a bounded queue, ``--concurrency`` value fetches in flight. Standard library
plus httpx; prints one JSON line like the other workers.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
from typing import Any
from urllib.parse import quote

import httpx
from _official_common import measure  # beside this file (it runs as a script)


def _q(segment: str) -> str:
    return quote(segment, safe="")


async def harvest(url: str, *, auth: str, user: str, concurrency: int, page_size: int) -> dict[str, Any]:
    """Harvest every XCom value with httpx; return the counts."""
    api = f"{url.rstrip('/')}/api/v1"
    counts: dict[str, Any] = {"listed": 0, "values": 0, "errors": 0, "requests": 0, "error_sample": None}
    basic = (user, os.environ.get("BENCH_PASSWORD", "admin")) if auth == "basic" else None
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(auth=basic, limits=limits, headers={"Accept": "application/json"}) as client:
        sem = asyncio.Semaphore(concurrency)

        async def get(path: str) -> Any:
            async with sem:
                counts["requests"] += 1
                resp = await client.get(f"{api}{path}")
                if resp.status_code != 200:
                    raise RuntimeError(f"{resp.status_code} from {path}")
                return json.loads(resp.content)

        run_ids: dict[tuple[str, str], str] = {}

        async def load_runs() -> None:
            first = await get(f"/dags/~/dagRuns?limit={page_size}&offset=0")
            step, total = max(1, len(first["dag_runs"])), first["total_entries"]
            pages = [first]
            pages += await asyncio.gather(
                *(get(f"/dags/~/dagRuns?limit={page_size}&offset={off}") for off in range(step, total, step))
            )
            for page in pages:
                for run in page["dag_runs"]:
                    run_ids[(run["dag_id"], run["execution_date"])] = run["dag_run_id"]

        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=max(200, 2 * concurrency))

        async def produce() -> None:
            offset = 0
            while True:
                page = await get(
                    f"/dags/~/dagRuns/~/taskInstances/~/xcomEntries?limit={page_size}&offset={offset}"
                )
                items = page["xcom_entries"]
                for item in items:
                    counts["listed"] += 1
                    await queue.put(item)
                offset += len(items)
                if not items or offset >= page["total_entries"]:
                    break
            for _ in range(concurrency):
                await queue.put(None)

        async def consume(runs_loaded: asyncio.Task[None]) -> None:
            await runs_loaded
            while (item := await queue.get()) is not None:
                run_id = run_ids.get((item["dag_id"], item["execution_date"]))
                try:
                    if run_id is None:
                        raise RuntimeError(f"no run for {item['dag_id']} {item['execution_date']}")
                    await get(
                        f"/dags/{_q(item['dag_id'])}/dagRuns/{_q(run_id)}/taskInstances/"
                        f"{_q(item['task_id'])}/xcomEntries/{_q(item['key'])}"
                        f"?map_index={item['map_index']}&deserialize=false&stringify=false"
                    )
                    counts["values"] += 1
                except (httpx.HTTPError, RuntimeError, ValueError) as exc:
                    counts["errors"] += 1
                    counts["error_sample"] = counts["error_sample"] or str(exc)[:200]

        runs_loaded = asyncio.ensure_future(load_runs())
        await asyncio.gather(produce(), *(consume(runs_loaded) for _ in range(concurrency)))
    counts["runs"] = len(run_ids)
    return counts


def main() -> None:
    """Parse arguments, harvest once, print the JSON result line."""
    parser = argparse.ArgumentParser(prog="httpx_client.py")
    parser.add_argument("--url", required=True)
    parser.add_argument("--auth", choices=("none", "basic"), default="none")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    measured = measure(
        lambda: asyncio.run(
            harvest(
                args.url,
                auth=args.auth,
                user=args.user,
                concurrency=args.concurrency,
                page_size=args.page_size,
            )
        )
    )
    result = {
        "client": "httpx",
        "auth": args.auth,
        "concurrency": args.concurrency,
        **measured,
        "extra": {"httpx_version": importlib.metadata.version("httpx")},
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
