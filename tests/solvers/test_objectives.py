"""Objectives routed per track, against independent oracles.

* Peer ``stable``: no blocking pair, checked edge by edge from the definition (not by
  ``blocking_edges``), and a maximal pairing.
* Peer ``fair``: brute force over every pairing of tiny graphs: most pairs, then the
  highest lowest pair, then the highest total.
* Bipartite ``stable`` with each side's own rankings: no blocking pair by the definition,
  on the rankings given, not on the scores.
* ``coverage`` and ``total`` reach the configured method unchanged.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers import SCORE_SCALE, AssignmentProblem, Objective, PairingProblem, solve_assignment
from solvers.objectives import GOALS, check_goal, solve_assignment_goal, solve_pairing_goal
from solvers.problem import IntArray
from solvers.solution import Status
from tests.solvers.strategies import DETERMINISTIC, Instance, random_instances

EXAMPLES = settings(DETERMINISTIC, max_examples=120)


@st.composite
def tiny_pools(draw: st.DrawFn, max_nodes: int = 8) -> PairingProblem:
    """Every pair of people is an edge or not; weights from a small palette half of the
    time, so that ties (the hard case for stability and bottlenecks) are common."""
    n = draw(st.integers(0, max_nodes))
    pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
    palette = st.sampled_from([0, 1, SCORE_SCALE // 2, SCORE_SCALE]) | st.integers(0, SCORE_SCALE)
    weights = draw(st.lists(st.none() | palette, min_size=len(pairs), max_size=len(pairs)))
    kept = [(p, w) for p, w in zip(pairs, weights, strict=True) if w is not None]
    return PairingProblem(
        n=n,
        arc_u=np.array([u for (u, _), _ in kept], dtype=np.int64),
        arc_v=np.array([v for (_, v), _ in kept], dtype=np.int64),
        arc_weight=np.array([w for _, w in kept], dtype=np.float64) / SCORE_SCALE,
    )


def pairings(problem: PairingProblem) -> list[tuple[int, ...]]:
    """Every set of edges in which nobody appears twice."""
    found: list[tuple[int, ...]] = []
    m = problem.n_arcs
    for size in range(problem.n // 2 + 1):
        for edges in itertools.combinations(range(m), size):
            ends = [int(problem.arc_u[e]) for e in edges] + [int(problem.arc_v[e]) for e in edges]
            if len(set(ends)) == len(ends):
                found.append(edges)
    return found


def peer_blocking(problem: PairingProblem, chosen: IntArray) -> list[int]:
    """Edge by edge: both people are unpaired or strictly prefer each other."""
    w = problem.integer_weights()
    partner_weight: dict[int, int] = {}
    for e in chosen.tolist():
        partner_weight[int(problem.arc_u[e])] = int(w[e])
        partner_weight[int(problem.arc_v[e])] = int(w[e])
    used = set(chosen.tolist())
    return [
        e
        for e in range(problem.n_arcs)
        if e not in used
        and all(w[e] > partner_weight.get(int(x), -1) for x in (problem.arc_u[e], problem.arc_v[e]))
    ]


def assert_pairing(problem: PairingProblem, chosen: IntArray) -> None:
    ends = np.concatenate([problem.arc_u[chosen], problem.arc_v[chosen]])
    assert np.unique(ends).shape[0] == ends.shape[0], "someone is in two pairs"


@EXAMPLES
@given(problem=tiny_pools())
def test_stable_peers_have_no_blocking_pair(problem: PairingProblem) -> None:
    solution = solve_pairing_goal(problem, "stable", "pruned_blossom")
    assert_pairing(problem, solution.chosen_arcs)
    assert peer_blocking(problem, solution.chosen_arcs) == []
    assert solution.method == "stable"


@EXAMPLES
@given(problem=tiny_pools())
def test_fair_peers_match_brute_force(problem: PairingProblem) -> None:
    w = problem.integer_weights()

    def key(edges: tuple[int, ...]) -> tuple[int, int, int]:
        lowest = min((int(w[e]) for e in edges), default=SCORE_SCALE + 1)
        return len(edges), lowest, sum(int(w[e]) for e in edges)

    best = max(key(edges) for edges in pairings(problem))
    solution = solve_pairing_goal(problem, "fair", "pruned_blossom")
    assert_pairing(problem, solution.chosen_arcs)
    assert key(tuple(solution.chosen_arcs.tolist())) == best
    assert solution.status is Status.OPTIMAL


def blocking_by_views(
    problem: AssignmentProblem, chosen: IntArray, left: IntArray, right: IntArray
) -> list[int]:
    """Arc by arc, on each side's own integer rankings: both have room or strictly
    prefer the arc to their worst partner."""
    used = set(chosen.tolist())
    out = []
    for k in range(problem.n_arcs):
        if k in used:
            continue
        i, j = int(problem.arc_left[k]), int(problem.arc_right[k])
        mine = [int(left[a]) for a in used if problem.arc_left[a] == i]
        theirs = [int(right[a]) for a in used if problem.arc_right[a] == j]
        left_wants = problem.left_demand[i] > 0 and (
            len(mine) < problem.left_demand[i] or left[k] > min(mine)
        )
        right_wants = problem.right_capacity[j] > 0 and (
            len(theirs) < problem.right_capacity[j] or right[k] > min(theirs)
        )
        if left_wants and right_wants:
            out.append(k)
    return out


@EXAMPLES
@given(
    data=random_instances(max_left=8, max_right=6, demand=(0, 3), capacity=(0, 3)),
    seed=st.integers(0, 2**32 - 1),
)
def test_stable_with_own_rankings_has_no_blocking_pair(data: Instance, seed: int) -> None:
    problem = data.problem
    rng = np.random.default_rng(seed)
    left = rng.integers(0, SCORE_SCALE + 1, problem.n_arcs)
    right = rng.integers(0, SCORE_SCALE + 1, problem.n_arcs)
    solution = solve_assignment_goal(
        problem, "stable", "min_cost_flow",
        left_view=left / SCORE_SCALE, right_view=right / SCORE_SCALE,
    )  # fmt: skip
    chosen = solution.chosen_arcs
    assert (
        np.bincount(problem.arc_left[chosen], minlength=problem.n_left) <= problem.left_demand
    ).all()
    assert (
        np.bincount(problem.arc_right[chosen], minlength=problem.n_right) <= problem.right_capacity
    ).all()
    assert blocking_by_views(problem, chosen, left, right) == []
    # The objective is the real scores' total, whatever the rankings.
    assert solution.objective == pytest.approx(float(problem.arc_weight[chosen].sum()))


@pytest.mark.parametrize("goal", ["coverage", "total"])
@EXAMPLES
@given(data=random_instances(max_left=10, max_right=8, demand=(0, 3), capacity=(0, 3)))
def test_coverage_and_total_are_the_methods_own(goal: str, data: Instance) -> None:
    problem = data.problem
    direct = solve_assignment(
        AssignmentProblem(
            left_demand=problem.left_demand, right_capacity=problem.right_capacity,
            arc_left=problem.arc_left, arc_right=problem.arc_right,
            arc_weight=problem.arc_weight, objective=Objective(goal),
        ),
        "min_cost_flow",
    )  # fmt: skip
    routed = solve_assignment_goal(problem, goal, "min_cost_flow")
    assert routed.assigned == direct.assigned
    assert routed.objective == pytest.approx(direct.objective)


def test_unknown_objective_names_the_known_ones() -> None:
    assert check_goal("fair") == "fair"
    with pytest.raises(ValueError, match="coverage, total, fair, stable"):
        check_goal("happiest")
    assert GOALS[0] == "coverage"


def _people_first_best(problem: AssignmentProblem) -> tuple[int, int, int]:
    """Brute force over every set of arcs within demand and capacity: the best
    (people with at least one partner, places filled, total integer weight)."""
    weights = problem.integer_weights()
    best = (0, 0, 0)
    for size in range(problem.n_arcs + 1):
        for arcs in itertools.combinations(range(problem.n_arcs), size):
            chosen = np.array(arcs, dtype=np.int64)
            left = np.bincount(problem.arc_left[chosen], minlength=problem.n_left)
            right = np.bincount(problem.arc_right[chosen], minlength=problem.n_right)
            if (left > problem.left_demand).any() or (right > problem.right_capacity).any():
                continue
            best = max(best, (int((left > 0).sum()), size, int(weights[chosen].sum())))
    return best


@settings(DETERMINISTIC, max_examples=150)
@given(random_instances(max_left=5, max_right=4, demand=(0, 3), capacity=(0, 3), min_nodes=1))
def test_people_first_places_the_most_people_then_places_then_score(instance: Instance) -> None:
    """``people``: as many askers with at least one partner as possible, then as many
    places as possible, then the highest total: brute force over every assignment."""
    problem = instance.problem
    if problem.n_arcs > 11:
        return  # 2^11 subsets at most for the oracle
    solution = solve_assignment_goal(problem, "people", "pruned_flow")
    chosen = solution.chosen_arcs
    left = np.bincount(problem.arc_left[chosen], minlength=problem.n_left)
    right = np.bincount(problem.arc_right[chosen], minlength=problem.n_right)
    assert (left <= problem.left_demand).all()
    assert (right <= problem.right_capacity).all()
    assert len(set(chosen.tolist())) == chosen.shape[0]
    got = (
        int((left > 0).sum()),
        int(chosen.shape[0]),
        int(problem.integer_weights()[chosen].sum()),
    )
    assert got == _people_first_best(problem)
    assert solution.status is Status.OPTIMAL


def test_people_first_gives_everyone_one_before_anyone_a_second() -> None:
    """Two askers wanting two each, one offerer with two places: coverage may give one
    asker both places (same count, higher total); people gives each one."""
    problem = AssignmentProblem(
        left_demand=np.array([2, 2]), right_capacity=np.array([1, 1]),
        arc_left=np.array([0, 0, 1]), arc_right=np.array([0, 1, 0]),
        arc_weight=np.array([1.0, 1.0, 0.1]),
    )  # fmt: skip
    coverage = solve_assignment_goal(problem, "coverage", "pruned_flow")
    people = solve_assignment_goal(problem, "people", "pruned_flow")
    assert sorted(coverage.chosen_arcs.tolist()) == [0, 1]  # asker 0 takes both places
    assert sorted(people.chosen_arcs.tolist()) == [1, 2]  # one each
