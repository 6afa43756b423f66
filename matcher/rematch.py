"""Re-matching a finished run after people leave, join or change their limits.

The previous run is read back from its results folder (run.json for the surveys and the
config, pairs.csv for its pairs). Each track of pairs is solved again with its previous
pairs kept unless changing them helps; ``max_changes`` bounds how many previous pairs
that could still be kept may change. Circles are not re-formed: a rematch re-pairs the
tracks of pairs only.

CHANGES.csv has the columns ``action``, ``id`` and ``value``:

- ``leave``: the person (id or name) leaves; their pairs end.
- ``join``: ``value`` is a survey file (CSV/XLSX, the run's format; relative paths are
  read beside CHANGES.csv) whose respondents join.
- ``capacity``, ``demand``, ``commitments``: the person's new number (``value``).
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from matcher.config import PAIR_TRACKS, ProgramConfig
from matcher.control import build_control, read_pairs
from matcher.diagnose import load_run_record
from matcher.intake import Survey, load_survey
from matcher.intake.normalize import key
from matcher.intake.reader import InputError
from matcher.models import Issue, Participant, RemovedPair, Severity
from matcher.pipeline import RunOutput, match

ACTIONS = ("leave", "join", "capacity", "demand", "commitments")


@dataclass
class Changes:
    """What CHANGES.csv asks for, located for error messages."""

    leave: list[tuple[str, int]] = field(default_factory=list)
    join: list[Path] = field(default_factory=list)
    numbers: list[tuple[str, str, int, int]] = field(default_factory=list)


def _issue(path: Path, row: int | None, column: str | None, value: str | None, text: str) -> Issue:
    return Issue(
        severity=Severity.ERROR, file=str(path), row=row, column=column, value=value, message=text
    )


def read_changes(path: Path) -> Changes:
    """CHANGES.csv, every problem reported at once (file, row, column)."""
    issues: list[Issue] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError([_issue(path, None, None, None, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            [_issue(path, None, None, None, f"not UTF-8 (byte {exc.start})")]
        ) from None
    reader = csv.DictReader(text.splitlines())
    headers = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("action", "id", "value") if c not in headers]
    if missing:
        raise InputError([_issue(
            path, 1, None, ",".join(headers),
            f"missing column(s) {', '.join(missing)}: expected action,id,value",
        )])  # fmt: skip
    changes = Changes()
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        action, who, value = row["action"].lower(), row["id"], row["value"]
        if not any((action, who, value)):
            continue
        if action not in ACTIONS:
            issues.append(
                _issue(path, number, "action", action, f"expected one of {', '.join(ACTIONS)}")
            )
        elif action == "join":
            if not value:
                issues.append(_issue(path, number, "value", None, "join needs a survey file"))
                continue
            joined = Path(value) if Path(value).is_absolute() else path.parent / value
            if not joined.is_file():
                issues.append(_issue(path, number, "value", value, "survey file not found"))
            changes.join.append(joined)
        elif not who:
            issues.append(_issue(path, number, "id", None, f"{action} needs a person's id or name"))
        elif action == "leave":
            changes.leave.append((who, number))
        else:
            try:
                amount = int(value)
                if amount < 0:
                    raise ValueError
            except ValueError:
                issues.append(
                    _issue(path, number, "value", value, f"{action} must be a whole number >= 0")
                )
                continue
            changes.numbers.append((who, action, amount, number))
    if issues:
        raise InputError(issues)
    return changes


def previous_pairs(results: Path) -> list[tuple[str, str, str]]:
    """(track, a, b) of every pair in the results folder's pairs.csv."""
    issues: list[Issue] = []
    pairs = read_pairs(results / "pairs.csv", issues)
    if issues:
        raise InputError(issues)
    return [(track, a, b) for track, a, b in pairs if track in PAIR_TRACKS]


def _apply(
    people: list[Participant], changes: Changes, changes_path: Path, config: ProgramConfig
) -> tuple[list[Participant], set[str], dict[str, dict[str, int]]]:
    """The people after the changes, the ids of those who left, and the new numbers."""
    issues: list[Issue] = []
    by_key = {key(p.id): p for p in people}
    by_name: dict[str, list[Participant]] = {}
    for p in people:
        by_name.setdefault(key(p.name), []).append(p)

    def find(who: str, row: int) -> Participant | None:
        if key(who) in by_key:
            return by_key[key(who)]
        named = by_name.get(key(who), [])
        if len(named) == 1:
            return named[0]
        text = f"names {len(named)} people: give the id" if named else "nobody has this id or name"
        issues.append(_issue(changes_path, row, "id", who, text))
        return None

    left = {q.id for who, row in changes.leave if (q := find(who, row)) is not None}
    updated: dict[str, dict[str, int]] = {}
    for who, action, amount, row in changes.numbers:
        person = find(who, row)
        if person is not None:
            updated.setdefault(person.id, {})[action] = amount
    if changes.join:
        try:
            joined = load_survey(changes.join, config).participants
        except InputError as exc:
            issues.extend(exc.issues)
            joined = []
        for person in joined:
            if key(person.id) in by_key:
                issues.append(_issue(
                    changes_path, None, "value", person.id,
                    "a joining person is already in the programme (use capacity/demand rows "
                    "to change their answers)",
                ))  # fmt: skip
        people = [*people, *joined]
    if issues:
        raise InputError(issues)
    kept = [
        p.model_copy(update=updated[p.id]) if p.id in updated else p
        for p in people
        if p.id not in left
    ]
    return kept, left, updated


def rematch(
    results: Path,
    changes_path: Path,
    *,
    max_changes: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[RunOutput, ProgramConfig, list[Path], int, float | None]:
    """Re-solve a results folder's run after the changes; returns the output, the config,
    the surveys read (joins included), the seed and the time limit."""
    record = load_run_record(results)
    surveys, config, seed, limit = record.surveys, record.config, record.seed, record.time_limit
    changes = read_changes(changes_path)
    before = previous_pairs(results)
    progress(f"reading {len(surveys)} file(s) and {changes_path}")
    survey = load_survey(surveys, config)
    people, left, updated = _apply(survey.participants, changes, changes_path, config)
    config = config.model_copy(update={"tracks": config.tracks.model_copy(
        update={"order": [t for t in config.tracks.order if t in PAIR_TRACKS]}
    )})  # fmt: skip
    names = {p.id: p.name for p in survey.participants}
    previous: dict[str, set[tuple[str, str]]] = {}
    for track, a, b in before:
        if a not in left and b not in left:
            previous.setdefault(track, set()).add((a, b))
    control = dataclasses.replace(
        build_control(
            config, people, pins=record.control.get("pins", []),
            forbids=record.control.get("forbids", []), history=record.control.get("history", []),
            gone=[x for p in survey.participants if p.id in left for x in (p.id, p.name)],
        ),
        previous=previous, max_changes=max_changes,
    )  # fmt: skip
    output = match(
        Survey(participants=people, warnings=survey.warnings), config, time_limit=limit,
        seed=seed, progress=progress, control=control,
    )  # fmt: skip
    made: dict[str, set[frozenset[str]]] = {}
    kept_before = {t: {frozenset(p) for p in pairs} for t, pairs in previous.items()}
    for cohort in output.result.cohorts:
        for pair in cohort.pairs:
            ends = frozenset((pair.a, pair.b))
            made.setdefault(cohort.track, set()).add(ends)
            pair.change = "kept" if ends in kept_before.get(cohort.track, set()) else "new"
    removed: list[RemovedPair] = []
    for track, a, b in before:
        if frozenset((a, b)) in made.get(track, set()):
            continue
        gone = [names.get(x, x) for x in (a, b) if x in left]
        moved = [
            f"{names.get(x, x)}'s {', '.join(f'{k} ({v})' for k, v in updated[x].items())}"
            for x in (a, b)
            if x in updated
        ]
        if gone:
            reason = f"{' and '.join(gone)} left the programme"
        elif moved:
            reason = f"changed after new answers: {'; '.join(moved)}"
        else:
            reason = "re-paired: the new solution is better with this pair changed"
        removed.append(RemovedPair(
            track=track, a=a, a_name=names.get(a, a), b=b, b_name=names.get(b, b), reason=reason
        ))  # fmt: skip
    output.result.removed = removed
    return output, config, [*surveys, *changes.join], seed, limit
