"""``pruned_flow`` against ``min_cost_flow``: the same optimum, whatever the seed subset.

The pruning is only a speed-up: the duality certificate must add every missing arc the
optimum needs. So most tests shrink the seed to nothing or almost nothing (the certificate
loop then builds the subset itself) and compare (assigned, integer total) exactly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from solvers import (
    ASSIGNMENT_METHODS,
    SCORE_SCALE,
    Objective,
    Solution,
    SolverFailureError,
    Status,
    solve_assignment,
)
from solvers import pruned as pruned_module
from solvers.mincostflow import shortest_distances, solve_min_cost_flow
from solvers.pruned import (
    LEFT_TOP,
    RIGHT_TOP,
    solve_pruned_flow,
    solve_pruned_flow_rounds,
    top_arcs,
)
from tests.solvers.strategies import (
    DETERMINISTIC,
    TIE_PRONE_WEIGHTS,
    Instance,
    make_instance,
    random_instances,
    tiny_instances,
    with_objective,
)
from tests.threads import on_two_threads

EXAMPLES = settings(DETERMINISTIC, max_examples=300)
OBJECTIVES = list(Objective)

#: (left_top, right_top) seeds from "nothing" (quotas <= 0 for demand <= 3, capacity <= 4)
#: through tiny to the defaults' order of magnitude.
SEEDS = st.tuples(st.integers(-3, 3), st.integers(-8, 4))


def score(instance: Instance, solution: Solution) -> tuple[int, int]:
    """(assigned, total integer weight): what both objectives are judged on."""
    return solution.assigned, int(instance.int_weights[solution.chosen_arcs].sum())


def assert_valid(instance: Instance, solution: Solution) -> None:
    """Arcs are unique indices into the problem; demands and capacities hold."""
    problem = instance.problem
    chosen = solution.chosen_arcs
    assert chosen.dtype == np.int64
    assert np.unique(chosen).shape[0] == chosen.shape[0]
    assert chosen.shape[0] == 0 or (chosen.min() >= 0 and chosen.max() < problem.n_arcs)
    left_load = np.bincount(problem.arc_left[chosen], minlength=problem.n_left)
    right_load = np.bincount(problem.arc_right[chosen], minlength=problem.n_right)
    assert (left_load <= problem.left_demand).all()
    assert (right_load <= problem.right_capacity).all()
    assert solution.method == "pruned_flow"
    assert solution.status is Status.OPTIMAL
    assert solution.assigned == chosen.shape[0]
    assert solution.objective == pytest.approx(problem.arc_weight[chosen].sum(), abs=1e-9)
    assert solution.bound == solution.objective
    assert solution.gap == 0


def assert_same_optimum(instance: Instance, left_top: int, right_top: int) -> int:
    """Pruned and full min-cost flow agree exactly, whether the next subsets are the arcs
    priced at most at the solution's, every arc, or those within the default slack, for
    one round, none (the seed only grows) or the default rounds, and whether the arcs are
    priced in one chunk or in many on two threads; returns the number of rounds at the
    defaults."""
    expected = score(instance, solve_min_cost_flow(instance.problem))
    default, default_chunk = pruned_module.KEEP_SLACK, pruned_module.PRICE_CHUNK
    reseeds = pruned_module.RESEEDS
    rounds_at_default = 0
    for slack, chunk, fresh in ((0, 3, 1), (10**12, 7, 0), (default, default_chunk, reseeds)):
        with on_two_threads(pruned_module, KEEP_SLACK=slack, PRICE_CHUNK=chunk, RESEEDS=fresh):
            pruned, rounds = solve_pruned_flow_rounds(
                instance.problem, left_top=left_top, right_top=right_top
            )
        rounds_at_default = rounds
        assert_valid(instance, pruned)
        if instance.problem.objective is Objective.COVERAGE:
            assert score(instance, pruned) == expected
        else:
            assert score(instance, pruned)[1] == expected[1]
    return rounds_at_default


@st.composite
def popular_instances(draw: st.DrawFn, *, max_left: int = 40, max_right: int = 12) -> Instance:
    """Every left node ranks the same few right nodes highest (and they are scarce).

    This is where a seed of each left node's top arcs alone fails: all of them point at
    the popular nodes, which fill up, and the rest of the cohort has no arcs to fall back on.
    """
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_left = int(rng.integers(1, max_left + 1))
    n_right = int(rng.integers(2, max_right + 1))
    n_popular = int(rng.integers(1, min(3, n_right - 1) + 1))
    arc_left, arc_right = np.nonzero(rng.random((n_left, n_right)) < rng.uniform(0.3, 1.0))
    order = rng.permutation(arc_left.shape[0])
    arc_left, arc_right = arc_left[order], arc_right[order]
    popular = arc_right < n_popular
    high = rng.integers(SCORE_SCALE * 8 // 10, SCORE_SCALE + 1, size=arc_left.shape[0])
    low = rng.integers(0, SCORE_SCALE * 7 // 10, size=arc_left.shape[0])
    if rng.random() < 0.5:  # ties: a small palette instead
        low = rng.choice(np.asarray(TIE_PRONE_WEIGHTS[:4]), size=arc_left.shape[0])
    weights = np.where(popular, high, low)
    capacity = np.where(np.arange(n_right) < n_popular, 1, rng.integers(0, 5, size=n_right))
    demand = rng.integers(0, 4, size=n_left)
    return make_instance(demand, capacity, arc_left, arc_right, weights, Objective.COVERAGE)


# --------------------------------------------------------------------------------------
# Same optimum as the full min-cost flow
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", OBJECTIVES)
@EXAMPLES
@given(
    data=random_instances(max_left=30, max_right=12, demand=(0, 3), capacity=(0, 4), min_nodes=0),
    seed=SEEDS,
)
def test_random_instances_match_min_cost_flow(
    objective: Objective, data: Instance, seed: tuple[int, int]
) -> None:
    rounds = assert_same_optimum(with_objective(data, objective), *seed)
    event(f"rounds: {min(rounds, 3)}{'+' if rounds >= 3 else ''}")


@pytest.mark.parametrize("objective", OBJECTIVES)
@EXAMPLES
@given(data=popular_instances(), seed=SEEDS)
def test_popular_right_nodes_match_min_cost_flow(
    objective: Objective, data: Instance, seed: tuple[int, int]
) -> None:
    rounds = assert_same_optimum(with_objective(data, objective), *seed)
    event(f"rounds: {min(rounds, 3)}{'+' if rounds >= 3 else ''}")


@pytest.mark.parametrize("objective", OBJECTIVES)
@EXAMPLES
@given(data=tiny_instances(max_demand=3, max_capacity=3), seed=SEEDS)
def test_tiny_instances_match_min_cost_flow(
    objective: Objective, data: Instance, seed: tuple[int, int]
) -> None:
    rounds = assert_same_optimum(with_objective(data, objective), *seed)
    event(f"rounds: {min(rounds, 3)}{'+' if rounds >= 3 else ''}")


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_empty_seed_builds_the_subset_from_certificates(objective: Objective) -> None:
    """No seed arc at all: every chosen arc was added by a violated reduced cost."""
    rng = np.random.default_rng(3)
    arc_left, arc_right = np.nonzero(rng.random((60, 15)) < 0.7)
    weights = rng.integers(0, SCORE_SCALE + 1, size=arc_left.shape[0])
    instance = make_instance(
        rng.integers(1, 3, size=60),
        rng.integers(1, 5, size=15),
        arc_left,
        arc_right,
        weights,
        objective,
    )
    rounds = assert_same_optimum(instance, -10, -10)
    assert rounds >= 2


# --------------------------------------------------------------------------------------
# The certificate loop
# --------------------------------------------------------------------------------------

# Left A=0, B=1; right X=0, Y=1. A likes X 0.9 and Y 0.8; B only likes X 0.85.
STRANDING = ([1, 1], [1, 1], [0, 0, 1], [0, 1, 0], [9000, 8000, 8500])


def test_missing_arc_is_added_and_resolved() -> None:
    """Seed = each left node's single best arc (A-X, B-X): only one of them fits X.

    The certificate finds that A-Y prices negative, adds it, and the second solve places
    both (A-Y and B-X).
    """
    instance = make_instance(*STRANDING, Objective.COVERAGE)
    solution, rounds = solve_pruned_flow_rounds(instance.problem, left_top=0, right_top=-2)
    assert rounds == 2
    assert sorted(solution.chosen_arcs.tolist()) == [1, 2]
    assert_valid(instance, solution)


def test_coverage_beats_weight_through_the_bonus() -> None:
    """A likes X 1.0 and Y 0.1, B only X 0.8: COVERAGE places both (0.9 < 1.0), TOTAL one."""
    case = ([1, 1], [1, 1], [0, 0, 1], [0, 1, 0], [10000, 1000, 8000])
    coverage, rounds = solve_pruned_flow_rounds(
        make_instance(*case, Objective.COVERAGE).problem, left_top=0, right_top=-2
    )
    assert sorted(coverage.chosen_arcs.tolist()) == [1, 2]
    assert rounds == 2
    total, _ = solve_pruned_flow_rounds(
        make_instance(*case, Objective.TOTAL).problem, left_top=0, right_top=-2
    )
    assert total.chosen_arcs.tolist() == [0]


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_default_seed_on_a_pruned_popular_cohort(objective: Objective) -> None:
    """Large enough that the default seed really prunes (2,000 x 200, half dense)."""
    rng = np.random.default_rng(11)
    n_left, n_right = 2000, 200
    quality = rng.random(n_right) ** 3
    arc_left, arc_right = np.nonzero(rng.random((n_left, n_right)) < 0.5)
    u = rng.integers(0, SCORE_SCALE + 1, size=arc_left.shape[0])
    weights = ((quality[arc_right] * SCORE_SCALE + u) // 2).astype(np.int64)
    instance = make_instance(
        np.ones(n_left, dtype=np.int64),
        rng.integers(1, 6, size=n_right),
        arc_left,
        arc_right,
        weights,
        objective,
    )
    weights_int = instance.problem.integer_weights()
    problem = instance.problem
    seed = top_arcs(problem.arc_left, weights_int, LEFT_TOP + problem.left_demand)
    seed |= top_arcs(problem.arc_right, weights_int, RIGHT_TOP + 2 * problem.right_capacity)
    assert seed.mean() < 0.5  # the default seed leaves out most arcs...
    assert assert_same_optimum(instance, LEFT_TOP, RIGHT_TOP) == 1  # ...and needs none of them
    # Each left node's single best arc only: the popular right nodes are oversubscribed.
    assert assert_same_optimum(instance, 0, -2) >= 2


# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------


@EXAMPLES
@given(
    nodes=st.lists(st.integers(0, 4), max_size=60),
    data=st.data(),
)
def test_top_arcs_keeps_at_least_each_nodes_best(nodes: list[int], data: st.DataObject) -> None:
    """A superset of each node's exact top ``quota`` (ties kept); nothing for quota <= 0."""
    n_nodes = 5
    scores = np.asarray(
        data.draw(st.lists(st.integers(0, SCORE_SCALE), min_size=len(nodes), max_size=len(nodes))),
        dtype=np.int64,
    )
    quota = np.asarray(
        data.draw(st.lists(st.integers(-1, 6), min_size=n_nodes, max_size=n_nodes)),
        dtype=np.int64,
    )
    node_array = np.asarray(nodes, dtype=np.int64)
    kept = top_arcs(node_array, scores, quota)
    for node in range(n_nodes):
        mine = np.flatnonzero(node_array == node)
        if quota[node] <= 0:
            assert not kept[mine].any()
            continue
        best = mine[np.argsort(-scores[mine], kind="stable")[: quota[node]]]
        assert kept[best].all()


def test_top_arcs_cut_keeps_nothing_of_the_bucket_below() -> None:
    """One node, 10 arcs: 56 buckets of 10,001 levels, so the top bucket starts at
    9,822.4. The best arc fills a quota of 1 from the top bucket; the others, at 9,822
    (the bucket below), stay out, though a cut rounding the first score down keeps them."""
    below = 55 * (SCORE_SCALE + 1) // 56
    assert _n_buckets(10, 1) == 56
    assert below * 56 < 55 * (SCORE_SCALE + 1)
    scores = np.array([SCORE_SCALE] + [below] * 9, dtype=np.int64)
    kept = top_arcs(np.zeros(10, dtype=np.int64), scores, np.array([1]))
    np.testing.assert_array_equal(kept, [True] + [False] * 9)


def _n_buckets(n_arcs: int, n_nodes: int) -> int:
    per_node = 4 * n_arcs // max(n_nodes, 1) + 16
    return max(1, min(SCORE_SCALE + 1, pruned_module._HISTOGRAM_CELLS // max(n_nodes, 1), per_node))


def _top_arcs_whole(nodes: npt.NDArray[np.int64], scores: npt.NDArray[np.int64],
                    quota: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:  # fmt: skip
    """The histogram cut over the whole array at once (as ``top_arcs`` was written)."""
    n_nodes = quota.shape[0]
    n_buckets = _n_buckets(nodes.shape[0], n_nodes)
    bucket = scores * n_buckets // (SCORE_SCALE + 1)
    counts = np.bincount(nodes * n_buckets + bucket, minlength=n_nodes * n_buckets)
    from_top = np.cumsum(counts.reshape(n_nodes, n_buckets)[:, ::-1], axis=1)
    short = np.count_nonzero(from_top < quota[:, None], axis=1)
    lowest = np.where(quota > 0, n_buckets - 1 - short, n_buckets)
    kept: npt.NDArray[np.bool_] = bucket >= lowest[nodes]
    return kept


@EXAMPLES
@given(
    nodes=st.lists(st.integers(0, 6), max_size=80),
    grouped=st.booleans(),
    chunk=st.integers(1, 9),
    data=st.data(),
)
def test_top_arcs_in_chunks_on_threads_cut_as_the_whole_array(
    nodes: list[int], grouped: bool, chunk: int, data: st.DataObject
) -> None:
    """Counted and cut a few arcs at a time on two threads, arcs grouped by node or not,
    the arcs kept are exactly those of one histogram over every arc. Scores are drawn
    around bucket edges too, where the cut by score must agree with the cut by bucket."""
    node_array = np.asarray(sorted(nodes) if grouped else nodes, dtype=np.int64)
    n_buckets = _n_buckets(len(nodes), 7)
    edges = [e + d for k in range(n_buckets + 1) for d in (-1, 0, 1)
             if 0 <= (e := k * (SCORE_SCALE + 1) // n_buckets) + d <= SCORE_SCALE]  # fmt: skip
    score = st.one_of(st.integers(0, SCORE_SCALE), st.sampled_from(edges))
    scores = np.asarray(
        data.draw(st.lists(score, min_size=len(nodes), max_size=len(nodes))), dtype=np.int64
    )
    quota = np.asarray(data.draw(st.lists(st.integers(-1, 9), min_size=7, max_size=7)))
    with on_two_threads(pruned_module, _TOP_CHUNK=chunk, _CUT_CHUNK=chunk, _ARCS_PER_CELL=0):
        kept = top_arcs(node_array, scores, quota)
    np.testing.assert_array_equal(kept, _top_arcs_whole(node_array, scores, quota))


def test_shortest_distances_follow_zero_cost_arcs() -> None:
    """Zero-cost arcs are real arcs (sparse graph libraries may drop explicit zeros)."""
    # c -> a costs -3, a -> b costs 0: b is reached at -3 only through the zero arc.
    tails = np.array([2, 0], dtype=np.int64)
    heads = np.array([0, 1], dtype=np.int64)
    costs = np.array([-3, 0], dtype=np.int64)
    np.testing.assert_array_equal(shortest_distances(tails, heads, costs, 3), [-3, -3, 0])


def test_shortest_distances_reject_a_negative_cycle() -> None:
    tails = np.array([0, 1], dtype=np.int64)
    heads = np.array([1, 0], dtype=np.int64)
    costs = np.array([1, -2], dtype=np.int64)
    with pytest.raises(SolverFailureError, match="negative cycle"):
        shortest_distances(tails, heads, costs, 2)


# --------------------------------------------------------------------------------------
# Registry, determinism, edge cases
# --------------------------------------------------------------------------------------


def test_registered_and_deterministic() -> None:
    assert ASSIGNMENT_METHODS["pruned_flow"] is solve_pruned_flow
    rng = np.random.default_rng(5)
    arc_left, arc_right = np.nonzero(rng.random((50, 10)) < 0.6)
    weights = rng.choice(np.asarray(TIE_PRONE_WEIGHTS), size=arc_left.shape[0])
    instance = make_instance(
        np.ones(50, dtype=np.int64),
        np.full(10, 3),
        arc_left,
        arc_right,
        weights,
        Objective.COVERAGE,
    )
    first = solve_assignment(instance.problem, "pruned_flow", time_limit=0.001, seed=7)
    again = solve_assignment(instance.problem, "pruned_flow")
    assert_valid(instance, first)
    np.testing.assert_array_equal(first.chosen_arcs, again.chosen_arcs)


EMPTY_CASES: dict[str, tuple[list[int], list[int], list[int], list[int], list[int]]] = {
    "no_nodes": ([], [], [], [], []),
    "no_arcs": ([1, 2], [3], [], [], []),
    "no_right_nodes": ([1, 1], [], [], [], []),
    "zero_demand": ([0, 0], [2, 2], [0, 0, 1], [0, 1, 1], [9000, 5000, 10000]),
    "zero_capacity": ([1, 2], [0, 0], [0, 1, 1], [0, 0, 1], [9000, 5000, 10000]),
    "zero_weights": ([1, 1], [1, 1], [0, 1, 1], [0, 0, 1], [0, 0, 0]),
}


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("case", sorted(EMPTY_CASES))
def test_degenerate_instances(case: str, objective: Objective) -> None:
    instance = make_instance(*EMPTY_CASES[case], objective)
    solution, rounds = solve_pruned_flow_rounds(instance.problem)
    assert_valid(instance, solution)
    assert rounds == 1
    assert_same_optimum(instance, -10, -10)
