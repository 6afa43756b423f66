"""Numeric problem types. Solvers see arrays only: no people, no ids."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from solvers import parallel

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Scores are optimised as integers: ``round(weight * SCORE_SCALE)``. A weight in [0, 1]
#: becomes 0..10_000, so two solutions closer than 1e-4 per pair may tie. Solutions are
#: exactly optimal for the rounded weights (documented in the README).
SCORE_SCALE = 10_000


#: Weights converted at once by ``integer_scores``: its scratch stays a few MB.
CONVERT_CHUNK = 1 << 19
#: Arcs an ``AssignmentProblem`` checks at once (2 MB of int64 scratch).
CHECK_CHUNK = parallel.SCRATCH_ARCS


def integer_scores(
    weights: npt.ArrayLike, dtype: type[np.signedinteger[Any]] = np.int64
) -> npt.NDArray[np.signedinteger[Any]]:
    """Weights in [0, 1] as the integers solvers optimise (see ``SCORE_SCALE``); int64
    unless ``dtype`` says otherwise (int32 holds them too, in half the memory).

    A chunk at a time into the result: the whole-array product, rounding and cast held
    three arrays of every arc at once (200 MB at 8.3 M arcs, a third of a run's peak).
    """
    values = np.asarray(weights, dtype=np.float64)
    scores = np.empty(values.shape, dtype=dtype)
    flat_in, flat_out = values.reshape(-1), scores.reshape(-1)

    def convert(at: slice) -> None:  # on the run's threads: each writes its own slice
        part = flat_in[at] * SCORE_SCALE
        flat_out[at] = np.rint(part, out=part)

    parallel.map_blocks(convert, parallel.chunks(flat_in.shape[0], CONVERT_CHUNK))
    return scores


class Objective(StrEnum):
    """What an assignment maximises."""

    #: As many (left, right) units assigned as possible, then the highest total weight.
    COVERAGE = "coverage"
    #: The highest total weight; a unit stays unassigned when that helps the total.
    TOTAL = "total"


class ProblemError(ValueError):
    """The numbers given to a solver are inconsistent (shapes, negative capacities...)."""


def as_objective(value: str) -> Objective:
    """An ``Objective`` from itself or its name; a ``ProblemError`` for anything else."""
    try:
        return Objective(value)
    except ValueError:
        known = ", ".join(o.value for o in Objective)
        raise ProblemError(f"unknown objective {value!r}; known: {known}") from None


@dataclass(frozen=True)
class AssignmentProblem:
    """Capacitated bipartite assignment on a sparse candidate graph.

    Left node ``i`` wants ``left_demand[i]`` partners, right node ``j`` takes at most
    ``right_capacity[j]``; arc ``k`` joins ``arc_left[k]`` and ``arc_right[k]`` with weight
    ``arc_weight[k]`` in [0, 1] and can be used once (the same two never pair twice).
    """

    left_demand: IntArray
    right_capacity: IntArray
    arc_left: IntArray
    arc_right: IntArray
    arc_weight: FloatArray
    objective: Objective = Objective.COVERAGE

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", as_objective(self.objective))
        for name in ("left_demand", "right_capacity", "arc_left", "arc_right", "arc_weight"):
            value = np.asarray(getattr(self, name))
            if value.ndim != 1:
                raise ProblemError(f"{name} must be one-dimensional, got shape {value.shape}")
            object.__setattr__(self, name, value)
        n_arcs = self.arc_left.shape[0]
        if self.arc_right.shape[0] != n_arcs or self.arc_weight.shape[0] != n_arcs:
            raise ProblemError("arc_left, arc_right and arc_weight must have the same length")
        if (self.left_demand < 0).any() or (self.right_capacity < 0).any():
            raise ProblemError("demands and capacities must be >= 0")
        if n_arcs:
            # Chunks on the run's threads (0.15 -> 0.07 s at 8 M arcs), each chunk's
            # scratch a few MB; a chunk passes if each check holds for its arcs.
            passes = parallel.map_blocks(self._arcs_pass, parallel.chunks(n_arcs, CHECK_CHUNK))
            checks = (all(c) for c in zip(*passes, strict=True))
            left_ok, right_ok, finite, in_unit, ordered = checks
            if not left_ok:
                raise ProblemError("arc_left holds an index outside 0..n_left-1")
            if not right_ok:
                raise ProblemError("arc_right holds an index outside 0..n_right-1")
            if not finite:
                raise ProblemError("arc_weight must be finite")
            if not in_unit:
                raise ProblemError("arc_weight must lie in [0, 1]")
            if not ordered:
                key = self.arc_left * max(self.n_right, 1) + self.arc_right
                key.sort()
                if (key[1:] == key[:-1]).any():
                    raise ProblemError("an arc (left, right) appears twice")

    def _arcs_pass(self, part: slice) -> tuple[bool, bool, bool, bool, bool]:
        """For the arcs in ``part``: indices in range, weights finite, weights in [0, 1],
        and (left, right) strictly increasing from the arc before the chunk on. Arcs
        from scoring come in that order, so the sort that finds duplicates otherwise
        (0.2 s at 8 M arcs, np.unique ~50x slower) is rarely run."""
        left, right = self.arc_left[part], self.arc_right[part]
        weight = self.arc_weight[part]
        finite = bool(np.isfinite(weight).all())
        before = slice(max(part.start - 1, 0), part.stop)
        key = self.arc_left[before] * max(self.n_right, 1)
        key += self.arc_right[before]
        return (
            bool(left.min() >= 0) and bool(left.max() < self.n_left),
            bool(right.min() >= 0) and bool(right.max() < self.n_right),
            finite,
            finite and bool(weight.min() >= 0) and bool(weight.max() <= 1),
            bool((key[1:] > key[:-1]).all()),
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

    def integer_weights(self) -> IntArray:
        """The weights the solvers optimise (see ``SCORE_SCALE``)."""
        return integer_scores(self.arc_weight)
