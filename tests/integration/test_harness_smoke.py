"""Smoke tests of the Airflow 2.11.2 harness itself (aiohttp + stdlib only, not airflow_async).

They pin down what the seeded manifest promises: the v1 list total, the list order, what
``GET .../xcomEntries/{key}`` returns for each deserialize/stringify combination and value kind,
the second server's page clamp, and both auth schemes.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from tests.harness.airflow2 import SECOND_MAXIMUM_PAGE_LIMIT
from tests.integration.conftest import AirflowInfo

XCOMS = "/api/v1/dags/~/dagRuns/~/taskInstances/~/xcomEntries"
TIMEOUT = aiohttp.ClientTimeout(total=60)


def _basic(creds: tuple[str, str]) -> aiohttp.BasicAuth:
    return aiohttp.BasicAuth(*creds)


def _entry_path(e: dict[str, Any]) -> str:
    def seg(s: str) -> str:
        return quote(s, safe="")

    return (
        f"/api/v1/dags/{seg(e['dag_id'])}/dagRuns/{seg(e['dag_run_id'])}"
        f"/taskInstances/{seg(e['task_id'])}/xcomEntries/{seg(e['key'])}"
    )


async def _get_json(session: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[int, Any]:
    async with session.get(url, **kw) as resp:
        body = await resp.json(content_type=None)
        return resp.status, body


async def test_health_on_both_servers(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url, "the harness must provide the second server"
    async with aiohttp.ClientSession(timeout=TIMEOUT) as s:
        for base in (airflow2.url, airflow2.second_url):
            status, body = await _get_json(s, f"{base}/api/v1/health")
            assert status == 200
            assert body["metadatabase"]["status"] == "healthy"


async def test_basic_auth_lists_every_manifest_xcom_in_order(airflow2: AirflowInfo) -> None:
    manifest = airflow2.manifest
    assert manifest
    seen: list[tuple[Any, ...]] = []
    async with aiohttp.ClientSession(timeout=TIMEOUT, auth=_basic(airflow2.admin)) as s:
        offset, total = 0, None
        while total is None or offset < total:
            status, page = await _get_json(
                s, f"{airflow2.url}{XCOMS}", params={"limit": "100", "offset": str(offset)}
            )
            assert status == 200, page
            total = page["total_entries"]
            items = page["xcom_entries"]
            assert items, f"empty page at offset {offset} of {total}"
            assert len(items) <= 100  # default [api] maximum_page_limit
            seen += [
                (i["dag_id"], i["execution_date"], i["task_id"], i["map_index"], i["key"]) for i in items
            ]
            offset += len(items)
    assert total == len(manifest)
    expected = [(e["dag_id"], e["execution_date"], e["task_id"], e["map_index"], e["key"]) for e in manifest]
    # The manifest is sorted like the v1 list (dag_id, task_id, run_id, map_index, key).
    assert seen == expected


async def test_second_server_clamps_limit_to_25(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url
    async with aiohttp.ClientSession(timeout=TIMEOUT, auth=_basic(airflow2.admin)) as s:
        status, page = await _get_json(s, f"{airflow2.second_url}{XCOMS}", params={"limit": "100"})
        assert status == 200
        assert len(page["xcom_entries"]) == SECOND_MAXIMUM_PAGE_LIMIT
        assert page["total_entries"] == len(airflow2.manifest)
        status, page = await _get_json(s, f"{airflow2.url}{XCOMS}", params={"limit": "1000"})
        assert status == 200
        assert len(page["xcom_entries"]) == 100  # main server: silently clamped to 100


def _one_per_kind(manifest: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    kinds: dict[str, dict[str, Any]] = {}
    for e in manifest:
        kinds.setdefault(e["kind"], e)
    return kinds


async def test_xcom_values_match_manifest_for_every_kind(airflow2: AirflowInfo) -> None:
    kinds = _one_per_kind(airflow2.manifest)
    for needed in (
        "dict",
        "list",
        "int",
        "unicode_str",
        "large_str",
        "mapped_int",
        "tuple",
        "datetime",
        "none",
        "str",
        "unicode_key",
    ):
        assert needed in kinds
    assert any(e["source"] == "dags_test" for e in airflow2.manifest)
    # Session cookie, not basic auth: basic auth costs ~100 ms of password hashing per request.
    async with aiohttp.ClientSession(timeout=TIMEOUT, cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        assert await _login(s, airflow2.url, airflow2.admin) == 302
        status, version = await _get_json(s, f"{airflow2.url}/api/v1/version")
        assert status == 200
        # Airflow 2.9 has no stringify parameter (400 "Extra query parameter(s) stringify not in
        # spec"): it always answers str(value), routes no key containing '/' (404), and fails its
        # own response validation on a None value (500 "None is not of type 'string'").
        old = tuple(int(p) for p in version["version"].split(".")[:2]) < (2, 10)
        for kind, e in kinds.items():
            url = f"{airflow2.url}{_entry_path(e)}"
            if old and "/" in e["key"]:
                status, body = await _get_json(s, url, params={"map_index": str(e["map_index"])})
                assert status == 404, (kind, body)
                continue
            if old and e["string_no_deserialize"] is None:
                status, body = await _get_json(s, url, params={"map_index": str(e["map_index"])})
                assert status == 500 and "None is not of type 'string'" in body["detail"], (kind, body)
                continue
            for deserialize in ("true", "false"):
                for stringify in ("true",) if old else ("true", "false"):
                    params = {"map_index": str(e["map_index"]), "deserialize": deserialize}
                    status, body = await _get_json(s, url, params={**params, "stringify": stringify})
                    if old:
                        assert status == 400 and "stringify not in spec" in body["detail"], body
                        status, body = await _get_json(s, url, params=params)
                    assert status == 200, (kind, deserialize, stringify, body)
                    field = "string" if stringify == "true" else "value"
                    if deserialize == "false":
                        field += "_no_deserialize"
                    assert body["value"] == e[field], (kind, deserialize, stringify)
                    assert body["key"] == e["key"]
                    assert body["execution_date"] == e["execution_date"]
            # Defaults: deserialize=false, stringify=true.
            status, body = await _get_json(s, url, params={"map_index": str(e["map_index"])})
            assert status == 200
            assert body["value"] == e["string_no_deserialize"]


async def test_second_server_rejects_deserialize(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url
    e = _one_per_kind(airflow2.manifest)["dict"]
    async with aiohttp.ClientSession(timeout=TIMEOUT, auth=_basic(airflow2.admin)) as s:
        status, body = await _get_json(
            s, f"{airflow2.second_url}{_entry_path(e)}", params={"deserialize": "true"}
        )
    assert status == 400
    assert "deserialization is disabled" in body["detail"]


async def test_viewer_reads_xcoms(airflow2: AirflowInfo) -> None:
    async with aiohttp.ClientSession(timeout=TIMEOUT, auth=_basic(airflow2.viewer)) as s:
        status, page = await _get_json(s, f"{airflow2.url}{XCOMS}", params={"limit": "1"})
    assert status == 200
    assert page["total_entries"] == len(airflow2.manifest)


async def _login(session: aiohttp.ClientSession, base: str, creds: tuple[str, str]) -> int:
    async with session.get(f"{base}/login/") as resp:
        html = await resp.text()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token on the login page"
    data = {"username": creds[0], "password": creds[1], "csrf_token": match.group(1)}
    async with session.post(f"{base}/login/", data=data, allow_redirects=False) as resp:
        return resp.status


async def test_session_cookie_login_on_main_server(airflow2: AirflowInfo) -> None:
    # aiohttp's default CookieJar drops cookies of IP-address hosts: unsafe=True keeps them.
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(timeout=TIMEOUT, cookie_jar=jar) as s:
        status, _ = await _get_json(s, f"{airflow2.url}{XCOMS}", params={"limit": "1"})
        assert status == 403  # no credentials yet: anonymous "Public" user, see below
        assert await _login(s, airflow2.url, airflow2.admin) == 302
        assert any(c.key == "session" for c in jar)
        status, page = await _get_json(s, f"{airflow2.url}{XCOMS}", params={"limit": "1"})
        assert status == 200, page
        assert page["total_entries"] == len(airflow2.manifest)


async def test_session_cookie_is_not_accepted_by_the_second_server(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(timeout=TIMEOUT, cookie_jar=jar) as s:
        # The UI login itself works there (it is the same FAB app) ...
        assert await _login(s, airflow2.second_url, airflow2.admin) == 302
        # ... but its API only has the basic_auth backend.
        status, body = await _get_json(s, f"{airflow2.second_url}{XCOMS}", params={"limit": "1"})
        assert status == 401, body


@pytest.mark.parametrize("password", ["wrong"])
async def test_bad_basic_credentials_are_refused(airflow2: AirflowInfo, password: str) -> None:
    assert airflow2.second_url
    auth = aiohttp.BasicAuth(airflow2.admin[0], password)
    async with aiohttp.ClientSession(timeout=TIMEOUT, auth=auth) as s:
        main_status, _ = await _get_json(s, f"{airflow2.url}{XCOMS}", params={"limit": "1"})
        second_status, _ = await _get_json(s, f"{airflow2.second_url}{XCOMS}", params={"limit": "1"})
    # Stock 2.11.2 (main): FAB's AUTH_ROLE_PUBLIC="Public" default turns a failed login into an
    # anonymous user, so the API answers 403, not 401. Second server: AUTH_ROLE_PUBLIC=None -> 401.
    assert main_status == 403
    assert second_status == 401
