"""Exact assignment on a pruned candidate graph, proven optimal by LP duality.

At cohort scale most of the ~10^7 candidate arcs cannot be in any optimum: a mentee's
thousandth choice never beats its fortieth. So solve a small seed subset exactly, derive
node potentials (LP duals) from its optimal residual graph and price EVERY pruned arc with
them. An arc with a negative reduced cost might improve the answer, so it joins the subset
and the subset is solved again. When no arc prices negative, the potentials are a dual
solution of the full problem, so the subset's optimum is the full problem's optimum: the
pruning changes the running time, never the answer.

The seed is small on purpose: its potentials are already close to the full problem's, and
the second solve takes every arc of the graph they price near entering, so a seed too
small for the answer still gives the right second subset.

One objective serves both goals. Each unit on arc (i, j) costs ``-(bonus + w_ij)`` and a
free source -> sink bypass lets units stay unassigned. For ``TOTAL`` the bonus is 0. For
``COVERAGE`` it exceeds ``SCORE_SCALE`` times the number of backward arcs any augmenting path
can have, so one more unit always outweighs any change of total weight: the cheapest flow is
the lexicographic optimum (units, then weight), and its duals certify exactly that.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from solvers import parallel
from solvers.mincostflow import SolverFailureError, shortest_distances, solve_min_cost_flow
from solvers.problem import SCORE_SCALE, AssignmentProblem, IntArray, Objective
from solvers.solution import Solution, Status

_MCF = min_cost_flow.SimpleMinCostFlow
BoolArray = npt.NDArray[np.bool_]

#: Seed subset: each left node's ``LEFT_TOP + demand`` heaviest arcs...
LEFT_TOP = 15
#: ...and each right node's ``RIGHT_TOP + 2 * capacity`` heaviest, so that a right node
#: everyone ranks first still sees the left nodes that need it most (per-left top arcs
#: alone leave most left nodes competing for the same few right nodes).
RIGHT_TOP = 80
#: From this many arcs up, seeds of ``LARGE_TOPS`` instead. Measured (seconds to the
#: proof, calibrated populations): (15, 80) against (40, 250) took 1.1 against 1.5 at
#: 8.3 M arcs, 4.9 against 6.8 at 34 M; at 74 M a third solve (18.2 against 15.1), and at
#: 131 M (34 against 27.5). Seeds of (10, 60) took a third solve from 18 M arcs.
LARGE_FROM = 50_000_000
LARGE_TOPS = (40, 250)
#: After the first solve, the next takes every arc (of the whole graph) whose reduced
#: cost is at most this (a 0.05 score step): 10k x 2k, 178,000 of 8.3 M arcs after a
#: seed of 363,000.
KEEP_SLACK = SCORE_SCALE // 20
#: Rounds whose potentials choose the next subset afresh; later rounds only add arcs.
RESEEDS = 3
#: Candidate pairs below which ``solve_pruned_flow`` solves them all at once.
DENSE_BELOW = 200_000
#: Arcs priced per call (chunks for the run's threads to share; scratch in the heap).
PRICE_CHUNK = parallel.SCRATCH_ARCS
#: Cells of the per-node histograms that pick top arcs in linear time instead of sorting
#: 10^7 arcs (seconds); bounds each to 16 MB. Measured at 8.3 M arcs: 4 M cells took
#: 0.055-0.09 s a side, 2 M 0.05-0.067 s, with the same seed but for 0.2% more arcs.
_HISTOGRAM_CELLS = 1 << 21
#: Arcs ``top_arcs`` counts at once (its scratch: 12 bytes an arc, plus a histogram,
#: in the heap: scratch of every arc at once was fresh memory on every call)...
_TOP_CHUNK = parallel.SCRATCH_ARCS
#: ...arcs grouped by node or not, judged from this many spread over them...
_GROUPED_SAMPLE = 4096
#: ...and compares with their node's cut at once.
_CUT_CHUNK = parallel.SCRATCH_ARCS
#: A chunk of arcs not grouped by node has at least this many arcs per histogram cell.
_ARCS_PER_CELL = 2
#: Levels of a score fed to ``top_arcs``; weights use exactly these (0..SCORE_SCALE).
_LEVELS = SCORE_SCALE + 1


def solve_pruned_flow(
    problem: AssignmentProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """Same optimum as ``min_cost_flow`` from a fraction of the arcs (see the module doc).

    ``time_limit`` and ``seed`` are accepted for the common signature: the method is
    deterministic and returns only once optimality is proven.
    """
    del time_limit, seed
    if problem.n_arcs < DENSE_BELOW:
        # Pruning pays only on large graphs: below this, one flow on every arc is faster
        # (measured: 0.8 vs 1.9 ms at 4,500 arcs, 37 vs 48 ms at 150,000, 165 vs 128 ms
        # at 600,000) and is its own certificate.
        dense = solve_min_cost_flow(problem)
        return dataclasses.replace(dense, method="pruned_flow")
    solution, _ = solve_pruned_flow_rounds(problem)
    return solution


def seed_tops(n_arcs: int) -> tuple[int, int]:
    """``(left_top, right_top)`` of the seed for a graph of ``n_arcs``."""
    return LARGE_TOPS if n_arcs >= LARGE_FROM else (LEFT_TOP, RIGHT_TOP)


def solve_pruned_flow_rounds(
    problem: AssignmentProblem, *, left_top: int | None = None, right_top: int | None = None
) -> tuple[Solution, int]:
    """``solve_pruned_flow`` with tunable seed sizes (default: ``seed_tops``); also
    returns how many solves it took.

    ``left_top <= -max(demand)`` (``right_top <= -2 * max(capacity)``) leaves that side out
    of the seed; tests use tiny or empty seeds to force extra rounds.
    """
    started = time.perf_counter()
    default_left, default_right = seed_tops(problem.n_arcs)
    left_top = default_left if left_top is None else left_top
    right_top = default_right if right_top is None else right_top
    weights = problem.integer_weights()
    demand, capacity = problem.left_demand, problem.right_capacity
    most_units = min(int(demand.sum()), int(capacity.sum()), problem.n_arcs)
    if problem.objective is Objective.COVERAGE:
        # One more unit must beat any weight change: an augmenting path unassigns at most
        # this many arcs, each worth at most SCORE_SCALE.
        bonus = SCORE_SCALE * min(most_units, problem.n_left, problem.n_right) + 1
    else:
        bonus = 0

    # One side's seeds after the other: each ``top_arcs`` already spreads its chunks over
    # the run's threads.
    in_subset = top_arcs(problem.arc_left, weights, left_top + demand)
    in_subset |= top_arcs(problem.arc_right, weights, right_top + 2 * capacity)
    rounds = 0
    while True:
        rounds += 1
        subset = np.flatnonzero(in_subset)
        cost = -(bonus + weights[subset])
        used = solve_subset(problem, subset, cost, bonus=bonus)
        potential = potentials(problem, subset, cost, used)
        near = np.empty(problem.n_arcs, dtype=bool) if rounds <= RESEEDS else None
        violating = _violating_arcs(problem, weights, bonus, potential, in_subset, near)
        if violating.shape[0] == 0:
            break  # The potentials certify the full problem: optimal.
        if near is not None:
            # These potentials are close to the full problem's: the next solve takes
            # every arc they price within KEEP_SLACK of entering, over the whole graph
            # (violations included; the solution's arcs price at or below 0), and no
            # other. Whatever is dropped is priced again like every other arc.
            in_subset = near
        # After RESEEDS rounds the subset only grows: the loop ends (a new arc a round).
        in_subset[violating] = True

    chosen = subset[used]
    solution = Solution.from_arcs(
        "pruned_flow", Status.OPTIMAL, chosen, problem.arc_weight, started
    )
    return solution, rounds


def top_arcs(nodes: IntArray, scores: IntArray, quota: IntArray) -> BoolArray:
    """Mark each node's ``quota`` best arcs by score (0.._LEVELS-1), ties at the cut kept.

    A per-node histogram of bucketed scores replaces a sort of every arc: a node keeps the
    buckets, from the top, until their count reaches its quota. The result is a superset
    of the exact top ``quota`` by at most one bucket per node.

    Two passes over the arcs a chunk at a time, on the run's threads: histograms, then
    the cut, which compares each score with its node's lowest score kept. No array of
    every arc is made but the result: whole-array buckets and cells (12 bytes an arc)
    were fresh memory on every call, and the kernel zeroing it cost more than the
    counting (0.3 s against 0.08 s for a call at 8.3 M arcs in a new process).
    """
    n_nodes, n_arcs = quota.shape[0], nodes.shape[0]
    # Never many more cells than arcs: a small problem (an API request) would otherwise
    # fill and sum a histogram a hundred times its size. Coarser buckets only keep more.
    per_node = 4 * n_arcs // max(n_nodes, 1) + 16
    n_buckets = max(1, min(_LEVELS, _HISTOGRAM_CELLS // max(n_nodes, 1), per_node))
    n_cells = n_nodes * n_buckets
    # Arcs grouped by node (a candidate graph's left ends) give each chunk a histogram of
    # its own nodes only, so chunks can be small. Otherwise every chunk's histogram spans
    # all nodes: a chunk then has at least ``_ARCS_PER_CELL`` arcs per cell, so making and
    # adding it costs less than reading its arcs. Grouping is judged on a sample: a wrong
    # guess costs time, never the answer.
    sample = nodes[:: max(1, n_arcs // _GROUPED_SAMPLE)]
    grouped = bool(np.all(sample[1:] >= sample[:-1]))
    size = _TOP_CHUNK if grouped else max(_TOP_CHUNK, int(_ARCS_PER_CELL * n_cells))
    parts = parallel.chunks(n_arcs, size)

    local = threading.local()  # one histogram per thread, its chunks added in
    histograms: list[npt.NDArray[np.integer]] = []

    def count(part: slice) -> None:
        ends = nodes[part]
        low, high = (int(ends.min()), int(ends.max()) + 1) if len(parts) > 1 else (0, n_nodes)
        # Buckets in 32 bits (a score times n_buckets is below _LEVELS ** 2 < 2 ** 31),
        # whose division is the faster; cells in numpy's index type, which bincount
        # reads without a copy.
        bucket = np.multiply(scores[part], n_buckets, dtype=np.int32)
        bucket //= _LEVELS
        cell = np.multiply(ends, n_buckets, dtype=np.intp)
        if low:
            cell -= low * n_buckets
        cell += bucket
        del bucket
        found = np.bincount(cell, minlength=(high - low) * n_buckets)
        if not hasattr(local, "counts"):
            if (low, high) == (0, n_nodes):  # this thread's first chunk spans every node
                local.counts = found
                histograms.append(found)
                return
            # A node's count fits 32 bits: half the memory of bincount's 64.
            local.counts = np.zeros(n_cells, dtype=np.int32)
            histograms.append(local.counts)
        local.counts[low * n_buckets : high * n_buckets] += found

    parallel.map_blocks(count, parts)
    counts = histograms[0] if histograms else np.zeros(n_cells, dtype=np.int32)
    for other in histograms[1:]:
        counts += other
    histograms.clear()
    from_top = np.cumsum(counts.reshape(n_nodes, n_buckets)[:, ::-1], axis=1, dtype=np.int32)
    del counts
    short = np.count_nonzero(from_top < quota[:, None], axis=1)  # top buckets below quota
    del from_top
    lowest_bucket = np.where(quota > 0, n_buckets - 1 - short, n_buckets)
    # A score's bucket floor(s * n_buckets / _LEVELS) is at least k exactly when s is at
    # least ceil(k * _LEVELS / n_buckets); a bucket of n_buckets keeps nothing.
    # In the scores' own type: a comparison of mixed types casts every score first.
    lowest_score = ((lowest_bucket * _LEVELS + n_buckets - 1) // n_buckets).astype(scores.dtype)
    kept: BoolArray = np.empty(n_arcs, dtype=bool)

    def cut(part: slice) -> None:
        np.greater_equal(scores[part], lowest_score[nodes[part]], out=kept[part])

    parallel.map_blocks(cut, parallel.chunks(n_arcs, _CUT_CHUNK))
    return kept


def solve_subset(
    problem: AssignmentProblem, subset: IntArray, cost: IntArray, *, bonus: int = 0
) -> BoolArray:
    """Min-cost flow on the subset's arcs at the given unit costs; which arcs carry a unit.

    Nodes: left 0..n_left-1, right n_left.., then source and sink. Every unit of demand
    leaves the source and may return through the free bypass, so the flow is always
    feasible and one ``solve()`` serves both objectives.

    A ``bonus`` (coverage: each cost is ``-(bonus + w)``, the bonus above any change of
    total weight) asks for the most units first, then the least cost: the same optima
    as a maximum flow at the least cost of ``cost + bonus + SCORE_SCALE`` (0..SCORE_SCALE
    per unit) without the bypass, which OR-Tools solves faster than the bonus's large
    costs (the two rounds of the 10k x 2k benchmark: 3.3-3.5 s against 3.9-4.7 s of CPU,
    on a loaded machine), as the dense method does.
    """
    n_left, n_right = problem.n_left, problem.n_right
    source, sink = n_left + n_right, n_left + n_right + 1
    total_demand = int(problem.left_demand.sum())
    tails = np.concatenate(
        [
            problem.arc_left[subset],
            np.full(n_left, source),
            n_left + np.arange(n_right),
            [source],
        ]
    )
    heads = np.concatenate(
        [n_left + problem.arc_right[subset], np.arange(n_left), np.full(n_right, sink), [sink]]
    )
    capacities = np.concatenate(
        [
            np.ones(subset.shape[0], dtype=np.int64),
            problem.left_demand,
            problem.right_capacity,
            [total_demand],
        ]
    )
    costs = np.concatenate([cost, np.zeros(n_left + n_right + 1, dtype=np.int64)])
    if bonus:  # no bypass: the flow itself is maximised
        tails, heads, capacities = tails[:-1], heads[:-1], capacities[:-1]
        costs = costs[:-1]
        costs[: subset.shape[0]] += bonus + SCORE_SCALE

    flow = _MCF()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64), costs
    )
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([total_demand, -total_demand])
    )
    status = flow.solve_max_flow_with_min_cost() if bonus else flow.solve()
    if status != _MCF.OPTIMAL:
        raise SolverFailureError(f"min-cost flow on the pruned arcs ended with {status.name}")
    used: BoolArray = flow.flows(np.arange(subset.shape[0], dtype=np.int32)) > 0
    return used


def potentials(
    problem: AssignmentProblem,
    subset: IntArray,
    cost: IntArray,
    used: BoolArray,
    *,
    uncapacitated_middle: bool = False,
) -> IntArray:
    """Potentials ``p`` with ``cost + p[tail] - p[head] >= 0`` on every residual arc.

    The residual graph of an optimal flow has no negative cycle, so shortest distances from
    a virtual node joined to every node at cost 0 exist and are such potentials.
    ``uncapacitated_middle`` keeps a used middle arc's forward direction too, as if it had
    no capacity: right when demands and capacities of 1 already cap it, and then the
    potentials price every middle arc at ``p[i] - p[j] >= -cost``, equal on used ones.
    """
    n_left, n_right = problem.n_left, problem.n_right
    source, sink = n_left + n_right, n_left + n_right + 1
    arc_left, arc_right = problem.arc_left[subset], problem.arc_right[subset]
    left_load = np.bincount(arc_left[used], minlength=n_left)
    right_load = np.bincount(arc_right[used], minlength=n_right)
    left = np.arange(n_left)
    right = n_left + np.arange(n_right)
    total_demand = int(problem.left_demand.sum())
    bypass = total_demand - int(np.count_nonzero(used))

    # Residual arcs: an arc with room runs forward at its cost, an arc carrying flow runs
    # backward at minus its cost. Only the middle arcs have non-zero costs.
    free_left = left[left_load < problem.left_demand]
    loaded_left = left[left_load > 0]
    free_right = right[right_load < problem.right_capacity]
    loaded_right = right[right_load > 0]
    bypass_room, bypass_used = int(bypass < total_demand), int(bypass > 0)
    if uncapacitated_middle:
        middle_tails = np.concatenate([arc_left, n_left + arc_right[used]])
        middle_heads = np.concatenate([n_left + arc_right, arc_left[used]])
        middle_costs = np.concatenate([cost, -cost[used]])
    else:
        middle_tails = np.where(used, n_left + arc_right, arc_left)
        middle_heads = np.where(used, arc_left, n_left + arc_right)
        middle_costs = np.where(used, -cost, cost)
    tails = np.concatenate(
        [
            middle_tails,
            np.full(free_left.shape[0] + bypass_room, source),
            loaded_left,
            free_right,
            np.full(loaded_right.shape[0] + bypass_used, sink),
        ]
    )
    heads = np.concatenate(
        [
            middle_heads,
            free_left,
            np.full(bypass_room, sink),
            np.full(loaded_left.shape[0], source),
            np.full(free_right.shape[0], sink),
            loaded_right,
            np.full(bypass_used, source),
        ]
    )
    costs = np.concatenate(
        [middle_costs, np.zeros(tails.shape[0] - middle_costs.shape[0], dtype=np.int64)]
    )
    return shortest_distances(tails, heads, costs, n_left + n_right + 2)


def _violating_arcs(
    problem: AssignmentProblem,
    weights: IntArray,
    bonus: int,
    potential: IntArray,
    in_subset: BoolArray,
    near: BoolArray | None = None,
) -> IntArray:
    """Pruned arcs with a negative reduced cost ``-(bonus + w) + p[i] - p[j]``, the worst;
    ``near`` (one per arc) is set where the reduced cost is at most ``KEEP_SLACK``.

    Adding every violator after a poor seed can mean most of the graph; each left node
    contributes its ``demand + 1`` most negative and each right node its
    ``2 * capacity + 5`` (about: ranks come from the seed's histogram, see below).
    """
    n_left = problem.n_left

    def price(arcs: slice) -> tuple[IntArray, IntArray]:
        # A chunk of arcs per call, on the run's threads: the gathers release the GIL.
        reduced = potential[problem.arc_left[arcs]]
        reduced -= potential[n_left + problem.arc_right[arcs]]
        reduced -= bonus + weights[arcs]
        if near is not None:
            np.less_equal(reduced, KEEP_SLACK, out=near[arcs])
        found = np.flatnonzero((reduced < 0) & ~in_subset[arcs])
        return found + arcs.start, reduced[found]

    priced = parallel.map_blocks(price, parallel.chunks(problem.n_arcs, PRICE_CHUNK))
    violating = np.concatenate([found for found, _ in priced]) if priced else np.zeros(0, int)
    if violating.shape[0] == 0:
        return violating
    reduced = np.concatenate([values for _, values in priced])
    keep = _most_negative(problem.arc_left[violating], reduced, problem.left_demand + 1)
    keep |= _most_negative(problem.arc_right[violating], reduced, 2 * problem.right_capacity + 5)
    chosen: IntArray = violating[keep]
    return chosen


def _most_negative(nodes: IntArray, values: IntArray, quota: IntArray) -> BoolArray:
    """About each node's ``quota`` lowest values, in linear time (``top_arcs``).

    Scores fall with log2 of the excess over the node's minimum: the ranking is finest
    near the best values (a few percent of the excess), whatever their magnitude.
    """
    lowest = np.full(quota.shape[0], np.iinfo(np.int64).max)
    np.minimum.at(lowest, nodes, values)
    excess = np.log2(1.0 + (values - lowest[nodes]))  # 0 .. 64
    score = (_LEVELS - 1) - np.minimum(excess * (_LEVELS / 64), _LEVELS - 1).astype(np.int64)
    return top_arcs(nodes, score, quota)
