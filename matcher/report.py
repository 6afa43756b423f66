"""Run metrics and the coordinator's report page (report.html).

The page is one self-contained file: inline CSS and inline SVG charts, no script and no
network, so it opens from an e-mail attachment or a shared drive and prints as it shows.
Every chart has a title, a description and its numbers as a table underneath, so a
screen reader (or a coordinator who prefers numbers) loses nothing.

Sensitive attributes (opt-in answers) appear only as counts per value over the people
who opted in; a count under ``MIN_GROUP`` is shown as "<5" and a value held by fewer
than ``MIN_GROUP`` people is not named at all.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from matcher.config import ProgramConfig
from matcher.models import MatchResult, Participant, Role

#: Smallest group whose size or outcome may be shown for a sensitive attribute.
MIN_GROUP = 5
SUPPRESSED = f"<{MIN_GROUP}"
#: Roles that ask for a match, and the track each role belongs to.
ASKING_ROLES = frozenset({Role.MENTEE, Role.REVERSE_MENTEE, Role.PEER, Role.CIRCLE})
ROLE_TRACK: dict[Role, str] = {
    Role.MENTEE: "mentoring",
    Role.MENTOR: "mentoring",
    Role.REVERSE_MENTEE: "reverse",
    Role.REVERSE_MENTOR: "reverse",
    Role.PEER: "peer",
    Role.CIRCLE: "circles",
}
#: Who offers places in each bipartite track.
_OFFER_ROLE = {"mentoring": Role.MENTOR, "reverse": Role.REVERSE_MENTOR}
#: Score histogram: ten buckets of ten points; 100 falls in the last.
SCORE_EDGES = np.arange(0, 101, 10)
#: Charts show at most this many rows (the tables underneath show them all).
_MAX_ROWS = 25
_TOP_DEPARTMENTS = 10
UNKNOWN = "(not given)"

esc = html.escape


# --- metrics -------------------------------------------------------------------------


def score_histogram(result: MatchResult) -> list[int]:
    """Pairs per ten-point score bucket (0-10, ..., 90-100)."""
    scores = np.fromiter((p.score for c in result.cohorts for p in c.pairs), dtype=np.float64)
    counts, _ = np.histogram(np.clip(scores, 0, 100), bins=SCORE_EDGES)
    return [int(n) for n in counts]


@dataclass(frozen=True)
class Utilisation:
    """Places offered and used in one track, and how full the offering people are."""

    track: str
    offered: int
    used: int
    idle: int
    partly: int
    full: int


def utilisation(
    result: MatchResult, people: Sequence[Participant], config: ProgramConfig
) -> list[Utilisation]:
    """Mentoring and reverse: capacity stated (or the default) against pairs made.
    Peers and circles: one place per person in the pool, against people placed."""
    out: list[Utilisation] = []
    for summary in result.summary.tracks:
        track = summary.track
        if track not in _OFFER_ROLE:
            # Peers and circles: one place per person in the pool (commitments left).
            placed = summary.left_matched
            out.append(Utilisation(track, offered=summary.left, used=placed,
                                   idle=summary.left - placed, partly=0, full=placed))  # fmt: skip
            continue
        default = config.for_track(track).mentoring.default_capacity
        offerers = [p for p in people if _OFFER_ROLE[track] in p.roles]
        index = {p.id: i for i, p in enumerate(offerers)}
        capacity = np.array(
            [default if p.capacity is None else p.capacity for p in offerers], dtype=np.int64
        )
        teachers = [index[p.a] for c in result.cohorts if c.track == track for p in c.pairs
                    if p.a in index]  # fmt: skip
        used = np.bincount(np.array(teachers, dtype=np.int64), minlength=len(offerers))
        out.append(
            Utilisation(
                track=track,
                offered=int(capacity.sum()),
                used=int(used.sum()),
                idle=int(((used == 0) & (capacity > 0)).sum()),
                partly=int(((used > 0) & (used < capacity)).sum()),
                full=int(((used >= capacity) & (capacity > 0)).sum()),
            )
        )
    return out


def pair_frame(result: MatchResult, people: Sequence[Participant]) -> pl.DataFrame:
    """One row per pair: track, score, and both people's department and location."""
    by_id = {p.id: p for p in people}
    rows = [(c.track, p.score, by_id.get(p.a), by_id.get(p.b))
            for c in result.cohorts for p in c.pairs]  # fmt: skip
    return pl.DataFrame(
        {
            "track": [r[0] for r in rows],
            "score": [r[1] for r in rows],
            "dept_a": [a.department if a else None for _, _, a, _ in rows],
            "dept_b": [b.department if b else None for _, _, _, b in rows],
            "loc_a": [a.location if a else None for _, _, a, _ in rows],
            "loc_b": [b.location if b else None for _, _, _, b in rows],
        },
        schema={"track": pl.String, "score": pl.Float64, "dept_a": pl.String,
                "dept_b": pl.String, "loc_a": pl.String, "loc_b": pl.String},
    )  # fmt: skip


@dataclass(frozen=True)
class Mix:
    """Pairs in one track that cross departments and locations (unknown: a side blank)."""

    track: str
    pairs: int
    cross_department: int
    same_department: int
    unknown_department: int
    cross_location: int
    same_location: int
    unknown_location: int


def mix(frame: pl.DataFrame) -> list[Mix]:
    """Per track: pairs within and across departments and locations."""
    if frame.is_empty():
        return []
    grouped = frame.group_by("track", maintain_order=True).agg(
        pl.len().alias("pairs"),
        (pl.col("dept_a") != pl.col("dept_b")).sum().alias("cross_department"),
        (pl.col("dept_a") == pl.col("dept_b")).sum().alias("same_department"),
        (pl.col("dept_a").is_null() | pl.col("dept_b").is_null()).sum().alias("unk_dept"),
        (pl.col("loc_a") != pl.col("loc_b")).sum().alias("cross_location"),
        (pl.col("loc_a") == pl.col("loc_b")).sum().alias("same_location"),
        (pl.col("loc_a").is_null() | pl.col("loc_b").is_null()).sum().alias("unk_loc"),
    )
    return [
        Mix(track=r["track"], pairs=r["pairs"], cross_department=r["cross_department"],
            same_department=r["same_department"], unknown_department=r["unk_dept"],
            cross_location=r["cross_location"], same_location=r["same_location"],
            unknown_location=r["unk_loc"])
        for r in grouped.iter_rows(named=True)
    ]  # fmt: skip


def department_matrix(frame: pl.DataFrame) -> tuple[list[str], list[list[int]]]:
    """Pairs by (first/mentor department, second/mentee department): the busiest
    departments by name, the rest as "other"."""
    if frame.is_empty():
        return [], []
    depts = frame.select(
        pl.col("dept_a").fill_null(UNKNOWN).alias("a"), pl.col("dept_b").fill_null(UNKNOWN)
        .alias("b"))  # fmt: skip
    both = pl.concat([depts["a"], depts["b"]]).value_counts(sort=True, name="n")
    ranked = both.sort(["n", both.columns[0]], descending=[True, False])
    top = ranked[both.columns[0]].head(_TOP_DEPARTMENTS).to_list()
    other = "(other)"
    if ranked.height > _TOP_DEPARTMENTS:
        top.append(other)
    keep = pl.Series(top)
    counts = (
        depts.with_columns(
            pl.when(pl.col(c).is_in(keep.implode()))
            .then(pl.col(c))
            .otherwise(pl.lit(other))
            .alias(c)
            for c in ("a", "b")
        )
        .group_by("a", "b")
        .len()
    )
    position = {d: i for i, d in enumerate(top)}
    matrix = [[0] * len(top) for _ in top]
    for a, b, n in counts.iter_rows():
        matrix[position[a]][position[b]] += int(n)
    return top, matrix


@dataclass(frozen=True)
class AttributeRow:
    """Outcome for one opted-in attribute value, already suppressed for display."""

    attribute: str
    value: str
    asked: str
    matched: str
    unmatched: str
    rate: str


def attribute_rows(
    result: MatchResult, people: Sequence[Participant], config: ProgramConfig
) -> list[AttributeRow]:
    """Per opted-in attribute value: people who asked for a match, how many got all they
    asked for, and how many did not. Values held by fewer than MIN_GROUP askers are not
    named (one "fewer than 5 each" row stands for them); a count under MIN_GROUP shows
    as "<5" and its complement as a range, so neither can be worked back."""
    names = list(config.attributes.columns)
    if not names:
        return []
    short = {u.id for u in result.unmatched if u.role in ASKING_ROLES}
    records = [
        (name, p.attributes[name], p.id not in short)
        for p in people
        if p.attributes and ASKING_ROLES.intersection(p.roles)
        for name in names
        if p.attributes.get(name)
    ]
    if not records:
        return []
    frame = pl.DataFrame(
        {"attribute": [r[0] for r in records], "value": [r[1] for r in records],
         "matched": [r[2] for r in records]},
        schema={"attribute": pl.String, "value": pl.String, "matched": pl.Boolean},
    )  # fmt: skip
    groups = (
        frame.group_by("attribute", "value")
        .agg(pl.len().alias("asked"), pl.col("matched").sum().alias("matched"))
        .sort(["attribute", "asked", "value"], descending=[False, True, False])
    )
    rows: list[AttributeRow] = []
    for name in names:
        part = groups.filter(pl.col("attribute") == name)
        small = 0
        for _, value, asked, matched in part.iter_rows():
            if asked < MIN_GROUP:
                small += 1
                continue
            rows.append(_suppressed_row(name, value, int(asked), int(matched)))
        if small:
            rows.append(AttributeRow(name, f"values held by fewer than {MIN_GROUP} each",
                                     SUPPRESSED, "", "", ""))  # fmt: skip
    return rows


def _suppressed_row(name: str, value: str, asked: int, matched: int) -> AttributeRow:
    missed = asked - matched
    if matched >= MIN_GROUP and missed >= MIN_GROUP:
        return AttributeRow(name, value, str(asked), str(matched), str(missed),
                            f"{100 * matched / asked:.0f}%")  # fmt: skip

    def shown(count: int, other: int) -> str:
        if count < MIN_GROUP:
            return SUPPRESSED
        # The other count is under MIN_GROUP, so this one is shown as a band no
        # narrower than what "<5" already tells.
        low = max(MIN_GROUP, asked - MIN_GROUP + 1)
        return f"{low}-{asked}" if other < MIN_GROUP else str(count)

    return AttributeRow(name, value, str(asked), shown(matched, missed), shown(missed, matched),
                        "")  # fmt: skip


# --- charts --------------------------------------------------------------------------

_BAR = 16
_LABEL_W = 240
_PLOT_W = 380
_VALUE_W = 70


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _clip(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "\u2026"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], cls: str = "") -> str:
    head = "".join(f"<th scope=col>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    klass = f" class={cls}" if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(key: str, title: str, note: str, svg: str, table: str) -> str:
    return (
        f'<figure class=chart id="chart-{esc(key)}">'
        f'<figcaption id="{esc(key)}-cap"><strong>{esc(title)}</strong> {esc(note)}</figcaption>'
        f"{svg}<details><summary>The numbers as a table</summary>{table}</details></figure>"
    )


def bar_chart(
    key: str,
    title: str,
    note: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    marked: Sequence[bool] = (),
    marked_name: str = "",
    label_header: str = "",
) -> str:
    """Horizontal grouped bars, one group per label; ``marked`` groups (e.g. topics
    short of mentors) get a red label and band, named ``marked_name`` in the legend and
    the table. The first ``_MAX_ROWS`` labels are drawn, all go in the table."""
    marked = list(marked) or [False] * len(labels)
    flagged = bool(marked_name) and any(marked)
    drawn = min(len(labels), _MAX_ROWS)
    top = max((v for s in series for v in s.values[:drawn]), default=0) or 1
    legend_h = 24 if len(series) > 1 or flagged else 0
    group_h = len(series) * _BAR + 10
    width = _LABEL_W + _PLOT_W + _VALUE_W
    height = legend_h + drawn * group_h + 6
    parts = [
        f'<svg class=plot id="{esc(key)}-svg" role=img aria-labelledby="{esc(key)}-title '
        f'{esc(key)}-desc" width={width} height={height} viewBox="0 0 {width} {height}">',
        f'<title id="{esc(key)}-title">{esc(title)}</title>',
        f'<desc id="{esc(key)}-desc">{esc(note)}</desc>',
    ]
    if legend_h:
        keys = [(f"key s{s}", item.name) for s, item in enumerate(series)]
        keys += [("key band", marked_name)] if flagged else []
        x = 10
        for cls, name in keys:
            parts.append(f'<rect class="{cls}" x={x} y=6 width=12 height=12></rect>'
                         f"<text x={x + 16} y=16>{esc(name)}</text>")  # fmt: skip
            x += 28 + 7 * len(name)
    for i, label in enumerate(labels[:drawn]):
        y0 = legend_h + i * group_h
        hot = " hot" if marked[i] else ""
        if marked[i]:
            parts.append(f"<rect class=band x=0 y={y0 + 1} width={width} height={group_h - 2}>"
                         "</rect>")  # fmt: skip
        parts.append(
            f'<text class="label{hot}" x={_LABEL_W - 8} y={y0 + group_h // 2 + 4} '
            f"text-anchor=end><title>{esc(label)}</title>{esc(_clip(label))}</text>"
        )
        for s, item in enumerate(series):
            value = item.values[i]
            w = round(_PLOT_W * value / top, 1)
            y = y0 + 4 + s * _BAR
            parts.append(
                f'<rect class="mark s{s}{hot}" x={_LABEL_W} y={y} width={w} height={_BAR - 3} '
                f'data-label="{esc(label)}" data-series="{esc(item.name)}" '
                f'data-value="{_number(value)}"><title>{esc(label)}, {esc(item.name)}: '
                f"{_number(value)}</title></rect>"
                f"<text class=value x={_LABEL_W + w + 4} y={y + _BAR - 5}>{_number(value)}</text>"
            )
    parts.append("</svg>")
    extra = [marked_name] if flagged else []
    table = _table(
        [label_header or "item", *(s.name for s in series), *extra],
        [[label, *(_number(s.values[i]) for s in series),
          *(["yes" if marked[i] else ""] if flagged else [])] for i, label in enumerate(labels)],
    )  # fmt: skip
    if drawn < len(labels):
        note = f"{note} The chart shows the first {drawn} of {len(labels)}; the table, all."
    return _figure(key, title, note, "".join(parts), table)


def histogram_chart(key: str, title: str, note: str, counts: Sequence[int]) -> str:
    """Vertical columns over the ten score buckets."""
    col_w, gap, plot_h, base = 52, 8, 180, 30
    width = len(counts) * (col_w + gap) + 50
    height = plot_h + base + 24
    top = max(counts, default=0) or 1
    parts = [
        f'<svg class=plot id="{esc(key)}-svg" role=img aria-labelledby="{esc(key)}-title '
        f'{esc(key)}-desc" width={width} height={height} viewBox="0 0 {width} {height}">',
        f'<title id="{esc(key)}-title">{esc(title)}</title>',
        f'<desc id="{esc(key)}-desc">{esc(note)}</desc>',
        f"<line class=axis x1=40 y1={plot_h + 20} x2={width} y2={plot_h + 20}></line>",
    ]
    labels = [f"{lo}-{lo + 10}" for lo in SCORE_EDGES[:-1].tolist()]
    for k, n in enumerate(counts):
        h = round(plot_h * n / top, 1)
        x = 44 + k * (col_w + gap)
        y = plot_h + 20 - h
        parts.append(
            f'<rect class="mark s0" x={x} y={y} width={col_w} height={h} '
            f'data-label="{labels[k]}" data-value="{n}"><title>score {labels[k]}: {n} pairs'
            f"</title></rect><text class=value x={x + col_w // 2} y={y - 4} "
            f"text-anchor=middle>{n}</text><text x={x + col_w // 2} y={plot_h + 38} "
            f"text-anchor=middle>{labels[k]}</text>"
        )
    parts.append("</svg>")
    table = _table(
        ["score", "pairs"], [[label, n] for label, n in zip(labels, counts, strict=True)]
    )
    return _figure(key, title, note, "".join(parts), table)


# --- the page ------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;
max-width:1150px;padding:0 1em;color:#1d2430}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #dde3ea}
nav a{margin-right:1em}
table{border-collapse:collapse;margin:.8em 0;font-size:13px}
td,th{border:1px solid #d4d9e0;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f2f5f8}td.num,th.num{text-align:right}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(660px,1fr));gap:1.2em}
figure.chart{margin:0;padding:.8em;border:1px solid #dde3ea;border-radius:6px}
figcaption{margin-bottom:.5em}svg.plot{display:block;max-width:100%;height:auto}
svg text{font-size:12px;fill:#1d2430}svg text.value{fill:#4a5563}
.s0{fill:#3f7fbf}.s1{fill:#e39b3b}.s2{fill:#4aa36a}.s3{fill:#8e6bbf}
text.hot{fill:#b3261e;font-weight:bold}.band{fill:#fbe1de}
.axis{stroke:#9aa4b1}.short{color:#b3261e;font-weight:bold}
td.heat{text-align:right}details{margin-top:.4em}summary{cursor:pointer;color:#3f5f8f}
.muted{color:#5b6573}
@media print{details{display:none}figure.chart{break-inside:avoid}}
"""


def report_html(result: MatchResult, people: Sequence[Participant], config: ProgramConfig) -> str:
    """The report page: summary, charts (each with its table), then the detail tables."""
    program = esc(config.name)
    s = result.summary
    frame = pair_frame(result, people)
    sections = [
        ("summary", "Summary", _summary(result)),
        ("charts", "Charts", _charts(result, people, config, frame)),
        ("fixes", "What would place more people", _fixes(result)),
        ("topics", "Goal topics", _topics(result)),
        ("attributes", "Opt-in attributes", _attributes(result, people, config)),
        ("pairs", "Pairs", _pairs(result)),
        ("circles", "Circles", _circles(result)),
        ("unmatched", "Not matched", _unmatched(result)),
    ]
    sections = [(k, t, body) for k, t, body in sections if body]
    nav = " ".join(f'<a href="#{k}">{esc(t)}</a>' for k, t, _ in sections)
    body = "".join(f'<section id="{k}"><h2>{esc(t)}</h2>{b}</section>' for k, t, b in sections)
    return (
        f"<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f'<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{program}: matching report</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{program}: matching report</h1><p class=muted>{s.people} people, "
        f"{s.pairs} pairs, {len(result.circles)} circles; "
        f"{sum(t.left_unmatched for t in s.tracks)} people asking are not fully matched."
        f"</p><nav>{nav}</nav></header>{body}</body></html>\n"
    )


def _summary(result: MatchResult) -> str:
    header = ["track", "asking", "offering", "candidate pairs", "pairs", "matched",
              "unmatched", "places asked", "places met", "mean score", "lowest score",
              "solver", "status", "gap"]  # fmt: skip
    rows = [
        [t.track, t.left, t.right, t.candidate_pairs, t.pairs, t.left_matched, t.left_unmatched,
         t.demand_total, t.demand_met, "" if t.mean_score is None else t.mean_score,
         "" if t.min_score is None else t.min_score, t.solver.method, t.solver.status,
         "" if t.solver.gap is None else f"{t.solver.gap:.4g}"]
        for t in result.summary.tracks
    ]  # fmt: skip
    warnings = (
        f"<p>{len(result.warnings)} warnings about the input; summary.json lists each.</p>"
        if result.warnings
        else ""
    )
    return _table(header, rows) + warnings


def _charts(
    result: MatchResult, people: Sequence[Participant], config: ProgramConfig, frame: pl.DataFrame
) -> str:
    figures = [
        histogram_chart(
            "scores",
            "Score distribution",
            "Pairs by match score (0-100), all tracks.",
            score_histogram(result),
        )
    ]
    use = utilisation(result, people, config)
    if use:
        figures.append(
            bar_chart(
                "utilisation",
                "Mentor utilisation",
                "Places offered against places used, per track (peers and circles: "
                "one place per person in the pool).",
                [u.track for u in use],
                [
                    Series("offered", [u.offered for u in use]),
                    Series("used", [u.used for u in use]),
                ],
                label_header="track",
            )
            + _table(
                ["track", "offering people idle", "partly used", "full"],
                [[u.track, u.idle, u.partly, u.full] for u in use],
            )
        )
    if result.topics:
        ranked = sorted(result.topics, key=lambda t: (-t.demand, t.track, t.topic))
        several = len({t.track for t in ranked}) > 1
        figures.append(
            bar_chart(
                "topics",
                "Goal coverage by topic",
                "People wanting the topic, places offering it, and askers whose match "
                "covers it; topics short of mentors are marked in red.",
                [f"{t.track}: {t.topic}" if several else t.topic for t in ranked],
                [
                    Series("wanted", [t.demand for t in ranked]),
                    Series("places", [t.capacity for t in ranked]),
                    Series("covered", [t.covered for t in ranked]),
                ],
                marked=[t.short for t in ranked],
                marked_name="short of mentors",
                label_header="topic",
            )
        )
    for t in result.summary.tracks:
        if t.unmatched_reasons:
            reasons = list(t.unmatched_reasons)
            figures.append(
                bar_chart(
                    f"unmatched-{t.track}",
                    f"Not matched in {t.track}, by reason",
                    f"{t.left_unmatched} of {t.left} asking people without all they asked for.",
                    reasons,
                    [Series("people", [t.unmatched_reasons[r] for r in reasons])],
                    label_header="reason",
                )
            )
    mixes = mix(frame)
    if mixes:
        figures.append(
            bar_chart(
                "mix",
                "Department and location mix of the pairs",
                "Pairs whose two people work in different departments or places, per "
                "track (pairs with a blank side count in neither).",
                [m.track for m in mixes],
                [
                    Series("cross department", [m.cross_department for m in mixes]),
                    Series("same department", [m.same_department for m in mixes]),
                    Series("cross location", [m.cross_location for m in mixes]),
                    Series("same location", [m.same_location for m in mixes]),
                ],
                label_header="track",
            )
        )
        figures.append(_department_table(frame))
    return f"<div class=charts>{''.join(figures)}</div>"


def _department_table(frame: pl.DataFrame) -> str:
    """A department x department count table, shaded by count (a heat map)."""
    names, matrix = department_matrix(frame)
    top = max((n for row in matrix for n in row), default=0) or 1
    head = "".join(f"<th scope=col>{esc(n)}</th>" for n in names)
    body = "".join(
        f"<tr><th scope=row>{esc(a)}</th>"
        + "".join(
            f'<td class=heat style="background:rgba(63,127,191,{0.85 * n / top:.2f})">{n}</td>'
            for n in row
        )
        + "</tr>"
        for a, row in zip(names, matrix, strict=True)
    )
    return (
        '<figure class=chart id="chart-departments"><figcaption><strong>Pairs by department'
        "</strong> rows: the mentor's (or first peer's) department; columns: the mentee's."
        f"</figcaption><table><thead><tr><th>mentor \\ mentee</th>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></figure>"
    )


def _fixes(result: MatchResult) -> str:
    if not result.fixes:
        return ""
    ranked = sorted(result.fixes, key=lambda f: (-f.placed, f.track, f.kind, f.change))
    return "<p>Changes to the input that a re-solve shows would place more people, " \
        "best first.</p>" + _table(
        ["rank", "track", "change", "kind", "places filled", "newly matched"],
        [[k, f.track, f.change, f.kind, f.placed, len(f.newly_matched)]
         for k, f in enumerate(ranked, start=1)],
    )  # fmt: skip


def _topics(result: MatchResult) -> str:
    if not result.topics:
        return ""
    ranked = sorted(result.topics, key=lambda t: (t.track, -t.demand, t.topic))
    rows = "".join(
        f"<tr{' class=short' if t.short else ''}><td>{esc(t.track)}</td><td>{esc(t.topic)}</td>"
        f"<td class=num>{t.demand}</td><td class=num>{t.offering}</td>"
        f"<td class=num>{t.capacity}</td><td class=num>{t.covered}</td>"
        f"<td class=num>{100 * t.covered / t.demand if t.demand else 100:.0f}%</td>"
        f"<td>{'short of mentors' if t.short else ''}</td></tr>"
        for t in ranked
    )
    head = "".join(
        f"<th scope=col>{h}</th>"
        for h in ["track", "topic", "wanted by", "offered by", "places", "covered",
                  "coverage", ""]
    )  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _attributes(result: MatchResult, people: Sequence[Participant], config: ProgramConfig) -> str:
    rows = attribute_rows(result, people, config)
    if not rows:
        return ""
    return (
        f"<p>Counted only over people who opted in. A count under {MIN_GROUP} shows as "
        f"{esc(SUPPRESSED)} and a value held by fewer than {MIN_GROUP} people is not named."
        "</p>"
        + _table(
            ["attribute", "value", "asked for a match", "matched", "not matched", "match rate"],
            [[r.attribute, r.value, r.asked, r.matched, r.unmatched, r.rate] for r in rows],
        )
    )


def _pairs(result: MatchResult) -> str:
    if not result.cohorts:
        return "<p>No pairs.</p>"
    names = {m.id: m.name for c in result.cohorts for m in c.members}
    rows = "".join(
        f"<tr><td>{esc(c.id)}</td><td>{esc(c.track)}</td><td>{esc(names.get(p.a, p.a))}<br>"
        f"<span class=muted>{esc(p.a)}</span></td><td>{esc(names.get(p.b, p.b))}<br>"
        f"<span class=muted>{esc(p.b)}</span></td><td class=num>{p.score:.1f}</td>"
        f"<td>{esc(' '.join(p.reasons))}</td></tr>"
        for c in result.cohorts
        for p in c.pairs
    )
    return (
        "<table><thead><tr><th>cohort</th><th>track</th><th>mentor (teaches)</th>"
        "<th>mentee (learns)</th><th class=num>score</th><th>why</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _circles(result: MatchResult) -> str:
    if not result.circles:
        return ""
    return _table(
        ["circle", "theme", "members", "why"],
        [[c.id, c.theme, ", ".join(m.name for m in c.members), " ".join(c.reasons)]
         for c in result.circles],
    )  # fmt: skip


def _unmatched(result: MatchResult) -> str:
    if not result.unmatched:
        return "<p>Everyone was matched as asked.</p>"
    return _table(
        ["name", "id", "track", "role", "reason"],
        [[u.name, u.id, ROLE_TRACK.get(u.role, ""), u.role.value, u.reason]
         for u in result.unmatched],
    )  # fmt: skip
