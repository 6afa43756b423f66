"""Turn the measured records into ``RESULTS.md``: medians, ratios against the baselines
measured in the same run, the targets, and how memory scales."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from benchmarks.stage_worker import STAGES
from matcher.memory import PAIR_BYTES_AT_LEAST
from solvers.pruned import seed_tops

if TYPE_CHECKING:
    from benchmarks.run import Bench

Record = dict[str, Any]
#: Issue 7's targets at 10,000 x 2,000: end to end, and peak memory (10^9 bytes, the
#: stricter reading of 1 GB).
TARGET_SECONDS = 5.0
TARGET_BYTES = 1e9
BASELINE = "min_cost_flow"


def _threads(m: dict[str, str]) -> str:
    """Threads each run used (``solvers.parallel``); older raw files do not say."""
    if "threads" not in m:
        return ""
    return (
        f"Each run used {m['threads']} thread(s) (`COHORT_MATCHER_THREADS`, default: the "
        "CPUs, at most 4). "
    )


def gb(mib: float) -> float:
    """ru_maxrss MiB -> decimal GB."""
    return mib * 2**20 / 1e9


def med(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def spread(values: Sequence[float], digits: int = 2) -> str:
    """``median (min-max)``, or the single value."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{med(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def _optimum(runs: dict[str, list[Record]]) -> tuple[str, Record] | None:
    """The exact optimum: the dense baseline's run, else any run proven optimal."""
    if runs.get(BASELINE):
        return BASELINE, runs[BASELINE][0]
    for method, records in runs.items():
        for record in records:
            if record["status"] == "optimal":
                return method, record
    return None


def _meets(records: list[Record]) -> tuple[bool, bool]:
    time_ok = med([r["total_seconds"] for r in records]) <= TARGET_SECONDS
    memory_ok = gb(med([r["peak_rss_mib"] for r in records])) <= TARGET_BYTES / 1e9
    return time_ok, memory_ok


def _header(bench: Bench) -> list[str]:
    m, i = bench.machine, bench.main
    first = next((r[0] for r in i.runs.values() if r), None)
    lines = [
        "# Batch matching end to end: benchmark results",
        "",
        f"Written by `python -m benchmarks.run` on {bench.started:%Y-%m-%d %H:%M} UTC "
        f"(commit `{m['commit']}`), {_duration(bench.elapsed)} in all."
        + (
            f" Uncommitted changes measured with it: {m['uncommitted']}."
            if m.get("uncommitted")
            else ""
        ),
        "",
        f"**Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, "
        f"Python {m['python']}, numpy {m['numpy']}, OR-Tools {m['ortools']}. "
        f"{_threads(m)}The machine is "
        "shared and noisy: read every figure as about +-30%, and compare methods only "
        "within this run.",
        "",
        "## Instance",
        "",
        f"`benchmarks.population.generate({i.mentees}, {i.mentors}, seed={i.seed})` written "
        "by `write_csv` as a Google Forms export with its config: a population calibrated "
        "on the 2023 Stack Overflow survey slice ([CALIBRATION.md](CALIBRATION.md): goals "
        "are languages people want but have not used, so experts in the most wanted topics "
        "are scarce; a seniority pyramid; 72 countries' time zones and languages; 10% of "
        "mentors also mentees). Mentor capacity 1-5, objective `coverage` (most pairs, then "
        "the highest total score).",
    ]
    if first is not None:
        density = first["candidate_pairs"] / (first["mentees"] * first["mentors"])
        lines += [
            "",
            f"After intake: {first['mentees']:,} mentees, {first['mentors']:,} mentors, "
            f"{first['capacity_total']:,} mentor places in all, so at most "
            f"{min(first['capacity_total'], first['demand_total']):,} mentees can be "
            f"matched. {first['candidate_pairs']:,} candidate pairs pass the hard rules "
            f"({density:.0%} of mentees x mentors).",
        ]
    lines += [
        "",
        f"Each method ran in {bench.repeats} fresh process(es) (`benchmarks/stage_worker.py`), "
        "methods interleaved. *End to end* is the sum of the six stages (read, score, solve, "
        "explain, diagnose, write); *process* adds interpreter start-up and imports. Peak RSS "
        "is the "
        "process high-water mark (`ru_maxrss`). All figures are medians, with min-max in "
        "brackets.",
    ]
    return lines


def _code_warning(bench: Bench) -> list[str]:
    """A loud line when the processes compared did not all run the same code."""
    instances = [bench.main, *bench.scaling]
    codes = {r.get("code") for i in instances for rs in i.runs.values() for r in rs}
    if len(codes) <= 1:
        return []
    return [
        "",
        f"**Warning: `matcher/` or `solvers/` changed during this run ({len(codes)} versions "
        "among the processes); the figures mix code versions. Run it again.**",
    ]


def _verdict(bench: Bench) -> list[str]:
    runs = bench.main.runs
    lines = [
        "",
        f"## Targets: <= {TARGET_SECONDS:g} s end to end and <= {TARGET_BYTES / 1e9:g} GB peak",
        "",
    ]
    both = []
    for method in bench.methods:
        records = runs.get(method, [])
        if not records:
            lines.append(f"- `{method}`: no successful run.")
            continue
        time_ok, memory_ok = _meets(records)
        seconds = [r["total_seconds"] for r in records]
        peak = [gb(r["peak_rss_mib"]) for r in records]
        line = (
            f"- `{method}`: {spread(seconds, 1)} s ({'meets' if time_ok else 'misses'} the "
            f"time target), {spread(peak)} GB ({'meets' if memory_ok else 'misses'} the "
            "memory target)."
        )
        straddles = [
            name
            for name, values, limit in (
                ("time", seconds, TARGET_SECONDS),
                ("memory", peak, TARGET_BYTES / 1e9),
            )
            if min(values) <= limit < max(values)
        ]
        if straddles:
            line += (
                f" Single runs fall on both sides of the {' and '.join(straddles)} target: "
                "the margin is within this machine's noise."
            )
        lines.append(line)
        if time_ok and memory_ok:
            both.append(method)
    summary = (
        f"**Met by: {', '.join(f'`{m}`' for m in both)}.**"
        if both
        else "**No method meets both targets on this instance.**"
    )
    return [*lines[:3], summary, "", *lines[3:]]


def _comparison(bench: Bench) -> list[str]:
    runs = bench.main.runs
    best = _optimum(runs)
    base = runs.get(BASELINE, [])
    base_s = med([r["total_seconds"] for r in base]) if base else None
    base_solver = med([float(r["solver_seconds"]) for r in base]) if base else None
    lines = [
        "",
        "## Comparison",
        "",
        f"Time ratio: end to end against the dense exact `{BASELINE}` measured in this run "
        "(lower is faster), and the same for the solver call alone (`Solution.wall_time`, "
        "without the pipeline's problem building). Objective: sum of pair scores (0-100 "
        "each) as the solver reports it"
        + (f"; ratio against the exact optimum found by `{best[0]}`." if best else "."),
        "",
        "| method | status | end to end s | x dense | solve stage s | solver only s | "
        "solver x dense | peak GB | objective | x optimum | pairs | mentees matched | "
        "worst-off pair | mean pair |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for method in bench.methods:
        records = runs.get(method, [])
        if not records:
            lines.append(f"| `{method}` | failed |{' |' * 12}")
            continue
        r0 = records[0]
        total = med([r["total_seconds"] for r in records])
        ratio = f"{total / base_s:.2f}" if base_s else "n/a"
        solver = med([float(r["solver_seconds"]) for r in records])
        solver_ratio = f"{solver / base_solver:.2f}" if base_solver else "n/a"
        objective = f"{ratio_of(r0['objective'], best[1]['objective']):.5f}" if best else "n/a"
        statuses = sorted({r["status"] for r in records})
        lines.append(
            f"| `{method}` | {'/'.join(statuses)} | {total:.2f} | {ratio} | "
            f"{med([r['seconds']['solve'] for r in records]):.2f} | {solver:.2f} | "
            f"{solver_ratio} | {gb(med([r['peak_rss_mib'] for r in records])):.2f} | "
            f"{r0['objective']:,.1f} | "
            f"{objective} | {r0['pairs']:,} | {r0['mentees_matched']:,} | "
            f"{_score(r0['min_score'])} | {_score(r0['mean_score'])} |"
        )
        if len({(r["objective"], r["pairs"]) for r in records}) > 1:
            notes.append(f"`{method}` gave different answers across repeats.")
        if best and r0["status"] == "optimal":
            # Optima are exact for weights rounded to 1e-4; the 0-100 totals may differ by
            # up to 0.005 per pair.
            tolerance = 0.005 * max(r0["pairs"], 1) + 1e-6
            if r0["pairs"] != best[1]["pairs"] or (
                abs(r0["objective"] - best[1]["objective"]) > tolerance
            ):
                notes.append(
                    f"**`{method}` reports `optimal` but disagrees with `{best[0]}`** "
                    f"({r0['pairs']} pairs / {r0['objective']} vs {best[1]['pairs']} / "
                    f"{best[1]['objective']})."
                )
            elif method != best[0]:
                notes.append(f"`{method}` and `{best[0]}` agree on the optimum.")
    if notes:
        lines += ["", *(f"- {n}" for n in notes)]
    failed = {m: f for m, f in bench.main.failures.items() if f}
    for method, reasons in failed.items():
        lines.append(f"- `{method}`: {len(reasons)} run(s) failed: {reasons[0]}")
    return lines


def ratio_of(value: float, reference: float) -> float:
    return value / reference if reference else float("nan")


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _method_table(method: str, records: list[Record]) -> list[str]:
    lines = [
        "",
        f"### `{method}` ({len(records)} run(s))",
        "",
        "| stage | wall s | RSS high-water after stage, GB |",
        "|---|---|---|",
    ]
    for stage in STAGES:
        seconds = [r["seconds"][stage] for r in records]
        rss = [gb(r["rss_after_mib"][stage]) for r in records]
        lines.append(f"| {stage} | {spread(seconds)} | {spread(rss)} |")
        if stage == "solve":
            solver = [float(r["solver_seconds"]) for r in records]
            lines.append(f"| &nbsp; of which inside the solver | {spread(solver)} | |")
    totals = [r["total_seconds"] for r in records]
    process = [r["process_seconds"] for r in records]
    peak = [gb(r["peak_rss_mib"]) for r in records]
    start = [gb(r["rss_start_mib"]) for r in records]
    lines += [
        f"| **end to end** | **{spread(totals)}** | **peak {spread(peak)}** |",
        f"| process (start-up, imports, stages) | {spread(process)} | after imports "
        f"{spread(start)} |",
    ]
    return lines


def _where_time_goes(bench: Bench) -> list[str]:
    lines = ["", "## Where the time goes", ""]
    for method in bench.methods:
        records = bench.main.runs.get(method, [])
        if not records:
            continue
        medians = {s: med([r["seconds"][s] for r in records]) for s in STAGES}
        total = sum(medians.values())
        shares = ", ".join(
            f"{s} {v:.1f} s ({v / total:.0%})"
            for s, v in sorted(medians.items(), key=lambda kv: -kv[1])
        )
        outside = med([r["seconds"]["solve"] - float(r["solver_seconds"]) for r in records])
        line = f"- `{method}`: {shares}."
        if outside > 1.0:
            line += (
                f" {outside:.1f} s of the solve stage is spent outside the solver itself "
                "(in `matcher.pipeline.match`: the demand and capacity arrays and "
                "`AssignmentProblem` construction and validation)."
            )
        peak = med([r["peak_rss_mib"] for r in records])
        setter = next(
            s for s in STAGES if med([r["rss_after_mib"][s] for r in records]) >= 0.99 * peak
        )
        line += f" Peak memory is reached during the {setter} stage."
        lines.append(line)
    return lines


def _scaling(bench: Bench) -> list[str]:
    instances = sorted([*bench.scaling, bench.main], key=lambda i: (i.mentees, i.mentors))
    lines = [
        "",
        "## How memory scales",
        "",
        "One run per method at each other size (same generator and seed; past the main "
        "size `pruned_flow` alone, as the others take minutes there), with the main "
        "instance's medians. Growth per pair: rise of the RSS high-water mark during the "
        "stage divided by the candidate pairs.",
        "",
        "| method | mentees x mentors | candidate pairs | share of all pairs | peak GB | "
        "score bytes/pair | solve bytes/pair | end to end s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    fits: list[str] = []
    densities: list[float] = []
    for method in bench.methods:
        points: list[tuple[float, float]] = []
        for instance in instances:
            records = instance.runs.get(method, [])
            if not records:
                continue
            r0 = records[0]
            pairs = r0["candidate_pairs"]
            product = r0["mentees"] * r0["mentors"]
            peak = med([r["peak_rss_mib"] for r in records])
            grow_score = med(
                [r["rss_after_mib"]["score"] - r["rss_after_mib"]["read"] for r in records]
            )
            grow_solve = med(
                [r["rss_after_mib"]["solve"] - r["rss_after_mib"]["score"] for r in records]
            )
            lines.append(
                f"| `{method}` | {r0['mentees']:,} x {r0['mentors']:,} | {pairs:,} | "
                f"{pairs / product:.0%} | {gb(peak):.2f} | {_per_pair(grow_score, pairs)} | "
                f"{_per_pair(grow_solve, pairs)} | "
                f"{med([r['total_seconds'] for r in records]):.2f} |"
            )
            points.append((float(pairs), peak * 2**20))
            densities.append(pairs / product)
        if len(points) >= 2:
            slope, intercept = _fit(points)
            reach = (TARGET_BYTES - intercept) / slope if slope > 0 else float("inf")
            fits.append(
                f"- `{method}`: peak ~ {intercept / 1e9:.2f} GB + {slope:.0f} bytes x "
                f"candidate pairs; {TARGET_BYTES / 1e9:g} GB is reached near "
                f"{reach / 1e6:.1f} M candidate pairs."
            )
    exponents = _exponents(bench)
    if exponents:
        lines += [
            "",
            "![End-to-end time and peak memory against people](scaling.png)",
            "",
            "Growth exponents (least squares on log-log, over every size above; *n* is "
            "mentees + mentors, and the candidate pairs grow as n^2 at a fixed share):",
            "",
            *exponents,
        ]
    if densities:
        lines += [
            "",
            f"Candidate pairs are {_range(densities)} of mentees x "
            "mentors at every size (the hard rules remove a similar share), and memory beyond "
            "the interpreter grows with the candidate pairs, so at a fixed share it grows with "
            "the product of the two sides: twice as many mentees and mentors means four times "
            "the pairs. Least-squares fits over the points above:",
            "",
            *fits,
        ]
    return lines


def _points(bench: Bench, method: str) -> list[tuple[int, float, float, int]]:
    """(people, median end-to-end seconds, median peak bytes, candidate pairs) per size."""
    out = []
    for instance in [*bench.scaling, bench.main]:
        records = instance.runs.get(method, [])
        if records:
            r0 = records[0]
            out.append((
                r0["mentees"] + r0["mentors"], med([r["total_seconds"] for r in records]),
                med([r["peak_rss_mib"] for r in records]) * 2**20, r0["candidate_pairs"],
            ))  # fmt: skip
    return sorted(out)


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log y on log x: the growth exponent."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    slope, _ = _fit(list(zip(lx, ly, strict=True)))
    return slope


def _exponents(bench: Bench) -> list[str]:
    lines = []
    for method in bench.methods:
        points = _points(bench, method)
        if len(points) < 3:
            continue
        people = [float(p[0]) for p in points]
        time_exp = _slope(people, [p[1] for p in points])
        memory_exp = _slope(people, [p[2] for p in points])
        pairs_exp = _slope(people, [float(p[3]) for p in points])
        lines.append(
            f"- `{method}`: time ~ n^{time_exp:.2f}, peak memory ~ n^{memory_exp:.2f} "
            f"(candidate pairs ~ n^{pairs_exp:.2f}), from {points[0][0]:,} to "
            f"{points[-1][0]:,} people."
        )
    return lines


#: Issue 7's scale target: mentees x mentors end to end, <= 60 s and <= 8 GB.
BIG = (100_000, 20_000)


def _beyond(bench: Bench) -> list[str]:
    """100,000 x 20,000 projected from this run's own figures, and how to go past one
    machine: every number from the measured points, none assumed."""
    method = "pruned_flow" if "pruned_flow" in bench.methods else bench.methods[0]
    points = _points(bench, method)
    if len(points) < 2:
        return []
    _, seconds, peak, pairs = zip(*points, strict=True)
    main_runs = bench.main.runs.get(method, [])
    # The main instance's share of pairs (the largest point may be another size).
    main_pairs = main_runs[0]["candidate_pairs"] if main_runs else pairs[-1]
    density = main_pairs / (bench.main.mentees * bench.main.mentors)
    big_pairs = density * BIG[0] * BIG[1]
    slope, intercept = _fit([(float(x), float(y)) for x, y in zip(pairs, peak, strict=True)])
    big_bytes = intercept + slope * big_pairs
    per_second = pairs[-1] / seconds[-1]
    left_top, right_top = seed_tops(round(big_pairs))
    return [
        "",
        f"## {BIG[0]:,} x {BIG[1]:,}, and past one machine",
        "",
        f"**Not run: the {BIG[0]:,} x {BIG[1]:,} target (<= 60 s, <= 8 GB) is not met.** At "
        f"this generator's density ({density:.0%} of mentees x mentors pass the hard rules) "
        f"that size has about {big_pairs / 1e6:,.0f} M candidate pairs. The pipeline holds "
        f"every candidate pair (its two ends and score; component values are computed only "
        f"for the pairs shown): at the {slope:.0f} bytes per "
        f"pair fitted above, {big_bytes / 1e9:,.0f} GB, and at this run's "
        f"{per_second / 1e6:.1f} M pairs per second end to end, about "
        f"{big_pairs / per_second / 60:,.0f} min. Pruning already keeps the flow itself "
        f"small (`pruned_flow` solves each mentee's top {left_top} and each mentor's top "
        f"{right_top}, about {(left_top * BIG[0] + right_top * BIG[1]) / 1e6:.0f} M arcs at "
        "that size, and prices every "
        "other pair, a vectorised pass, to prove the optimum); what does not scale yet is "
        "keeping every pair. Such a track is refused before it is scored, with the pairs, the "
        "memory and what would make it fit (every pair certainly takes "
        f"{PAIR_BYTES_AT_LEAST} bytes: {big_pairs * PAIR_BYTES_AT_LEAST / 1e9:,.0f} GB "
        "there), instead of filling memory until the system kills it. The next step is to "
        "score block by block without "
        "keeping the pairs (keep only each block's top pairs, recompute a block to price it "
        "against the duals, and the same for explanations and near misses), so memory follows "
        "the pruned arcs and scoring and pricing become two passes over blocks of mentees.",
        "",
        "**Past one machine.** What partitions cleanly: tracks and programs are independent "
        "problems; scoring and pricing are independent per block of mentees (each block "
        "needs only the mentor side's arrays, a few MB), so they spread over workers with no "
        "communication but the duals (one number per person) and the few arcs that violate "
        "them. What does not: the min-cost flow itself couples every mentor's capacity, but "
        "on pruned arcs it is small (the solve stage above is "
        f"{med([r['seconds']['solve'] for r in bench.main.runs.get(method, [])]):.1f} s at "
        f"{bench.main.mentees:,} x {bench.main.mentors:,}), so it stays on one machine. The "
        "engine we would use for the block passes is Ray (numpy arrays in shared memory, "
        "tasks per block), or Dask on an existing cluster; the solver stays OR-Tools on the "
        "coordinator.",
    ]


def scaling_png(bench: Bench) -> bytes:
    """End-to-end time and peak memory against people, log-log, one line per method."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    sizes = sorted({p[0] for method in bench.methods for p in _points(bench, method)})
    for method in bench.methods:
        points = _points(bench, method)
        if not points:
            continue
        people = [p[0] for p in points]
        left.plot(people, [p[1] for p in points], marker="o", label=method)
        right.plot(people, [p[2] / 1e9 for p in points], marker="o", label=method)
    for axis, title, unit in ((left, "End to end", "seconds"), (right, "Peak memory", "GB")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(sizes, [f"{n:,}" for n in sizes])  # the sizes measured
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        axis.yaxis.set_minor_formatter(NullFormatter())
        axis.set_xlabel("people (mentees + mentors)")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
    left.axhline(TARGET_SECONDS, color="grey", linestyle="--", linewidth=1)
    right.axhline(TARGET_BYTES / 1e9, color="grey", linestyle="--", linewidth=1)
    left.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _range(shares: list[float]) -> str:
    low, high = f"{min(shares):.0%}", f"{max(shares):.0%}"
    return low if low == high else f"{low}-{high}"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _per_pair(mib: float, pairs: int) -> str:
    return f"{mib * 2**20 / pairs:.0f}" if pairs else "-"


def _fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares line y = intercept + slope * x."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    return slope, my - slope * mx


def _reproduce(bench: Bench) -> list[str]:
    i = bench.main
    return [
        "",
        "## How to reproduce",
        "",
        "```sh",
        f"make bench                             # this file ({_duration(bench.elapsed)} here)",
        "python -m benchmarks.run --quick       # 1,000 x 200, one repeat: checks the harness",
        f"python -m benchmarks.run --methods {','.join(bench.methods)} --repeats {bench.repeats} "
        f"--mentees {i.mentees} --mentors {i.mentors} --seed {i.seed}",
        "```",
        "",
        "Inputs, results folders and raw per-process records (`raw.json`) go to "
        "`benchmarks/.work/` (not committed).",
        "",
        "## Other suites",
        "",
        "- [RESULTS-peers.md](RESULTS-peers.md): peer pairs, rustworkx vs CP-SAT vs networkx "
        "at up to 10,000 peers (`python -m benchmarks.peers`).",
        "- [RESULTS-circles.md](RESULTS-circles.md): 2,000 people into circles of 4-6 with "
        "composition rules, bound and gap (`python -m benchmarks.circles`).",
        "- [RESULTS-mixed.md](RESULTS-mixed.md): every track on one 5,000-person survey "
        "(`python -m benchmarks.mixed`).",
    ]


def render_report(bench: Bench) -> str:
    """The whole Markdown report."""
    lines = [
        *_header(bench),
        *_code_warning(bench),
        *_verdict(bench),
        *_comparison(bench),
        "",
        "## Per method",
    ]
    for method in bench.methods:
        records = bench.main.runs.get(method, [])
        if records:
            lines += _method_table(method, records)
    lines += [
        *_where_time_goes(bench), *_scaling(bench), *_beyond(bench), *_reproduce(bench),
    ]  # fmt: skip
    return "\n".join(lines) + "\n"
