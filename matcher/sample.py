"""Realistic synthetic surveys, in the shape Google Forms and Microsoft Forms export them.

Calibrated by hand on the real exports in ``shared/data/real`` (question wording, answer
joins, duplicate submissions, free-text names) and on a typical staff pyramid: most people
junior, mentors senior, a few large departments and many small ones, most people in one
country with offices abroad.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from matcher.output import neutralise


class SampleStyle(StrEnum):
    GOOGLE = "google"
    MICROSOFT = "microsoft"


LADDER = ["Apprentice", "Associate", "Mid-level", "Senior", "Lead", "Principal", "Director"]
JUNIOR_SHARE = [0.10, 0.25, 0.28, 0.20, 0.10, 0.05, 0.02]
MENTOR_SHARE = [0.00, 0.03, 0.12, 0.30, 0.27, 0.18, 0.10]

GENERAL_TOPICS = [
    "Leadership", "Managing people", "Public speaking", "Career progression",
    "Writing, editing and storytelling", "Negotiation", "Stakeholder management",
    "Work-life balance", "Coaching and feedback", "Strategy", "Project delivery",
    "Networking", "Change management",
]  # fmt: skip
DEPARTMENTS: dict[str, list[str]] = {
    "Engineering": ["Python", "Cloud infrastructure", "Kubernetes", "Security",
                    "Testing and quality", "Front-end development"],
    "Data": ["Python", "Data analysis", "Machine learning", "Databases, SQL and data modelling",
             "Data visualisation"],
    "Product": ["Product management", "UX research, design and accessibility",
                "Data analysis", "Roadmaps and prioritisation"],
    "Design": ["UX research, design and accessibility", "Front-end development",
               "Data visualisation"],
    "Finance": ["Budgeting, forecasting and finance", "Data analysis", "Procurement"],
    "People": ["Recruitment and interviewing", "Coaching and feedback", "Employment law"],
    "Operations": ["Process improvement", "Procurement", "Project delivery"],
    "Policy": ["Policy making", "Writing, editing and storytelling", "Data analysis"],
    "Legal": ["Employment law", "Contracts and compliance", "Negotiation"],
    "Sales": ["Negotiation", "Account management", "Public speaking"],
    "Marketing": ["Content marketing", "Data analysis", "Writing, editing and storytelling"],
    "Customer Support": ["Process improvement", "Account management", "Coaching and feedback"],
}  # fmt: skip
DEPARTMENT_SIZE = [0.26, 0.12, 0.10, 0.06, 0.08, 0.06, 0.09, 0.07, 0.03, 0.06, 0.04, 0.03]
# (location, IANA zone, UTC offset label, weight, local languages besides English)
LOCATIONS = [
    ("London", "Europe/London", "UTC+00:00", 0.34, []),
    ("Manchester", "Europe/London", "UTC+00:00", 0.14, []),
    ("Edinburgh", "Europe/London", "UTC+00:00", 0.07, []),
    ("Berlin", "Europe/Berlin", "UTC+01:00", 0.08, ["German"]),
    ("Lisbon", "Europe/Lisbon", "UTC+00:00", 0.05, ["Portuguese"]),
    ("Lagos", "Africa/Lagos", "UTC+01:00", 0.06, ["Yoruba"]),
    ("Nairobi", "Africa/Nairobi", "UTC+03:00", 0.04, ["Swahili"]),
    ("Bengaluru", "Asia/Kolkata", "UTC+05:30", 0.08, ["Hindi"]),
    ("Singapore", "Asia/Singapore", "UTC+08:00", 0.04, ["Mandarin"]),
    ("New York", "America/New_York", "UTC-05:00", 0.06, ["Spanish"]),
    ("São Paulo", "America/Sao_Paulo", "UTC-03:00", 0.04, ["Portuguese"]),
]  # fmt: skip
FIRST = [
    "Ana",
    "Raj",
    "Priya",
    "Tom",
    "Chloe",
    "Kwame",
    "Mei",
    "Olu",
    "Sofia",
    "Liam",
    "Amara",
    "Jonas",
    "Fatima",
    "Diego",
    "Hannah",
    "Yusuf",
    "Ingrid",
    "Tariq",
    "Grace",
    "Kenji",
    "Aisha",
    "Mateo",
    "Zoe",
    "Ravi",
    "Nia",
    "Lukas",
    "Leila",
    "Owen",
    "Chidi",
    "Elif",
    "Sam",
    "Marta",
    "Ibrahim",
    "Freya",
    "Arjun",
    "Beatriz",
    "Noah",
    "Wanjiru",
    "Ewan",
    "Ji",
]
LAST = [
    "Smith",
    "Patel",
    "Okafor",
    "Garcia",
    "Chen",
    "Müller",
    "Kowalski",
    "O'Brien",
    "Silva",
    "Nguyen",
    "Mensah",
    "Khan",
    "Jones",
    "Rossi",
    "Kariuki",
    "Sato",
    "Fischer",
    "Ahmed",
    "Walker",
    "Costa",
    "Iyer",
    "Adeyemi",
    "Novak",
    "Hughes",
    "Lindqvist",
    "Haddad",
    "Byrne",
    "Tanaka",
    "Owusu",
    "Ferreira",
    "Murphy",
    "Yilmaz",
    "Das",
    "Campbell",
    "Ndlovu",
    "Berg",
]

Q = {
    "name": "What's your full name?",
    "role": "How would you like to take part in the mentoring programme?",
    "grade": "What is your current grade?",
    "team": "Which department are you in?",
    "office": "Which office are you based in?",
    "zone": "Which time zone do you usually work in?",
    "languages": "Which languages could you hold mentoring conversations in?",
    "goals": "Which three areas would you most like to grow in? (most important first)",
    "expertise": "Which topics could you mentor others in?",
    "capacity": "How many mentees could you take on this round?",
    "format": "How would you prefer to meet?",
    "preferred": "Is there anyone you would especially like to be matched with? (full names, "
    "separated by semicolons)",
    "avoid": "Is there anyone you would rather NOT be matched with? (full names, separated "
    "by semicolons)",
    "manager": "What is your line manager's email address?",
    "also": "Would you also like to join any of these?",
    "commitments": "How many mentoring relationships could you take part in overall?",
}
RANKS = ["First choice", "Second choice", "Third choice"]
ROLE_ANSWERS = {"mentor": "As a mentor", "mentee": "As a mentee", "both": "Both, mentor and mentee"}
ALSO_ANSWERS = {
    "peer": "A peer pair",
    "reverse_mentor": "Reverse mentoring: I'd teach a senior colleague",
    "reverse_mentee": "Reverse mentoring: I'd learn from a junior colleague",
    "circle": "A mentoring circle (a small group meeting monthly)",
}
#: Topics juniors often know better than seniors: what reverse mentoring is about.
NEW_TOPICS = [
    "Python",
    "Machine learning",
    "Cloud infrastructure",
    "Data visualisation",
    "Front-end development",
    "Content marketing",
]
FORMAT_ANSWERS = ["Video calls", "In person", "Either is fine"]
CAPACITY_ANSWERS = ["1", "2", "3", "4", "5 or more"]


def all_topics() -> list[str]:
    return sorted({*GENERAL_TOPICS, *(t for ts in DEPARTMENTS.values() for t in ts)})


def _people(
    rng: np.random.Generator,
    n_mentees: int,
    n_mentors: int,
    n_both: int,
    style: SampleStyle,
    other_tracks: bool,
) -> list[dict[str, Any]]:
    depts = list(DEPARTMENTS)
    dept_p = np.array(DEPARTMENT_SIZE) / sum(DEPARTMENT_SIZE)
    loc_p = np.array([loc[3] for loc in LOCATIONS])
    loc_p /= loc_p.sum()
    roles = ["mentee"] * n_mentees + ["mentor"] * n_mentors + ["both"] * n_both
    order = rng.permutation(len(roles))
    start = datetime(2026, 1, 5, 9, 0, 0)
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    names: set[str] = set()
    for k, idx in enumerate(order.tolist()):
        role = roles[idx]
        first, last = FIRST[rng.integers(len(FIRST))], LAST[rng.integers(len(LAST))]
        name = f"{first} {last}"
        tries = 0
        while name in names:  # Full names are rarely shared; a middle initial tells apart.
            # One initial gives 27 names per first and last name; past that (tens of
            # thousands of people) two or more, so that any size ends.
            middle = ". ".join(chr(65 + int(rng.integers(26))) for _ in range(1 + tries // 20))
            name = f"{first} {middle}. {last}"
            tries += 1
        names.add(name)
        handle = f"{first}.{last}".lower().replace("'", "").replace("ü", "u")
        email = f"{handle}@example.org"
        n = 2
        while email in used:
            email = f"{handle}{n}@example.org"
            n += 1
        used.add(email)
        share = MENTOR_SHARE if role in {"mentor", "both"} else JUNIOR_SHARE
        if role == "both":
            share = [0.0, 0.0, 0.25, 0.4, 0.25, 0.1, 0.0]
        grade = int(rng.choice(len(LADDER), p=np.array(share) / sum(share)))
        dept = depts[int(rng.choice(len(depts), p=dept_p))]
        loc = LOCATIONS[int(rng.choice(len(LOCATIONS), p=loc_p))]
        languages = ["English"] if rng.random() > 0.02 else []
        languages += [lang for lang in loc[4] if rng.random() < 0.6]
        if rng.random() < 0.05:
            languages.append(str(rng.choice(["Spanish", "French", "German", "Hindi"])))
        languages = list(dict.fromkeys(languages)) or ["English"]
        core = DEPARTMENTS[dept]
        row: dict[str, Any] = {
            "_role": role,
            "_grade": str(grade),
            "_dept": dept,
            "email": email,
            "name": name,
            "role": ROLE_ANSWERS[role],
            "grade": LADDER[grade],
            "team": dept,
            "office": loc[0],
            "zone": loc[2] + f" ({loc[0]})" if style is SampleStyle.GOOGLE else loc[1],
            "languages": languages,
            "format": FORMAT_ANSWERS[int(rng.choice(3, p=[0.22, 0.10, 0.68]))],
            "stamp": (start + timedelta(seconds=int(k * 97 + rng.integers(60)))).isoformat(),
        }
        if role in {"mentee", "both"}:
            pool = core + GENERAL_TOPICS
            weights = np.array([3.0] * len(core) + [1.0] * len(GENERAL_TOPICS))
            picks = rng.choice(len(pool), size=3, replace=False, p=weights / weights.sum())
            row["goals"] = [pool[i] for i in picks]
        if role in {"mentor", "both"}:
            count = int(rng.integers(2, 7))
            pool = core + GENERAL_TOPICS
            weights = np.array([4.0] * len(core) + [1.0 + grade / 3] * len(GENERAL_TOPICS))
            picks = rng.choice(
                len(pool), size=min(count, len(pool)), replace=False, p=weights / weights.sum()
            )
            row["expertise"] = sorted(pool[i] for i in picks)
            row["capacity"] = CAPACITY_ANSWERS[int(rng.choice(5, p=[0.3, 0.35, 0.2, 0.1, 0.05]))]
        rows.append(row)
    # Managers, preferences and avoidances point at other respondents.
    by_level: dict[tuple[str, int], list[int]] = {}
    for i, row in enumerate(rows):
        by_level.setdefault((row["_dept"], int(row["_grade"])), []).append(i)
    mentor_rows = [i for i, r in enumerate(rows) if r["_role"] in {"mentor", "both"}]
    for i, row in enumerate(rows):
        seniors = by_level.get((row["_dept"], int(row["_grade"]) + 1), [])
        if seniors and rng.random() < 0.5:
            row["manager"] = rows[seniors[int(rng.integers(len(seniors)))]]["email"]
        if row["_role"] != "mentor" and mentor_rows and rng.random() < 0.08:
            j = mentor_rows[int(rng.integers(len(mentor_rows)))]
            if j != i:
                row["preferred"] = rows[j]["name"]
        if rng.random() < 0.03:
            j = int(rng.integers(len(rows)))
            if j != i:
                row["avoid"] = rows[j]["name"]
    # Other tracks: peer pairs, and reverse mentoring where a junior teaches a senior.
    for row in rows if other_tracks else []:
        grade, also = int(row["_grade"]), []
        if rng.random() < (0.25 if row["_role"] != "mentor" else 0.15):
            also.append(ALSO_ANSWERS["peer"])
        if grade <= 2 and row["_role"] == "mentee" and rng.random() < 0.2:
            also.append(ALSO_ANSWERS["reverse_mentor"])
        if grade >= 4 and row["_role"] != "mentee" and rng.random() < 0.3:
            also.append(ALSO_ANSWERS["reverse_mentee"])
            row["goals"] = [*row.get("goals", []), str(rng.choice(NEW_TOPICS))][:3]
        if rng.random() < 0.2:
            also.append(ALSO_ANSWERS["circle"])
        if also and not row.get("expertise"):
            picks = rng.choice(len(NEW_TOPICS), size=2, replace=False)
            row["expertise"] = sorted(NEW_TOPICS[i] for i in picks)
        if also and not row.get("goals"):
            row["goals"] = [str(rng.choice(GENERAL_TOPICS))]
        row["also"] = also
        if rng.random() < 0.7:
            row["commitments"] = str(int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25])))
    # About 1% submit twice; the second submission changes an answer.
    for i in rng.choice(len(rows), size=max(1, len(rows) // 100), replace=False).tolist():
        again = dict(rows[i])
        again["format"] = FORMAT_ANSWERS[2]
        again["stamp"] = (
            datetime.fromisoformat(rows[-1]["stamp"]) + timedelta(minutes=5 + i)
        ).isoformat()
        rows.append(again)
    rows.sort(key=lambda r: r["stamp"])
    return rows


def _header(style: SampleStyle) -> list[str]:
    first = (
        ["Timestamp", "Email Address"]
        if style is SampleStyle.GOOGLE
        else ["ID", "Start time", "Completion time", "Email", "Name"]
    )
    goals = (
        [f"{Q['goals']} [{r}]" for r in RANKS]
        if style is SampleStyle.GOOGLE
        else [f"{Q['goals'].split('?')[0]}? ({r})" for r in RANKS]
    )
    middle = [Q["name"]] if style is SampleStyle.GOOGLE else []
    return [
        *first,
        *middle,
        Q["role"],
        Q["grade"],
        Q["team"],
        Q["office"],
        Q["zone"],
        Q["languages"],
        *goals,
        Q["expertise"],
        Q["capacity"],
        Q["format"],
        Q["preferred"],
        Q["avoid"],
        Q["manager"],
        Q["also"],
        Q["commitments"],
    ]


def _cells(row: dict[str, Any], k: int, style: SampleStyle) -> list[str]:
    stamp = datetime.fromisoformat(row["stamp"])
    shown = f"{stamp.month}/{stamp.day}/{stamp.year} {stamp:%H:%M:%S}"

    def many(values: object) -> str:
        items = list(values) if isinstance(values, list) else []
        if style is SampleStyle.GOOGLE:
            return ", ".join(items)
        return "".join(f"{v};" for v in items)

    goals = [*row.get("goals", []), "", "", ""]
    if style is SampleStyle.GOOGLE:
        first = [shown, row["email"], row["name"]]
    else:
        begun = stamp - timedelta(minutes=4)
        first = [
            str(k + 1),
            f"{begun.month}/{begun.day}/{begun.year} {begun:%H:%M:%S}",
            shown,
            row["email"],
            row["name"],
        ]
    return [
        *first,
        row["role"],
        row["grade"],
        row["team"],
        row["office"],
        row["zone"],
        many(row["languages"]),
        *goals[:3],
        many(row.get("expertise", [])),
        row.get("capacity", ""),
        row["format"],
        row.get("preferred", ""),
        row.get("avoid", ""),
        row.get("manager", ""),
        many(row.get("also", [])),
        row.get("commitments", ""),
    ]


def survey_csv(
    *,
    size: int | None = None,
    seed: int = 0,
    style: SampleStyle = SampleStyle.GOOGLE,
    mentees: int | None = None,
    mentors: int | None = None,
    other_tracks: bool = True,
) -> str:
    """A survey as CSV text: ``size`` respondents split like a real sign-up (about 70%
    mentees, 22% mentors, 8% both), or exactly ``mentees`` and ``mentors``.

    ``other_tracks`` adds peer and reverse-mentoring sign-ups and a commitments answer;
    without it the survey is classic mentoring only (the issue-2 benchmark instance).
    """
    rng = np.random.default_rng(seed)
    if mentees is None or mentors is None:
        total = size or 200
        n_both = max(1, round(total * 0.08))
        n_mentors = max(1, round(total * 0.22))
        n_mentees = max(1, total - n_both - n_mentors)
    else:
        n_mentees, n_mentors, n_both = mentees, mentors, 0
    rows = _people(rng, n_mentees, n_mentors, n_both, style, other_tracks)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_header(style))
    for k, row in enumerate(rows):
        writer.writerow([neutralise(c) for c in _cells(row, k, style)])
    return buffer.getvalue()


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def survey_tables(
    *,
    name_column: str,
    goal_columns: Sequence[str],
    topics: Sequence[str],
    ladder: Sequence[str],
    commitments: bool = True,
) -> str:
    """The ``[columns]``, ``[options]`` and ``[answers]`` tables that read a survey asked
    with this module's questions (also what ``benchmarks.population`` writes), then the
    ladder and the program's defaults and rules."""
    commitments_line = f'commitments = "{Q["commitments"]}"\n' if commitments else ""
    return f'''[columns]
name = "{name_column}"
roles = ["{Q["role"]}", "{Q["also"]}"]
{commitments_line}seniority = "{Q["grade"]}"
department = "{Q["team"]}"
location = "{Q["office"]}"
timezone = "{Q["zone"]}"
languages = "{Q["languages"]}"
goals = {_toml_list(list(goal_columns))}
expertise = "{Q["expertise"]}"
capacity = "{Q["capacity"]}"
format = "{Q["format"]}"
preferred = "Is there anyone you would especially like"
avoid = "Is there anyone you would rather NOT"
manager = "{Q["manager"]}"

[options]
goals = {_toml_list(list(topics))}
expertise = {_toml_list(list(topics))}
roles = {_toml_list([*ROLE_ANSWERS.values(), *ALSO_ANSWERS.values()])}

[answers.roles]
"{ROLE_ANSWERS["mentor"]}" = ["mentor"]
"{ROLE_ANSWERS["mentee"]}" = ["mentee"]
"{ROLE_ANSWERS["both"]}" = ["mentor", "mentee"]
"{ALSO_ANSWERS["peer"]}" = ["peer"]
"{ALSO_ANSWERS["reverse_mentor"]}" = ["reverse_mentor"]
"{ALSO_ANSWERS["reverse_mentee"]}" = ["reverse_mentee"]
"{ALSO_ANSWERS["circle"]}" = ["circle"]

[answers.format]
"Video calls" = "virtual"
"In person" = "in_person"
"Either is fine" = "either"

[seniority]
ladder = {_toml_list(list(ladder))}

[mentoring]
default_capacity = 2
default_demand = 1

[rules]
min_seniority_gap = 1
require_shared_language = true
'''


def config_toml(style: SampleStyle, name: str = "Sample mentoring programme") -> str:
    """The program config that reads a survey written by ``survey_csv``."""
    goals = (
        [f"{Q['goals']} [{r}]" for r in RANKS]
        if style is SampleStyle.GOOGLE
        else [f"{Q['goals'].split('?')[0]}? ({r})" for r in RANKS]
    )
    name_column = Q["name"] if style is SampleStyle.GOOGLE else "Name"
    return f'''# Program config for a synthetic survey written by `cohort-match sample`.
# Every key is explained in data/sample_program.toml.
name = "{name}"

[intake]
preset = "{style.value}"
id = "email"

{survey_tables(name_column=name_column, goal_columns=goals, topics=all_topics(), ladder=LADDER)}'''


def write_sample(
    out: Path, *, size: int, seed: int, style: SampleStyle = SampleStyle.GOOGLE
) -> tuple[Path, Path]:
    """Write the survey and its config (same stem, ``.toml``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    config_path = out.with_suffix(".toml")
    out.write_text(survey_csv(size=size, seed=seed, style=style), encoding="utf-8")
    config_path.write_text(config_toml(style), encoding="utf-8")
    return out, config_path
