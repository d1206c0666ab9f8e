"""The pure parts of the compatibility matrix runner (tests/harness/matrix.py)."""

from __future__ import annotations

import pytest

from tests.harness import matrix

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5">
<testcase classname="t.test_a" name="test_ok" time="0.1"/>
<testcase classname="t.test_a" name="test_ok_too" time="0.1"><system-out>x</system-out></testcase>
<testcase classname="t.test_b" name="test_bad" time="0.1"><failure message="boom">tb</failure></testcase>
<testcase classname="t.test_b" name="test_setup" time="0.1"><error message="fixture">tb</error></testcase>
<testcase classname="t.test_c" name="test_skip" time="0"><skipped message="no"/></testcase>
</testsuite></testsuites>
"""


def test_parse_junit_counts_each_outcome_and_names_what_did_not_pass() -> None:
    counts = matrix.parse_junit(JUNIT)
    assert (counts.passed, counts.failed, counts.errors, counts.skipped) == (2, 1, 1, 1)
    assert counts.not_passed == [
        "FAILED t.test_b::test_bad",
        "ERROR t.test_b::test_setup",
        "SKIPPED t.test_c::test_skip",
    ]


def test_a_failure_with_a_teardown_error_counts_once_as_failed() -> None:
    xml = (
        '<testsuite><testcase classname="m" name="t"><failure message="a"/>'
        '<error message="teardown"/></testcase></testsuite>'
    )
    counts = matrix.parse_junit(xml)
    assert (counts.passed, counts.failed, counts.errors) == (0, 1, 0)


def test_a_row_passes_only_with_exit_0_and_every_case_passed() -> None:
    ok = matrix.Counts(passed=3)
    assert matrix.Row.from_counts("2.11.2", ok, 0, "2026-01-01", "abc").result == "pass"
    assert matrix.Row.from_counts("2.11.2", ok, 1, "2026-01-01", "abc").result == "FAIL"
    assert matrix.Row.from_counts("2.11.2", matrix.Counts(passed=3, skipped=1), 0, "d", "c").result == "FAIL"
    assert matrix.Row.from_counts("2.11.2", matrix.Counts(), 0, "d", "c").result == "FAIL"  # ran nothing


def test_select_keeps_the_matrix_order_and_rejects_unknown_releases() -> None:
    assert matrix.select([]) == list(matrix.RELEASES)
    assert matrix.select(["3.3.2", "2.9.3"]) == ["2.9.3", "3.3.2"]
    with pytest.raises(SystemExit) as refused:
        matrix.select(["3.3.2", "2.8.0"])
    assert "2.8.0" in str(refused.value)
    assert all(r in str(refused.value) for r in matrix.RELEASES)


def test_gated_lists_the_operations_newer_than_the_release() -> None:
    assert matrix.gated("3.3.2") == []
    old = matrix.gated("3.0.6")
    assert "3.1.0+ favorite_dag" in old
    assert "3.2.0+ delete_xcom_entry" in old
    assert any(g.startswith("3.2.2+ cursor paging") for g in old)
    newer = matrix.gated("3.2.2")
    assert "3.2.0+ delete_xcom_entry" not in newer
    assert not any("cursor paging" in g for g in newer)
    assert "3.3.0+ bulk_dag_runs" in newer
    sinces = [g.split("+", 1)[0] for g in old]
    assert sinces == sorted(sinces, key=lambda s: tuple(map(int, s.split("."))))
    assert matrix.gated("2.11.2") == []


def test_run_env_drops_reuse_variables_and_names_the_release() -> None:
    base = {
        "PATH": "/bin",
        "AIRFLOW_ASYNC_TEST_URL": "http://127.0.0.1:1",
        "AIRFLOW_ASYNC_TEST_MANIFEST": "/m.json",
        "AIRFLOW_ASYNC_TEST3_URL": "http://127.0.0.1:2",
        "AIRFLOW_ASYNC_TEST3_SHORT_TOKEN_URL": "http://127.0.0.1:3",
        "AIRFLOW_ASYNC_TEST_ONLY": "airflow3",
        "AIRFLOW_ASYNC_AIRFLOW3_VERSION": "3.0.6",
    }
    env = matrix.run_env("2.10.5", base)
    assert env == {
        "PATH": "/bin",
        "AIRFLOW_ASYNC_AIRFLOW2_VERSION": "2.10.5",
        "AIRFLOW_ASYNC_TEST_ONLY": "airflow2",
    }
    env3 = matrix.run_env("3.1.8", base)
    assert env3["AIRFLOW_ASYNC_AIRFLOW3_VERSION"] == "3.1.8"
    assert env3["AIRFLOW_ASYNC_TEST_ONLY"] == "airflow3"


def _row(release: str, result: str = "pass", date: str = "2026-02-02", commit: str = "new1234") -> matrix.Row:
    return matrix.Row.from_counts(
        release, matrix.Counts(passed=10) if result == "pass" else matrix.Counts(failed=1), 0, date, commit
    )


def test_render_then_load_round_trips_and_a_subset_keeps_earlier_rows_marked() -> None:
    first = matrix.render([_row(r, date="2026-01-01", commit="old0000") for r in matrix.RELEASES])
    assert "(earlier run)" not in first
    previous = matrix.load_rows(first)
    assert [r.release for r in previous] == list(matrix.RELEASES)
    assert not any(r.earlier for r in previous)

    doc = matrix.render(matrix.merge(previous, [_row("3.0.6", result="FAIL")]))
    lines = {line.split(" | ")[0].lstrip("| "): line for line in doc.splitlines() if line.startswith("| ")}
    assert "| FAIL | 0 | 1 |" in lines["3.0.6"]
    assert "2026-02-02 | new1234 |" in lines["3.0.6"]
    assert "2026-01-01 (earlier run) | old0000 (earlier run) |" in lines["2.9.3"]
    assert "needs 3.1.0: `favorite_dag`" in lines["3.0.6"]
    assert "| nothing |" in lines["3.3.2"]
    assert "AIRFLOW_ASYNC_AIRFLOW3_VERSION=3.0.6 AIRFLOW_ASYNC_TEST_ONLY=airflow3" in doc
    # Re-reading the merged document: every row still there; earlier-ness is decided per run.
    again = matrix.load_rows(doc)
    assert [(r.release, r.date) for r in again][3] == ("3.0.6", "2026-02-02")
    assert len(again) == len(matrix.RELEASES)


def test_load_rows_of_a_document_without_data_is_empty() -> None:
    assert matrix.load_rows("Generated by `make test-matrix`\n") == []
