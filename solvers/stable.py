"""Stable assignment: left-proposing deferred acceptance, and a blocking-pair count.

A stable assignment leaves no pair who would both rather be together than with what they
got: nobody has a reason to go around the coordinator. Preferences come from weights:
left node ``i`` ranks its arcs by ``arc_weight`` (its view), right node ``j`` by
``right_weight`` (its own view, by default the same weights), ties broken by the other
side's index so the order is strict and the result deterministic. With demands and
capacities above one this is the many-to-many (responsive) case; left-proposing deferred
acceptance gives the stable assignment every left node likes best (Roth and Sotomayor).

The proposals run in rounds, vectorised: every left node short of partners proposes to
its next best arcs at once, every right node keeps its best ``capacity`` among what it
holds and what it was offered. Each arc is proposed at most once.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from solvers.problem import SCORE_SCALE, AssignmentProblem, IntArray
from solvers.solution import Solution, Status

BoolArray = npt.NDArray[np.bool_]


def solve_stable(
    problem: AssignmentProblem, *, right_weight: npt.NDArray[np.float64] | None = None
) -> Solution:
    """Left-proposing deferred acceptance. Status ``feasible``: stability is its
    guarantee (checked by ``blocking_pairs``), not an optimal total."""
    started = time.perf_counter()
    n_arcs = problem.n_arcs
    left_rank, right_rank = _ranks(problem, right_weight)

    # Each left node's arcs in its order of preference, as one contiguous run.
    by_left = np.lexsort((left_rank, problem.arc_left))
    starts = np.searchsorted(problem.arc_left[by_left], np.arange(problem.n_left))
    ends = np.searchsorted(problem.arc_left[by_left], np.arange(problem.n_left), side="right")
    pointer = starts.copy()
    demand, capacity = problem.left_demand, problem.right_capacity
    held = np.zeros(n_arcs, dtype=bool)
    holding = np.zeros(problem.n_left, dtype=np.int64)

    while True:
        # Every left node short of partners offers its next (demand - holding) arcs.
        want = np.minimum(demand - holding, ends - pointer)
        want = np.maximum(want, 0)
        proposers = np.flatnonzero(want)
        if proposers.shape[0] == 0:
            break
        counts = want[proposers]
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        offered = by_left[np.repeat(pointer[proposers], counts) + offsets]
        pointer[proposers] += counts

        # Every right node keeps its best ``capacity`` of what it holds and was offered.
        candidates = np.concatenate([np.flatnonzero(held), offered])
        order = np.lexsort((right_rank[candidates], problem.arc_right[candidates]))
        candidates = candidates[order]
        rights = problem.arc_right[candidates]
        first = np.searchsorted(rights, rights)  # the group's start, as rights are sorted
        keep = np.arange(candidates.shape[0]) - first < capacity[rights]
        held[candidates] = keep
        holding = np.bincount(problem.arc_left[held], minlength=problem.n_left)

    chosen = np.flatnonzero(held).astype(np.int64)
    objective = float(problem.arc_weight[chosen].sum())
    return Solution(
        method="stable",
        status=Status.FEASIBLE,
        chosen_arcs=chosen,
        objective=objective,
        assigned=int(chosen.shape[0]),
        bound=None,
        wall_time=time.perf_counter() - started,
    )


def blocking_pairs(
    problem: AssignmentProblem,
    chosen: IntArray,
    *,
    right_weight: npt.NDArray[np.float64] | None = None,
) -> IntArray:
    """The unused arcs whose two ends would both rather have each other: each has a free
    place or strictly prefers the other (by integer weight, no tie-break) to the worst
    partner it got. Works for any assignment, whatever produced it."""
    left_w = problem.integer_weights()
    right_w = left_w if right_weight is None else _integer(right_weight)
    used = np.zeros(problem.n_arcs, dtype=bool)
    used[chosen] = True
    big = np.iinfo(np.int64).max

    left_load = np.bincount(problem.arc_left[used], minlength=problem.n_left)
    right_load = np.bincount(problem.arc_right[used], minlength=problem.n_right)
    left_worst = np.full(problem.n_left, big)
    np.minimum.at(left_worst, problem.arc_left[used], left_w[used])
    right_worst = np.full(problem.n_right, big)
    np.minimum.at(right_worst, problem.arc_right[used], right_w[used])

    left_open = left_load[problem.arc_left] < problem.left_demand[problem.arc_left]
    right_open = right_load[problem.arc_right] < problem.right_capacity[problem.arc_right]
    left_wants = left_open | (left_w > left_worst[problem.arc_left])
    right_wants = right_open | (right_w > right_worst[problem.arc_right])
    # A node with no place at all (demand or capacity 0) wants nobody.
    left_wants &= problem.left_demand[problem.arc_left] > 0
    right_wants &= problem.right_capacity[problem.arc_right] > 0
    blocking: IntArray = np.flatnonzero(~used & left_wants & right_wants).astype(np.int64)
    return blocking


def _integer(weights: npt.NDArray[np.float64]) -> IntArray:
    return np.rint(np.asarray(weights, dtype=np.float64) * SCORE_SCALE).astype(np.int64)


def _ranks(
    problem: AssignmentProblem, right_weight: npt.NDArray[np.float64] | None
) -> tuple[IntArray, IntArray]:
    """Strict ranks (0 = best) of every arc in its left node's and right node's order."""
    left_w = problem.integer_weights()
    right_w = left_w if right_weight is None else _integer(right_weight)
    if right_w.shape != left_w.shape:
        raise ValueError("right_weight must have one weight per arc")
    n = problem.n_arcs
    # Higher weight first; among equals the lower index on the other side.
    left_rank = np.empty(n, dtype=np.int64)
    left_rank[np.lexsort((problem.arc_right, -left_w, problem.arc_left))] = np.arange(n)
    right_rank = np.empty(n, dtype=np.int64)
    right_rank[np.lexsort((problem.arc_left, -right_w, problem.arc_right))] = np.arange(n)
    return left_rank, right_rank
