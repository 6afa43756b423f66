"""Mentoring circles against an independent brute force, plus the solvers' contract.

The oracle (``brute_force``) lists every valid circle of every slot (each subset of the
slot's candidates, checked by ``circle_ok``, a plain-Python reading of the rules written
apart from the solver's own checks) and combines the slots over disjoint sets of people,
which enumerates every valid assignment. It returns the best integer fit for each number of
people placed, so it checks optima and also every bound a solver reports.

Infeasible rules: the empty assignment always obeys every rule, so a problem whose rules no
circle can meet gets the empty assignment with status OPTIMAL (never INFEASIBLE, never an
exception); ``test_rules_nobody_can_meet_give_the_proven_empty_answer`` pins this down.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import Counter
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.circles import (
    CIRCLE_METHODS,
    CircleProblem,
    CircleSolution,
    UnknownCircleMethodError,
    _add_hint,
    _build,
    _coverage_bonus,
    _relabel,
    _share_fraction,
    _solve_model,
    circle_violations,
    solve_circles,
)
from solvers.problem import SCORE_SCALE, IntArray, Objective, ProblemError
from solvers.solution import Status
from tests.solvers.strategies import DETERMINISTIC, int_weights

METHODS = sorted(CIRCLE_METHODS)
#: Methods that must prove the optimum of a tiny problem (one CP-SAT model).
EXACT_WHEN_TINY = {"cp_sat", "decomposed"}
BRUTE_FORCE = settings(DETERMINISTIC, max_examples=150)
CONTRACT = settings(DETERMINISTIC, max_examples=8)
SHARES = (0.3, 0.34, 0.5, 0.67, 1.0)


# ----------------------------------------------------------------------------- oracle


def circle_ok(problem: CircleProblem, arcs: list[int]) -> bool:
    """Every rule of an open circle, read straight from the documentation."""
    people = [int(problem.arc_person[a]) for a in arcs]
    size = len(arcs)
    if not problem.min_size <= size <= problem.max_size:
        return False
    if problem.max_per_group is not None:
        groups = Counter(int(problem.group[p]) for p in people if problem.group[p] >= 0)
        if any(n > problem.max_per_group for n in groups.values()):
            return False
    if sum(bool(problem.expert[a]) for a in arcs) < problem.min_experts:
        return False
    mentors = sum(bool(problem.mentor[p]) for p in people)
    if problem.mentors_per_circle is not None and mentors != problem.mentors_per_circle:
        return False
    if problem.min_level_spread is not None:
        known = [int(problem.level[p]) for p in people if problem.level[p] >= 0]
        if (max(known) - min(known) if known else 0) < problem.min_level_spread:
            return False
    if problem.max_attribute_share is not None:
        cap = math.ceil(Fraction(repr(problem.max_attribute_share)) * size)
        values = Counter(int(problem.attribute[p]) for p in people if problem.attribute[p] >= 0)
        if any(n > cap for n in values.values()):
            return False
    return True


def rule_faults(problem: CircleProblem, chosen: IntArray) -> list[str]:
    """Every broken rule of an assignment (independent of ``circle_violations``)."""
    arcs = [int(a) for a in chosen]
    if any(not 0 <= a < problem.n_arcs for a in arcs):
        return ["not an allowed arc"]
    faults = []
    if len(set(arcs)) != len(arcs):
        faults.append("an arc twice")
    people = [int(problem.arc_person[a]) for a in arcs]
    if len(set(people)) != len(people):
        faults.append("a person twice")
    circles: dict[int, list[int]] = {}
    for a in arcs:
        circles.setdefault(int(problem.arc_circle[a]), []).append(a)
    faults += [f"circle {s} breaks a rule" for s, c in circles.items() if not circle_ok(problem, c)]
    return faults


def brute_force(problem: CircleProblem, weights: IntArray) -> dict[int, int]:
    """Best integer fit of any valid assignment, for each number of people it places."""
    best_by_people: dict[int, int] = {0: 0}  # Bit mask of people placed -> best fit.
    for slot in range(problem.n_slots):
        candidates = [int(a) for a in np.flatnonzero(problem.arc_circle == slot)]
        circles = [(0, 0)]  # (mask, fit); the closed slot.
        for size in range(problem.min_size, problem.max_size + 1):
            for arcs in itertools.combinations(candidates, size):
                if circle_ok(problem, list(arcs)):
                    mask = sum(1 << int(problem.arc_person[a]) for a in arcs)
                    circles.append((mask, sum(int(weights[a]) for a in arcs)))
        combined: dict[int, int] = {}
        for used, fit in best_by_people.items():
            for mask, gain in circles:
                if not used & mask and combined.get(used | mask, -1) < fit + gain:
                    combined[used | mask] = fit + gain
        best_by_people = combined
    best: dict[int, int] = {}
    for mask, fit in best_by_people.items():
        placed = mask.bit_count()
        best[placed] = max(best.get(placed, -1), fit)
    return best


def optimum(problem: CircleProblem, best: dict[int, int]) -> tuple[int, int]:
    """(placed, fit) of the optimum under the problem's objective."""
    if problem.objective is Objective.COVERAGE:
        placed = max(best)
        return placed, best[placed]
    fit = max(best.values())
    return min(p for p, f in best.items() if f == fit), fit


# -------------------------------------------------------------------------- instances


@dataclasses.dataclass(frozen=True)
class Tiny:
    problem: CircleProblem
    weights: IntArray


@st.composite
def tiny_problems(draw: st.DrawFn) -> Tiny:
    """At most 7 people and 3 slots, arcs dense, each rule on one time in three.

    Slot 1 is often a copy of slot 0 (same theme, people and expert flags), with the same
    weights (symmetry breaking applies) or new ones (it must not).
    """
    n = draw(st.integers(2, 7))
    n_slots = draw(st.integers(1, 3))
    cells = n * n_slots
    themes = draw(st.lists(st.integers(0, 1), min_size=n_slots, max_size=n_slots))
    present = st.one_of(st.none(), int_weights(), int_weights(), int_weights())
    grid = np.array(
        [-1 if w is None else w for w in draw(st.lists(present, min_size=cells, max_size=cells))]
    ).reshape(n, n_slots)
    expert = np.array(draw(st.lists(st.booleans(), min_size=cells, max_size=cells)))
    expert = expert.reshape(n, n_slots)
    copy = draw(st.sampled_from(["none", "same", "reweighted"])) if n_slots > 1 else "none"
    if copy != "none":
        themes[1] = themes[0]
        expert[:, 1] = expert[:, 0]
        fresh = draw(st.lists(int_weights(), min_size=n, max_size=n))
        grid[:, 1] = np.where(grid[:, 0] < 0, -1, grid[:, 0] if copy == "same" else fresh)
    person, slot = np.nonzero(grid >= 0)
    min_size = draw(st.integers(1, 3))
    max_size = draw(st.integers(min_size, min(min_size + 2, 4)))

    def rule(values: st.SearchStrategy[Any]) -> Any:
        return draw(values) if draw(st.integers(0, 2)) == 0 else None

    def per_person(values: st.SearchStrategy[Any]) -> list[Any]:
        return draw(st.lists(values, min_size=n, max_size=n))

    problem = CircleProblem(
        n_people=n,
        circle_theme=np.array(themes, dtype=np.int64),
        arc_person=person.astype(np.int64),
        arc_circle=slot.astype(np.int64),
        arc_weight=grid[person, slot] / SCORE_SCALE,
        min_size=min_size,
        max_size=max_size,
        objective=draw(st.sampled_from(Objective)),
        group=np.array(per_person(st.integers(-1, 1)), dtype=np.int64),
        max_per_group=rule(st.integers(1, 2)),
        expert=expert[person, slot],
        min_experts=rule(st.just(1)) or 0,
        mentor=np.array(per_person(st.booleans()), dtype=np.bool_),
        mentors_per_circle=rule(st.integers(0, 1)),
        level=np.array(per_person(st.integers(-1, 3)), dtype=np.int64),
        min_level_spread=rule(st.integers(0, 2)),
        attribute=np.array(per_person(st.integers(-1, 1)), dtype=np.int64),
        max_attribute_share=rule(st.sampled_from(SHARES)),
    )
    return Tiny(problem, grid[person, slot].astype(np.int64))


def random_problem(seed: int, n: int, n_themes: int, per_theme: int) -> CircleProblem:
    """A larger instance in the benchmark's shape (composition rules all on)."""
    rng = np.random.default_rng(seed)
    theme = np.repeat(np.arange(n_themes), per_theme)
    fit = np.where(
        rng.random((n, n_themes)) < 0.4, rng.integers(1, SCORE_SCALE + 1, (n, n_themes)), 0
    )
    person, slot = np.nonzero(fit[:, theme] > 0)
    skilled = rng.random((n, n_themes)) < 0.4
    return CircleProblem(
        n_people=n,
        circle_theme=theme,
        arc_person=person,
        arc_circle=slot,
        arc_weight=fit[person, theme[slot]] / SCORE_SCALE,
        min_size=3,
        max_size=5,
        objective=Objective(rng.choice(["coverage", "total"])),
        group=rng.integers(-1, 4, n),
        max_per_group=2,
        expert=skilled[person, theme[slot]],
        min_experts=1,
        mentor=rng.random(n) < 0.3,
        mentors_per_circle=int(rng.choice([0, 1])) if rng.random() < 0.5 else None,
        level=rng.integers(-1, 6, n),
        min_level_spread=2,
        attribute=rng.integers(-1, 3, n),
        max_attribute_share=0.5,
    )


# ------------------------------------------------------------------------ assertions


def fit_of(problem: CircleProblem, solution: CircleSolution) -> int:
    return int(problem.integer_weights()[solution.chosen_arcs].sum())


def assert_contract(problem: CircleProblem, solution: CircleSolution, method: str) -> None:
    """Valid assignment, consistent figures, honest status."""
    assert rule_faults(problem, solution.chosen_arcs) == []
    assert circle_violations(problem, solution.chosen_arcs) == []
    assert solution.method == method
    assert solution.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert solution.assigned == solution.chosen_arcs.shape[0]
    assert solution.objective == pytest.approx(problem.arc_weight[solution.chosen_arcs].sum())
    assert solution.bound is not None
    assert solution.gap is not None
    assert solution.placed_bound is not None
    assert solution.assigned <= solution.placed_bound
    assert solution.bound >= solution.objective - 1e-9
    expected_gap = (solution.bound - solution.objective) / solution.bound if solution.bound else 0
    assert solution.gap == pytest.approx(max(expected_gap, 0.0))
    if solution.status is Status.OPTIMAL:
        assert solution.gap == 0
        assert solution.bound == solution.objective
        if problem.objective is Objective.COVERAGE:
            assert solution.placed_bound == solution.assigned
    else:
        unproven_coverage = solution.assigned < solution.placed_bound
        assert solution.bound > solution.objective or unproven_coverage


# ------------------------------------------------------------------------------ tests


@BRUTE_FORCE
@given(tiny_problems())
def test_tiny_problems_match_brute_force(tiny: Tiny) -> None:
    problem = tiny.problem
    best = brute_force(problem, tiny.weights)
    placed_opt, fit_opt = optimum(problem, best)
    for method in METHODS:
        solution = solve_circles(problem, method, time_limit=20)
        assert_contract(problem, solution, method)
        placed, fit = solution.assigned, fit_of(problem, solution)
        # Bounds hold against every valid assignment.
        assert solution.placed_bound is not None
        assert solution.placed_bound >= max(best)
        bound = round((solution.bound or 0) * SCORE_SCALE)
        if problem.objective is Objective.COVERAGE:
            assert bound >= best[placed]
            assert (placed, fit) <= (placed_opt, fit_opt)
        else:
            assert bound >= fit_opt
            assert fit <= fit_opt
        if method in EXACT_WHEN_TINY:
            assert solution.status is Status.OPTIMAL
        if solution.status is Status.OPTIMAL:
            if problem.objective is Objective.COVERAGE:
                assert (placed, fit) == (placed_opt, fit_opt)
            else:
                assert fit == fit_opt


@BRUTE_FORCE
@given(tiny_problems(), st.booleans())
def test_cp_sat_model_alone_matches_brute_force(tiny: Tiny, hinted: bool) -> None:
    """The greedy start meets the LP bound on most tiny problems, so ``solve_circles``
    rarely needs CP-SAT there; this solves the CP-SAT model itself, over every arc (also
    those into slots that can never open), with or without the (relabelled) greedy hint."""
    problem = tiny.problem
    weights = problem.integer_weights()
    arcs = np.arange(problem.n_arcs, dtype=np.int64)
    bonus = _coverage_bonus(problem, arcs, weights)
    model = _build(problem, arcs, weights, bonus)
    if hinted:
        _add_hint(problem, model, solve_circles(problem, "greedy").chosen_arcs)
    run = _solve_model(model, 20, 0, 20)
    assert run.optimal
    assert run.chosen is not None
    assert rule_faults(problem, run.chosen) == []
    placed, fit = int(run.chosen.shape[0]), int(weights[run.chosen].sum())
    placed_opt, fit_opt = optimum(problem, brute_force(problem, tiny.weights))
    if problem.objective is Objective.COVERAGE:
        assert (placed, fit) == (placed_opt, fit_opt)
    else:
        assert fit == fit_opt
    assert run.bound == placed * bonus + fit


@CONTRACT
@given(st.integers(0, 2**32 - 1))
def test_larger_problems_keep_the_contract(seed: int) -> None:
    """Beyond one neighbourhood (the decomposition searches); each bound caps every answer."""
    problem = random_problem(seed, n=90, n_themes=3, per_theme=6)
    solutions = {m: solve_circles(problem, m, time_limit=1.5, seed=seed) for m in METHODS}
    for method, solution in solutions.items():
        assert_contract(problem, solution, method)
    for a, b in itertools.permutations(solutions.values(), 2):
        assert a.placed_bound is not None
        assert a.placed_bound >= b.assigned
        if problem.objective is Objective.TOTAL or a.assigned == b.assigned:
            assert a.bound is not None
            assert a.bound >= b.objective - 1e-9


@pytest.mark.parametrize("method", ["cp_sat", "decomposed"])
def test_same_seed_same_circles(method: str) -> None:
    """Search budgets are CP-SAT's deterministic time, one worker: the same problem and
    seed give the same circles even when no proof ends the search early, whatever else
    loads the machine (here a second solve of the same problem)."""
    problem = random_problem(1, n=400, n_themes=5, per_theme=10)
    first = solve_circles(problem, method, time_limit=3.0, seed=5)
    assert first.status is Status.FEASIBLE, "pick a problem the search cannot prove"
    second = solve_circles(problem, method, time_limit=3.0, seed=5)
    np.testing.assert_array_equal(first.chosen_arcs, second.chosen_arcs)


def test_time_limit_gives_a_valid_answer_not_an_error() -> None:
    problem = random_problem(7, n=300, n_themes=5, per_theme=15)
    for method in METHODS:
        solution = solve_circles(problem, method, time_limit=0.2)
        assert_contract(problem, solution, method)
        assert solution.wall_time < 30


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "rules",
    [
        {"mentors_per_circle": 1},  # Nobody is a mentor.
        {"min_experts": 1},  # Nobody is an expert.
        {"group": np.zeros(6, dtype=np.int64), "max_per_group": 2},  # One group, circles of 4.
        {"level": np.full(6, 3, dtype=np.int64), "min_level_spread": 1},  # One level.
        {"attribute": np.zeros(6, dtype=np.int64), "max_attribute_share": 0.5},
    ],
    ids=["no-mentor", "no-expert", "one-group", "one-level", "one-attribute"],
)
def test_rules_nobody_can_meet_give_the_proven_empty_answer(
    method: str, rules: dict[str, Any]
) -> None:
    base = CircleProblem(
        n_people=6,
        circle_theme=np.array([0, 0]),
        arc_person=np.repeat(np.arange(6), 2),
        arc_circle=np.tile(np.arange(2), 6),
        arc_weight=np.full(12, 0.5),
        min_size=4,
        max_size=6,
    )
    problem = dataclasses.replace(base, **rules)
    solution = solve_circles(problem, method)
    assert solution.status is Status.OPTIMAL
    assert solution.assigned == 0
    assert solution.objective == 0
    assert solution.placed_bound == 0


@pytest.mark.parametrize("method", METHODS)
def test_nothing_to_place(method: str) -> None:
    problem = CircleProblem(
        0, np.zeros(0, np.int64), *(np.zeros(0, np.int64),) * 2, np.zeros(0), 1, 2
    )
    solution = solve_circles(problem, method)
    assert solution.status is Status.OPTIMAL
    assert solution.assigned == 0


def test_identical_slots_can_all_open() -> None:
    """Symmetry breaking orders identical slots; it must not stop them all opening."""
    n = 12
    problem = CircleProblem(
        n_people=n,
        circle_theme=np.zeros(3, dtype=np.int64),
        arc_person=np.repeat(np.arange(n), 3),
        arc_circle=np.tile(np.arange(3), n),
        arc_weight=np.full(3 * n, 0.25),
        min_size=4,
        max_size=4,
        level=np.arange(n) % 3,
        min_level_spread=2,
    )
    for method in METHODS:
        solution = solve_circles(problem, method)
        assert solution.assigned == n
        assert solution.status is Status.OPTIMAL


def test_slots_that_differ_only_in_fit_are_not_interchangeable() -> None:
    """Same theme, people and experts but another fit: symmetry breaking must not apply."""
    problem = CircleProblem(
        n_people=2,
        circle_theme=np.array([0, 0]),
        arc_person=np.array([0, 0, 1, 1]),
        arc_circle=np.array([0, 1, 0, 1]),
        arc_weight=np.array([0.1, 0.9, 0.1, 0.9]),
        min_size=2,
        max_size=2,
        objective=Objective.TOTAL,
    )
    weights = problem.integer_weights()
    model = _build(problem, np.arange(4), weights, 0)
    run = _solve_model(model, 10, 0, 10)
    assert model.classes == []
    assert run.chosen is not None
    assert run.chosen.tolist() == [1, 3]
    for method in METHODS:
        assert solve_circles(problem, method).objective == pytest.approx(1.8)


def test_hint_is_relabelled_into_the_symmetry_order() -> None:
    """A start with a small circle in the first of identical slots is hinted as the same
    circles, larger first, so that CP-SAT can use it as it is."""
    n = 9
    problem = CircleProblem(
        n_people=n,
        circle_theme=np.zeros(3, dtype=np.int64),
        arc_person=np.repeat(np.arange(n), 3),
        arc_circle=np.tile(np.arange(3), n),
        arc_weight=np.full(3 * n, 0.5),
        min_size=2,
        max_size=4,
    )
    # Slot 0: people 0-1; slot 1: nobody; slot 2: people 2-5 (arc = 3 * person + slot).
    start = np.array([0, 3, 8, 11, 14, 17])
    model = _build(problem, np.arange(3 * n), problem.integer_weights(), 1)
    assert model.classes == [[0, 1, 2]]
    members = _relabel(model, start)
    hinted = np.concatenate([model.arcs[idx] for idx in members.values()])
    assert [members[slot].shape[0] for slot in (0, 1, 2)] == [4, 2, 0]
    assert sorted(problem.arc_person[hinted].tolist()) == list(range(6))
    assert rule_faults(problem, hinted) == []


def test_unknown_method_is_an_error() -> None:
    problem = random_problem(0, n=10, n_themes=2, per_theme=2)
    with pytest.raises(UnknownCircleMethodError, match="known: cp_sat, decomposed, greedy"):
        solve_circles(problem, "annealing")


def test_optional_data_defaults_to_not_collected() -> None:
    problem = CircleProblem(
        3, np.array([0]), np.arange(3), np.zeros(3, np.int64), np.full(3, 0.5), 1, 3
    )
    assert (problem.group == -1).all()
    assert (problem.level == -1).all()
    assert (problem.attribute == -1).all()
    assert not problem.mentor.any()
    assert not problem.expert.any()


def test_attribute_cap_is_a_share_of_the_actual_size_rounded_up() -> None:
    half = CircleProblem(
        1,
        np.array([0]),
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        np.ones(1),
        1,
        10,
        max_attribute_share=0.5,
    )
    assert [half.attribute_cap(n) for n in (4, 5, 6)] == [2, 3, 3]
    tenth = dataclasses.replace(half, max_attribute_share=0.1)
    assert tenth.attribute_cap(10) == 1  # 0.1 read as a decimal, not its binary fraction.
    assert dataclasses.replace(half, max_attribute_share=None).attribute_cap(4) is None


@settings(DETERMINISTIC, max_examples=200)
@given(st.floats(0, 1, exclude_min=True), st.integers(1, 12))
def test_share_fraction_gives_the_same_caps(share: float, max_size: int) -> None:
    """The CP-SAT and LP rows use a small fraction p/q in place of the share."""
    problem = CircleProblem(
        1,
        np.array([0]),
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        np.ones(1),
        1,
        max_size,
        max_attribute_share=share,
    )
    p, q = _share_fraction(problem)
    assert q <= max_size
    for size in range(1, max_size + 1):
        assert math.ceil(Fraction(p * size, q)) == problem.attribute_cap(size)
        cap = problem.attribute_cap(size)
        assert cap is not None
        assert q * cap <= p * size + q - 1 < q * (cap + 1)


def _base(**changes: Any) -> CircleProblem:
    fields: dict[str, Any] = {
        "n_people": 2,
        "circle_theme": np.array([0]),
        "arc_person": np.array([0, 1]),
        "arc_circle": np.array([0, 0]),
        "arc_weight": np.array([0.5, 0.5]),
        "min_size": 1,
        "max_size": 2,
    }
    return CircleProblem(**(fields | changes))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"arc_person": np.array([0, 2])}, "outside 0..n_people-1"),
        ({"arc_circle": np.array([0, 1])}, "outside 0..n_slots-1"),
        ({"arc_weight": np.array([0.5, 1.5])}, r"\[0, 1\]"),
        ({"arc_weight": np.array([0.5, np.nan])}, "finite"),
        ({"arc_person": np.array([0, 0])}, "twice"),
        ({"arc_weight": np.array([0.5])}, "same length"),
        ({"min_size": 3}, "min_size <= max_size"),
        ({"min_size": 0}, "1 <= min_size"),
        ({"group": np.array([0])}, "length 2"),
        ({"level": np.array([0, -2])}, ">= -1"),
        ({"arc_person": np.array([0.0, 1.0])}, "dtype"),
        ({"max_attribute_share": 0.0}, r"\(0, 1\]"),
        ({"mentors_per_circle": -1}, ">= 0"),
        ({"objective": "most"}, "unknown objective"),
    ],
)
def test_inconsistent_numbers_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ProblemError, match=message):
        _base(**changes)
