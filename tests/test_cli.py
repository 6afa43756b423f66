"""The CLI as a coordinator uses it: exit codes, files written or not, determinism."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from tests.attribute_survey import write_attribute_survey

DATA = Path(__file__).resolve().parents[1] / "data"
SURVEY = str(DATA / "sample_survey.csv")
CONFIG = str(DATA / "sample_program.toml")
runner = CliRunner()


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_writes_every_result_file(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", SURVEY, "--config", CONFIG, "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = {p.name for p in out.iterdir()}
    assert written >= {"alternates.csv", "circles.csv", "pairs.csv", "participants.csv",
                       "report.html", "run.json", "summary.json"}  # fmt: skip
    alternates = rows(out / "alternates.csv")
    assert list(alternates[0]) == ["track", "id", "rank", "partner_id", "partner_name", "score"]
    circles = rows(out / "circles.csv")
    assert list(circles[0]) == [
        "circle_id",
        "theme",
        "member_id",
        "member_name",
        "role",
        "fit",
        "reasons",
    ]
    pairs = rows(out / "pairs.csv")
    assert list(pairs[0])[:8] == [
        "cohort_id",
        "track",
        "mentor_id",
        "mentor_name",
        "mentee_id",
        "mentee_name",
        "score",
        "reasons",
    ]
    people = rows(out / "participants.csv")
    assert list(people[0]) == [
        "id",
        "name",
        "roles",
        "capacity",
        "demand",
        "matched_with",
        "unmatched_reason",
    ]
    summary = json.loads((out / "summary.json").read_text())["summary"]
    assert summary["pairs"] == len(pairs)
    assert [t["track"] for t in summary["tracks"]] == ["mentoring", "reverse", "peer", "circles"]
    assert len(people) == summary["people"]
    for person in people:  # everyone who asked has a match or a reason
        if "mentee" in person["roles"] and not person["matched_with"]:
            assert person["unmatched_reason"]
    assert "pairs made:" in result.stdout
    assert "solver: pruned_flow, optimal" in result.stdout


def test_same_input_and_seed_give_identical_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        args = ["run", SURVEY, "-c", CONFIG, "-o", str(tmp_path / name), "--seed", "3", "-q"]
        assert runner.invoke(app, args).exit_code == 0
    for file in ("pairs.csv", "participants.csv", "report.html", "summary.json", "circles.csv",
                 "alternates.csv", "results.xlsx"):  # fmt: skip
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_bad_input_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    text = (DATA / "sample_survey.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace(",Senior,", ",Overlord,", 1), encoding="utf-8")
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", str(bad), "-c", CONFIG, "-o", str(out)])
    assert result.exit_code == 1
    assert "bad.csv, row " in result.stderr
    assert "column 'What is your current grade?': value 'Overlord'" in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no staging folder left either


def test_failed_run_keeps_previous_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert runner.invoke(app, ["run", SURVEY, "-c", CONFIG, "-o", str(out), "-q"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    missing = str(tmp_path / "nope.csv")
    result = runner.invoke(app, ["run", missing, "-c", CONFIG, "-o", str(out)])
    assert result.exit_code == 1
    assert "nope.csv: file not found" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    result = runner.invoke(app, ["run", SURVEY, "-c", CONFIG, "-o", str(out), "-q"])
    assert result.exit_code == 1
    assert (out / "thesis.docx").read_text() == "precious"


def test_bad_config_names_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text("[weights]\ngoalz = 1\n")
    result = runner.invoke(app, ["validate", SURVEY, "-c", str(config)])
    assert result.exit_code == 1
    assert "p.toml: weights.goalz" in result.stderr


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(app, ["run"]).exit_code == 2
    assert runner.invoke(app, ["run", SURVEY, "--seed", "many"]).exit_code == 2
    assert runner.invoke(app, ["sample", "--style", "typeform"]).exit_code == 2


def test_validate_lists_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    with (DATA / "sample_survey.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    grade = table[0].index("What is your current grade?")
    meet = table[0].index("How would you prefer to meet?")
    table[5][grade] = "Overlord"  # spreadsheet row 6
    table[9][meet] = "Carrier pigeon"  # spreadsheet row 10
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(table)
    result = runner.invoke(app, ["validate", str(bad), "-c", CONFIG])
    assert result.exit_code == 1
    assert "row 6, column 'What is your current grade?': value 'Overlord'" in result.stderr
    assert "row 10, column 'How would you prefer to meet?': value 'Carrier pigeon'" in (
        result.stderr
    )
    assert "2 error(s)" in result.stderr
    assert list(tmp_path.iterdir()) == [bad]
    ok = runner.invoke(app, ["validate", SURVEY, "-c", CONFIG])
    assert ok.exit_code == 0
    assert ok.stdout.startswith("ok: 300 people")


@pytest.mark.parametrize("style", ["google", "microsoft"])
def test_sample_writes_a_survey_that_runs(tmp_path: Path, style: str) -> None:
    survey = tmp_path / "survey.csv"
    made = runner.invoke(
        app, ["sample", "--size", "80", "--seed", "5", "-o", str(survey), "--style", style]
    )
    assert made.exit_code == 0, made.output
    header = survey.read_text(encoding="utf-8").splitlines()[0]
    first = "Timestamp,Email Address" if style == "google" else "ID,Start time,Completion time"
    assert header.startswith(first)
    result = runner.invoke(
        app,
        ["run", str(survey), "-c", str(tmp_path / "survey.toml"), "-o", str(tmp_path / "r"), "-q"],
    )
    assert result.exit_code == 0, result.output
    assert rows(tmp_path / "r" / "pairs.csv")


def test_sample_is_deterministic(tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        runner.invoke(app, ["sample", "--size", "50", "--seed", "9", "-o", str(tmp_path / name)])
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    survey = tmp_path / "s.csv"
    survey.write_text(
        "Email,Name,Role\n"
        'boss@x.org,"=HYPERLINK(""http://evil"",""click"")",Mentor\n'
        "kid@x.org,@SUM(A1),Mentee\n",
        encoding="utf-8",
    )
    config = tmp_path / "p.toml"
    config.write_text('[columns]\nroles = "Role"\n[rules]\nmin_seniority_gap = 0\n')
    out = tmp_path / "r"
    assert (
        runner.invoke(app, ["run", str(survey), "-c", str(config), "-o", str(out), "-q"]).exit_code
        == 0
    )
    (pair,) = rows(out / "pairs.csv")
    assert pair["mentor_name"].startswith("'=HYPERLINK")
    assert pair["mentee_name"] == "'@SUM(A1)"
    for person in rows(out / "participants.csv"):
        assert not person["name"].startswith(("=", "@"))


def test_real_csl_and_ciera_files_run(real_data: Path, tmp_path: Path) -> None:
    for name, files in (
        ("csl", ["csl_mentor_match_small_mentees.csv", "csl_mentor_match_small_mentors.csv"]),
        ("ciera", ["ciera_gforms_sample_mentees.csv", "ciera_gforms_sample_mentors.csv"]),
    ):
        args = [
            "run",
            *(str(real_data / f) for f in files),
            "-c",
            str(DATA / f"{name}.toml"),
            "-o",
            str(tmp_path / name),
        ]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert rows(tmp_path / name / "pairs.csv")


def test_xlsx_survey_runs(tmp_path: Path) -> None:
    import polars as pl

    frame = pl.read_csv(DATA / "sample_msforms.csv", infer_schema=False)
    workbook = tmp_path / "form.xlsx"
    frame.write_excel(workbook)
    result = runner.invoke(
        app,
        [
            "run",
            str(workbook),
            "-c",
            str(DATA / "sample_msforms.toml"),
            "-o",
            str(tmp_path / "r"),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    csv_run = runner.invoke(
        app,
        [
            "run",
            str(DATA / "sample_msforms.csv"),
            "-c",
            str(DATA / "sample_msforms.toml"),
            "-o",
            str(tmp_path / "c"),
            "-q",
        ],
    )
    assert csv_run.exit_code == 0
    assert (tmp_path / "r" / "pairs.csv").read_bytes() == (
        tmp_path / "c" / "pairs.csv"
    ).read_bytes()


def test_unknown_solver_method_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text('[mentoring]\nmethod = "magic"\n')
    result = runner.invoke(app, ["run", SURVEY, "-c", str(config), "-o", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "mentoring.method" in result.stderr
    assert "pruned_flow" in result.stderr


def test_opt_in_attributes_balance_circles_and_stay_aggregate(tmp_path: Path) -> None:
    # ZQXattr values can appear nowhere else.
    survey, config = write_attribute_survey(tmp_path, lambda k: f"ZQXattr{k % 2}")
    out = tmp_path / "r"
    result = runner.invoke(app, ["run", str(survey), "-c", str(config), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "ZQXattr" not in result.output
    for path in out.iterdir():
        if path.suffix == ".xlsx":
            continue  # scanned with its zip members by tests/test_report.py
        text = path.read_text(encoding="utf-8")
        assert "ZQXattr0" not in text, path.name  # 4 opted in: under 5, never named
        if path.name != "report.html":  # only its opt-in aggregate names a group of 5+
            assert "ZQXattr" not in text, path.name
    members: dict[str, list[str]] = {}
    for row in rows(out / "circles.csv"):
        members.setdefault(row["circle_id"], []).append(row["member_id"])
    assert members
    for ids in members.values():
        # Opted-in values per circle: ceil(0.5 * size) at most share one value.
        opted = [int(i[1:].split("@")[0]) for i in ids if int(i[1:].split("@")[0]) % 4]
        for parity in (0, 1):
            assert sum(1 for k in opted if k % 2 == parity) <= -(-len(ids) // 2)


def test_explain_why_not_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert runner.invoke(app, ["run", SURVEY, "-c", CONFIG, "-o", str(out), "-q"]).exit_code == 0
    people = rows(out / "participants.csv")
    mentee = next(p for p in people if p["roles"] == "mentee" and p["matched_with"])
    partner = mentee["matched_with"]
    other = next(p for p in people if "mentor" in p["roles"].split(";") and p["id"] != partner)
    args = ["explain", str(out), "--person", mentee["name"].upper(), "--instead", other["id"]]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Why not {mentee['name']} with {other['name']}?")
    assert "score" in result.stdout
    as_json = runner.invoke(app, [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    answer = json.loads(as_json.stdout)
    assert answer["track"] == "mentoring"
    assert answer["person"] == mentee["id"]
    assert [c["id"] for c in answer["current"]] == [partner]
    assert answer["allowed"] == (not answer["forbidden_by"])
    if answer["pinnable"]:
        assert answer["total_change"] <= 0.0  # the run was optimal: a pin never helps
    unknown = runner.invoke(app, ["explain", str(out), "--person", "Nobody Here", "-i", "x"])
    assert unknown.exit_code == 1
    assert "nobody in the survey has the id or name 'Nobody Here'" in unknown.stderr


def test_explain_refuses_a_folder_it_cannot_re_solve(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["explain", str(empty), "-p", "a", "-i", "b"])
    assert result.exit_code == 1
    assert "no run.json" in result.stderr
    survey = tmp_path / "survey.csv"
    survey.write_bytes((DATA / "sample_survey.csv").read_bytes())
    out = tmp_path / "results"
    assert (
        runner.invoke(app, ["run", str(survey), "-c", CONFIG, "-o", str(out), "-q"]).exit_code == 0
    )
    with survey.open("a", encoding="utf-8") as handle:
        handle.write("\n")
    changed = runner.invoke(app, ["explain", str(out), "-p", "a", "-i", "b"])
    assert changed.exit_code == 1
    assert "changed since the run (sha256 differs)" in changed.stderr
    survey.unlink()
    missing = runner.invoke(app, ["explain", str(out), "-p", "a", "-i", "b"])
    assert missing.exit_code == 1
    assert "survey file of this run is missing" in missing.stderr


def test_sample_beyond_the_single_initial_names_ends(tmp_path: Path) -> None:
    """40 first names x 36 last names x 27 (no initial or one) is 38,880 full names: a
    larger sample must still end, with every name and e-mail distinct."""
    out = tmp_path / "big.csv"
    made = runner.invoke(app, ["sample", "--size", "40000", "--seed", "1", "-o", str(out)])
    assert made.exit_code == 0, made.output
    table = rows(out)
    assert len(table) >= 40000
    name_column = next(c for c in table[0] if "name" in c.lower())
    mail_column = next(c for c in table[0] if "mail" in c.lower())
    people = {r[mail_column]: r[name_column] for r in table}  # resubmissions share an id
    assert len(set(people.values())) == len(people)


def test_a_track_too_large_for_the_memory_left_is_refused_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused with the pairs, the memory and what would make it fit, not killed by the
    system halfway: nothing is written."""
    from matcher import scoring

    out = tmp_path / "results"
    monkeypatch.setattr(scoring, "available_bytes", lambda: 100_000)
    result = runner.invoke(app, ["run", SURVEY, "-c", CONFIG, "-o", str(out)])
    assert result.exit_code == 1
    first = result.stderr.splitlines()[-2]
    assert first.startswith(
        "error: mentoring track: value '234 mentees x 90 mentors': about 11,372 candidate "
        "pairs need at least 0.4 MB of memory; 0.1 MB is available"
    ), first
    assert "a minimum score ([rules] min_score)" in first
    assert result.stderr.splitlines()[-1] == "1 error(s): nothing written."
    assert not out.exists()
    # The peer track (each person's best peers) is checked the same way.
    mentoring_off = tmp_path / "peers.toml"
    mentoring_off.write_text(
        Path(CONFIG).read_text(encoding="utf-8")
        + "\n[tracks.mentoring]\nenabled = false\n[tracks.reverse]\nenabled = false\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(scoring, "available_bytes", lambda: 1_000)
    result = runner.invoke(app, ["run", SURVEY, "-c", str(mentoring_off), "-o", str(out)])
    assert result.exit_code == 1
    assert "error: peer track: value '" in result.stderr
    assert not out.exists()
