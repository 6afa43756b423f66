"""Fair assignment: as many units as possible, the worst pair as good as possible, then
the highest total.

The bottleneck step is exact: the number of units a threshold ``t`` allows (a max flow on
the arcs weighing at least ``t``) only falls as ``t`` rises, so a binary search over the
distinct weights finds the highest ``t`` that still assigns the maximum number of units.
A min-cost flow on those arcs then maximises the total. The result is optimal for the
lexicographic objective (units, lowest weight, total); it is not leximin beyond the
single worst pair.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
from ortools.graph.python import max_flow

from solvers.mincostflow import SolverFailureError, solve_min_cost_flow
from solvers.problem import AssignmentProblem, Objective
from solvers.solution import Solution, Status

_MF = max_flow.SimpleMaxFlow


def solve_fair(
    problem: AssignmentProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """See the module doc; ``time_limit`` and ``seed`` are accepted for the common
    signature (polynomial and deterministic)."""
    del time_limit, seed
    started = time.perf_counter()
    weights = problem.integer_weights()
    most = _units(problem, np.ones(problem.n_arcs, dtype=bool))
    levels = np.unique(weights)  # ascending
    low = highest_level(levels, lambda level: _units(problem, weights >= level) == most)
    allowed = (
        np.flatnonzero(weights >= levels[low]) if levels.shape[0] else np.zeros(0, dtype=np.int64)
    )
    sub = dataclasses.replace(
        problem,
        arc_left=problem.arc_left[allowed],
        arc_right=problem.arc_right[allowed],
        arc_weight=problem.arc_weight[allowed],
        objective=Objective.COVERAGE,
    )
    inner = solve_min_cost_flow(sub)
    chosen = allowed[inner.chosen_arcs]
    if chosen.shape[0] != most:
        raise SolverFailureError("the fair assignment lost units between its two steps")
    return Solution.from_arcs("fair", Status.OPTIMAL, chosen, problem.arc_weight, started)


def highest_level(levels: np.ndarray, allows: Callable[[int], bool]) -> int:
    """Index of the highest of the ascending ``levels`` that ``allows`` (binary search;
    ``allows`` only turns false as the level rises, and holds at ``levels[0]``)."""
    low, high = 0, levels.shape[0] - 1
    while low < high:
        middle = (low + high + 1) // 2
        if allows(int(levels[middle])):
            low = middle
        else:
            high = middle - 1
    return low


def _units(problem: AssignmentProblem, arcs: np.ndarray) -> int:
    """Most units assignable on the marked arcs: one max flow."""
    n_left, n_right = problem.n_left, problem.n_right
    source, sink = n_left + n_right, n_left + n_right + 1
    keep = np.flatnonzero(arcs)
    tails = np.concatenate(
        [problem.arc_left[keep], np.full(n_left, source), n_left + np.arange(n_right)]
    )
    heads = np.concatenate(
        [n_left + problem.arc_right[keep], np.arange(n_left), np.full(n_right, sink)]
    )
    capacities = np.concatenate(
        [np.ones(keep.shape[0], dtype=np.int64), problem.left_demand, problem.right_capacity]
    )
    if tails.shape[0] == 0:
        return 0
    flow = _MF()
    flow.add_arcs_with_capacity(
        tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64)
    )
    status = flow.solve(source, sink)
    if status != _MF.OPTIMAL:
        raise SolverFailureError(f"max flow ended with {status.name}")
    return int(flow.optimal_flow())
