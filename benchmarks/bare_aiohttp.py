"""The floor: harvest every XCom value with bare aiohttp, no library.

The same work as ``client.xcom.harvest("~")``, written directly: list the DAG runs
(first page, then the rest concurrently) to map ``(dag_id, execution_date)`` to the
run id, list the XCom entries page by page into a bounded queue, and fetch each
value with ``concurrency`` requests in flight (one semaphore over every request).
No retries, no models, no validation: what is left is the cost of HTTP itself.

``--auth token`` is the Airflow 3 (API v2) floor: one ``POST /auth/token`` for a JWT sent as
``Authorization: Bearer``, and ``/api/v2`` paths. v2 XCom list items carry their ``run_id``,
so there is no DAG-run listing to map them (as ``client.xcom.harvest`` does on v2).

    python -m benchmarks.bare_aiohttp --url http://127.0.0.1:8080 --auth cookie --concurrency 8
    python -m benchmarks.bare_aiohttp --url http://127.0.0.1:8080 --auth token --concurrency 8
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import sys
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from benchmarks._worker import Meter, Result, base_parser, password

_CSRF = re.compile(r"name=[\"']csrf_token[\"'][^>]*\bvalue=[\"']([^\"']*)[\"']")


def _q(segment: str) -> str:
    return quote(segment, safe="")


class _Counter:
    requests = 0


async def login(session: aiohttp.ClientSession, base: str, user: str, secret: str, n: _Counter) -> str:
    """Log in through Airflow 2's form and return a ``Cookie`` header value."""
    n.requests += 2
    async with session.get(f"{base}/login/") as resp:
        page = await resp.text()
        cookies = {k: m.value for k, m in resp.cookies.items()}
    found = _CSRF.search(page)
    if found is None:
        raise SystemExit("no csrf_token on the login page")
    form = {"username": user, "password": secret, "csrf_token": html.unescape(found.group(1))}
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    async with session.post(
        f"{base}/login/", data=form, headers={"Cookie": cookie}, allow_redirects=False
    ) as resp:
        await resp.read()
        cookies.update({k: m.value for k, m in resp.cookies.items()})
        if resp.status not in (302, 303) or "session" not in cookies:
            raise SystemExit(f"login failed ({resp.status})")
    return f"session={cookies['session']}"


async def token(session: aiohttp.ClientSession, base: str, user: str, secret: str, n: _Counter) -> str:
    """Get a JWT from Airflow 3's ``POST /auth/token``; return an ``Authorization`` header value."""
    n.requests += 1
    async with session.post(f"{base}/auth/token", json={"username": user, "password": secret}) as resp:
        body = await resp.read()
        if resp.status != 201:
            raise SystemExit(f"token request failed ({resp.status})")
    return f"Bearer {json.loads(body)['access_token']}"


async def harvest(base: str, *, auth: str, user: str, concurrency: int, page_size: int) -> Result:
    """Harvest every XCom value of the server at ``base``; return the counts (not timed)."""
    result = Result(client="bare-aiohttp", auth=auth, concurrency=concurrency)
    v2 = auth == "token"
    api = f"{base.rstrip('/')}/api/{'v2' if v2 else 'v1'}"
    headers = {"Accept": "application/json"}
    n = _Counter()
    connector = aiohttp.TCPConnector(limit=max(100, 2 * concurrency))
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        if auth == "basic":
            headers["Authorization"] = aiohttp.BasicAuth(user, password()).encode()
        elif auth == "cookie":
            headers["Cookie"] = await login(session, base.rstrip("/"), user, password(), n)
        elif v2:
            headers["Authorization"] = await token(session, base.rstrip("/"), user, password(), n)
        sem = asyncio.Semaphore(concurrency)

        async def get(url: str) -> Any:
            async with sem:
                n.requests += 1
                async with session.get(URL(url, encoded=True), headers=headers) as resp:
                    body = await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"{resp.status} from {url}")
                    return json.loads(body)

        run_ids: dict[tuple[str, str], str] = {}

        async def load_runs() -> None:
            if v2:  # v2 list items carry their run id
                return
            url = f"{api}/dags/~/dagRuns?limit={page_size}&offset="
            first = await get(f"{url}0")
            pages = [first]
            step, total = max(1, len(first["dag_runs"])), first["total_entries"]
            pages += await asyncio.gather(*(get(f"{url}{off}") for off in range(step, total, step)))
            for page in pages:
                for run in page["dag_runs"]:
                    run_ids[(run["dag_id"], run["execution_date"])] = run["dag_run_id"]

        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=max(200, 2 * concurrency))

        async def produce() -> None:
            url = f"{api}/dags/~/dagRuns/~/taskInstances/~/xcomEntries?limit={page_size}&offset="
            offset = 0
            while True:
                page = await get(f"{url}{offset}")
                items = page["xcom_entries"]
                for item in items:
                    result.listed += 1
                    await queue.put(item)
                offset += len(items)
                if not items or offset >= page["total_entries"]:
                    break
            for _ in range(concurrency):
                await queue.put(None)

        async def consume(runs_loaded: asyncio.Task[None]) -> None:
            await runs_loaded
            while (item := await queue.get()) is not None:
                if v2:
                    run_id = item["run_id"]
                    run_ids.setdefault((item["dag_id"], run_id), run_id)  # counted as runs seen
                else:
                    run_id = run_ids.get((item["dag_id"], item["execution_date"]))
                try:
                    if run_id is None:
                        raise RuntimeError(f"no run for {item['dag_id']} {item['execution_date']}")
                    await get(
                        f"{api}/dags/{_q(item['dag_id'])}/dagRuns/{_q(run_id)}/taskInstances/"
                        f"{_q(item['task_id'])}/xcomEntries/{_q(item['key'])}"
                        f"?map_index={item['map_index']}&deserialize=false&stringify=false"
                    )
                    result.values += 1
                except (aiohttp.ClientError, RuntimeError, ValueError) as exc:
                    result.errors += 1
                    result.error_sample = result.error_sample or str(exc)[:200]

        runs_loaded = asyncio.ensure_future(load_runs())
        await asyncio.gather(produce(), *(consume(runs_loaded) for _ in range(concurrency)))
    result.runs = len(run_ids)
    result.requests = n.requests
    return result


async def _main() -> None:
    args = base_parser("python -m benchmarks.bare_aiohttp", ("none", "basic", "cookie", "token")).parse_args()
    meter = Meter()
    meter.start()
    result = await harvest(
        args.url, auth=args.auth, user=args.user, concurrency=args.concurrency, page_size=args.page_size
    )
    meter.stop(result).emit()


if __name__ == "__main__":
    asyncio.run(_main())
    sys.exit(0)
