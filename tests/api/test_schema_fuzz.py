"""Schemathesis over every operation of the service's own OpenAPI, in-process (ASGI):
schema-valid and schema-violating requests, and a finished run's id for the stored-run
operations. No 5xx, no traceback in a body, and every status, content type, header and
body as the schema documents it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.hardening import TEST_EXAMPLES, FuzzReport, finished_run, fuzz_api, fuzzed_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with fuzzed_app(tmp_path_factory.mktemp("fuzz")) as the_app:
        yield the_app


@pytest.fixture(scope="module")
def report(app: Any) -> FuzzReport:
    return fuzz_api(app, TEST_EXAMPLES, finished_run(app))


def test_every_operation_is_checked(app: Any, report: FuzzReport) -> None:
    documented = {
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert set(report.operations) == documented
    assert len(documented) >= 13
    assert report.examples >= len(documented) * TEST_EXAMPLES


def test_no_server_error_traceback_or_schema_mismatch(report: FuzzReport) -> None:
    failures = "\n".join(f"{f.operation} ({f.mode}) {f.status}: {f.what}" for f in report.failures)
    assert report.failures == [], failures
    assert report.server_errors == 0
    # The finished run was really served: its files, not only 404s and 409s.
    assert report.statuses[200] > 0


def test_validation_errors_are_documented_as_located_issues(app: Any) -> None:
    """FastAPI's own 422 model is replaced by ours everywhere (schemathesis found a
    query-parameter 422 documented as FastAPI's but answered as ours)."""
    schema = app.openapi()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    runs = schema["paths"]["/v1/runs"]["get"]["responses"]["422"]
    assert runs["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")


def test_huge_counts_are_refused_with_their_place(tmp_path: Path) -> None:
    """Schemathesis sent a demand of 2e36: a 500 (int64 overflow), now a located 422."""
    from schemathesis.python import asgi

    with fuzzed_app(tmp_path) as the_app, asgi.get_client(the_app) as client:
        people = [
            {"id": "a", "name": "A", "roles": ["mentor"], "capacity": 10**30},
            {"id": "b", "name": "B", "roles": ["mentee"], "category_capacity": {"x": -1}},
        ]
        answer = client.post("/v1/match", json={"participants": people})
    assert answer.status_code == 422
    columns = [issue["column"] for issue in answer.json()["detail"]]
    assert columns == ["participants[0].capacity", "participants[1].category_capacity.x"]
