"""Answers that used to end intake with a traceback: each is now a located problem (file,
row, column, what was expected) or, where the meaning is clear, read."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from matcher import ProgramConfig, load_survey
from matcher.config import ConfigError
from matcher.intake.reader import InputError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample_survey.csv"
CONFIG = ROOT / "data" / "sample_program.toml"
CAPACITY = "How many mentees could you take on this round?"
TIMEZONE = "Which time zone do you usually work in?"
GRADE = "What is your current grade?"


def _survey(tmp_path: Path, column: str, values: list[str]) -> Path:
    """The sample survey with the first answers of ``column`` replaced by ``values``."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index(column)
    for row, value in zip(rows[1:], values, strict=False):
        row[at] = value
    path = tmp_path / "survey.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_time_zone_folder_is_a_located_error(tmp_path: Path) -> None:
    """America/Indiana is a folder of zones, not one (it used to raise IsADirectoryError)."""
    path = _survey(tmp_path, TIMEZONE, ["America/Indiana"])
    with pytest.raises(InputError) as caught:
        load_survey([path], ProgramConfig.load(CONFIG))
    located = [i for i in caught.value.issues if "unknown time zone" in i.message]
    assert located, [str(i) for i in caught.value.issues]
    assert (located[0].row, located[0].column) == (2, TIMEZONE)


@pytest.mark.parametrize("digits", [10, 21, 5000], ids=["10", "21", "5000"])
def test_a_capacity_of_any_length_is_capped_with_its_own_text(tmp_path: Path, digits: int) -> None:
    """Past 4,300 digits Python refuses to convert a number (it used to crash intake):
    every long capacity is capped like any large one, the warning showing the answer."""
    answer = "9" * digits
    config = ProgramConfig.load(CONFIG)
    survey = load_survey([_survey(tmp_path, CAPACITY, [answer])], config)
    capped = [w for w in survey.warnings if "capacity capped" in w.message]
    assert [(w.row, w.column) for w in capped] == [(2, CAPACITY)]
    shown = capped[0].value or ""
    assert shown == answer or (shown.startswith(answer[:40]) and "characters" in shown)


def test_seniority_numbers_with_plus_read_without_a_ladder(tmp_path: Path) -> None:
    """No ladder: "3+" and "4 or more" are the numbers 3 and 4 (they used to crash)."""
    text = CONFIG.read_text(encoding="utf-8")
    start = text.index("[seniority]")
    end = text.index("\n", text.index("ladder", start))
    config_path = tmp_path / "program.toml"
    config_path.write_text(text[:start] + text[end:], encoding="utf-8")
    config = ProgramConfig.load(config_path)
    assert not config.seniority.ladder
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        n_rows = sum(1 for _ in csv.reader(handle)) - 1
    answers = ["3+", "4 or more", "2", *(["1"] * (n_rows - 3))]
    survey = load_survey([_survey(tmp_path, GRADE, answers)], config)
    seniority = {p.seniority for p in survey.participants}
    assert {1, 2, 3, 4} >= seniority
    assert {3, 4} <= seniority


def test_a_level_label_above_five_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "program.toml"
    path.write_text(
        CONFIG.read_text(encoding="utf-8") + '\n[answers.levels]\n"Guru" = 7\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="levels"):
        ProgramConfig.load(path)
