"""The assignment methods against independent oracles, plus their common contract.

Oracles (all on the exact integer weights, see ``strategies``):

* brute force over every subset of arcs (tiny instances, any demand);
* ``scipy.optimize.linear_sum_assignment`` on capacity-expanded slots (demand 1);
* ``scipy.optimize.milp`` (HiGHS) on the b-matching integer programme (any demand).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

import solvers.greedy as greedy_module
import solvers.problem as problem_module
from solvers import (
    ASSIGNMENT_METHODS,
    SCORE_SCALE,
    AssignmentProblem,
    Objective,
    ProblemError,
    Solution,
    Status,
    UnknownMethodError,
    parallel,
    solve_assignment,
)
from solvers.greedy import solve_greedy
from solvers.mincostflow import solve_min_cost_flow
from solvers.problem import integer_scores
from tests.solvers.strategies import (
    DETERMINISTIC,
    Instance,
    make_instance,
    random_instances,
    tiny_instances,
    with_objective,
)
from tests.threads import on_two_threads

#: What each registered method must report. A new method has to be added here on purpose.
EXPECTED_STATUS: dict[str, Status] = {
    "min_cost_flow": Status.OPTIMAL,
    "pruned_flow": Status.OPTIMAL,
    "greedy": Status.FEASIBLE,
}
METHODS = sorted(ASSIGNMENT_METHODS)
OBJECTIVES = list(Objective)

BRUTE_FORCE = settings(DETERMINISTIC, max_examples=200)
SLOT_ORACLE = settings(DETERMINISTIC, max_examples=100)
MILP_ORACLE = settings(DETERMINISTIC, max_examples=100)
CONTRACT = settings(DETERMINISTIC, max_examples=100)

#: (assigned, total integer weight) of a solution or an optimum.
Score = tuple[int, int]


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def score_of(instance: Instance, solution: Solution) -> Score:
    chosen = np.asarray(solution.chosen_arcs, dtype=np.int64)
    return int(chosen.shape[0]), int(instance.int_weights[chosen].sum())


def assert_valid(instance: Instance, solution: Solution) -> None:
    """The solution is an assignment of ``instance`` and describes itself truthfully."""
    problem = instance.problem
    chosen = np.asarray(solution.chosen_arcs)
    assert chosen.ndim == 1
    assert chosen.shape[0] == 0 or np.issubdtype(chosen.dtype, np.integer)
    chosen = chosen.astype(np.int64)
    assert np.unique(chosen).shape[0] == chosen.shape[0], "an arc is chosen twice"
    if chosen.shape[0]:
        assert chosen.min() >= 0
        assert chosen.max() < problem.n_arcs
    left_load = np.bincount(problem.arc_left[chosen], minlength=problem.n_left)
    right_load = np.bincount(problem.arc_right[chosen], minlength=problem.n_right)
    assert (left_load <= problem.left_demand).all(), "a left node exceeds its demand"
    assert (right_load <= problem.right_capacity).all(), "a right node exceeds its capacity"
    assert solution.assigned == chosen.shape[0]
    assert math.isclose(
        solution.objective, float(problem.arc_weight[chosen].sum()), rel_tol=1e-12, abs_tol=1e-9
    )
    assert math.isclose(
        solution.objective,
        int(instance.int_weights[chosen].sum()) / SCORE_SCALE,
        rel_tol=1e-12,
        abs_tol=1e-9,
    )
    assert solution.wall_time >= 0
    assert solution.status in (Status.OPTIMAL, Status.FEASIBLE)
    if solution.status is Status.OPTIMAL:
        assert solution.bound is not None
        assert math.isclose(solution.bound, solution.objective, rel_tol=1e-12, abs_tol=1e-9)
        assert solution.gap == 0
    elif solution.bound is not None:
        assert solution.bound >= solution.objective - 1e-9
        assert solution.gap is not None
        assert solution.gap >= 0


def assert_matches_optimum(
    instance: Instance, solution: Solution, coverage_best: Score, total_best: int
) -> None:
    """An exact solution's score equals the optimum for the problem's objective."""
    assigned, total = score_of(instance, solution)
    if instance.problem.objective is Objective.COVERAGE:
        assert (assigned, total) == coverage_best
    else:
        assert total == total_best


def assert_not_better_than_optimum(
    instance: Instance, solution: Solution, coverage_best: Score, total_best: int
) -> None:
    """Any valid solution is at most the optimum (lexicographically for coverage)."""
    assigned, total = score_of(instance, solution)
    assert assigned <= coverage_best[0]
    assert total <= total_best
    if instance.problem.objective is Objective.COVERAGE:
        assert (assigned, total) <= coverage_best


# --------------------------------------------------------------------------------------
# Oracles
# --------------------------------------------------------------------------------------


def brute_force_optimum(instance: Instance) -> tuple[Score, int]:
    """Enumerate all 2**n_arcs subsets; keep those within demands and capacities.

    Returns the lexicographically best (count, total) and the best total.
    """
    problem = instance.problem
    m = problem.n_arcs
    masks = (np.arange(2**m, dtype=np.int64)[:, None] >> np.arange(m)) & 1  # subsets x arcs
    left_incidence = np.zeros((m, problem.n_left), dtype=np.int64)
    left_incidence[np.arange(m), problem.arc_left] = 1
    right_incidence = np.zeros((m, problem.n_right), dtype=np.int64)
    right_incidence[np.arange(m), problem.arc_right] = 1
    feasible = ((masks @ left_incidence) <= problem.left_demand).all(axis=1) & (
        (masks @ right_incidence) <= problem.right_capacity
    ).all(axis=1)
    counts = masks[feasible].sum(axis=1)
    totals = masks[feasible] @ instance.int_weights
    best_count = int(counts.max())
    coverage_best = (best_count, int(totals[counts == best_count].max()))
    return coverage_best, int(totals.max())


def slot_assignment_optimum(instance: Instance) -> int | Score:
    """Demand-1 problems as a rectangular assignment: one column per unit of capacity.

    COVERAGE: candidate arcs score ``big + w`` with ``big`` above any achievable total, so the
    maximum is lexicographic in (count, total); returns (count, total). TOTAL: candidate
    arcs score ``w``; returns the total. Non-candidates score 0 and are never counted.
    """
    problem = instance.problem
    assert (problem.left_demand == 1).all()
    slot_owner = np.repeat(np.arange(problem.n_right), problem.right_capacity)
    is_arc = np.zeros((problem.n_left, problem.n_right), dtype=bool)
    is_arc[problem.arc_left, problem.arc_right] = True
    weight = np.zeros((problem.n_left, problem.n_right), dtype=np.int64)
    weight[problem.arc_left, problem.arc_right] = instance.int_weights
    coverage = problem.objective is Objective.COVERAGE
    if problem.n_left == 0 or slot_owner.shape[0] == 0:
        return (0, 0) if coverage else 0
    big = SCORE_SCALE * problem.n_left + 1
    value = np.where(is_arc, big + weight, 0) if coverage else np.where(is_arc, weight, 0)
    rows, cols = linear_sum_assignment(value[:, slot_owner], maximize=True)
    owners = slot_owner[cols]
    used = is_arc[rows, owners]
    total = int(weight[rows, owners][used].sum())
    return (int(used.sum()), total) if coverage else total


def milp_optimum(instance: Instance) -> int | Score:
    """The b-matching integer programme solved by HiGHS, lexicographically for COVERAGE.

    COVERAGE: maximise the count, then maximise the total with the count fixed; returns
    (count, total). TOTAL: maximise the total; returns it. The solution vector is rounded,
    re-checked against every constraint and scored in integers.
    """
    problem = instance.problem
    m = problem.n_arcs
    coverage = problem.objective is Objective.COVERAGE
    if m == 0:
        return (0, 0) if coverage else 0
    incidence = np.zeros((problem.n_left + problem.n_right, m))
    incidence[problem.arc_left, np.arange(m)] = 1
    incidence[problem.n_left + problem.arc_right, np.arange(m)] = 1
    room = np.concatenate([problem.left_demand, problem.right_capacity]).astype(np.float64)
    constraints = [LinearConstraint(incidence, -np.inf, room)]

    def solve(cost: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        result = milp(
            cost,
            constraints=constraints,
            integrality=np.ones(m),
            bounds=Bounds(0, 1),
            options={"mip_rel_gap": 0.0},
        )
        assert result.success, result.message
        relaxed = np.asarray(result.x, dtype=np.float64)
        x: npt.NDArray[np.int64] = np.rint(relaxed).astype(np.int64)
        assert np.abs(relaxed - x).max() < 1e-6
        assert (incidence @ x <= room).all()
        return x

    if coverage:
        count = int(solve(-np.ones(m)).sum())
        constraints.append(LinearConstraint(np.ones((1, m)), count, count))
    x = solve(-instance.int_weights.astype(np.float64))
    total = int(instance.int_weights @ x)
    return (int(x.sum()), total) if coverage else total


def exact_optima(instance: Instance) -> tuple[Score, int]:
    """The coverage optimum and the total optimum by min-cost flow (checked above)."""
    coverage = solve_min_cost_flow(with_objective(instance, Objective.COVERAGE).problem)
    total = solve_min_cost_flow(with_objective(instance, Objective.TOTAL).problem)
    return score_of(instance, coverage), score_of(instance, total)[1]


# --------------------------------------------------------------------------------------
# 1-2. The exact method against the oracles
# --------------------------------------------------------------------------------------


def test_grid_weights_round_exactly() -> None:
    """The premise of exact comparisons: every k / SCORE_SCALE rounds back to k."""
    k = np.arange(SCORE_SCALE + 1, dtype=np.int64)
    zeros = np.zeros(k.shape[0], dtype=np.int64)
    instance = make_instance(np.ones(k.shape[0], dtype=np.int64), [1], k, zeros, k, Objective.TOTAL)
    np.testing.assert_array_equal(instance.problem.integer_weights(), k)


@pytest.mark.parametrize("objective", OBJECTIVES)
@BRUTE_FORCE
@given(data=tiny_instances(objective=Objective.COVERAGE))
def test_min_cost_flow_matches_brute_force(objective: Objective, data: Instance) -> None:
    instance = with_objective(data, objective)
    coverage_best, total_best = brute_force_optimum(instance)
    solution = solve_min_cost_flow(instance.problem)
    assert_valid(instance, solution)
    assert solution.status is Status.OPTIMAL
    assert_matches_optimum(instance, solution, coverage_best, total_best)


@pytest.mark.parametrize("objective", OBJECTIVES)
@SLOT_ORACLE
@given(
    data=random_instances(
        max_left=40, max_right=15, demand=(1, 1), capacity=(1, 4), objective=Objective.COVERAGE
    )
)
def test_min_cost_flow_matches_slot_assignment(objective: Objective, data: Instance) -> None:
    instance = with_objective(data, objective)
    solution = solve_min_cost_flow(instance.problem)
    assert_valid(instance, solution)
    assigned, total = score_of(instance, solution)
    expected = slot_assignment_optimum(instance)
    if objective is Objective.COVERAGE:
        assert (assigned, total) == expected
    else:
        assert total == expected


@pytest.mark.parametrize("objective", OBJECTIVES)
@MILP_ORACLE
@given(
    data=random_instances(
        max_left=20, max_right=10, demand=(0, 3), capacity=(0, 4), objective=Objective.COVERAGE
    )
)
def test_min_cost_flow_matches_milp(objective: Objective, data: Instance) -> None:
    instance = with_objective(data, objective)
    solution = solve_min_cost_flow(instance.problem)
    assert_valid(instance, solution)
    assigned, total = score_of(instance, solution)
    expected = milp_optimum(instance)
    if objective is Objective.COVERAGE:
        assert (assigned, total) == expected
    else:
        assert total == expected


# --------------------------------------------------------------------------------------
# 3. The contract every registered method keeps
# --------------------------------------------------------------------------------------


def test_every_registered_method_has_an_expected_status() -> None:
    assert set(ASSIGNMENT_METHODS) == set(EXPECTED_STATUS), (
        "add the new method to EXPECTED_STATUS (and check its contract)"
    )


@pytest.mark.parametrize("method", METHODS)
@CONTRACT
@given(
    instance=random_instances(max_left=12, max_right=8, demand=(0, 3), capacity=(0, 4), min_nodes=0)
)
def test_method_contract(method: str, instance: Instance) -> None:
    solution = solve_assignment(instance.problem, method)
    assert solution.method == method
    assert_valid(instance, solution)
    assert solution.status is EXPECTED_STATUS[method]

    coverage_best, total_best = exact_optima(instance)
    assert_not_better_than_optimum(instance, solution, coverage_best, total_best)
    if solution.status is Status.OPTIMAL:
        assert_matches_optimum(instance, solution, coverage_best, total_best)

    again = solve_assignment(instance.problem, method)
    np.testing.assert_array_equal(again.chosen_arcs, solution.chosen_arcs)


@CONTRACT
@given(
    instance=random_instances(
        max_left=12, max_right=8, demand=(0, 3), capacity=(0, 4), min_nodes=0
    ),
    chunk=st.integers(1, 7),
)
def test_greedy_chunks_choose_what_one_arc_at_a_time_chooses(
    instance: Instance, chunk: int
) -> None:
    """Dropping a chunk's arcs whose ends were full at its start changes nothing: the
    same arcs as the literal loop, whatever the chunk size."""
    problem = instance.problem
    order = np.argsort(-problem.integer_weights(), kind="stable")
    left, right = problem.left_demand.copy(), problem.right_capacity.copy()
    literal = []
    for k in order.tolist():
        i, j = problem.arc_left[k], problem.arc_right[k]
        if left[i] > 0 and right[j] > 0:
            left[i] -= 1
            right[j] -= 1
            literal.append(k)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(greedy_module, "_CHUNK", chunk)
        chosen = solve_greedy(problem).chosen_arcs
    assert sorted(chosen.tolist()) == sorted(literal)


@CONTRACT
@given(
    instance=random_instances(max_left=12, max_right=8, demand=(0, 3), capacity=(0, 4), min_nodes=0)
)
def test_greedy_is_a_maximal_half_approximation(instance: Instance) -> None:
    """Greedy by weight on two partition matroids: maximal, and >= 1/2 of each optimum.

    It never beats the exact method: for TOTAL its weight is at most the optimum, for
    COVERAGE it may assign fewer units (see the stranding test below).
    """
    problem = instance.problem
    solution = solve_greedy(problem)
    assert_valid(instance, solution)
    assert solution.status is Status.FEASIBLE
    assert solution.bound is None
    assert solution.gap is None

    chosen = solution.chosen_arcs
    left_room = problem.left_demand - np.bincount(
        problem.arc_left[chosen], minlength=problem.n_left
    )
    right_room = problem.right_capacity - np.bincount(
        problem.arc_right[chosen], minlength=problem.n_right
    )
    unchosen = np.setdiff1d(np.arange(problem.n_arcs), chosen)
    addable = (left_room[problem.arc_left[unchosen]] > 0) & (
        right_room[problem.arc_right[unchosen]] > 0
    )
    assert not addable.any(), "greedy left an arc that still fits"

    assigned, total = score_of(instance, solution)
    (best_assigned, _), best_total = exact_optima(instance)
    assert total <= best_total
    assert 2 * total >= best_total
    assert assigned <= best_assigned
    assert 2 * assigned >= best_assigned


# --------------------------------------------------------------------------------------
# 4. Edge cases and input errors
# --------------------------------------------------------------------------------------

EMPTY_CASES: dict[str, tuple[list[int], list[int], list[int], list[int], list[int]]] = {
    # name: (demand, capacity, arc_left, arc_right, int_weights)
    "no_nodes": ([], [], [], [], []),
    "no_arcs": ([1, 2], [3], [], [], []),
    "no_right_nodes": ([1, 1], [], [], [], []),
    "zero_demand": ([0, 0], [2, 2], [0, 0, 1], [0, 1, 1], [9000, 5000, 10000]),
    "zero_capacity": ([1, 2], [0, 0], [0, 1, 1], [0, 0, 1], [9000, 5000, 10000]),
    "every_arc_blocked": ([1, 0], [0, 3], [0, 1], [0, 1], [10000, 10000]),
}


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", sorted(EMPTY_CASES))
def test_nothing_to_assign(case: str, method: str, objective: Objective) -> None:
    instance = make_instance(*EMPTY_CASES[case], objective)
    solution = solve_assignment(instance.problem, method)
    assert_valid(instance, solution)
    assert solution.assigned == 0
    assert solution.chosen_arcs.shape == (0,)
    assert solution.objective == 0
    assert solution.status is EXPECTED_STATUS[method]
    if method == "min_cost_flow":
        assert solution.status is Status.OPTIMAL
        assert solution.bound == 0


def _problem_kwargs(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "left_demand": np.array([1, 1]),
        "right_capacity": np.array([1, 2]),
        "arc_left": np.array([0, 1, 1]),
        "arc_right": np.array([0, 0, 1]),
        "arc_weight": np.array([0.5, 0.25, 1.0]),
    }
    kwargs.update(overrides)
    return kwargs


def test_valid_problem_kwargs_are_accepted() -> None:
    """The base of the error cases below is itself valid."""
    problem = AssignmentProblem(**_problem_kwargs())
    assert (problem.n_left, problem.n_right, problem.n_arcs) == (2, 2, 3)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"arc_right": np.array([0, 0])}, "same length", id="short_arc_right"),
        pytest.param({"arc_weight": np.array([0.5, 0.25])}, "same length", id="short_weights"),
        pytest.param({"arc_left": np.array([0, 1, 1, 0])}, "same length", id="long_arc_left"),
        pytest.param({"right_capacity": np.array([1, -1])}, ">= 0", id="negative_capacity"),
        pytest.param({"left_demand": np.array([-1, 1])}, ">= 0", id="negative_demand"),
        pytest.param({"arc_weight": np.array([0.5, 1.5, 1.0])}, r"\[0, 1\]", id="weight_gt_1"),
        pytest.param({"arc_weight": np.array([0.5, -0.1, 1.0])}, r"\[0, 1\]", id="weight_lt_0"),
        pytest.param({"arc_weight": np.array([0.5, np.nan, 1.0])}, "finite", id="nan_weight"),
        pytest.param({"arc_weight": np.array([0.5, np.inf, 1.0])}, "finite", id="inf_weight"),
        pytest.param(
            {"arc_left": np.array([0, 1, 1]), "arc_right": np.array([0, 1, 1])},
            "twice",
            id="duplicate_arc",
        ),
        pytest.param(  # out of (left, right) order, so found by the sort
            {"arc_left": np.array([1, 0, 1]), "arc_right": np.array([1, 0, 1])},
            "twice",
            id="duplicate_arc_unsorted",
        ),
        pytest.param({"arc_left": np.array([0, 2, 1])}, "arc_left", id="left_index_too_big"),
        pytest.param({"arc_left": np.array([0, -1, 1])}, "arc_left", id="left_index_negative"),
        pytest.param({"arc_right": np.array([0, 0, 2])}, "arc_right", id="right_index_too_big"),
        pytest.param({"arc_right": np.array([-1, 0, 1])}, "arc_right", id="right_index_negative"),
        pytest.param({"left_demand": np.array([[1, 1]])}, "one-dimensional", id="2d_demand"),
    ],
)
@pytest.mark.parametrize("chunk", [1 << 18, 1, 2], ids=["one_chunk", "arc_chunks", "pairs"])
def test_inconsistent_problem_is_rejected(
    monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any], message: str, chunk: int
) -> None:
    """Checked a chunk at a time on two threads, the same error whichever chunk holds the
    fault (a duplicate across two chunks included)."""
    monkeypatch.setattr(problem_module, "CHECK_CHUNK", chunk)
    monkeypatch.setenv(parallel.ENV, "2")
    with pytest.raises(ProblemError, match=message):
        AssignmentProblem(**_problem_kwargs(**overrides))


@pytest.mark.parametrize("chunk", [1 << 18, 1, 2])
def test_arcs_in_any_order_are_accepted(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(problem_module, "CHECK_CHUNK", chunk)
    monkeypatch.setenv(parallel.ENV, "2")
    AssignmentProblem(
        **_problem_kwargs(arc_left=np.array([1, 0, 0]), arc_right=np.array([0, 1, 0]))
    )
    AssignmentProblem(**_problem_kwargs())  # in order: no sort


def test_problem_error_is_a_value_error() -> None:
    assert issubclass(ProblemError, ValueError)


def test_unknown_method_is_an_error_naming_the_known_methods() -> None:
    problem = make_instance([1], [1], [0], [0], [5000], Objective.COVERAGE).problem
    with pytest.raises(UnknownMethodError, match="'simplex'") as info:
        solve_assignment(problem, "simplex")
    assert isinstance(info.value, ValueError)
    for name in ASSIGNMENT_METHODS:
        assert name in str(info.value)


def test_default_method_is_min_cost_flow() -> None:
    problem = make_instance([1], [1], [0], [0], [5000], Objective.COVERAGE).problem
    solution = solve_assignment(problem)
    assert solution.method == "min_cost_flow"
    assert solution.status is Status.OPTIMAL


# --------------------------------------------------------------------------------------
# 5. Hand-built cases
# --------------------------------------------------------------------------------------

# Left A=0, B=1; right X=0, Y=1. A likes X 0.9 and Y 0.8; B only likes X 0.85.
STRANDING = ([1, 1], [1, 1], [0, 0, 1], [0, 1, 0], [9000, 8000, 8500])


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_greedy_strands_a_person_min_cost_flow_places(objective: Objective) -> None:
    instance = make_instance(*STRANDING, objective)

    greedy = solve_greedy(instance.problem)
    assert_valid(instance, greedy)
    assert greedy.chosen_arcs.tolist() == [0]  # A-X, so B has nobody left
    assert greedy.assigned == 1
    assert greedy.objective == pytest.approx(0.9)

    exact = solve_min_cost_flow(instance.problem)
    assert_valid(instance, exact)
    assert sorted(exact.chosen_arcs.tolist()) == [1, 2]  # A-Y and B-X: both placed
    assert exact.assigned == 2
    assert exact.objective == pytest.approx(1.65)
    assert exact.status is Status.OPTIMAL


def test_coverage_and_total_disagree_when_coverage_costs_weight() -> None:
    """A likes X 1.0 and Y 0.1, B only X 0.8: two placements weigh 0.9 < 1.0."""
    case = ([1, 1], [1, 1], [0, 0, 1], [0, 1, 0], [10000, 1000, 8000])

    coverage = solve_min_cost_flow(make_instance(*case, Objective.COVERAGE).problem)
    assert sorted(coverage.chosen_arcs.tolist()) == [1, 2]
    assert coverage.objective == pytest.approx(0.9)

    total = solve_min_cost_flow(make_instance(*case, Objective.TOTAL).problem)
    assert total.chosen_arcs.tolist() == [0]
    assert total.assigned == 1
    assert total.objective == pytest.approx(1.0)


def test_arc_used_once_even_when_demand_and_capacity_allow_more() -> None:
    """One arc, demand 3, capacity 3: the pair is made once, not three times."""
    for objective in OBJECTIVES:
        instance = make_instance([3], [3], [0], [0], [10000], objective)
        for method in METHODS:
            solution = solve_assignment(instance.problem, method)
            assert_valid(instance, solution)
            assert solution.assigned == 1


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.floats(0, 1), max_size=40),
    chunk=st.integers(1, 7),
    shape=st.sampled_from(["flat", "column", "scalar"]),
)
def test_integer_scores_round_the_same_in_any_chunks(
    weights: list[float], chunk: int, shape: str
) -> None:
    """Chunked conversion, on two threads, gives exactly the whole-array rounding, in any
    shape and dtype."""
    values = np.asarray(weights, dtype=np.float64)
    if shape == "column":
        values = values.reshape(-1, 1)
    elif shape == "scalar":
        values = np.asarray(weights[0] if weights else 0.5)
    expected = np.rint(values * SCORE_SCALE).astype(np.int64)
    with on_two_threads(problem_module, CONVERT_CHUNK=chunk):
        for dtype in (np.int64, np.int32):
            got = integer_scores(values, dtype)
            assert got.dtype == dtype
            assert got.shape == expected.shape
            np.testing.assert_array_equal(got, expected)
