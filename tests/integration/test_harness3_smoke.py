"""Smoke tests of the Airflow 3.3.2 harness itself (aiohttp + stdlib only, not airflow_async).

They pin down what the real api-server answers and what the seeded manifest promises: version
detection, the removed v1 API, JWT login and its failure shapes, token expiry on the short-token
server, the XCom listing walked to the end, a sample of values, and the paging limits. The
findings are summarised in the docstring of tests/harness/airflow3.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from tests.harness.airflow3 import AIRFLOW_VERSION, MAXIMUM_PAGE_LIMIT, SHORT_TOKEN_SECONDS
from tests.integration.conftest import Airflow3Info

XCOMS = "/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries"
TIMEOUT = aiohttp.ClientTimeout(total=120)
Key = tuple[str, str, str, int, str]
#: The release the harness runs, as a tuple (``(3, 0, 6)``).
RELEASE = tuple(int(part) for part in AIRFLOW_VERSION.split("."))


def _session() -> aiohttp.ClientSession:
    # No cookie jar: v2 authenticates by Bearer header only.
    return aiohttp.ClientSession(timeout=TIMEOUT, cookie_jar=aiohttp.DummyCookieJar())


def _seg(s: str) -> str:
    return quote(s, safe="")


def _value_url(base: str, e: dict[str, Any], **params: str) -> URL:
    path = (
        f"/api/v2/dags/{_seg(e['dag_id'])}/dagRuns/{_seg(e['dag_run_id'])}"
        f"/taskInstances/{_seg(e['task_id'])}/xcomEntries/{_seg(e['key'])}"
    )
    query = "&".join(f"{k}={v}" for k, v in {"map_index": str(e["map_index"]), **params}.items())
    # encoded=True: send the path exactly as quoted here (yarl would otherwise re-normalise it).
    return URL(f"{base}{path}?{query}", encoded=True)


def _key(e: dict[str, Any]) -> Key:
    return (e["dag_id"], e["dag_run_id"], e["task_id"], e["map_index"], e["key"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def _get_json(session: aiohttp.ClientSession, url: str | URL, **kw: Any) -> tuple[int, Any]:
    async with session.get(url, **kw) as resp:
        return resp.status, await resp.json(content_type=None)


async def _login(session: aiohttp.ClientSession, base: str, creds: tuple[str, str]) -> tuple[int, Any]:
    async with session.post(f"{base}/auth/token", json={"username": creds[0], "password": creds[1]}) as resp:
        return resp.status, await resp.json(content_type=None)


async def _token(session: aiohttp.ClientSession, base: str, creds: tuple[str, str]) -> str:
    status, body = await _login(session, base, creds)
    assert status == 201, body
    return str(body["access_token"])


@pytest.fixture(scope="module")
def by_kind(airflow3: Airflow3Info) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in airflow3.manifest:
        out.setdefault(e["kind"], []).append(e)
    return out


async def test_version_without_auth(airflow3: Airflow3Info) -> None:
    assert airflow3.short_token_url, "the harness must provide the short-token server"
    async with _session() as s:
        for base in (airflow3.url, airflow3.short_token_url):
            status, body = await _get_json(s, f"{base}/api/v2/version")
            assert status == 200, body
            assert body["version"] == AIRFLOW_VERSION  # the release the harness installed
            assert "git_version" in body
            status, body = await _get_json(s, f"{base}/api/v2/monitor/health")
            assert status == 200
            assert body["metadatabase"]["status"] == "healthy"


async def test_api_v1_is_gone(airflow3: Airflow3Info) -> None:
    async with _session() as s:
        for path in ("/api/v1/version", "/api/v1/dags"):
            status, body = await _get_json(s, f"{airflow3.url}{path}")
            assert status == 404
            assert set(body) == {"error"}
            assert "/api/v1 has been removed in Airflow 3" in body["error"]


async def test_token_login_and_bearer(airflow3: Airflow3Info) -> None:
    async with _session() as s:
        status, body = await _login(s, airflow3.url, airflow3.admin)
        assert status == 201, body
        assert set(body) == {"access_token"}  # no expires_in, no refresh token
        token = body["access_token"]
        claims = _claims(token)
        assert claims["sub"] == "admin" and claims["role"] == "admin"
        assert claims["exp"] - claims["iat"] == 86400  # [api_auth] jwt_expiration_time default
        status, dags = await _get_json(s, f"{airflow3.url}/api/v2/dags", headers=_bearer(token))
        assert status == 200, dags
        assert {"harvest_demo", "harvest_other", "harvest_empty", "harvest_real", "example_xcom"} <= {
            d["dag_id"] for d in dags["dags"]
        }
        # The viewer reads, but may not write.
        viewer = await _token(s, airflow3.url, airflow3.viewer)
        assert _claims(viewer)["role"] == "viewer"
        status, _ = await _get_json(s, f"{airflow3.url}/api/v2/dags", headers=_bearer(viewer))
        assert status == 200
        async with s.patch(
            f"{airflow3.url}/api/v2/dags/harvest_empty", json={"is_paused": True}, headers=_bearer(viewer)
        ) as resp:
            assert resp.status == 403
            assert await resp.json() == {"detail": "Forbidden"}


async def test_auth_failures(airflow3: Airflow3Info) -> None:
    async with _session() as s:
        status, body = await _login(s, airflow3.url, (airflow3.admin[0], "wrong password"))
        assert (status, body) == (401, {"detail": "Invalid credentials"})
        status, body = await _login(s, airflow3.url, ("nobody", "x"))
        assert status == 401, body
        status, body = await _get_json(s, f"{airflow3.url}/api/v2/dags")
        assert (status, body) == (401, {"detail": "Not authenticated"})
        status, body = await _get_json(s, f"{airflow3.url}/api/v2/dags", headers=_bearer("not.a.jwt"))
        assert (status, body) == (403, {"detail": "Invalid JWT token"})
        # Basic auth is not a v2 scheme at all.
        status, body = await _get_json(
            s, f"{airflow3.url}/api/v2/dags", auth=aiohttp.BasicAuth(*airflow3.admin)
        )
        assert (status, body) == (401, {"detail": "Not authenticated"})


async def test_xcom_listing_walks_to_exactly_the_manifest(airflow3: Airflow3Info) -> None:
    manifest = airflow3.manifest
    seen: list[Key] = []
    async with _session() as s:
        headers = _bearer(await _token(s, airflow3.url, airflow3.admin))
        offset, total = 0, None
        while total is None or offset < total:
            status, page = await _get_json(
                s, f"{airflow3.url}{XCOMS}", params={"limit": "100", "offset": str(offset)}, headers=headers
            )
            assert status == 200, page
            total = page["total_entries"]
            items = page["xcom_entries"]
            assert items, f"empty page at offset {offset} of {total}"
            assert len(items) <= 100  # the limit asked
            for item in items:
                assert "value" not in item
                # The display names and run_after are 3.1+.
                later = {"dag_display_name", "task_display_name", "run_after"} if RELEASE >= (3, 1) else set()
                assert {"key", "timestamp", "logical_date", "map_index", "task_id", "dag_id", "run_id"} | (
                    later
                ) <= set(item), item
                seen.append((item["dag_id"], item["run_id"], item["task_id"], item["map_index"], item["key"]))
            offset += len(items)
    assert total == len(manifest) == len(seen)
    assert Counter(seen) == Counter(_key(e) for e in manifest)
    # Default order: dag_id, task_id, run_id, map_index, key - the manifest's order.
    assert seen == [_key(e) for e in manifest]


async def test_manifest_covers_the_promised_cases(airflow3: Airflow3Info, by_kind: dict[str, Any]) -> None:
    manifest = airflow3.manifest
    assert len(manifest) >= 2000
    demo_runs = {e["dag_run_id"] for e in manifest if e["dag_id"] == "harvest_demo"}
    assert len(demo_runs) >= 100
    dag_ids = {e["dag_id"] for e in manifest}
    assert dag_ids >= {"harvest_demo", "harvest_other", "harvest_real", "example_xcom"}
    assert {e["source"] for e in manifest} == {"seed", "api", "dags_test"}
    assert {e["dag_id"] for e in manifest if e["source"] == "dags_test"} == {"harvest_real", "example_xcom"}
    assert "custom~run.5:a+b" in demo_runs
    assert any(e["logical_date"] is None for e in manifest)  # 3.x runs without a logical date
    # An XCom's answer carries its run's run_after from 3.1 on (3.0's has no such field).
    assert [bool(e["run_after"]) for e in manifest] == [RELEASE >= (3, 1)] * len(manifest)
    mapped = {e["map_index"] for e in manifest if e["task_id"] == "square"}
    assert mapped == set(range(8))
    keys = {e["key"] for e in manifest}
    for awkward in ("summary with spaces", "my key/with slash", "clé ✓ 日本", "a+b plus", "%41 not A"):
        # 3.0 routes no key containing '/': the harness writes none there (ReleaseConfig.slash_keys).
        assert (awkward in keys) is (RELEASE >= (3, 1) or "/" not in awkward), awkward
    kinds = ("dict", "list", "unicode_str", "int", "float", "bool", "none", "large_str", "nested", "tuple")
    for kind in kinds:
        assert by_kind.get(kind), kind
    assert all(len(e["value"]) > 700_000 for e in by_kind["large_str"])


async def test_sampled_values_match_the_manifest(airflow3: Airflow3Info, by_kind: dict[str, Any]) -> None:
    sample = [entries[len(entries) // 2] for entries in by_kind.values()]
    sample += [e for e in airflow3.manifest if e["dag_run_id"] == "custom~run.5:a+b"][:5]
    async with _session() as s:
        headers = _bearer(await _token(s, airflow3.url, airflow3.admin))
        for e in sample:
            status, body = await _get_json(s, _value_url(airflow3.url, e), headers=headers)
            assert status == 200, (e["key"], body)
            got = (body["dag_id"], body["run_id"], body["task_id"], body["map_index"], body["key"])
            assert got == _key(e)
            assert body["value"] == e["value"], e["kind"]
            status, body = await _get_json(
                s, _value_url(airflow3.url, e, deserialize="true"), headers=headers
            )
            assert status == 200
            assert body["value"] == e["value_deserialize"], e["kind"]
    # What deserialize=true does to serde-encoded values and JSON-looking strings.
    t = by_kind["tuple"][0]
    assert t["value"]["__classname__"] == "builtins.tuple"
    if RELEASE >= (3, 1):  # flattened into a string
        assert isinstance(t["value_deserialize"], str)
    else:  # 3.0 deserializes it for real: the tuple, sent as a JSON list
        assert t["value_deserialize"] == t["value"]["__data__"]
    j = by_kind["json_like_str"][0]
    # 3.1+ parses a string that is JSON; 3.0 leaves it a string.
    parsed = json.loads(j["value"]) if RELEASE >= (3, 1) else j["value"]
    assert isinstance(j["value"], str) and j["value_deserialize"] == parsed


async def test_short_server_token_expires(airflow3: Airflow3Info) -> None:
    assert airflow3.short_token_url
    short = airflow3.short_token_url
    async with _session() as s:
        token = await _token(s, short, airflow3.admin)
        claims = _claims(token)
        assert claims["exp"] - claims["iat"] == SHORT_TOKEN_SECONDS
        status, _ = await _get_json(s, f"{short}/api/v2/dags", headers=_bearer(token))
        assert status == 200
        await asyncio.sleep(max(claims["exp"] - time.time(), 0) + 1.0)
        status, body = await _get_json(s, f"{short}/api/v2/dags", headers=_bearer(token))
        assert (status, body) == (401, {"detail": "Token Expired"})
        # Same secret: the main server takes it, within its default 10 s jwt_leeway.
        status, _ = await _get_json(s, f"{airflow3.url}/api/v2/dags", headers=_bearer(token))
        assert status == 200
        fresh = await _token(s, short, airflow3.admin)
        status, _ = await _get_json(s, f"{short}/api/v2/dags", headers=_bearer(fresh))
        assert status == 200


async def test_paging_limits(airflow3: Airflow3Info) -> None:
    total = len(airflow3.manifest)
    async with _session() as s:
        headers = _bearer(await _token(s, airflow3.url, airflow3.admin))
        # From 3.1.7 a limit past [api] maximum_page_limit is capped silently; before, it is not.
        capped = MAXIMUM_PAGE_LIMIT or min(1000, total)
        for params, expected in (({"limit": "0"}, 0), ({"limit": "1000"}, capped), ({}, 50)):
            status, page = await _get_json(s, f"{airflow3.url}{XCOMS}", params=params, headers=headers)
            assert status == 200, page
            assert len(page["xcom_entries"]) == expected, params
            assert page["total_entries"] == total
        status, page = await _get_json(
            s, f"{airflow3.url}/api/v2/dags/~/dagRuns", params={"limit": "1000"}, headers=headers
        )
        assert status == 200 and len(page["dag_runs"]) == (MAXIMUM_PAGE_LIMIT or page["total_entries"])
        cursors = {"next_cursor", "previous_cursor"} if RELEASE >= (3, 2, 2) else set()  # cursor paging
        assert {"total_entries", *cursors} <= set(page)
        for params in ({"limit": "-1"}, {"offset": "-1"}, {"limit": "abc"}):
            status, body = await _get_json(s, f"{airflow3.url}{XCOMS}", params=params, headers=headers)
            assert status == 422, params
            assert {"type", "loc", "msg", "input"} <= set(body["detail"][0])


async def test_error_shapes(airflow3: Airflow3Info) -> None:
    api = next(e for e in airflow3.manifest if e["source"] == "api")
    async with _session() as s:
        headers = _bearer(await _token(s, airflow3.url, airflow3.admin))
        missing = {**api, "key": "no such key"}
        status, body = await _get_json(s, _value_url(airflow3.url, missing), headers=headers)
        assert (status, body) == (404, {"detail": "XCom entry with key: `no such key` not found"})
        status, body = await _get_json(s, f"{airflow3.url}/api/v2/no/such/route", headers=headers)
        assert (status, body) == (404, {"error": "API route not found"})
        create = URL(str(_value_url(airflow3.url, api)).rsplit("/", 1)[0], encoded=True)
        # A duplicate create is refused (nothing is written); unknown body fields are a 422.
        body_ok = {"key": api["key"], "value": 1, "map_index": api["map_index"]}
        async with s.post(create, json=body_ok, headers=headers) as resp:
            assert resp.status == 409
            assert "already exists" in (await resp.json())["detail"]
        async with s.post(
            create, json={**body_ok, "key": "never written", "extra": 1}, headers=headers
        ) as resp:
            assert resp.status == 422
            detail = (await resp.json())["detail"]
            assert detail[0]["type"] == "extra_forbidden" and detail[0]["loc"] == ["body", "extra"]
