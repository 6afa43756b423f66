"""Mentoring circles: themed circle slots, a linear person-to-circle fit, composition rules.

Why this formulation: a pairwise-affinity objective gives CP-SAT a useless bound (gap about
225% in ``MEASUREMENTS.md``). Here every candidate circle slot has a theme and each person
fits a slot with a weight, so the objective is a sum over chosen (person, slot) arcs and
its LP relaxation is tight: aggregated over classes of identical slots (same theme, same
candidates, weights and expert flags), it keeps sizes, experts, mentors, groups and
balance as linear rows. Every method reports that LP bound, computed from the LP duals so
that solver tolerances cannot make it invalid, tightened by CP-SAT's bound whenever one
CP-SAT model covered the whole problem. So the gap means something.

Methods (``CIRCLE_METHODS``): ``cp_sat``, one CP-SAT model (exact; for up to a few hundred
people); ``decomposed``, an LP-guided start, CP-SAT on the whole model when it is small,
then CP-SAT on neighbourhoods of a few themes (2,000 people in 60 s); ``greedy``, the
LP-guided start alone.

Rules of an open circle (a slot is either closed or open with ``min_size..max_size``
members; each person joins at most one circle, only along one of their arcs):

* at most ``max_per_group`` members of any known group (``group == -1`` is never counted);
* at least ``min_experts`` members whose arc to that slot is an expert arc;
* exactly ``mentors_per_circle`` mentors, when it is not None;
* ``max(level) - min(level) >= min_level_spread`` over the members of known level
  (``-1``); a circle with no known level has spread 0;
* balance: at most ``ceil(max_attribute_share * size)`` members share one attribute value
  (``-1``, not opted in, is never counted). ``size`` is the circle's actual size, so "half"
  means half of this circle (rounded up, so that small circles stay possible). The share is
  read as the decimal it prints as (``0.1`` is exactly one tenth).

The empty assignment obeys every rule, so no problem is infeasible: a problem whose rules
no circle can meet (say a mentor per circle and no mentor) gets the empty assignment,
``OPTIMAL`` as soon as the relaxation or CP-SAT proves that nothing better exists (always,
for ``cp_sat``). ``Status.INFEASIBLE`` is never returned. Neither is ``TIMED_OUT``: every
method starts from a valid greedy assignment and returns it (``FEASIBLE``, with the bound)
when the time runs out before CP-SAT finds anything better.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model
from scipy import sparse
from scipy.optimize import linprog

from solvers.mincostflow import SolverFailureError
from solvers.problem import (
    SCORE_SCALE,
    FloatArray,
    IntArray,
    Objective,
    ProblemError,
    as_objective,
    integer_scores,
)
from solvers.solution import Solution, Status, UnknownMethodError, pick_method

BoolArray = npt.NDArray[np.bool_]

#: Seconds a method may run when the caller gives no limit.
DEFAULT_TIME_LIMIT = 60.0
#: Share of the time limit kept for the final checks, so that the whole call fits in it.
RESERVE = 0.01
#: CP-SAT workers. One: parallel workers race, so the same seed could give another answer.
NUM_WORKERS = 1
#: CP-SAT's deterministic time (a count of work, about seconds on a fast machine) allowed
#: per second of the time limit. Every search budget is counted in it, never in wall time,
#: so the same problem and seed give the same circles on any machine; the wall-clock limit
#: stays as a hard cap that binds only on a machine several times slower than CP-SAT's
#: calibration (then the answer may differ, never the rules it keeps).
WORK_PER_SECOND = 0.25
#: Longest single neighbourhood solve, in deterministic time: CP-SAT finds its best within
#: a fraction of a second and would spend seconds proving it, time better spent on other
#: neighbourhoods.
MAX_SUB_SOLVE = 0.25
#: Open circles the greedy start tries for each person left after dealing.
INSERT_TRIES = 10
#: "Lowest level" of a slot with no known level: far above any level, far from overflow.
_NO_LEVEL = 2**40


def _no_ints() -> IntArray:
    return np.empty(0, dtype=np.int64)


def _no_bools() -> BoolArray:
    return np.empty(0, dtype=np.bool_)


@dataclass(frozen=True)
class CircleProblem:
    """Candidate circle slots, the allowed (person, slot) arcs, and the composition rules.

    Per-person arrays (``group``, ``mentor``, ``level``, ``attribute``) and the per-arc
    ``expert`` may be left empty: the data was not collected (unknown / False for all).
    """

    n_people: int
    #: Theme of each candidate slot; several slots may share a theme.
    circle_theme: IntArray
    arc_person: IntArray
    arc_circle: IntArray
    #: Fit of the person to the slot, in [0, 1].
    arc_weight: FloatArray
    min_size: int
    max_size: int
    objective: Objective = Objective.COVERAGE
    group: IntArray = field(default_factory=_no_ints)
    max_per_group: int | None = None
    #: Per arc: the person has expertise in that slot's theme.
    expert: BoolArray = field(default_factory=_no_bools)
    min_experts: int = 0
    mentor: BoolArray = field(default_factory=_no_bools)
    mentors_per_circle: int | None = None
    level: IntArray = field(default_factory=_no_ints)
    min_level_spread: int | None = None
    attribute: IntArray = field(default_factory=_no_ints)
    max_attribute_share: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", as_objective(self.objective))
        if self.n_people < 0:
            raise ProblemError("n_people must be >= 0")
        self._set_array("circle_theme", "iu", np.int64)
        self._set_array("arc_person", "iu", np.int64)
        self._set_array("arc_circle", "iu", np.int64)
        self._set_array("arc_weight", "iuf", np.float64)
        n_arcs = self.n_arcs
        if self.arc_circle.shape[0] != n_arcs or self.arc_weight.shape[0] != n_arcs:
            raise ProblemError("arc_person, arc_circle and arc_weight must have the same length")
        self._set_array("expert", "b", np.bool_, length=n_arcs, fill=False)
        self._set_array("group", "iu", np.int64, length=self.n_people, fill=-1)
        self._set_array("mentor", "b", np.bool_, length=self.n_people, fill=False)
        self._set_array("level", "iu", np.int64, length=self.n_people, fill=-1)
        self._set_array("attribute", "iu", np.int64, length=self.n_people, fill=-1)
        if n_arcs:
            if self.arc_person.min() < 0 or self.arc_person.max() >= self.n_people:
                raise ProblemError("arc_person holds an index outside 0..n_people-1")
            if self.arc_circle.min() < 0 or self.arc_circle.max() >= self.n_slots:
                raise ProblemError("arc_circle holds an index outside 0..n_slots-1")
            if not np.isfinite(self.arc_weight).all():
                raise ProblemError("arc_weight must be finite")
            if self.arc_weight.min() < 0 or self.arc_weight.max() > 1:
                raise ProblemError("arc_weight must lie in [0, 1]")
            key = np.sort(self.arc_person * max(self.n_slots, 1) + self.arc_circle)
            if (key[1:] == key[:-1]).any():
                raise ProblemError("an arc (person, circle) appears twice")
        if self.n_people and min(self.group.min(), self.level.min(), self.attribute.min()) < -1:
            raise ProblemError("group, level and attribute must be >= -1 (-1 = unknown)")
        if not 1 <= self.min_size <= self.max_size:
            raise ProblemError("sizes must satisfy 1 <= min_size <= max_size")
        for name in ("max_per_group", "mentors_per_circle", "min_level_spread"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ProblemError(f"{name} must be None or >= 0")
        if self.min_experts < 0:
            raise ProblemError("min_experts must be >= 0")
        share = self.max_attribute_share
        if share is not None and not (math.isfinite(share) and 0 < share <= 1):
            raise ProblemError("max_attribute_share must be None or in (0, 1]")

    def _set_array(
        self,
        name: str,
        kinds: str,
        dtype: type[np.generic],
        *,
        length: int | None = None,
        fill: int | bool | None = None,
    ) -> None:
        """Coerce a field to a 1-D array of ``dtype``; an empty optional one is filled."""
        value = np.asarray(getattr(self, name))
        if value.ndim != 1:
            raise ProblemError(f"{name} must be one-dimensional, got shape {value.shape}")
        if value.shape[0] == 0 and length:
            value = np.full(length, fill, dtype=dtype)
        elif value.shape[0] and value.dtype.kind not in kinds:
            raise ProblemError(f"{name} has dtype {value.dtype}, expected kind {kinds!r}")
        if length is not None and value.shape[0] != length:
            raise ProblemError(f"{name} must have length {length}, got {value.shape[0]}")
        object.__setattr__(self, name, value.astype(dtype, copy=False))

    @property
    def n_slots(self) -> int:
        return int(self.circle_theme.shape[0])

    @property
    def n_arcs(self) -> int:
        return int(self.arc_person.shape[0])

    def integer_weights(self) -> IntArray:
        """The weights the solvers optimise (see ``SCORE_SCALE``)."""
        return integer_scores(self.arc_weight)

    def attribute_cap(self, size: int) -> int | None:
        """Most members of an open circle of ``size`` that may share one attribute value."""
        if self.max_attribute_share is None:
            return None
        return math.ceil(Fraction(repr(self.max_attribute_share)) * size)


@dataclass(frozen=True)
class CircleSolution(Solution):
    """A ``Solution`` plus what is proven about coverage.

    ``objective`` is the total fit of the chosen arcs and ``assigned`` the people placed.
    ``bound`` bounds the total fit of any valid assignment placing exactly ``assigned``
    people (for ``TOTAL``: of any valid assignment), in rounded weights; ``placed_bound``
    bounds how many people any valid assignment can place. ``bound_source`` names the
    relaxation or model that proved ``bound``.
    """

    placed_bound: int | None = None
    bound_source: str = ""


class UnknownCircleMethodError(UnknownMethodError):
    """A method name that is not in ``CIRCLE_METHODS``."""


class CircleSolver(Protocol):
    def __call__(
        self, problem: CircleProblem, *, time_limit: float | None = ..., seed: int = ...
    ) -> CircleSolution: ...


# --------------------------------------------------------------------------- rule checks


def _circle_faults(problem: CircleProblem, slot: int, arcs: IntArray) -> list[str]:
    """Every rule the open circle ``slot`` with member arcs ``arcs`` breaks."""
    faults: list[str] = []
    size = int(arcs.shape[0])
    people = problem.arc_person[arcs]
    if not problem.min_size <= size <= problem.max_size:
        faults.append(f"circle {slot} has {size} members, not {problem.min_size}..")
    if problem.max_per_group is not None:
        groups = problem.group[people]
        counts = np.bincount(groups[groups >= 0]) if (groups >= 0).any() else np.zeros(1)
        if counts.max() > problem.max_per_group:
            faults.append(f"circle {slot} has {int(counts.max())} members of one group")
    experts = int(problem.expert[arcs].sum())
    if experts < problem.min_experts:
        faults.append(f"circle {slot} has {experts} experts, needs {problem.min_experts}")
    mentors = int(problem.mentor[people].sum())
    if problem.mentors_per_circle is not None and mentors != problem.mentors_per_circle:
        faults.append(f"circle {slot} has {mentors} mentors, needs {problem.mentors_per_circle}")
    if problem.min_level_spread is not None:
        levels = problem.level[people]
        known = levels[levels >= 0]
        spread = int(known.max() - known.min()) if known.shape[0] else 0
        if spread < problem.min_level_spread:
            faults.append(f"circle {slot} spans {spread} levels, needs {problem.min_level_spread}")
    cap = problem.attribute_cap(size)
    if cap is not None:
        values = problem.attribute[people]
        values = values[values >= 0]
        most = int(np.bincount(values).max()) if values.shape[0] else 0
        if most > cap:
            faults.append(f"circle {slot} has {most} members sharing an attribute, cap {cap}")
    return faults


def circle_violations(problem: CircleProblem, chosen_arcs: npt.ArrayLike) -> list[str]:
    """Every rule an assignment breaks, as sentences; empty when the assignment is valid."""
    chosen = np.asarray(chosen_arcs, dtype=np.int64)
    if chosen.shape[0] and (chosen.min() < 0 or chosen.max() >= problem.n_arcs):
        return ["an arc index is outside 0..n_arcs-1"]
    faults: list[str] = []
    if np.unique(chosen).shape[0] != chosen.shape[0]:
        faults.append("an arc is chosen twice")
    people = problem.arc_person[chosen]
    if np.unique(people).shape[0] != people.shape[0]:
        faults.append("a person is in more than one circle")
    for slot, arcs in _by_slot(problem, chosen):
        faults.extend(_circle_faults(problem, slot, arcs))
    return faults


def _by_slot(problem: CircleProblem, arcs: IntArray) -> Iterable[tuple[int, IntArray]]:
    """``(slot, its arcs)`` for every slot that ``arcs`` touch, in slot order."""
    if arcs.shape[0] == 0:
        return
    order = arcs[np.argsort(problem.arc_circle[arcs], kind="stable")]
    slots = problem.arc_circle[order]
    starts = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], order.shape[0]], strict=True):
        yield int(slots[start]), order[start:end]


# -------------------------------------------------------------------- LP relaxation


def _openable(problem: CircleProblem) -> BoolArray:
    """Slots that pass necessary conditions for opening (sizes, experts, mentors, spread).

    A slot that fails them is closed in every valid assignment, so models and the
    relaxation leave it out: this keeps every bound valid and makes it exact on such
    instances (say, a mentor per circle and no mentor).
    """
    n_slots, circle = problem.n_slots, problem.arc_circle
    mentor = problem.mentor[problem.arc_person]
    arcs_in = np.bincount(circle, minlength=n_slots)
    ok = arcs_in >= problem.min_size
    ok &= np.bincount(circle, weights=problem.expert, minlength=n_slots) >= problem.min_experts
    if problem.mentors_per_circle is not None:
        k = problem.mentors_per_circle
        mentors = np.bincount(circle, weights=mentor, minlength=n_slots)
        ok &= (mentors >= k) & (arcs_in - mentors + k >= problem.min_size)
        ok &= k <= problem.max_size
    if problem.min_level_spread:
        level = problem.level[problem.arc_person]
        known = level >= 0
        high = np.full(n_slots, -1, dtype=np.int64)
        low = np.full(n_slots, _NO_LEVEL, dtype=np.int64)
        np.maximum.at(high, circle[known], level[known])
        np.minimum.at(low, circle[known], level[known])
        ok &= high - low >= problem.min_level_spread
    return ok


def _usable_arcs(problem: CircleProblem) -> IntArray:
    """Arcs into slots that can open at all; no valid assignment uses the others."""
    return np.flatnonzero(_openable(problem)[problem.arc_circle]).astype(np.int64)


class _Rows:
    """A sparse constraint matrix built block by block (rows ``A x <= b`` or ``== b``)."""

    def __init__(self, n_cols: int) -> None:
        self.n_cols = n_cols
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.vals: list[FloatArray] = []
        self.rhs: list[FloatArray] = []
        self.n_rows = 0

    def add(self, row: IntArray, col: IntArray, val: npt.ArrayLike, rhs: npt.ArrayLike) -> None:
        """Entries ``(row, col, val)`` of new rows ``0..len(rhs)-1`` (local numbering)."""
        rhs_array = np.atleast_1d(np.asarray(rhs, dtype=np.float64))
        self.rows.append(row + self.n_rows)
        self.cols.append(col)
        self.vals.append(np.broadcast_to(np.asarray(val, dtype=np.float64), row.shape).copy())
        self.rhs.append(rhs_array)
        self.n_rows += rhs_array.shape[0]

    def matrix(self) -> tuple[sparse.csr_matrix, FloatArray]:
        if not self.rows:
            return sparse.csr_matrix((0, self.n_cols)), np.zeros(0)
        shape = (self.n_rows, self.n_cols)
        coo = (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols)))
        return sparse.csr_matrix(coo, shape=shape), np.concatenate(self.rhs)


def _slot_classes(problem: CircleProblem, arcs: IntArray, weights: IntArray) -> IntArray:
    """Class of each slot (-1 if no arc in ``arcs``): slots no rule or weight tells apart."""
    cls = np.full(problem.n_slots, -1, dtype=np.int64)
    keys: dict[tuple[int, bytes, bytes, bytes], int] = {}
    ordered = arcs[np.lexsort((problem.arc_person[arcs], problem.arc_circle[arcs]))]
    for slot, members in _by_slot(problem, ordered):
        key = (
            int(problem.circle_theme[slot]),
            problem.arc_person[members].tobytes(),
            weights[members].tobytes(),
            problem.expert[members].tobytes(),
        )
        cls[slot] = keys.setdefault(key, len(keys))
    return cls


@dataclass
class _Relaxation:
    """The LP relaxation, aggregated over classes of identical slots.

    Variables: ``y[p, c]`` = how much person p sits in class c, ``o[c]`` = how many circles
    of class c are open (up to the class size). Every valid assignment gives a feasible
    point (sum over each class), so the LP optimum bounds it. Rows: a person at most once;
    ``y <= o``; ``min_size * o <= members <= max_size * o``; experts ``>= min_experts * o``;
    mentors ``== k * o``; each group ``<= max_per_group * o``; each attribute value within
    its share; ``o`` members low enough and ``o`` high enough for the level spread. Bounds
    are computed from the LP duals by weak duality, so they hold whatever the LP solver's
    tolerances (``_dual_bound``).
    """

    a_ub: sparse.csr_matrix
    b_ub: FloatArray
    a_eq: sparse.csr_matrix
    b_eq: FloatArray
    upper: FloatArray
    fit: FloatArray
    count: FloatArray
    #: Number of (person, class) pairs: the first columns; one column per class follows.
    n_pairs: int
    #: No valid assignment places more people.
    placed: int = 0
    #: Class each person leans to in the relaxed optimum (-1: none), guiding the search.
    class_of: IntArray = field(default_factory=_no_ints)
    #: Class of each slot (-1: never opens).
    slot_class: IntArray = field(default_factory=_no_ints)
    _fit_bounds: dict[int | None, int] = field(default_factory=dict)

    def fit_bound(self, placed: int | None) -> int:
        """Integer fit bound for valid assignments placing exactly ``placed`` people (any
        number when None)."""
        if placed not in self._fit_bounds:
            if self.n_pairs == 0 or placed == 0:
                self._fit_bounds[placed] = 0
            else:
                bound, _ = self._solve(self.fit, placed)
                self._fit_bounds[placed] = math.floor(bound * (1 + 1e-9) + 1e-6)
        return self._fit_bounds[placed]

    def _solve(self, objective: FloatArray, placed: int | None) -> tuple[float, FloatArray]:
        """Maximise ``objective``; returns (dual bound, primal solution)."""
        a_eq, b_eq = self.a_eq, self.b_eq
        if placed is not None:
            a_eq = sparse.vstack([a_eq, sparse.csr_matrix(self.count[None, :])]).tocsr()
            b_eq = np.append(b_eq, placed)
        result = linprog(
            -objective,
            A_ub=self.a_ub if self.a_ub.shape[0] else None,
            b_ub=self.b_ub if self.a_ub.shape[0] else None,
            A_eq=a_eq if a_eq.shape[0] else None,
            b_eq=b_eq if a_eq.shape[0] else None,
            bounds=np.c_[np.zeros_like(self.upper), self.upper],
            method="highs",
        )
        if result.status != 0:
            raise SolverFailureError(f"LP relaxation failed: {result.message}")
        lam = np.maximum(-result.ineqlin.marginals, 0) if self.a_ub.shape[0] else np.zeros(0)
        mu = -result.eqlin.marginals if a_eq.shape[0] else np.zeros(0)
        return _dual_bound(objective, self.a_ub, self.b_ub, a_eq, b_eq, self.upper, lam, mu), (
            np.asarray(result.x, dtype=np.float64)
        )


def _dual_bound(
    c: FloatArray,
    a_ub: sparse.csr_matrix,
    b_ub: FloatArray,
    a_eq: sparse.csr_matrix,
    b_eq: FloatArray,
    upper: FloatArray,
    lam: FloatArray,
    mu: FloatArray,
) -> float:
    """Weak duality for max ``c x``, ``A x <= b``, ``E x == e``, ``0 <= x <= u``: for any
    ``lam >= 0`` and any ``mu``, ``c x <= lam b + mu e + sum(u * max(0, c - A'lam - E'mu))``.
    """
    reduced = c - a_ub.T @ lam - a_eq.T @ mu
    return float(lam @ b_ub + mu @ b_eq + upper @ np.maximum(reduced, 0))


def _relax(problem: CircleProblem, weights: IntArray) -> _Relaxation:
    """Build and solve the LP relaxation (see ``_Relaxation``)."""
    arcs = _usable_arcs(problem)
    slot_class = _slot_classes(problem, arcs, weights)
    n_classes = int(slot_class.max(initial=-1)) + 1
    class_size = np.bincount(slot_class[slot_class >= 0], minlength=n_classes)
    # Pairs (person, class): identical slots give each person one weight per class.
    key = problem.arc_person[arcs] * max(n_classes, 1) + slot_class[problem.arc_circle[arcs]]
    _, first = np.unique(key, return_index=True)
    pair_arc = arcs[first]
    pp, pc = problem.arc_person[pair_arc], slot_class[problem.arc_circle[pair_arc]]
    n_pairs = pair_arc.shape[0]
    j = np.arange(n_pairs)
    o = n_pairs + pc  # Column of each pair's class variable.
    cls = np.arange(n_classes)
    ub, eq = _Rows(n_pairs + n_classes), _Rows(n_pairs + n_classes)

    def per_class(member: BoolArray, coef: float, o_coef: float, rows: _Rows) -> None:
        """Rows ``coef * sum(y[member]) + o_coef * o[c] (<=|==) 0`` for each class c."""
        rows.add(
            np.r_[pc[member], cls],
            np.r_[j[member], n_pairs + cls],
            np.r_[np.full(int(member.sum()), coef), np.full(n_classes, o_coef)],
            np.zeros(n_classes),
        )

    everyone = np.ones(n_pairs, dtype=np.bool_)
    ub.add(pp, j, 1.0, np.ones(problem.n_people))
    ub.add(np.r_[j, j], np.r_[j, o], np.r_[np.ones(n_pairs), -np.ones(n_pairs)], np.zeros(n_pairs))
    per_class(everyone, 1.0, -problem.max_size, ub)
    per_class(everyone, -1.0, problem.min_size, ub)
    if problem.min_experts:
        per_class(problem.expert[pair_arc], -1.0, problem.min_experts, ub)
    if problem.mentors_per_circle is not None:
        per_class(problem.mentor[pp], 1.0, -problem.mentors_per_circle, eq)
    if problem.max_per_group is not None:
        group = problem.group[pp]
        for g in np.unique(group[group >= 0]).tolist():
            per_class(group == g, 1.0, -problem.max_per_group, ub)
    if problem.max_attribute_share is not None:
        p, q = _share_fraction(problem)
        value = problem.attribute[pp]
        for v in np.unique(value[value >= 0]).tolist():
            # q * sum(y[v]) - p * sum(y) - (q - 1) * o <= 0, written as one block.
            ub.add(
                np.r_[pc, pc, cls],
                np.r_[j, j, n_pairs + cls],
                np.r_[
                    np.where(value == v, q, 0.0),
                    np.full(n_pairs, -p),
                    np.full(n_classes, -(q - 1.0)),
                ],
                np.zeros(n_classes),
            )
    spread = problem.min_level_spread or 0
    if spread:
        level = problem.level[pp]
        known = level >= 0
        high = np.full(n_classes, -1, dtype=np.int64)
        low = np.full(n_classes, _NO_LEVEL, dtype=np.int64)
        np.maximum.at(high, pc[known], level[known])
        np.minimum.at(low, pc[known], level[known])
        per_class(known & (level <= high[pc] - spread), -1.0, 1.0, ub)
        per_class(level >= low[pc] + spread, -1.0, 1.0, ub)
    a_ub, b_ub = ub.matrix()
    a_eq, b_eq = eq.matrix()
    relax = _Relaxation(
        a_ub=a_ub,
        b_ub=b_ub,
        a_eq=a_eq,
        b_eq=b_eq,
        upper=np.r_[np.ones(n_pairs), class_size].astype(np.float64),
        fit=np.r_[weights[pair_arc], np.zeros(n_classes)].astype(np.float64),
        count=np.r_[np.ones(n_pairs), np.zeros(n_classes)],
        n_pairs=n_pairs,
        slot_class=slot_class,
    )
    relax.class_of = np.full(problem.n_people, -1, dtype=np.int64)
    if n_pairs == 0:
        return relax
    placed_bound, _ = relax._solve(relax.count, None)
    relax.placed = math.floor(placed_bound + 1e-6)
    target = relax.placed if problem.objective is Objective.COVERAGE else None
    bound, x = relax._solve(relax.fit, target)
    relax._fit_bounds[target] = math.floor(bound * (1 + 1e-9) + 1e-6)
    # Guidance: each person's heaviest class in the relaxed optimum.
    y = x[:n_pairs]
    order = np.lexsort((-y, pp))
    lead = order[np.r_[True, pp[order][1:] != pp[order][:-1]]]
    lead = lead[y[lead] > 1e-6]
    relax.class_of[pp[lead]] = pc[lead]
    return relax


# ------------------------------------------------------------------------ greedy start


def _fill(problem: CircleProblem, arcs: IntArray, target: int) -> IntArray | None:
    """One circle from candidate ``arcs`` (best fit first) aiming at ``target`` members.

    Required members first (mentors, then experts), then the best-fitting others while the
    group and attribute caps allow, then one swap to reach the level spread. Returns the
    member arcs, or None when the circle breaks a rule.
    """
    person = problem.arc_person[arcs]
    is_mentor = problem.mentor[person]
    is_expert = problem.expert[arcs]
    group, attribute, level = (
        problem.group[person],
        problem.attribute[person],
        problem.level[person],
    )
    k = problem.mentors_per_circle
    group_cap = problem.max_per_group
    attribute_cap = problem.attribute_cap(target)
    taken: list[int] = []
    groups: dict[int, int] = {}
    values: dict[int, int] = {}

    def fits(i: int) -> bool:
        g, v = int(group[i]), int(attribute[i])
        if group_cap is not None and g >= 0 and groups.get(g, 0) >= group_cap:
            return False
        return attribute_cap is None or v < 0 or values.get(v, 0) < attribute_cap

    def take(i: int) -> None:
        taken.append(i)
        groups[int(group[i])] = groups.get(int(group[i]), 0) + 1
        values[int(attribute[i])] = values.get(int(attribute[i]), 0) + 1

    def free(i: int) -> bool:
        return i not in taken and (k is None or not is_mentor[i])

    if k is not None:
        for i in np.flatnonzero(is_mentor).tolist():
            if len(taken) < k and fits(i):
                take(i)
        if len(taken) < k:
            return None
    for i in np.flatnonzero(is_expert).tolist():
        if int(is_expert[taken].sum()) >= problem.min_experts:
            break
        if free(i) and fits(i):
            take(i)
    required = len(taken)
    for i in range(arcs.shape[0]):
        if len(taken) >= max(target, required):
            break
        if free(i) and fits(i):
            take(i)
    spread = problem.min_level_spread
    known = level[taken][level[taken] >= 0]
    if spread and known.shape[0] and known.max() - known.min() < spread:
        low, high = int(known.min()), int(known.max())
        for i in range(arcs.shape[0]):
            reach = level[i] >= 0 and (level[i] >= low + spread or level[i] <= high - spread)
            if reach and free(i) and fits(i):
                if len(taken) >= problem.max_size and len(taken) > required:
                    taken.pop()  # The worst filler makes room (caps are rechecked below).
                take(i)
                break
    members = arcs[np.asarray(taken, dtype=np.int64)]
    return None if _circle_faults(problem, int(problem.arc_circle[arcs[0]]), members) else members


def _arc_finder(problem: CircleProblem) -> Callable[[IntArray, IntArray], IntArray]:
    """``find(people, slots)`` -> the arc of each (person, slot) pair, -1 where none."""
    keys = problem.arc_person * max(problem.n_slots, 1) + problem.arc_circle
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]

    def find(people: IntArray, slots: IntArray) -> IntArray:
        wanted = people * max(problem.n_slots, 1) + slots
        at = np.minimum(np.searchsorted(sorted_keys, wanted), max(keys.shape[0] - 1, 0))
        if keys.shape[0] == 0:
            return np.full(wanted.shape, -1, dtype=np.int64)
        return np.where(sorted_keys[at] == wanted, order[at], -1).astype(np.int64)

    return find


def _deal(
    problem: CircleProblem, slots: IntArray, people: IntArray, find: Callable[..., IntArray]
) -> list[IntArray]:
    """Circles for ``people`` in ``slots``, identical slots every one of them can join.

    Within a class of identical slots each person's fit is the same in every slot, so only
    the rules decide: deal the required members first (mentors, then experts, evenly), then
    the others in order of level, each to the smallest circle whose caps allow, so that each
    circle spans the levels. Circles that still break a rule are dropped (their people are
    left for later passes).
    """
    n = people.shape[0]
    mid = (problem.min_size + problem.max_size) / 2
    k = max(round(n / mid), math.ceil(n / problem.max_size))
    k = min(k, n // problem.min_size, slots.shape[0])
    arcs = find(people, np.full(n, slots[0]))
    mentor = problem.mentor[people]
    # With a mentor count set, mentors are dealt as mentors only.
    fixed_mentors = problem.mentors_per_circle is not None
    required = problem.expert[arcs] & ~mentor if fixed_mentors else problem.expert[arcs]
    if problem.mentors_per_circle:
        k = min(k, int(mentor.sum()) // problem.mentors_per_circle)
    if problem.min_experts:
        k = min(k, int(problem.expert[arcs].sum()) // problem.min_experts)
    if k <= 0:
        return []
    circles: list[list[int]] = [[] for _ in range(k)]
    group_cap = problem.max_per_group
    value_cap = problem.attribute_cap(math.ceil(n / k))
    group, value = problem.group[people], problem.attribute[people]

    def place(i: int, only: int | None = None) -> bool:
        """Put person ``i`` in the smallest circle (or circle ``only``) that allows it."""
        options = range(k) if only is None else (only,)
        for c in sorted(options, key=lambda c: len(circles[c])):
            members = circles[c]
            if len(members) >= problem.max_size:
                continue
            same_group = int((group[members] == group[i]).sum()) if group[i] >= 0 else 0
            if group_cap is not None and same_group >= group_cap:
                continue
            same_value = int((value[members] == value[i]).sum()) if value[i] >= 0 else 0
            if value_cap is not None and same_value >= value_cap:
                continue
            members.append(i)
            return True
        return False

    mentors = np.flatnonzero(mentor).tolist()
    for c in range(k):
        for _ in range(problem.mentors_per_circle or 0):
            while mentors and not place(mentors.pop(0), c):
                pass
    experts = np.flatnonzero(required).tolist()
    for c in range(k):
        while experts and int(problem.expert[arcs[circles[c]]].sum()) < problem.min_experts:
            place(experts.pop(0), c)
    dealt = {i for members in circles for i in members}
    rest = [i for i in np.argsort(problem.level[people], kind="stable").tolist() if i not in dealt]
    for i in rest:
        if problem.mentors_per_circle is None or not mentor[i]:
            place(i)
    result = []
    for c, members in enumerate(circles):
        chosen = find(people[members], np.full(len(members), slots[c]))
        if not _circle_faults(problem, int(slots[c]), chosen):
            result.append(chosen)
    return result


def _greedy(problem: CircleProblem, relax: _Relaxation, weights: IntArray) -> IntArray:
    """A valid start in three passes.

    1. Each class of identical slots is dealt the people the LP relaxation leans to it.
    2. Each person left joins the best-fitting open circle that has room and stays valid.
    3. Each slot still closed is filled from anyone left, best fit first.
    """
    find = _arc_finder(problem)
    used = np.zeros(problem.n_people, dtype=np.bool_)
    opened = relax.slot_class < 0  # Slots that never open count as taken.
    chosen: list[IntArray] = []

    def commit(members: IntArray) -> None:
        chosen.append(members)
        used[problem.arc_person[members]] = True
        opened[problem.arc_circle[members]] = True

    # Pass 1.
    n_classes = int(relax.slot_class.max(initial=-1)) + 1
    for c in range(n_classes):
        people = np.flatnonzero(relax.class_of == c)
        if people.shape[0] >= problem.min_size:
            for members in _deal(problem, np.flatnonzero(relax.slot_class == c), people, find):
                commit(members)
    # Pass 2: at most INSERT_TRIES open circles per person, best fit first.
    members_of: dict[int, IntArray] = dict(
        _by_slot(problem, np.concatenate(chosen) if chosen else _no_ints())
    )
    left = ~used[problem.arc_person] & np.isin(problem.arc_circle, list(members_of))
    by_person = np.flatnonzero(left)[np.lexsort((-weights[left], problem.arc_person[left]))]
    tries = np.zeros(problem.n_people, dtype=np.int64)
    for arc in by_person.tolist():
        person, slot = int(problem.arc_person[arc]), int(problem.arc_circle[arc])
        members = members_of[slot]
        if used[person] or members.shape[0] >= problem.max_size or tries[person] >= INSERT_TRIES:
            continue
        tries[person] += 1
        grown = np.append(members, arc)
        if not _circle_faults(problem, slot, grown):
            members_of[slot] = grown
            used[person] = True
    chosen = list(members_of.values())
    # Pass 3.
    order = np.lexsort((-weights, problem.arc_circle))
    for slot, arcs in _by_slot(problem, order):
        if opened[slot]:
            continue
        arcs = arcs[~used[problem.arc_person[arcs]]]
        if arcs.shape[0] < problem.min_size:
            continue
        circles = math.ceil(arcs.shape[0] / problem.max_size)
        target = min(max(math.ceil(arcs.shape[0] / circles), problem.min_size), problem.max_size)
        filled = _fill(problem, arcs, target)
        if filled is not None:
            commit(filled)
    return np.sort(np.concatenate(chosen)) if chosen else _no_ints()


# ------------------------------------------------------------------------- CP-SAT model


@dataclass
class _Model:
    """A CP-SAT model over a subset of arcs (every slot they reach, whole)."""

    model: cp_model.CpModel
    arcs: IntArray
    x: list[cp_model.IntVar]
    open_: dict[int, cp_model.IntVar]
    #: Per slot: (lowest level of the window, its literal), for the level spread.
    windows: dict[int, list[tuple[int, cp_model.IntVar]]]
    #: Slots with identical candidates, weights and expert flags, in symmetry order.
    classes: list[list[int]]
    #: Local arc indices of each slot, in person order.
    local: dict[int, IntArray]


def _coverage_bonus(problem: CircleProblem, arcs: IntArray, weights: IntArray) -> int:
    """Value of placing one person: more than any change of fit among ``arcs``' people."""
    if problem.objective is Objective.TOTAL or arcs.shape[0] == 0:
        return 0
    best = np.zeros(problem.n_people, dtype=np.int64)
    np.maximum.at(best, problem.arc_person[arcs], weights[arcs])
    return int(best.sum()) + 1


def _build(problem: CircleProblem, arcs: IntArray, weights: IntArray, bonus: int) -> _Model:
    """The CP-SAT model restricted to ``arcs`` (OR-Tools sample order)."""
    # Data: arcs sorted by slot then person, so that each slot's arcs are contiguous.
    arcs = arcs[np.lexsort((problem.arc_person[arcs], problem.arc_circle[arcs]))]
    person = problem.arc_person[arcs]
    slot_of_arc = problem.arc_circle[arcs]
    level = problem.level[person]
    starts = np.flatnonzero(np.r_[True, slot_of_arc[1:] != slot_of_arc[:-1]])
    ends = np.r_[starts[1:], arcs.shape[0]]
    local = (
        {int(slot_of_arc[s]): np.arange(s, e) for s, e in zip(starts, ends, strict=True)}
        if arcs.shape[0]
        else {}
    )
    spread = problem.min_level_spread or 0

    # Model.
    model = cp_model.CpModel()

    # Variables: x[a] = arc a is used; open[s] = slot s is an open circle; window[s, l] = the
    # circle has a member at level <= l and one at level >= l + spread.
    x = [model.new_bool_var("") for _ in range(arcs.shape[0])]
    open_ = {slot: model.new_bool_var("") for slot in local}
    windows: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for slot, idx in local.items():
        known = np.unique(level[idx][level[idx] >= 0])
        lows = known[known + spread <= known.max()] if spread and known.shape[0] else known[:0]
        windows[slot] = [(int(low), model.new_bool_var("")) for low in lows]

    def members(idx: IntArray) -> cp_model.LinearExprT:
        return cp_model.LinearExpr.sum([x[i] for i in idx.tolist()])

    # Constraints.
    # A person joins at most one circle.
    by_person = np.argsort(person, kind="stable")
    cuts = np.flatnonzero(np.diff(person[by_person])) + 1
    for group in np.split(by_person, cuts):
        if group.shape[0] > 1:
            model.add_at_most_one([x[i] for i in group.tolist()])
    # A member only in an open circle.
    for slot, idx in local.items():
        for i in idx.tolist():
            model.add_implication(x[i], open_[slot])
    # An open circle has min_size..max_size members.
    for slot, idx in local.items():
        model.add(members(idx) >= problem.min_size * open_[slot])
        model.add(members(idx) <= problem.max_size * open_[slot])
    # At most max_per_group members of one known group.
    if problem.max_per_group is not None:
        for idx in local.values():
            groups = problem.group[person[idx]]
            for g in np.unique(groups[groups >= 0]).tolist():
                same = idx[groups == g]
                if same.shape[0] > problem.max_per_group:
                    model.add(members(same) <= problem.max_per_group)
    # At least min_experts experts in an open circle.
    if problem.min_experts:
        for slot, idx in local.items():
            model.add(members(idx[problem.expert[arcs[idx]]]) >= problem.min_experts * open_[slot])
    # Exactly mentors_per_circle mentors in an open circle.
    if problem.mentors_per_circle is not None:
        k = problem.mentors_per_circle
        for slot, idx in local.items():
            model.add(members(idx[problem.mentor[person[idx]]]) == k * open_[slot])
    # An open circle spans min_level_spread levels: one window holds a low and a high member.
    if spread:
        for slot, idx in local.items():
            if not windows[slot]:
                model.add(open_[slot] == 0)
                continue
            model.add(cp_model.LinearExpr.sum([w for _, w in windows[slot]]) >= open_[slot])
            is_known = level[idx] >= 0
            for low, w in windows[slot]:
                model.add(members(idx[is_known & (level[idx] <= low)]) >= 1).only_enforce_if(w)
                model.add(members(idx[level[idx] >= low + spread]) >= 1).only_enforce_if(w)
    # At most ceil(share * size) members share an attribute value: with share = p/q (the
    # simplest fraction giving the same caps up to max_size), q * count <= p * size + q - 1.
    if problem.max_attribute_share is not None:
        p, q = _share_fraction(problem)
        floor_cap = problem.attribute_cap(problem.min_size) or 0
        for idx in local.values():
            values = problem.attribute[person[idx]]
            size = members(idx)
            for v in np.unique(values[values >= 0]).tolist():
                same = idx[values == v]
                if same.shape[0] > floor_cap:
                    model.add(q * members(same) <= p * size + q - 1)
    # Identical slots open in order, the larger first (removes their interchangeability).
    classes = _identical_slots(problem, arcs, weights)
    for cls in classes:
        for first, second in itertools.pairwise(cls):
            model.add(members(local[first]) >= members(local[second]))

    # Objective: total fit, plus a bonus per person placed for COVERAGE.
    coefficients = (weights[arcs] + bonus).tolist()
    model.maximize(cp_model.LinearExpr.weighted_sum(x, coefficients))
    return _Model(model, arcs, x, open_, windows, classes, local)


def _share_fraction(problem: CircleProblem) -> tuple[int, int]:
    """``p/q`` with ``ceil(p/q * n) == attribute_cap(n)`` for every size n <= max_size.

    Small integers, unlike the share's own binary fraction. The smallest ``c_n / n`` with
    ``c_n = ceil(share * n)`` works: it is >= share and <= every ``c_n / n``, so
    ``p/q * n`` lies in ``(c_n - 1, c_n]`` for every n.
    """
    caps = [(problem.attribute_cap(n), n) for n in range(1, problem.max_size + 1)]
    best = min(Fraction(cap, n) for cap, n in caps if cap is not None)
    return best.numerator, best.denominator


def _identical_slots(problem: CircleProblem, arcs: IntArray, weights: IntArray) -> list[list[int]]:
    """Classes of two or more slots that no rule or weight among ``arcs`` tells apart (only
    these may be reordered), each in slot order."""
    slot_class = _slot_classes(problem, arcs, weights)
    used = np.flatnonzero(slot_class >= 0)
    order = used[np.lexsort((used, slot_class[used]))]
    cuts = np.flatnonzero(np.diff(slot_class[order])) + 1
    return [cls.tolist() for cls in np.split(order, cuts) if cls.shape[0] > 1]


def _relabel(m: _Model, chosen: IntArray) -> dict[int, IntArray]:
    """``chosen`` restricted to the model, as local arc indices per slot, moved between
    identical slots so that their sizes obey the symmetry order (larger first)."""
    in_model = np.isin(m.arcs, chosen)
    members = {slot: idx[in_model[idx]] for slot, idx in m.local.items()}
    for cls in m.classes:
        # Identical slots: the same people sit at the same positions of each slot's arcs.
        positions = sorted(
            (members[slot] - m.local[slot][0] for slot in cls), key=len, reverse=True
        )
        for slot, pos in zip(cls, positions, strict=True):
            members[slot] = m.local[slot][0] + pos
    return members


def _add_hint(problem: CircleProblem, m: _Model, chosen: IntArray) -> None:
    """Hint ``chosen`` (relabelled, see ``_relabel``) on every variable of the model."""
    members = _relabel(m, chosen)
    hinted = np.zeros(m.arcs.shape[0], dtype=np.bool_)
    for idx in members.values():
        hinted[idx] = True
    for i, var in enumerate(m.x):
        m.model.add_hint(var, bool(hinted[i]))
    spread = problem.min_level_spread or 0
    for slot, idx in members.items():
        m.model.add_hint(m.open_[slot], idx.shape[0] > 0)
        levels = problem.level[problem.arc_person[m.arcs[idx]]]
        levels = levels[levels >= 0]
        chosen_window = False
        for low, w in m.windows[slot]:
            ok = bool((levels <= low).any() and (levels >= low + spread).any())
            m.model.add_hint(w, ok and not chosen_window)
            chosen_window |= ok


@dataclass(frozen=True)
class _Run:
    """What one CP-SAT solve gave: proven optimal?, its solution (None if none), its bound."""

    optimal: bool
    chosen: IntArray | None
    bound: int | None
    #: Deterministic time the solve used.
    work: float


def _solve_model(m: _Model, time_limit: float, seed: int, work: float) -> _Run:
    """Solve within ``work`` deterministic seconds (and ``time_limit`` wall seconds, a
    hard cap), check the status, extract the chosen arcs."""
    # Solve.
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = NUM_WORKERS
    solver.parameters.random_seed = seed % 2**31  # CP-SAT takes a 32-bit seed.
    solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
    solver.parameters.max_deterministic_time = max(work, 0.001)
    status = solver.solve(m.model)
    spent = float(solver.response_proto.deterministic_time)

    # Check status: the empty assignment is always valid, so "infeasible" is a bug.
    if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        raise SolverFailureError(f"CP-SAT ended with status {solver.status_name(status)}")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Run(False, None, None, spent)

    # Extract.
    used = np.fromiter((solver.boolean_value(v) for v in m.x), dtype=np.bool_, count=len(m.x))
    bound = math.floor(solver.best_objective_bound + 1e-6)
    return _Run(status == cp_model.OPTIMAL, np.sort(m.arcs[used]), bound, spent)


# ----------------------------------------------------------------------------- methods

#: Largest neighbourhood the decomposition re-solves exactly: slots, then free people.
HOOD_SLOTS = 12
HOOD_PEOPLE = 80
#: The decomposition stops after this many neighbourhoods in a row improved nothing.
STALL = 300
#: Up to this many usable arcs the decomposition first tries CP-SAT on the whole model
#: (120 people into 20 circles: ~1,200 arcs, proven optimal in about a second).
WHOLE_MODEL_ARCS = 20_000


def _score(problem: CircleProblem, weights: IntArray, chosen: IntArray) -> tuple[int, int]:
    """Comparable quality: (people placed, fit) for COVERAGE, (fit, 0) for TOTAL."""
    fit = int(weights[chosen].sum())
    if problem.objective is Objective.COVERAGE:
        return int(chosen.shape[0]), fit
    return fit, 0


@dataclass
class _Search:
    """Shared state of a method: the clock, the relaxation and the best assignment so far."""

    problem: CircleProblem
    method: str
    started: float
    deadline: float
    seed: int
    weights: IntArray
    relax: _Relaxation
    best: IntArray
    #: Deterministic time left for CP-SAT (see ``WORK_PER_SECOND``).
    work_left: float

    @classmethod
    def start(
        cls, problem: CircleProblem, method: str, time_limit: float | None, seed: int
    ) -> _Search:
        started = time.perf_counter()
        limit = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
        weights = problem.integer_weights()
        relax = _relax(problem, weights)
        best = _greedy(problem, relax, weights)
        deadline = started + limit * (1 - RESERVE)
        work = limit * WORK_PER_SECOND
        return cls(problem, method, started, deadline, seed, weights, relax, best, work)

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def solve(self, m: _Model, work: float) -> _Run:
        """CP-SAT on ``m`` within ``work`` of the deterministic budget, which it charges."""
        run = _solve_model(m, self.remaining(), self.seed, min(work, self.work_left))
        self.work_left -= run.work
        return run

    def offer(self, chosen: IntArray | None) -> bool:
        """Keep ``chosen`` if it is better than the best so far; say whether it was."""
        if chosen is None:
            return False
        score = _score(self.problem, self.weights, chosen)
        if score > _score(self.problem, self.weights, self.best):
            self.best = np.sort(chosen)
            return True
        return False

    def _fit_bound(self, placed: int) -> int:
        return self.relax.fit_bound(
            placed if self.problem.objective is Objective.COVERAGE else None
        )

    def certified(self) -> bool:
        """The best assignment meets the relaxation's bounds, so it is optimal."""
        placed, fit = int(self.best.shape[0]), int(self.weights[self.best].sum())
        if self.problem.objective is Objective.COVERAGE and placed < self.relax.placed:
            return False
        return fit >= self._fit_bound(placed)

    def result(
        self, *, proven: bool = False, cp_bound: int | None = None, bonus: int = 0
    ) -> CircleSolution:
        """The best assignment with its status and bounds (see ``CircleSolution``).

        ``cp_bound`` is CP-SAT's bound on a model of the whole problem with ``bonus`` per
        person placed; it tightens the LP bound when smaller.
        """
        problem, chosen = self.problem, self.best
        faults = circle_violations(problem, chosen)
        if faults:
            raise SolverFailureError(f"{self.method} broke a rule: {faults[0]}")
        placed, fit = int(chosen.shape[0]), int(self.weights[chosen].sum())
        placed_bound = self.relax.placed
        fit_bound = self._fit_bound(placed)
        source = "LP relaxation over classes of identical slots (dual bound)"
        if cp_bound is not None:
            if bonus:
                placed_bound = min(placed_bound, cp_bound // bonus)
            if cp_bound - placed * bonus < fit_bound:
                fit_bound, source = cp_bound - placed * bonus, "CP-SAT bound on the whole model"
        if proven:
            source = "CP-SAT proof of optimality"
        elif fit >= fit_bound and (problem.objective is Objective.TOTAL or placed >= placed_bound):
            proven = True  # The bound is met: a certificate of optimality.
        objective = float(problem.arc_weight[chosen].sum())
        if proven and problem.objective is Objective.COVERAGE:
            placed_bound = placed
        return CircleSolution(
            method=self.method,
            status=Status.OPTIMAL if proven else Status.FEASIBLE,
            chosen_arcs=chosen,
            objective=objective,
            assigned=placed,
            bound=objective if proven else fit_bound / SCORE_SCALE,
            wall_time=time.perf_counter() - self.started,
            placed_bound=placed_bound,
            bound_source=source,
        )


def solve_circles_greedy(
    problem: CircleProblem, *, time_limit: float | None = None, seed: int = 0
) -> CircleSolution:
    """The start every method uses: the LP relaxation, then circles filled class by class.

    Fast and valid, with the LP bound; optimal only when it happens to meet that bound.
    """
    del seed
    return _Search.start(problem, "greedy", time_limit, 0).result()


def solve_circles_cp_sat(
    problem: CircleProblem, *, time_limit: float | None = None, seed: int = 0
) -> CircleSolution:
    """One CP-SAT model of the whole problem, hinted with the greedy start.

    Optimal when CP-SAT proves it (or the LP bound is met); otherwise the better of
    CP-SAT's best and the start, with the smaller of the LP and CP-SAT bounds. Best up to a
    few hundred people; beyond, CP-SAT's presolve alone can take the whole time limit.
    """
    search = _Search.start(problem, "cp_sat", time_limit, seed)
    if search.certified():
        return search.result()
    arcs = _usable_arcs(problem)
    bonus = _coverage_bonus(problem, arcs, search.weights)
    m = _build(problem, arcs, search.weights, bonus)
    _add_hint(problem, m, search.best)
    run = search.solve(m, search.work_left)
    search.offer(run.chosen)
    if run.optimal and run.chosen is not None:
        search.best = run.chosen  # Same score as any other optimum; CP-SAT proved this one.
    return search.result(proven=run.optimal, cp_bound=run.bound, bonus=bonus)


def _improve(
    search: _Search, free_people: BoolArray, free_slots: BoolArray, work: float
) -> tuple[bool, bool]:
    """Re-solve one neighbourhood with CP-SAT, everything else fixed.

    The neighbourhood is the ``free_slots`` with their members, and the ``free_people`` who
    sit nowhere; people placed in other slots stay put. The current assignment is the hint,
    so the answer is never worse. Returns (improved, proven optimal for the neighbourhood).
    """
    problem, best = search.problem, search.best
    inside = free_slots[problem.arc_circle[best]]
    free = free_people.copy()
    free[problem.arc_person[best]] = False
    free[problem.arc_person[best[inside]]] = True
    usable = (search.relax.slot_class >= 0) & free_slots
    arcs = np.flatnonzero(usable[problem.arc_circle] & free[problem.arc_person]).astype(np.int64)
    if arcs.shape[0] == 0 or work <= 0 or search.remaining() <= 0:
        return False, arcs.shape[0] == 0
    bonus = _coverage_bonus(problem, arcs, search.weights)
    m = _build(problem, arcs, search.weights, bonus)
    _add_hint(problem, m, best[inside])
    run = search.solve(m, work)
    if run.chosen is None:
        return False, False
    improved = search.offer(np.concatenate([best[~inside], run.chosen]))
    return improved, run.optimal


@dataclass
class _Hoods:
    """Draws neighbourhoods for the decomposition: two or three themes, some circles."""

    search: _Search
    rng: np.random.Generator

    def draw(self) -> tuple[BoolArray, BoolArray]:
        """(free people, free slots) of the next neighbourhood.

        Each arc's gain is its fit minus its person's current fit (a person placed nowhere
        gains a full ``SCORE_SCALE`` more); the gains from theme a to theme b make the
        promise of re-solving {a, b}. A theme pair is drawn by promise (or at random, one
        time in five; a third theme joins one time in three), then open circles of these
        themes by the gain of their members, then a few closed slots, then people placed
        nowhere who could join them.
        """
        search, rng = self.search, self.rng
        problem, best, weights = search.problem, search.best, search.weights
        theme = problem.circle_theme
        slot_of = np.full(problem.n_people, -1, dtype=np.int64)
        slot_of[problem.arc_person[best]] = problem.arc_circle[best]
        current_fit = np.full(problem.n_people, -SCORE_SCALE, dtype=np.int64)
        current_fit[problem.arc_person[best]] = weights[best]
        usable = search.relax.slot_class[problem.arc_circle] >= 0
        gain = np.where(usable, weights - current_fit[problem.arc_person], 0)
        here = slot_of[problem.arc_person]
        origin = np.where(here >= 0, theme[np.maximum(here, 0)], theme[problem.arc_circle])
        moving = gain > 0
        pairs = np.stack([origin[moving], theme[problem.arc_circle][moving]])
        openable = search.relax.slot_class >= 0
        if pairs.shape[1] == 0 or rng.random() < 0.2:
            picked_themes = list(rng.choice(theme[openable], size=2))
        else:
            keys, inverse = np.unique(np.sort(pairs, axis=0), axis=1, return_inverse=True)
            promise = np.bincount(inverse.reshape(-1), weights=gain[moving])
            picked_themes = list(keys[:, rng.choice(promise.shape[0], p=promise / promise.sum())])
        if rng.random() < 0.3:  # A third theme now and then, for chains of moves.
            picked_themes.append(rng.choice(theme[openable]))
        in_set = np.isin(theme, picked_themes) & openable
        # Open circles of these themes, drawn by 1 + their members' gains; two closed slots
        # of each theme, so that circles can open.
        member_gain = np.zeros(problem.n_slots)
        np.add.at(member_gain, here[moving & (here >= 0)], gain[moving & (here >= 0)])
        open_slots = np.zeros(problem.n_slots, dtype=np.bool_)
        open_slots[problem.arc_circle[best]] = True
        candidates = np.flatnonzero(in_set & open_slots)
        closed = np.concatenate(
            [np.flatnonzero(in_set & ~open_slots & (theme == t))[:2] for t in set(picked_themes)]
        )
        take = min(candidates.shape[0], HOOD_SLOTS - closed.shape[0])
        free_slots = np.zeros(problem.n_slots, dtype=np.bool_)
        if take > 0:
            weight = 1 + member_gain[candidates]
            free_slots[
                rng.choice(candidates, size=take, replace=False, p=weight / weight.sum())
            ] = True
        free_slots[closed] = True
        # People placed nowhere who fit a free slot, up to the neighbourhood's size.
        members = int(free_slots[problem.arc_circle[best]].sum())
        waiting = np.unique(problem.arc_person[free_slots[problem.arc_circle] & (here < 0)])
        room = max(HOOD_PEOPLE - members, 0)
        if waiting.shape[0] > room:
            waiting = rng.choice(waiting, size=room, replace=False)
        free_people = np.zeros(problem.n_people, dtype=np.bool_)
        free_people[waiting] = True
        return free_people, free_slots


def solve_circles_decomposed(
    problem: CircleProblem, *, time_limit: float | None = None, seed: int = 0
) -> CircleSolution:
    """LP relaxation -> greedy start -> (whole model if small) -> neighbourhood search.

    For large problems one CP-SAT model is too big for the time limit (its presolve alone
    can take a minute at 2,000 people). The LP relaxation says which theme each person
    leans to and how many circles each theme needs; the greedy start fills circles from
    that. A problem of at most ``WHOLE_MODEL_ARCS`` arcs is then given to CP-SAT whole for
    half the time (all of it when it is one neighbourhood), and returned when proven
    optimal. Then neighbourhoods of at most ``HOOD_SLOTS`` slots of two or three themes and
    ``HOOD_PEOPLE`` free people are re-solved by CP-SAT, everything else fixed, until the
    time runs out, ``STALL`` neighbourhoods in a row improve nothing, or the bound is met.
    The bound is the LP relaxation's (with CP-SAT's when the whole model ran): valid for
    the whole problem, unlike CP-SAT's bounds on neighbourhoods.
    """
    search = _Search.start(problem, "decomposed", time_limit, seed)
    if search.certified():
        return search.result()
    arcs = _usable_arcs(problem)
    cp_bound, bonus = None, 0
    if arcs.shape[0] <= WHOLE_MODEL_ARCS:
        one_hood = (
            int((search.relax.slot_class >= 0).sum()) <= HOOD_SLOTS
            and np.unique(problem.arc_person[arcs]).shape[0] <= HOOD_PEOPLE
        )
        bonus = _coverage_bonus(problem, arcs, search.weights)
        m = _build(problem, arcs, search.weights, bonus)
        _add_hint(problem, m, search.best)
        run = search.solve(m, search.work_left * (1.0 if one_hood else 0.5))
        search.offer(run.chosen)
        if run.optimal and run.chosen is not None:
            search.best = run.chosen
            return search.result(proven=True, cp_bound=run.bound, bonus=bonus)
        cp_bound = run.bound
    hoods = _Hoods(search, np.random.default_rng(seed))
    stall = 0
    while (
        stall < STALL and search.work_left > 0 and search.remaining() > 0 and not search.certified()
    ):
        free_people, free_slots = hoods.draw()
        improved, _ = _improve(search, free_people, free_slots, MAX_SUB_SOLVE)
        stall = 0 if improved else stall + 1
    return search.result(cp_bound=cp_bound, bonus=bonus)


#: Every circle method by name. An unknown name is an error, never a fallback.
CIRCLE_METHODS: dict[str, CircleSolver] = {
    "cp_sat": solve_circles_cp_sat,
    "decomposed": solve_circles_decomposed,
    "greedy": solve_circles_greedy,
}


def solve_circles(
    problem: CircleProblem,
    method: str = "cp_sat",
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> CircleSolution:
    """Form circles with the named method (see ``CIRCLE_METHODS``).

    ``time_limit`` (seconds, default ``DEFAULT_TIME_LIMIT``) bounds the whole call;
    ``seed`` seeds CP-SAT and the neighbourhood draws. ``cp_sat`` proves optima up to a few
    hundred people; from about a thousand, ``decomposed`` is the method (see the module
    docstring and ``benchmarks/RESULTS-circles.md``).
    """
    solver = pick_method(CIRCLE_METHODS, method, "circle", UnknownCircleMethodError)
    return solver(problem, time_limit=time_limit, seed=seed)
