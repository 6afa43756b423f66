"""People first: as many askers with at least one partner as possible, then as many
places as possible, then the highest total score (lexicographic, exact).

``coverage`` counts places, so an asker who wants three can take three places that would
have given three others their first partner (mentor-match's own sample: 8 mentees left
with nobody while others got three). Here each asker's first place is worth more than
any number of later places, and a later place more than any score: one min-cost flow
whose source arcs cost more for the first unit (a convex cost, so the flow always takes
an asker's first unit through the cheap arc).
"""

from __future__ import annotations

import time

import numpy as np
from ortools.graph.python import min_cost_flow

from solvers.mincostflow import SolverFailureError
from solvers.problem import SCORE_SCALE, AssignmentProblem
from solvers.solution import Solution, Status

_MCF = min_cost_flow.SimpleMinCostFlow


def solve_people_first(
    problem: AssignmentProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """Exact; ``time_limit`` and ``seed`` are accepted for the common signature.

    Network: source -> asker twice (one unit at cost ``-person``, the rest of its demand at
    0), asker -> offerer (one unit at ``-(place + w)``), offerer -> sink (its capacity),
    and a free source -> sink bypass so that units may stay unassigned. ``place`` exceeds
    any total of weights and ``person`` any total of places and weights, so the cheapest
    flow is the lexicographic optimum.
    """
    del time_limit, seed
    started = time.perf_counter()
    n_left, n_right, m = problem.n_left, problem.n_right, problem.n_arcs
    source, sink = n_left + n_right, n_left + n_right + 1
    weights = problem.integer_weights()
    demand, capacity = problem.left_demand, problem.right_capacity
    units = int(min(int(demand.sum()), int(capacity.sum()), m))
    place = SCORE_SCALE * (units + 1)
    person = (place + SCORE_SCALE) * (units + 1)
    # OR-Tools scales costs by the node count; the total cost is below person x askers.
    if person * max(n_left + n_right + 3, n_left + 1) >= 2**62:
        raise SolverFailureError("too many places for the people-first costs to fit int64")
    askers = np.arange(n_left, dtype=np.int64)
    first = np.minimum(demand, 1)
    tails = np.concatenate([
        problem.arc_left, np.full(n_left, source), np.full(n_left, source),
        n_left + np.arange(n_right), [source],
    ])  # fmt: skip
    heads = np.concatenate(
        [n_left + problem.arc_right, askers, askers, np.full(n_right, sink), [sink]]
    )
    caps = np.concatenate([np.ones(m, dtype=np.int64), first, demand - first, capacity,
                           [int(demand.sum())]])  # fmt: skip
    costs = np.concatenate([
        -(place + weights), np.full(n_left, -person), np.zeros(n_left, dtype=np.int64),
        np.zeros(n_right, dtype=np.int64), [0],
    ])  # fmt: skip
    flow = _MCF()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        caps.astype(np.int64),
        costs.astype(np.int64),
    )
    total = int(demand.sum())
    flow.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([total, -total]))
    status = flow.solve()
    if status != _MCF.OPTIMAL:
        raise SolverFailureError(f"people-first flow ended with status {status.name}")
    chosen = np.flatnonzero(flow.flows(np.arange(m, dtype=np.int32)) > 0)
    return Solution.from_arcs("people", Status.OPTIMAL, chosen, problem.arc_weight, started)
