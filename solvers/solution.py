"""The typed result every solver returns."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import numpy as np
import numpy.typing as npt


class Status(StrEnum):
    """What a solver proved about its answer."""

    #: Proven optimal (exact flow, or a bound equal to the objective).
    OPTIMAL = "optimal"
    #: A valid assignment without proof of optimality; see ``bound`` and ``gap``.
    FEASIBLE = "feasible"
    #: No valid assignment exists.
    INFEASIBLE = "infeasible"
    #: The time limit ran out before any valid assignment was found.
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class Solution:
    """An assignment: which arcs are used, and what is known about its quality.

    ``objective`` is the total of the chosen arcs' original weights; ``assigned`` the number
    of chosen arcs. ``bound`` is an upper bound on the best total weight among solutions
    with the same coverage, when the method has one (for exact methods it equals the
    objective, up to the integer scaling of weights).
    """

    method: str
    status: Status
    chosen_arcs: npt.NDArray[np.int64]
    objective: float
    assigned: int
    bound: float | None
    wall_time: float

    @classmethod
    def from_arcs(
        cls,
        method: str,
        status: Status,
        chosen: npt.ArrayLike,
        arc_weight: npt.NDArray[np.float64],
        started: float,
        bound: float | None = None,
    ) -> Solution:
        """The solution of the ``chosen`` arcs (sorted), its total and count read off them;
        an optimal solution is its own bound. ``started``: ``time.perf_counter()`` at the
        start of the solve."""
        arcs = np.sort(np.asarray(chosen, dtype=np.int64))
        objective = float(arc_weight[arcs].sum())
        return cls(
            method=method,
            status=status,
            chosen_arcs=arcs,
            objective=objective,
            assigned=int(arcs.shape[0]),
            bound=objective if status is Status.OPTIMAL else bound,
            wall_time=time.perf_counter() - started,
        )

    @property
    def gap(self) -> float | None:
        """Relative gap between the bound and the objective (0 when proven optimal)."""
        if self.bound is None:
            return None
        if self.bound == 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / abs(self.bound))


class UnknownMethodError(ValueError):
    """A method name that is not in the registry."""


_Method = TypeVar("_Method")


def pick_method(
    registry: Mapping[str, _Method],
    method: str,
    kind: str,
    error: type[UnknownMethodError] = UnknownMethodError,
) -> _Method:
    """The registered method by name; an unknown name is an error, never a fallback."""
    try:
        return registry[method]
    except KeyError:
        known = ", ".join(sorted(registry))
        raise error(f"unknown {kind} method {method!r}; known: {known}") from None
