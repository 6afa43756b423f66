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

from solvers import parallel
from solvers.problem import SCORE_SCALE, AssignmentProblem, IntArray, integer_scores
from solvers.solution import Solution, Status

#: Arcs ``blocking_pairs`` reads at once (its scratch is about 40 bytes an arc).
BLOCKING_CHUNK = parallel.SCRATCH_ARCS

BoolArray = npt.NDArray[np.bool_]


def solve_stable(
    problem: AssignmentProblem, *, right_weight: npt.NDArray[np.float64] | None = None
) -> Solution:
    """Left-proposing deferred acceptance. Status ``feasible``: stability is its
    guarantee (checked by ``blocking_pairs``), not an optimal total."""
    started = time.perf_counter()
    by_left, right_rank = _orders(problem, right_weight)
    starts = np.searchsorted(problem.arc_left[by_left], np.arange(problem.n_left))
    ends = np.searchsorted(problem.arc_left[by_left], np.arange(problem.n_left), side="right")
    pointer = starts.copy()
    demand, capacity = problem.left_demand, problem.right_capacity
    # Held arcs as indices, never a mask over every arc: a round costs what it touches.
    held = np.zeros(0, dtype=np.int64)
    holding = np.zeros(problem.n_left, dtype=np.int64)

    while True:
        # Every left node short of partners offers its next (demand - holding) arcs.
        want = np.maximum(np.minimum(demand - holding, ends - pointer), 0)
        proposers = np.flatnonzero(want)
        if proposers.shape[0] == 0:
            break
        counts = want[proposers]
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        offered = by_left[np.repeat(pointer[proposers], counts) + offsets]
        pointer[proposers] += counts

        # Every right node keeps its best ``capacity`` of what it holds and was offered.
        candidates = np.concatenate([held, offered])
        candidates = candidates[np.lexsort((right_rank[candidates], problem.arc_right[candidates]))]
        rights = problem.arc_right[candidates]
        first = np.searchsorted(rights, rights)  # the group's start, as rights are sorted
        held = candidates[np.arange(candidates.shape[0]) - first < capacity[rights]]
        holding = np.bincount(problem.arc_left[held], minlength=problem.n_left)

    return Solution.from_arcs("stable", Status.FEASIBLE, held, problem.arc_weight, started)


def blocking_pairs(
    problem: AssignmentProblem,
    chosen: IntArray,
    *,
    right_weight: npt.NDArray[np.float64] | None = None,
) -> IntArray:
    """The unused arcs whose two ends would both rather have each other: each has a free
    place or strictly prefers the other (by integer weight, no tie-break) to the worst
    partner it got. Works for any assignment, whatever produced it.

    Per node first (loads and worst partners, from the chosen arcs), then the arcs a
    chunk at a time on the run's threads: no array of every arc but one bit each.
    """
    used = np.zeros(problem.n_arcs, dtype=bool)
    used[chosen] = True
    taken = np.flatnonzero(used)
    big = np.iinfo(np.int64).max

    def worst(ends: IntArray, weights: npt.NDArray[np.float64], n: int) -> IntArray:
        lowest = np.full(n, big)
        np.minimum.at(lowest, ends[taken], integer_scores(weights[taken]))
        return lowest

    left_weight = problem.arc_weight
    right_view = left_weight if right_weight is None else np.asarray(right_weight)
    left_worst = worst(problem.arc_left, left_weight, problem.n_left)
    right_worst = worst(problem.arc_right, right_view, problem.n_right)
    # Whether a node has a free place, and whether it has any place at all (a node with
    # demand or capacity 0 wants nobody).
    left_open = np.bincount(problem.arc_left[taken], minlength=problem.n_left) < (
        problem.left_demand
    )
    right_open = np.bincount(problem.arc_right[taken], minlength=problem.n_right) < (
        problem.right_capacity
    )
    # Each node's bar as one number: an arc's weight above it makes the node want the
    # other end (no place at all: nothing passes; a free place: anything does), so each
    # chunk reads one value per end instead of three.
    low = np.iinfo(np.int64).min
    left_bar = np.where(problem.left_demand > 0, np.where(left_open, low, left_worst), big)
    right_bar = np.where(problem.right_capacity > 0, np.where(right_open, low, right_worst), big)

    def chunk(arcs: slice) -> IntArray:
        left_w = integer_scores(left_weight[arcs])
        right_w = left_w if right_weight is None else integer_scores(right_view[arcs])
        wants = left_w > left_bar[problem.arc_left[arcs]]
        wants &= right_w > right_bar[problem.arc_right[arcs]]
        wants &= ~used[arcs]
        found: IntArray = np.flatnonzero(wants) + arcs.start
        return found

    parts = parallel.map_blocks(chunk, parallel.chunks(problem.n_arcs, BLOCKING_CHUNK))
    blocking: IntArray = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
    return blocking


def _orders(
    problem: AssignmentProblem, right_weight: npt.NDArray[np.float64] | None
) -> tuple[IntArray, IntArray]:
    """Every left node's arcs in its order of preference (one contiguous run per node,
    higher weight first, ties by the lower right index), and each arc's strict rank in its
    right node's order. One int64 key and one sort each: ``lexsort`` on three keys costs
    ten times more at 10^7 arcs."""
    left_w = problem.integer_weights()
    right_w = left_w if right_weight is None else integer_scores(right_weight)
    if right_w.shape != left_w.shape:
        raise ValueError("right_weight must have one weight per arc")
    levels = SCORE_SCALE + 1
    n_left, n_right = max(problem.n_left, 1), max(problem.n_right, 1)
    left_key = (problem.arc_left * levels + (SCORE_SCALE - left_w)) * n_right + problem.arc_right
    by_left: IntArray = np.argsort(left_key).astype(np.int64)
    right_key = (problem.arc_right * levels + (SCORE_SCALE - right_w)) * n_left + problem.arc_left
    right_rank = np.empty(problem.n_arcs, dtype=np.int64)
    right_rank[np.argsort(right_key)] = np.arange(problem.n_arcs)
    return by_left, right_rank
