"""A 16-person circles survey with one opt-in attribute, shared by the privacy tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

CONFIG = (
    '[columns]\nroles = "Role"\ngoals = "Goals"\ndepartment = "Dept"\n'
    '[attributes]\nconsent = "May we use"\ncolumns = { group = "Group" }\n'
    '[tracks.circles]\nmin_size = 3\nmax_size = 4\nmin_experts = 0\nbalance = "group"\n'
    "max_share = 0.5\ntime_limit = 5\n"
)


def write_attribute_survey(folder: Path, value: Callable[[int], str]) -> tuple[Path, Path]:
    """Person ``k`` consents unless ``k % 4 == 0`` and answers ``value(k)``; returns the
    survey and its config."""
    topics = ["Python", "Leadership"]
    lines = ["Email,Name,Role,Goals,Dept,May we use the next answer to balance groups?,Group"]
    for k in range(16):
        consent = "Yes" if k % 4 else "No"
        lines.append(f"p{k}@x.org,P {k},Circle,{topics[k % 2]},D{k % 5},{consent},{value(k)}")
    survey = folder / "s.csv"
    survey.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = folder / "p.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return survey, config
