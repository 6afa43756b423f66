"""Several solutions side by side, so a coordinator picks a trade-off knowingly.

``frontier`` solves the tracks of pairs (mentoring, reverse, peer; circles are left out)
a handful of times, each with one setting changed:

1. each objective: coverage, total, fair, stable;
2. a worst-off sweep: a rising ``rules.min_score`` floor (objective coverage), starting
   at the best lowest pair score that keeps everyone the fair solution places, then
   climbing towards the mean score, where coverage gives way;
3. a diversity sweep: ``weights.new_ties`` at a few values (objective coverage).

Every point is measured on the same axes, over all tracks of pairs together: coverage
(places filled / places asked), mean and lowest pair score, both re-scored with the
*program's* weights so the points compare (a point solved with other weights is not
judged by them), and the share of pairs across two different departments. Diagnosis
(alternates, fixes) is off, so each point costs one plain solve.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from matcher.config import PAIR_TRACKS, ProgramConfig
from matcher.control import build_control
from matcher.intake import Survey
from matcher.intake.normalize import key
from matcher.models import MatchResult, Participant
from matcher.output import MARKER, csv_text
from matcher.pipeline import match
from matcher.scoring import COMPONENTS, _weights
from solvers.objectives import GOALS

Progress = Callable[[str], None]
Kind = Literal["objective", "min_score", "new_ties"]

#: Raw ``weights.new_ties`` values of the diversity sweep (never 0: a component with
#: weight 0 leaves no points to recover its value from).
NEW_TIES_SWEEP = (0.05, 0.3, 0.6)
#: Floors of the worst-off sweep: this many, evenly spaced from the fair solution's
#: lowest pair score (included) towards the coverage solution's mean score (excluded).
MIN_SCORE_STEPS = 4

CSV_FILE = "frontier.csv"
PNG_FILE = "frontier.png"
HTML_FILE = "report.html"

CSV_COLUMNS = [
    "label", "kind", "objective", "min_score", "new_ties", "pairs", "places_filled",
    "places_asked", "coverage_pct", "mean_quality", "worst_off", "cross_department_pct",
    "blocking_pairs", "pareto",
]  # fmt: skip


def _silent(_: str) -> None:
    return None


class FrontierPoint(BaseModel):
    """One solution and where it sits on each axis (scores on the program's weights)."""

    label: str = Field(description='What was changed, e.g. "min score 45".')
    kind: Kind
    objective: str
    min_score: float = Field(description="The rules.min_score floor it was solved with.")
    new_ties: float = Field(description="The raw weights.new_ties it was solved with.")
    pairs: int
    places_filled: int
    places_asked: int = Field(
        description="Places asked for: the most over all points of the frontier (see "
        "``_common_coverage``), so every point's coverage has the same denominator."
    )
    coverage: float | None = Field(description="places_filled / places_asked (0-1).")
    mean_quality: float | None = Field(description="Mean pair score, program weights (0-100).")
    worst_off: float | None = Field(description="Lowest pair score, program weights (0-100).")
    cross_department: float | None = Field(
        description="Share of pairs whose two people are in known, different departments."
    )
    blocking_pairs: int | None
    pareto: bool = Field(
        False, description="No other point is as good on every axis and better on one."
    )

    def axes(self) -> tuple[float, float, float, float]:
        """The four axes, all to maximise (an undefined one counts as worst)."""

        def value(v: float | None) -> float:
            return -math.inf if v is None else v

        return (
            value(self.coverage),
            value(self.mean_quality),
            value(self.worst_off),
            value(self.cross_department),
        )


class Frontier(BaseModel):
    program: str
    tracks: list[str] = Field(description="The tracks of pairs solved for every point.")
    seed: int
    points: list[FrontierPoint]
    skipped: list[str] = Field(
        default_factory=list, description="Points the config does not allow, and why."
    )


def pair_only(config: ProgramConfig) -> ProgramConfig:
    """The config every point starts from: tracks of pairs only, diagnosis off."""
    raw = config.model_dump()
    raw["tracks"]["order"] = [t for t in config.tracks.order if t in PAIR_TRACKS]
    raw["diagnosis"] = {"alternates": 0, "max_variations": 0}
    return ProgramConfig.model_validate(raw)


def variant(
    config: ProgramConfig,
    *,
    objective: str | None = None,
    min_score: float | None = None,
    new_ties: float | None = None,
) -> ProgramConfig:
    """``config`` with one setting changed for the program *and* for any track that sets
    its own (so a point's label holds for every track). ValidationError if not allowed."""
    raw = config.model_dump()
    for section, name, value in (
        ("mentoring", "objective", objective),
        ("rules", "min_score", min_score),
        ("weights", "new_ties", new_ties),
    ):
        if value is None:
            continue
        raw[section][name] = value
        for track in PAIR_TRACKS:
            own: dict[str, Any] = raw["tracks"][track][section]
            if name in own:
                own[name] = value
    return ProgramConfig.model_validate(raw)


def base_scores(result: MatchResult, run_config: ProgramConfig, base: ProgramConfig) -> list[float]:
    """Every pair's score (0-100, cohorts in order) on the *base* config's weights.

    A pair's ``components`` are points, ``100 * weight * value`` with the weights its
    run used (normalised, components without data switched off: ``scoring._weights``),
    so each value comes back as ``points / (100 * weight)`` and is re-weighted. Where
    the run used the base weights, the pair's own score is taken as it is."""
    disabled = {t.track: t.disabled_components for t in result.summary.tracks}
    used = {t: _weights(run_config.for_track(t), d) for t, d in disabled.items()}
    wanted = {t: _weights(base.for_track(t), d) for t, d in disabled.items()}
    scores: list[float] = []
    for cohort in result.cohorts:
        w_used, w_base = used[cohort.track], wanted[cohort.track]
        for pair in cohort.pairs:
            if w_used == w_base:
                scores.append(pair.score)
                continue
            value = {
                c: pair.components[c] / (100 * w_used[c]) if w_used[c] > 0 else 0.0
                for c in COMPONENTS
            }
            scores.append(100 * sum(w_base[c] * value[c] for c in COMPONENTS))
    return scores


def _measure(
    label: str,
    kind: Kind,
    result: MatchResult,
    run_config: ProgramConfig,
    base: ProgramConfig,
    people: Sequence[Participant],
) -> FrontierPoint:
    tracks = result.summary.tracks
    scores = base_scores(result, run_config, base)
    department = {p.id: key(p.department) if p.department else None for p in people}
    across = 0
    for cohort in result.cohorts:
        for pair in cohort.pairs:
            da, db = department.get(pair.a), department.get(pair.b)
            across += da is not None and db is not None and da != db
    filled = sum(t.demand_met for t in tracks)
    asked = sum(t.demand_total for t in tracks)
    blocking = [t.blocking_pairs for t in tracks if t.blocking_pairs is not None]
    rules, weights = run_config.rules, run_config.weights
    return FrontierPoint(
        label=label,
        kind=kind,
        objective=run_config.mentoring.objective,
        min_score=rules.min_score,
        new_ties=weights.new_ties,
        pairs=len(scores),
        places_filled=filled,
        places_asked=asked,
        coverage=None,  # over one denominator for all points: _common_coverage
        mean_quality=round(sum(scores) / len(scores), 2) if scores else None,
        worst_off=round(min(scores), 2) if scores else None,
        cross_department=round(across / len(scores), 4) if scores else None,
        blocking_pairs=sum(blocking) if blocking else None,
    )


def _floors(low: float, high: float) -> list[float]:
    """Evenly spaced floors from ``low`` (rounded down to 0.1, so that it stays
    reachable) towards ``high``, distinct and at most 100."""
    start = math.floor(low * 10) / 10
    step = max(high - start, 0.0) / MIN_SCORE_STEPS
    floors = [round(min(start + k * step, 100.0), 1) for k in range(MIN_SCORE_STEPS)]
    return sorted(set(floors))


def _common_coverage(points: Sequence[FrontierPoint]) -> None:
    """Coverage over one denominator for every point: the most places asked in any of
    them. A track later in the order asks for fewer places when earlier tracks used up
    people's commitments, so each point's own count would make a point look better
    merely for having shut more people out of a later track."""
    asked = max((p.places_asked for p in points), default=0)
    for point in points:
        point.places_asked = asked
        point.coverage = round(point.places_filled / asked, 4) if asked else None


def mark_pareto(points: Sequence[FrontierPoint]) -> None:
    """Set ``pareto`` on every point that no other point dominates."""
    for point in points:
        mine = point.axes()
        point.pareto = not any(
            all(o >= m for o, m in zip(other.axes(), mine, strict=True)) and other.axes() != mine
            for other in points
        )


def frontier(
    survey: Survey,
    config: ProgramConfig,
    *,
    seed: int = 0,
    time_limit: float | None = None,
    progress: Progress = _silent,
) -> Frontier:
    """Solve the tracks of pairs once per point (see the module doc) and measure each.
    Deterministic for the same input and seed. ``InputError`` from the config's pins
    and forbids, as in a run."""
    people = survey.participants
    control = build_control(config, people)
    start = pair_only(config)
    points: list[FrontierPoint] = []
    by_label: dict[str, FrontierPoint] = {}
    results: dict[str, MatchResult] = {}
    skipped: list[str] = []

    def solve(label: str, kind: Kind, **change: Any) -> None:
        try:
            run_config = variant(start, **change)
        except ValidationError as exc:  # e.g. fair with per-kind demand
            why = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            skipped.append(f"{label}: {why}")
            progress(f"skipped {skipped[-1]}")
            return
        progress(f"solving: {label}")
        output = match(survey, run_config, time_limit=time_limit, seed=seed, control=control)
        point = _measure(label, kind, output.result, run_config, config, people)
        points.append(point)
        by_label[label] = point
        results[label] = output.result

    for goal in GOALS:
        solve(f"objective {goal}", "objective", objective=goal)
    coverage = by_label.get("objective coverage")
    lowest = by_label.get("objective fair", coverage)  # fair is not always available
    if (
        lowest is not None and lowest.worst_off is not None
        and coverage is not None and coverage.mean_quality is not None
    ):  # fmt: skip
        for floor in _floors(lowest.worst_off, coverage.mean_quality):
            if floor <= config.rules.min_score:
                continue  # the program's own floor: the coverage point already
            solve(f"min score {floor:g}", "min_score", objective="coverage", min_score=floor)
    plain = results.get("objective coverage")
    ties_off = plain is not None and all(
        "new_ties" in t.disabled_components for t in plain.summary.tracks
    )
    for ties in () if ties_off else NEW_TIES_SWEEP:  # no department or location data
        solve(f"new ties weight {ties:g}", "new_ties", objective="coverage", new_ties=ties)
    _common_coverage(points)
    mark_pareto(points)
    return Frontier(
        program=config.name,
        tracks=[t for t in start.tracks.order if getattr(start.tracks, t).enabled],
        seed=seed,
        points=points,
        skipped=skipped,
    )


# --- outputs -------------------------------------------------------------------------


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 2)


def rows(result: Frontier) -> list[list[object]]:
    return [
        [p.label, p.kind, p.objective, float(p.min_score), float(p.new_ties), p.pairs,
         p.places_filled, p.places_asked, _pct(p.coverage), p.mean_quality, p.worst_off,
         _pct(p.cross_department), p.blocking_pairs, "yes" if p.pareto else "no"]
        for p in result.points
    ]  # fmt: skip


def frontier_csv(result: Frontier) -> str:
    """One row per point; cells neutralised like every other results CSV."""
    return csv_text(CSV_COLUMNS, [["" if v is None else v for v in row] for row in rows(result)])


def frontier_png(result: Frontier) -> bytes:
    """Two panels: coverage vs mean quality, cross-department share vs mean quality;
    colour is the lowest pair score; each dot carries its point's number (the key is
    underneath), Pareto points ringed. No software stamp, so the same input gives the
    same bytes. Drawn on an Agg canvas of its own: no pyplot, no global backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    numbered = list(enumerate(result.points, start=1))
    shown = [
        (n, p) for n, p in numbered
        if None not in (p.coverage, p.mean_quality, p.worst_off, p.cross_department)
    ]  # fmt: skip
    figure = Figure(figsize=(11, 5.9), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, 2, height_ratios=[4.6, 0.75])
    panels = [figure.add_subplot(grid[0, 0])]
    panels.append(figure.add_subplot(grid[0, 1], sharey=panels[0]))
    figure.suptitle(f"{result.program}: solutions compared")
    worst = [p.worst_off or 0.0 for _, p in shown]
    low, high = (min(worst), max(worst)) if worst else (0.0, 1.0)
    dots = None
    for panel, (axis, title) in zip(
        panels,
        (("coverage", "Places filled (%)"), ("cross_department", "Pairs across departments (%)")),
        strict=True,
    ):
        x = [100 * (getattr(p, axis) or 0.0) for _, p in shown]
        y = [p.mean_quality or 0.0 for _, p in shown]
        dots = panel.scatter(
            x, y, c=worst, cmap="viridis", vmin=low, vmax=max(high, low + 1e-6),
            s=[110 if p.pareto else 45 for _, p in shown],
            edgecolors=["black" if p.pareto else "none" for _, p in shown],
            linewidths=1.5, zorder=3,
        )  # fmt: skip
        for text, at, bold in _number_groups(shown, x, y):
            panel.annotate(
                text, at, xytext=(7, 3), textcoords="offset points", fontsize=8,
                fontweight="bold" if bold else "normal",
            )  # fmt: skip
        panel.set_xlabel(title)
        panel.margins(x=0.12, y=0.1)
        panel.grid(True, alpha=0.3)
        if not shown:
            panel.text(0.5, 0.5, "no pairs", ha="center", transform=panel.transAxes)
    panels[0].set_ylabel("Mean pair score (program weights)")
    if shown and dots is not None:
        figure.colorbar(dots, ax=panels, label="Lowest pair score", shrink=0.9)
    key = figure.add_subplot(grid[1, :])
    key.axis("off")
    entries = [f"{n}  {p.label}" + ("  (Pareto)" if p.pareto else "") for n, p in numbered]
    per_column = max(1, math.ceil(len(entries) / 3))
    for column in range(3):
        chunk = entries[column * per_column : (column + 1) * per_column]
        key.text(column / 3, 1.0, "\n".join(chunk), va="top", fontsize=8,
                 transform=key.transAxes)  # fmt: skip
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _number_groups(
    shown: Sequence[tuple[int, FrontierPoint]], x: Sequence[float], y: Sequence[float]
) -> list[tuple[str, tuple[float, float], bool]]:
    """One label per cluster of dots that would overlap (within 3% of the panel's range
    both ways): their numbers, at the cluster's first dot; bold if one is Pareto."""
    span_x = ((max(x) - min(x)) or 1.0) if x else 1.0
    span_y = ((max(y) - min(y)) or 1.0) if y else 1.0
    groups: list[tuple[list[int], tuple[float, float], list[bool]]] = []
    for (number, point), px, py in zip(shown, x, y, strict=True):
        for numbers, (gx, gy), pareto in groups:
            if abs(px - gx) <= 0.03 * span_x and abs(py - gy) <= 0.03 * span_y:
                numbers.append(number)
                pareto.append(point.pareto)
                break
        else:
            groups.append(([number], (px, py), [point.pareto]))
    return [(",".join(map(str, ns)), at, any(ps)) for ns, at, ps in groups]


_CSS = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;"
    "color:#1a1a1a}table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}"
    "th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right}"
    "th:nth-child(2),td:nth-child(2){text-align:left}tr.pareto{font-weight:600}"
    "img{max-width:100%;height:auto}"
)

_HEADER = [
    "#", "point", "pairs", "places filled", "coverage %", "mean score", "lowest score",
    "across departments %", "blocking pairs", "Pareto",
]  # fmt: skip


def table_rows(result: Frontier) -> list[list[str]]:
    """The table as text, for the page and the terminal; ``#`` is the number on the
    point's dot in the plot."""

    def num(value: float | None, digits: int = 1) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    return [
        [str(n), p.label, str(p.pairs), f"{p.places_filled}/{p.places_asked}",
         num(_pct(p.coverage)), num(p.mean_quality, 2), num(p.worst_off, 2),
         num(_pct(p.cross_department)),
         "-" if p.blocking_pairs is None else str(p.blocking_pairs), "yes" if p.pareto else ""]
        for n, p in enumerate(result.points, start=1)
    ]  # fmt: skip


def text_table(result: Frontier) -> str:
    """Aligned columns for the terminal (text left, numbers right)."""
    table = [_HEADER, *table_rows(result)]
    widths = [max(len(row[k]) for row in table) for k in range(len(_HEADER))]
    lines = [
        "  ".join(
            cell.ljust(w) if k == 1 else cell.rjust(w)
            for k, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]
    return "\n".join(lines) + "\n"


def frontier_html(result: Frontier, png: bytes) -> str:
    """A self-contained page: how to read it, the plot (a data URI) and the table."""
    esc = html.escape
    program = esc(result.program)
    head = "".join(f"<th scope=col>{esc(h)}</th>" for h in _HEADER)
    body = "".join(
        ("<tr class=pareto>" if p.pareto else "<tr>")
        + "".join(f"<td>{esc(cell)}</td>" for cell in row)
        + "</tr>"
        for p, row in zip(result.points, table_rows(result), strict=True)
    )
    image = base64.b64encode(png).decode("ascii")
    tracks = esc(", ".join(result.tracks) or "none")
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{program}: trade-offs</title><style>{_CSS}</style></head><body>"
        f"<h1>{program}: trade-offs between solutions</h1>"
        f"<p>Each row is one complete solution of the tracks of pairs ({tracks}), solved "
        "with one setting changed: the objective, a floor on every pair's score (min score), "
        "or the weight of new ties across departments and locations. Coverage is the share "
        "of requested places filled (over the most places any row asked: a later track asks "
        "fewer when earlier ones used people's commitments); mean and lowest score are "
        "every pair re-scored with "
        "the program's own weights, so rows compare fairly; across departments is the share "
        "of pairs whose two people are in different departments. A Pareto row (bold, ringed "
        "in the plot) is one that no other row matches or beats on all four at once: pick "
        "among those, trading what matters most to the programme, then run "
        "<code>cohort-match run</code> with that setting (<code>--objective</code>, or "
        "<code>rules.min_score</code> or <code>weights.new_ties</code> in the config).</p>"
        f'<img src="data:image/png;base64,{image}" alt="{esc(_ALT)}">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + "".join(f"<p>Not solved: {esc(reason)}</p>" for reason in result.skipped)
        + "</body></html>\n"
    )


_ALT = (
    "Two scatter plots of the solutions: places filled against mean pair score, and pairs "
    "across departments against mean pair score; colour shows the lowest pair score. The "
    "table below gives the same numbers."
)


def render_frontier(result: Frontier) -> dict[str, str | bytes]:
    """Every file by name: the table, the plot, the page, and the folder marker
    (summary.json, as in a results folder, so a later run may replace the folder)."""
    png = frontier_png(result)
    document = {"program": result.program, "frontier": result.model_dump(mode="json")}
    return {
        CSV_FILE: frontier_csv(result),
        PNG_FILE: png,
        HTML_FILE: frontier_html(result, png),
        MARKER: json.dumps(document, indent=2, ensure_ascii=False) + "\n",
    }
