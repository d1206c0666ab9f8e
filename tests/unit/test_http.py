"""The pure layer: URL building, query encoding, response decoding, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from yarl import URL

from airflow_async import (
    BadRequest,
    DecodeError,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    UsageError,
)
from airflow_async._http import (
    build_url,
    decode_response,
    encode_query,
    encode_segment,
    normalize_base_url,
    parse_retry_after,
)

ROOT = URL("http://127.0.0.1:8080")


def test_run_ids_and_keys_are_encoded_per_segment() -> None:
    url = build_url(
        ROOT,
        "/api/v1",
        [
            "dags",
            "my dag",
            "dagRuns",
            "manual__2024-01-01T00:00:00+00:00",
            "taskInstances",
            "t",
            "xcomEntries",
            "a/b c",
        ],
    )
    assert url.raw_path == (
        "/api/v1/dags/my%20dag/dagRuns/manual__2024-01-01T00%3A00%3A00%2B00%3A00"
        "/taskInstances/t/xcomEntries/a%2Fb%20c"
    )
    # Each raw segment decodes back to the id exactly.
    segments = [unquote(part) for part in url.raw_path.split("/")]
    assert segments[4:6] == ["my dag", "dagRuns"]
    assert segments[6] == "manual__2024-01-01T00:00:00+00:00"
    assert segments[-1] == "a/b c"


def test_tilde_stays_literal() -> None:
    url = build_url(ROOT, "/api/v1", ["dags", "~", "dagRuns", "~", "taskInstances", "~", "xcomEntries"])
    assert url.raw_path == "/api/v1/dags/~/dagRuns/~/taskInstances/~/xcomEntries"


def test_unicode_and_percent_round_trip() -> None:
    for text in ["héllo wörld ✓", "100%", "a+b", "q?x=1#f", "日本", "a/b"]:
        url = build_url(ROOT, "/api/v1", ["variables", text])
        assert unquote(url.raw_path.rsplit("/", 1)[1]) == text
        assert url.raw_query_string == ""


def test_empty_segment_is_refused() -> None:
    with pytest.raises(UsageError, match="empty"):
        encode_segment("")


def test_query_encoding() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    assert encode_query(
        {
            "state": ["running", "queued"],
            "limit": 100,
            "deserialize": True,
            "x": None,
            "execution_date_gte": when,
        }
    ) == [
        ("state", "running"),
        ("state", "queued"),
        ("limit", "100"),
        ("deserialize", "true"),
        ("execution_date_gte", "2024-01-01T00:00:00+00:00"),
    ]
    url = build_url(ROOT, "/api/v1", ["dags"], {"execution_date_gte": when})
    assert url.raw_query_string == "execution_date_gte=2024-01-01T00%3A00%3A00%2B00%3A00"


def test_naive_datetime_in_query_is_refused() -> None:
    with pytest.raises(UsageError, match="timezone"):
        encode_query({"start_date_gte": datetime(2024, 1, 1)})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
        ("http://127.0.0.1:8080/api/v1", "http://127.0.0.1:8080/"),
        ("http://127.0.0.1:8080/api/v1/", "http://127.0.0.1:8080/"),
        ("https://example.test/airflow", "https://example.test/airflow"),
        ("https://example.test/airflow/api/v1", "https://example.test/airflow"),
    ],
)
def test_base_url_normalisation(given: str, expected: str) -> None:
    assert str(normalize_base_url(given, "v1")) == expected


def test_base_url_under_a_prefix_keeps_the_prefix() -> None:
    base = normalize_base_url("https://example.test/airflow/", "v1")
    assert build_url(base, "/api/v1", ["dags"]).path == "/airflow/api/v1/dags"


@pytest.mark.parametrize("bad", ["127.0.0.1:8080", "localhost", "ftp://x", "", "http://h/?a=1"])
def test_bad_base_urls_say_what_to_do(bad: str) -> None:
    with pytest.raises(UsageError) as info:
        normalize_base_url(bad, "v1")
    assert "base_url" in str(info.value)


def test_base_url_with_other_version_prefix() -> None:
    with pytest.raises(UsageError, match="api_version"):
        normalize_base_url("http://h/api/v2", "v1")


def test_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10.0)


def _decode(status: int, body: bytes, ctype: str = "application/json", **headers: str) -> object:
    return decode_response(
        status=status,
        headers={"Content-Type": ctype, **headers},
        body=body,
        method="GET",
        url=URL("http://127.0.0.1:8080/api/v1/dags/nope"),
    )


def test_problem_json_becomes_typed_error_with_readable_message() -> None:
    body = (
        b'{"detail": "DAG with dag_id: \'nope\' not found", "status": 404, "title": "DAG not found",'
        b' "type": "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html#section/'
        b'Errors/NotFound"}'
    )
    with pytest.raises(NotFound) as info:
        _decode(404, body, "application/problem+json")
    err = info.value
    assert str(err) == "404 GET /api/v1/dags/nope: DAG with dag_id: 'nope' not found"
    assert err.title == "DAG not found"
    assert err.status == 404 and err.method == "GET"
    assert err.type is not None and err.type.endswith("NotFound")


def test_status_classes() -> None:
    with pytest.raises(BadRequest):
        _decode(400, b'{"title": "bad"}')
    with pytest.raises(Unauthorized) as info:
        _decode(401, b'{"title": "Unauthorized", "detail": null}')
    assert "wrong username or password" in str(info.value)
    assert "http://127.0.0.1:8080" in str(info.value)
    with pytest.raises(ServerError):
        _decode(502, b"<html>Bad gateway</html>", "text/html")
    with pytest.raises(RateLimited) as rl:
        _decode(429, b"", "text/plain", **{"Retry-After": "7"})
    assert rl.value.retry_after == 7.0


def test_html_page_with_200_is_a_decode_error_that_says_what_came_back() -> None:
    with pytest.raises(DecodeError) as info:
        _decode(200, b"<!DOCTYPE html><html><title>Sign In - Airflow</title>", "text/html; charset=utf-8")
    msg = str(info.value)
    assert "HTML" in msg and "Sign In" in msg


def test_truncated_json_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="cut short"):
        _decode(200, b'{"xcom_entries": [{"dag_id": "a"')


def test_empty_success_body_is_none() -> None:
    assert _decode(204, b"") is None


def test_v2_detail_only_error() -> None:
    with pytest.raises(BadRequest) as info:
        _decode(400, b'{"detail": "limit must be >= 0"}')
    assert info.value.detail == "limit must be >= 0"
