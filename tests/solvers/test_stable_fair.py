"""Stable and fair assignment against independent oracles.

* ``blocking_pairs`` against a plain per-arc loop over the definition;
* deferred acceptance: zero blocking pairs (by that loop), within demands and capacities,
  and, for one partner each, every left node gets its best partner over all stable
  assignments (enumerated by brute force);
* ``solve_fair`` against brute force over every assignment: most units, then the highest
  lowest weight, then the highest total.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers import stable as stable_module
from solvers.fair import solve_fair
from solvers.problem import IntArray, Objective
from solvers.solution import Status
from solvers.stable import blocking_pairs, solve_stable
from tests.solvers.strategies import (
    DETERMINISTIC,
    Instance,
    make_instance,
    random_instances,
    tiny_instances,
)
from tests.threads import on_two_threads

EXAMPLES = settings(DETERMINISTIC, max_examples=150)


def feasible_subsets(instance: Instance) -> list[IntArray]:
    """Every set of arcs within the demands and capacities (2**arcs candidates)."""
    problem = instance.problem
    m = problem.n_arcs
    masks = (np.arange(2**m, dtype=np.int64)[:, None] >> np.arange(m)) & 1
    left = np.zeros((m, problem.n_left), dtype=np.int64)
    left[np.arange(m), problem.arc_left] = 1
    right = np.zeros((m, problem.n_right), dtype=np.int64)
    right[np.arange(m), problem.arc_right] = 1
    ok = ((masks @ left) <= problem.left_demand).all(axis=1) & (
        (masks @ right) <= problem.right_capacity
    ).all(axis=1)
    return [np.flatnonzero(mask) for mask in masks[ok]]


def blocking_by_definition(instance: Instance, chosen: IntArray) -> set[int]:
    """Arc by arc: both ends have a free place or strictly prefer each other to their worst."""
    problem, w = instance.problem, instance.int_weights
    used = set(chosen.tolist())
    found = set()
    for k in range(problem.n_arcs):
        if k in used:
            continue
        i, j = int(problem.arc_left[k]), int(problem.arc_right[k])
        mine = [int(w[a]) for a in used if problem.arc_left[a] == i]
        theirs = [int(w[a]) for a in used if problem.arc_right[a] == j]
        left_wants = problem.left_demand[i] > 0 and (
            len(mine) < problem.left_demand[i] or w[k] > min(mine)
        )
        right_wants = problem.right_capacity[j] > 0 and (
            len(theirs) < problem.right_capacity[j] or w[k] > min(theirs)
        )
        if left_wants and right_wants:
            found.add(k)
    return found


def within_limits(instance: Instance, chosen: IntArray) -> bool:
    problem = instance.problem
    left = np.bincount(problem.arc_left[chosen], minlength=problem.n_left)
    right = np.bincount(problem.arc_right[chosen], minlength=problem.n_right)
    return bool((left <= problem.left_demand).all() and (right <= problem.right_capacity).all())


@EXAMPLES
@given(instance=tiny_instances(max_left=4, max_right=3), data=st.data())
def test_blocking_pairs_follow_the_definition(instance: Instance, data: st.DataObject) -> None:
    subsets = feasible_subsets(instance)
    chosen = subsets[data.draw(st.integers(0, len(subsets) - 1))]
    found = blocking_pairs(instance.problem, chosen)
    expected = blocking_by_definition(instance, chosen)
    assert set(found.tolist()) == expected
    # The same, a few arcs at a time on two threads, in arc order.
    with on_two_threads(stable_module, BLOCKING_CHUNK=data.draw(st.integers(1, 4))):
        chunked = blocking_pairs(instance.problem, chosen)
    assert chunked.tolist() == sorted(expected)


@EXAMPLES
@given(instance=tiny_instances(max_left=4, max_right=3) | random_instances(
    max_left=25, max_right=10, demand=(0, 3), capacity=(0, 4)))  # fmt: skip
def test_deferred_acceptance_is_stable(instance: Instance) -> None:
    solution = solve_stable(instance.problem)
    assert solution.status is Status.FEASIBLE
    assert within_limits(instance, solution.chosen_arcs)
    assert blocking_by_definition(instance, solution.chosen_arcs) == set()
    again = solve_stable(instance.problem)
    np.testing.assert_array_equal(again.chosen_arcs, solution.chosen_arcs)


@EXAMPLES
@given(instance=tiny_instances(max_left=4, max_right=3, max_demand=1))
def test_deferred_acceptance_is_best_for_the_proposers(instance: Instance) -> None:
    """With one partner each and no ties, no stable assignment gives a left node a better
    partner than deferred acceptance does."""
    problem, w = instance.problem, instance.int_weights
    # Ties make "best" ambiguous; the claim is for strict preferences.
    for node in (problem.arc_left, problem.arc_right):
        keys = node * (w.max() + 1 if w.size else 1) + w
        if np.unique(keys).shape[0] != keys.shape[0]:
            return
    got = solve_stable(problem).chosen_arcs

    def partner_weight(chosen: IntArray) -> IntArray:
        best = np.full(problem.n_left, -1)
        best[problem.arc_left[chosen]] = w[chosen]
        return best

    mine = partner_weight(got)
    for subset in feasible_subsets(instance):
        if not blocking_by_definition(instance, subset):
            assert (partner_weight(subset) <= mine).all()


def test_deferred_acceptance_by_hand() -> None:
    """Both mentees rank mentor 0 first; mentor 0 prefers mentee 1, so mentee 0 goes to
    mentor 1."""
    instance = make_instance(
        [1, 1], [1, 1], [0, 0, 1, 1], [0, 1, 0, 1], [9000, 8000, 9500, 1000], Objective.TOTAL
    )
    chosen = solve_stable(instance.problem).chosen_arcs
    assert chosen.tolist() == [1, 2]


@EXAMPLES
@given(instance=tiny_instances(max_left=4, max_right=3))
def test_fair_against_brute_force(instance: Instance) -> None:
    w = instance.int_weights

    def key(chosen: IntArray) -> tuple[int, int, int]:
        lowest = int(w[chosen].min()) if chosen.size else 0
        return int(chosen.shape[0]), lowest, int(w[chosen].sum())

    best = max(key(s) for s in feasible_subsets(instance))
    solution = solve_fair(instance.problem)
    assert solution.status is Status.OPTIMAL
    assert within_limits(instance, solution.chosen_arcs)
    assert key(solution.chosen_arcs) == best


def test_fair_trades_total_for_the_worst_pair() -> None:
    """Two mentees, two mentors: the highest total leaves one pair at 10; fair lifts the
    worst pair to 50."""
    instance = make_instance(
        [1, 1], [1, 1], [0, 0, 1, 1], [0, 1, 0, 1], [9000, 5000, 6000, 10], Objective.COVERAGE
    )
    chosen = solve_fair(instance.problem).chosen_arcs
    assert chosen.tolist() == [1, 2]
