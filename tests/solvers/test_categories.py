"""Grouped (per-category) assignment against brute force and the plain min-cost flow.

Oracles, on exact integer weights (see ``strategies``):

* brute force over every subset of arcs (tiny instances, 1-3 groups per node);
* ``solve_assignment(..., "min_cost_flow")`` when each node has one group holding its total.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers import (
    SCORE_SCALE,
    AssignmentProblem,
    Objective,
    ProblemError,
    Solution,
    Status,
    solve_assignment,
)
from solvers.categories import GroupedAssignmentProblem, solve_grouped_assignment
from solvers.problem import IntArray
from tests.solvers.strategies import DETERMINISTIC, Instance, int_weights, random_instances

OBJECTIVES = list(Objective)
BRUTE_FORCE = settings(DETERMINISTIC, max_examples=200)
EQUIVALENCE = settings(DETERMINISTIC, max_examples=100)

#: (assigned, total integer weight) of a solution or an optimum.
Score = tuple[int, int]


@dataclass(frozen=True)
class GroupedInstance:
    """A grouped problem plus the exact integer weights it was built from."""

    problem: GroupedAssignmentProblem
    int_weights: IntArray


# --------------------------------------------------------------------------------------
# Strategies and helpers
# --------------------------------------------------------------------------------------


def _groups(draw: st.DrawFn, n_nodes: int) -> tuple[list[int], list[int], list[list[int]]]:
    """1-3 groups per node with capacity 0-2, numbered in a random order.

    Returns (owner per group, capacity per group, group ids of each node).
    """
    counts = [draw(st.integers(1, 3)) for _ in range(n_nodes)]
    ids = draw(st.permutations(range(sum(counts))))
    owner = [0] * len(ids)
    capacity = [0] * len(ids)
    of_node: list[list[int]] = []
    it = iter(ids)
    for node, count in enumerate(counts):
        of_node.append([next(it) for _ in range(count)])
        for group in of_node[-1]:
            owner[group] = node
            capacity[group] = draw(st.integers(0, 2))
    return owner, capacity, of_node


@st.composite
def tiny_grouped_instances(draw: st.DrawFn, *, objective: Objective) -> GroupedInstance:
    """At most 4 x 3 nodes (12 arcs, 4096 subsets), totals and group capacities 0-2."""
    n_left = draw(st.integers(1, 4))
    n_right = draw(st.integers(1, 3))
    demand = draw(st.lists(st.integers(0, 2), min_size=n_left, max_size=n_left))
    capacity = draw(st.lists(st.integers(0, 2), min_size=n_right, max_size=n_right))
    left_owner, left_cap, left_of = _groups(draw, n_left)
    right_owner, right_cap, right_of = _groups(draw, n_right)
    pairs = [(i, j) for i in range(n_left) for j in range(n_right)]
    weights = draw(st.lists(st.none() | int_weights(), min_size=len(pairs), max_size=len(pairs)))
    arcs = [
        (i, j, w, draw(st.sampled_from(left_of[i])), draw(st.sampled_from(right_of[j])))
        for (i, j), w in zip(pairs, weights, strict=True)
        if w is not None
    ]
    arcs = draw(st.permutations(arcs))
    w_int = np.array([a[2] for a in arcs], dtype=np.int64)
    problem = GroupedAssignmentProblem(
        left_demand=np.array(demand, dtype=np.int64),
        right_capacity=np.array(capacity, dtype=np.int64),
        arc_left=np.array([a[0] for a in arcs], dtype=np.int64),
        arc_right=np.array([a[1] for a in arcs], dtype=np.int64),
        arc_weight=w_int.astype(np.float64) / SCORE_SCALE,
        arc_left_group=np.array([a[3] for a in arcs], dtype=np.int64),
        arc_right_group=np.array([a[4] for a in arcs], dtype=np.int64),
        left_group_owner=np.array(left_owner, dtype=np.int64),
        left_group_capacity=np.array(left_cap, dtype=np.int64),
        right_group_owner=np.array(right_owner, dtype=np.int64),
        right_group_capacity=np.array(right_cap, dtype=np.int64),
        objective=objective,
    )
    return GroupedInstance(problem=problem, int_weights=w_int)


def relabel_groups(problem: GroupedAssignmentProblem, seed: int) -> GroupedAssignmentProblem:
    """The same problem with its group ids shuffled: numbering must not matter."""
    rng = np.random.default_rng(seed)
    left = rng.permutation(problem.n_left_groups)  # old id -> new id
    right = rng.permutation(problem.n_right_groups)
    return dataclasses.replace(
        problem,
        arc_left_group=left[problem.arc_left_group],
        arc_right_group=right[problem.arc_right_group],
        left_group_owner=problem.left_group_owner[np.argsort(left)],
        left_group_capacity=problem.left_group_capacity[np.argsort(left)],
        right_group_owner=problem.right_group_owner[np.argsort(right)],
        right_group_capacity=problem.right_group_capacity[np.argsort(right)],
    )


def loads(problem: GroupedAssignmentProblem, chosen: IntArray) -> list[tuple[IntArray, IntArray]]:
    """(load, limit) for left nodes, right nodes, left groups and right groups."""
    return [
        (np.bincount(problem.arc_left[chosen], minlength=problem.n_left), problem.left_demand),
        (
            np.bincount(problem.arc_right[chosen], minlength=problem.n_right),
            problem.right_capacity,
        ),
        (
            np.bincount(problem.arc_left_group[chosen], minlength=problem.n_left_groups),
            problem.left_group_capacity,
        ),
        (
            np.bincount(problem.arc_right_group[chosen], minlength=problem.n_right_groups),
            problem.right_group_capacity,
        ),
    ]


def score_of(int_weights: IntArray, solution: Solution) -> Score:
    return solution.assigned, int(int_weights[solution.chosen_arcs].sum())


def assert_valid(instance: GroupedInstance, solution: Solution) -> None:
    """An optimal solution of ``instance`` within every limit, describing itself truthfully."""
    problem = instance.problem
    chosen = solution.chosen_arcs
    assert chosen.ndim == 1
    assert chosen.dtype == np.int64
    assert np.unique(chosen).shape[0] == chosen.shape[0], "an arc is chosen twice"
    if chosen.shape[0]:
        assert chosen.min() >= 0
        assert chosen.max() < problem.n_arcs
    for load, limit in loads(problem, chosen):
        assert (load <= limit).all(), "a node total or a group capacity is exceeded"
    assert solution.method == "grouped_min_cost_flow"
    assert solution.status is Status.OPTIMAL
    assert solution.assigned == chosen.shape[0]
    expected = int(instance.int_weights[chosen].sum()) / SCORE_SCALE
    assert math.isclose(solution.objective, expected, rel_tol=1e-12, abs_tol=1e-9)
    assert math.isclose(
        solution.objective, float(problem.arc_weight[chosen].sum()), rel_tol=1e-12, abs_tol=1e-9
    )
    assert solution.bound == solution.objective
    assert solution.gap == 0
    assert solution.wall_time >= 0


def brute_force_optimum(instance: GroupedInstance) -> tuple[Score, int]:
    """Every subset of arcs within all limits: best (count, total) and best total."""
    problem = instance.problem
    m = problem.n_arcs
    masks = (np.arange(2**m, dtype=np.int64)[:, None] >> np.arange(m)) & 1  # subsets x arcs
    feasible = np.ones(masks.shape[0], dtype=bool)
    for ends, limit in (
        (problem.arc_left, problem.left_demand),
        (problem.arc_right, problem.right_capacity),
        (problem.arc_left_group, problem.left_group_capacity),
        (problem.arc_right_group, problem.right_group_capacity),
    ):
        incidence = np.zeros((m, limit.shape[0]), dtype=np.int64)
        incidence[np.arange(m), ends] = 1
        feasible &= ((masks @ incidence) <= limit).all(axis=1)
    counts = masks[feasible].sum(axis=1)
    totals = masks[feasible] @ instance.int_weights
    best_count = int(counts.max())
    return (best_count, int(totals[counts == best_count].max())), int(totals.max())


# --------------------------------------------------------------------------------------
# Oracles
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", OBJECTIVES)
@BRUTE_FORCE
@given(data=st.data())
def test_matches_brute_force(objective: Objective, data: st.DataObject) -> None:
    """COVERAGE: same (count, total); TOTAL: same total (the count of a best total is not
    unique: zero-weight arcs may or may not be used)."""
    instance = data.draw(tiny_grouped_instances(objective=objective))
    coverage_best, total_best = brute_force_optimum(instance)
    solution = solve_grouped_assignment(instance.problem)
    assert_valid(instance, solution)
    assigned, total = score_of(instance.int_weights, solution)
    if objective is Objective.COVERAGE:
        assert (assigned, total) == coverage_best
    else:
        assert total == total_best
        assert assigned <= coverage_best[0]


@pytest.mark.parametrize("objective", OBJECTIVES)
@EQUIVALENCE
@given(
    plain=random_instances(max_left=40, max_right=15, demand=(0, 3), capacity=(0, 4), min_nodes=0),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_group_per_node_matches_min_cost_flow(
    objective: Objective, plain: Instance, seed: int
) -> None:
    problem = dataclasses.replace(plain.problem, objective=objective)
    expected = solve_assignment(problem, "min_cost_flow")
    grouped = relabel_groups(GroupedAssignmentProblem.ungrouped(problem), seed)
    instance = GroupedInstance(problem=grouped, int_weights=plain.int_weights)
    solution = solve_grouped_assignment(grouped)
    assert_valid(instance, solution)
    if objective is Objective.COVERAGE:
        assert score_of(plain.int_weights, solution) == score_of(plain.int_weights, expected)
    else:
        assert score_of(plain.int_weights, solution)[1] == score_of(plain.int_weights, expected)[1]
    again = solve_grouped_assignment(grouped, time_limit=0.001, seed=7)
    np.testing.assert_array_equal(again.chosen_arcs, solution.chosen_arcs)


def test_ungrouped_has_one_group_per_node_holding_its_total() -> None:
    plain = AssignmentProblem(
        left_demand=np.array([2, 0, 1]),
        right_capacity=np.array([1, 3]),
        arc_left=np.array([2, 0, 0]),
        arc_right=np.array([1, 1, 0]),
        arc_weight=np.array([0.5, 0.25, 1.0]),
        objective=Objective.TOTAL,
    )
    grouped = GroupedAssignmentProblem.ungrouped(plain)
    assert grouped.objective is Objective.TOTAL
    assert (grouped.n_left_groups, grouped.n_right_groups) == (3, 2)
    np.testing.assert_array_equal(grouped.left_group_owner, [0, 1, 2])
    np.testing.assert_array_equal(grouped.left_group_capacity, plain.left_demand)
    np.testing.assert_array_equal(grouped.right_group_owner, [0, 1])
    np.testing.assert_array_equal(grouped.right_group_capacity, plain.right_capacity)
    np.testing.assert_array_equal(grouped.arc_left_group, plain.arc_left)
    np.testing.assert_array_equal(grouped.arc_right_group, plain.arc_right)
    np.testing.assert_array_equal(grouped.integer_weights(), plain.integer_weights())


# --------------------------------------------------------------------------------------
# Hand-built CIERA-like cases: the groups change the answer
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_mentee_gets_one_mentor_of_each_kind(objective: Objective) -> None:
    """Mentee 0 wants 1 graduate + 1 faculty. Graduates 0 and 1 score 0.9 and 0.8, faculty
    2 scores 0.1: by totals alone the two graduates win; by kind, graduate 0 + faculty 2."""
    problem = GroupedAssignmentProblem(
        left_demand=np.array([2]),
        right_capacity=np.array([1, 1, 1]),
        arc_left=np.array([0, 0, 0]),
        arc_right=np.array([0, 1, 2]),
        arc_weight=np.array([0.9, 0.8, 0.1]),
        arc_left_group=np.array([0, 0, 1]),  # 0: graduates wanted, 1: faculty wanted
        arc_right_group=np.array([0, 1, 2]),  # each mentor's "undergraduates" group
        left_group_owner=np.array([0, 0]),
        left_group_capacity=np.array([1, 1]),
        right_group_owner=np.array([0, 1, 2]),
        right_group_capacity=np.array([1, 1, 1]),
        objective=objective,
    )
    solution = solve_grouped_assignment(problem)
    assert solution.chosen_arcs.tolist() == [0, 2]
    assert solution.objective == pytest.approx(1.0)
    flat = solve_grouped_assignment(
        GroupedAssignmentProblem.ungrouped(AssignmentProblem(**_flat_fields(problem)))
    )
    assert flat.chosen_arcs.tolist() == [0, 1]


def test_mentor_caps_each_kind_of_mentee() -> None:
    """Faculty X takes 2 in total but at most 1 graduate. Graduates B and C prefer X (0.95,
    0.9); undergraduate A only fits X (0.1); postdoc Y takes graduate B (0.2)."""
    problem = GroupedAssignmentProblem(
        left_demand=np.array([1, 1, 1]),  # A, B, C
        right_capacity=np.array([2, 1]),  # X, Y
        arc_left=np.array([0, 1, 2, 1]),
        arc_right=np.array([0, 0, 0, 1]),
        arc_weight=np.array([0.1, 0.95, 0.9, 0.2]),
        arc_left_group=np.array([0, 1, 2, 1]),  # one "any mentor" group per mentee
        arc_right_group=np.array([0, 1, 1, 2]),  # X: 0 undergraduates, 1 graduates; Y: 2
        left_group_owner=np.array([0, 1, 2]),
        left_group_capacity=np.array([1, 1, 1]),
        right_group_owner=np.array([0, 0, 1]),
        right_group_capacity=np.array([2, 1, 1]),
        objective=Objective.TOTAL,
    )
    solution = solve_grouped_assignment(problem)
    assert solution.chosen_arcs.tolist() == [0, 2, 3]  # A-X, C-X, B-Y
    assert solution.objective == pytest.approx(1.2)
    flat = solve_grouped_assignment(
        GroupedAssignmentProblem.ungrouped(AssignmentProblem(**_flat_fields(problem)))
    )
    assert flat.chosen_arcs.tolist() == [1, 2]  # B-X, C-X: two graduates with X


def _flat_fields(problem: GroupedAssignmentProblem) -> dict[str, Any]:
    names = ("left_demand", "right_capacity", "arc_left", "arc_right", "arc_weight", "objective")
    return {name: getattr(problem, name) for name in names}


# --------------------------------------------------------------------------------------
# Edge cases and input errors
# --------------------------------------------------------------------------------------

EMPTY_CASES: dict[str, dict[str, list[int]]] = {
    "no_nodes": {},
    "no_arcs": {"left_demand": [1, 2], "right_capacity": [3]},
    "nodes_without_groups": {
        "left_demand": [1],
        "right_capacity": [1],
        "left_group_owner": [0],
        "left_group_capacity": [1],
    },
    "zero_group_capacity": {
        "left_demand": [2],
        "right_capacity": [1, 1],
        "arc_left": [0, 0],
        "arc_right": [0, 1],
        "arc_left_group": [0, 0],
        "arc_right_group": [0, 1],
        "left_group_owner": [0],
        "left_group_capacity": [0],
        "right_group_owner": [0, 1],
        "right_group_capacity": [1, 1],
    },
}


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("case", sorted(EMPTY_CASES))
def test_nothing_to_assign(case: str, objective: Objective) -> None:
    """Plain lists are accepted; an empty one (float64 to numpy) is not a dtype error."""
    fields: dict[str, Any] = {name: [] for name in _valid_kwargs() if name != "objective"}
    fields.update(EMPTY_CASES[case])
    fields["arc_weight"] = [1.0] * len(fields["arc_left"])
    problem = GroupedAssignmentProblem(**fields, objective=objective)
    instance = GroupedInstance(problem, np.full(problem.n_arcs, SCORE_SCALE, dtype=np.int64))
    solution = solve_grouped_assignment(problem)
    assert_valid(instance, solution)
    assert solution.assigned == 0
    assert solution.chosen_arcs.shape == (0,)
    assert solution.objective == 0


def _valid_kwargs(**overrides: Any) -> dict[str, Any]:
    """Left 0 (total 2, groups 0 and 1), left 1 (group 2); right 0 (group 0), 1 (group 1)."""
    kwargs: dict[str, Any] = {
        "left_demand": np.array([2, 1]),
        "right_capacity": np.array([1, 2]),
        "arc_left": np.array([0, 0, 1]),
        "arc_right": np.array([0, 1, 1]),
        "arc_weight": np.array([0.5, 0.25, 1.0]),
        "arc_left_group": np.array([0, 1, 2]),
        "arc_right_group": np.array([0, 1, 1]),
        "left_group_owner": np.array([0, 0, 1]),
        "left_group_capacity": np.array([1, 1, 1]),
        "right_group_owner": np.array([0, 1]),
        "right_group_capacity": np.array([1, 2]),
        "objective": "coverage",
    }
    kwargs.update(overrides)
    return kwargs


def test_valid_kwargs_are_accepted() -> None:
    """The base of the error cases below is itself valid (and a string objective converts)."""
    problem = GroupedAssignmentProblem(**_valid_kwargs())
    assert problem.objective is Objective.COVERAGE
    assert (problem.n_left, problem.n_right, problem.n_arcs) == (2, 2, 3)
    assert (problem.n_left_groups, problem.n_right_groups) == (3, 2)
    assert solve_grouped_assignment(problem).assigned == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"objective": "fairness"}, "unknown objective", id="unknown_objective"),
        pytest.param({"left_demand": np.array([-1, 1])}, ">= 0", id="negative_demand"),
        pytest.param({"arc_weight": np.array([0.5, 1.5, 1.0])}, r"\[0, 1\]", id="weight_gt_1"),
        pytest.param({"arc_weight": np.array([0.5, np.nan, 1.0])}, "finite", id="nan_weight"),
        pytest.param({"arc_right": np.array([0, 2, 1])}, "arc_right", id="right_index_too_big"),
        pytest.param({"arc_weight": np.array([0.5, 1.0])}, "same length", id="short_weights"),
        pytest.param(
            {"arc_right": np.array([1, 1, 1]), "arc_right_group": np.array([1, 1, 1])},
            "twice",
            id="duplicate_arc",
        ),
        pytest.param(
            {"left_group_capacity": np.array([[1, 1, 1]])},
            "one-dimensional",
            id="2d_group_capacity",
        ),
        pytest.param(
            {"arc_left_group": np.array([[0, 1, 2]])}, "one-dimensional", id="2d_arc_group"
        ),
        pytest.param({"arc_left_group": np.array([0, 1.0, 2])}, "integers", id="float_group_index"),
        pytest.param({"arc_left_group": np.array([0, 1])}, "one entry per arc", id="short_left"),
        pytest.param(
            {"arc_right_group": np.array([0, 1, 1, 1])}, "one entry per arc", id="long_right"
        ),
        pytest.param(
            {"left_group_owner": np.array([0, 0])}, "same length", id="left_owner_vs_capacity"
        ),
        pytest.param(
            {"right_group_capacity": np.array([1])}, "same length", id="right_owner_vs_capacity"
        ),
        pytest.param(
            {"left_group_capacity": np.array([1, -1, 1])}, ">= 0", id="negative_left_group"
        ),
        pytest.param(
            {"right_group_capacity": np.array([1, -2])}, ">= 0", id="negative_right_group"
        ),
        pytest.param(
            {"left_group_owner": np.array([0, 0, 2])}, "left_group_owner", id="left_owner_too_big"
        ),
        pytest.param(
            {"right_group_owner": np.array([-1, 1])}, "right_group_owner", id="negative_owner"
        ),
        pytest.param(
            {"arc_left_group": np.array([0, 1, 3])}, "arc_left_group", id="left_group_too_big"
        ),
        pytest.param(
            {"arc_right_group": np.array([-1, 1, 1])}, "arc_right_group", id="negative_group"
        ),
        pytest.param(
            {"arc_left_group": np.array([0, 2, 2])},
            "left group belongs to another",
            id="left_group_of_another_node",
        ),
        pytest.param(
            {"arc_right_group": np.array([1, 1, 1])},
            "right group belongs to another",
            id="right_group_of_another_node",
        ),
    ],
)
def test_inconsistent_problem_is_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ProblemError, match=message):
        GroupedAssignmentProblem(**_valid_kwargs(**overrides))
