"""Shared hypothesis strategies and settings for the solver tests.

Every weight is generated as ``k / SCORE_SCALE`` for an integer ``k``, so the rounding the
solvers apply (``round(w * SCORE_SCALE)``) is exact and oracles can compare integers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from hypothesis import settings
from hypothesis import strategies as st

from solvers import SCORE_SCALE, AssignmentProblem, Objective

IntArray = npt.NDArray[np.int64]

#: Deterministic, database-free and deadline-free (the first OR-Tools call is slow), also
#: when this directory runs without the project-wide hypothesis profile.
DETERMINISTIC = settings(derandomize=True, database=None, deadline=None)

#: Integer weights that make ties likely: the ends of the scale and a few fixed points.
TIE_PRONE_WEIGHTS = (0, 1, SCORE_SCALE // 4, SCORE_SCALE // 2, SCORE_SCALE - 1, SCORE_SCALE)


@dataclass(frozen=True)
class Instance:
    """A problem plus the exact integer weights it was built from."""

    problem: AssignmentProblem
    #: ``problem.arc_weight == int_weights / SCORE_SCALE``; what the oracles optimise.
    int_weights: IntArray


def make_instance(
    demand: list[int] | IntArray,
    capacity: list[int] | IntArray,
    arc_left: list[int] | IntArray,
    arc_right: list[int] | IntArray,
    int_weights: list[int] | IntArray,
    objective: Objective,
) -> Instance:
    """Build an ``Instance`` from plain integers (weights on the ``SCORE_SCALE`` grid)."""
    w_int = np.asarray(int_weights, dtype=np.int64)
    problem = AssignmentProblem(
        left_demand=np.asarray(demand, dtype=np.int64),
        right_capacity=np.asarray(capacity, dtype=np.int64),
        arc_left=np.asarray(arc_left, dtype=np.int64),
        arc_right=np.asarray(arc_right, dtype=np.int64),
        arc_weight=w_int.astype(np.float64) / SCORE_SCALE,
        objective=objective,
    )
    return Instance(problem=problem, int_weights=w_int)


def with_objective(instance: Instance, objective: Objective) -> Instance:
    """The same instance with another objective."""
    problem = dataclasses.replace(instance.problem, objective=objective)
    return Instance(problem=problem, int_weights=instance.int_weights)


def int_weights() -> st.SearchStrategy[int]:
    """An integer weight in 0..SCORE_SCALE, often one of a few tie-prone values."""
    return st.one_of(st.sampled_from(TIE_PRONE_WEIGHTS), st.integers(0, SCORE_SCALE))


@st.composite
def tiny_instances(
    draw: st.DrawFn,
    *,
    min_nodes: int = 1,
    max_left: int = 4,
    max_right: int = 3,
    max_demand: int = 2,
    max_capacity: int = 3,
    objective: Objective | None = None,
) -> Instance:
    """Instances small enough to enumerate every subset of arcs.

    Each side has at least ``min_nodes`` nodes (empty sides have their own tests). The arcs
    are a random subset of all (left, right) pairs in a random order, drawn element by
    element so that hypothesis shrinks them well (towards fewer arcs, in pair order).
    """
    n_left = draw(st.integers(min_nodes, max_left))
    n_right = draw(st.integers(min_nodes, max_right))
    demand = draw(st.lists(st.integers(0, max_demand), min_size=n_left, max_size=n_left))
    capacity = draw(st.lists(st.integers(0, max_capacity), min_size=n_right, max_size=n_right))
    pairs = [(i, j) for i in range(n_left) for j in range(n_right)]
    # One draw per pair: no arc (None) or the arc's integer weight. This spreads the arc
    # count far better than a separate list of booleans, and still shrinks towards no arcs.
    pair_weights = draw(
        st.lists(st.none() | int_weights(), min_size=len(pairs), max_size=len(pairs))
    )
    present = [(pair, w) for pair, w in zip(pairs, pair_weights, strict=True) if w is not None]
    arcs = draw(st.permutations(present))
    chosen_objective = draw(st.sampled_from(Objective)) if objective is None else objective
    return make_instance(
        demand,
        capacity,
        [i for (i, _), _ in arcs],
        [j for (_, j), _ in arcs],
        [w for _, w in arcs],
        chosen_objective,
    )


@st.composite
def random_instances(
    draw: st.DrawFn,
    *,
    max_left: int,
    max_right: int,
    demand: tuple[int, int],
    capacity: tuple[int, int],
    min_nodes: int = 1,
    objective: Objective | None = None,
) -> Instance:
    """Larger instances: hypothesis draws a seed, numpy draws everything else uniformly.

    Hypothesis' element-wise generation favours tiny shapes and empty graphs, which the
    brute-force and edge-case tests already cover; here the shape is uniform. ``demand`` and
    ``capacity`` are inclusive ranges; each side has ``min_nodes`` to ``max_*`` nodes. Arcs
    are a Bernoulli(density) subset of all pairs, density uniform in [0, 1], in a shuffled
    order. Half of the time weights come from a small palette so that many
    solutions tie.
    """
    seed = draw(st.integers(0, 2**32 - 1))
    chosen_objective = draw(st.sampled_from(Objective)) if objective is None else objective

    rng = np.random.default_rng(seed)
    n_left = int(rng.integers(min_nodes, max_left + 1))
    n_right = int(rng.integers(min_nodes, max_right + 1))
    density = rng.uniform(0.0, 1.0)
    left_demand = rng.integers(demand[0], demand[1] + 1, size=n_left)
    right_capacity = rng.integers(capacity[0], capacity[1] + 1, size=n_right)
    arc_left, arc_right = np.nonzero(rng.random((n_left, n_right)) < density)
    order = rng.permutation(arc_left.shape[0])
    arc_left, arc_right = arc_left[order], arc_right[order]
    if rng.random() < 0.5:
        weights = rng.choice(np.asarray(TIE_PRONE_WEIGHTS), size=arc_left.shape[0])
    else:
        weights = rng.integers(0, SCORE_SCALE + 1, size=arc_left.shape[0])
    return make_instance(
        left_demand, right_capacity, arc_left, arc_right, weights, chosen_objective
    )
