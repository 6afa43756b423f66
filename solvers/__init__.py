"""Pure optimisation on numbers. Never imports ``matcher``."""

from __future__ import annotations

from typing import Protocol

from solvers.categories import GroupedAssignmentProblem, solve_grouped_assignment
from solvers.circles import CIRCLE_METHODS, CircleProblem, CircleSolution, solve_circles
from solvers.greedy import solve_greedy
from solvers.mincostflow import SolverFailureError, solve_min_cost_flow
from solvers.pairing import PAIRING_METHODS, PairingProblem, solve_pairing
from solvers.problem import SCORE_SCALE, AssignmentProblem, Objective, ProblemError
from solvers.pruned import solve_pruned_flow
from solvers.solution import Solution, Status, UnknownMethodError, pick_method


class AssignmentSolver(Protocol):
    def __call__(
        self, problem: AssignmentProblem, *, time_limit: float | None = ..., seed: int = ...
    ) -> Solution: ...


#: Every assignment method by name. An unknown name is an error, never a fallback.
ASSIGNMENT_METHODS: dict[str, AssignmentSolver] = {
    "min_cost_flow": solve_min_cost_flow,
    "greedy": solve_greedy,
    "pruned_flow": solve_pruned_flow,
}


def solve_assignment(
    problem: AssignmentProblem,
    method: str = "min_cost_flow",
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> Solution:
    """Solve ``problem`` with the named method."""
    solver = pick_method(ASSIGNMENT_METHODS, method, "assignment")
    return solver(problem, time_limit=time_limit, seed=seed)


__all__ = [
    "ASSIGNMENT_METHODS",
    "CIRCLE_METHODS",
    "PAIRING_METHODS",
    "SCORE_SCALE",
    "AssignmentProblem",
    "AssignmentSolver",
    "CircleProblem",
    "CircleSolution",
    "GroupedAssignmentProblem",
    "Objective",
    "PairingProblem",
    "ProblemError",
    "Solution",
    "SolverFailureError",
    "Status",
    "UnknownMethodError",
    "solve_assignment",
    "solve_circles",
    "solve_grouped_assignment",
    "solve_pairing",
]
