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
import scipy.sparse as sp
from ortools.sat.python import cp_model
from scipy.sparse.csgraph import connected_components, dijkstra

from solvers.circles import WORK_PER_SECOND
from solvers.mincostflow import SolverFailureError
from solvers.problem import (
    SCORE_SCALE,
    AssignmentProblem,
    FloatArray,
    IntArray,
    Objective,
    ProblemError,
    as_objective,
    integer_scores,
)
from solvers.pruned import potentials, solve_subset
from solvers.solution import Solution, Status, UnknownMethodError, pick_method

BoolArray = np.ndarray[tuple[int], np.dtype[np.bool_]]


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
        return integer_scores(self.arc_weight)


class PairingSolver(Protocol):
    def __call__(
        self, problem: PairingProblem, *, time_limit: float | None = ..., seed: int = ...
    ) -> Solution: ...


class UnknownPairingMethodError(UnknownMethodError):
    """A pairing method name that is not in the registry."""


def solve_rustworkx(
    problem: PairingProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """Exact by Edmonds' blossom algorithm (rustworkx, O(n^3)) on the whole graph.

    Integer weights keep the primal-dual arithmetic exact. ``max_cardinality`` restricts the
    search to maximum-cardinality matchings and maximises weight among them, which is
    ``COVERAGE``. ``time_limit`` and ``seed`` are accepted for the common signature.
    """
    del time_limit, seed  # Polynomial and deterministic: neither applies.
    started = time.perf_counter()
    chosen = _blossom(
        problem.arc_u,
        problem.arc_v,
        problem.integer_weights(),
        np.arange(problem.n_arcs, dtype=np.int64),
        max_cardinality=problem.objective is Objective.COVERAGE,
    )
    return Solution.from_arcs("rustworkx", Status.OPTIMAL, chosen, problem.arc_weight, started)


def _blossom(
    arc_u: IntArray, arc_v: IntArray, weights: IntArray, ids: IntArray, *, max_cardinality: bool
) -> IntArray:
    """rustworkx's blossom on the given edges; returns the ``ids`` of the edges it picks.

    Nodes are renumbered densely first, so a small component costs what its size costs.
    The payload is the bare integer weight (``weight_fn=int`` stays in Rust); pairs map
    back to edges through sorted ``min * n + max`` keys.
    """
    nodes, ends = np.unique(np.concatenate([arc_u, arc_v]), return_inverse=True)
    n_arcs, n_nodes = arc_u.shape[0], nodes.shape[0]
    low, high = np.minimum(ends[:n_arcs], ends[n_arcs:]), np.maximum(ends[:n_arcs], ends[n_arcs:])
    graph: rx.PyGraph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n_nodes))
    graph.add_edges_from(list(zip(low.tolist(), high.tolist(), weights.tolist(), strict=True)))
    pairs = rx.max_weight_matching(
        graph, max_cardinality=max_cardinality, weight_fn=int, verify_optimum=False
    )
    matched = np.asarray(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    wanted = matched.min(axis=1) * n_nodes + matched.max(axis=1)
    keys = low * n_nodes + high
    order = np.argsort(keys)
    picked: IntArray = ids[order[np.searchsorted(keys, wanted, sorter=order)]]
    return picked


def solve_pruned_blossom(
    problem: PairingProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """Exact: rustworkx's optimum, from blossoms on small pieces, certified by LP duality.

    Blossom time grows with the size of a connected graph (33 s at 10,000 people), so cut
    the graph first. The fractional matching LP (the bipartite double cover, one min-cost
    flow) gives duals ``y >= 0`` with ``y_u + y_v >= W_uv`` on every edge, so any matching
    ``M`` weighs at most ``sum(y) - sum over M of (y_u + y_v - W_uv)``. Round 1 solves the
    tight edges (reduced cost 0: a few nodes per piece) exactly; its matching leaves a gap
    to ``sum(y)`` per component of the graph, and an edge whose reduced cost exceeds that
    gap is in no better matching. Round 2 re-solves, with every edge the gap admits, the
    components where round 1 left such edges out: the answer is optimal either way.

    Two steps keep round 2 cheap where the LP pays odd cycles in halves. Round 1 leaves a
    person of each such cycle unpaired (under ``COVERAGE`` a gap of a whole bonus, which
    admits every edge), so cheap augmenting paths (``_augment``) pair them first: the gap
    falls to the LP's integrality gap and round 2 keeps some 10-15% of the edges. Its
    blossom is still one large piece, so under ``COVERAGE`` it runs on the reduced costs
    (``y_u + y_v - 2W_uv``, shifted positive): on a perfect matching they differ from
    ``2W`` by a constant, and the LP's duals leave the blossom little to do (5-9x faster).

    ``COVERAGE`` adds ``bonus`` > any weight change to every edge, so the weighted optimum
    is the lexicographic one. The LP cannot see that an odd component leaves someone out
    (it pairs them in halves), which would open a gap of a whole bonus there; a ghost node
    joined to every member of each odd component at weight 0 takes that person and is
    dropped afterwards. Elsewhere a fractional optimum only costs round 2 more edges.
    ``time_limit`` and ``seed`` are accepted for the common signature.
    """
    del time_limit, seed  # Polynomial and deterministic: neither applies.
    solution, _ = solve_pruned_blossom_rounds(problem)
    return solution


def solve_pruned_blossom_rounds(problem: PairingProblem) -> tuple[Solution, int]:
    """``solve_pruned_blossom``; also returns how many components round 2 re-solved."""
    started = time.perf_counter()
    if problem.n_arcs == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Solution.from_arcs(
            "pruned_blossom", Status.OPTIMAL, empty, problem.arc_weight, started
        ), 0
    coverage = problem.objective is Objective.COVERAGE
    arc_u, arc_v, weights = problem.arc_u, problem.arc_v, problem.integer_weights()
    n_nodes = problem.n
    label = _components(n_nodes, arc_u, arc_v)
    if coverage:
        sizes = np.bincount(label)
        odd = np.flatnonzero((sizes % 2 == 1) & (sizes > 1))  # not an isolated person
        ghost = np.full(sizes.shape[0], -1, dtype=np.int64)
        ghost[odd] = n_nodes + np.arange(odd.shape[0])
        members = np.flatnonzero(ghost[label] >= 0)
        arc_u = np.concatenate([arc_u, members])
        arc_v = np.concatenate([arc_v, ghost[label[members]]])
        weights = np.concatenate([weights, np.zeros(members.shape[0], dtype=np.int64)])
        label = np.concatenate([label, odd])
        n_nodes += odd.shape[0]
    bonus = SCORE_SCALE * n_nodes + 1 if coverage else 0
    gain = bonus + weights

    dual = _fractional_duals(n_nodes, arc_u, arc_v, gain)
    reduced = dual[arc_u] + dual[arc_v] - 2 * gain  # in units of 1/2, >= 0
    edge_label = label[arc_u]
    ids = np.arange(arc_u.shape[0], dtype=np.int64)

    # Round 1: the tight edges, then augmenting paths that mend what they cannot pair.
    kept = reduced == 0
    chosen = _blossom_by_piece(n_nodes, arc_u, arc_v, weights, ids[kept], coverage)
    chosen = _augment(n_nodes, arc_u, arc_v, gain, dual, reduced, chosen)
    # Each component's gap, in units of 1/2: no edge costing more is in a better matching.
    n_labels = int(label.max()) + 1
    # In int64: float sums would round once totals pass 2**53 (about a million people).
    gap = np.zeros(n_labels, dtype=np.int64)
    np.add.at(gap, label, dual)
    np.subtract.at(gap, edge_label[chosen], 2 * gain[chosen])
    admitted = reduced <= gap[edge_label]
    redo = np.unique(edge_label[admitted & ~kept])
    if redo.shape[0]:
        # Round 2: those components again with every admitted edge.
        again = admitted & np.isin(edge_label, redo)
        # Reduced costs as weights (shifted positive) warm-start the blossom, see above.
        warm = int(reduced[again].max()) + 1 - reduced if coverage else None
        paired = np.zeros(n_nodes, dtype=bool)
        paired[arc_u[chosen]] = paired[arc_v[chosen]] = True
        chosen = np.concatenate(
            [
                chosen[~np.isin(edge_label[chosen], redo)],
                _blossom_by_piece(
                    n_nodes, arc_u, arc_v, weights, ids[again], coverage, warm, paired
                ),
            ]
        )
    chosen = chosen[chosen < problem.n_arcs]  # drop the ghosts' edges
    solution = Solution.from_arcs(
        "pruned_blossom", Status.OPTIMAL, chosen, problem.arc_weight, started
    )
    return solution, int(redo.shape[0])


def _augment(
    n_nodes: int,
    arc_u: IntArray,
    arc_v: IntArray,
    gain: IntArray,
    dual: IntArray,
    reduced: IntArray,
    chosen: IntArray,
    *,
    rounds: int = 8,
) -> IntArray:
    """``chosen`` improved by cheap augmenting paths: a better known matching, not an optimum.

    Where the LP pays odd cycles in halves, the tight edges leave one person of each cycle
    unpaired; under ``COVERAGE`` that costs a whole bonus, so the gap admits every edge.
    A path from an unpaired person ``s`` to another ``t``, alternating unchosen and chosen
    edges, changes the doubled weight by ``y_s + y_t`` minus the unchosen edges' reduced
    costs (plus the chosen ones'), so shortest paths on those costs (Dijkstra, from a
    person over an unchosen edge to that neighbour's partner) are good candidates. In a
    general graph such a walk may repeat a person (an odd cycle): those, and paths that do
    not gain, are skipped. Correctness never depends on this step, only the gap's size.
    """
    keys = np.minimum(arc_u, arc_v) * n_nodes + np.maximum(arc_u, arc_v)
    by_key = np.argsort(keys)
    tails, heads = np.concatenate([arc_u, arc_v]), np.concatenate([arc_v, arc_u])
    cost = np.concatenate([reduced, reduced]).astype(np.float64) + 1.0  # no zero arcs
    mate = np.full(n_nodes, -1, dtype=np.int64)
    mate_edge = np.full(n_nodes, -1, dtype=np.int64)
    for _ in range(rounds):
        mate[:] = mate_edge[:] = -1
        mate[arc_u[chosen]] = arc_v[chosen]
        mate[arc_v[chosen]] = arc_u[chosen]
        mate_edge[arc_u[chosen]] = mate_edge[arc_v[chosen]] = chosen
        sources = np.flatnonzero((mate < 0) & (dual > 0))
        if sources.shape[0] < 2:
            break
        step = (mate[heads] >= 0) & (mate[heads] != tails)
        graph = sp.csr_array(
            (cost[step], (tails[step], mate[heads[step]])), shape=(n_nodes, n_nodes)
        )
        dist, pred, origin = dijkstra(
            graph, indices=sources, min_only=True, return_predecessors=True
        )
        # Last edges (a, t): into an unpaired t, from an a reached from another person.
        last = (mate[heads] < 0) & (dual[heads] > 0) & np.isfinite(dist[tails])
        last &= origin[tails] != heads
        ends_a, ends_t = tails[last], heads[last]
        value = dual[origin[ends_a]] + dual[ends_t] - dist[ends_a] - cost[last]
        touched = np.zeros(n_nodes, dtype=bool)
        new_edges: list[IntArray] = []
        # Best first; a few tries per unpaired person bound the Python loop.
        for k in np.argsort(-value, kind="stable")[: 8 * sources.shape[0]].tolist():
            if value[k] <= 0:
                break
            path = [int(ends_t[k]), int(ends_a[k])]  # t, a, a's partner, ..., s
            while pred[path[-1]] >= 0:
                path.extend([int(mate[path[-1]]), int(pred[path[-1]])])
            if len(set(path)) < len(path) or touched[path].any():
                continue
            ends = np.asarray(path, dtype=np.int64)
            low, high = np.minimum(ends[0::2], ends[1::2]), np.maximum(ends[0::2], ends[1::2])
            adding = by_key[np.searchsorted(keys, low * n_nodes + high, sorter=by_key)]
            dropping = mate_edge[ends[1:-1:2]]  # (a, a's partner), ...
            if int(gain[adding].sum()) <= int(gain[dropping].sum()):
                continue
            touched[ends] = True
            new_edges.append(adding)
        if not new_edges:
            break
        chosen = np.concatenate([chosen[~touched[arc_u[chosen]]], *new_edges])
    return chosen


def _components(n_nodes: int, arc_u: IntArray, arc_v: IntArray) -> IntArray:
    """Connected-component label of every node."""
    graph = sp.coo_array(
        (np.ones(arc_u.shape[0], dtype=np.int8), (arc_u, arc_v)), shape=(n_nodes, n_nodes)
    )
    _, label = connected_components(graph, directed=False)
    result: IntArray = label.astype(np.int64)
    return result


def _blossom_by_piece(
    n_nodes: int,
    arc_u: IntArray,
    arc_v: IntArray,
    weights: IntArray,
    ids: IntArray,
    coverage: bool,
    warm: IntArray | None = None,
    covered: BoolArray | None = None,
) -> IntArray:
    """Blossom on each connected piece of the edges ``ids`` separately; the edges chosen.

    A piece that is one edge takes it (the lexicographic and, as weights are >= 0, a
    total-weight optimum), without a call. ``warm`` (``COVERAGE`` only) are weights that
    rank the perfect matchings of every piece as ``weights`` do but let the blossom start
    near its optimum: a piece is first solved on them, and kept if that pairs everyone
    (then the most pairs are a perfect matching and it is the lexicographic optimum);
    otherwise solved again on ``weights``. ``covered``: who the best matching known
    pairs; a piece where it leaves someone unpaired skips the warm attempt, which would
    most likely fail (a failed attempt costs more than the plain solve on real data).
    """
    if ids.shape[0] == 0:
        return ids
    piece = _components(n_nodes, arc_u[ids], arc_v[ids])[arc_u[ids]]
    order = np.argsort(piece, kind="stable")
    ids, piece = ids[order], piece[order]
    starts = np.flatnonzero(np.concatenate([[True], piece[1:] != piece[:-1]]))
    ends = np.append(starts[1:], ids.shape[0])
    single = ends - starts == 1
    chosen = [ids[starts[single]]]
    for start, end in zip(starts[~single].tolist(), ends[~single].tolist(), strict=True):
        part = ids[start:end]
        if warm is not None and (
            covered is None or (covered[arc_u[part]].all() and covered[arc_v[part]].all())
        ):
            picked = _blossom(arc_u[part], arc_v[part], warm[part], part, max_cardinality=True)
            people = np.unique(np.concatenate([arc_u[part], arc_v[part]])).shape[0]
            if 2 * picked.shape[0] == people:
                chosen.append(picked)
                continue
        chosen.append(
            _blossom(arc_u[part], arc_v[part], weights[part], part, max_cardinality=coverage)
        )
    return np.concatenate(chosen)


def _fractional_duals(n_nodes: int, arc_u: IntArray, arc_v: IntArray, gain: IntArray) -> IntArray:
    """Optimal duals of the fractional matching LP, doubled so they are integers.

    The LP is the assignment on the double cover: left copy ``i`` to right copy ``j`` for
    each edge in both directions, units of one half. After one min-cost flow, shortest
    distances ``p`` on its residual graph, with the middle arcs uncapacitated (each node's
    single unit already caps them), satisfy ``p_i - p_j' >= gain`` on every middle arc,
    equal on used ones. Then ``a_i = max(p_i - p_s, 0)`` and ``b_j = max(p_s - p_j', 0)``
    is a dual, ``y = a + b`` per person, ``y_u + y_v >= 2 * gain_uv``; checked here.
    """
    # The double cover as an assignment: every person once on each side, every edge in
    # both directions; weights are unused (the costs are given).
    ones = np.ones(n_nodes, dtype=np.int64)
    double = AssignmentProblem(
        left_demand=ones, right_capacity=ones, arc_left=np.concatenate([arc_u, arc_v]),
        arc_right=np.concatenate([arc_v, arc_u]), arc_weight=np.zeros(2 * arc_u.shape[0]),
    )  # fmt: skip
    every = np.arange(double.n_arcs)
    cost = -np.concatenate([gain, gain])
    used = solve_subset(double, every, cost)
    p = potentials(double, every, cost, used, uncapacitated_middle=True)
    source = 2 * n_nodes  # pruned's numbering: left, right, source, sink
    dual = np.maximum(p[:n_nodes] - p[source], 0) + np.maximum(p[source] - p[n_nodes:-2], 0)
    if (dual[arc_u] + dual[arc_v] < 2 * gain).any():
        raise SolverFailureError("the fractional matching duals are infeasible")
    result: IntArray = dual
    return result


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
    # The greedy pairing as a hint: a time limit too short for a search still returns it.
    hinted = np.zeros(problem.n_arcs, dtype=bool)
    hinted[solve_pairing_greedy(problem).chosen_arcs] = True
    for var, value in zip(x, hinted.tolist(), strict=True):
        model.add_hint(var, value)

    # Solve: one worker and a budget of deterministic time, so that the same input and
    # seed give the same answer however loaded the machine is (as for circles).
    solver = cp_model.CpSolver()
    if time_limit is not None:
        solver.parameters.max_deterministic_time = time_limit * WORK_PER_SECOND
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed % 2**31
    status = solver.solve(model)

    # Check status.
    if status == cp_model.UNKNOWN:  # stopped before its first solution: the hint is the best
        # Bound: each pair weighs at most the heavier edge of each of its two people.
        best_edge = np.zeros(problem.n, dtype=np.int64)
        np.maximum.at(best_edge, problem.arc_u, weights)
        np.maximum.at(best_edge, problem.arc_v, weights)
        bound = float(best_edge.sum()) / 2 / SCORE_SCALE
        hint = np.flatnonzero(hinted)
        return Solution.from_arcs(
            "cp_sat", Status.FEASIBLE, hint, problem.arc_weight, started, bound
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverFailureError(f"CP-SAT ended with status {solver.status_name(status)}")

    # Extract.
    values = np.fromiter(solver.response_proto.solution, dtype=np.int64)[: problem.n_arcs]
    chosen = np.flatnonzero(values).astype(np.int64)
    if status == cp_model.OPTIMAL:
        return Solution.from_arcs("cp_sat", Status.OPTIMAL, chosen, problem.arc_weight, started)
    # Rounding CP-SAT's float bound up can only loosen it.
    bound_int = math.ceil(solver.best_objective_bound) - big * int(chosen.shape[0])
    bound = min(bound_int, total) / SCORE_SCALE
    return Solution.from_arcs("cp_sat", Status.FEASIBLE, chosen, problem.arc_weight, started, bound)


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
    return Solution.from_arcs("greedy", Status.FEASIBLE, chosen_arcs, problem.arc_weight, started)


def blocking_edges(problem: PairingProblem, chosen: IntArray) -> IntArray:
    """The unchosen edges whose two people would both rather be together: each is
    unpaired or strictly prefers the other (by integer weight) to their partner."""
    weights = problem.integer_weights()
    partner = np.full(problem.n, -1, dtype=np.int64)  # below any weight: unpaired wants all
    partner[problem.arc_u[chosen]] = weights[chosen]
    partner[problem.arc_v[chosen]] = weights[chosen]
    free = np.ones(problem.n_arcs, dtype=bool)
    free[chosen] = False
    wanted = (weights > partner[problem.arc_u]) & (weights > partner[problem.arc_v])
    result: IntArray = np.flatnonzero(free & wanted).astype(np.int64)
    return result


#: Every pairing method by name. An unknown name is an error, never a fallback.
PAIRING_METHODS: dict[str, PairingSolver] = {
    "pruned_blossom": solve_pruned_blossom,
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
