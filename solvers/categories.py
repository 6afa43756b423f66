"""Exact assignment with per-group demand and capacity (mentor and mentee categories).

In programmes such as CIERA's a mentee asks for a number of mentors of EACH kind (1
graduate + 1 faculty), and a mentor of one kind takes up to a number of mentees of each kind
(2 undergraduates, 1 graduate) and a total. Totals alone cannot say that, so every node owns
groups with their own capacity and every arc passes through one group on each side: the arc
mentee i -> mentor j uses i's group "mentors of j's kind" and j's group "mentees of i's
kind". The totals still bind on top of the groups (a mentee wanting 1 + 1 + 1 may cap the
sum at 2). One group per node with capacity = total is the plain ``AssignmentProblem``
(``GroupedAssignmentProblem.ungrouped``).

Groups keep the problem a flow: source -> left node -> left group -> right group -> right
node -> sink is a network whose integral flows are exactly the valid assignments, so
min-cost flow solves it exactly, like ``solvers.mincostflow``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from solvers.mincostflow import solve_network
from solvers.problem import (
    AssignmentProblem,
    FloatArray,
    IntArray,
    Objective,
    ProblemError,
    integer_scores,
)
from solvers.solution import Solution

_INTEGER_FIELDS = (
    "left_demand",
    "right_capacity",
    "arc_left",
    "arc_right",
    "arc_left_group",
    "arc_right_group",
    "left_group_owner",
    "left_group_capacity",
    "right_group_owner",
    "right_group_capacity",
)


@dataclass(frozen=True)
class GroupedAssignmentProblem:
    """``AssignmentProblem`` plus groups: per-node sub-capacities that each arc passes.

    Left group ``g`` belongs to left node ``left_group_owner[g]`` and takes at most
    ``left_group_capacity[g]`` arcs; likewise right group ``h``. Arc ``k`` joins
    ``arc_left[k]`` and ``arc_right[k]`` through groups ``arc_left_group[k]`` and
    ``arc_right_group[k]``, which must be owned by those two nodes. A chosen set of arcs is
    valid when no node total and no group capacity is exceeded; each arc is used at most
    once. A node may own any number of groups (none: it has no arcs).
    """

    left_demand: IntArray
    right_capacity: IntArray
    arc_left: IntArray
    arc_right: IntArray
    arc_weight: FloatArray
    arc_left_group: IntArray
    arc_right_group: IntArray
    left_group_owner: IntArray
    left_group_capacity: IntArray
    right_group_owner: IntArray
    right_group_capacity: IntArray
    objective: Objective = Objective.COVERAGE

    def __post_init__(self) -> None:
        for name in _INTEGER_FIELDS:
            value = np.asarray(getattr(self, name))
            # An empty list becomes float64; an index array of floats is a caller's bug.
            if value.size and not np.issubdtype(value.dtype, np.integer):
                raise ProblemError(f"{name} must hold integers, got dtype {value.dtype}")
            object.__setattr__(self, name, value.astype(np.int64, copy=False))
        # The totals, arcs, weights and objective obey the ungrouped rules: reuse them.
        flat = AssignmentProblem(
            left_demand=self.left_demand,
            right_capacity=self.right_capacity,
            arc_left=self.arc_left,
            arc_right=self.arc_right,
            arc_weight=self.arc_weight,
            objective=self.objective,
        )
        object.__setattr__(self, "arc_weight", flat.arc_weight)
        object.__setattr__(self, "objective", flat.objective)
        for name in _INTEGER_FIELDS[4:]:
            if getattr(self, name).ndim != 1:
                shape = getattr(self, name).shape
                raise ProblemError(f"{name} must be one-dimensional, got shape {shape}")
        n_arcs = self.n_arcs
        if self.arc_left_group.shape[0] != n_arcs or self.arc_right_group.shape[0] != n_arcs:
            raise ProblemError("arc_left_group and arc_right_group must have one entry per arc")
        if self.left_group_owner.shape[0] != self.left_group_capacity.shape[0]:
            raise ProblemError("left_group_owner and left_group_capacity must have the same length")
        if self.right_group_owner.shape[0] != self.right_group_capacity.shape[0]:
            raise ProblemError(
                "right_group_owner and right_group_capacity must have the same length"
            )
        if (self.left_group_capacity < 0).any() or (self.right_group_capacity < 0).any():
            raise ProblemError("group capacities must be >= 0")
        _check_indices("left_group_owner", self.left_group_owner, self.n_left)
        _check_indices("right_group_owner", self.right_group_owner, self.n_right)
        _check_indices("arc_left_group", self.arc_left_group, self.n_left_groups)
        _check_indices("arc_right_group", self.arc_right_group, self.n_right_groups)
        if (self.left_group_owner[self.arc_left_group] != self.arc_left).any():
            raise ProblemError("an arc's left group belongs to another left node")
        if (self.right_group_owner[self.arc_right_group] != self.arc_right).any():
            raise ProblemError("an arc's right group belongs to another right node")

    @classmethod
    def ungrouped(cls, problem: AssignmentProblem) -> GroupedAssignmentProblem:
        """The same problem with one group per node holding the node's whole total.

        Lets the plain track run on this solver: the groups add no constraint.
        """
        left_nodes = np.arange(problem.n_left, dtype=np.int64)
        right_nodes = np.arange(problem.n_right, dtype=np.int64)
        return cls(
            left_demand=problem.left_demand,
            right_capacity=problem.right_capacity,
            arc_left=problem.arc_left,
            arc_right=problem.arc_right,
            arc_weight=problem.arc_weight,
            arc_left_group=problem.arc_left,
            arc_right_group=problem.arc_right,
            left_group_owner=left_nodes,
            left_group_capacity=problem.left_demand,
            right_group_owner=right_nodes,
            right_group_capacity=problem.right_capacity,
            objective=problem.objective,
        )

    @property
    def n_left(self) -> int:
        return int(self.left_demand.shape[0])

    @property
    def n_right(self) -> int:
        return int(self.right_capacity.shape[0])

    @property
    def n_arcs(self) -> int:
        return int(self.arc_left.shape[0])

    @property
    def n_left_groups(self) -> int:
        return int(self.left_group_capacity.shape[0])

    @property
    def n_right_groups(self) -> int:
        return int(self.right_group_capacity.shape[0])

    def integer_weights(self) -> IntArray:
        """The weights the solver optimises (see ``SCORE_SCALE``), as ``AssignmentProblem``."""
        return integer_scores(self.arc_weight)


def _check_indices(name: str, indices: IntArray, size: int) -> None:
    if indices.shape[0] and (indices.min() < 0 or indices.max() >= size):
        raise ProblemError(f"{name} holds an index outside 0..{size - 1}")


def solve_grouped_assignment(
    problem: GroupedAssignmentProblem, *, time_limit: float | None = None, seed: int = 0
) -> Solution:
    """Solve exactly; ``time_limit`` and ``seed`` are accepted for the common signature.

    Network: source -> left node (capacity = demand) -> left group (group capacity) -> right
    group (one unit per arc) -> right node (group capacity) -> sink (capacity = capacity).
    Costs and objectives as ``solve_min_cost_flow``: for ``COVERAGE`` the flow is maximised
    first and each unit costs ``SCORE_SCALE - w``, so among maximum flows the cheapest has
    the highest total weight. For ``TOTAL`` each unit costs ``-w`` and a free source -> sink
    bypass lets units stay unassigned.
    """
    del time_limit, seed  # Polynomial and deterministic: neither applies.
    started = time.perf_counter()
    n_left, n_right = problem.n_left, problem.n_right
    n_left_groups, n_right_groups = problem.n_left_groups, problem.n_right_groups
    # Node numbering: left nodes, left groups, right groups, right nodes, source, sink.
    left_group_base = n_left
    right_group_base = left_group_base + n_left_groups
    right_base = right_group_base + n_right_groups
    source = right_base + n_right
    sink = source + 1
    weights = problem.integer_weights()
    total_demand = int(problem.left_demand.sum())

    # Data: arcs in bulk, middle arcs first so that arc k of the problem is arc k here.
    left_nodes = np.arange(n_left, dtype=np.int64)
    left_groups = left_group_base + np.arange(n_left_groups, dtype=np.int64)
    right_groups = right_group_base + np.arange(n_right_groups, dtype=np.int64)
    right_nodes = right_base + np.arange(n_right, dtype=np.int64)
    tails = np.concatenate(
        [
            left_group_base + problem.arc_left_group,
            np.full(n_left, source),
            problem.left_group_owner,
            right_groups,
            right_nodes,
        ]
    )
    heads = np.concatenate(
        [
            right_group_base + problem.arc_right_group,
            left_nodes,
            left_groups,
            right_base + problem.right_group_owner,
            np.full(n_right, sink),
        ]
    )
    capacities = np.concatenate(
        [
            problem.left_demand,
            problem.left_group_capacity,
            problem.right_group_capacity,
            problem.right_capacity,
        ]
    )
    return solve_network(
        method="grouped_min_cost_flow", tails=tails, heads=heads, capacities=capacities,
        source=source, sink=sink, weights=weights, arc_weight=problem.arc_weight,
        total_demand=total_demand, objective=problem.objective, started=started,
    )  # fmt: skip


__all__ = ["GroupedAssignmentProblem", "solve_grouped_assignment"]
