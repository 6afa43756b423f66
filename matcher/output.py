"""Result files, written atomically and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import cast

from matcher.config import ProgramConfig
from matcher.models import MatchResult, Participant, Role
from matcher.report import ROLE_TRACK, attribute_rows, report_html
from matcher.scoring import COMPONENTS
from matcher.workbook import (
    FORMULA_START,
    Columns,
    Part,
    Sheet,
    format_column,
    workbook_parts,
    zip_parts,
)
from matcher.workbook import neutralise as neutralise
from solvers.parallel import run_threads

#: Written last into every results folder; its presence marks a folder as ours.
MARKER = "summary.json"
WORKBOOK = "results.xlsx"


class OutputError(Exception):
    """The results cannot be written where asked."""


@dataclass(frozen=True)
class Table:
    """A results table held column by column, as both its CSV file and its sheet are
    written: a list per column, not one per row (tens of thousands of row lists kept
    alive set off the garbage collector's full passes, a third of the write's time)."""

    header: Sequence[str]
    columns: Sequence[Sequence[object]]

    def rows(self) -> list[list[object]]:
        return list(map(list, zip(*self.columns, strict=True)))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV with every cell neutralised; floats with two decimals (the rows keep numbers
    typed, so the workbook gets real numbers from the same rows)."""
    rows = list(rows)
    widths = set(map(len, rows))
    width = widths.pop() if len(widths) == 1 else 0
    if width > 1:
        return _columns_csv(header, [list(map(itemgetter(c), rows)) for c in range(width)])
    return _rows_csv(header, [list(map(_csv_cell, row)) for row in rows])


def _csv_cell(value: object) -> str:
    """One cell as the CSV shows it: a float with two decimals, text neutralised, None
    empty, anything else as ``str`` (what the csv module writes for it)."""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return "" if value is None else str(value)


def _rows_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _columns_csv(header: Sequence[str], columns: Sequence[Sequence[object]]) -> str:
    """The CSV of a table given column by column. Each column is formatted in one pass by
    its kind (text, floats, whole numbers); rows are joined without the csv module, which
    quotes only fields holding a comma, a quote or a newline. A table with a CR or NUL, or
    of one column (an empty row is written as ``""``), goes through the csv module."""
    head = _rows_csv(header, ())
    texts = list(map(_csv_column, columns))
    if len(columns) > 1 and all(t is not None for t in texts):
        rows = map(",".join, zip(*cast("list[list[str]]", texts), strict=True))
        return head + "\n".join(rows) + "\n" if columns[0] else head
    cells = [list(map(_csv_cell, values)) for values in columns]
    return _rows_csv(header, zip(*cells, strict=True))


def _csv_column(values: Sequence[object]) -> list[str] | None:
    """A column's cells as CSV text, quoted where the csv module would quote them; None
    when a text holds a CR or NUL. Only text is checked (numbers never need quotes), and
    each distinct text once: ids, tracks and names repeat down a column."""
    kinds = set(map(type, values))
    if kinds == {float}:
        return format_column(values, ".2f")
    if kinds == {int}:
        return format_column(values)
    if kinds <= {int, type(None)}:
        return ["" if v is None else f"{v}" for v in values]
    # Text alone is neutralised here; a mixed column's cells already are (by _csv_cell,
    # which leaves numbers alone: -1.50 is a number, not a formula).
    text = kinds == {str}
    column = cast("list[str]", values) if text else list(map(_csv_cell, values))
    distinct = list(dict.fromkeys(column))
    joined = "\n".join(distinct)
    if "\r" in joined or "\0" in joined:
        return None
    formula = text and any(map(str.startswith, distinct, repeat(FORMULA_START)))
    quotes = "," in joined or '"' in joined or joined.count("\n") >= len(distinct)
    if formula or quotes:
        shown = {v: _quote_if_needed(_csv_cell(v) if formula else v) for v in distinct}
        column = list(map(shown.__getitem__, column))
    return column


def _quote_if_needed(text: str) -> str:
    return (
        '"' + text.replace('"', '""') + '"' if "," in text or '"' in text or "\n" in text else text
    )


PAIR_COLUMNS = [
    "cohort_id",
    "track",
    "mentor_id",
    "mentor_name",
    "mentee_id",
    "mentee_name",
    "score",
    "reasons",
    *(f"points_{c}" for c in COMPONENTS),
    "change",
]


def pair_rows(result: MatchResult) -> list[list[object]]:
    return _pair_table(result).rows()


def _pair_table(result: MatchResult) -> Table:
    names = {m.id: m.name for c in result.cohorts for m in c.members}
    pairs = [pair for cohort in result.cohorts for pair in cohort.pairs]
    mentors = list(map(attrgetter("a"), pairs))
    mentees = list(map(attrgetter("b"), pairs))
    components = list(map(attrgetter("components"), pairs))
    return Table(
        PAIR_COLUMNS,
        [
            [cohort.id for cohort in result.cohorts for _ in cohort.pairs],
            [cohort.track for cohort in result.cohorts for _ in cohort.pairs],
            mentors,
            list(map(names.__getitem__, mentors)),
            mentees,
            list(map(names.__getitem__, mentees)),
            _rounded(map(attrgetter("score"), pairs)),
            list(map(" ".join, map(attrgetter("reasons"), pairs))),
            *(_rounded(map(itemgetter(c), components)) for c in COMPONENTS),
            [pair.change or "" for pair in pairs],
        ],
    )


def _rounded(values: Iterable[float]) -> list[float]:
    """Two decimals, as the files show them, each distinct value rounded once (scores
    repeat a lot). Zero is not looked up but kept as it is, sign and all (-0.0 and 0.0
    are one key)."""
    values = list(values)
    rounded = {v: round(v, 2) for v in set(values) if v}
    return list(map(rounded.get, values, values))


CHANGE_COLUMNS = ["track", "change", "a_id", "a_name", "b_id", "b_name", "reason"]


def changes_csv(result: MatchResult) -> str:
    """A rematch's changes: every previous pair not kept (and why), then every new pair."""
    names = {m.id: m.name for c in result.cohorts for m in c.members}
    rows: list[list[object]] = [
        [r.track, "removed", r.a, r.a_name, r.b, r.b_name, r.reason] for r in result.removed
    ]
    rows += [
        [c.track, "new", p.a, names[p.a], p.b, names[p.b], " ".join(p.reasons)]
        for c in result.cohorts
        for p in c.pairs
        if p.change == "new"
    ]
    return csv_text(CHANGE_COLUMNS, rows)


def pairs_csv(result: MatchResult) -> str:
    return _table_csv(_pair_table(result))


def _table_csv(table: Table) -> str:
    return _columns_csv(table.header, table.columns)


PARTICIPANT_COLUMNS = [
    "id",
    "name",
    "roles",
    "capacity",
    "demand",
    "matched_with",
    "unmatched_reason",
]


def participant_rows(
    result: MatchResult, people: Sequence[Participant], default_capacity: int, default_demand: int
) -> list[list[object]]:
    """One row per person; capacity only for mentors and demand only for mentees (None
    elsewhere). Never an opt-in attribute: this is a per-person table."""
    return _participant_table(result, people, default_capacity, default_demand).rows()


def _participant_table(
    result: MatchResult, people: Sequence[Participant], default_capacity: int, default_demand: int
) -> Table:
    # Each person's cells as text, grown one part at a time: no list per person.
    partners: dict[str, str] = {}
    for cohort in result.cohorts:
        for pair in cohort.pairs:
            a, b = pair.a, pair.b
            partners[a] = f"{partners[a]};{b}" if a in partners else b
            partners[b] = f"{partners[b]};{a}" if b in partners else a
    for circle in result.circles:
        for member in circle.members:
            met, joined = member.id, f"circle {circle.id}"
            partners[met] = f"{partners[met]};{joined}" if met in partners else joined
    reasons: dict[str, str] = {}
    for item in result.unmatched:
        why = f"as {_ROLE_VALUE[item.role]}: {item.reason}"
        reasons[item.id] = f"{reasons[item.id]} | {why}" if item.id in reasons else why
    mentor, mentee = Role.MENTOR, Role.MENTEE
    ids = list(map(attrgetter("id"), people))
    return Table(
        PARTICIPANT_COLUMNS,
        [
            ids,
            list(map(attrgetter("name"), people)),
            # Roles are StrEnum members: joined, they give their values.
            [";".join(p.roles) for p in people],
            [
                (default_capacity if p.capacity is None else p.capacity)
                if mentor in p.roles
                else None
                for p in people
            ],
            [
                (default_demand if p.demand is None else p.demand) if mentee in p.roles else None
                for p in people
            ],
            list(map(partners.get, ids, repeat(""))),
            list(map(reasons.get, ids, repeat(""))),
        ],
    )


#: A role's value by member: a dict lookup, not the enum's ``value`` property per cell.
_ROLE_VALUE = {role: role.value for role in Role}


def participants_csv(
    result: MatchResult, people: Sequence[Participant], default_capacity: int, default_demand: int
) -> str:
    return _table_csv(_participant_table(result, people, default_capacity, default_demand))


CIRCLE_COLUMNS = ["circle_id", "theme", "member_id", "member_name", "role", "fit", "reasons"]


def circle_rows(result: MatchResult) -> list[list[object]]:
    return _circle_table(result).rows()


def _circle_table(result: MatchResult) -> Table:
    members = [m for c in result.circles for m in c.members]
    circles = [c for c in result.circles for _ in c.members]
    return Table(
        CIRCLE_COLUMNS,
        [
            [c.id for c in circles],
            [c.theme for c in circles],
            list(map(attrgetter("id"), members)),
            list(map(attrgetter("name"), members)),
            [_ROLE_VALUE[m.role] for m in members],
            _rounded(c.fit[m.id] for c, m in zip(circles, members, strict=True)),
            [" ".join(c.reasons) for c in circles],
        ],
    )


def circles_csv(result: MatchResult) -> str:
    return _table_csv(_circle_table(result))


ALTERNATE_COLUMNS = ["track", "id", "rank", "partner_id", "partner_name", "score"]


_ALTERNATE_FIELDS = ("track", "id", "rank", "partner_id", "partner_name")


def alternate_rows(result: MatchResult) -> list[list[object]]:
    return _alternate_table(result).rows()


def _alternate_table(result: MatchResult) -> Table:
    found = result.alternates
    return Table(
        ALTERNATE_COLUMNS,
        [
            *(list(map(attrgetter(field), found)) for field in _ALTERNATE_FIELDS),
            _rounded(map(attrgetter("score"), found)),
        ],
    )


def alternates_csv(result: MatchResult) -> str:
    return _table_csv(_alternate_table(result))


SUMMARY_COLUMNS = [
    "track", "asking", "offering", "candidate_pairs", "pairs", "matched", "unmatched",
    "demand_total", "demand_met", "mean_score", "min_score", "solver_method", "solver_status",
    "objective", "bound", "gap",
]  # fmt: skip


def summary_rows(result: MatchResult) -> list[list[object]]:
    """One row per track (no timings: they would break byte-identical results)."""
    return [
        [t.track, t.left, t.right, t.candidate_pairs, t.pairs, t.left_matched, t.left_unmatched,
         t.demand_total, t.demand_met, t.mean_score, t.min_score, t.solver.method,
         t.solver.status, t.solver.objective, t.solver.bound, t.solver.gap]
        for t in result.summary.tracks
    ]  # fmt: skip


UNMATCHED_COLUMNS = ["id", "name", "track", "role", "reason"]


def unmatched_rows(result: MatchResult) -> list[list[object]]:
    return _unmatched_table(result).rows()


def _unmatched_table(result: MatchResult) -> Table:
    found = result.unmatched
    roles = list(map(attrgetter("role"), found))
    return Table(
        UNMATCHED_COLUMNS,
        [
            list(map(attrgetter("id"), found)),
            list(map(attrgetter("name"), found)),
            list(map(ROLE_TRACK.get, roles, repeat(""))),
            list(map(_ROLE_VALUE.__getitem__, roles)),
            list(map(attrgetter("reason"), found)),
        ],
    )


TOPIC_COLUMNS = ["track", "topic", "demand", "offering", "capacity", "covered", "short"]


def topic_rows(result: MatchResult) -> list[list[object]]:
    ranked = sorted(result.topics, key=lambda t: (t.track, -t.demand, t.topic))
    return [
        [t.track, t.topic, t.demand, t.offering, t.capacity, t.covered, t.short] for t in ranked
    ]


FIX_COLUMNS = ["rank", "track", "kind", "change", "placed", "newly_matched"]


def fix_rows(result: MatchResult) -> list[list[object]]:
    """Fixes best first: most places filled, then by track and wording (stable order)."""
    ranked = sorted(result.fixes, key=lambda f: (-f.placed, f.track, f.kind, f.change))
    return [
        [k, f.track, f.kind, f.change, f.placed, ";".join(f.newly_matched)]
        for k, f in enumerate(ranked, start=1)
    ]


ATTRIBUTE_COLUMNS = ["attribute", "value", "asked", "matched", "not_matched", "match_rate"]


@dataclass(frozen=True)
class _Tables:
    """The tables the CSV files and the sheets share: built once per render."""

    pairs: Table
    participants: Table
    circles: Table
    unmatched: Table
    alternates: Table


def _tables(result: MatchResult, people: Sequence[Participant], config: ProgramConfig) -> _Tables:
    return _Tables(
        pairs=_pair_table(result),
        participants=_participant_table(
            result, people, config.mentoring.default_capacity, config.mentoring.default_demand
        ),
        circles=_circle_table(result),
        unmatched=_unmatched_table(result),
        alternates=_alternate_table(result),
    )


def results_workbook(
    result: MatchResult, people: Sequence[Participant], config: ProgramConfig
) -> bytes:
    """results.xlsx: one sheet per table, from the same rows as the CSV files. The
    attributes sheet (suppressed aggregates) only exists when the program opts in."""
    return zip_parts(_workbook_parts(result, people, config, _tables(result, people, config)))


def _workbook_parts(
    result: MatchResult, people: Sequence[Participant], config: ProgramConfig, tables: _Tables
) -> list[tuple[str, Part]]:
    sheets = [
        Sheet("summary", SUMMARY_COLUMNS, summary_rows(result)),
        _sheet("pairs", tables.pairs),
        _sheet("participants", tables.participants),
        _sheet("circles", tables.circles),
        _sheet("unmatched", tables.unmatched),
        Sheet("topics", TOPIC_COLUMNS, topic_rows(result)),
        Sheet("fixes", FIX_COLUMNS, fix_rows(result)),
        _sheet("alternates", tables.alternates),
    ]
    attributes = attribute_rows(result, people, config)
    if attributes:
        sheets.append(
            Sheet(
                "attributes",
                ATTRIBUTE_COLUMNS,
                [
                    [r.attribute, r.value, r.asked, r.matched, r.unmatched, r.rate]
                    for r in attributes
                ],
            )
        )
    return workbook_parts(sheets, title=f"{config.name}: matching results")


def _sheet(name: str, table: Table) -> Sheet:
    return Sheet(name, table.header, Columns(table.columns))


def write_results(out_dir: Path, files: dict[str, str] | dict[str, str | bytes]) -> list[Path]:
    """Write every file into a fresh folder, then swap it in: a failure at any point
    leaves the previous results untouched and no half-written folder behind. Text is
    written as UTF-8, bytes (the workbook) as they are."""
    out_dir = out_dir.resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a folder")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise OutputError(
            f"{out_dir} holds files cohort-match did not write; choose an empty or new folder"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _restore_retired(out_dir)
    _remove_stale_staging(out_dir)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{out_dir.name}.{STAGING}-{os.getpid()}-", dir=out_dir.parent)
    )
    try:
        # Every file but the marker at once: the writes and fsyncs release the GIL, so
        # they overlap each other and the UTF-8 encoding. The marker is written last.
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="results-write") as pool:
            for done in [
                pool.submit(_write_file, staging / name, content)
                for name, content in files.items()
                if name != MARKER
            ]:
                done.result()
        if MARKER in files:
            _write_file(staging / MARKER, files[MARKER])
        if not out_dir.exists():
            staging.rename(out_dir)
        elif _exchange(staging, out_dir):
            shutil.rmtree(staging, ignore_errors=True)  # now holds the previous results
        else:
            retired = out_dir.parent / f".{out_dir.name}.{RETIRED}-{uuid.uuid4().hex[:8]}"
            out_dir.rename(retired)
            staging.rename(out_dir)
            shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out_dir / name for name in files]


def _write_file(path: Path, content: str | bytes) -> None:
    """One file, durable before the folder is swapped in: text as UTF-8, bytes as they are."""
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


#: Hidden folders beside a results folder: a run's files while it writes them, and (where
#: the two folders cannot be exchanged in one step) the previous results being replaced.
STAGING = "staging"
RETIRED = "old"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``), so a kill at
    any moment leaves either the previous results or the new ones in place, never
    neither; False where the system cannot, and the caller renames twice instead."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _remove_stale_staging(out_dir: Path) -> None:
    """Remove what killed runs left while writing into ``out_dir`` (a staging folder
    whose process is gone), so interrupted runs do not pile up hidden copies."""
    for path in out_dir.parent.glob(f".{glob.escape(out_dir.name)}.{STAGING}-*-*"):
        pid = path.name.removeprefix(f".{out_dir.name}.{STAGING}-").split("-", 1)[0]
        if pid.isdigit() and _dead(int(pid)) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _restore_retired(out_dir: Path) -> None:
    """Where a run was killed between its two renames (no exchange), the previous results
    wait in a retired folder and ``out_dir`` is gone: put them back first."""
    if out_dir.exists():
        return
    retired = [
        p
        for p in out_dir.parent.glob(f".{glob.escape(out_dir.name)}.{RETIRED}-*")
        if (p / MARKER).exists()
    ]
    if retired:
        max(retired, key=lambda p: p.stat().st_mtime).rename(out_dir)


#: The run's inputs, so that `cohort-match explain` can re-solve from a results folder.
RUN_FILE = "run.json"


def run_record(
    surveys: Sequence[Path],
    config: ProgramConfig,
    *,
    seed: int,
    time_limit: float | None,
    control: Mapping[str, Sequence[Path]] | None = None,
) -> dict[str, object]:
    """Survey paths with their SHA-256 (a changed file is refused later), the config as
    loaded, the seed, the time limit, and the pins, forbids and history files given."""
    import hashlib

    def files(paths: Sequence[Path]) -> list[dict[str, str]]:
        return [
            {
                "path": str(Path(p).resolve()),
                "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest(),
            }
            for p in paths
        ]

    return {
        "surveys": files(surveys),
        "config": config.model_dump(mode="json"),
        "seed": seed,
        "time_limit": time_limit,
        "control": {name: files(paths) for name, paths in (control or {}).items() if paths},
    }


def render(
    result: MatchResult,
    people: Sequence[Participant],
    config: ProgramConfig,
    run: dict[str, object] | None = None,
) -> dict[str, str | bytes]:
    """Every results file by name (text, and the workbook as bytes). Timings stay out
    of the files, so the same input and seed give byte-identical results. ``run``
    (``run_record``) becomes run.json."""
    with run_threads():  # no cyclic GC while the tables' many strings are made
        return _render(result, people, config, run)


def _render(
    result: MatchResult,
    people: Sequence[Participant],
    config: ProgramConfig,
    run: dict[str, object] | None,
) -> dict[str, str | bytes]:
    rematched = bool(result.removed) or any(
        p.change is not None for c in result.cohorts for p in c.pairs
    )
    summary = result.summary.model_dump(mode="json", exclude={"stage_seconds"})
    for track in summary["tracks"]:
        track["solver"].pop("wall_time", None)
    document = {
        "program": config.name,
        "summary": summary,
        "warnings": [w.model_dump(mode="json") for w in result.warnings],
    }
    tables = _tables(result, people, config)
    parts = _workbook_parts(result, people, config, tables)
    # The workbook is compressed on another thread (zlib releases the GIL) while this
    # one writes the CSV files and the report: a tenth of a second off the write.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="results-zip") as pool:
        workbook = pool.submit(zip_parts, parts)
        files: dict[str, str | bytes] = {
            "pairs.csv": _table_csv(tables.pairs),
            "participants.csv": _table_csv(tables.participants),
            "report.html": report_html(result, people, config),
            WORKBOOK: b"",  # its place in the order; the bytes below
            **({"circles.csv": _table_csv(tables.circles)} if result.circles else {}),
            **({"alternates.csv": _table_csv(tables.alternates)} if result.alternates else {}),
            **({"changes.csv": changes_csv(result)} if rematched else {}),
            **({RUN_FILE: json.dumps(run, indent=2) + "\n"} if run is not None else {}),
            MARKER: json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        }
        files[WORKBOOK] = workbook.result()
    return files
