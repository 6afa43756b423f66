"""The HTTP API as a client uses it: the sample survey in, the same results as the
pipeline out; located 422s, size and capacity limits, stored runs and their rounds."""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from matcher.api import jobs
from matcher.api.app import create_app
from matcher.api.settings import Settings, SettingsError
from matcher.config import ProgramConfig
from matcher.intake import load_survey
from matcher.output import pairs_csv, render
from matcher.pipeline import RunOutput, match, run
from matcher.store import Store
from tests.attribute_survey import write_attribute_survey

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 in its test client; httpx (pinned) works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

DATA = Path(__file__).resolve().parents[2] / "data"
SURVEY = DATA / "sample_survey.csv"
CONFIG = DATA / "sample_program.toml"
#: The service's default solver time limit, used for the expected results too.
TIME_LIMIT = Settings().time_limit


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    the_store = Store(f"sqlite:///{tmp_path / 'runs.db'}")
    yield the_store
    the_store.close()


def make_client(store: Store, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(**settings), store))


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with make_client(store) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def expected() -> RunOutput:
    """What the pipeline itself gives for the sample."""
    return run([SURVEY], ProgramConfig.load(CONFIG), time_limit=TIME_LIMIT)


def uploads(survey: Path = SURVEY, config: Path | None = CONFIG) -> list[tuple[str, Any]]:
    files: list[tuple[str, Any]] = [("files", (survey.name, survey.read_bytes(), "text/csv"))]
    if config is not None:
        files.append(("config", (config.name, config.read_bytes(), "application/toml")))
    return files


def pair_set(result: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(c["track"], p["a"], p["b"]) for c in result["cohorts"] for p in c["pairs"]}


def wait(client: TestClient, url: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll a run until it is done or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(url).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} still {body['status']} after {timeout} s")


def submit(client: TestClient, **form: str) -> str:
    response = client.post("/v1/runs", files=uploads(), data=form)
    assert response.status_code == 202, response.text
    return response.headers["Location"]


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_match_json_gives_the_pipeline_pairs_in_the_cohort_shape(
    client: TestClient, expected: RunOutput
) -> None:
    config = ProgramConfig.load(CONFIG)
    survey = load_survey([SURVEY], config)
    body = {
        "participants": [p.model_dump(mode="json") for p in survey.participants],
        "config": config.model_dump(mode="json"),
    }
    response = client.post("/v1/match", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert {"cohorts", "unmatched", "summary"} <= set(result)
    cohort = result["cohorts"][0]
    assert set(cohort) >= {"id", "track", "members", "pairs", "score"}
    assert set(cohort["members"][0]) >= {"id", "name", "role"}
    assert set(cohort["pairs"][0]) >= {"a", "b", "score", "components", "reasons"}
    direct = match(survey, config, time_limit=TIME_LIMIT).result
    assert pair_set(result) == pair_set(direct.model_dump(mode="json"))
    assert pair_set(result) == pair_set(expected.result.model_dump(mode="json"))


def test_openapi_examples_are_real_requests(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/match"]["post"]["requestBody"]["content"]["application/json"]
    assert set(body["examples"]) == {"sample", "fair"}
    for example in body["examples"].values():
        response = client.post("/v1/match", json=example["value"])
        assert response.status_code == 200, response.text
        assert len(response.json()["cohorts"][0]["pairs"]) == 2
    assert client.get("/docs").status_code == 200


def test_match_csv_as_json_and_as_pairs_csv(client: TestClient, expected: RunOutput) -> None:
    response = client.post("/v1/match/csv", files=uploads())
    assert response.status_code == 200, response.text
    assert pair_set(response.json()) == pair_set(expected.result.model_dump(mode="json"))
    response = client.post("/v1/match/csv", files=uploads(), headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text == pairs_csv(expected.result)


def test_a_run_is_queued_solved_stored_and_downloadable(
    client: TestClient, expected: RunOutput
) -> None:
    response = client.post("/v1/runs", files=uploads(), data={"program": "spring"})
    assert response.status_code == 202, response.text
    created = response.json()
    location = response.headers["Location"]
    assert location == f"/v1/runs/{created['id']}" == created["links"]["self"]
    assert created["status"] == "queued"
    body = wait(client, location)
    assert body["status"] == "done", body
    assert body["progress"][0] == "started"
    assert any(line.startswith("solving mentoring") for line in body["progress"])
    assert body["summary"]["pairs"] == expected.result.summary.pairs
    assert body["program"] == "spring"
    assert not body["accepted"]
    rendered = render(expected.result, expected.participants, ProgramConfig.load(CONFIG))
    for name in ("pairs.csv", "participants.csv"):
        download = client.get(f"{location}/{name}")
        assert download.status_code == 200
        assert download.headers["content-type"] == "text/csv; charset=utf-8"
        assert download.content == str(rendered[name]).encode("utf-8"), name
    for name in ("circles.csv", "alternates.csv"):
        download = client.get(f"{location}/files/{name}")
        assert download.status_code == 200
        assert download.content == str(rendered[name]).encode("utf-8"), name
    report = client.get(f"{location}/report.html")
    assert report.status_code == 200
    assert report.headers["content-type"] == "text/html; charset=utf-8"
    workbook = client.get(f"{location}/workbook.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    result = client.get(f"{location}/result")
    assert result.status_code == 200
    assert pair_set(result.json()) == pair_set(expected.result.model_dump(mode="json"))
    listed = client.get("/v1/runs", params={"program": "spring"}).json()
    assert [r["id"] for r in listed] == [created["id"]]
    assert client.get("/v1/runs", params={"program": "autumn"}).json() == []


def test_unknown_run_is_404_and_files_of_a_failed_run_409(client: TestClient) -> None:
    missing = client.get("/v1/runs/nope")
    assert missing.status_code == 404
    assert "no run" in missing.json()["detail"]
    assert client.get("/v1/runs/nope/pairs.csv").status_code == 404
    assert client.post("/v1/runs/nope/accept").status_code == 404
    bad = client.post("/v1/runs", files=[("files", ("s.csv", b"a,b\n1,2\n", "text/csv"))])
    assert bad.status_code == 202
    body = wait(client, bad.headers["Location"])
    assert body["status"] == "failed"
    assert body["error"][0]["file"] == "s.csv"
    assert body["error"][0]["row"] == 2
    refused = client.get(bad.headers["Location"] + "/pairs.csv")
    assert refused.status_code == 409
    assert "failed" in refused.json()["detail"]
    assert client.post(bad.headers["Location"] + "/accept").status_code == 409


def bad_survey(tmp_path: Path) -> Path:
    """The sample with one capacity answer that is not a number (row 4)."""
    lines = SURVEY.read_text(encoding="utf-8").splitlines(keepends=True)
    header = "How many mentees could you take on this round?"
    import csv
    import io

    rows = list(csv.reader(io.StringIO("".join(lines))))
    rows[3][rows[0].index(header)] = "lots"
    path = tmp_path / "spring_survey.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_bad_csv_is_422_naming_the_uploaded_file_row_and_column(
    client: TestClient, tmp_path: Path
) -> None:
    response = client.post("/v1/match/csv", files=uploads(bad_survey(tmp_path)))
    assert response.status_code == 422
    errors = [i for i in response.json()["detail"] if i["severity"] == "error"]
    assert errors == [{
        "severity": "error", "file": "spring_survey.csv", "row": 4,
        "column": "How many mentees could you take on this round?", "value": "lots",
        "message": "capacity must be a whole number >= 0 (e.g. 2)",
    }]  # fmt: skip


def test_bad_toml_and_bad_objective_are_422(client: TestClient, tmp_path: Path) -> None:
    broken = tmp_path / "program.toml"
    broken.write_text("[rules\nmin_score = 1\n", encoding="utf-8")
    for url in ("/v1/match/csv", "/v1/runs"):
        response = client.post(url, files=uploads(config=broken))
        assert response.status_code == 422, url
        [problem] = response.json()["detail"]
        assert problem["file"] == "program.toml"
        assert problem["message"].startswith("not valid TOML")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[rules]\nmin_scor = 1\n", encoding="utf-8")
    response = client.post("/v1/match/csv", files=uploads(config=unknown))
    assert response.status_code == 422
    assert "rules.min_scor" in response.json()["detail"][0]["message"]
    response = client.post("/v1/match/csv", files=uploads(), data={"objective": "best"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["file"] == "objective"


def test_oversize_upload_is_413(store: Store) -> None:
    with make_client(store, max_upload_bytes=10_000) as client:
        for url in ("/v1/match/csv", "/v1/runs"):
            response = client.post(url, files=uploads())
            assert response.status_code == 413, url
            assert "10000 bytes" in response.json()["detail"]
        assert client.get("/v1/runs").json() == []

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"participants": ['
            for _ in range(100):
                yield b'{"id": "x", "name": "' + b"y" * 200 + b'", "roles": ["peer"]},'
            yield b"]}"

        chunked = client.post(
            "/v1/match", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert chunked.status_code == 413
        assert "10000 bytes" in chunked.json()["detail"]


def test_too_many_participants_is_422(store: Store) -> None:
    with make_client(store, max_participants=10) as client:
        response = client.post("/v1/match/csv", files=uploads())
        assert response.status_code == 422
        [problem] = response.json()["detail"]
        assert problem["file"] == "sample_survey.csv"
        assert "at most 10" in problem["message"]
        people = [{"id": f"p{k}", "name": f"P {k}", "roles": ["peer"]} for k in range(11)]
        response = client.post("/v1/match", json={"participants": people})
        assert response.status_code == 422
        assert "at most 10" in response.json()["detail"][0]["message"]


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Every solve waits until the test sets the event (then solves for real)."""
    release = threading.Event()
    real = jobs.solve

    def waiting(*args: Any, **kwargs: Any) -> RunOutput:
        assert release.wait(timeout=30), "the test never released the solve"
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "solve", waiting)
    yield release
    release.set()


def test_beyond_capacity_requests_are_refused_with_retry_after(
    store: Store, slow: threading.Event
) -> None:
    with make_client(store, max_workers=1, max_queue=0, retry_after=7) as client:
        location = submit(client)
        assert client.get(location).json()["status"] in ("queued", "running")
        not_yet = client.get(f"{location}/pairs.csv")
        assert not_yet.status_code == 409
        assert "GET /v1/runs/" in not_yet.json()["detail"]
        queued = client.post("/v1/runs", files=uploads())
        assert queued.status_code == 503
        assert queued.headers["Retry-After"] == "7"
        direct = client.post("/v1/match/csv", files=uploads())
        assert direct.status_code == 429
        assert direct.headers["Retry-After"] == "7"
        people = client.post("/v1/match", json={"participants": []})
        assert people.status_code == 429
        assert client.get("/healthz").json()["in_flight"] == 1
        slow.set()
        assert wait(client, location)["status"] == "done"
        deadline = time.monotonic() + 5
        while client.get("/healthz").json()["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.post("/v1/runs", files=uploads()).status_code == 202


def test_an_accepted_round_is_never_repeated_by_the_programs_next_run(client: TestClient) -> None:
    first = submit(client, program="spring")
    assert wait(client, first)["status"] == "done"
    accepted = client.post(f"{first}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["accepted"] is True
    before = {frozenset((c, p)) for _, c, p in pair_set(client.get(f"{first}/result").json())}
    second = submit(client, program="spring")
    assert wait(client, second)["status"] == "done"
    after = {frozenset((c, p)) for _, c, p in pair_set(client.get(f"{second}/result").json())}
    assert after
    assert not before & after
    other = submit(client, program="autumn")  # another program has no rounds yet
    assert wait(client, other)["status"] == "done"
    assert client.get(f"{other}/pairs.csv").content == client.get(f"{first}/pairs.csv").content


def test_pins_and_forbids_uploads_are_obeyed(client: TestClient, expected: RunOutput) -> None:
    cohort = expected.result.cohorts[0]
    pair = cohort.pairs[0]
    forbids = f"a,b\n{pair.a},{pair.b}\n".encode()
    response = client.post(
        "/v1/runs", files=[*uploads(), ("forbids", ("forbids.csv", forbids, "text/csv"))]
    )
    body = wait(client, response.headers["Location"])
    assert body["status"] == "done", body
    made = pair_set(client.get(response.headers["Location"] + "/result").json())
    assert (cohort.track, pair.a, pair.b) not in made
    pins = b"a,b\nnobody@example.org,someone@example.org\n"
    response = client.post("/v1/runs", files=[*uploads(), ("pins", ("pins.csv", pins))])
    body = wait(client, response.headers["Location"])
    assert body["status"] == "failed"
    assert {e["file"] for e in body["error"]} == {"pins.csv"}
    assert body["error"][0]["row"] == 2


def test_an_internal_error_is_a_json_500_without_internals(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    answer = "-".join(("secret", "answer", "42"))  # not on the raising line: frames are logged

    def broken(*args: Any, **kwargs: Any) -> RunOutput:
        raise RuntimeError(f"answer: {answer}")

    monkeypatch.setattr(jobs, "solve", broken)
    caplog.set_level(logging.DEBUG)
    response = client.post("/v1/match/csv", files=uploads())
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert detail.startswith("internal error (reference ")
    assert "Traceback" not in response.text
    assert "secret-answer-42" not in response.text
    assert "RuntimeError" in caplog.text
    location = submit(client)
    body = wait(client, location)
    assert body["status"] == "failed"
    assert body["error"][0]["message"].startswith("internal error (reference ")
    assert "secret-answer-42" not in caplog.text


def test_demographic_answers_never_reach_the_logs(
    client: TestClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    survey, config = write_attribute_survey(tmp_path, lambda k: f"group-answer-{k % 3}")
    caplog.set_level(logging.DEBUG)
    files = uploads(survey, config)
    assert client.post("/v1/match/csv", files=files).status_code == 200
    assert wait(client, submit_files(client, files))["status"] == "done"
    assert caplog.records
    assert "group-answer" not in caplog.text


def submit_files(client: TestClient, files: list[tuple[str, Any]]) -> str:
    response = client.post("/v1/runs", files=files)
    assert response.status_code == 202, response.text
    return response.headers["Location"]


def test_settings_come_from_the_environment_then_the_options() -> None:
    env = {"COHORT_MATCHER_MAX_WORKERS": "3", "COHORT_MATCHER_TIME_LIMIT": "none"}
    settings = Settings.from_env(env, max_queue=1)
    assert (settings.max_workers, settings.max_queue, settings.time_limit) == (3, 1, None)
    assert Settings.from_env(env, max_workers=5).max_workers == 5
    with pytest.raises(SettingsError, match="COHORT_MATCHER_MAX_WORKERS"):
        Settings.from_env({"COHORT_MATCHER_MAX_WORKERS": "many"})


def test_serve_runs_uvicorn_on_the_app_with_its_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from matcher.cli import app as cli

    served: dict[str, Any] = {}

    def fake_run(app: Any, host: str, port: int, **options: Any) -> None:
        served.update(app=app, host=host, port=port, **options)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    url = f"sqlite:///{tmp_path / 'served.db'}"
    monkeypatch.setenv("COHORT_MATCHER_DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["serve", "--port", "8123", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    assert served["access_log"] is True
    settings = served["app"].state.settings
    assert (settings.database_url, settings.max_workers) == (url, 3)
    served["app"].state.store.close()
    monkeypatch.setenv("COHORT_MATCHER_MAX_QUEUE", "-1")
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 2


def test_httpx_against_the_app_without_a_test_client(store: Store) -> None:
    """A plain httpx client over ASGI: the service needs nothing TestClient-specific."""
    import anyio

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(Settings(), store))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.get("/healthz")

    assert anyio.run(call).status_code == 200


def test_serve_options_and_environment_reach_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve`` builds one app from its options over the COHORT_MATCHER_* variables;
    solver processes default to one per core unless the option or variable says."""
    import os

    import uvicorn

    from matcher.cli import app as cli

    served: dict[str, Any] = {}

    def fake_run(app: Any, **options: Any) -> None:
        served.update(app=app, **options)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    url = f"sqlite:///{tmp_path / 'served.db'}"
    monkeypatch.delenv("COHORT_MATCHER_PROCESSES", raising=False)
    args = ["serve", "--processes", "2", "--database-url", url, "--workers", "1", "--no-access-log"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    settings = served["app"].state.settings
    assert (settings.processes, settings.max_workers, settings.database_url) == (2, 1, url)
    assert served["access_log"] is False
    served["app"].state.store.close()

    result = CliRunner().invoke(cli, ["serve", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert served["app"].state.settings.processes == len(os.sched_getaffinity(0))
    served["app"].state.store.close()

    monkeypatch.setenv("COHORT_MATCHER_PROCESSES", "0")
    result = CliRunner().invoke(cli, ["serve", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert served["app"].state.settings.processes == 0
    served["app"].state.store.close()
    monkeypatch.setenv("COHORT_MATCHER_PROCESSES", "many")
    refused = CliRunner().invoke(cli, ["serve", "--database-url", url])
    assert refused.exit_code == 2
    assert "COHORT_MATCHER_PROCESSES" in refused.output


def test_an_unavailable_store_is_a_503_and_the_service_recovers(
    store: Store, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    real = store.list_runs
    down = OperationalError("SELECT runs", {}, ConnectionRefusedError("database is down"))

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise down

    monkeypatch.setattr(store, "list_runs", unavailable)
    refused = client.get("/v1/runs")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "10"
    assert "store is unavailable" in refused.json()["detail"]
    assert "database is down" not in refused.text  # no internals
    monkeypatch.setattr(store, "list_runs", real)
    assert client.get("/v1/runs").status_code == 200


def test_cross_origin_requests_are_not_allowed_by_default(client: TestClient) -> None:
    """No CORS headers: a page on another site cannot read our answers from a browser."""
    preflight = client.options(
        "/v1/match",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    answered = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert answered.status_code == 200
    assert "access-control-allow-origin" not in answered.headers


def sample_body() -> dict[str, Any]:
    config = ProgramConfig.load(CONFIG)
    survey = load_survey([SURVEY], config)
    return {
        "participants": [p.model_dump(mode="json") for p in survey.participants],
        "config": config.model_dump(mode="json"),
    }


def test_solver_processes_answer_as_the_threads_do(store: Store, client: TestClient) -> None:
    """With ``processes`` the synchronous matches run in spawned solver processes: the
    same pairs, the same 422 (located) and the same pairs.csv as on the worker threads."""
    body = sample_body()
    bad = {"participants": [{"id": "x", "name": "X", "roles": ["wizard"]}]}
    threaded = client.post("/v1/match", json=body)
    threaded_bad = client.post("/v1/match", json=bad)
    threaded_csv = client.post("/v1/match/csv", files=uploads(), headers={"Accept": "text/csv"})
    with make_client(store, processes=1) as isolated:
        assert isolated.app.state.workers.processes == 1  # type: ignore[attr-defined]
        answer = isolated.post("/v1/match", json=body)
        assert answer.status_code == 200, answer.text
        assert pair_set(answer.json()) == pair_set(threaded.json())
        refused = isolated.post("/v1/match", json=bad)
        assert refused.status_code == threaded_bad.status_code == 422
        assert refused.json() == threaded_bad.json()
        assert refused.json()["detail"][0]["column"] == "participants.0.roles.0"
        as_csv = isolated.post("/v1/match/csv", files=uploads(), headers={"Accept": "text/csv"})
        assert as_csv.status_code == 200
        assert as_csv.headers["content-disposition"] == 'attachment; filename="pairs.csv"'
        assert as_csv.text == threaded_csv.text
        malformed = isolated.post(
            "/v1/match", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert malformed.status_code == 422
        assert malformed.json()["detail"][0]["file"] == "request body"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_solver_process_that_dies_is_a_503_and_replaced(store: Store, tmp_path: Path) -> None:
    """A solver process killed mid-request (as the kernel's OOM killer would): that
    request gets a 503 with Retry-After, never a hang, and the next one is served."""
    import multiprocessing
    import signal

    from matcher.sample import write_sample

    survey_path, config_path = write_sample(tmp_path / "big.csv", size=3000, seed=1)
    config = ProgramConfig.load(config_path)
    people = load_survey([survey_path], config).participants
    body = {"participants": [p.model_dump(mode="json") for p in people],
            "config": config.model_dump(mode="json")}  # fmt: skip
    with make_client(store, processes=1, retry_after=3) as isolated:
        solvers = [p for p in multiprocessing.active_children() if p.pid is not None]
        assert solvers, "no solver process found"
        idle = {p.pid: _cpu_seconds(p.pid) for p in solvers if p.pid is not None}
        outcome: dict[str, httpx.Response] = {}

        def send() -> None:
            outcome["response"] = isolated.post("/v1/match", json=body)

        sender = threading.Thread(target=send)
        sender.start()
        # Kill once a solver process is busy with it (3,000 people take seconds).
        deadline = time.monotonic() + 30
        busy: list[int] = []
        while not busy and time.monotonic() < deadline:
            time.sleep(0.02)
            busy = [pid for pid, cpu in idle.items() if _cpu_seconds(pid) > cpu + 0.2]
        assert busy, "no solver process took up the request"
        for pid in busy:
            os.kill(pid, signal.SIGKILL)
        sender.join(timeout=30)
        died = outcome["response"]
        assert died.status_code == 503, died.text
        assert died.headers["Retry-After"] == "3"
        assert "solver process" in died.json()["detail"]
        again = isolated.post("/v1/match", json=sample_body())
        assert again.status_code == 200, again.text
