"""A messy export read exactly as before intake was made fast.

``data/messy.csv`` mixes every answer intake normalises or warns about (formulas, second
answers, resubmissions, offsets and IANA zones, levels, grids, consent, unknown names);
``data/messy_errors.csv`` adds located errors, some repeated on several rows. The golden
file holds what the row-by-row reader of commit 4c35197 returned for them: participants
and issues, in order. Regenerate it only for an intended change of behaviour.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matcher import InputError, ProgramConfig, load_survey

DATA = Path(__file__).resolve().parent / "data"
GOLDEN: dict[str, dict[str, Any]] = json.loads(
    (DATA / "messy.golden.json").read_text(encoding="utf-8")
)


def portable(value: Any) -> Any:
    """The value with every ``file`` reduced to its name: the golden file was written
    from the repository root, the tests may run from anywhere."""
    if isinstance(value, dict):
        return {k: Path(v).name if k == "file" else portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [portable(v) for v in value]
    return value


def outcome(name: str) -> dict[str, Any]:
    config = ProgramConfig.load(DATA / "messy.toml")
    try:
        survey = load_survey([DATA / name], config)
    except InputError as exc:
        issues, people = exc.issues, None
    else:
        issues = survey.warnings
        people = [p.model_dump(mode="json") for p in survey.participants]
    found: dict[str, Any] = portable(
        {"issues": [i.model_dump(mode="json") for i in issues], "participants": people}
    )
    return found


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_messy_export_reads_as_before(name: str) -> None:
    got, want = outcome(name), portable(GOLDEN[name])
    assert got["issues"] == want["issues"]  # first: a difference names its row and column
    assert got["participants"] == want["participants"]


def test_golden_covers_the_paths_it_claims() -> None:
    """The fixture keeps exercising what it was written for."""
    messages = " ".join(i["message"] for v in GOLDEN.values() for i in v["issues"])
    for text in (
        "spreadsheet formula",
        "second answer",
        "duplicate submission",
        "capacity capped",
        "identified by",
        "no one in the survey",
        "names the person themselves",
        "seniority not on the ladder",
        "unknown time zone",
        "whole number",
        "unknown meeting format",
        "unknown role",
        "no role",
        "no email to identify",
    ):
        assert text in messages, text
    people = GOLDEN["messy.csv"]["participants"]
    assert any(p["attributes"] for p in people)
    assert any(e["level"] for p in people for e in p["expertise"])
    assert any(p["utc_offset"] not in (None, 0.0) for p in people)
