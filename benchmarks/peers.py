"""Peer pairs: exact general matching by pruned_blossom and rustworkx against networkx,
CP-SAT and greedy.

``python -m benchmarks.peers`` builds one random graph per size (20 edges per node on
average, weights uniform in [0, 1], objective ``coverage``), solves it in one fresh
process per method and repeat (methods interleaved, so drift on a shared machine hits
each alike), checks that every exact method reaches the same (pairs, total), and writes
``benchmarks/RESULTS-peers.md``. ``--quick`` checks the harness in seconds.

networkx is the pure-Python reference; it and CP-SAT run once at 10,000 nodes (each
takes many minutes there); networkx runs under ``--networkx-timeout`` and is skipped above
a size it timed out at. pruned_blossom's speed depends on the graph (round 2 runs where
the fractional LP has odd cycles), so it and rustworkx also solve ``--spread`` more graphs
of the largest size, one process each.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from solvers.pairing import (
    PAIRING_METHODS,
    PairingProblem,
    solve_pairing,
    solve_pruned_blossom_rounds,
)
from solvers.problem import Objective

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS-peers.md"
#: The exact method every ratio is taken against, then the others in table order.
BASELINE = "rustworkx"
METHODS = ("pruned_blossom", "rustworkx", "networkx", "cp_sat", "greedy")
EXACT = ("pruned_blossom", "rustworkx", "networkx", "cp_sat")
#: Solved on the ``--spread`` extra graphs of the largest size.
SPREAD_METHODS = ("pruned_blossom", "rustworkx")
#: From this size on these run once: each run costs many minutes (networkx's Python
#: blossom; CP-SAT, which runs to its time limit there), so a repeat tells little.
ONCE_FROM = 10_000
ONCE_METHODS = ("networkx", "cp_sat")
Record = dict[str, Any]


# --------------------------------------------------------------------------------------
# The worker: one method on one graph, in its own process
# --------------------------------------------------------------------------------------


def make_graph(nodes: int, degree: int, seed: int) -> PairingProblem:
    """``nodes * degree / 2`` uniform node pairs without self-loops or repeats (so the
    average degree is just under ``degree``) with uniform weights in [0, 1]."""
    rng = np.random.default_rng(seed)
    draws = nodes * degree // 2
    u = rng.integers(0, nodes, draws)
    v = rng.integers(0, nodes, draws)
    keys = np.unique(np.minimum(u, v) * nodes + np.maximum(u, v))
    low, high = keys // nodes, keys % nodes
    keep = low != high
    low, high = low[keep], high[keep]
    flip = rng.random(low.shape[0]) < 0.5
    order = rng.permutation(low.shape[0])
    return PairingProblem(
        n=nodes,
        arc_u=np.where(flip, high, low)[order],
        arc_v=np.where(flip, low, high)[order],
        arc_weight=rng.random(low.shape[0]),
        objective=Objective.COVERAGE,
    )


def solve_networkx(problem: PairingProblem) -> tuple[int, int, float]:
    """networkx's blossom on the same integer weights: (pairs, integer total, objective)."""
    import networkx as nx  # A dev dependency, needed only here.

    graph = nx.Graph()
    graph.add_nodes_from(range(problem.n))
    edges = zip(
        problem.arc_u.tolist(),
        problem.arc_v.tolist(),
        problem.integer_weights().tolist(),
        range(problem.n_arcs),
        strict=True,
    )
    graph.add_edges_from((u, v, {"weight": w, "k": k}) for u, v, w, k in edges)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    chosen = np.asarray([graph.edges[u, v]["k"] for u, v in matching], dtype=np.int64)
    total = int(problem.integer_weights()[chosen].sum())
    return int(chosen.shape[0]), total, float(problem.arc_weight[chosen].sum())


def work(method: str, nodes: int, degree: int, seed: int, time_limit: float | None) -> Record:
    """Build the graph, solve it once, and describe the result."""
    tick = time.perf_counter()
    problem = make_graph(nodes, degree, seed)
    build = time.perf_counter() - tick
    tick = time.perf_counter()
    redone: int | None = None
    if method == "networkx":
        pairs, total, objective = solve_networkx(problem)
        status, bound = "optimal", None
    elif method == "pruned_blossom":
        solution, redone = solve_pruned_blossom_rounds(problem)
        pairs, objective, bound = solution.assigned, solution.objective, solution.bound
        total = int(problem.integer_weights()[solution.chosen_arcs].sum())
        status = solution.status.value
    else:
        solution = solve_pairing(problem, method, time_limit=time_limit, seed=seed)
        pairs, objective, bound = solution.assigned, solution.objective, solution.bound
        total = int(problem.integer_weights()[solution.chosen_arcs].sum())
        status = solution.status.value
    return {
        "method": method,
        "nodes": nodes,
        "seed": seed,
        "redone": redone,
        "edges": problem.n_arcs,
        "status": status,
        "pairs": pairs,
        "total": total,
        "objective": objective,
        "bound": bound,
        "seconds": time.perf_counter() - tick,
        "build_seconds": build,
        # ru_maxrss is KiB on Linux: the process high-water mark, graph included.
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --------------------------------------------------------------------------------------
# The runner: fresh processes, interleaved
# --------------------------------------------------------------------------------------


@dataclass
class Bench:
    """Every run, and enough context to read them."""

    sizes: list[int]
    degree: int
    seed: int
    repeats: int
    spread: int
    cp_sat_limit: float
    networkx_timeout: float
    machine: dict[str, str]
    started: datetime
    runs: list[Record] = field(default_factory=list)
    elapsed: float = 0.0


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def launch(
    bench: Bench, method: str, nodes: int, timeout: float, seed: int | None = None
) -> Record:
    """One fresh process; its record, or why there is none."""
    seed = bench.seed if seed is None else seed
    command = [
        sys.executable,
        "-m",
        "benchmarks.peers",
        "--worker",
        method,
        "--nodes",
        str(nodes),
        "--degree",
        str(bench.degree),
        "--seed",
        str(seed),
        "--cp-sat-limit",
        str(bench.cp_sat_limit),
    ]
    load = os.getloadavg()[0]
    log(f"{method} at {nodes:,} nodes, seed {seed} (load {load:.2f}) ...")
    tick = time.perf_counter()
    base: Record = {"method": method, "nodes": nodes, "seed": seed, "load": load}
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        log(f"  timed out after {timeout:.0f} s")
        return {**base, "failure": f"timeout after {timeout:.0f} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        log(f"  failed: {tail[0]}")
        return {**base, "failure": f"exit {done.returncode}: {tail[0]}"}
    record: Record = {**base, **json.loads(done.stdout.strip().splitlines()[-1])}
    record["process_seconds"] = time.perf_counter() - tick
    log(f"  {record['seconds']:.2f} s, {record['status']}, {record['pairs']:,} pairs")
    return record


def run(bench: Bench, methods: list[str]) -> None:
    """Round-robin over methods, ``repeats`` times per size; the slow methods once at the
    largest sizes, and networkx never again after a timeout."""
    networkx_failed_at: int | None = None
    for nodes in bench.sizes:
        for repeat in range(bench.repeats):
            for method in methods:
                if method in ONCE_METHODS and nodes >= ONCE_FROM and repeat > 0:
                    continue
                if method == "networkx" and networkx_failed_at is not None:
                    continue
                timeout = bench.cp_sat_limit * 3 + 600
                if method == "networkx":
                    timeout = bench.networkx_timeout
                record = launch(bench, method, nodes, timeout)
                bench.runs.append(record)
                if method == "networkx" and "failure" in record:
                    networkx_failed_at = nodes
    largest = max(bench.sizes)
    for seed in range(bench.seed + 1, bench.seed + 1 + bench.spread):
        for method in SPREAD_METHODS:
            if method in methods:
                bench.runs.append(launch(bench, method, largest, 3600, seed=seed))


def machine() -> dict[str, str]:
    """The end-to-end benchmark's machine description, plus the graph libraries."""
    from importlib.metadata import version

    from benchmarks.run import machine as described

    return {**described(), "rustworkx": version("rustworkx"), "networkx": version("networkx")}


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def _ok(bench: Bench, method: str, nodes: int, seed: int | None = None) -> list[Record]:
    """Finished runs of ``method`` on the graph of ``nodes`` and ``seed`` (the main one)."""
    seed = bench.seed if seed is None else seed
    return [
        r
        for r in bench.runs
        if r["method"] == method
        and r["nodes"] == nodes
        and r.get("seed", bench.seed) == seed
        and "failure" not in r
    ]


def _median(runs: list[Record]) -> float | None:
    return statistics.median(r["seconds"] for r in runs) if runs else None


def _cell(bench: Bench, method: str, nodes: int) -> str:
    runs = _ok(bench, method, nodes)
    failed = [
        r
        for r in bench.runs
        if r["method"] == method
        and r["nodes"] == nodes
        and r.get("seed", bench.seed) == bench.seed
        and "failure" in r
    ]
    if not runs:
        return f"not finished ({failed[0]['failure']})" if failed else "not run"
    seconds = sorted(r["seconds"] for r in runs)
    text = f"{statistics.median(seconds):.2f}"
    if len(seconds) > 1:
        text += f" ({seconds[0]:.2f}-{seconds[-1]:.2f}, {len(seconds)} runs)"
    else:
        text += " (1 run)"
    statuses = {r["status"] for r in runs}
    if statuses != {"optimal"} and method != "greedy":
        text += " " + "/".join(sorted(statuses))
    return text


def _ratio(top: float | None, bottom: float | None, digits: int = 1) -> str:
    if top is None or bottom is None or bottom == 0:
        return "-"
    return f"{top / bottom:.{digits}f}"


def agreement(bench: Bench, nodes: int, seed: int | None = None) -> tuple[bool, str]:
    """Whether every optimal run of an exact method found the same (pairs, total), and
    which methods that rests on (a method alone agrees with nothing)."""
    optimal = {
        method: {(r["pairs"], r["total"]) for r in _ok(bench, method, nodes, seed)}
        for method in EXACT
        if any(r["status"] == "optimal" for r in _ok(bench, method, nodes, seed))
    }
    scores = set().union(*optimal.values()) if optimal else set()
    if not scores:
        return False, "no exact run finished"
    if len(scores) > 1:
        return False, "DISAGREE: " + ", ".join(f"{p:,} pairs / {t:,}" for p, t in sorted(scores))
    pairs, total = next(iter(scores))
    found = f"{pairs:,} pairs, total {total:,}"
    if len(optimal) == 1:
        only = next(iter(optimal))
        others = [
            m
            for m in EXACT
            if m != only and any(r["total"] == total for r in _ok(bench, m, nodes, seed))
        ]
        also = f"; {', '.join(others)} reached the same total unproven" if others else ""
        return True, f"only {only} proved it: {found}{also}"
    return True, f"yes ({', '.join(optimal)}): {found}"


def spread_runs(bench: Bench, method: str) -> list[Record]:
    """``method``'s finished runs at the largest size, over every graph solved there."""
    nodes = max(bench.sizes)
    return [r for r in _ok_all(bench, method) if r["nodes"] == nodes]


def answer(bench: Bench) -> str:
    """The plain sentences the report exists for, from the largest size measured."""
    nodes = max(bench.sizes)
    rust = _median(_ok(bench, "rustworkx", nodes))
    cp_runs = _ok(bench, "cp_sat", nodes)
    cp = _median(cp_runs)
    if rust is None:
        return f"rustworkx did not finish at {nodes:,} nodes."
    cp_optimal = bool(cp_runs) and all(r["status"] == "optimal" for r in cp_runs)
    if cp is None:
        race = f"CP-SAT did not finish at {nodes:,} nodes"
    elif not cp_optimal:
        race = (
            f"CP-SAT ran to its {bench.cp_sat_limit:.0f} s limit without proving the optimum "
            f"(at least {cp / rust:.0f}x slower than rustworkx's {rust:.1f} s)"
        )
    else:
        race = f"CP-SAT took {cp:.1f} s against rustworkx's {rust:.1f} s"
    text = f"At {nodes:,} peers {race}: among the two, rustworkx is the one to use."
    pruned = spread_runs(bench, "pruned_blossom")
    if not pruned:
        verdict = "yes" if rust <= 10 else "no"
        return f"{text} Pairing them exactly takes {rust:.1f} s: <= 10 s is **{verdict}**."
    # One figure per graph (its median), so the graph with repeats does not weigh more.
    graphs = sorted({r["seed"] for r in pruned})
    per_graph = [_median(_ok(bench, "pruned_blossom", nodes, seed)) or 0.0 for seed in graphs]
    rust_graph = [
        t for seed in graphs if (t := _median(_ok(bench, "rustworkx", nodes, seed))) is not None
    ]
    fast = sum(1 for t in per_graph if t <= 10)
    median = statistics.median(per_graph)
    rust_median = statistics.median(rust_graph) if rust_graph else 0.0
    verdict = "yes" if fast == len(graphs) else ("partly" if fast else "no")
    # Split by whether round 2 ran (the fractional LP had odd cycles): the times differ.
    redone = {r["seed"] for r in pruned if r.get("redone")}
    kinds = []
    for name, seeds in (
        ("where the fractional LP is integral", [s for s in graphs if s not in redone]),
        ("where it has odd cycles (round 2 runs)", [s for s in graphs if s in redone]),
    ):
        times = [t for s, t in zip(graphs, per_graph, strict=True) if s in seeds]
        if times:
            spread = f"{min(times):.1f}-{max(times):.1f} s"
            kinds.append(f"{name} it takes {spread} ({len(times)} graphs)")
    return (
        f"{text} pruned_blossom proves the same optimum in {min(per_graph):.1f}-"
        f"{max(per_graph):.1f} s over {len(graphs)} random graphs of {nodes:,} peers "
        f"(median over graphs {median:.1f} s; rustworkx {rust_median:.1f} s). It is within "
        f"10 s on {fast} of the {len(graphs)} graphs, so the answer to <= 10 s is "
        f"**{verdict}**: {'; '.join(kinds)} (see *Across graphs*)."
    )


def notes(bench: Bench) -> list[str]:
    """Plain sentences for what the table cannot show: runs that did not finish, and
    CP-SAT runs that stopped without proof."""
    found: list[str] = []
    for method in METHODS:
        failed = [r for r in bench.runs if r["method"] == method and "failure" in r]
        if failed:
            finished = [n for n in bench.sizes if _ok(bench, method, n)]
            largest = (
                f"the largest size it finished is {max(finished):,} nodes "
                f"({_median(_ok(bench, method, max(finished))):.1f} s median)"
                if finished
                else "it finished no size"
            )
            found.append(
                f"- {method} did not finish {failed[0]['nodes']:,} nodes "
                f"({failed[0]['failure']}); {largest}."
            )
    for r in _ok_all(bench, "cp_sat"):
        if r["status"] != "optimal" and r["bound"] is not None:
            gap = (r["bound"] - r["objective"]) / r["bound"] if r["bound"] else 0.0
            found.append(
                f"- CP-SAT at {r['nodes']:,} nodes stopped at its {bench.cp_sat_limit:.0f} s "
                f"limit ({r['status']}): {r['pairs']:,} pairs, total {r['total']:,}, bound "
                f"{r['bound']:,.4f}, gap {gap:.2e}; not a proof of optimality."
            )
    return found


def _ok_all(bench: Bench, method: str) -> list[Record]:
    return [r for r in bench.runs if r["method"] == method and "failure" not in r]


def render(bench: Bench) -> str:
    m = bench.machine
    lines = [
        "# Peer pairs: general maximum-weight matching, benchmark results",
        "",
        f"Written by `python -m benchmarks.peers` on {bench.started:%Y-%m-%d %H:%M} UTC "
        f"(commit `{m['commit']}`), {bench.elapsed / 60:.0f} min in all.",
        "",
        f"**Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, Python {m['python']}, "
        f"rustworkx {m['rustworkx']}, networkx {m['networkx']}, OR-Tools {m['ortools']}. "
        "The machine is shared and noisy: figures are medians of fresh processes, read each "
        "as about +-30%, and compare methods only within this run.",
        "",
        "## Answer",
        "",
        answer(bench),
        "",
        "## Instance",
        "",
        f"One random graph per size (`benchmarks.peers.make_graph`, seed {bench.seed}): "
        f"`nodes * {bench.degree} / 2` uniform node pairs, self-loops and repeats dropped "
        f"(average degree just under {bench.degree}), weights uniform in [0, 1] and optimised "
        "as integers 0..10,000, objective `coverage` (most pairs, then the highest total). "
        "Every method solves the same graph.",
        "",
        "Time is one solve in seconds, graph building included (rustworkx `PyGraph`, "
        "networkx `Graph`, the CP-SAT model), instance generation and imports excluded. "
        f"CP-SAT: 1 worker, limit {bench.cp_sat_limit:.0f} s (as deterministic time, "
        f"`WORK_PER_SECOND`). From {ONCE_FROM:,} nodes "
        "networkx and CP-SAT run once (each costs many minutes there); networkx has a "
        f"{bench.networkx_timeout / 60:.0f} min timeout.",
        "",
        "## Times",
        "",
        "Median seconds (min-max, runs). *rx / pruned*: rustworkx time over pruned_blossom "
        "time; *nx / rx*: networkx time over rustworkx time in this run; *rx / nx* its "
        "inverse. *greedy / optimum*: greedy's total weight over the "
        "optimum's.",
        "",
        "| nodes | edges | pruned_blossom | rustworkx | networkx | CP-SAT | greedy "
        "| rx / pruned | nx / rx | rx / nx | CP-SAT / rx | greedy / optimum "
        "| greedy pairs / optimum | exact methods agree |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for nodes in bench.sizes:
        rust_runs = _ok(bench, "rustworkx", nodes)
        greedy_runs = _ok(bench, "greedy", nodes)
        edges = next((r["edges"] for r in bench.runs if "edges" in r and r["nodes"] == nodes), 0)
        rust = _median(rust_runs)
        nx_time = _median(_ok(bench, "networkx", nodes))
        cp = _median(_ok(bench, "cp_sat", nodes))
        if rust_runs and greedy_runs:
            best, greedy = rust_runs[0], greedy_runs[0]
            quality = f"{greedy['objective'] / best['objective']:.4f}"
            pairs = f"{greedy['pairs'] / best['pairs']:.4f}"
        else:
            quality = pairs = "-"
        _, agree = agreement(bench, nodes)
        pruned = _median(_ok(bench, "pruned_blossom", nodes))
        lines.append(
            f"| {nodes:,} | {edges:,} | {_cell(bench, 'pruned_blossom', nodes)} "
            f"| {_cell(bench, 'rustworkx', nodes)} "
            f"| {_cell(bench, 'networkx', nodes)} | {_cell(bench, 'cp_sat', nodes)} "
            f"| {_cell(bench, 'greedy', nodes)} | {_ratio(rust, pruned)} | {_ratio(nx_time, rust)} "
            f"| {_ratio(rust, nx_time, 4)} | {_ratio(cp, rust)} | {quality} | {pairs} | {agree} |"
        )
    found = notes(bench)
    if found:
        lines += ["", *found]
    lines += spread_table(bench)
    lines += [
        "",
        "## Every run",
        "",
        "In launch order. *load*: the 1-minute load average when the process started "
        "(2 CPUs). *peak*: the process's resident-memory high-water mark, graph included.",
        "",
        "| nodes | seed | method | status | seconds | pairs | total (integer) | bound "
        "| round 2 | peak MiB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in bench.runs:
        if "failure" in r:
            lines.append(
                f"| {r['nodes']:,} | {r.get('seed', bench.seed)} | {r['method']} "
                f"| {r['failure']} | | | | | | | {r['load']:.2f} |"
            )
            continue
        bound = "-" if r["bound"] is None else f"{r['bound']:,.4f}"
        redone = "-" if r.get("redone") is None else f"{r['redone']} component(s)"
        lines.append(
            f"| {r['nodes']:,} | {r.get('seed', bench.seed)} | {r['method']} | {r['status']} "
            f"| {r['seconds']:.2f} | {r['pairs']:,} | {r['total']:,} | {bound} | {redone} "
            f"| {r['peak_mib']:,.0f} | {r['load']:.2f} |"
        )
    lines += [
        "",
        "Reproduce: `python -m benchmarks.peers` (add `--quick` for a harness check); "
        "`--raw FILE` keeps every record, `--from-raw FILE` re-renders this page from them.",
        "",
    ]
    return "\n".join(lines)


def spread_table(bench: Bench) -> list[str]:
    """pruned_blossom against rustworkx on every graph of the largest size."""
    nodes = max(bench.sizes)
    seeds = sorted({r["seed"] for r in spread_runs(bench, "pruned_blossom")})
    if not seeds:
        return []
    lines = [
        "",
        "## Across graphs",
        "",
        f"pruned_blossom's time depends on the graph, so it and rustworkx solve "
        f"{len(seeds)} random graphs of {nodes:,} nodes (seeds {seeds[0]}-{seeds[-1]}; seed "
        f"{bench.seed} is the graph above). *round 2*: components re-solved because the "
        "fractional LP was not integral there (0: the LP's tight edges were enough).",
        "",
        "| seed | pruned_blossom s | rustworkx s | rx / pruned | round 2 | same optimum |",
        "|---|---|---|---|---|---|",
    ]
    for seed in seeds:
        pruned = _ok(bench, "pruned_blossom", nodes, seed)
        rust = _ok(bench, "rustworkx", nodes, seed)
        redone = sorted({r["redone"] for r in pruned})
        same, _ = agreement(bench, nodes, seed)
        lines.append(
            f"| {seed} | {_median(pruned) or 0:.2f} | "
            + (f"{_median(rust):.2f}" if rust else "-")
            + f" | {_ratio(_median(rust), _median(pruned))} "
            f"| {'/'.join(str(x) for x in redone)} | {'yes' if same and rust else 'UNCHECKED'} |"
        )
    return lines


def save_raw(bench: Bench, path: Path) -> None:
    document = {**asdict(bench), "started": bench.started.isoformat()}
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


def load_raw(path: Path) -> Bench:
    document = json.loads(path.read_text(encoding="utf-8"))
    document["started"] = datetime.fromisoformat(document["started"])
    return Bench(**document)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 2_000, 10_000])
    parser.add_argument("--degree", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--spread", type=int, default=5, help="extra graphs, largest size")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--cp-sat-limit", type=float, default=600.0)
    parser.add_argument("--networkx-timeout", type=float, default=900.0)
    parser.add_argument("--out", type=Path, help=f"default {RESULTS.name}; stdout if --quick")
    parser.add_argument("--raw", type=Path, help="also write every run as JSON here")
    parser.add_argument("--from-raw", type=Path, help="re-render a --raw file; run nothing")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--nodes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker is not None:
        if args.nodes is None:
            parser.error("--worker needs --nodes")
        record = work(args.worker, args.nodes, args.degree, args.seed, args.cp_sat_limit)
        print(json.dumps(record))
        return 0

    if args.from_raw is not None:
        bench = load_raw(args.from_raw)
        (args.out or RESULTS).write_text(render(bench), encoding="utf-8")
        return 0

    missing = set(args.methods) - {"networkx"} - set(PAIRING_METHODS)
    if missing:
        parser.error(f"not in the pairing registry: {', '.join(sorted(missing))}")
    bench = Bench(
        sizes=[200, 400] if args.quick else args.sizes,
        degree=args.degree,
        seed=args.seed,
        repeats=1 if args.quick else args.repeats,
        spread=1 if args.quick else args.spread,
        cp_sat_limit=args.cp_sat_limit,
        networkx_timeout=args.networkx_timeout,
        machine=machine(),
        started=datetime.now(UTC),
    )
    tick = time.perf_counter()
    run(bench, args.methods)
    bench.elapsed = time.perf_counter() - tick
    if args.raw is not None:
        save_raw(bench, args.raw)
    out: Path | None = args.out if args.out is not None or args.quick else RESULTS
    if out is None:
        print(render(bench))
    else:
        out.write_text(render(bench), encoding="utf-8")
        log(f"wrote {out}")
    disagreements = [n for n in bench.sizes if agreement(bench, n)[1].startswith("DISAGREE")]
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
