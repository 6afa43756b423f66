"""The coordinator's spreadsheet method: highest match % first. A baseline, not a method
we recommend: it gives no bound and can strand people an exact method would place."""

from __future__ import annotations

import time

import numpy as np

from solvers.problem import AssignmentProblem
from solvers.solution import Solution, Status

#: Arcs looked at together by ``solve_greedy``.
_CHUNK = 1 << 14


def solve_greedy(
    problem: AssignmentProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """Take arcs by decreasing weight while both ends have room (ties by arc order)."""
    del time_limit, seed
    started = time.perf_counter()
    order = np.argsort(-problem.integer_weights(), kind="stable")
    left_room = problem.left_demand.copy()
    right_room = problem.right_capacity.copy()
    arc_left, arc_right = problem.arc_left, problem.arc_right
    chosen: list[int] = []
    # Arc by arc, best first; a chunk's arcs whose ends were already full when the chunk
    # began are dropped first (room only shrinks, so they would be refused anyway): the
    # same choices, without a Python step for each of millions of refused arcs.
    for start in range(0, order.shape[0], _CHUNK):
        block = order[start : start + _CHUNK]
        block = block[(left_room[arc_left[block]] > 0) & (right_room[arc_right[block]] > 0)]
        for k in block.tolist():
            i, j = arc_left[k], arc_right[k]
            if left_room[i] > 0 and right_room[j] > 0:
                left_room[i] -= 1
                right_room[j] -= 1
                chosen.append(k)
        if not left_room.any() or not right_room.any():
            break
    return Solution.from_arcs("greedy", Status.FEASIBLE, chosen, problem.arc_weight, started)
