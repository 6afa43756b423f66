"""Intake: presets, answer normalisation, located errors, duplicates, real exports."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from matcher import InputError, ProgramConfig, load_survey
from matcher.intake.normalize import TableReader
from matcher.models import Issue, MeetingFormat, Role, Severity

GOOGLE_HEADER = (
    "Timestamp,Email Address,Full name,Role,Grade,Team,Topics I can teach,"
    "Goals [First choice],Goals [Second choice],Time zone,Languages,Capacity,Meet\n"
)


def config(**extra: object) -> ProgramConfig:
    base: dict[str, object] = {
        "columns": {
            "name": "Full name", "roles": "Role", "seniority": "Grade", "department": "Team",
            "expertise": "Topics I can teach", "goals": "Goals", "timezone": "Time zone",
            "languages": "Languages", "capacity": "Capacity", "format": "Meet",
        },
        "options": {"expertise": ["Writing, editing and storytelling", "Python", "Data"]},
        "seniority": {"ladder": ["Junior", "Mid", "Senior"], "aliases": {"Snr": "Senior"}},
    }  # fmt: skip
    base.update(extra)
    return ProgramConfig.model_validate(base)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def errors(exc: pytest.ExceptionInfo[InputError]) -> list[Issue]:
    return [i for i in exc.value.issues if i.severity is Severity.ERROR]


def test_google_export_reads_every_field(tmp_path: Path) -> None:
    survey = write(tmp_path, "s.csv", "\ufeff" + GOOGLE_HEADER +
        '5/1/2026 9:00:00,Ana@Example.org ,Ana Silva,Mentor,Snr,Data,'
        '"Writing, editing and storytelling, Python:5",,,Europe/Lisbon,"English, Portuguese",'
        "3,In person\n"
        "5/1/2026 9:05:00,raj@example.org,Raj Patel,Mentee,Junior,Policy,,Python,Data,"
        "UTC+05:30,English,NA,\n")  # fmt: skip
    people = {p.id: p for p in load_survey([survey], config()).participants}
    ana, raj = people["ana@example.org"], people["raj@example.org"]
    assert ana.roles == (Role.MENTOR,)
    assert ana.seniority == 3
    assert ana.seniority_label == "Senior"
    assert [(e.topic, e.level) for e in ana.expertise] == [
        ("Writing, editing and storytelling", None), ("Python", 5)]  # fmt: skip
    assert ana.languages == ("English", "Portuguese")
    assert ana.capacity == 3
    assert ana.format is MeetingFormat.IN_PERSON
    assert ana.utc_offset == 0.0  # Lisbon in January
    assert raj.goals == ("Python", "Data")  # ranked grid columns, first = most important
    assert raj.utc_offset == 5.5
    assert raj.capacity is None
    assert raj.format is MeetingFormat.EITHER


def test_microsoft_export_splits_on_semicolons(tmp_path: Path) -> None:
    text = (
        "ID,Start time,Completion time,Email,Name,Role,Topics,Languages\n"
        "1,1/5/2026 9:00:00,1/5/2026 9:04:00,anonymous,Mo Chen,Mentor,Python;Data;,"
        "English;French;\n"
    )
    survey = write(tmp_path, "ms.csv", text)
    cfg = ProgramConfig.model_validate({"columns": {"roles": "Role", "expertise": "Topics"}})
    (person,) = load_survey([survey], cfg).participants
    assert person.id == "Mo Chen"  # 'anonymous' is no email: the name identifies
    assert [e.topic for e in person.expertise] == ["Python", "Data"]
    assert person.languages == ("English", "French")


def test_xlsx_export_reads_like_csv(tmp_path: Path) -> None:
    frame = pl.DataFrame({
        "ID": ["1", "2"], "Start time": ["x", "x"], "Completion time": ["x", "x"],
        "Email": ["a@x.org", "b@x.org"], "Name": ["A", "B"], "Role": ["Mentor", "Mentee"],
    })  # fmt: skip
    path = tmp_path / "form.xlsx"
    frame.write_excel(path)
    cfg = ProgramConfig.model_validate({"columns": {"roles": "Role"}})
    people = load_survey([path], cfg).participants
    assert [(p.id, p.roles) for p in people] == [
        ("a@x.org", (Role.MENTOR,)), ("b@x.org", (Role.MENTEE,))]  # fmt: skip


def test_every_error_is_located(tmp_path: Path) -> None:
    survey = write(tmp_path, "bad.csv", GOOGLE_HEADER +
        "5/1/2026 9:00:00,a@x.org,A,Wizard,Junior,,,,,,,-2,\n"
        "5/1/2026 9:00:00,b@x.org,B,Mentor,Chief,,,,,Mars/Base,,two,Teleport\n")  # fmt: skip
    with pytest.raises(InputError) as exc:
        load_survey([survey], config())
    found = {(e.row, e.column, e.value) for e in errors(exc)}
    assert found == {
        (2, "Role", "Wizard"), (2, "Capacity", "-2"), (3, "Grade", "Chief"),
        (3, "Time zone", "Mars/Base"), (3, "Capacity", "two"), (3, "Meet", "Teleport"),
    }  # fmt: skip
    message = str(exc.value)
    assert "bad.csv, row 3, column 'Grade': value 'Chief'" in message
    assert "Junior, Mid, Senior" in message  # what was expected


def test_duplicate_submission_latest_wins_and_names_both_rows(tmp_path: Path) -> None:
    survey = write(tmp_path, "s.csv", GOOGLE_HEADER +
        "5/2/2026 9:00:00,a@x.org,A,Mentee,Junior,,,,,,,,Video\n"
        "5/1/2026 9:00:00,a@x.org,A,Mentee,Junior,,,,,,,,In person\n")  # fmt: skip
    result = load_survey([survey], config())
    (person,) = result.participants
    assert person.format is MeetingFormat.VIRTUAL  # row 2 has the later timestamp
    (warning,) = [w for w in result.warnings if "duplicate" in w.message]
    assert "row 2 replaces row 3" in warning.message


def test_same_person_in_two_forms_is_merged(tmp_path: Path) -> None:
    mentors = write(tmp_path, "mentors.csv", "Name,Grade\nAna,Senior\n")
    mentees = write(tmp_path, "mentees.csv", "Name,Grade\nAna,Senior\nBo,Junior\n")
    cfg = config(intake={"id": "name", "sources": [
        {"match": "mentors*", "roles": ["mentor"]}, {"match": "mentees*", "roles": ["mentee"]}]},
        columns={"name": "Name", "seniority": "Grade"})  # fmt: skip
    people = {p.id: p for p in load_survey([mentors, mentees], cfg).participants}
    assert set(people["Ana"].roles) == {Role.MENTOR, Role.MENTEE}
    assert len(people["Ana"].sources) == 2


def test_names_in_lists_resolve_to_ids(tmp_path: Path) -> None:
    survey = write(tmp_path, "s.csv",
        "Email,Name,Role,Prefer,Avoid,Manager\n"
        "a@x.org,Ana Silva,Mentee,raj  PATEL; Nobody,a@x.org,b@x.org\n"
        "b@x.org,Raj Patel,Mentor,,,\n")  # fmt: skip
    cfg = ProgramConfig.model_validate(
        {
            "columns": {
                "roles": "Role",
                "preferred": "Prefer",
                "avoid": "Avoid",
                "manager": "Manager",
            }
        }
    )
    result = load_survey([survey], cfg)
    ana = next(p for p in result.participants if p.id == "a@x.org")
    assert ana.preferred == ("b@x.org",)
    assert ana.avoid == ()
    assert ana.manager == "b@x.org"
    texts = " ".join(w.message for w in result.warnings)
    assert "no one in the survey" in texts
    assert "themselves" in texts


def test_duplicate_headers_from_branching_are_combined(tmp_path: Path) -> None:
    survey = write(tmp_path, "s.csv",
        "Timestamp,Name,How many? [Peers],How many? [Faculty],How many? [Faculty]\n"
        "1/1/2026 1:00:00,Ana,1,2,\n1/1/2026 1:00:00,Bo,,,3\n")  # fmt: skip
    cfg = ProgramConfig.model_validate(
        {
            "intake": {"id": "name", "sources": [{"match": "*", "roles": ["mentee"]}]},
            "columns": {"name": "Name", "demand": "How many?"},
            "combine": {"demand": "sum"},
        }
    )
    demand = {p.id: p.demand for p in load_survey([survey], cfg).participants}
    assert demand == {"Ana": 3, "Bo": 3}


def test_known_options_split_labels_with_commas() -> None:
    split = TableReader._split_known
    options = sorted(
        ["Writing, editing and storytelling", "Python", "Data, AI"], key=len, reverse=True
    )
    assert split("Python, Writing, editing and storytelling, Data, AI", options, ", ") == [
        "Python", "Writing, editing and storytelling", "Data, AI"]  # fmt: skip
    assert split("Other thing, Python", options, ", ") == ["Other thing", "Python"]


def test_grid_of_levels_reads_rows_as_topics(tmp_path: Path) -> None:
    survey = write(tmp_path, "s.csv",
        "Name,Rate yourself [Python],Rate yourself [SQL],Rate yourself [Go]\n"
        "Ana,5 - Expert,0,Beginner\n")  # fmt: skip
    cfg = ProgramConfig.model_validate(
        {
            "intake": {"id": "name", "sources": [{"match": "*", "roles": ["mentor"]}]},
            "columns": {"name": "Name", "expertise": "Rate yourself"},
            "answers": {"levels": {"Beginner": 1}},
        }
    )
    (ana,) = load_survey([survey], cfg).participants
    assert [(e.topic, e.level) for e in ana.expertise] == [("Python", 5), ("Go", 1)]


def test_unmatched_column_spec_is_a_config_error(tmp_path: Path) -> None:
    survey = write(tmp_path, "s.csv", "Email,Role\na@x.org,Mentor\n")
    cfg = ProgramConfig.model_validate({"columns": {"roles": "Role", "goals": "Goalz"}})
    with pytest.raises(InputError) as exc:
        load_survey([survey], cfg)
    assert any(e.value == "Goalz" for e in errors(exc))


@pytest.mark.parametrize("content", ["", "\n\n", "Email,Role\n"])
def test_empty_files_load_nobody_or_fail_clearly(tmp_path: Path, content: str) -> None:
    survey = write(tmp_path, "s.csv", content)
    cfg = ProgramConfig.model_validate({"columns": {"roles": "Role"}})
    if content.strip():
        assert load_survey([survey], cfg).participants == []
    else:
        with pytest.raises(InputError, match="empty"):
            load_survey([survey], cfg)


def test_latin1_file_is_read_with_a_warning(tmp_path: Path) -> None:
    survey = write(tmp_path, "s.csv", "Email,Name,Role\na@x.org,José,Mentor\n", "cp1252")
    cfg = ProgramConfig.model_validate({"columns": {"roles": "Role"}})
    result = load_survey([survey], cfg)
    assert result.participants[0].name == "José"
    assert any("not UTF-8" in w.message for w in result.warnings)


def test_csl_forms_load(real_data: Path) -> None:
    files = [real_data / "csl_mentor_match_small_mentees.csv",
             real_data / "csl_mentor_match_small_mentors.csv"]  # fmt: skip
    people = load_survey(files, ProgramConfig.load(Path("data/csl.toml"))).participants
    assert len(people) == 100
    assert {p.seniority_label for p in people} >= {"G7", "G6", "SCS4", "AA"}
    assert all(p.department for p in people)
    mentee = next(p for p in people if p.id == "mentee.00@gov.uk")
    assert mentee.name == "mentee 00"
    assert mentee.roles == (Role.MENTEE,)


def test_ciera_forms_load(real_data: Path) -> None:
    files = [real_data / "ciera_gforms_sample_mentees.csv",
             real_data / "ciera_gforms_sample_mentors.csv"]  # fmt: skip
    survey = load_survey(files, ProgramConfig.load(Path("data/ciera.toml")))
    people = {p.id: p for p in survey.participants}
    assert len(people) == 49  # 38 mentees + 32 mentors, 21 of them in both forms
    assert people["Maira Nava"].demand == 2  # 0 + 1 + 1 + 0 over the grid
    assert people["Maira Nava"].avoid == ("Rohaan Sawyer", "Miruna O'Ryan")
    assert people["Alexander Mitchell"].capacity == 5  # '5+'
