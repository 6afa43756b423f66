"""Survey intake: files in, validated Participants out, or every problem at once."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.config import ProgramConfig
from matcher.intake.normalize import Record, TableReader, key
from matcher.intake.presets import detect
from matcher.intake.reader import InputError, read_table
from matcher.models import Issue, Participant, Severity, SourceRef
from solvers.parallel import collector_paused


@dataclass(frozen=True)
class Survey:
    participants: list[Participant]
    warnings: list[Issue]


def _merge(records: list[Record], issues: list[Issue]) -> Record:
    """Several rows for one id. Same file: a resubmission, the latest wins. Different
    files: the same person filled in the mentor and the mentee form; both are kept."""
    if len(records) == 1:
        return _single(records[0])
    records = sorted(records, key=lambda r: r.order)
    by_file: dict[str, Record] = {}
    for record in records:
        earlier = by_file.get(record.file)
        if earlier is not None:
            issues.append(
                Issue(
                    severity=Severity.WARNING,
                    file=record.file,
                    row=record.row,
                    column=None,
                    value=str(record.values["id"]),
                    message=f"duplicate submission: row {record.row} replaces row {earlier.row} "
                    "(the latest answer wins)",
                )
            )
        by_file[record.file] = record
    kept = sorted(by_file.values(), key=lambda r: r.order, reverse=True)
    merged = Record(
        file=kept[0].file,
        row=kept[0].row,
        order=kept[0].order,
        values=dict(kept[0].values),
        references={},
    )
    for other in kept[1:]:
        for name, value in other.values.items():
            if name == "roles":
                merged.values[name] = tuple(dict.fromkeys((*merged.values[name], *value)))
            elif merged.values.get(name) in (None, (), {}):
                merged.values[name] = value
    for name in ("preferred", "avoid", "manager"):
        merged.references[name] = list(
            dict.fromkeys(item for record in kept for item in record.references.get(name, []))
        )
    merged.values["sources"] = tuple(SourceRef(file=r.file, row=r.row) for r in kept)
    return merged


def _single(record: Record) -> Record:
    """``_merge`` of one row (nearly every person): nothing to choose between, so only
    the copies it makes, without its sorting and bookkeeping."""
    values = dict(record.values)
    values["sources"] = (SourceRef(file=record.file, row=record.row),)
    return Record(
        file=record.file,
        row=record.row,
        order=record.order,
        values=values,
        references={
            name: list(dict.fromkeys(record.references.get(name, [])))
            for name in ("preferred", "avoid", "manager")
        },
    )


def _ignored(record: Record, column: str, text: str, why: str) -> Issue:
    return Issue(
        severity=Severity.WARNING,
        file=record.file,
        row=record.row,
        column=column,
        value=text,
        message=f"{column}: {why}; ignored",
    )


def _resolve(records: dict[str, Record], issues: list[Issue]) -> None:
    """Names typed in preferred/avoid/manager become ids; unknown names are warnings."""
    index: dict[str, str | None] = {}
    for record in records.values():
        pid = record.values["id"]
        for text in (pid, record.values.get("email"), record.values.get("name")):
            if text:
                k = key(text)
                index[k] = pid if index.get(k, pid) == pid else None  # None: ambiguous
    for record in records.values():
        pid = record.values["id"]
        for name, texts in record.references.items():
            ids: list[str] = []
            for text in texts:
                target = index.get(key(text), "")

                if not target:
                    why = "two people answer to it" if target is None else "no one in the survey"
                    issues.append(_ignored(record, name, text, why))
                elif target == pid:
                    issues.append(_ignored(record, name, text, "names the person themselves"))
                elif target not in ids:
                    ids.append(target)
            if name == "manager":
                record.values["manager"] = ids[0] if ids else None
            else:
                record.values[name] = tuple(ids)


def load_survey(paths: Sequence[Path], config: ProgramConfig) -> Survey:
    """Read every file; raise ``InputError`` listing every error, else return the people."""
    with collector_paused():
        return _load_survey(paths, config)


def _load_survey(paths: Sequence[Path], config: ProgramConfig) -> Survey:
    issues: list[Issue] = []
    records: list[Record] = []
    unmatched: dict[str, dict[str, int]] = {}
    headers: list[str] = []
    readable = 0
    for index, path in enumerate(paths):
        try:
            table = read_table(path)
        except InputError as exc:
            issues.extend(exc.issues)
            continue
        readable += 1
        headers.extend(h for h in table.headers if h not in headers)
        reader = TableReader(table, config, detect(table.headers, config.intake.preset), index)
        records.extend(reader.records())
        issues.extend(reader.issues)
        for name, specs in reader.unmatched_specs().items():
            for spec in specs:
                unmatched.setdefault(name, {}).setdefault(spec, 0)
                unmatched[name][spec] += 1
    for name, misses_by_spec in unmatched.items():
        for spec, misses in misses_by_spec.items():
            if readable and misses >= readable:
                issues.append(
                    Issue(
                        severity=Severity.ERROR,
                        file=", ".join(str(p) for p in paths),
                        column=None,
                        value=spec,
                        message=f"[columns] {name}: no column is named or starts with this text "
                        f"in any file{_closest(spec, headers)}; rename the column or fix [columns] "
                        "in the config",
                    )
                )
    grouped: dict[str, list[Record]] = {}
    for record in records:
        grouped.setdefault(key(record.values["id"]), []).append(record)
    people = {k: _merge(group, issues) for k, group in grouped.items()}
    _resolve(people, issues)
    if any(issue.severity is Severity.ERROR for issue in issues):
        raise InputError(issues)
    participants = [_participant(record) for record in people.values()]
    return Survey(participants=participants, warnings=issues)


def _closest(spec: str, headers: list[str]) -> str:
    """A did-you-mean for a configured header that matches no column."""
    lowered = {h.casefold(): h for h in headers if h}
    close = difflib.get_close_matches(spec.casefold(), list(lowered), n=1, cutoff=0.6)
    return f" (closest: {lowered[close[0]]!r})" if close else ""


def _participant(record: Record) -> Participant:
    values: dict[str, Any] = {k: v for k, v in record.values.items() if v is not None}
    return Participant.model_validate(values)


__all__ = ["InputError", "Survey", "load_survey", "read_table"]
