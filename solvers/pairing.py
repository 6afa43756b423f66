"""Peer pairing: maximum-weight matching in one pool (a general, non-bipartite graph).

Each person joins at most one pair. Bipartite flow does not apply here (odd cycles), so the
exact method is Edmonds' blossom algorithm (rustworkx); CP-SAT is kept for the side
constraints that a blossom code cannot take; greedy is the spreadsheet baseline.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import rustworkx as rx
from ortools.sat.python import cp_model

from solvers.mincostflow import SolverFailureError
from solvers.problem import SCORE_SCALE, FloatArray, IntArray, Objective, ProblemError, as_objective
from solvers.solution import Solution, Status, UnknownMethodError, pick_method


@dataclass(frozen=True)
class PairingProblem:
    """``n`` people; edge ``k`` may pair ``arc_u[k]`` with ``arc_v[k]`` for ``arc_weight[k]``.

    Edges are unordered and appear once. Weights lie in [0, 1] and are optimised as
    ``round(w * SCORE_SCALE)``, as in ``AssignmentProblem``. ``COVERAGE`` maximises the
    number of pairs, then the total weight; ``TOTAL`` maximises the total weight only.
    """

    n: int
    arc_u: IntArray
    arc_v: IntArray
    arc_weight: FloatArray
    objective: Objective = Objective.COVERAGE

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", as_objective(self.objective))
        if isinstance(self.n, bool) or not isinstance(self.n, int | np.integer) or self.n < 0:
            raise ProblemError(f"n must be a non-negative integer, got {self.n!r}")
        object.__setattr__(self, "n", int(self.n))
        for name in ("arc_u", "arc_v", "arc_weight"):
            value = np.asarray(getattr(self, name))
            if value.ndim != 1:
                raise ProblemError(f"{name} must be one-dimensional, got shape {value.shape}")
            if name != "arc_weight":
                # An empty list arrives as float64; any other non-integer array is a mistake.
                if value.size and not np.issubdtype(value.dtype, np.integer):
                    raise ProblemError(f"{name} must hold integers, got dtype {value.dtype}")
                value = value.astype(np.int64)
            elif value.size and not np.issubdtype(value.dtype, np.number):
                raise ProblemError(f"arc_weight must be numeric, got dtype {value.dtype}")
            else:
                value = value.astype(np.float64)
            object.__setattr__(self, name, value)
        n_arcs = self.arc_u.shape[0]
        if self.arc_v.shape[0] != n_arcs or self.arc_weight.shape[0] != n_arcs:
            raise ProblemError("arc_u, arc_v and arc_weight must have the same length")
        if not n_arcs:
            return
        for name in ("arc_u", "arc_v"):
            ends = getattr(self, name)
            if ends.min() < 0 or ends.max() >= self.n:
                raise ProblemError(f"{name} holds an index outside 0..n-1")
        if (self.arc_u == self.arc_v).any():
            raise ProblemError("an edge joins a person to themselves")
        if not np.isfinite(self.arc_weight).all():
            raise ProblemError("arc_weight must be finite")
        if self.arc_weight.min() < 0 or self.arc_weight.max() > 1:
            raise ProblemError("arc_weight must lie in [0, 1]")
        # Sort and compare neighbours, as AssignmentProblem does (np.unique is far slower).
        key = np.sort(self.edge_keys())
        if (key[1:] == key[:-1]).any():
            raise ProblemError("an edge {u, v} appears twice")

    @property
    def n_arcs(self) -> int:
        return int(self.arc_u.shape[0])

    def edge_keys(self) -> IntArray:
        """One integer per unordered edge, ``min * n + max``: identifies it in either order."""
        low = np.minimum(self.arc_u, self.arc_v)
        high = np.maximum(self.arc_u, self.arc_v)
        return low * max(self.n, 1) + high

    def integer_weights(self) -> IntArray:
        """The weights the solvers optimise (see ``SCORE_SCALE``)."""
        return np.rint(self.arc_weight * SCORE_SCALE).astype(np.int64)


class PairingSolver(Protocol):
    def __call__(
        self, problem: PairingProblem, *, time_limit: float | None = ..., seed: int = ...
    ) -> Solution: ...


class UnknownPairingMethodError(UnknownMethodError):
    """A pairing method name that is not in the registry."""


def _solution(
    problem: PairingProblem,
    method: str,
    status: Status,
    chosen: IntArray,
    bound: float | None,
    started: float,
) -> Solution:
    chosen = np.sort(chosen.astype(np.int64))
    objective = float(problem.arc_weight[chosen].sum())
    return Solution(
        method=method,
        status=status,
        chosen_arcs=chosen,
        objective=objective,
        assigned=int(chosen.shape[0]),
        bound=objective if status is Status.OPTIMAL else bound,
        wall_time=time.perf_counter() - started,
    )


def solve_rustworkx(
    problem: PairingProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """Exact by Edmonds' blossom algorithm (rustworkx, O(n^3)).

    Integer weights keep the primal-dual arithmetic exact. ``max_cardinality`` restricts the
    search to maximum-cardinality matchings and maximises weight among them, which is
    ``COVERAGE``. ``time_limit`` and ``seed`` are accepted for the common signature.
    """
    del time_limit, seed  # Polynomial and deterministic: neither applies.
    started = time.perf_counter()
    weights = problem.integer_weights().tolist()

    graph: rx.PyGraph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(problem.n))
    # Payload: the integer weight, read back by ``weight_fn``.
    graph.add_edges_from(
        list(zip(problem.arc_u.tolist(), problem.arc_v.tolist(), weights, strict=True))
    )
    pairs = rx.max_weight_matching(
        graph,
        max_cardinality=problem.objective is Objective.COVERAGE,
        weight_fn=int,
        verify_optimum=False,
    )

    # Map each matched {a, b} back to its edge index through the sorted edge keys.
    n = max(problem.n, 1)
    ends = np.asarray(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    wanted = ends.min(axis=1) * n + ends.max(axis=1)
    keys = problem.edge_keys()
    order = np.argsort(keys)
    chosen = order[np.searchsorted(keys, wanted, sorter=order)]
    return _solution(problem, "rustworkx", Status.OPTIMAL, chosen, None, started)


def solve_cp_sat(
    problem: PairingProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """CP-SAT on one boolean per edge: slower than blossom, but open to side constraints.

    ``COVERAGE`` is one lexicographic objective ``BIG * pairs + weight`` with ``BIG`` above
    the total weight. Without proof of optimality the bound reported is ``B - BIG * pairs``
    for CP-SAT's bound ``B`` and the solution's ``pairs``: no matching with as many pairs
    weighs more. It is capped at the sum of all weights, which it exceeds while CP-SAT has
    not ruled out more pairs. Bounds are on the rounded weights, divided by ``SCORE_SCALE``.
    ``time_limit`` bounds CP-SAT's search; building the model comes on top.
    """
    started = time.perf_counter()

    # Data.
    weights = problem.integer_weights()
    total = int(weights.sum())
    coverage = problem.objective is Objective.COVERAGE
    big = total + 1 if coverage else 0

    # Model.
    model = cp_model.CpModel()

    # Variables: x[k] is true when edge k forms a pair.
    x = [model.new_bool_var(f"x{k}") for k in range(problem.n_arcs)]

    # Constraints.
    # Each person is in at most one pair.
    incident: list[list[cp_model.IntVar]] = [[] for _ in range(problem.n)]
    for k, (u, v) in enumerate(zip(problem.arc_u.tolist(), problem.arc_v.tolist(), strict=True)):
        incident[u].append(x[k])
        incident[v].append(x[k])
    for edges in incident:
        if len(edges) > 1:
            model.add_at_most_one(edges)

    # Objective.
    model.maximize(cp_model.LinearExpr.weighted_sum(x, (weights + big).tolist()))

    # Solve.
    solver = cp_model.CpSolver()
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = seed
    status = solver.solve(model)

    # Check status.
    if status == cp_model.UNKNOWN:
        empty = np.zeros(0, dtype=np.int64)
        return _solution(problem, "cp_sat", Status.TIMED_OUT, empty, None, started)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverFailureError(f"CP-SAT ended with status {solver.status_name(status)}")

    # Extract.
    values = np.fromiter(solver.response_proto.solution, dtype=np.int64)[: problem.n_arcs]
    chosen = np.flatnonzero(values).astype(np.int64)
    if status == cp_model.OPTIMAL:
        return _solution(problem, "cp_sat", Status.OPTIMAL, chosen, None, started)
    # Rounding CP-SAT's float bound up can only loosen it.
    bound_int = math.ceil(solver.best_objective_bound) - big * int(chosen.shape[0])
    bound = min(bound_int, total) / SCORE_SCALE
    return _solution(problem, "cp_sat", Status.FEASIBLE, chosen, bound, started)


def solve_pairing_greedy(
    problem: PairingProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """Heaviest edge first while both people are free (ties by edge order): a baseline,
    half the optimum weight at worst, with no bound and no coverage guarantee."""
    del time_limit, seed
    started = time.perf_counter()
    order = np.argsort(-problem.integer_weights(), kind="stable")
    free = np.ones(problem.n, dtype=bool)
    arc_u, arc_v = problem.arc_u, problem.arc_v
    chosen: list[int] = []
    # A Python loop over edges: this is the baseline being measured, kept literal.
    for k in order.tolist():
        u, v = arc_u[k], arc_v[k]
        if free[u] and free[v]:
            free[u] = free[v] = False
            chosen.append(k)
    chosen_arcs = np.asarray(chosen, dtype=np.int64)
    return _solution(problem, "greedy", Status.FEASIBLE, chosen_arcs, None, started)


#: Every pairing method by name. An unknown name is an error, never a fallback.
PAIRING_METHODS: dict[str, PairingSolver] = {
    "rustworkx": solve_rustworkx,
    "cp_sat": solve_cp_sat,
    "greedy": solve_pairing_greedy,
}


def solve_pairing(
    problem: PairingProblem,
    method: str = "rustworkx",
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> Solution:
    """Pair the people of ``problem`` with the named method."""
    solver = pick_method(PAIRING_METHODS, method, "pairing", UnknownPairingMethodError)
    return solver(problem, time_limit=time_limit, seed=seed)
