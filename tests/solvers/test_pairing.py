"""Peer pairing (general matching) against independent oracles, plus the common contract.

Oracles, all on exact integer weights (``k / SCORE_SCALE``, see ``strategies``):

* brute force over every matching of graphs with at most 8 nodes;
* ``networkx.max_weight_matching`` (a separate blossom code) up to 60 nodes;
* rustworkx itself, once it has passed both, for CP-SAT and pruned_blossom on larger
  graphs (built so that odd cycles make the LP fractional and round 2 must run);
* networkx and brute force again on heavy odd rings joined by light edges, the shape
  that sends pruned_blossom through its augmenting paths and reduced-cost weights;
* scipy's HiGHS for the fractional-matching LP whose duals prune pruned_blossom's graph.

Under ``TOTAL`` the number of pairs of an optimum is not unique (zero weights, ties), so
only the total is compared exactly; brute force also checks the count is that of some
optimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.pairing import (
    PAIRING_METHODS,
    PairingProblem,
    UnknownPairingMethodError,
    _augment,
    _blossom_by_piece,
    _fractional_duals,
    blocking_edges,
    solve_cp_sat,
    solve_pairing,
    solve_pairing_greedy,
    solve_pruned_blossom_rounds,
    solve_rustworkx,
)
from solvers.problem import SCORE_SCALE, IntArray, Objective, ProblemError
from solvers.solution import Solution, Status
from tests.solvers.strategies import DETERMINISTIC, TIE_PRONE_WEIGHTS, int_weights

#: What each registered method must report. A new method has to be added here on purpose.
EXPECTED_STATUS: dict[str, Status] = {
    "pruned_blossom": Status.OPTIMAL,
    "rustworkx": Status.OPTIMAL,
    "cp_sat": Status.OPTIMAL,
    "greedy": Status.FEASIBLE,
}
EXACT = ["pruned_blossom", "rustworkx", "cp_sat"]
#: CP-SAT's two parallel workers race, so among tied optima the one returned may change.
DETERMINISTIC_METHODS = {"pruned_blossom", "rustworkx", "greedy"}
METHODS = sorted(PAIRING_METHODS)
OBJECTIVES = list(Objective)

BRUTE_FORCE = settings(DETERMINISTIC, max_examples=150)
NETWORKX = settings(DETERMINISTIC, max_examples=60)
CP_SAT = settings(DETERMINISTIC, max_examples=40)
CONTRACT = settings(DETERMINISTIC, max_examples=50)

#: (pairs, total integer weight) of a solution or an optimum.
Score = tuple[int, int]


@dataclass(frozen=True)
class Instance:
    """A problem plus the exact integer weights it was built from."""

    problem: PairingProblem
    int_weights: IntArray


def make_instance(
    n: int, edges: list[tuple[int, int]], weights: list[int] | IntArray, objective: Objective
) -> Instance:
    w_int = np.asarray(weights, dtype=np.int64)
    problem = PairingProblem(
        n=n,
        arc_u=np.asarray([u for u, _ in edges], dtype=np.int64),
        arc_v=np.asarray([v for _, v in edges], dtype=np.int64),
        arc_weight=w_int.astype(np.float64) / SCORE_SCALE,
        objective=objective,
    )
    return Instance(problem=problem, int_weights=w_int)


def with_objective(instance: Instance, objective: Objective) -> Instance:
    return Instance(replace(instance.problem, objective=objective), instance.int_weights)


@st.composite
def tiny_graphs(draw: st.DrawFn, max_nodes: int = 8) -> Instance:
    """Every pair of nodes is an edge or not, element by element (shrinks to no edges);
    edges come in a random order and orientation."""
    n = draw(st.integers(0, max_nodes))
    pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
    weights = draw(st.lists(st.none() | int_weights(), min_size=len(pairs), max_size=len(pairs)))
    present = [(pair, w) for pair, w in zip(pairs, weights, strict=True) if w is not None]
    edges = draw(st.permutations(present))
    flips = draw(st.lists(st.booleans(), min_size=len(edges), max_size=len(edges)))
    oriented = [(v, u) if flip else (u, v) for ((u, v), _), flip in zip(edges, flips, strict=True)]
    return make_instance(n, oriented, [w for _, w in edges], Objective.COVERAGE)


@st.composite
def random_graphs(draw: st.DrawFn, max_nodes: int, min_nodes: int = 0) -> Instance:
    """Uniform shapes from a drawn seed: G(n, p) with p uniform, half of the time with a
    small weight palette so that many matchings tie."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = int(rng.integers(min_nodes, max_nodes + 1))
    u, v = np.triu_indices(n, k=1)
    keep = rng.random(u.shape[0]) < rng.uniform(0.0, 1.0)
    u, v = u[keep], v[keep]
    flip = rng.random(u.shape[0]) < 0.5
    u, v = np.where(flip, v, u), np.where(flip, u, v)
    order = rng.permutation(u.shape[0])
    if rng.random() < 0.5:
        weights = rng.choice(np.asarray(TIE_PRONE_WEIGHTS), size=u.shape[0])
    else:
        weights = rng.integers(0, SCORE_SCALE + 1, size=u.shape[0])
    edges = list(zip(u[order].tolist(), v[order].tolist(), strict=True))
    return make_instance(n, edges, weights, Objective.COVERAGE)


def score_of(instance: Instance, solution: Solution) -> Score:
    chosen = np.asarray(solution.chosen_arcs, dtype=np.int64)
    return int(chosen.shape[0]), int(instance.int_weights[chosen].sum())


def assert_valid(instance: Instance, solution: Solution) -> None:
    """The solution is a matching of ``instance`` and describes itself truthfully."""
    problem = instance.problem
    chosen = np.asarray(solution.chosen_arcs)
    assert chosen.ndim == 1
    assert chosen.shape[0] == 0 or np.issubdtype(chosen.dtype, np.integer)
    chosen = chosen.astype(np.int64)
    assert np.unique(chosen).shape[0] == chosen.shape[0], "an edge is chosen twice"
    if chosen.shape[0]:
        assert chosen.min() >= 0
        assert chosen.max() < problem.n_arcs
    load = np.bincount(
        np.concatenate([problem.arc_u[chosen], problem.arc_v[chosen]]), minlength=problem.n
    )
    assert (load <= 1).all(), "a person is in two pairs"
    assert solution.assigned == chosen.shape[0]
    assert math.isclose(
        solution.objective, float(problem.arc_weight[chosen].sum()), rel_tol=1e-12, abs_tol=1e-9
    )
    assert solution.wall_time >= 0
    if solution.status is Status.OPTIMAL:
        assert solution.bound is not None
        assert math.isclose(solution.bound, solution.objective, rel_tol=1e-12, abs_tol=1e-9)
        assert solution.gap == 0
    elif solution.status is Status.FEASIBLE and solution.bound is not None:
        assert solution.bound >= solution.objective - 1e-9
    elif solution.status is Status.TIMED_OUT:
        assert solution.assigned == 0
    else:
        assert solution.status is Status.FEASIBLE


def brute_force(instance: Instance) -> tuple[Score, int, set[int]]:
    """Every matching, by recursion over the edges. Returns the best (pairs, total), the
    best total, and the pair counts of the matchings that reach that total."""
    problem = instance.problem
    edges = list(
        zip(
            problem.arc_u.tolist(),
            problem.arc_v.tolist(),
            instance.int_weights.tolist(),
            strict=True,
        )
    )
    scores: list[Score] = []

    def extend(k: int, used: int, count: int, total: int) -> None:
        if k == len(edges):
            scores.append((count, total))
            return
        extend(k + 1, used, count, total)
        u, v, w = edges[k]
        if not used >> u & 1 and not used >> v & 1:
            extend(k + 1, used | 1 << u | 1 << v, count + 1, total + w)

    extend(0, 0, 0, 0)
    best_total = max(total for _, total in scores)
    return max(scores), best_total, {c for c, total in scores if total == best_total}


def assert_networkx_optimum(instance: Instance, solution: Solution, objective: Objective) -> None:
    """A valid pairing with networkx's optimum total (and count, for coverage)."""
    assert_valid(instance, solution)
    count, total = score_of(instance, solution)
    expected_count, expected_total = networkx_optimum(instance)
    assert total == expected_total
    if objective is Objective.COVERAGE:
        assert count == expected_count


def networkx_optimum(instance: Instance) -> Score:
    problem = instance.problem
    graph = nx.Graph()
    graph.add_nodes_from(range(problem.n))
    graph.add_weighted_edges_from(
        zip(
            problem.arc_u.tolist(),
            problem.arc_v.tolist(),
            instance.int_weights.tolist(),
            strict=True,
        )
    )
    matching = nx.max_weight_matching(graph, maxcardinality=problem.objective is Objective.COVERAGE)
    return len(matching), sum(int(graph.edges[u, v]["weight"]) for u, v in matching)


# --------------------------------------------------------------------------------------
# Exact methods against the oracles
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("method", EXACT)
@BRUTE_FORCE
@given(data=tiny_graphs())
def test_exact_methods_match_brute_force(method: str, objective: Objective, data: Instance) -> None:
    instance = with_objective(data, objective)
    coverage_best, total_best, optimal_counts = brute_force(instance)
    solution = solve_pairing(instance.problem, method)
    assert_valid(instance, solution)
    assert solution.status is Status.OPTIMAL
    count, total = score_of(instance, solution)
    if objective is Objective.COVERAGE:
        assert (count, total) == coverage_best
    else:
        assert total == total_best
        assert count in optimal_counts


@pytest.mark.parametrize("objective", OBJECTIVES)
@NETWORKX
@given(data=random_graphs(max_nodes=60))
def test_rustworkx_matches_networkx(objective: Objective, data: Instance) -> None:
    instance = with_objective(data, objective)
    assert_networkx_optimum(instance, solve_rustworkx(instance.problem), objective)


@pytest.mark.parametrize("objective", OBJECTIVES)
@CP_SAT
@given(data=random_graphs(max_nodes=24))
def test_cp_sat_matches_rustworkx(objective: Objective, data: Instance) -> None:
    instance = with_objective(data, objective)
    solution = solve_cp_sat(instance.problem, time_limit=30.0)
    assert_valid(instance, solution)
    assert solution.status is Status.OPTIMAL
    count, total = score_of(instance, solution)
    best_count, best_total = score_of(instance, solve_rustworkx(instance.problem))
    assert total == best_total
    if objective is Objective.COVERAGE:
        assert count == best_count


@st.composite
def clustered_graphs(draw: st.DrawFn) -> Instance:
    """Sparse graphs of odd cycles (triangles, pentagons) joined by a few light edges, and
    sometimes an odd number of people: the fractional LP pays halves around the cycles, so
    pruned_blossom's round 2 and its ghost nodes get work, at sizes brute force can't do."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    edges: set[tuple[int, int]] = set()
    n = 0
    for _ in range(int(rng.integers(1, 12))):
        size = int(rng.choice([3, 5, 4, 2]))
        ring = [(n + k, n + (k + 1) % size) for k in range(size if size > 2 else 1)]
        edges.update((min(a, b), max(a, b)) for a, b in ring)
        n += size
    n += int(rng.integers(0, 3))  # maybe isolated people
    for _ in range(int(rng.integers(0, 2 * n + 1))):
        a, b = (int(x) for x in rng.integers(0, n, 2))
        if a != b:
            edges.add((min(a, b), max(a, b)))
    pairs = sorted(edges)
    order = rng.permutation(len(pairs))
    if rng.random() < 0.5:
        weights = rng.choice(np.asarray(TIE_PRONE_WEIGHTS), size=len(pairs))
    else:
        weights = rng.integers(0, SCORE_SCALE + 1, size=len(pairs))
    return make_instance(n, [pairs[k] for k in order], weights, Objective.COVERAGE)


@pytest.mark.parametrize("objective", OBJECTIVES)
@NETWORKX
@given(data=clustered_graphs() | random_graphs(max_nodes=80))
def test_pruned_blossom_matches_rustworkx(objective: Objective, data: Instance) -> None:
    instance = with_objective(data, objective)
    solution, _ = solve_pruned_blossom_rounds(instance.problem)
    assert_valid(instance, solution)
    assert solution.status is Status.OPTIMAL
    count, total = score_of(instance, solution)
    best_count, best_total = score_of(instance, solve_rustworkx(instance.problem))
    assert total == best_total
    if objective is Objective.COVERAGE:
        assert count == best_count


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_pruned_blossom_rounds(objective: Objective) -> None:
    """A bipartite graph has an integral LP: round 1 is the answer. Two heavy triangles
    joined by a light edge are paid in halves by the LP: round 2 finds the light edge."""
    square = make_instance(4, [(0, 1), (1, 2), (2, 3), (3, 0)], [9000, 100, 9000, 100], objective)
    solution, redone = solve_pruned_blossom_rounds(square.problem)
    assert (redone, score_of(square, solution)) == (0, (2, 18000))

    edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)]
    triangles = make_instance(6, edges, [9000] * 6 + [10], objective)
    solution, redone = solve_pruned_blossom_rounds(triangles.problem)
    assert (redone, score_of(triangles, solution)) == (1, (3, 18010))


@st.composite
def odd_ring_graphs(draw: st.DrawFn, max_nodes: int = 40) -> Instance:
    """Heavy odd rings (3 to 9 people) joined by light edges, sometimes a heavy chord or
    an extra person: the LP pays each ring in halves and leaves round 1 one person short
    per ring, so pruned_blossom must augment, and round 2 runs on reduced-cost weights."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    edges: dict[tuple[int, int], int] = {}
    n = 0
    while True:
        size = int(rng.choice([3, 5, 7, 9]))
        if n and n + size > max_nodes:
            break
        for k in range(size):
            a, b = n + k, n + (k + 1) % size
            edges[(min(a, b), max(a, b))] = int(rng.integers(SCORE_SCALE * 3 // 4, SCORE_SCALE + 1))
        n += size
        if rng.random() < 0.3:
            break
    n += int(rng.integers(0, 2))  # maybe one more person, joined by light edges only
    for _ in range(int(rng.integers(0, 2 * n + 1))):
        a, b = (int(x) for x in rng.integers(0, n, 2))
        if a != b and (min(a, b), max(a, b)) not in edges:
            heavy = rng.random() < 0.1
            edges[(min(a, b), max(a, b))] = int(rng.integers(0, SCORE_SCALE + 1 if heavy else 3000))
    pairs = sorted(edges)
    order = rng.permutation(len(pairs))
    return make_instance(
        n, [pairs[k] for k in order], [edges[pairs[k]] for k in order], Objective.COVERAGE
    )


@pytest.mark.parametrize("objective", OBJECTIVES)
@NETWORKX
@given(data=odd_ring_graphs())
def test_pruned_blossom_on_odd_rings_matches_networkx(objective: Objective, data: Instance) -> None:
    instance = with_objective(data, objective)
    solution = solve_pairing(instance.problem, "pruned_blossom")
    assert solution.status is Status.OPTIMAL
    assert_networkx_optimum(instance, solution, objective)


@pytest.mark.parametrize("objective", OBJECTIVES)
@BRUTE_FORCE
@given(data=odd_ring_graphs(max_nodes=8))
def test_pruned_blossom_on_small_odd_rings_matches_brute_force(
    objective: Objective, data: Instance
) -> None:
    instance = with_objective(data, objective)
    coverage_best, total_best, optimal_counts = brute_force(instance)
    count, total = score_of(instance, solve_pairing(instance.problem, "pruned_blossom"))
    if objective is Objective.COVERAGE:
        assert (count, total) == coverage_best
    else:
        assert total == total_best
        assert count in optimal_counts


def _round_one(instance: Instance) -> tuple[IntArray, IntArray, IntArray]:
    """The tight edges' matching of pruned_blossom's round 1 on the bare integer weights
    (``TOTAL``'s gains), with the doubled duals and reduced costs it came from."""
    problem = instance.problem
    gain = instance.int_weights
    dual = _fractional_duals(problem.n, problem.arc_u, problem.arc_v, gain)
    reduced = dual[problem.arc_u] + dual[problem.arc_v] - 2 * gain
    tight = np.flatnonzero(reduced == 0)
    chosen = _blossom_by_piece(problem.n, problem.arc_u, problem.arc_v, gain, tight, False)
    return chosen, dual, reduced


def test_augment_pairs_the_odd_rings_round_one_leaves() -> None:
    """Two heavy triangles and a light bridge: the tight edges pair one person per
    triangle short; one augmenting path over the bridge gives the optimum."""
    edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)]
    instance = make_instance(6, edges, [9000] * 6 + [10], Objective.TOTAL)
    problem = instance.problem
    chosen, dual, reduced = _round_one(instance)
    assert chosen.shape[0] == 2
    gain = instance.int_weights
    better = _augment(problem.n, problem.arc_u, problem.arc_v, gain, dual, reduced, chosen)
    assert sorted(np.concatenate([problem.arc_u[better], problem.arc_v[better]])) == list(range(6))
    assert int(gain[better].sum()) == 18010


@settings(DETERMINISTIC, max_examples=60)
@given(data=odd_ring_graphs() | clustered_graphs() | random_graphs(max_nodes=40))
def test_augment_keeps_a_matching_and_never_loses(data: Instance) -> None:
    problem = data.problem
    chosen, dual, reduced = _round_one(data)
    gain = data.int_weights
    better = _augment(problem.n, problem.arc_u, problem.arc_v, gain, dual, reduced, chosen)
    assert np.unique(better).shape[0] == better.shape[0]
    ends = np.concatenate([problem.arc_u[better], problem.arc_v[better]])
    assert np.unique(ends).shape[0] == ends.shape[0], "a person is in two pairs"
    assert int(gain[better].sum()) >= int(gain[chosen].sum())


def test_warm_weights_fall_back_without_a_perfect_matching() -> None:
    """A star has no perfect matching, so its warm weights (which favour the lightest
    edge) must not decide; a path has one, and they may."""
    arc_u, arc_v = np.asarray([0, 0, 0, 4, 5, 6]), np.asarray([1, 2, 3, 5, 6, 7])
    weights = np.asarray([1, 5, 3, 1, 1, 1])
    warm = np.asarray([10, 0, 0, 0, 10, 0])
    every = np.arange(6)
    chosen = _blossom_by_piece(8, arc_u, arc_v, weights, every, True, warm)
    assert sorted(chosen.tolist()) == [1, 3, 5]


@settings(DETERMINISTIC, max_examples=40)
@given(data=clustered_graphs() | random_graphs(max_nodes=40))
def test_fractional_duals_are_optimal(data: Instance) -> None:
    """The doubled duals are feasible and sum to twice the LP optimum that HiGHS finds."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_array

    problem = data.problem
    gain = data.int_weights
    dual = _fractional_duals(problem.n, problem.arc_u, problem.arc_v, gain)
    assert (dual >= 0).all()
    assert (dual[problem.arc_u] + dual[problem.arc_v] >= 2 * gain).all()
    if problem.n_arcs == 0:
        assert dual.sum() == 0
        return
    incidence = coo_array(
        (
            np.ones(2 * problem.n_arcs),
            (
                np.concatenate([problem.arc_u, problem.arc_v]),
                np.tile(np.arange(problem.n_arcs), 2),
            ),
        ),
        shape=(problem.n, problem.n_arcs),
    )
    lp = linprog(-gain, A_ub=incidence, b_ub=np.ones(problem.n), bounds=(0, None))
    assert lp.status == 0
    assert int(dual.sum()) == round(-2 * lp.fun)


@settings(DETERMINISTIC, max_examples=60)
@given(data=tiny_graphs(), pick=st.data())
def test_blocking_edges_follow_the_definition(data: Instance, pick: st.DataObject) -> None:
    """Against a per-edge loop: both ends unpaired or strictly preferring each other, for
    the optimum and for a random maximal matching."""
    problem, w = data.problem, data.int_weights
    order = pick.draw(st.permutations(range(problem.n_arcs)))
    free, greedy = set(range(problem.n)), []
    for k in order:
        u, v = int(problem.arc_u[k]), int(problem.arc_v[k])
        if u in free and v in free:
            free -= {u, v}
            greedy.append(k)
    for chosen in (solve_rustworkx(problem).chosen_arcs, np.asarray(greedy, dtype=np.int64)):
        partner: dict[int, int] = {}
        for k in chosen.tolist():
            partner[int(problem.arc_u[k])] = partner[int(problem.arc_v[k])] = int(w[k])
        expected = {
            k
            for k in range(problem.n_arcs)
            if k not in set(chosen.tolist())
            and all(w[k] > partner.get(int(x), -1) for x in (problem.arc_u[k], problem.arc_v[k]))
        }
        assert set(blocking_edges(problem, chosen).tolist()) == expected


def test_cp_sat_is_honest_under_a_time_limit() -> None:
    """Whatever a short limit lets CP-SAT reach, its status and bound hold against the
    optimum (the outcome depends on the machine; every branch is checked)."""
    rng = np.random.default_rng(7)
    n = 1500
    u, v = rng.integers(0, n, (2, 10 * n))
    keys = np.unique(np.minimum(u, v) * n + np.maximum(u, v))
    u, v = keys // n, keys % n
    keep = u != v
    edges = list(zip(u[keep].tolist(), v[keep].tolist(), strict=True))
    weights = rng.integers(0, SCORE_SCALE + 1, size=len(edges))
    instance = make_instance(n, edges, weights, Objective.TOTAL)
    solution = solve_cp_sat(instance.problem, time_limit=0.5)
    assert_valid(instance, solution)
    _, best_total = score_of(instance, solve_rustworkx(instance.problem))
    _, total = score_of(instance, solution)
    assert total <= best_total
    if solution.status is Status.OPTIMAL:
        assert total == best_total
    if solution.status is Status.FEASIBLE:
        assert solution.bound is not None
        assert solution.bound * SCORE_SCALE >= best_total
    if solution.status is Status.TIMED_OUT:
        assert solution.chosen_arcs.shape == (0,)
        assert solution.bound is None


# --------------------------------------------------------------------------------------
# The contract every registered method keeps
# --------------------------------------------------------------------------------------


def test_every_registered_method_has_an_expected_status() -> None:
    assert set(PAIRING_METHODS) == set(EXPECTED_STATUS), (
        "add the new method to EXPECTED_STATUS (and check its contract)"
    )


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("method", METHODS)
@CONTRACT
@given(data=random_graphs(max_nodes=20))
def test_method_contract(method: str, objective: Objective, data: Instance) -> None:
    instance = with_objective(data, objective)
    solution = solve_pairing(instance.problem, method)
    assert solution.method == method
    assert_valid(instance, solution)
    assert solution.status is EXPECTED_STATUS[method]
    assert (np.diff(solution.chosen_arcs) > 0).all(), "chosen edges come sorted"

    count, total = score_of(instance, solution)
    best_count, best_total = score_of(instance, solve_rustworkx(instance.problem))
    assert count <= best_count if objective is Objective.COVERAGE else total <= best_total
    if objective is Objective.COVERAGE:
        assert (count, total) <= (best_count, best_total)

    if method in DETERMINISTIC_METHODS:
        again = solve_pairing(instance.problem, method)
        np.testing.assert_array_equal(again.chosen_arcs, solution.chosen_arcs)


@CONTRACT
@given(instance=random_graphs(max_nodes=30))
def test_greedy_is_a_maximal_half_approximation(instance: Instance) -> None:
    """Greedy by weight gives a maximal matching with at least half the optimum weight
    (and, being maximal, at least half the maximum number of pairs)."""
    problem = instance.problem
    solution = solve_pairing_greedy(problem)
    assert_valid(instance, solution)
    assert solution.bound is None
    assert solution.gap is None

    free = np.ones(problem.n, dtype=bool)
    free[problem.arc_u[solution.chosen_arcs]] = False
    free[problem.arc_v[solution.chosen_arcs]] = False
    assert not (free[problem.arc_u] & free[problem.arc_v]).any(), "an edge still fits"

    count, total = score_of(instance, solution)
    best_total = score_of(
        instance, solve_rustworkx(with_objective(instance, Objective.TOTAL).problem)
    )[1]
    best_count = solve_rustworkx(instance.problem).assigned
    assert best_total // 2 <= total <= best_total
    assert best_count // 2 <= count <= best_count


def test_coverage_trades_weight_for_pairs() -> None:
    """A path a-b-c-d with a heavy middle: COVERAGE pairs everyone, TOTAL takes b-c."""
    edges = [(0, 1), (1, 2), (2, 3)]
    weights = [1000, SCORE_SCALE, 1000]
    for method in EXACT:
        coverage = solve_pairing(
            make_instance(4, edges, weights, Objective.COVERAGE).problem, method
        )
        total = solve_pairing(make_instance(4, edges, weights, Objective.TOTAL).problem, method)
        assert coverage.chosen_arcs.tolist() == [0, 2]
        assert total.chosen_arcs.tolist() == [1]
    greedy = solve_pairing_greedy(make_instance(4, edges, weights, Objective.COVERAGE).problem)
    assert greedy.chosen_arcs.tolist() == [1]


def test_objective_sums_the_original_weights() -> None:
    """Solvers optimise rounded weights but report the caller's own numbers."""
    problem = PairingProblem(4, np.array([0, 2]), np.array([1, 3]), np.array([1 / 3, 2 / 3]))
    for method in METHODS:
        solution = solve_pairing(problem, method)
        assert solution.objective == pytest.approx(1.0, abs=1e-12)
        assert solution.assigned == 2


# --------------------------------------------------------------------------------------
# Edge cases and input errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n", [0, 1, 5])
def test_nothing_to_pair(n: int, method: str, objective: Objective) -> None:
    instance = make_instance(n, [], [], objective)
    solution = solve_pairing(instance.problem, method)
    assert_valid(instance, solution)
    assert solution.chosen_arcs.shape == (0,)
    assert solution.objective == 0
    assert solution.status is EXPECTED_STATUS[method]


def _kwargs(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "n": 3,
        "arc_u": np.array([0, 1]),
        "arc_v": np.array([1, 2]),
        "arc_weight": np.array([0.5, 1.0]),
    }
    kwargs.update(overrides)
    return kwargs


BAD_INPUTS: dict[str, dict[str, Any]] = {
    "negative_n": {"n": -1, "arc_u": [], "arc_v": [], "arc_weight": []},
    "float_n": {"n": 3.0},
    "two_dimensional": {"arc_u": np.array([[0, 1]])},
    "lengths_differ": {"arc_weight": np.array([0.5])},
    "float_ends": {"arc_u": np.array([0.0, 1.0])},
    "negative_end": {"arc_u": np.array([-1, 1])},
    "end_past_n": {"arc_v": np.array([1, 3])},
    "self_loop": {"arc_v": np.array([1, 1])},
    "duplicate_edge": {"arc_u": np.array([0, 0]), "arc_v": np.array([1, 1])},
    "duplicate_reversed": {"arc_u": np.array([0, 1]), "arc_v": np.array([1, 0])},
    "nan_weight": {"arc_weight": np.array([0.5, np.nan])},
    "inf_weight": {"arc_weight": np.array([0.5, np.inf])},
    "negative_weight": {"arc_weight": np.array([-0.1, 0.5])},
    "weight_above_one": {"arc_weight": np.array([0.5, 1.5])},
    "text_weight": {"arc_weight": np.array(["a", "b"])},
    "unknown_objective": {"objective": "popularity"},
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_a_problem_error(case: str) -> None:
    with pytest.raises(ProblemError):
        PairingProblem(**_kwargs(**BAD_INPUTS[case]))


def test_inputs_are_normalised() -> None:
    problem = PairingProblem(**_kwargs(arc_u=[0, 1], arc_v=[1, 2], objective="total"))
    assert problem.objective is Objective.TOTAL
    assert problem.arc_u.dtype == np.int64
    assert problem.n_arcs == 2
    np.testing.assert_array_equal(problem.integer_weights(), [SCORE_SCALE // 2, SCORE_SCALE])


def test_unknown_method_is_an_error() -> None:
    problem = PairingProblem(**_kwargs())
    with pytest.raises(
        UnknownPairingMethodError, match=r"'blossom'.*cp_sat, greedy, pruned_blossom, rustworkx"
    ):
        solve_pairing(problem, "blossom")
    assert issubclass(UnknownPairingMethodError, ValueError)
