"""Turn raw survey rows into Participants: columns mapped, answers normalised, every
problem collected with its file, row, column and value (never the first one only)."""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from matcher.config import FIELDS, ProgramConfig
from matcher.intake.presets import PresetRules
from matcher.intake.reader import RawTable, excerpt
from matcher.models import Expertise, Issue, MeetingFormat, Role, Severity

_GRID = re.compile(r"^(?P<question>.*?)\s*\[(?P<row>[^\[\]]+)\]$")
_LEVEL = re.compile(r"^(?P<topic>.+?)\s*(?::\s*|\(\s*)(?P<level>[0-5])\s*\)?$")
_INT = re.compile(r"^\s*(?P<n>\d+)\s*(?P<plus>\+|or more)?\s*$", re.IGNORECASE)
#: Digits of a whole-number answer read as they are; a longer number (a typing mistake,
#: and past 4,300 digits Python refuses to convert it) is read as ``HUGE``, so a
#: capacity is capped as any large one is.
MAX_DIGITS = 9
HUGE = 10**MAX_DIGITS


def _whole(digits: str) -> int:
    """A run of digits as a number, ``HUGE`` when it has more than ``MAX_DIGITS``."""
    return int(digits) if len(digits.lstrip("0")) <= MAX_DIGITS else HUGE


_OFFSET = re.compile(
    r"(?:(?:UTC|GMT)\s*(?P<sign>[+\-\u2212])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?)"
    r"|^(?P<sign2>[+\-\u2212])(?P<h2>\d{1,2}):?(?P<m2>\d{2})?$"
    r"|(?P<zero>\b(?:UTC|GMT)\b)",
    re.IGNORECASE,
)
#: A cell a spreadsheet would run: ``=...`` or a function call after + - @.
_FORMULA = re.compile(r"^(?:=|[+\-@]\s*[A-Za-z_][\w.]*\s*\()")
#: Answers that give consent (compared case-insensitively, as prefixes).
_YES = ("yes", "y", "true", "1", "i agree", "agree", "i consent", "ok")
_TIMESTAMP_FORMATS = (
    "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %I:%M:%S %p %Z",
    "%d/%m/%Y %H:%M:%S", "%m/%d/%y %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
)  # fmt: skip

_ROLE_WORDS: dict[str, tuple[Role, ...]] = {
    "mentor": (Role.MENTOR,),
    "mentee": (Role.MENTEE,),
    "both": (Role.MENTOR, Role.MENTEE),
    "peer": (Role.PEER,),
    "reverse mentor": (Role.REVERSE_MENTOR,),
    "reverse mentee": (Role.REVERSE_MENTEE,),
    "reverse_mentor": (Role.REVERSE_MENTOR,),
    "reverse_mentee": (Role.REVERSE_MENTEE,),
    "circle": (Role.CIRCLE,),
    "mentoring circle": (Role.CIRCLE,),
}
_FORMAT_WORDS: dict[str, MeetingFormat] = {
    "virtual": MeetingFormat.VIRTUAL, "online": MeetingFormat.VIRTUAL,
    "remote": MeetingFormat.VIRTUAL, "video": MeetingFormat.VIRTUAL,
    "in person": MeetingFormat.IN_PERSON, "in-person": MeetingFormat.IN_PERSON,
    "in_person": MeetingFormat.IN_PERSON, "face to face": MeetingFormat.IN_PERSON,
    "face-to-face": MeetingFormat.IN_PERSON, "either": MeetingFormat.EITHER,
    "both": MeetingFormat.EITHER, "no preference": MeetingFormat.EITHER,
    "any": MeetingFormat.EITHER, "hybrid": MeetingFormat.EITHER,
}  # fmt: skip


#: The numeric fields strptime reads, as the ASCII digits that always parse the same way.
_DIGITS = {
    "Y": "(?P<Y>[0-9]{4})", "m": "(?P<m>[0-9]{1,2})", "d": "(?P<d>[0-9]{1,2})",
    "H": "(?P<H>[0-9]{1,2})", "M": "(?P<M>[0-9]{1,2})", "S": "(?P<S>[0-9]{1,2})",
}  # fmt: skip


def _fast_pattern(fmt: str) -> re.Pattern[str] | None:
    """A regex for a format made of exactly %Y %m %d %H %M %S, each once, split by literal
    text without digits; None for any other format. Text it matches splits into the same
    fields as under strptime, so ``datetime(...)`` gives strptime's answer (or its
    ValueError, for out-of-range numbers)."""
    parts = re.split(r"(%.)", fmt)
    literals, directives = parts[0::2], parts[1::2]
    letters = [d[1] for d in directives]
    if sorted(letters) != sorted(_DIGITS) or any(
        any(c.isdigit() or c == "%" for c in text) for text in literals
    ):
        return None
    if any(not text for text in literals[1:-1]):
        return None  # adjacent fields: digits could split differently
    pattern = "".join(
        re.escape(text) + (_DIGITS[d[1]] if d else "")
        for text, d in zip(literals, [*directives, ""], strict=True)
    )
    return re.compile(pattern)


_FAST_FORMATS = {
    fmt: pattern for fmt in _TIMESTAMP_FORMATS if (pattern := _fast_pattern(fmt)) is not None
}


def parse_time(text: str, fmt: str) -> datetime:
    """``datetime.strptime(text, fmt)``, without strptime's per-call cost for the plain
    numeric formats of survey timestamps (one call per row otherwise dominates intake)."""
    pattern = _FAST_FORMATS.get(fmt)
    match = pattern.fullmatch(text) if pattern is not None else None
    if match is None:
        return datetime.strptime(text, fmt)
    return datetime(
        int(match["Y"]), int(match["m"]), int(match["d"]),
        int(match["H"]), int(match["M"]), int(match["S"]),
    )  # fmt: skip


@functools.lru_cache(maxsize=1 << 16)
def key(text: str) -> str:
    """How names, ids and labels are compared: case- and spacing-insensitive."""
    return " ".join(text.split()).casefold()


@dataclass
class Record:
    """One survey row, normalised but not yet merged with other rows of the same person."""

    file: str
    row: int
    order: tuple[float, int, int]
    values: dict[str, Any] = field(default_factory=dict)
    #: Raw names in preferred/avoid/manager, resolved to ids once every file is read.
    references: dict[str, list[str]] = field(default_factory=dict)


Cells = list[tuple[int, str]]
_T = TypeVar("_T")


class _Problem(NamedTuple):
    """An issue found in some cells, before it is given the row it is reported on."""

    severity: Severity
    column: int | None
    value: str | None
    message: str


Problems = tuple[_Problem, ...]
#: A row's answers in a field's columns: one text, a tuple for several, None for none.
Answers = str | tuple[str | None, ...] | None


class _Column(Generic[_T]):
    """A field parsed for every row: the values, and the problems of the rows with any."""

    __slots__ = ("problems", "values")

    def __init__(self, values: Sequence[_T], problems: dict[int, Problems]) -> None:
        self.values = values
        self.problems = problems


class _Field(Generic[_T]):
    """One field's columns, each distinct combination of its answers parsed once.

    A parse depends only on the cells (the config and the header are fixed for a table),
    and surveys repeat answers heavily: a 12,000-row export holds a few dozen distinct
    grades, zones and option lists. The parser is passed in, not kept: a reader holding
    fields holding the reader would be a cycle only the garbage collector frees.
    """

    __slots__ = ("columns", "keys", "memo", "name")

    def __init__(self, name: str, columns: list[tuple[int, list[str | None]]]) -> None:
        self.name = name
        self.columns = columns
        #: Each row's answers in this field's columns (a tuple for several): the memo key.
        self.keys: Sequence[Answers] | None = (
            None
            if not columns
            else columns[0][1]
            if len(columns) == 1
            else list(zip(*(values for _, values in columns), strict=True))
        )
        self.memo: dict[Answers, tuple[_T, Problems]] = {}

    def _cells(self, answers: Answers) -> Cells:
        if answers is None:
            return []
        if isinstance(answers, str):
            return [(self.columns[0][0], answers)]
        return [
            (col, text)
            for (col, _), text in zip(self.columns, answers, strict=True)
            if text is not None
        ]

    def at(self, k: int, parse: Callable[[str, Cells], tuple[_T, Problems]]) -> tuple[_T, Problems]:
        """One row, parsed when asked for: for parsers that may raise, which then raise on
        the row they always did (exceptions are not memoised)."""
        answers = self.keys[k] if self.keys is not None else None
        found = self.memo.get(answers)
        if found is None:
            found = self.memo[answers] = parse(self.name, self._cells(answers))
        return found

    def column(self, parse: Callable[[str, Cells], tuple[_T, Problems]], n: int) -> _Column[_T]:
        """Every row at once, for parsers that cannot raise: the row loop then only looks
        values up."""
        if self.keys is None:
            value, problems = parse(self.name, [])
            return _Column([value] * n, dict.fromkeys(range(n), problems) if problems else {})
        memo = self.memo
        for answers in dict.fromkeys(self.keys):
            if answers not in memo:
                memo[answers] = parse(self.name, self._cells(answers))
        return _Column(
            [memo[answers][0] for answers in self.keys],
            {k: found[1] for k, answers in enumerate(self.keys) if (found := memo[answers])[1]},
        )


class TableReader:
    """Maps one table's columns to fields and parses each row."""

    def __init__(
        self, table: RawTable, config: ProgramConfig, preset: PresetRules, file_index: int
    ) -> None:
        self.table = table
        self.config = config
        self.preset = preset
        self.file = str(table.path)
        self.file_index = file_index
        self.issues: list[Issue] = list(table.warnings)
        self.missing = {key(m) for m in config.intake.missing}
        self.ladder = {key(label): rank for rank, label in enumerate(config.seniority.ladder, 1)}
        for alias, target in config.seniority.aliases.items():
            self.ladder[key(alias)] = config.seniority.ladder.index(target) + 1
        self.ladder_labels = {
            rank: label
            for label, rank in zip(
                config.seniority.ladder, range(1, len(config.seniority.ladder) + 1), strict=True
            )
        }
        self.role_labels = {key(k): tuple(v) for k, v in config.answers.roles.items()}
        self.format_labels = {key(k): v for k, v in config.answers.format.items()}
        self.level_labels = {key(k): v for k, v in config.answers.levels.items()}
        self.options = {
            f: sorted(opts, key=len, reverse=True) for f, opts in config.options.items()
        }
        self.default_roles = self._default_roles()
        self._stamp_format: str | None = None
        self.mapping = self._map_columns()
        self._answered: dict[int, list[str | None]] = {}
        self._experts: dict[tuple[str, int | None], Expertise] = {}
        self._splits: dict[tuple[str, str], tuple[str, ...]] = {}
        # Fields whose parser cannot raise are parsed a column at once; the others (an
        # int() of digits, a time zone file, an Expertise model) one row at a time.
        self._texts: dict[str, _Column[str | None]] = {}
        self._lists: dict[str, _Column[tuple[str, ...]]] = {}
        self._integers: dict[str, _Field[int | None]] = {}
        self._expertise: _Field[tuple[Expertise, ...]] = self._field("expertise")
        self._seniority: _Field[tuple[int, str] | None] = self._field("seniority")
        self._offsets: _Field[tuple[str, float] | None] = self._field("timezone")
        #: Per-kind count fields: (Participant field, [(kind, pseudo-field)]).
        self._kinds = [
            (target, [(kind, f"{side}:{kind}") for kind in getattr(config.categories, side)])
            for side, target in (("demand", "category_demand"), ("capacity", "category_capacity"))
        ]

    # -- columns -------------------------------------------------------------------------

    def _default_roles(self) -> tuple[Role, ...]:
        for source in self.config.intake.sources:
            if fnmatch.fnmatch(self.table.path.name.casefold(), source.match.casefold()):
                return tuple(source.roles)
        return ()

    def _match(self, spec: str) -> list[int]:
        """Columns a configured header names: exactly, else as a case-insensitive prefix,
        in row 1 and then in the question texts of a Qualtrics export's row 2."""
        spec_norm = " ".join(spec.split())
        names = [self.table.headers, self.table.question_texts]
        for texts in names:
            exact = [i for i, h in enumerate(texts) if h == spec_norm]
            if exact:
                return exact
        prefix = spec_norm.casefold()
        for texts in names:
            found = [i for i, h in enumerate(texts) if h and h.casefold().startswith(prefix)]
            if found:
                return found
        return []

    def _map_columns(self) -> dict[str, list[int]]:
        mapping: dict[str, list[int]] = {}
        for name in FIELDS:
            specs = self.config.columns.get(name) or self.preset.columns.get(name) or [name]
            found: list[int] = []
            for spec in specs:
                found.extend(i for i in self._match(spec) if i not in found)
            if found:
                mapping[name] = found
        for name, specs in self._extra_specs().items():
            found = []
            for spec in specs:
                found.extend(i for i in self._match(spec) if i not in found)
            if found:
                mapping[name] = found
        return mapping

    def _extra_specs(self) -> dict[str, list[str]]:
        """Per-kind count questions (``demand:<kind>``, ``capacity:<kind>``) and opt-in
        attribute questions (``consent``, ``attribute:<name>``) as pseudo-fields."""
        cats, attrs = self.config.categories, self.config.attributes
        return {
            **{f"demand:{k}": v for k, v in cats.demand.items()},
            **{f"capacity:{k}": v for k, v in cats.capacity.items()},
            **({"consent": attrs.consent} if attrs.consent else {}),
            **{f"attribute:{k}": v for k, v in attrs.columns.items()},
        }

    def unmatched_specs(self) -> dict[str, list[str]]:
        """Configured headers that match no column of this file."""
        specs = {**self.config.columns, **self._extra_specs()}
        return {name: [s for s in items if not self._match(s)] for name, items in specs.items()}

    def _answers(self, col: int) -> list[str | None]:
        """A column with every non-answer (a missing token, Microsoft's ``anonymous``) as
        None, worked out once per distinct cell and shared by the fields reading it."""
        found = self._answered.get(col)
        if found is not None:
            return found
        values = self.table.columns[col]
        anonymous = self.preset.anonymous
        blank = {
            value
            for value in set(values)
            if value is not None
            and ((k := key(value)) in self.missing or (anonymous and k in anonymous))
        }
        found = self._answered[col] = [None if value in blank else value for value in values]
        return found

    def _field(self, name: str) -> _Field[Any]:
        return _Field(name, [(col, self._answers(col)) for col in self.mapping.get(name, [])])

    # -- problems ------------------------------------------------------------------------

    def _problem(
        self, severity: Severity, row: int, column: int | None, value: str | None, message: str
    ) -> None:
        self.issues.append(
            Issue(
                severity=severity,
                file=self.file,
                row=row,
                column=self.table.headers[column] if column is not None else None,
                value=excerpt(value) if value is not None else None,
                message=message,
            )
        )

    def _read(self, found: tuple[_T, Problems], row: int) -> _T:
        """A parsed field, its problems reported on this row."""
        value, problems = found
        for problem in problems:
            self._problem(problem.severity, row, *problem[1:])
        return value

    def _take(self, column: _Column[_T], k: int, row: int) -> _T:
        """Row ``k`` of a parsed column, its problems reported on this row."""
        if column.problems:
            for problem in column.problems.get(k, ()):
                self._problem(problem.severity, row, *problem[1:])
        return column.values[k]

    # -- cells ---------------------------------------------------------------------------

    def _firsts(self, name: str) -> Sequence[str | None]:
        """Each row's first answer in a field's columns."""
        columns = [self._answers(col) for col in self.mapping.get(name, [])]
        if len(columns) == 1:
            return columns[0]
        if not columns:
            return [None] * self.table.n_rows
        return [next((v for v in row if v is not None), None) for row in zip(*columns, strict=True)]

    def _split(self, name: str, value: str) -> tuple[str, ...]:
        """A multi-select answer's items, split once per field and distinct answer: the
        same option list recurs in many rows and columns (goals asked three times)."""
        found = self._splits.get((name, value))
        if found is None:
            found = self._splits[name, value] = tuple(self._split_answer(name, value))
        return found

    def _split_answer(self, name: str, value: str) -> list[str]:
        if name in {"preferred", "avoid"}:
            parts = re.split(rf"[{re.escape(self.config.intake.name_list_separator)}\n]", value)
            return [p.strip() for p in parts if p.strip()]
        separator = self.config.intake.list_separator or self.preset.list_separator
        options = self.options.get(name)
        if options and separator.strip() == ",":
            return self._split_known(value, options, separator)
        return [p.strip() for p in value.split(separator.strip() or separator) if p.strip()]

    @staticmethod
    def _split_known(value: str, options: list[str], separator: str) -> list[str]:
        """Split a Google checkbox answer whose labels may themselves contain ', '."""
        items: list[str] = []
        rest = value.strip()
        sep = separator.strip()
        while rest:
            for option in options:
                if (
                    rest.startswith(option) and rest[len(option) :].lstrip().startswith(sep)
                ) or rest == option:
                    items.append(option)
                    rest = rest[len(option) :].lstrip()
                    break
            else:
                head, _, _ = rest.partition(sep)
                items.append(head.strip())
                rest = rest[len(head) :]
            rest = rest.removeprefix(sep).strip()
        return [i for i in items if i]

    # -- parsers: cells in, value and problems out (no row: they are memoised) -----------

    def _parse_scalar(self, name: str, cells: Cells) -> tuple[tuple[int, str] | None, Problems]:
        if not cells:
            return None, ()
        mode = self.config.combine_for(name)
        if mode == "join":
            return (cells[0][0], " ".join(" ".join(v.split()) for _, v in cells)), ()
        first_col, first = cells[0]
        problems = tuple(
            _Problem(
                Severity.WARNING,
                col,
                other,
                f"second answer for {name}; kept {first!r} from the first column",
            )
            for col, other in cells[1:]
            if key(other) != key(first)
        )
        return (first_col, first), problems

    def _parse_text(self, name: str, cells: Cells) -> tuple[str | None, Problems]:
        cell, problems = self._parse_scalar(name, cells)
        return (None if cell is None else cell[1]), problems

    def _parse_integer(self, name: str, cells: Cells) -> tuple[int | None, Problems]:
        if not cells:
            return None, ()
        problems: list[_Problem] = []
        numbers: list[int] = []
        for col, value in cells:
            match = _INT.match(value)
            if match is None:
                problems.append(
                    _Problem(
                        Severity.ERROR, col, value, f"{name} must be a whole number >= 0 (e.g. 2)"
                    )
                )
                continue
            numbers.append(_whole(match["n"]))
        if not numbers:
            return None, tuple(problems)
        total = sum(numbers) if self.config.combine_for(name) == "sum" else numbers[0]
        if name == "capacity" and total > self.config.mentoring.max_capacity:
            problems.append(
                _Problem(
                    Severity.WARNING,
                    cells[0][0],
                    str(total) if total < HUGE else cells[0][1],
                    "capacity capped at mentoring.max_capacity = "
                    f"{self.config.mentoring.max_capacity}",
                )
            )
            total = self.config.mentoring.max_capacity
        return total, tuple(problems)

    def _parse_roles(self, name: str, cells: Cells) -> tuple[tuple[Role, ...], Problems]:
        problems: list[_Problem] = []
        roles: list[Role] = []
        for col, value in cells:
            for label in self._split(name, value):
                found = self.role_labels.get(key(label)) or _ROLE_WORDS.get(key(label))
                if found is None:
                    words = key(label)
                    has_mentor, has_mentee = "mentor" in words, "mentee" in words
                    if has_mentor or has_mentee:
                        found = tuple(
                            r
                            for r, present in ((Role.MENTOR, has_mentor), (Role.MENTEE, has_mentee))
                            if present
                        )
                if found is None:
                    known = ", ".join(sorted(set(self.config.answers.roles) | set(_ROLE_WORDS)))
                    problems.append(
                        _Problem(
                            Severity.ERROR,
                            col,
                            label,
                            f"unknown role; expected one of: {known} "
                            "(map more labels in [answers.roles])",
                        )
                    )
                    continue
                roles.extend(r for r in found if r not in roles)
        return tuple(roles) or self.default_roles, tuple(problems)

    def _parse_seniority(self, name: str, cells: Cells) -> tuple[tuple[int, str] | None, Problems]:
        cell, problems = self._parse_scalar(name, cells)
        if cell is None:
            return None, problems
        col, value = cell
        rank = self.ladder.get(key(value))
        if rank is not None:
            return (rank, self.ladder_labels[rank]), problems
        number = _INT.match(value)
        level = _whole(number["n"]) if number else HUGE
        if not self.ladder and level < HUGE:
            return (level, value), problems  # "3+" and "3 or more" read as 3
        expected = ", ".join(self.config.seniority.ladder) or "a whole number"
        return None, (
            *problems,
            _Problem(
                Severity.ERROR,
                col,
                value,
                f"seniority not on the ladder; expected one of: {expected} "
                "(add it to [seniority] ladder or aliases)",
            ),
        )

    def _parse_offset(self, name: str, cells: Cells) -> tuple[tuple[str, float] | None, Problems]:
        cell, problems = self._parse_scalar(name, cells)
        if cell is None:
            return None, problems
        col, value = cell
        if "/" in value and " " not in value.strip():
            try:
                zone = ZoneInfo(value.strip())
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder
                zone = None
            if zone is not None:
                when = datetime.fromisoformat(self.config.scoring.reference_date).replace(
                    hour=12, tzinfo=zone
                )
                delta = when.utcoffset()
                hours = delta.total_seconds() / 3600 if delta is not None else 0.0
                return (value.strip(), hours), problems
        match = _OFFSET.search(value.strip())
        if match is not None:
            if match["zero"]:
                return (value, 0.0), problems
            sign = match["sign"] or match["sign2"]
            hours = int(match["h"] or match["h2"]) + int(match["m"] or match["m2"] or 0) / 60
            return (value, -hours if sign in "-\u2212" else hours), problems
        return None, (
            *problems,
            _Problem(
                Severity.ERROR,
                col,
                value,
                "unknown time zone; expected an IANA name (Europe/London) or an offset (UTC+01:00)",
            ),
        )

    def _parse_format(self, name: str, cells: Cells) -> tuple[MeetingFormat, Problems]:
        cell, problems = self._parse_scalar(name, cells)
        if cell is None:
            return MeetingFormat.EITHER, problems
        col, value = cell
        found = self.format_labels.get(key(value)) or _FORMAT_WORDS.get(key(value))
        if found is None:
            return MeetingFormat.EITHER, (
                *problems,
                _Problem(
                    Severity.ERROR,
                    col,
                    value,
                    "unknown meeting format; expected virtual, in person or either "
                    "(map more labels in [answers.format])",
                ),
            )
        return found, problems

    def _level(self, text: str) -> int | None:
        text = text.strip()
        if text.isdecimal() and len(text) <= MAX_DIGITS and 0 <= int(text) <= 5:  # not "²"
            return int(text)
        leading = re.match(r"^([0-5])\b", text)
        if leading:
            return int(leading.group(1))
        return self.level_labels.get(key(text))

    def _expert(self, topic: str, level: int | None) -> Expertise:
        """One validated Expertise per topic and level: topics repeat across people in
        combinations that rarely do, so the whole-cell memo alone misses most."""
        found = self._experts.get((topic, level))
        if found is None:
            found = self._experts[topic, level] = Expertise(topic=topic, level=level)
        return found

    def _parse_expertise(self, name: str, cells: Cells) -> tuple[tuple[Expertise, ...], Problems]:
        items: dict[str, Expertise] = {}
        for col, value in cells:
            grid = _GRID.match(self.table.headers[col])
            level = self._level(value) if grid else None
            if grid and level is not None:
                if level > 0:
                    topic = grid["row"].strip()
                    items.setdefault(key(topic), self._expert(topic, level))
                continue
            for item in self._split(name, value):
                match = _LEVEL.match(item)
                topic, lvl = (
                    (match["topic"].strip(), int(match["level"])) if match else (item, None)
                )
                if lvl == 0:
                    continue
                items.setdefault(key(topic), self._expert(topic, lvl))
        return tuple(items.values()), ()

    def _parse_list(self, name: str, cells: Cells) -> tuple[tuple[str, ...], Problems]:
        out: dict[str, str] = {}
        for _, value in cells:
            for item in self._split(name, value):
                out.setdefault(key(item), item)
        return tuple(out.values()), ()

    # -- fields --------------------------------------------------------------------------

    def _order(self, k: int, text: str | None) -> tuple[float, int, int]:
        """Sort key for duplicate submissions: timestamp, then file, then row."""
        if text is None:
            return (0.0, self.file_index, k)
        formats = [self._stamp_format] if self._stamp_format else []
        for fmt in [*formats, *_TIMESTAMP_FORMATS]:
            try:
                stamp = parse_time(text, fmt).timestamp()
            except ValueError:
                continue
            self._stamp_format = fmt  # exports use one format throughout
            return (stamp, self.file_index, k)
        return (0.0, self.file_index, k)

    def _text(self, name: str, k: int, row: int) -> str | None:
        """A single-answer field's text (the first column's, or all joined)."""
        column = self._texts.get(name)
        if column is None:
            column = self._texts[name] = self._text_column(name)
        return self._take(column, k, row)

    def _text_column(self, name: str) -> _Column[str | None]:
        field: _Field[str | None] = self._field(name)
        mode = self.config.combine_for(name)
        if len(field.columns) == 1 and mode in ("first", "join"):
            # One column: nothing to warn about, and answers such as names and emails are
            # distinct, so the value is the cell itself, not a memo entry.
            answers = field.columns[0][1]
            if mode == "first":
                return _Column(answers, {})
            return _Column([None if a is None else " ".join(a.split()) for a in answers], {})
        return field.column(self._parse_text, self.table.n_rows)

    def _integer(self, name: str, k: int, row: int) -> int | None:
        found = self._integers.get(name)
        if found is None:
            found = self._integers[name] = self._field(name)
        return self._read(found.at(k, self._parse_integer), row)

    def _list(self, name: str, k: int) -> tuple[str, ...]:
        column = self._lists.get(name)
        if column is None:
            field: _Field[tuple[str, ...]] = self._field(name)
            column = self._lists[name] = field.column(self._parse_list, self.table.n_rows)
        return column.values[k]

    # -- rows ----------------------------------------------------------------------------

    def _formulas(self) -> dict[int, list[int]]:
        """Answers a spreadsheet would run as formulas, by row and then column: they are
        kept as text (outputs prefix them with ') but a coordinator should know someone
        typed one. Found column by column: a formula starts with = + - or @."""
        hits: dict[int, list[int]] = {}
        for col in sorted({col for cols in self.mapping.values() for col in cols}):
            for k, value in enumerate(self.table.columns[col]):
                if value and value[0] in "=+-@" and _FORMULA.match(value):
                    hits.setdefault(k, []).append(col)
        return hits

    def records(self) -> list[Record]:
        """The table's people, one Record per usable row; every problem goes to
        ``issues`` in row order, and within a row in the order of the fields."""
        records = []
        formulas = self._formulas()
        n = self.table.n_rows
        roles: _Column[tuple[Role, ...]] = self._field("roles").column(self._parse_roles, n)
        formats: _Column[MeetingFormat] = self._field("format").column(self._parse_format, n)
        stamps = self._firsts("timestamp")
        for k, row in enumerate(self.table.row_numbers):
            for col in formulas.get(k, ()):
                self._problem(
                    Severity.WARNING,
                    row,
                    col,
                    self.table.columns[col][k],
                    "looks like a spreadsheet formula; read as plain text, and written with a "
                    "leading ' so no spreadsheet runs it",
                )
            record = self._record(k, row, roles, formats, stamps)
            if record is not None:
                records.append(record)
        return records

    def _record(
        self,
        k: int,
        row: int,
        roles_column: _Column[tuple[Role, ...]],
        formats: _Column[MeetingFormat],
        stamps: Sequence[str | None],
    ) -> Record | None:
        values: dict[str, Any] = {}
        values["name"] = self._text("name", k, row)
        email = self._text("email", k, row)
        given_id = self._text("id", k, row)
        values["email"] = email.strip().lower() if email is not None else None
        wanted = self.config.intake.id
        ident = {"email": values["email"], "name": values["name"], "id": given_id}
        person_id = ident[wanted] or values["email"] or values["name"]
        if person_id is None:
            self._problem(
                Severity.ERROR,
                row,
                None,
                None,
                f"no {wanted} to identify this person (and no name or email)",
            )
            return None
        if ident[wanted] is None and wanted in self.mapping:
            self._problem(
                Severity.WARNING,
                row,
                self.mapping[wanted][0],
                None,
                f"{wanted} missing; identified by {person_id!r} instead",
            )
        values["id"] = person_id
        values["name"] = values["name"] or person_id
        roles = self._take(roles_column, k, row)
        if not roles and k not in roles_column.problems:
            self._problem(
                Severity.ERROR,
                row,
                self.mapping.get("roles", [None])[0],
                None,
                "no role: map a roles column in [columns] or give this file default "
                "roles in [[intake.sources]]",
            )
        values["roles"] = roles
        values["goals"] = self._list("goals", k)
        values["expertise"] = self._expertise.at(k, self._parse_expertise)[0]
        values["languages"] = self._list("languages", k)
        seniority = self._read(self._seniority.at(k, self._parse_seniority), row)
        if seniority is not None:
            values["seniority"], values["seniority_label"] = seniority
        for name in ("department", "location"):
            text = self._text(name, k, row)
            if text is not None:
                values[name] = text
        offset = self._read(self._offsets.at(k, self._parse_offset), row)
        if offset is not None:
            values["timezone"], values["utc_offset"] = offset
        for name in ("capacity", "demand", "commitments"):
            number = self._integer(name, k, row)
            if number is not None:
                values[name] = number
        category = self._text("category", k, row)
        if category is not None:
            values["category"] = category
        for target, kinds in self._kinds:
            counts = {}
            for kind, name in kinds:
                number = self._integer(name, k, row)
                if number is not None:
                    counts[kind] = number
            values[target] = counts
        values["format"] = self._take(formats, k, row)
        consent = self._text("consent", k, row)
        if consent is not None and key(consent).startswith(_YES):
            values["attributes"] = {
                attribute: text
                for attribute in self.config.attributes.columns
                if (text := self._text(f"attribute:{attribute}", k, row)) is not None
            }
        preferred, avoid = self._list("preferred", k), self._list("avoid", k)
        manager = self._text("manager", k, row)
        if not roles:
            return None  # the problem is recorded; the other fields were still checked
        return Record(
            file=self.file,
            row=row,
            order=self._order(k, stamps[k]),
            values=values,
            references={
                "preferred": list(preferred),
                "avoid": list(avoid),
                "manager": [manager] if manager is not None else [],
            },
        )
