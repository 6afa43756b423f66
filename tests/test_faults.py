"""Faults are answers, not exceptions: a solver out of time gives its best solution
with the bound and gap (CLI and API), and rules that allow no pair give the diagnosis
(every unmatched person's reason, the fixes) with exit 0 or HTTP 200."""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from matcher.api.app import create_app
from matcher.api.settings import Settings
from matcher.cli import app as cli_app
from matcher.store import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

DATA = Path(__file__).resolve().parent.parent / "data"
SURVEY = DATA / "sample_survey.csv"
#: Peers solved by CP-SAT (circles search too): both honour the time limit.
SEARCHING = '\n[tracks.peer]\npairing_method = "cp_sat"\n'
#: Tracks that search under --time-limit with the SEARCHING config.
SEARCH_TRACKS = ("peer", "circles")


def config(tmp_path: Path, extra: str = "", min_score: int = 0) -> Path:
    text = (DATA / "sample_program.toml").read_text(encoding="utf-8")
    text = text.replace("\nmin_score = 0 ", f"\nmin_score = {min_score} ") + extra
    path = tmp_path / "program.toml"
    path.write_text(text, encoding="utf-8")
    return path


def assert_best_with_gap(tracks: list[dict[str, Any]]) -> None:
    solvers = {t["track"]: t["solver"] for t in tracks}
    for track in SEARCH_TRACKS:
        solver = solvers[track]
        assert solver["status"] == "feasible", (track, solver)
        assert solver["bound"] >= solver["objective"] > 0
        gap = (solver["bound"] - solver["objective"]) / solver["bound"]
        assert solver["gap"] == pytest.approx(gap, abs=1e-6)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store(f"sqlite:///{tmp_path / 'runs.db'}")
    with TestClient(create_app(Settings(time_limit=0.001, processes=0), store)) as test_client:
        yield test_client
    store.close()


def upload(program: Path) -> list[tuple[str, Any]]:
    return [
        ("files", (SURVEY.name, SURVEY.read_bytes(), "text/csv")),
        ("config", (program.name, program.read_bytes(), "application/toml")),
    ]


def test_cli_time_out_gives_the_best_solution_with_its_gap(tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = [str(SURVEY), "-c", str(config(tmp_path, SEARCHING)), "-o", str(out)]
    done = CliRunner().invoke(cli_app, ["run", *args, "--time-limit", "0.001"])
    assert done.exit_code == 0, done.output
    assert "cp_sat, feasible, gap" in done.output
    assert_best_with_gap(json.loads((out / "summary.json").read_text())["summary"]["tracks"])


def test_api_time_out_gives_the_best_solution_with_its_gap(
    client: TestClient, tmp_path: Path
) -> None:
    answer = client.post("/v1/match/csv", files=upload(config(tmp_path, SEARCHING)))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["cohorts"]
    assert_best_with_gap(result["summary"]["tracks"])


def test_cli_rules_allowing_no_pair_give_the_diagnosis(tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = [str(SURVEY), "-c", str(config(tmp_path, min_score=100)), "-o", str(out), "-q"]
    done = CliRunner().invoke(cli_app, ["run", *args])
    assert done.exit_code == 0, done.output
    assert "best: accept mentors scoring below rules.min_score" in done.output
    pairs = (out / "pairs.csv").read_text().splitlines()
    assert len(pairs) == 1  # the header alone
    with (out / "participants.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    mentees = [r for r in rows if "mentee" in r["roles"].split(";")]
    assert mentees
    assert all(r["unmatched_reason"] for r in mentees)
    blocked = [
        r for r in mentees if "the minimum score of 100 was not reached" in r["unmatched_reason"]
    ]
    assert len(blocked) > len(mentees) / 2


def test_api_rules_allowing_no_pair_give_the_diagnosis(client: TestClient, tmp_path: Path) -> None:
    answer = client.post("/v1/match/csv", files=upload(config(tmp_path, min_score=100)))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert all(not c["pairs"] for c in result["cohorts"])
    assert result["unmatched"]
    assert all(u["reason"] for u in result["unmatched"])
    assert any("min_score" in json.dumps(fix) for fix in result["fixes"])


def test_api_json_rules_forbidding_every_pair_give_reasons(client: TestClient) -> None:
    people = [
        {"id": f"m{k}", "name": f"M {k}", "roles": ["mentor"], "seniority": 3} for k in range(3)
    ] + [{"id": f"e{k}", "name": f"E {k}", "roles": ["mentee"], "seniority": 3} for k in range(3)]
    body = {"participants": people, "config": {"rules": {"min_seniority_gap": 100}}}
    answer = client.post("/v1/match", json=body)
    assert answer.status_code == 200, answer.text
    unmatched = answer.json()["unmatched"]
    assert {u["id"] for u in unmatched} >= {"e0", "e1", "e2"}
    assert all("senior" in u["reason"] for u in unmatched if u["id"].startswith("e"))
