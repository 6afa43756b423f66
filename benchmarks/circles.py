"""Circles benchmark: themed mentoring circles with composition rules, every method.

``python -m benchmarks.circles`` generates the instances (``make_problem``), runs each
(instance, method) in a fresh process (``--worker``, so that each peak RSS is its own), and
writes ``benchmarks/RESULTS-circles.md``. ``--quick`` checks the harness in seconds.

Instances: people with 1-3 ranked goals among ~15 themes (popularity skewed), fit 1.0 /
0.7 / 0.45 by rank times a little noise; expertise in 0-2 themes (an expert may also join
a circle of their expertise at fit ~0.3); 12 departments, 7 seniority levels. Rules: circles
of 4-6, at most 2 per department, at least one expert, levels spanning >= 2. Each theme
gets ``ceil(interested / max_size)`` identical slots: room for everyone interested.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from solvers.circles import CIRCLE_METHODS, CircleProblem, circle_violations, solve_circles
from solvers.problem import SCORE_SCALE, Objective

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS-circles.md"
Record = dict[str, Any]
TARGET_SECONDS = 60.0
RANK_FIT = (1.0, 0.7, 0.45)
EXPERT_ONLY_FIT = 0.3


@dataclass(frozen=True)
class Spec:
    """One generated instance."""

    name: str
    people: int
    themes: int
    seed: int
    #: Fixed number of slots per theme (None: ceil(interested / max_size)).
    slots_per_theme: int | None = None


def make_problem(spec: Spec, *, min_size: int = 4, max_size: int = 6) -> CircleProblem:
    """The synthetic instance described in the module docstring."""
    rng = np.random.default_rng(spec.seed)
    n, n_themes = spec.people, spec.themes
    popularity = 1 / np.sqrt(np.arange(1, n_themes + 1))
    popularity /= popularity.sum()
    fit = np.zeros((n, n_themes))
    expert = np.zeros((n, n_themes), dtype=np.bool_)
    for person in range(n):
        goals = rng.choice(n_themes, size=int(rng.integers(1, 4)), replace=False, p=popularity)
        fit[person, goals] = np.asarray(RANK_FIT[: goals.shape[0]]) * rng.uniform(0.85, 1.0)
        skills = rng.choice(n_themes, size=int(rng.choice(3, p=[0.35, 0.5, 0.15])), replace=False)
        expert[person, skills] = True
    extra = expert & (fit == 0)
    fit[extra] = EXPERT_ONLY_FIT * rng.uniform(0.85, 1.0, size=int(extra.sum()))
    fit = np.rint(fit * SCORE_SCALE) / SCORE_SCALE
    interested = (fit > 0).sum(axis=0)
    if spec.slots_per_theme is None:
        slots = np.maximum(1, -(-interested // max_size))
    else:
        slots = np.full(n_themes, spec.slots_per_theme)
    circle_theme = np.repeat(np.arange(n_themes), slots)
    pairs = fit[:, circle_theme] > 0  # (person, slot) where the person fits the theme.
    arc_person, arc_circle = np.nonzero(pairs)
    return CircleProblem(
        n_people=n,
        circle_theme=circle_theme.astype(np.int64),
        arc_person=arc_person.astype(np.int64),
        arc_circle=arc_circle.astype(np.int64),
        arc_weight=fit[arc_person, circle_theme[arc_circle]],
        min_size=min_size,
        max_size=max_size,
        objective=Objective.COVERAGE,
        group=rng.choice(12, size=n, p=_skewed(12)).astype(np.int64),
        max_per_group=2,
        expert=expert[arc_person, circle_theme[arc_circle]],
        min_experts=1,
        level=rng.choice(7, size=n, p=[0.2, 0.22, 0.2, 0.15, 0.11, 0.08, 0.04]).astype(np.int64),
        min_level_spread=2,
    )


def _skewed(k: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Department sizes: the largest about three times the smallest."""
    p = 1 / np.linspace(1, 3, k)
    return np.asarray(p / p.sum(), dtype=np.float64)


SPECS = {
    "2000": Spec("2,000 people, 15 themes", 2000, 15, seed=0),
    "2000b": Spec("2,000 people, 15 themes (second draw)", 2000, 15, seed=1),
    "120": Spec("120 people, 5 themes x 4 slots = 20 circles", 120, 5, seed=0, slots_per_theme=4),
}
QUICK = {"120": SPECS["120"], "300": Spec("300 people, 8 themes", 300, 8, seed=0)}


def worker(key: str, method: str, time_limit: float, quick: bool) -> Record:
    """Generate, solve once, check every rule; the measurements as a JSON-able dict."""
    spec = (QUICK if quick else SPECS)[key]
    started = time.perf_counter()
    problem = make_problem(spec)
    generated = time.perf_counter() - started
    solution = solve_circles(problem, method, time_limit=time_limit, seed=0)
    return {
        "instance": key,
        "method": method,
        "people": problem.n_people,
        "slots": problem.n_slots,
        "arcs": problem.n_arcs,
        "generate_s": generated,
        "status": solution.status.value,
        "placed": solution.assigned,
        "placed_bound": solution.placed_bound,
        "fit": solution.objective,
        "bound": solution.bound,
        "gap": solution.gap,
        "bound_source": solution.bound_source,
        "circles": int(np.unique(problem.arc_circle[solution.chosen_arcs]).shape[0]),
        "wall_s": solution.wall_time,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "violations": len(circle_violations(problem, solution.chosen_arcs)),
    }


def _run_worker(key: str, method: str, time_limit: float, quick: bool) -> Record:
    command = [sys.executable, "-m", "benchmarks.circles", "--worker", key, method]
    command += ["--time-limit", str(time_limit)] + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    record: Record = json.loads(done.stdout.strip().splitlines()[-1])
    return record


def _row(r: Record) -> str:
    gap = "-" if r["gap"] is None else f"{100 * r['gap']:.3f}%"
    bound = "-" if r["bound"] is None else f"{r['bound']:,.2f}"
    return (
        f"| `{r['method']}` | {r['status']} | {r['placed']:,} / {r['placed_bound']:,} | "
        f"{r['circles']} | {r['fit']:,.2f} | {bound} | {gap} | {r['wall_s']:.1f} | "
        f"{r['peak_rss_mib'] / 1024:.2f} | {r['violations']} |"
    )


def _meets(r: Record) -> bool:
    """The target: everyone who can be placed is (proven), every rule holds, within the
    time, with a bound and its gap."""
    return bool(
        r["wall_s"] <= TARGET_SECONDS
        and r["violations"] == 0
        and r["gap"] is not None
        and r["placed"] == r["placed_bound"]
    )


def _target_lines(records: list[Record]) -> list[str]:
    large = [r for r in records if r["people"] >= 2000]
    met = sorted({r["method"] for r in large if _meets(r)})
    never = [m for m in met if all(_meets(r) for r in large if r["method"] == m)]
    title = (
        "## Target: 2,000 people into circles of 4-6 with composition rules in <= 60 s, "
        "with the gap to the bound"
    )
    if not large:
        return [title, "", "No 2,000-person instance in this run (`--quick`)."]
    lines = [
        title,
        "",
        f"**Met by: {', '.join(f'`{m}`' for m in never) or 'no method'}** (on every "
        "2,000-person instance). A run meets the target when it finishes within 60 s, breaks "
        "no rule, reports a bound with its gap, and places as many people as the bound "
        "allows (coverage proven optimal). Per run:",
        "",
    ]
    for r in large:
        verdict = "meets" if _meets(r) else "misses"
        gap = "no bound" if r["gap"] is None else f"gap {100 * r['gap']:.3f}%"
        start = [g for g in large if g["instance"] == r["instance"] and g["method"] == "greedy"]
        same = r["method"] != "greedy" and any(
            (g["placed"], g["fit"]) == (r["placed"], r["fit"]) for g in start
        )
        lines.append(
            f"- `{r['method']}` on {r['instance']}: {verdict} the target: {r['wall_s']:.1f} s, "
            f"{r['placed']:,} of at most {r['placed_bound']:,} people placed, {gap}, "
            f"{r['violations']} broken rules" + (" (the greedy start, unchanged)." if same else ".")
        )
    lines += [
        "",
        "Reading: the LP-guided greedy start already places nearly everyone within a few "
        "tenths of a percent of the bound in about a second. One CP-SAT model of 2,000 "
        "people (`cp_sat`) cannot improve it: building the ~360k-arc model takes about 15 s "
        "and CP-SAT then stops after presolve with status UNKNOWN (checked with "
        "`log_search_progress`), so `cp_sat` returns the start. `decomposed` re-solves "
        "neighbourhoods of a few themes (12 slots, 80 free people, 0.5 s each) and is the "
        "method for this size.",
    ]
    return lines


def _comparison_lines(records: list[Record]) -> list[str]:
    small = [r for r in records if r["people"] == 120]
    best = min(small, key=lambda r: r["wall_s"] if r["status"] == "optimal" else 1e9, default=None)
    lines = [
        "## Against `MEASUREMENTS.md` (120 people, 20 circles)",
        "",
        "The objectives differ, so the numbers do not compare: `MEASUREMENTS.md` has a naive "
        "CP-SAT model of a *pairwise affinity* objective (best 8.2-8.4k against a bound of "
        "26.8k after 60 s, gap about 225%); here the objective is the *linear themed fit* "
        "(sum of each member's fit to the circle's theme). What compares is what the bound "
        "is worth.",
    ]
    if best is not None and best["status"] == "optimal":
        lines += [
            "",
            f"Here `{best['method']}` proves the optimum ({best['fit']:,.2f}, gap 0) in "
            f"{best['wall_s']:.1f} s, with every composition rule on.",
        ]
    return lines


def render(records: list[Record], time_limit: float, elapsed: float, quick: bool) -> str:
    """RESULTS-circles.md from the worker records."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Mentoring circles: benchmark results",
        "",
        f"Written by `python -m benchmarks.circles{' --quick' if quick else ''}` on {when}, "
        f"{elapsed / 60:.0f} min in all. Machine: {_cpus()} CPUs, Python "
        f"{platform.python_version()}, numpy {np.__version__}, OR-Tools {version('ortools')};"
        " shared and noisy, read times as +-30%. Each (instance, method) ran once in a fresh "
        f"process with a {time_limit:.0f} s limit and seed 0; *wall s* is the whole solver "
        "call, peak RSS that process's `ru_maxrss`.",
        "",
        "Instances (`benchmarks/circles.py`, `make_problem`): people with 1-3 ranked goals "
        "among the themes (popularity skewed), fit 1.0 / 0.7 / 0.45 by rank times noise in "
        "[0.85, 1]; expertise in 0-2 themes (an expert may also join a circle of their "
        "expertise at fit about 0.3); 12 departments, 7 seniority levels. Rules: circles of "
        "4-6, at most 2 members per department, at least one expert of the circle's theme, "
        "levels spanning at least 2. Each theme has `ceil(interested / 6)` identical slots.",
        "",
        "Objective `coverage`: most people placed, then the highest total fit. *placed* is "
        "`placed / placed_bound` (no valid assignment places more). *bound* bounds the total "
        "fit of any valid assignment placing as many people as this one: the LP relaxation "
        "over classes of identical slots (sizes, experts, departments and level spread as "
        "aggregated linear rows), evaluated from its duals so that it is a valid bound "
        "whatever HiGHS's tolerances; `cp_sat` also uses CP-SAT's bound when it has one. "
        "*gap* = (bound - fit) / bound. *violations* counts broken rules, checked again "
        "outside the solver.",
        "",
        *_target_lines(records),
        "",
        *_comparison_lines(records),
    ]
    for key in dict.fromkeys(r["instance"] for r in records):
        rows = [r for r in records if r["instance"] == key]
        first = rows[0]
        spec = (QUICK if quick else SPECS)[key]
        lines += [
            "",
            f"## {spec.name}",
            "",
            f"{first['people']:,} people, {first['slots']:,} candidate slots, "
            f"{first['arcs']:,} (person, slot) arcs.",
            "",
            "| method | status | placed | circles | fit | bound | gap | wall s | peak GB "
            "| violations |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *(_row(r) for r in rows),
        ]
    return "\n".join(lines) + "\n"


def _cpus() -> int:
    return os.cpu_count() or 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--worker", nargs=2, metavar=("INSTANCE", "METHOD"))
    parser.add_argument("--time-limit", type=float, default=TARGET_SECONDS)
    parser.add_argument("--quick", action="store_true", help="small instances, 5 s limit")
    parser.add_argument("--methods", default=",".join(CIRCLE_METHODS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.worker:
        key, method = args.worker
        print(json.dumps(worker(key, method, args.time_limit, args.quick)))
        return
    time_limit = 5.0 if args.quick else args.time_limit
    started = time.perf_counter()
    records: list[Record] = []
    for key in QUICK if args.quick else SPECS:
        for method in args.methods.split(","):
            record = _run_worker(key, method, time_limit, args.quick)
            print(json.dumps(record), flush=True)
            records.append(record)
    args.out.write_text(render(records, time_limit, time.perf_counter() - started, args.quick))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
