"""The vectorised scorer against a plain per-pair reference written from the spec."""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import ProgramConfig, memory, scoring
from matcher.models import Expertise, MeetingFormat, Participant, Role
from matcher.scoring import COMPONENTS, NEUTRAL, RULES, Scorer, goal_weights
from solvers import parallel

TOPICS = ["Python", "SQL", "Leadership", "Writing, editing"]
PLACES = ["London", "Lagos", "Pune"]
TEAMS = ["Data", "Policy", "HR"]
LANGS = ["English", "French", "Yoruba"]


@st.composite
def people(draw: st.DrawFn, n: int, prefix: str, role: Role) -> list[Participant]:
    out = []
    for k in range(n):
        goals = draw(st.lists(st.sampled_from(TOPICS), max_size=3, unique=True))
        expertise = [
            Expertise(topic=t, level=draw(st.none() | st.integers(1, 5)))
            for t in draw(st.lists(st.sampled_from(TOPICS), max_size=3, unique=True))
        ]
        out.append(Participant(
            id=f"{prefix}{k}", name=f"{prefix.upper()}{k}", roles=(role,), goals=tuple(goals),
            expertise=tuple(expertise),
            seniority=draw(st.none() | st.integers(1, 6)),
            department=draw(st.none() | st.sampled_from(TEAMS)),
            location=draw(st.none() | st.sampled_from(PLACES)),
            utc_offset=draw(st.none() | st.sampled_from([-5.0, 0.0, 1.0, 5.5, 9.0, 12.0])),
            languages=tuple(draw(st.lists(st.sampled_from(LANGS), max_size=2, unique=True))),
            format=draw(st.sampled_from(list(MeetingFormat))),
        ))  # fmt: skip
    return out


@st.composite
def surveys(draw: st.DrawFn) -> tuple[list[Participant], list[Participant]]:
    mentees = draw(people(draw(st.integers(1, 7)), "e", Role.MENTEE))
    mentors = draw(people(draw(st.integers(1, 5)), "m", Role.MENTOR))
    ids = [p.id for p in (*mentees, *mentors)]

    def relate(p: Participant) -> Participant:
        return p.model_copy(update={
            "preferred": tuple(draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))),
            "avoid": tuple(draw(st.lists(st.sampled_from(ids), max_size=1))),
            "manager": draw(st.none() | st.sampled_from(ids)),
        })  # fmt: skip

    return [relate(p) for p in mentees], [relate(p) for p in mentors]


def reference_rules(e: Participant, m: Participant, cfg: ProgramConfig) -> set[str]:
    r = cfg.rules
    out = set()
    if e.id == m.id:
        out.add("same_person")
    if (
        r.require_shared_language
        and e.languages
        and m.languages
        and not set(e.languages) & set(m.languages)
    ):
        out.add("no_shared_language")
    if e.manager == m.id or m.manager == e.id:
        out.add("manager")
    if m.id in e.avoid or e.id in m.avoid:
        out.add("avoid")
    formats = {e.format, m.format}
    same_place = e.location is not None and e.location == m.location
    if formats == {MeetingFormat.VIRTUAL, MeetingFormat.IN_PERSON} or (
        MeetingFormat.IN_PERSON in formats and not same_place
    ):
        out.add("format")
    if e.seniority is not None and m.seniority is not None:
        gap = m.seniority - e.seniority
        if r.min_seniority_gap is not None and gap < r.min_seniority_gap:
            out.add("not_senior_enough")
        if r.max_seniority_gap is not None and gap > r.max_seniority_gap:
            out.add("too_senior")
    if r.different_department and e.department and e.department == m.department:
        out.add("same_department")
    if r.different_location and same_place:
        out.add("same_location")
    return out


def reference_components(e: Participant, m: Participant, cfg: ProgramConfig) -> dict[str, float]:
    sc = cfg.scoring
    out = {}
    if e.goals:
        level = {x.topic: (x.level or sc.expertise_default_level) / 5 for x in m.expertise}
        w = goal_weights(len(e.goals))
        out["goals"] = min(
            1.0, sum(wi * level.get(g, 0.0) for wi, g in zip(w, e.goals, strict=True))
        )
    else:
        out["goals"] = NEUTRAL
    if e.seniority is None or m.seniority is None:
        out["seniority"] = NEUTRAL
    else:
        gap = m.seniority - e.seniority
        out["seniority"] = max(0.0, 1 - abs(gap - sc.preferred_gap) / sc.gap_tolerance)
    parts = []
    for direction, a, b in (
        (sc.department, e.department, m.department),
        (sc.location, e.location, m.location),
    ):
        if direction == "ignore":
            continue
        if a is None or b is None:
            parts.append(NEUTRAL)
        else:
            parts.append(float((a != b) if direction == "different" else (a == b)))
    out["new_ties"] = sum(parts) / len(parts) if parts else NEUTRAL
    if e.utc_offset is None or m.utc_offset is None:
        out["time_overlap"] = NEUTRAL
    else:
        d = abs(e.utc_offset - m.utc_offset) % 24
        d = min(d, 24 - d)
        length = sc.working_hours[1] - sc.working_hours[0]
        out["time_overlap"] = max(0.0, length - d) / length
    out["preference"] = 1.0 if m.id in e.preferred else (0.5 if e.id in m.preferred else 0.0)
    return out


CONFIGS = [
    ProgramConfig(),
    ProgramConfig.model_validate({
        "rules": {"min_seniority_gap": None, "max_seniority_gap": 2,
                  "different_department": True, "different_location": True},
        "scoring": {"department": "same", "location": "ignore", "preferred_gap": 1}}),
]  # fmt: skip


@settings(max_examples=150)
@given(surveys(), st.sampled_from(range(len(CONFIGS))))
def test_vectorised_rules_and_components_match_reference(
    survey: tuple[list[Participant], list[Participant]], which: int
) -> None:
    mentees, mentors = survey
    cfg = CONFIGS[which]
    graph = Scorer(mentees, mentors, cfg).candidates()
    arcs = {
        (int(i), int(j)): k for k, (i, j) in enumerate(zip(graph.left, graph.right, strict=True))
    }
    values = graph.components_of(np.arange(graph.n_arcs))
    for i, e in enumerate(mentees):
        expected_removed = dict.fromkeys(RULES, 0)
        for j, m in enumerate(mentors):
            broken = reference_rules(e, m, cfg)
            for rule in broken:
                expected_removed[rule] += 1
            assert ((i, j) in arcs) == (not broken), (e, m, broken)
            if (i, j) in arcs:
                want = reference_components(e, m, cfg)
                got = values[arcs[(i, j)]]
                for c, name in enumerate(COMPONENTS):
                    assert math.isclose(got[c], want[name], abs_tol=1e-6), (name, e, m)
        assert [int(x) for x in graph.removed_left[i]] == [expected_removed[r] for r in RULES]


def test_weights_renormalise_without_the_missing_data() -> None:
    mentee = Participant(id="e", name="E", roles=(Role.MENTEE,), seniority=1)
    mentor = Participant(id="m", name="M", roles=(Role.MENTOR,), seniority=3)
    graph = Scorer([mentee], [mentor], ProgramConfig()).candidates()
    assert graph.disabled == ["goals", "new_ties", "time_overlap", "preference"]
    assert graph.weights["seniority"] == 1.0
    assert np.allclose(graph.score, [1.0])  # gap 2 is the preferred gap


def test_min_score_rule_removes_weak_pairs() -> None:
    mentee = Participant(id="e", name="E", roles=(Role.MENTEE,), seniority=1)
    mentors = [
        Participant(id=f"m{k}", name="M", roles=(Role.MENTOR,), seniority=1 + k) for k in (1, 2, 4)
    ]
    cfg = ProgramConfig.model_validate({"rules": {"min_score": 60}})
    graph = Scorer([mentee], mentors, cfg).candidates()
    assert graph.right.tolist() == [0, 1]  # gap 4: fit 1/3, below 60
    assert graph.removed_left[0, RULES.index("min_score")] == 1


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize(("rules", "top_k"), [({}, None), ({"min_score": 45}, None), ({}, 4)])
def test_blocks_give_the_same_graph_on_any_number_of_threads(
    monkeypatch: pytest.MonkeyPatch, threads: int, rules: dict[str, int], top_k: int | None
) -> None:
    """Blocks written at counted offsets (rules alone decide) or joined (a minimum score,
    a top k) give the one-block graph, whichever thread scores which block."""
    rng = np.random.default_rng(3)
    mentees = [
        Participant(
            id=f"e{k}",
            name="E",
            roles=(Role.MENTEE,),
            seniority=int(rng.integers(1, 4)),
            utc_offset=float(rng.integers(-5, 9)),
        )
        for k in range(40)
    ]
    mentors = [
        Participant(
            id=f"m{k}",
            name="M",
            roles=(Role.MENTOR,),
            seniority=int(rng.integers(2, 6)),
            utc_offset=float(rng.integers(-5, 9)),
        )
        for k in range(9)
    ]
    cfg = ProgramConfig.model_validate({"rules": rules})
    monkeypatch.setenv(parallel.ENV, "1")
    whole = Scorer(mentees, mentors, cfg).candidates(top_k)
    monkeypatch.setattr(scoring, "BLOCK_PAIRS", 20)  # two mentees per block
    monkeypatch.setenv(parallel.ENV, str(threads))
    blocked = Scorer(mentees, mentors, cfg).candidates(top_k)
    assert 0 < blocked.n_arcs < 40 * 9
    assert np.array_equal(whole.left, blocked.left)
    assert np.array_equal(whole.right, blocked.right)
    assert np.array_equal(whole.score, blocked.score)
    assert np.array_equal(whole.removed_left, blocked.removed_left)
    assert np.array_equal(whole.removed_right, blocked.removed_right)


@settings(max_examples=80)
@given(surveys(), st.sampled_from(range(len(CONFIGS))), st.booleans())
def test_pair_components_equal_the_block_values(
    survey: tuple[list[Participant], list[Participant]], which: int, symmetric: bool
) -> None:
    """Explanations compute the components of a few pairs on their own: the very values
    of the whole-block scoring (the goals sum may differ in the last float32 bit)."""
    mentees, mentors = survey
    if symmetric:
        mentors = mentees
    scorer = Scorer(mentees, mentors, CONFIGS[which], symmetric=symmetric)
    block = scorer.components(slice(0, len(mentees)))
    rng = np.random.default_rng(len(mentees) * 31 + len(mentors))
    left = rng.integers(0, len(mentees), 40)
    right = rng.integers(0, len(mentors), 40)
    got = scorer.pair_components(left, right)
    want = block[:, left, right].T
    assert np.allclose(got[:, 0], want[:, 0], rtol=0, atol=1e-6)
    assert np.array_equal(got[:, 1:], want[:, 1:])


def _randomly_weighted(seed: int) -> tuple[Scorer, np.random.Generator]:
    """A one-pair scorer with random component weights, and the generator that drew them."""
    mentees = [Participant(id="a", name="A", roles=(Role.MENTEE,), goals=("x",))]
    mentors = [Participant(id="b", name="B", roles=(Role.MENTOR,))]
    scorer = Scorer(mentees, mentors, ProgramConfig())
    rng = np.random.default_rng(seed)
    weights = rng.random(len(COMPONENTS))
    scorer.weights = dict(zip(COMPONENTS, weights / weights.sum(), strict=True))
    return scorer, rng


@settings(max_examples=100)
@given(st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_a_pairs_score_does_not_depend_on_the_pairs_scored_with_it(n: int, seed: int) -> None:
    """The same components give the same score bit for bit, alone or in any batch (a
    matrix product's rounding depended on the batch)."""
    scorer, rng = _randomly_weighted(seed)
    values = rng.random((len(COMPONENTS), n)).astype(np.float32)
    together = scorer.pair_scores(values)
    order = rng.permutation(n)
    assert np.array_equal(scorer.pair_scores(values[:, order]), together[order])
    for k in rng.integers(0, n, 5).tolist():
        assert scorer.pair_scores(values[:, k : k + 1])[0] == together[k]


@settings(max_examples=60)
@given(st.integers(1, 6), st.integers(1, 9), st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_cell_scores_sum_a_blocks_cells_as_pair_scores_does_in_any_chunks(
    rows: int, cols: int, chunk: int, seed: int
) -> None:
    """Gathered a chunk and a component at a time, into a new array or the graph's own
    slice, the scores are ``pair_scores`` of the cells' columns, bit for bit, including
    a block that is a slice of a larger buffer (the last, short block)."""
    scorer, rng = _randomly_weighted(seed)
    buffer = (rng.random((len(COMPONENTS), rows + 2, cols)) * 1.2).astype(np.float32)
    values = buffer[:, :rows]
    cells = np.flatnonzero(rng.random(rows * cols) < 0.6)
    want = scorer.pair_scores(values.reshape(len(COMPONENTS), -1)[:, cells])
    graph = np.full(cells.shape[0] + 3, -1.0)
    with mock.patch.object(scoring, "_CELL_CHUNK", chunk):
        assert np.array_equal(scorer.cell_scores(values, cells), want)
        scorer.cell_scores(values, cells, out=graph[2 : 2 + cells.shape[0]])
    assert np.array_equal(graph[2 : 2 + cells.shape[0]], want)
    assert graph[:2].tolist() == [-1.0, -1.0]
    assert graph[-1] == -1.0


@pytest.mark.parametrize(("n_mentees", "n_mentors"), [(0, 1), (1, 0), (0, 0)])
def test_an_empty_side_gives_an_empty_graph(n_mentees: int, n_mentors: int) -> None:
    """Codes stay integers with nobody on a side (numpy builds an empty list as floats)."""
    mentees = [Participant(id="a", name="A", roles=(Role.MENTEE,), department="x")][:n_mentees]
    mentors = [Participant(id="b", name="B", roles=(Role.MENTOR,), location="y")][:n_mentors]
    graph = Scorer(mentees, mentors, ProgramConfig()).candidates()
    assert graph.n_arcs == 0
    assert graph.removed_left.shape == (n_mentees, len(RULES))


def _random_sides(n_mentees: int, n_mentors: int) -> tuple[list[Participant], list[Participant]]:
    rng = np.random.default_rng(3)

    def person(k: int, role: Role, low: int, high: int) -> Participant:
        return Participant(
            id=f"{role.value}{k}", name="P", roles=(role,),
            seniority=int(rng.integers(low, high)), utc_offset=float(rng.integers(-5, 9)),
        )  # fmt: skip

    return (
        [person(k, Role.MENTEE, 1, 4) for k in range(n_mentees)],
        [person(k, Role.MENTOR, 2, 6) for k in range(n_mentors)],
    )


@pytest.mark.parametrize(("rules", "top_k"), [({}, None), ({"min_score": 45}, None), ({}, 4)])
def test_the_estimate_is_the_count_when_every_row_is_sampled(
    monkeypatch: pytest.MonkeyPatch, rules: dict[str, int], top_k: int | None
) -> None:
    mentees, mentors = _random_sides(40, 9)
    scorer = Scorer(mentees, mentors, ProgramConfig.model_validate({"rules": rules}))
    monkeypatch.setattr(scoring, "BLOCK_PAIRS", 20)  # runs of two rows: 20 runs
    assert scorer.estimated_pairs(top_k) == scorer.candidates(top_k).n_arcs


def test_the_estimate_from_spread_rows_is_close_on_a_calibrated_population() -> None:
    from benchmarks.population import generate, program_config

    people = generate(3_000, 600, seed=4).participants()
    mentees = [p for p in people if Role.MENTEE in p.roles]
    mentors = [p for p in people if Role.MENTOR in p.roles]
    for rules in ({}, {"min_score": 55}):
        base = program_config()
        config = base.model_copy(update={"rules": base.rules.model_copy(update=rules)})
        scorer = Scorer(mentees, mentors, config)
        exact = scorer.candidates().n_arcs
        assert exact > 0
        # 2,048 of 3,000 rows in 32 runs: not every row, yet within a few percent.
        assert abs(scorer.estimated_pairs() - exact) < 0.03 * exact, rules


def test_a_track_that_cannot_fit_is_refused_before_it_is_scored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mentees, mentors = _random_sides(40, 9)
    scorer = Scorer(mentees, mentors, ProgramConfig())
    exact = scorer.candidates().n_arcs
    at_least = memory.PAIR_BYTES_AT_LEAST
    # Room for every pair: no sample is scored at all.
    monkeypatch.setattr(scoring, "available_bytes", lambda: 40 * 9 * at_least)
    with mock.patch.object(Scorer, "estimated_pairs", side_effect=AssertionError):
        assert scorer.candidates().n_arcs == exact
    # Room for the pairs kept, not for every pair: sampled, then counted, and run.
    monkeypatch.setattr(scoring, "available_bytes", lambda: exact * at_least)
    assert scorer.candidates().n_arcs == exact
    # One pair short: the sample (here every row) refuses before any block is scored.
    monkeypatch.setattr(scoring, "available_bytes", lambda: exact * at_least - 1)
    with (
        mock.patch.object(Scorer, "components", side_effect=AssertionError),
        pytest.raises(memory.TooLargeError) as refused,
    ):
        scorer.candidates()
    assert (refused.value.pairs, refused.value.estimated) == (exact, True)
    # A sample that missed them: the exact count refuses before the graph is made.
    with (
        mock.patch.object(Scorer, "estimated_pairs", return_value=0),
        mock.patch.object(Scorer, "cell_scores", side_effect=AssertionError),
        pytest.raises(memory.TooLargeError) as refused,
    ):
        scorer.candidates()
    assert (refused.value.pairs, refused.value.estimated) == (exact, False)
