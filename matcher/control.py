"""The coordinator's say over a run: pins (pairs that must be made), forbids (pairs never
to make) and the history of earlier rounds (no repeat pairs; people left unmatched then
are favoured now).

Pins and forbids come from the config (``[control]``) and from CSV files with the
columns ``a``, ``b`` and an optional ``track`` (ids or names). A history file is any
earlier ``pairs.csv``; the ``participants.csv`` beside it, when present, tells who was
left unmatched. Every problem is reported at once, with its file, row and column.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matcher.config import PAIR_TRACKS, ProgramConfig
from matcher.intake.normalize import key
from matcher.intake.reader import InputError
from matcher.models import Issue, Participant, Severity

#: Columns of an earlier pairs.csv that hold the two people of a pair.
HISTORY_COLUMNS = ("mentor_id", "mentee_id")


@dataclass(frozen=True)
class PairRule:
    """One pin or forbid as given; ``where`` locates it for error messages."""

    a: str
    b: str
    track: str | None
    where: Issue


@dataclass(frozen=True)
class Pin:
    """A pair that must be made, by participant id; ``where`` locates it for errors."""

    a: str
    b: str
    track: str | None
    where: Issue


@dataclass(frozen=True)
class Control:
    """Pins, forbids and history, resolved to the survey's participant ids."""

    pins: list[Pin] = field(default_factory=list)
    forbids: list[tuple[str, str, str | None]] = field(default_factory=list)
    paired_before: list[tuple[str, str]] = field(default_factory=list)
    unmatched_before: frozenset[str] = frozenset()
    unmatched_bonus: float = 0.0
    #: Rematch: each track's pairs from the previous run, kept unless changing helps, as
    #: (offering, asking) ids (pairs.csv's mentor_id, mentee_id; either order for peers).
    previous: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    #: Rematch: most previous pairs that may change (None: any that helps).
    max_changes: int | None = None

    def forbidden_in(self, track: str) -> list[tuple[str, str]]:
        return [(a, b) for a, b, t in self.forbids if t in (None, track)]


def _issue(file: str, row: int | None, column: str | None, value: str | None, text: str) -> Issue:
    return Issue(
        severity=Severity.ERROR, file=file, row=row, column=column, value=value, message=text
    )


def _read_csv(path: Path, issues: list[Issue]) -> tuple[list[str], list[dict[str, str]]] | None:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        issues.append(_issue(str(path), None, None, None, "file not found"))
        return None
    except UnicodeDecodeError as exc:
        issues.append(_issue(str(path), None, None, None, f"not UTF-8 (byte {exc.start})"))
        return None
    reader = csv.DictReader(text.splitlines())
    headers = [h.strip() for h in reader.fieldnames or []]
    rows = [
        {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for row in reader
    ]
    return headers, rows


def read_pair_rules(path: Path, issues: list[Issue]) -> list[PairRule]:
    """Pins or forbids from a CSV: columns ``a``, ``b`` and optionally ``track``."""
    read = _read_csv(path, issues)
    if read is None:
        return []
    headers, rows = read
    missing = [c for c in ("a", "b") if c not in headers]
    if missing:
        issues.append(_issue(
            str(path), 1, None, ",".join(headers),
            f"missing column(s) {', '.join(missing)}: expected a,b and optionally track",
        ))  # fmt: skip
        return []
    rules: list[PairRule] = []
    for number, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue
        track = row.get("track") or None
        where = _issue(str(path), number, None, None, "")
        for column in ("a", "b"):
            if not row[column]:
                issues.append(
                    _issue(str(path), number, column, None, "empty: a person's id or name")
                )
        if track is not None and track not in PAIR_TRACKS:
            issues.append(_issue(
                str(path), number, "track", track,
                f"expected one of {', '.join(PAIR_TRACKS)} (or empty: any track)",
            ))  # fmt: skip
        if row["a"] and row["b"]:
            rules.append(PairRule(a=row["a"], b=row["b"], track=track, where=where))
    return rules


def _config_rules(config: ProgramConfig, name: str) -> list[PairRule]:
    specs: list[list[str]] = getattr(config.control, name)
    return [
        PairRule(
            a=spec[0],
            b=spec[1],
            track=spec[2] if len(spec) == 3 else None,
            where=_issue("config", None, f"control.{name}[{n}]", None, ""),
        )
        for n, spec in enumerate(specs)
    ]


def read_pairs(path: Path, issues: list[Issue]) -> list[tuple[str, str, str]]:
    """(track, offering id, asking id) of every pair in a pairs.csv written by run (the
    track empty where the file has no track column)."""
    read = _read_csv(path, issues)
    if read is None:
        return []
    headers, rows = read
    missing = [c for c in HISTORY_COLUMNS if c not in headers]
    if missing:
        issues.append(_issue(
            str(path), 1, None, None,
            f"missing column(s) {', '.join(missing)}: expected a pairs.csv written by run",
        ))  # fmt: skip
        return []
    return [
        (r.get("track", ""), r["mentor_id"], r["mentee_id"])
        for r in rows
        if r["mentor_id"] and r["mentee_id"]
    ]


def read_history(path: Path, issues: list[Issue]) -> tuple[list[tuple[str, str]], set[str]]:
    """Pairs of an earlier pairs.csv, and who the participants.csv beside it left
    unmatched (nobody, when it is absent)."""
    known = len(issues)
    pairs = [(a, b) for _, a, b in read_pairs(path, issues)]
    if len(issues) > known:  # this file could not be read as a pairs.csv
        return [], set()
    unmatched: set[str] = set()
    beside = path.with_name("participants.csv")
    if beside.exists() and beside != path:
        people = _read_csv(beside, issues)
        if people is not None and {"id", "matched_with"} <= set(people[0]):
            unmatched = {r["id"] for r in people[1] if r["id"] and not r["matched_with"]}
    return pairs, unmatched


def _find(people: dict[str, Participant], names: dict[str, list[Participant]], query: str) -> str:
    """A participant id from an id or a unique name; a ValueError saying what is wrong."""
    wanted = key(query)
    if wanted in people:
        return people[wanted].id
    named = names.get(wanted, [])
    if len(named) == 1:
        return named[0].id
    if named:
        raise ValueError(f"names {len(named)} people ({', '.join(p.id for p in named)})")
    raise ValueError("nobody in the survey has this id or name")


def build_control(
    config: ProgramConfig,
    people: Sequence[Participant],
    *,
    pins: Sequence[Path] = (),
    forbids: Sequence[Path] = (),
    history: Sequence[Path] = (),
    gone: Sequence[str] = (),
) -> Control:
    """Everything the coordinator said, checked against the survey: an ``InputError``
    listing every unknown person, bad row or missing file. Pins and forbids naming
    someone in ``gone`` (ids or names of people who left, for rematch) are dropped."""
    left_out = {key(g) for g in gone}
    issues: list[Issue] = []
    given = {
        "pins": _config_rules(config, "pins"),
        "forbids": _config_rules(config, "forbids"),
    }
    for name, paths in (("pins", pins), ("forbids", forbids)):
        for path in paths:
            given[name].extend(read_pair_rules(path, issues))
    by_id = {key(p.id): p for p in people}
    by_name: dict[str, list[Participant]] = {}
    for p in people:
        by_name.setdefault(key(p.name), []).append(p)
    resolved: dict[str, list[tuple[str, str, str | None]]] = {"pins": [], "forbids": []}
    wheres: list[Issue] = []
    for name, rules in given.items():
        for rule in rules:
            if key(rule.a) in left_out or key(rule.b) in left_out:
                continue
            ids: list[str] = []
            for column, query in (("a", rule.a), ("b", rule.b)):
                try:
                    ids.append(_find(by_id, by_name, query))
                except ValueError as exc:
                    w = rule.where
                    issues.append(_issue(
                        w.file, w.row, w.column or column, query, f"{name[:-1]}: {exc}"
                    ))  # fmt: skip
            if len(ids) == 2 and ids[0] == ids[1]:
                w = rule.where
                text = f"{name[:-1]}: a person cannot pair with themselves"
                issues.append(_issue(w.file, w.row, w.column, rule.a, text))
            elif len(ids) == 2:
                resolved[name].append((ids[0], ids[1], rule.track))
                if name == "pins":
                    wheres.append(rule.where)
    before: list[tuple[str, str]] = []
    unmatched: set[str] = set()
    for path in history:
        pairs, left_out = read_history(path, issues)
        before.extend(pairs)
        unmatched |= left_out
    forbidden = {frozenset((a, b)) for a, b, _ in resolved["forbids"]}
    for a, b, _ in resolved["pins"]:
        if frozenset((a, b)) in forbidden:
            issues.append(_issue(
                "config and files", None, None, f"{a} - {b}", "pinned and forbidden at once"
            ))  # fmt: skip
    if issues:
        raise InputError(issues)
    current = {key(p.id): p.id for p in people}
    return Control(
        pins=[Pin(a, b, t, w) for (a, b, t), w in zip(resolved["pins"], wheres, strict=True)],
        forbids=resolved["forbids"],
        paired_before=[(current[key(a)], current[key(b)]) for a, b in before
                       if key(a) in current and key(b) in current],
        unmatched_before=frozenset(current[key(i)] for i in unmatched if key(i) in current),
        unmatched_bonus=config.control.unmatched_bonus if history else 0.0,
    )  # fmt: skip
