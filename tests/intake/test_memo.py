"""Intake parses each distinct answer once per field and table: a memoised parse must
never leak into another column, another field, another config or another row."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher import InputError, ProgramConfig, load_survey
from matcher.models import MeetingFormat, Participant, Role, Severity

HEADER = (
    "Email,Name,Role,Grade,Team,Office,Goals,Topics,Topics [Python],Capacity,Mentees,Zone,Meet\n"
)


def config(**extra: object) -> ProgramConfig:
    base: dict[str, object] = {
        "intake": {"preset": "generic", "list_separator": ","},
        "columns": {
            "email": "Email", "name": "Name", "roles": "Role", "seniority": "Grade",
            "department": "Team", "location": "Office", "goals": "Goals",
            "expertise": ["Topics", "Topics [Python]"], "capacity": ["Capacity", "Mentees"],
            "timezone": "Zone", "format": "Meet",
        },
        "seniority": {"ladder": ["Junior", "Senior"]},
        "answers": {"format": {"Hybrid": "virtual"}},
    }  # fmt: skip
    base.update(extra)
    return ProgramConfig.model_validate(base)


def read(tmp_path: Path, rows: str, cfg: ProgramConfig | None = None) -> dict[str, Participant]:
    path = tmp_path / "s.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return {p.id: p for p in load_survey([path], cfg or config()).participants}


def test_same_answer_in_different_columns_keeps_each_meaning(tmp_path: Path) -> None:
    people = read(
        tmp_path,
        # "Senior" is a grade and a team; "3" a capacity, a grid level and a topic.
        'a@x.org,A,Mentor,Senior,Senior,Senior,Python,"Python, 3",3,3,,UTC+3,Hybrid\n'
        'b@x.org,B,Mentee,Junior,Senior,Junior,"Python, SQL",Python,0,,3,UTC-3,Either\n',
    )
    a, b = people["a@x.org"], people["b@x.org"]
    assert (a.seniority, a.department, a.location) == (2, "Senior", "Senior")
    assert (b.seniority, b.department, b.location) == (1, "Senior", "Junior")
    assert [(e.topic, e.level) for e in a.expertise] == [("Python", None), ("3", None)]
    assert [(e.topic, e.level) for e in b.expertise] == [("Python", None)]
    assert a.goals == ("Python",)
    assert b.goals == ("Python", "SQL")
    assert (a.capacity, b.capacity) == (3, 3)
    assert (a.utc_offset, b.utc_offset) == (3.0, -3.0)
    assert (a.format, b.format) == (MeetingFormat.VIRTUAL, MeetingFormat.EITHER)


def test_grid_level_comes_from_its_own_header(tmp_path: Path) -> None:
    """The same cell text under the plain and the grid column parses differently."""
    people = read(tmp_path, "a@x.org,A,Mentor,,,,,4,4,,,,\n")
    assert [(e.topic, e.level) for e in people["a@x.org"].expertise] == [
        ("4", None),
        ("Python", 4),
    ]


def test_same_file_under_different_configs(tmp_path: Path) -> None:
    rows = 'a@x.org,A,Mentor,Senior,none,,"Python, SQL",,,,,,Hybrid\n'
    first = read(tmp_path, rows)["a@x.org"]
    other = config(
        intake={"preset": "generic", "list_separator": ";", "missing": ["NA"]},
        answers={"format": {"Hybrid": "in_person"}},
        seniority={"ladder": ["Senior", "Junior"]},
    )
    second = read(tmp_path, rows, other)["a@x.org"]
    again = read(tmp_path, rows)["a@x.org"]
    assert (first.department, first.goals, first.format, first.seniority) == (
        None,
        ("Python", "SQL"),
        MeetingFormat.VIRTUAL,
        2,
    )
    assert (second.department, second.goals, second.format, second.seniority) == (
        "none",
        ("Python, SQL",),
        MeetingFormat.IN_PERSON,
        1,
    )
    assert again == first


def test_a_repeated_bad_answer_is_reported_on_every_row(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        HEADER + "a@x.org,A,Mentor,Chief,,,,,,two,,Mars/Base,\n"
        "b@x.org,B,Mentor,Senior,,,,,,,two,,\n"
        "c@x.org,C,Mentor,Chief,,,,,,two,two,Mars/Base,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        load_survey([path], config())
    located = [
        (i.row, i.column, i.value, i.message.split(";")[0].split(" (")[0])
        for i in exc.value.issues
        if i.severity is Severity.ERROR
    ]
    assert located == [
        (2, "Grade", "Chief", "seniority not on the ladder"),
        (2, "Zone", "Mars/Base", "unknown time zone"),
        (2, "Capacity", "two", "capacity must be a whole number >= 0"),
        (3, "Mentees", "two", "capacity must be a whole number >= 0"),
        (4, "Grade", "Chief", "seniority not on the ladder"),
        (4, "Zone", "Mars/Base", "unknown time zone"),
        (4, "Capacity", "two", "capacity must be a whole number >= 0"),
        (4, "Mentees", "two", "capacity must be a whole number >= 0"),
    ]


def test_second_answers_and_formulas_keep_row_order(tmp_path: Path) -> None:
    cfg = config(columns={"email": "Email", "name": ["Name", "Team"], "roles": "Role"})
    cfg = cfg.model_copy(update={"combine": {"name": "first"}})
    path = tmp_path / "s.csv"
    path.write_text(
        HEADER + "a@x.org,Ann,Mentor,,=1+1,,,,,,,,\n"
        "b@x.org,Bo,Coach,,Bob,,,,,,,,\n"
        "c@x.org,Ann,Mentor,,=1+1,,,,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        load_survey([path], cfg)
    assert [(i.row, i.column, i.message.split(";")[0]) for i in exc.value.issues] == [
        (2, "Team", "looks like a spreadsheet formula"),
        (2, "Team", "second answer for name"),
        (3, "Team", "second answer for name"),
        (3, "Role", "unknown role"),
        (4, "Team", "looks like a spreadsheet formula"),
        (4, "Team", "second answer for name"),
    ]


def test_roles_split_once_stay_per_person(tmp_path: Path) -> None:
    people = read(
        tmp_path,
        'a@x.org,A,"Mentor, Mentee",,,,,,,,,,\n'
        "b@x.org,B,Mentor,,,,,,,,,,\n"
        'c@x.org,C,"Mentor, Mentee",,,,,,,,,,\n',
    )
    assert people["a@x.org"].roles == (Role.MENTOR, Role.MENTEE)
    assert people["b@x.org"].roles == (Role.MENTOR,)
    assert people["c@x.org"].roles == (Role.MENTOR, Role.MENTEE)
