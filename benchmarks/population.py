"""A realistic synthetic population for benchmarks, calibrated on the Stack Overflow slice.

Uniform noise makes matching easy: every mentor suits every mentee about equally. Real
programs have popular topics and scarce experts, a seniority pyramid, a few large
departments and a long tail of countries. ``calibrate`` derives those distributions from
``../shared/data/real/`` (aggregates only) into ``benchmarks/calibration.json``; ``generate``
draws a population from them with numpy, 100,000 mentees x 20,000 mentors in seconds.

``python -m benchmarks.population --calibrate`` recomputes the JSON from the real data,
``--report`` rewrites ``benchmarks/CALIBRATION.md``, ``--csv OUT`` writes a survey and its
config for ``cohort-match run``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from matcher.config import ProgramConfig
from matcher.intake import Survey
from matcher.models import Expertise, MeetingFormat, Participant, Role
from matcher.output import neutralise
from matcher.sample import ALSO_ANSWERS, FIRST, LAST, RANKS, ROLE_ANSWERS, Q, survey_tables

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REAL_DIR = ROOT.parent / "shared" / "data" / "real"
SO_FILE = "so_survey_2023_first595.csv"
ONET_FILE = Path("onet") / "Technology Skills.txt"
CALIBRATION_JSON = HERE / "calibration.json"
CALIBRATION_MD = HERE / "CALIBRATION.md"

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
T = TypeVar("T")

#: Languages named by fewer respondents (worked with or wanted) are left out: too few
#: answers for a share, and a topic nobody offers only adds unmatched noise.
MIN_MENTIONS = 8
#: Ladder (junior first) and the professional years of coding (``YearsCodePro``) each
#: level starts at; the labels are matcher/sample.py's so configs stay familiar.
LADDER = ["Apprentice", "Associate", "Mid-level", "Senior", "Lead", "Principal", "Director"]
LADDER_FROM_YEARS = [0, 1, 3, 6, 11, 16, 21]
#: Most goals a mentee ranks (the survey asks for three) and most topics a person offers.
MAX_GOALS = 3
MAX_EXPERTISE = 12
#: ``DevType`` answers grouped into departments; unlisted answers (NA, Student, Other)
#: are not staff roles and are left out of the shares.
DEPARTMENT_OF: dict[str, str] = {
    "Developer, full-stack": "Full-stack development",
    "Developer, back-end": "Back-end development",
    "Developer, front-end": "Front-end and design",
    "Designer": "Front-end and design",
    "Developer, mobile": "Mobile",
    "Developer, desktop or enterprise applications": "Desktop and games",
    "Developer, game or graphics": "Desktop and games",
    "Developer, embedded applications or devices": "Embedded and hardware",
    "Hardware Engineer": "Embedded and hardware",
    "Data scientist or machine learning specialist": "Data and ML",
    "Engineer, data": "Data and ML",
    "Data or business analyst": "Data and ML",
    "Database administrator": "Data and ML",
    "System administrator": "Platform and quality",
    "Cloud infrastructure engineer": "Platform and quality",
    "DevOps specialist": "Platform and quality",
    "Engineer, site reliability": "Platform and quality",
    "Security professional": "Platform and quality",
    "Developer Experience": "Platform and quality",
    "Developer, QA or test": "Platform and quality",
    "Academic researcher": "Research",
    "Research & Development role": "Research",
    "Blockchain": "Research",
    "Educator": "Research",
    "Engineering manager": "Management and product",
    "Senior Executive (C-Suite, VP, etc.)": "Management and product",
    "Product manager": "Management and product",
    "Project manager": "Management and product",
    "Developer Advocate": "Management and product",
}
#: ``RemoteWork`` answer -> how the person would meet.
FORMAT_OF = {
    "Remote": MeetingFormat.VIRTUAL,
    "In-person": MeetingFormat.IN_PERSON,
    "Hybrid (some remote, some in-person)": MeetingFormat.EITHER,
}
FORMAT_ANSWER = {
    MeetingFormat.VIRTUAL: "Video calls",
    MeetingFormat.IN_PERSON: "In person",
    MeetingFormat.EITHER: "Either is fine",
}
#: SO country -> (location label, standard-time UTC offsets with population weights, local
#: languages). Several offsets only where a country spans zones its developers live in.
#: An assumption table, not data: standard time (no daylight saving), official languages.
COUNTRIES: dict[str, tuple[str, tuple[tuple[float, float], ...], tuple[str, ...]]] = {
    "Germany": ("Germany", ((1, 1),), ("German",)),
    "United States of America": (
        "United States", ((-5, 0.47), (-6, 0.29), (-7, 0.07), (-8, 0.17)), ("English",)),
    "India": ("India", ((5.5, 1),), ("Hindi", "English")),
    "United Kingdom of Great Britain and Northern Ireland": (
        "United Kingdom", ((0, 1),), ("English",)),
    "Italy": ("Italy", ((1, 1),), ("Italian",)),
    "Netherlands": ("Netherlands", ((1, 1),), ("Dutch",)),
    "Poland": ("Poland", ((1, 1),), ("Polish",)),
    "France": ("France", ((1, 1),), ("French",)),
    "Australia": ("Australia", ((10, 0.8), (9.5, 0.08), (8, 0.12)), ("English",)),
    "Spain": ("Spain", ((1, 1),), ("Spanish",)),
    "Austria": ("Austria", ((1, 1),), ("German",)),
    "Sweden": ("Sweden", ((1, 1),), ("Swedish",)),
    "Turkey": ("Turkey", ((3, 1),), ("Turkish",)),
    "Brazil": ("Brazil", ((-3, 1),), ("Portuguese",)),
    "Canada": ("Canada", ((-5, 0.62), (-6, 0.07), (-7, 0.13), (-8, 0.18)), ("English", "French")),
    "Switzerland": ("Switzerland", ((1, 1),), ("German", "French")),
    "Iran, Islamic Republic of...": ("Iran", ((3.5, 1),), ("Persian",)),
    "Russian Federation": ("Russia", ((3, 1),), ("Russian",)),
    "Belgium": ("Belgium", ((1, 1),), ("Dutch", "French")),
    "Denmark": ("Denmark", ((1, 1),), ("Danish",)),
    "Ukraine": ("Ukraine", ((2, 1),), ("Ukrainian",)),
    "Finland": ("Finland", ((2, 1),), ("Finnish",)),
    "Portugal": ("Portugal", ((0, 1),), ("Portuguese",)),
    "Sri Lanka": ("Sri Lanka", ((5.5, 1),), ("Sinhala",)),
    "Greece": ("Greece", ((2, 1),), ("Greek",)),
    "Israel": ("Israel", ((2, 1),), ("Hebrew",)),
    "China": ("China", ((8, 1),), ("Mandarin",)),
    "Bangladesh": ("Bangladesh", ((6, 1),), ("Bengali",)),
    "Norway": ("Norway", ((1, 1),), ("Norwegian",)),
    "Lithuania": ("Lithuania", ((2, 1),), ("Lithuanian",)),
    "Serbia": ("Serbia", ((1, 1),), ("Serbian",)),
    "Egypt": ("Egypt", ((2, 1),), ("Arabic",)),
    "Latvia": ("Latvia", ((2, 1),), ("Latvian",)),
    "Hungary": ("Hungary", ((1, 1),), ("Hungarian",)),
    "Croatia": ("Croatia", ((1, 1),), ("Croatian",)),
    "Indonesia": ("Indonesia", ((7, 1),), ("Indonesian",)),
    "Slovakia": ("Slovakia", ((1, 1),), ("Slovak",)),
    "Czech Republic": ("Czechia", ((1, 1),), ("Czech",)),
    "Slovenia": ("Slovenia", ((1, 1),), ("Slovenian",)),
    "Romania": ("Romania", ((2, 1),), ("Romanian",)),
    "Uzbekistan": ("Uzbekistan", ((5, 1),), ("Uzbek",)),
    "Ireland": ("Ireland", ((0, 1),), ("English",)),
    "Nigeria": ("Nigeria", ((1, 1),), ("English",)),
    "South Africa": ("South Africa", ((2, 1),), ("English",)),
    "Argentina": ("Argentina", ((-3, 1),), ("Spanish",)),
    "Lebanon": ("Lebanon", ((2, 1),), ("Arabic",)),
    "Cyprus": ("Cyprus", ((2, 1),), ("Greek",)),
    "Pakistan": ("Pakistan", ((5, 1),), ("Urdu", "English")),
    "Singapore": ("Singapore", ((8, 1),), ("English",)),
    "Nepal": ("Nepal", ((5.75, 1),), ("Nepali",)),
    "Luxembourg": ("Luxembourg", ((1, 1),), ("French", "German")),
    "Kenya": ("Kenya", ((3, 1),), ("English", "Swahili")),
    "Morocco": ("Morocco", ((1, 1),), ("Arabic", "French")),
    "Estonia": ("Estonia", ((2, 1),), ("Estonian",)),
    "Georgia": ("Georgia", ((4, 1),), ("Georgian",)),
    "Philippines": ("Philippines", ((8, 1),), ("English", "Filipino")),
    "Albania": ("Albania", ((1, 1),), ("Albanian",)),
    "Bahrain": ("Bahrain", ((3, 1),), ("Arabic",)),
    "United Arab Emirates": ("United Arab Emirates", ((4, 1),), ("Arabic",)),
    "Kosovo": ("Kosovo", ((1, 1),), ("Albanian",)),
    "Tunisia": ("Tunisia", ((1, 1),), ("Arabic",)),
    "Republic of Korea": ("South Korea", ((9, 1),), ("Korean",)),
    "Viet Nam": ("Vietnam", ((7, 1),), ("Vietnamese",)),
    "Dominican Republic": ("Dominican Republic", ((-4, 1),), ("Spanish",)),
    "Belarus": ("Belarus", ((3, 1),), ("Russian",)),
    "Isle of Man": ("Isle of Man", ((0, 1),), ("English",)),
    "Bulgaria": ("Bulgaria", ((2, 1),), ("Bulgarian",)),
    "The former Yugoslav Republic of Macedonia": ("North Macedonia", ((1, 1),), ("Macedonian",)),
    "Benin": ("Benin", ((1, 1),), ("French",)),
    "Qatar": ("Qatar", ((3, 1),), ("Arabic",)),
    "Japan": ("Japan", ((9, 1),), ("Japanese",)),
    "Venezuela, Bolivarian Republic of...": ("Venezuela", ((-4, 1),), ("Spanish",)),
}  # fmt: skip
#: Answers that name no place (left out of the location shares).
NO_COUNTRY = {"NA", "Nomadic"}

# Assumptions the survey cannot inform (documented in CALIBRATION.md).
#: Share of people outside English-speaking countries who can mentor in English.
ENGLISH_ABROAD = 0.92
#: Share who can also mentor in a second local language of their country.
SECOND_LOCAL = 0.6
#: Mentees per mentor a mentor offers: 1, 2, 3, 4, 5.
CAPACITY_SHARE = (0.30, 0.35, 0.20, 0.10, 0.05)
#: Share of the mentors who are also mentees (mid-career people often are both).
BOTH_SHARE = 0.10
#: Shares with a line manager among the respondents, naming a mentor they would like,
#: and naming someone to avoid.
MANAGER_SHARE, PREFERRED_SHARE, AVOID_SHARE = 0.5, 0.08, 0.03
#: The reference population the topic boosts are fitted on: size, seed, steps.
FIT_PEOPLE, FIT_SEED, FIT_STEPS = 40_000, 2023, 12


class Calibration(BaseModel):
    """Aggregated distributions derived from the real data; no respondent rows.

    Shares are rounded to 4 decimals, so recomputing from the same files gives an
    identical object. Matrices are lists of rows indexed like ``topics``."""

    model_config = ConfigDict(frozen=True)

    source: str
    source_sha256: str
    respondents: int
    topics: list[str]
    worked_count: list[int]
    wanted_count: list[int]
    #: P(worked with j), P(wants j), P(wants j and has not worked with it: a learning goal)
    worked_share: list[float]
    wanted_share: list[float]
    learning_share: list[float]
    #: P(worked with j | worked with i): languages known together.
    worked_given_worked: list[list[float]]
    #: P(learning goal j | worked with i): what people who know i want to learn.
    learning_given_worked: list[list[float]]
    #: Topic weight multipliers fitted so generated marginals match (``_fit_boosts``).
    worked_boost: list[float]
    learning_boost: list[float]
    #: Learning goals per person who has any: P(1), P(2), P(3 or more).
    goals_count_share: list[float]
    onet_hot: list[bool]
    onet_occupations: list[int]
    ladder: list[str]
    ladder_from_years: list[int]
    professionals: int
    #: Share of professionals at each ladder level (``YearsCodePro``): the pyramid.
    level_share: list[float]
    #: Mean languages worked with, per level: seniors know more.
    known_per_level: list[float]
    departments: list[str]
    department_share: list[float]
    #: P(worked with j | department).
    topics_given_department: list[list[float]]
    locations: list[str]
    location_share: list[float]
    #: Derived from locations through ``COUNTRIES``: UTC offsets and spoken languages.
    utc_offsets: list[float]
    utc_offset_share: list[float]
    format_share: dict[str, float]


def _round(values: Floats | list[float]) -> list[float]:
    return [round(float(v), 4) for v in values]


def _normalise(values: Floats) -> Floats:
    total = values.sum()
    return values / total if total > 0 else values


def _split(cell: str) -> list[str]:
    return [] if cell in ("", "NA") else cell.split(";")


def _level_of(years: str) -> int | None:
    """Ladder level of a ``YearsCodePro`` answer; None when not a professional."""
    if years == "Less than 1 year":
        value = 0
    elif years.isdigit():
        value = int(years)
    else:
        return None
    return int(np.searchsorted(LADDER_FROM_YEARS, value, side="right")) - 1


#: O*NET's names for languages it does not list under the Stack Overflow label.
ONET_ALIASES = {
    "HTML/CSS": ["Hypertext markup language HTML", "Cascading style sheets CSS"],
    "SQL": ["Structured query language SQL"],
    "Java": ["Oracle Java"],
    "Bash/Shell (all shells)": ["Bash", "Shell script"],
    "PHP": ["Hypertext preprocessor PHP"],
    "PowerShell": ["Microsoft PowerShell"],
    "Rust": ["Rust programming language"],
    "Groovy": ["Apache Groovy"],
    "Visual Basic (.Net)": ["Microsoft Visual Basic.NET"],
    "MATLAB": ["The MathWorks MATLAB"],
    "VBA": ["Microsoft Visual Basic for Applications VBA"],
    "Delphi": ["Embarcadero Delphi"],
    "Objective-C": ["Objective C"],
}


def _onet(path: Path, topics: list[str]) -> tuple[list[bool], list[int]]:
    """Whether O*NET flags a topic as a Hot Technology, and how many occupations list it
    (an example named as the language, or by its ``ONET_ALIASES``)."""
    names = {t.lower(): t for t in topics}
    names.update({a.lower(): t for t, aliases in ONET_ALIASES.items() for a in aliases})
    hot: dict[str, bool] = {}
    occupations: dict[str, set[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            topic = names.get(row["Example"].strip().lower())
            if topic is not None:
                hot[topic] = hot.get(topic, False) or row["Hot Technology"] == "Y"
                occupations.setdefault(topic, set()).add(row["O*NET-SOC Code"])
    return [hot.get(t, False) for t in topics], [len(occupations.get(t, ())) for t in topics]


def calibrate(real_dir: Path = REAL_DIR) -> Calibration:
    """Derive every distribution the generator uses from the Stack Overflow slice (and
    O*NET's Hot Technology flags), aggregated and rounded."""
    path = real_dir / SO_FILE
    raw = path.read_bytes()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    worked_sets = [set(_split(r["LanguageHaveWorkedWith"])) for r in rows]
    wanted_sets = [set(_split(r["LanguageWantToWorkWith"])) for r in rows]
    mentions: dict[str, int] = {}
    for person_worked, person_wanted in zip(worked_sets, wanted_sets, strict=True):
        for topic in person_worked | person_wanted:
            mentions[topic] = mentions.get(topic, 0) + 1
    worked_all = {t: sum(t in s for s in worked_sets) for t in mentions}
    wanted_all = {t: sum(t in s for s in wanted_sets) for t in mentions}
    topics = sorted(
        (t for t in mentions if max(worked_all[t], wanted_all[t]) >= MIN_MENTIONS),
        key=lambda t: (-worked_all[t], t),
    )
    index = {t: k for k, t in enumerate(topics)}
    # People who answered the worked-with question: the base of every topic share.
    answered = [k for k, s in enumerate(worked_sets) if s & index.keys()]
    worked = np.zeros((len(answered), len(topics)), dtype=np.float64)
    wanted = np.zeros_like(worked)
    for r, k in enumerate(answered):
        worked[r, [index[t] for t in worked_sets[k] if t in index]] = 1
        wanted[r, [index[t] for t in wanted_sets[k] if t in index]] = 1
    learning = wanted * (1 - worked)
    counts = worked.sum(axis=0)
    together = worked.T @ worked / counts[:, None]
    learn_given = worked.T @ learning / counts[:, None]
    goals = learning.sum(axis=1)
    goals_hist = np.array([(goals == 1).sum(), (goals == 2).sum(), (goals >= 3).sum()], float)

    levels = [_level_of(rows[k]["YearsCodePro"]) for k in answered]
    pro = np.array([lv for lv in levels if lv is not None])
    level_share = np.bincount(pro, minlength=len(LADDER)) / len(pro)
    known = worked.sum(axis=1)
    known_per_level = [
        float(known[[lv == level for lv in levels]].mean()) for level in range(len(LADDER))
    ]

    departments = sorted(set(DEPARTMENT_OF.values()))
    dept_of_row = [DEPARTMENT_OF.get(rows[k]["DevType"]) for k in answered]
    dept_counts = np.array([sum(d == name for d in dept_of_row) for name in departments], float)
    order = np.argsort(-dept_counts, kind="stable")
    departments = [departments[k] for k in order]
    topics_given_dept = [
        worked[[d == name for d in dept_of_row]].mean(axis=0) for name in departments
    ]

    country_counts: dict[str, int] = {}
    for row in rows:
        country = row["Country"]
        if country not in NO_COUNTRY:
            if country not in COUNTRIES:
                raise ValueError(f"{path}: country {country!r} is not in COUNTRIES; add it")
            label = COUNTRIES[country][0]
            country_counts[label] = country_counts.get(label, 0) + 1
    locations = sorted(country_counts, key=lambda c: (-country_counts[c], c))
    location_share = np.array([country_counts[c] for c in locations], float)
    location_share /= location_share.sum()
    offsets: dict[float, float] = {}
    for location, share in zip(locations, location_share, strict=True):
        for offset, weight in _country(location)[1]:
            offsets[offset] = offsets.get(offset, 0.0) + share * weight
    formats = {f: sum(FORMAT_OF.get(r["RemoteWork"]) is f for r in rows) for f in MeetingFormat}
    total_formats = sum(formats.values())
    hot, occupations = _onet(real_dir / ONET_FILE, topics)
    unfitted = Calibration(
        source=f"shared/data/real/{SO_FILE}",
        source_sha256=hashlib.sha256(raw).hexdigest(),
        respondents=len(answered),
        topics=topics,
        worked_count=[int(c) for c in counts],
        wanted_count=[int(c) for c in wanted.sum(axis=0)],
        worked_share=_round(worked.mean(axis=0)),
        wanted_share=_round(wanted.mean(axis=0)),
        learning_share=_round(learning.mean(axis=0)),
        worked_given_worked=[_round(row) for row in together],
        learning_given_worked=[_round(row) for row in learn_given],
        worked_boost=[1.0] * len(topics),
        learning_boost=[1.0] * len(topics),
        goals_count_share=_round(goals_hist / goals_hist.sum()),
        onet_hot=hot,
        onet_occupations=occupations,
        ladder=LADDER,
        ladder_from_years=LADDER_FROM_YEARS,
        professionals=len(pro),
        level_share=_round(level_share),
        known_per_level=_round(known_per_level),
        departments=departments,
        department_share=_round(dept_counts[order] / dept_counts.sum()),
        topics_given_department=[_round(row) for row in topics_given_dept],
        locations=locations,
        location_share=_round(location_share),
        utc_offsets=sorted(offsets),
        utc_offset_share=_round(np.array([offsets[o] for o in sorted(offsets)])),
        format_share={f.value: round(n / total_formats, 4) for f, n in formats.items()},
    )
    return _fit_boosts(unfitted)


def _country(location: str) -> tuple[str, tuple[tuple[float, float], ...], tuple[str, ...]]:
    for entry in COUNTRIES.values():
        if entry[0] == location:
            return entry
    raise KeyError(location)


def load_calibration(path: Path = CALIBRATION_JSON) -> Calibration:
    """The committed calibration: benchmarks run without the real data folder."""
    return Calibration.model_validate_json(path.read_text(encoding="utf-8"))


def calibration_json(calibration: Calibration) -> str:
    """Compact JSON, one matrix row per line, so diffs stay readable."""
    data = calibration.model_dump()
    lines = ["{"]
    items = list(data.items())
    for k, (key, value) in enumerate(items):
        comma = "," if k < len(items) - 1 else ""
        if isinstance(value, list) and value and isinstance(value[0], list):
            inner = ",\n".join(f"    {_json(row)}" for row in value)
            lines.append(f'  "{key}": [\n{inner}\n  ]{comma}')
        else:
            lines.append(f'  "{key}": {_json(value)}{comma}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _json(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def role_level_share(calibration: Calibration, role: str) -> Floats:
    """Ladder shares of mentees, mentors or people who are both. Willingness to mentor
    rises with seniority and the wish for a mentor falls: the pyramid tilted by the level
    (mentors) or the levels above (mentees), so nobody is a mentee at the top."""
    pyramid = np.array(calibration.level_share)
    up = np.arange(len(pyramid), dtype=np.float64)
    down = up[::-1].copy()
    tilt = {"mentee": down, "mentor": up, "both": up * down}[role]
    return _normalise(pyramid * tilt)


@dataclass(frozen=True)
class Population:
    """A generated population as arrays (one row per person), and the labels they index."""

    calibration: Calibration
    seed: int
    roles: list[tuple[Role, ...]]
    is_mentee: Bools
    is_mentor: Bools
    level: Ints  # ladder index, junior = 0
    department: Ints
    location: Ints
    utc_offset: Floats
    languages: list[tuple[str, ...]]
    known: Bools  # people x topics: worked with (offered when the person teaches)
    goals: Ints  # people x MAX_GOALS: topic indices, ranked, -1 when fewer
    capacity: Ints  # mentees a mentor takes; 0 for others
    format: list[MeetingFormat]
    manager: Ints  # index of the line manager, -1 for none
    preferred: Ints  # index of the person asked for, -1 for none
    avoid: Ints  # index of the person to avoid, -1 for none
    names: list[str]
    emails: list[str]

    def __len__(self) -> int:
        return len(self.roles)

    def teaches(self) -> Bools:
        offering = {Role.MENTOR, Role.PEER, Role.REVERSE_MENTOR, Role.CIRCLE}
        return np.array([bool(offering.intersection(r)) for r in self.roles])

    def asks(self) -> Bools:
        asking = {Role.MENTEE, Role.PEER, Role.REVERSE_MENTEE, Role.CIRCLE}
        return np.array([bool(asking.intersection(r)) for r in self.roles])

    def participants(self) -> list[Participant]:
        """The pipeline's people. Each is a copy of one validated prototype with its
        fields replaced (the arrays are valid by construction): 120,000 people in about
        a second, where validating each would take ten."""
        cal = self.calibration
        n = len(self)
        expertise = _row_tuples(self.known & self.teaches()[:, None], [
            Expertise(topic=t) for t in cal.topics
        ])  # fmt: skip
        goals = _row_tuples(self.asks()[:, None] & (self.goals >= 0), cal.topics, self.goals)
        offsets = self.utc_offset.tolist()
        labels = {o: _offset_label(o) for o in set(offsets)}
        levels, departments = self.level.tolist(), self.department.tolist()
        locations, capacity = self.location.tolist(), self.capacity.tolist()
        is_mentor = self.is_mentor.tolist()
        manager, preferred, avoid = (a.tolist() for a in (self.manager, self.preferred, self.avoid))
        emails = self.emails
        prototype = Participant(id="prototype", name="prototype", roles=(Role.MENTEE,))
        people: list[Participant] = []
        for i in range(n):
            location = cal.locations[locations[i]]
            update = {
                "id": emails[i],
                "name": self.names[i],
                "email": emails[i],
                "roles": self.roles[i],
                "goals": goals[i],
                "expertise": expertise[i],
                "seniority": levels[i] + 1,
                "seniority_label": cal.ladder[levels[i]],
                "department": cal.departments[departments[i]],
                "location": location,
                "timezone": f"{labels[offsets[i]]} ({location})",
                "utc_offset": offsets[i],
                "languages": self.languages[i],
                "capacity": capacity[i] if is_mentor[i] else None,
                "format": self.format[i],
                "preferred": (emails[preferred[i]],) if preferred[i] >= 0 else (),
                "avoid": (emails[avoid[i]],) if avoid[i] >= 0 else (),
                "manager": emails[manager[i]] if manager[i] >= 0 else None,
                "category_demand": {},
                "category_capacity": {},
                "attributes": {},
            }
            people.append(prototype.model_copy(update=update))
        return people

    def survey(self) -> Survey:
        return Survey(participants=self.participants(), warnings=[])


def _row_tuples(
    mask: Bools, labels: Sequence[T], columns: Ints | None = None
) -> list[tuple[T, ...]]:
    """Per row, the labels of its true cells, in column order (or of ``columns``' values
    where given): one nonzero over the whole matrix, not one per row."""
    rows, cols = np.nonzero(mask)
    values = cols if columns is None else columns[rows, cols]
    ends = np.cumsum(np.bincount(rows, minlength=mask.shape[0])).tolist()
    flat = [labels[v] for v in values.tolist()]
    starts = [0, *ends[:-1]]
    return [tuple(flat[a:b]) for a, b in zip(starts, ends, strict=True)]


def _offset_label(hours: float) -> str:
    sign = "+" if hours >= 0 else "-"
    minutes = round(abs(hours) * 60)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _gumbel(rng: np.random.Generator, shape: tuple[int, int]) -> Floats:
    return -np.log(-np.log(rng.random(shape)))


def _ranked(rng: np.random.Generator, weights: Floats) -> Ints:
    """Each row's columns in a random order drawn without replacement with probability
    proportional to ``weights`` (Gumbel top-k); zero weights come last."""
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + _gumbel(rng, weights.shape)
    return np.argsort(-keys, axis=1, kind="stable").astype(np.int64)


def _categorical(rng: np.random.Generator, p: Floats, size: int) -> Ints:
    return rng.choice(len(p), size=size, p=_normalise(p)).astype(np.int64)


def _unique_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Distinct 'First M. Last' names (two initials past 37,440 people) and their e-mails."""
    initials = [chr(65 + k) for k in range(26)]
    if n > len(FIRST) * len(LAST) * 26:
        initials = [a + ". " + b for a in initials for b in initials]
    pool = len(FIRST) * len(LAST) * len(initials)
    if n > pool:
        raise ValueError(f"at most {pool} distinct names; asked for {n}")
    picks = rng.choice(pool, size=n, replace=False)
    first, rest = np.divmod(picks, len(LAST) * len(initials))
    middle, last = np.divmod(rest, len(LAST))
    names, emails = [], []
    for f, m, la in zip(first.tolist(), middle.tolist(), last.tolist(), strict=True):
        names.append(f"{FIRST[f]} {initials[m]}. {LAST[la]}")
        handle = f"{FIRST[f]}.{initials[m].replace('. ', '')}.{LAST[la]}"
        emails.append(handle.lower().replace("'", "").replace("ü", "u") + "@example.org")
    return names, emails


def _pick_in_group(rng: np.random.Generator, group: Ints, target: Ints, n_groups: int) -> Ints:
    """For each row, a random row of group ``target`` (-1 where that group is empty or
    the target is -1), vectorised over sorted group starts."""
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    valid = target >= 0
    safe = np.where(valid, target, 0)
    size = np.where(valid, counts[safe], 0)
    offset = np.floor(rng.random(len(target)) * np.maximum(size, 1)).astype(np.int64)
    pick = order[np.minimum(starts[safe] + offset, len(order) - 1)]
    return np.where(size > 0, pick, -1).astype(np.int64)


def generate(
    n_mentees: int,
    n_mentors: int,
    seed: int = 0,
    calibration: Calibration | None = None,
    *,
    both_share: float = BOTH_SHARE,
    other_tracks: bool = False,
) -> Population:
    """Draw exactly ``n_mentees`` people with the mentee role and ``n_mentors`` with the
    mentor role (``both_share`` of the mentors hold both); ``other_tracks`` adds peer,
    reverse-mentoring and circle sign-ups. Deterministic for a seed; numpy throughout."""
    cal = calibration or load_calibration()
    rng = np.random.default_rng(seed)
    n_both = min(round(both_share * n_mentors), n_mentees, n_mentors)
    n = n_mentees + n_mentors - n_both
    kind = np.repeat(np.arange(3), [n_mentees - n_both, n_mentors - n_both, n_both])
    kind = kind[rng.permutation(n)]  # 0 mentee, 1 mentor, 2 both
    is_mentee, is_mentor = kind != 1, kind != 0
    n_levels = len(cal.ladder)

    # Seniority: the pyramid tilted by role.
    level = np.zeros(n, dtype=np.int64)
    for k, role in enumerate(("mentee", "mentor", "both")):
        rows = np.flatnonzero(kind == k)
        level[rows] = _categorical(rng, role_level_share(cal, role), len(rows))
    department = _categorical(rng, np.array(cal.department_share), n)
    location = _categorical(rng, np.array(cal.location_share), n)

    known, n_known = _draw_known(rng, cal, department, level)
    goals = _draw_goals(rng, cal, known, n_known)

    # Languages spoken: the country's, and English for most.
    local = [_country(loc)[2] for loc in cal.locations]
    english_abroad = rng.random(n) < ENGLISH_ABROAD
    second = rng.random(n) < SECOND_LOCAL
    languages: list[tuple[str, ...]] = []
    for loc, eng, sec in zip(
        location.tolist(), english_abroad.tolist(), second.tolist(), strict=True
    ):
        spoken = local[loc][:2] if sec else local[loc][:1]
        if eng or "English" in local[loc]:
            spoken = ("English", *(s for s in spoken if s != "English"))
        languages.append(spoken)

    # Time zone within the country.
    utc_offset = np.zeros(n)
    u = rng.random(n)
    for k, loc in enumerate(cal.locations):
        rows = np.flatnonzero(location == k)
        zones = _country(loc)[1]
        if len(zones) == 1:
            utc_offset[rows] = zones[0][0]
        else:
            cdf = np.cumsum([w for _, w in zones]) / sum(w for _, w in zones)
            pick = np.minimum(np.searchsorted(cdf, u[rows], side="right"), len(zones) - 1)
            utc_offset[rows] = np.array([o for o, _ in zones])[pick]

    capacity = np.where(is_mentor, 1 + _categorical(rng, np.array(CAPACITY_SHARE), n), 0)
    formats = list(MeetingFormat)
    format_p = np.array([cal.format_share[f.value] for f in formats])
    meeting = [formats[k] for k in _categorical(rng, format_p, n)]

    # Managers one level up in the same department; preferences point at mentors.
    group = department * n_levels + level
    above = np.where(level + 1 < n_levels, group + 1, -1)
    above = np.where(rng.random(n) < MANAGER_SHARE, above, -1)
    manager = _pick_in_group(rng, group, above, len(cal.departments) * n_levels)
    mentors = np.flatnonzero(is_mentor)
    preferred = np.where(
        is_mentee & (rng.random(n) < PREFERRED_SHARE), mentors[rng.integers(len(mentors), size=n)],
        -1,
    )  # fmt: skip
    avoid = np.where(rng.random(n) < AVOID_SHARE, rng.integers(n, size=n), -1)
    everyone = np.arange(n)
    preferred = np.where(preferred == everyone, -1, preferred)
    avoid = np.where(avoid == everyone, -1, avoid)

    roles = _roles(rng, kind, level, other_tracks, n_levels)
    names, emails = _unique_names(rng, n)
    return Population(
        calibration=cal, seed=seed, roles=roles, is_mentee=is_mentee, is_mentor=is_mentor,
        level=level, department=department, location=location, utc_offset=utc_offset,
        languages=languages, known=known, goals=goals.astype(np.int64),
        capacity=capacity.astype(np.int64), format=meeting, manager=manager,
        preferred=preferred.astype(np.int64), avoid=avoid.astype(np.int64), names=names,
        emails=emails,
    )  # fmt: skip


def _draw_known(
    rng: np.random.Generator, cal: Calibration, department: Ints, level: Ints
) -> tuple[Bools, Ints]:
    """Languages worked with: an anchor from the department's mix, then languages known
    with it (seniors know more), each weighted by its fitted boost."""
    n, boost = len(level), np.array(cal.worked_boost)
    by_dept = np.array(cal.topics_given_department) * boost
    anchor = _ranked(rng, by_dept[department])[:, 0]
    weights = np.array(cal.worked_given_worked)[anchor] * boost
    weights[np.arange(n), anchor] = np.inf
    mean_known = np.array(cal.known_per_level)[level]
    n_known = np.clip(1 + rng.poisson(np.maximum(mean_known - 1, 0)), 1, MAX_EXPERTISE)
    order = _ranked(rng, weights)
    known = np.zeros((n, len(cal.topics)), dtype=np.bool_)
    ranks = np.arange(len(cal.topics))[None, :] < n_known[:, None]
    np.put_along_axis(known, order, ranks, axis=1)
    return known, n_known.astype(np.int64)


def _draw_goals(rng: np.random.Generator, cal: Calibration, known: Bools, n_known: Ints) -> Ints:
    """Ranked learning goals: what people who know these languages want to learn (the
    joint), never one already known; -1 pads people with fewer than ``MAX_GOALS``."""
    learn = known.astype(np.float64) @ np.array(cal.learning_given_worked)
    learn = learn / n_known[:, None] + 1e-3 * np.array(cal.learning_share)[None, :]
    learn *= np.array(cal.learning_boost)[None, :]
    learn[known] = 0.0
    n_goals = 1 + _categorical(rng, np.array(cal.goals_count_share), len(known))
    order = _ranked(rng, learn)[:, :MAX_GOALS]
    return np.where(np.arange(MAX_GOALS)[None, :] < n_goals[:, None], order, -1)


def goal_share(goals: Ints, n_topics: int) -> Floats:
    """Each topic's share of all goals named."""
    named = goals[goals >= 0]
    return _normalise(np.bincount(named, minlength=n_topics).astype(np.float64))


def _fit_boosts(cal: Calibration) -> Calibration:
    """Per-topic weight multipliers that make a population with the survey's own
    seniority and department mix reproduce the survey's marginals. Drawing several
    languages without replacement flattens the shares (the most popular cannot be drawn
    twice), so raw conditional weights give JavaScript 50% where the survey has 65%;
    a few fixed-point steps on a fixed-seed reference population correct that."""
    n = FIT_PEOPLE
    worked_target = np.array(cal.worked_share)
    learning_target = _normalise(np.array(cal.learning_share))
    for _ in range(FIT_STEPS):
        rng = np.random.default_rng(FIT_SEED)
        level = _categorical(rng, np.array(cal.level_share), n)
        department = _categorical(rng, np.array(cal.department_share), n)
        known, n_known = _draw_known(rng, cal, department, level)
        goals = _draw_goals(rng, cal, known, n_known)
        worked = np.array(cal.worked_boost) * worked_target / known.mean(axis=0)
        learning = np.array(cal.learning_boost) * _ratio(
            learning_target, goal_share(goals, len(cal.topics))
        )
        cal = cal.model_copy(
            update={
                "worked_boost": _round(worked / worked.mean()),
                "learning_boost": _round(learning / learning.mean()),
            }
        )
    return cal


def _ratio(target: Floats, got: Floats) -> Floats:
    return np.where(got > 0, target / np.maximum(got, 1e-12), 1.0)


def _roles(
    rng: np.random.Generator, kind: Ints, level: Ints, other_tracks: bool, n_levels: int
) -> list[tuple[Role, ...]]:
    """Mentoring roles, plus (``other_tracks``) peers, reverse mentoring where juniors
    teach seniors, and circles, at matcher/sample.py's rates."""
    n = len(kind)
    base = [(Role.MENTEE,), (Role.MENTOR,), (Role.MENTOR, Role.MENTEE)]
    if not other_tracks:
        return [base[k] for k in kind.tolist()]
    u = rng.random((n, 4))
    peer = u[:, 0] < np.where(kind == 1, 0.15, 0.25)
    reverse_mentor = (kind == 0) & (level <= 2) & (u[:, 1] < 0.2)
    reverse_mentee = (kind != 0) & (level >= n_levels - 3) & (u[:, 2] < 0.3)
    circle = u[:, 3] < 0.1
    extra = np.stack([peer, reverse_mentor, reverse_mentee, circle], axis=1)
    names = (Role.PEER, Role.REVERSE_MENTOR, Role.REVERSE_MENTEE, Role.CIRCLE)
    return [
        base[k] + tuple(r for r, on in zip(names, row, strict=True) if on)
        for k, row in zip(kind.tolist(), extra.tolist(), strict=True)
    ]


GOAL_COLUMNS = [f"{Q['goals']} [{r}]" for r in RANKS]
HEADER = [
    "Timestamp", "Email Address", Q["name"], Q["role"], Q["grade"], Q["team"], Q["office"],
    Q["zone"], Q["languages"], *GOAL_COLUMNS, Q["expertise"], Q["capacity"], Q["format"],
    Q["preferred"], Q["avoid"], Q["manager"], Q["also"],
]  # fmt: skip


def config_toml(calibration: Calibration | None = None) -> str:
    """The program config for a generated population: its ladder, topics and the
    Google Forms columns ``write_csv`` writes (matcher/sample.py's questions)."""
    cal = calibration or load_calibration()
    tables = survey_tables(
        name_column=Q["name"],
        goal_columns=GOAL_COLUMNS,
        topics=cal.topics,
        ladder=cal.ladder,
        commitments=False,
    )
    return f"""# Program config for a population from benchmarks/population.py (calibrated on the
# Stack Overflow 2023 slice; see benchmarks/CALIBRATION.md).
name = "Calibrated benchmark programme"

[intake]
preset = "google"
id = "email"

{tables}"""


def program_config(calibration: Calibration | None = None) -> ProgramConfig:
    """``config_toml`` parsed: what ``matcher.pipeline.match`` takes with ``survey()``."""
    return ProgramConfig.model_validate(tomllib.loads(config_toml(calibration)))


def write_csv(population: Population, out: Path) -> tuple[Path, Path]:
    """The population as a Google Forms export (and its config beside it, ``.toml``), so
    ``cohort-match run`` reads it end to end, intake included."""
    cal = population.calibration
    out.parent.mkdir(parents=True, exist_ok=True)
    teaches, asks = population.teaches(), population.asks()
    role_answer = {
        (True, False): ROLE_ANSWERS["mentee"],
        (False, True): ROLE_ANSWERS["mentor"],
        (True, True): ROLE_ANSWERS["both"],
    }
    also_of = {Role(r): answer for r, answer in ALSO_ANSWERS.items()}
    start = datetime(2026, 1, 5, 9, 0, 0)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for i in range(len(population)):
            stamp = start + timedelta(seconds=7 * i)
            roles = population.roles[i]
            goals = [cal.topics[g] if g >= 0 and asks[i] else "" for g in population.goals[i]]
            known = np.flatnonzero(population.known[i]).tolist() if teaches[i] else []
            location = cal.locations[population.location[i]]
            pick = population.preferred[i], population.avoid[i], population.manager[i]
            cells = [
                f"{stamp.month}/{stamp.day}/{stamp.year} {stamp:%H:%M:%S}",
                population.emails[i],
                population.names[i],
                role_answer[bool(population.is_mentee[i]), bool(population.is_mentor[i])],
                cal.ladder[population.level[i]],
                cal.departments[population.department[i]],
                location,
                f"{_offset_label(float(population.utc_offset[i]))} ({location})",
                ", ".join(population.languages[i]),
                *goals,
                ", ".join(cal.topics[t] for t in known),
                str(population.capacity[i]) if population.is_mentor[i] else "",
                FORMAT_ANSWER[population.format[i]],
                population.names[pick[0]] if pick[0] >= 0 else "",
                population.names[pick[1]] if pick[1] >= 0 else "",
                population.emails[pick[2]] if pick[2] >= 0 else "",
                ", ".join(also_of[r] for r in roles if r in also_of),
            ]
            writer.writerow([neutralise(c) for c in cells])
    config = out.with_suffix(".toml")
    config.write_text(config_toml(cal), encoding="utf-8")
    return out, config


# The report: CALIBRATION.md, written from the committed calibration and a population.
REPORT_SIZE = (100_000, 20_000, 0)  # mentees, mentors, seed
TOP = 12


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _distance(target: Floats, got: Floats) -> tuple[float, float]:
    """Max absolute difference of the shares, and total variation distance of the two
    as distributions (normalised: topic shares are of people and add up to more than 1)."""
    tv = 0.5 * np.abs(_normalise(target) - _normalise(got)).sum()
    return float(np.abs(target - got).max()), float(tv)


def scarcity(population: Population) -> tuple[Floats, Floats, float]:
    """Per topic: mentors offering it and mentees asking for it (any goal rank), and the
    overall experts-per-asker ratio (all offers over all asks)."""
    n_topics = len(population.calibration.topics)
    experts = population.known[population.is_mentor].sum(axis=0).astype(np.float64)
    goals = population.goals[population.is_mentee]
    askers = np.bincount(goals[goals >= 0], minlength=n_topics).astype(np.float64)
    return experts, askers, float(experts.sum() / askers.sum())


def comparisons(population: Population) -> dict[str, tuple[list[str], Floats, Floats]]:
    """Each calibrated distribution and the population's: (labels, target, generated)."""
    cal = population.calibration
    mentees, mentors = population.is_mentee, population.is_mentor
    only_mentee, only_mentor = mentees & ~mentors, mentors & ~mentees
    learning = _normalise(np.array(cal.learning_share))

    def shares(values: Ints | Floats, labels: Sequence[object]) -> Floats:
        return np.array([(values == v).mean() for v in labels])

    levels = list(range(len(cal.ladder)))
    formats = list(MeetingFormat)
    fmt = np.array([formats.index(f) for f in population.format])
    return {
        "topics worked with (everyone)": (
            cal.topics, np.array(cal.worked_share), population.known.mean(axis=0)),
        "learning goals (share of goals named by mentees)": (
            cal.topics, learning, goal_share(population.goals[mentees], len(cal.topics))),
        "seniority of mentees (not mentors)": (
            cal.ladder, role_level_share(cal, "mentee"), shares(population.level[only_mentee],
                                                                levels)),
        "seniority of mentors (not mentees)": (
            cal.ladder, role_level_share(cal, "mentor"), shares(population.level[only_mentor],
                                                                levels)),
        "departments": (
            cal.departments, np.array(cal.department_share),
            shares(population.department, range(len(cal.departments)))),
        "locations": (
            cal.locations, np.array(cal.location_share),
            shares(population.location, range(len(cal.locations)))),
        "UTC offsets": (
            [_offset_label(o) for o in cal.utc_offsets], np.array(cal.utc_offset_share),
            shares(population.utc_offset, cal.utc_offsets)),
        "meeting format": (
            [f.value for f in formats], np.array([cal.format_share[f.value] for f in formats]),
            shares(fmt, range(len(formats)))),
    }  # fmt: skip


def report(calibration: Calibration | None = None) -> str:
    """CALIBRATION.md: how each distribution was derived, its key figures, and how a
    generated population compares. Deterministic (no timings), so it can be diffed."""
    cal = calibration or load_calibration()
    n_mentees, n_mentors, seed = REPORT_SIZE
    population = generate(n_mentees, n_mentors, seed, cal)
    worked, wanted = np.array(cal.worked_share), np.array(cal.wanted_share)
    learning = np.array(cal.learning_share)
    experts, askers, overall = scarcity(population)
    ratio = np.where(askers > 0, experts / np.maximum(askers, 1), np.inf)
    by_learning = np.argsort(-learning, kind="stable")
    top5 = by_learning[:5]
    survey_overall = worked.sum() / learning.sum()
    top5_ratio = float(experts[top5].sum() / askers[top5].sum())
    gen_goals = goal_share(population.goals[population.is_mentee], len(cal.topics))
    out = [
        "# Calibration of the benchmark population",
        "",
        "<!-- Written by `python -m benchmarks.population --report`; do not edit by hand. -->",
        "",
        "`benchmarks/population.py` generates mentoring populations of any size (100,000",
        "mentees x 20,000 mentors in a few seconds) whose structure comes from real data: the",
        f"{cal.respondents} respondents (of 595) who named a language in the 2023 Stack Overflow",
        f"Developer Survey (`{cal.source}`, SHA-256 `{cal.source_sha256[:12]}...`, ODbL) and",
        "O*NET 29.2's Hot Technology flags. `calibrate()` reads `../shared/data/real/` and",
        "writes only aggregates to `benchmarks/calibration.json` (no respondent rows), so",
        "benchmarks run without the real folder; `tests/test_population.py` recomputes it",
        "from the real data and checks it matches.",
        "",
        "```sh",
        "python -m benchmarks.population --calibrate   # recompute calibration.json",
        "python -m benchmarks.population --report      # rewrite this file",
        "python -m benchmarks.population --csv survey.csv --mentees 100000 --mentors 20000",
        "```",
        "",
        f"Comparisons below are for one population: {n_mentees:,} mentees x {n_mentors:,}",
        f"mentors, seed {seed} ({len(population):,} people: "
        f"{int((population.is_mentee & population.is_mentor).sum()):,} are both).",
        "",
        "## Topics: what people want to learn against what they know",
        "",
        f"The topic vocabulary is the {len(cal.topics)} programming languages named by at least",
        f"{MIN_MENTIONS} respondents (as worked with or wanted). A mentor's expertise is drawn",
        "from `LanguageHaveWorkedWith`. A mentee's goals come from `LanguageWantToWorkWith`",
        "*minus* what the person already worked with: a language you already use is not a",
        "mentoring goal. That learning demand is where the survey is most asymmetric. Most",
        "people who want JavaScript already write it; most who want Rust, Go or Zig do not.",
        "",
        f"In the survey there are {survey_overall:.2f} people who worked with a language per",
        "person who wants to learn it, over all languages; for the five languages most",
        f"wanted as something new, together, {worked[top5].sum() / learning[top5].sum():.2f} ("
        + ", ".join(f"{cal.topics[k]} {worked[k] / learning[k]:.2f}" for k in top5)
        + ").",
        f"In the generated population there are {overall:.2f} offers (a mentor knowing a",
        "topic) per goal named by a mentee, and for the same five together "
        f"{top5_ratio:.2f} ("
        + ", ".join(f"{cal.topics[k]} {ratio[k]:.2f}" for k in top5)
        + f"): experts for the most wanted topics are {overall / top5_ratio:.1f}x scarcer than",
        "average. Python is the exception among them: many want to learn it, but nearly half",
        "the respondents already use it.",
        "",
        "Top languages by learning demand (survey shares are of respondents; the generated",
        "goal share is of all goals named by mentees):",
        "",
    ]
    out += _table(
        ["language", "worked with", "wants", "wants, new to them", "experts per learner",
         "O*NET hot (occupations)", "goal share: target", "generated",
         "mentors offering / mentees asking (generated)"],
        [[cal.topics[k], _pct(worked[k]), _pct(wanted[k]), _pct(learning[k]),
          f"{worked[k] / learning[k]:.2f}",
          f"{'yes' if cal.onet_hot[k] else 'no'} ({cal.onet_occupations[k]})",
          _pct(learning[k] / learning.sum()), _pct(gen_goals[k]),
          f"{int(experts[k]):,} / {int(askers[k]):,}"] for k in by_learning[:TOP]],
    )  # fmt: skip
    by_wanted = np.argsort(-wanted, kind="stable")[:8]
    out += [
        "By plain `LanguageWantToWorkWith` the most wanted are "
        + ", ".join(f"{cal.topics[k]} ({_pct(wanted[k])}, {worked[k] / wanted[k]:.2f} worked "
                    "per wanting)" for k in by_wanted[:5])
        + ". Most of that want is for tools people already use, so the learning share is",
        "the signal for goals.",
        "",
        "**The joint.** Goals are drawn from P(learning goal j | worked with i), averaged",
        "over the languages a person knows. Someone's goals follow from what they know",
        "(front-end developers move to TypeScript, C developers to Rust). For the five most",
        "known languages, the three most likely new goals:",
        "",
    ]  # fmt: skip
    given = np.array(cal.learning_given_worked)
    out += _table(
        ["worked with", "most likely learning goals"],
        [[cal.topics[i], ", ".join(f"{cal.topics[j]} {_pct(given[i, j])}"
                                   for j in np.argsort(-given[i], kind="stable")[:3])]
         for i in range(5)],
    )  # fmt: skip
    out += [
        "Expertise is drawn as an anchor language from the person's department's mix",
        "(P(worked with j | department)), then further languages from",
        "P(worked with j | worked with anchor), without replacement, so languages used",
        "together come together (JavaScript with HTML/CSS). The number of languages grows",
        "with seniority (mean known per level, below). Drawing without replacement flattens",
        "shares, so each topic's weight carries a boost fitted at calibration time on a",
        f"reference population with the survey's own seniority and department mix ({FIT_STEPS}",
        f"fixed-point steps, {FIT_PEOPLE:,} people, seed {FIT_SEED}). Goal counts per mentee:",
        ", ".join(f"{k + 1}{'+' if k == 2 else ''}: {_pct(v)}"
                  for k, v in enumerate(cal.goals_count_share))
        + " (of respondents with any new language wanted; the survey asks for three).",
        "",
        "## Seniority pyramid",
        "",
        f"`YearsCodePro` of the {cal.professionals} professionals, cut into the ladder below.",
        "People willing to mentor rise with seniority and people wanting a mentor fall",
        "(assumption): the mentor mix is the pyramid weighted by the level index (0 at the",
        "bottom), the mentee mix by the levels above (0 at the top), and people who are both",
        "by the product.",
        "",
    ]  # fmt: skip
    cmp = comparisons(population)
    _, mentee_target, mentee_got = cmp["seniority of mentees (not mentors)"]
    _, mentor_target, mentor_got = cmp["seniority of mentors (not mentees)"]
    years = [
        f"{a}-{b - 1}" if b > a + 1 else "under 1" if a == 0 else str(a)
        for a, b in zip(cal.ladder_from_years, cal.ladder_from_years[1:], strict=False)
    ]
    years.append(f"{cal.ladder_from_years[-1]}+")
    out += _table(
        ["level", "years coding professionally", "survey share", "mean languages known",
         "mentees: target", "generated", "mentors: target", "generated"],
        [[label, years[k], _pct(cal.level_share[k]),
          f"{cal.known_per_level[k]:.1f}", _pct(mentee_target[k]), _pct(mentee_got[k]),
          _pct(mentor_target[k]), _pct(mentor_got[k])] for k, label in enumerate(cal.ladder)],
    )  # fmt: skip
    out += [
        "## Departments",
        "",
        "`DevType` grouped into departments (`DEPARTMENT_OF`); respondents with no staff",
        "role (NA, Student, Other) are left out of the shares.",
        "",
    ]
    _, dept_target, dept_got = cmp["departments"]
    out += _table(
        ["department", "DevType answers", "survey share", "generated"],
        [[d, "; ".join(k for k, v in DEPARTMENT_OF.items() if v == d), _pct(dept_target[i]),
          _pct(dept_got[i])] for i, d in enumerate(cal.departments)],
    )  # fmt: skip
    _, loc_target, loc_got = cmp["locations"]
    _, tz_target, tz_got = cmp["UTC offsets"]
    english = np.mean(["English" in langs for langs in population.languages])
    only_local = np.mean([len(langs) == 1 and langs[0] != "English"
                          for langs in population.languages])  # fmt: skip
    out += [
        "## Countries, time zones and languages",
        "",
        f"`Country`: {len(cal.locations)} countries (NA and Nomadic left out); the location is",
        "the country. `COUNTRIES` maps each to its standard-time UTC offset(s) (the United",
        "States, Canada and Australia split by population across zones, an assumption) and",
        "its official languages. Everyone speaks their country's first language, "
        f"{_pct(SECOND_LOCAL)} its",
        f"second one, and {_pct(ENGLISH_ABROAD)} of those outside English-speaking countries",
        f"English (assumption). Generated: {_pct(float(english))} speak English,"
        f" {_pct(float(only_local))} only one other language, so the shared-language rule",
        "bites for them.",
        "",
    ]
    out += _table(
        ["location", "survey share", "generated"],
        [[cal.locations[i], _pct(loc_target[i]), _pct(loc_got[i])] for i in range(TOP)]
        + [["other " + str(len(cal.locations) - TOP), _pct(float(loc_target[TOP:].sum())),
            _pct(float(loc_got[TOP:].sum()))]],
    )  # fmt: skip
    labels, _, _ = cmp["UTC offsets"]
    out += _table(
        ["UTC offset", "survey share", "generated"],
        [[labels[i], _pct(tz_target[i]), _pct(tz_got[i])] for i in range(len(labels))],
    )
    _, fmt_target, fmt_got = cmp["meeting format"]
    out += [
        "## Meeting format",
        "",
        "`RemoteWork`: Remote -> virtual, In-person -> in person, Hybrid -> either.",
        "",
    ]
    out += _table(
        ["format", "survey share", "generated"],
        [[f.value, _pct(fmt_target[i]), _pct(fmt_got[i])] for i, f in enumerate(MeetingFormat)],
    )
    capacity = population.capacity[population.is_mentor]
    out += [
        "## Assumptions the survey cannot inform",
        "",
        f"- Capacity (mentees per mentor, 1-5): {', '.join(_pct(v) for v in CAPACITY_SHARE)}; "
        f"generated mean {capacity.mean():.2f}, {_pct(float((capacity <= 3).mean()))} take 1-3.",
        f"- {_pct(BOTH_SHARE)} of mentors are also mentees; `other_tracks=True` adds peers",
        "  (25% of mentees, 15% of mentors), reverse mentoring (juniors teach, seniors learn)",
        "  and circles (10%), at matcher/sample.py's rates.",
        f"- {_pct(MANAGER_SHARE)} name a line manager (someone one level up in their department);"
        f" {_pct(PREFERRED_SHARE)} of mentees ask for a mentor by name; {_pct(AVOID_SHARE)} "
        "name someone to avoid.",
        "- Expertise carries no level (the config's `expertise_default_level` applies).",
        "",
        "## Generated against target, every distribution",
        "",
        "Max absolute difference of shares and total variation distance (half the L1",
        "distance; 0 = identical).",
        "",
    ]
    out += _table(
        ["distribution", "categories", "max abs diff", "total variation"],
        [[name, len(labels_), f"{d[0]:.4f}", f"{d[1]:.4f}"]
         for name, (labels_, target, got) in cmp.items()
         for d in [_distance(target, got)]],
    )  # fmt: skip
    out += [
        "Expertise shares fall slightly short of the survey because the generated population",
        "has more juniors than the survey (mentees are drawn junior), and juniors know fewer",
        "languages.",
    ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calibrate", action="store_true", help="Recompute calibration.json.")
    parser.add_argument("--real-dir", type=Path, default=REAL_DIR)
    parser.add_argument("--report", action="store_true", help="Rewrite CALIBRATION.md.")
    parser.add_argument("--csv", type=Path, default=None, help="Write a survey (and .toml).")
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--mentors", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--other-tracks", action="store_true")
    parser.add_argument(
        "--time", action="store_true", help="Time generate() and participants(), in seconds."
    )
    args = parser.parse_args(argv)
    if args.calibrate:
        CALIBRATION_JSON.write_text(calibration_json(calibrate(args.real_dir)), encoding="utf-8")
        print(f"wrote {CALIBRATION_JSON}", file=sys.stderr)
    if args.report:
        CALIBRATION_MD.write_text(report(), encoding="utf-8")
        print(f"wrote {CALIBRATION_MD}", file=sys.stderr)
    if args.csv is not None or args.time:
        tick = time.perf_counter()
        population = generate(args.mentees, args.mentors, args.seed, other_tracks=args.other_tracks)
        generated = time.perf_counter() - tick
        if args.time:
            tick = time.perf_counter()
            people = population.participants()
            built = time.perf_counter() - tick
            print(f"{len(people)} people: generate {generated:.2f} s, participants {built:.2f} s")
        if args.csv is not None:
            survey, config = write_csv(population, args.csv)
            print(f"wrote {survey} and {config}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
