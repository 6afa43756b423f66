"""Result files, written atomically and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

from matcher.config import ProgramConfig
from matcher.models import MatchResult, Participant, Role
from matcher.scoring import COMPONENTS

#: Written last into every results folder; its presence marks a folder as ours.
MARKER = "summary.json"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class OutputError(Exception):
    """The results cannot be written where asked."""


def neutralise(value: object) -> object:
    """Stop a spreadsheet from running a cell as a formula (prefix a quote)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue()


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
]


def pairs_csv(result: MatchResult) -> str:
    names = {m.id: m.name for c in result.cohorts for m in c.members}
    rows = [
        [
            cohort.id,
            cohort.track,
            pair.a,
            names[pair.a],
            pair.b,
            names[pair.b],
            f"{pair.score:.2f}",
            " ".join(pair.reasons),
            *(f"{pair.components[c]:.2f}" for c in COMPONENTS),
        ]
        for cohort in result.cohorts
        for pair in cohort.pairs
    ]
    return csv_text(PAIR_COLUMNS, rows)


PARTICIPANT_COLUMNS = [
    "id",
    "name",
    "roles",
    "capacity",
    "demand",
    "matched_with",
    "unmatched_reason",
]


def participants_csv(
    result: MatchResult, people: Sequence[Participant], default_capacity: int, default_demand: int
) -> str:
    partners: dict[str, list[str]] = {}
    for cohort in result.cohorts:
        for pair in cohort.pairs:
            partners.setdefault(pair.a, []).append(pair.b)
            partners.setdefault(pair.b, []).append(pair.a)
    for circle in result.circles:
        for member in circle.members:
            partners.setdefault(member.id, []).append(f"circle {circle.id}")
    reasons: dict[str, list[str]] = {}
    for item in result.unmatched:
        reasons.setdefault(item.id, []).append(f"as {item.role.value}: {item.reason}")
    rows = []
    for p in people:
        capacity = (
            (p.capacity if p.capacity is not None else default_capacity)
            if Role.MENTOR in p.roles
            else ""
        )
        demand = (
            (p.demand if p.demand is not None else default_demand) if Role.MENTEE in p.roles else ""
        )
        rows.append(
            [
                p.id,
                p.name,
                ";".join(r.value for r in p.roles),
                capacity,
                demand,
                ";".join(partners.get(p.id, [])),
                " | ".join(reasons.get(p.id, [])),
            ]
        )
    return csv_text(PARTICIPANT_COLUMNS, rows)


CIRCLE_COLUMNS = ["circle_id", "theme", "member_id", "member_name", "role", "fit", "reasons"]


def circles_csv(result: MatchResult) -> str:
    rows = [
        [c.id, c.theme, m.id, m.name, m.role.value, f"{c.fit[m.id]:.2f}", " ".join(c.reasons)]
        for c in result.circles for m in c.members
    ]  # fmt: skip
    return csv_text(CIRCLE_COLUMNS, rows)


ALTERNATE_COLUMNS = ["track", "id", "rank", "partner_id", "partner_name", "score"]


def alternates_csv(result: MatchResult) -> str:
    rows = [
        [a.track, a.id, a.rank, a.partner_id, a.partner_name, f"{a.score:.2f}"]
        for a in result.alternates
    ]
    return csv_text(ALTERNATE_COLUMNS, rows)


def report_html(result: MatchResult, program: str) -> str:
    """A self-contained page (no network): the summary, the pairs, the unmatched."""
    s = result.summary
    esc = html.escape
    buckets = [0] * 10
    for cohort in result.cohorts:
        for pair in cohort.pairs:
            buckets[min(int(pair.score // 10), 9)] += 1
    top = max(buckets) or 1
    bars = "".join(
        f"<tr><td>{10 * k}-{10 * k + 10}</td><td><div class=bar style='width:{300 * n // top}px'>"
        f"</div></td><td>{n}</td></tr>"
        for k, n in enumerate(buckets)
    )
    facts: list[tuple[str, object]] = [("people", s.people), ("pairs made", s.pairs)]
    for t in s.tracks:
        facts += [
            (f"{t.track}: asking / offering", f"{t.left} / {t.right}"),
            (f"{t.track}: matched / unmatched", f"{t.left_matched} / {t.left_unmatched}"),
            (f"{t.track}: mean / lowest score", f"{t.mean_score} / {t.min_score}"),
            (f"{t.track}: solver", f"{t.solver.method}, {t.solver.status}"),
        ]
    pair_rows = "".join(
        f"<tr><td>{esc(c.id)}</td><td>{esc(p.a)}</td><td>{esc(p.b)}</td><td>{p.score:.1f}</td>"
        f"<td>{esc(' '.join(p.reasons))}</td></tr>"
        for c in result.cohorts
        for p in c.pairs
    )
    circle_rows = "".join(
        f"<tr><td>{esc(c.id)}</td><td>{esc(c.theme)}</td>"
        f"<td>{esc(', '.join(m.name for m in c.members))}</td>"
        f"<td>{esc(' '.join(c.reasons))}</td></tr>"
        for c in result.circles
    )
    unmatched_rows = "".join(
        f"<tr><td>{esc(u.id)}</td><td>{u.role.value}</td><td>{esc(u.reason)}</td></tr>"
        for u in result.unmatched
    )
    return f"""<!doctype html>
<html lang=en><meta charset=utf-8><title>{esc(program)}: matching report</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}}.bar{{background:#4a7;height:12px}}</style>
<h1>{esc(program)}: matching report</h1>
<table>{"".join(f"<tr><th>{k}</th><td>{esc(str(v))}</td></tr>" for k, v in facts)}</table>
<h2>Score distribution</h2><table>{bars}</table>
<h2>Pairs</h2><table><tr><th>cohort</th><th>mentor</th><th>mentee</th><th>score</th>
<th>reasons</th></tr>{pair_rows}</table>
<h2>Circles</h2><table><tr><th>circle</th><th>theme</th><th>members</th><th>why</th></tr>
{circle_rows}</table>
<h2>Not matched</h2><table><tr><th>id</th><th>role</th><th>reason</th></tr>{unmatched_rows}
</table></html>
"""


def write_results(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Write every file into a fresh folder, then swap it in: a failure at any point
    leaves the previous results untouched and no half-written folder behind."""
    out_dir = out_dir.resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a folder")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise OutputError(
            f"{out_dir} holds files cohort-match did not write; choose an empty or new folder"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        ordered = sorted(files, key=lambda name: name == MARKER)  # the marker last
        for name in ordered:
            target = staging / name
            with target.open("w", encoding="utf-8", newline="") as handle:
                handle.write(files[name])
                handle.flush()
                os.fsync(handle.fileno())
        if out_dir.exists():
            retired = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
            out_dir.rename(retired)
            staging.rename(out_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out_dir / name for name in files]


#: The run's inputs, so that `cohort-match explain` can re-solve from a results folder.
RUN_FILE = "run.json"


def run_record(
    surveys: Sequence[Path], config: ProgramConfig, *, seed: int, time_limit: float | None
) -> dict[str, object]:
    """Survey paths with their SHA-256 (a changed file is refused later), the config as
    loaded, the seed and the time limit."""
    import hashlib

    return {
        "surveys": [
            {
                "path": str(Path(p).resolve()),
                "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest(),
            }
            for p in surveys
        ],
        "config": config.model_dump(mode="json"),
        "seed": seed,
        "time_limit": time_limit,
    }


def render(
    result: MatchResult,
    people: Sequence[Participant],
    config: ProgramConfig,
    run: dict[str, object] | None = None,
) -> dict[str, str]:
    """Every results file by name. Timings stay out of the files, so the same input and
    seed give byte-identical results. ``run`` (``run_record``) becomes run.json."""
    summary = result.summary.model_dump(mode="json", exclude={"stage_seconds"})
    for track in summary["tracks"]:
        track["solver"].pop("wall_time", None)
    document = {
        "program": config.name,
        "summary": summary,
        "warnings": [w.model_dump(mode="json") for w in result.warnings],
    }
    return {
        "pairs.csv": pairs_csv(result),
        "participants.csv": participants_csv(
            result, people, config.mentoring.default_capacity, config.mentoring.default_demand
        ),
        "report.html": report_html(result, config.name),
        **({"circles.csv": circles_csv(result)} if result.circles else {}),
        **({"alternates.csv": alternates_csv(result)} if result.alternates else {}),
        **({RUN_FILE: json.dumps(run, indent=2) + "\n"} if run is not None else {}),
        MARKER: json.dumps(document, indent=2, ensure_ascii=False) + "\n",
    }
