"""What a coordinator asks a track to optimise, routed to the method that does it.

``coverage`` and ``total`` are the problem's own objectives, solved by the configured
method. ``fair`` raises the worst-off pair first (bottleneck: binary search on a threshold,
exact), then the total. ``stable`` leaves no pair who would both rather be together.
``people`` gives as many askers as possible a first partner before anyone a second
(``solvers.people``); for peers, where each person has at most one partner, it is
``coverage``.

For peer pairs (one pool) the two special objectives take their own routes:

- ``stable``: peer scores are symmetric (one score per pair, seen the same from both
  sides), so taking pairs heaviest first while both are free is stable: an unchosen pair
  lost to a pair at least as heavy on one side, so that side does not strictly prefer it.
  It is the unique stable pairing when scores are distinct. (With asymmetric rankings a
  stable pairing may not exist at all: the stable roommates problem.)
- ``fair``: the highest threshold at which a pairing may use only pairs at or above it and
  still make as many pairs as the best pairing overall (binary search, one exact pairing
  per step), then the best pairing above it.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from solvers.categories import GroupedAssignmentProblem
from solvers.fair import highest_level, solve_fair
from solvers.pairing import PairingProblem, solve_pairing, solve_pairing_greedy
from solvers.people import solve_people_first
from solvers.problem import AssignmentProblem, IntArray, Objective
from solvers.solution import Solution, Status
from solvers.stable import solve_stable

Goal = Literal["coverage", "total", "fair", "stable", "people"]
Bool = npt.NDArray[np.bool_]
_Fixable = AssignmentProblem | GroupedAssignmentProblem
#: Every objective a coordinator can choose, the default first.
GOALS: tuple[Goal, ...] = get_args(Goal)


def check_goal(goal: str) -> Goal:
    """The objective by name; an unknown name is an error naming the known ones."""
    for known in GOALS:
        if goal == known:
            return known
    raise ValueError(f"unknown objective {goal!r}; known: {', '.join(GOALS)}")


def solve_assignment_goal(
    problem: AssignmentProblem,
    goal: str,
    method: str,
    *,
    left_view: npt.NDArray[np.float64] | None = None,
    right_view: npt.NDArray[np.float64] | None = None,
    time_limit: float | None = None,
    seed: int = 0,
) -> Solution:
    """Solve a bipartite track for ``goal``. ``left_view``/``right_view``: how each side
    ranks its arcs for ``stable`` (default: the arc weights, as both see them)."""
    from solvers import solve_assignment  # the registry lives in the package

    chosen = check_goal(goal)
    if chosen in ("coverage", "total"):
        problem = dataclasses.replace(problem, objective=Objective(chosen))
        return solve_assignment(problem, method, time_limit=time_limit, seed=seed)
    if chosen == "people":
        return solve_people_first(problem, time_limit=time_limit, seed=seed)
    if chosen == "fair":
        return solve_fair(problem, time_limit=time_limit, seed=seed)
    started = time.perf_counter()
    ranked = problem if left_view is None else dataclasses.replace(problem, arc_weight=left_view)
    stable = solve_stable(ranked, right_weight=right_view)
    # The total is reported in the real scores, whatever the rankings were.
    return Solution.from_arcs(
        "stable", Status.FEASIBLE, stable.chosen_arcs, problem.arc_weight, started
    )


def solve_pairing_goal(
    problem: PairingProblem,
    goal: str,
    method: str,
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> Solution:
    """Pair one pool for ``goal`` (see the module doc for ``fair`` and ``stable``)."""
    chosen = check_goal(goal)
    if chosen in ("coverage", "total", "people"):  # one partner each: people is coverage
        objective = Objective.TOTAL if chosen == "total" else Objective.COVERAGE
        problem = dataclasses.replace(problem, objective=objective)
        return solve_pairing(problem, method, time_limit=time_limit, seed=seed)
    started = time.perf_counter()
    if chosen == "stable":
        greedy = solve_pairing_greedy(problem)
        return Solution.from_arcs(
            "stable", Status.FEASIBLE, greedy.chosen_arcs, problem.arc_weight, started
        )
    return _fair_pairing(problem, method, started, time_limit=time_limit, seed=seed)


def _fair_pairing(
    problem: PairingProblem, method: str, started: float, *, time_limit: float | None, seed: int
) -> Solution:
    """Bottleneck pairing: the most pairs first, then the highest lowest pair, then the
    highest total; exact when ``method`` is exact (one pairing per binary-search step)."""
    coverage = dataclasses.replace(problem, objective=Objective.COVERAGE)

    def solve_above(level: int) -> tuple[Solution, npt.NDArray[np.int64]]:
        keep = np.flatnonzero(weights >= level)
        sub = dataclasses.replace(
            coverage,
            arc_u=coverage.arc_u[keep],
            arc_v=coverage.arc_v[keep],
            arc_weight=coverage.arc_weight[keep],
        )
        return solve_pairing(sub, method, time_limit=time_limit, seed=seed), keep

    weights = problem.integer_weights()
    levels = np.unique(weights)
    if levels.shape[0] == 0:
        return Solution.from_arcs("fair", Status.OPTIMAL, [], problem.arc_weight, started)
    # Every level the search settles on was solved: the lowest here, the others in allows.
    found = {int(levels[0]): solve_above(int(levels[0]))}
    most = found[int(levels[0])][0].assigned

    def allows(level: int) -> bool:
        found[level] = solve_above(level)
        return found[level][0].assigned == most

    level = int(levels[highest_level(levels, allows)])
    best, keep = found[level]
    status = Status.OPTIMAL if best.status is Status.OPTIMAL else Status.FEASIBLE
    return Solution.from_arcs("fair", status, keep[best.chosen_arcs], problem.arc_weight, started)


def _without(problem: _Fixable, fixed: IntArray) -> tuple[dict[str, Any], Bool]:
    """The fields every assignment problem changes when ``fixed`` arcs are made."""
    keep = np.ones(problem.n_arcs, dtype=bool)
    keep[fixed] = False
    fields: dict[str, Any] = {
        "left_demand": problem.left_demand
        - np.bincount(problem.arc_left[fixed], minlength=problem.n_left),
        "right_capacity": problem.right_capacity
        - np.bincount(problem.arc_right[fixed], minlength=problem.n_right),
        "arc_left": problem.arc_left[keep],
        "arc_right": problem.arc_right[keep],
        "arc_weight": problem.arc_weight[keep],
    }
    return fields, keep


def fix_arcs(problem: AssignmentProblem, fixed: IntArray) -> tuple[AssignmentProblem, IntArray]:
    """The problem left once the ``fixed`` arcs are made (pins): each of their ends has
    one unit less and they leave the graph. Returns it and its arcs' original indices;
    its optimum plus the fixed arcs is the optimum among assignments that use them."""
    fields, keep = _without(problem, fixed)
    return dataclasses.replace(problem, **fields), np.flatnonzero(keep).astype(np.int64)


def fix_grouped_arcs(
    problem: GroupedAssignmentProblem, fixed: IntArray
) -> tuple[GroupedAssignmentProblem, IntArray]:
    """``fix_arcs`` for per-kind problems: the groups of the fixed arcs lose a unit too."""
    fields, keep = _without(problem, fixed)
    left_groups, right_groups = problem.left_group_capacity, problem.right_group_capacity
    rest = dataclasses.replace(
        problem,
        **fields,
        arc_left_group=problem.arc_left_group[keep],
        arc_right_group=problem.arc_right_group[keep],
        left_group_capacity=left_groups
        - np.bincount(problem.arc_left_group[fixed], minlength=left_groups.size),
        right_group_capacity=right_groups
        - np.bincount(problem.arc_right_group[fixed], minlength=right_groups.size),
    )
    return rest, np.flatnonzero(keep).astype(np.int64)


def with_fixed(
    rest: Solution, kept: IntArray, fixed: IntArray, arc_weight: npt.NDArray[np.float64]
) -> Solution:
    """The solution of the whole problem: the rest's arcs (back in the original indices)
    plus the fixed ones; what the rest's solver proved holds given the fixed arcs."""
    started = time.perf_counter() - rest.wall_time
    chosen = np.concatenate([kept[rest.chosen_arcs], fixed])
    bound = None
    if rest.bound is not None:
        bound = rest.bound + float(arc_weight[fixed].sum())
    return Solution.from_arcs(rest.method, rest.status, chosen, arc_weight, started, bound)
