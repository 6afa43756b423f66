"""Diagnosis on hand-built cohorts: every reason, topic count, alternate, fix and
counterfactual checked against what an independent re-solve or count says."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import breadth_first_order

from matcher import ProgramConfig, diagnose, load_survey, match
from matcher.diagnose import (
    NearMisses,
    PersonError,
    SolvedPeers,
    SolvedTrack,
    _ArcsBySide,
    _augmented,
    _augmented_by_max_flow,
    _augmented_by_paths,
    _group,
    _reach,
    _search,
    _with_arcs,
    rule_masks,
    shortlist,
    top_per_person,
    why_not,
)
from matcher.intake import Survey
from matcher.models import MatchResult, MeetingFormat, Participant, Role
from matcher.pipeline import RunOutput
from matcher.scoring import COMPONENTS, Scorer
from solvers import SCORE_SCALE, AssignmentProblem, Objective
from solvers.mincostflow import solve_min_cost_flow
from tests.matcher.test_scoring import people, reference_rules, surveys
from tests.threads import on_two_threads

DATA = Path(__file__).resolve().parents[2] / "data"


def person(pid: str, role: Role | tuple[Role, ...], **fields: object) -> Participant:
    roles = role if isinstance(role, tuple) else (role,)
    return Participant.model_validate(
        {"id": pid, "name": pid.title(), "roles": roles, "languages": ("English",), **fields}
    )


def solve(people: list[Participant], config: ProgramConfig | None = None) -> MatchResult:
    return match(Survey(participants=people, warnings=[]), config or ProgramConfig()).result


def reasons(result: MatchResult) -> dict[str, str]:
    return {u.id: u.reason for u in result.unmatched}


def partners(result: MatchResult) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for cohort in result.cohorts:
        for pair in cohort.pairs:
            out.setdefault(pair.a, set()).add(pair.b)
            out.setdefault(pair.b, set()).add(pair.a)
    return out


# --- Unmatched reasons -------------------------------------------------------------------


def test_rules_that_removed_every_mentor_are_counted() -> None:
    people = [
        person("ana", Role.MENTOR, seniority=3),
        person("bo", Role.MENTOR, seniority=6, languages=("French",)),
        person("cy", Role.MENTEE, seniority=3),
    ]
    assert reasons(solve(people))["cy"] == (
        "no eligible mentor: of 2 mentors: 1 no shared language, 1 not senior enough"
    )
    french = [*people[:2], person("cy", Role.MENTEE, seniority=1, languages=("Tamil",))]
    assert reasons(solve(french))["cy"] == (
        "no eligible mentor: of 2 mentors: 2 no shared language"
    )


def test_full_mentors_are_named_with_their_mentees_best_candidate_first() -> None:
    # Five mentors with one place each, six mentees who can all have any of them.
    mentors = [person(f"m{k}", Role.MENTOR, seniority=5, capacity=1) for k in range(5)]
    mentees = [person(f"e{k}", Role.MENTEE, seniority=1) for k in range(6)]
    result = solve([*mentors, *mentees])
    (loser,) = [u for u in result.unmatched if u.role is Role.MENTEE]
    text = loser.reason
    assert text.startswith("all 5 eligible mentors are full: ")
    assert text.endswith(" and 2 more")
    named = re.findall(r"(M\d) \(mentoring (E\d)\)", text)
    assert len(named) == 3
    got = partners(result)
    for mentor, mentee in named:  # each named mentor really mentors the named mentee
        assert got[mentor.lower()] == {mentee.lower()}


def test_only_eligible_mentor_full() -> None:
    people = [
        person("ana", Role.MENTOR, seniority=5, capacity=1, expertise=({"topic": "SQL"},)),
        person("bo", Role.MENTEE, seniority=1, goals=("SQL",)),
        person("cy", Role.MENTEE, seniority=1, goals=("Knitting",)),
    ]
    assert reasons(solve(people)) == {"cy": "the only eligible mentor is full: Ana (mentoring Bo)"}


def test_minimum_score_reason_gives_the_best_score_they_would_have_had() -> None:
    people = [
        person("ana", Role.MENTOR, seniority=3, expertise=({"topic": "SQL"},)),
        person("bo", Role.MENTOR, seniority=4),
        person("zed", Role.MENTOR, seniority=1),  # removed by seniority, not by the score
        person("cy", Role.MENTEE, seniority=1, goals=("SQL",)),
    ]
    free = ProgramConfig()
    strict = ProgramConfig.model_validate({"rules": {"min_score": 99}})
    mentees, mentors = people[3:], people[:3]
    graph = Scorer(mentees, mentors, free).candidates()
    best = max(100 * float(s) for s in graph.score)
    who = mentors[int(graph.right[int(np.argmax(graph.score))])].name
    result = solve(people, strict)
    assert reasons(result)["cy"] == (
        "no eligible mentor: the minimum score of 99 was not reached; 2 of 3 mentors pass "
        f"every other rule, the best would have scored {best:.1f} ({who})"
    )
    assert result.summary.track("mentoring").unmatched_reasons == {
        "no mentor reaches the minimum score": 1
    }


def test_odd_peer_out_names_who_took_their_candidates() -> None:
    pool = [person(f"p{k}", Role.PEER, seniority=3) for k in range(3)]
    result = solve(pool)
    (odd,) = [u for u in result.unmatched if u.role is Role.PEER]
    got = partners(result)
    named = re.findall(r"(P\d) \(with (P\d)\)", odd.reason)
    assert odd.reason.startswith("all 2 candidate peers were paired with others: ")
    assert len(named) == 2
    for a, b in named:
        assert got[a.lower()] == {b.lower()}


def test_reasons_never_mention_demographic_attributes() -> None:
    people = [
        person("ana", Role.MENTOR, seniority=5, capacity=1, attributes={"g": "ZQXsecret"}),
        person("bo", Role.MENTEE, seniority=1, attributes={"g": "ZQXsecret"}),
        person("cy", Role.MENTEE, seniority=1, attributes={"g": "ZQXsecret"}),
        person("dee", Role.MENTEE, seniority=1, languages=("French",)),
    ]
    result = solve(people)
    assert result.fixes
    assert result.alternates
    assert "ZQX" not in result.model_dump_json()


# --- Topics -------------------------------------------------------------------------------


def test_topic_supply_and_demand() -> None:
    python, sql = {"topic": "Python"}, {"topic": "SQL"}
    people = [
        person("ana", Role.MENTOR, seniority=5, capacity=1, expertise=(python,)),
        person("bo", Role.MENTOR, seniority=5, capacity=2, expertise=(python, sql)),
        person("e1", Role.MENTEE, seniority=1, goals=("Python",)),
        person("e2", Role.MENTEE, seniority=1, goals=("python", "SQL")),
        person("e3", Role.MENTEE, seniority=1, goals=("Python",)),
        person("e4", Role.MENTEE, seniority=1, goals=("Python", "Knitting")),
        person("e5", Role.MENTEE, seniority=1, languages=("French",), goals=("SQL",)),
    ]
    result = solve(people)
    topics = {t.topic: t for t in result.topics if t.track == "mentoring"}
    assert [t.topic for t in result.topics] == ["Python", "SQL", "Knitting"]
    py = topics["Python"]
    assert (py.demand, py.offering, py.capacity, py.covered, py.short) == (4, 2, 3, 3, True)
    sq = topics["SQL"]
    assert (sq.demand, sq.offering, sq.capacity, sq.short) == (2, 1, 2, False)
    got = partners(result)
    assert sq.covered == (1 if "bo" in got.get("e2", set()) else 0)
    knit = topics["Knitting"]
    assert (knit.demand, knit.offering, knit.capacity, knit.covered) == (1, 0, 0, 0)
    assert knit.short


# --- Alternates ---------------------------------------------------------------------------


@settings(max_examples=40)
@given(surveys())
def test_alternates_are_allowed_unchosen_and_ranked(
    survey: tuple[list[Participant], list[Participant]],
) -> None:
    mentees, mentors = survey
    cfg = ProgramConfig.model_validate({"diagnosis": {"alternates": 2}})
    result = solve([*mentees, *mentors], cfg)
    by_id = {p.id: p for p in (*mentees, *mentors)}
    graph = Scorer(mentees, mentors, cfg).candidates()
    score = {
        (mentees[i].id, mentors[j].id): round(100 * float(s), 2)
        for i, j, s in zip(graph.left, graph.right, graph.score, strict=True)
    }
    got = partners(result)
    ranks: dict[str, list[tuple[int, float]]] = {}
    for alt in result.alternates:
        assert alt.track == "mentoring"
        assert alt.partner_id not in got.get(alt.id, set())
        me, other = by_id[alt.id], by_id[alt.partner_id]
        mentee, mentor = (me, other) if Role.MENTEE in me.roles else (other, me)
        assert not reference_rules(mentee, mentor, cfg)
        assert alt.score == score[mentee.id, mentor.id]
        ranks.setdefault(alt.id, []).append((alt.rank, alt.score))
    for listed in ranks.values():
        assert [r for r, _ in listed] == list(range(1, len(listed) + 1))
        assert [s for _, s in listed] == sorted((s for _, s in listed), reverse=True)
        assert len(listed) <= 2
    off = ProgramConfig.model_validate({"diagnosis": {"alternates": 0}})
    assert solve([*mentees, *mentors], off).alternates == []


# --- Fixes --------------------------------------------------------------------------------


def test_raising_one_capacity_places_the_expected_mentee() -> None:
    people = [
        person("ana", Role.MENTOR, seniority=5, capacity=1),
        person("bo", Role.MENTOR, seniority=5, capacity=1, languages=("French",)),
        person("cy", Role.MENTEE, seniority=1, expertise=(), goals=("SQL",)),
        person("dee", Role.MENTEE, seniority=1),
        person("fay", Role.MENTEE, seniority=1, languages=("French",)),
    ]
    result = solve(people)
    (left_out,) = [u.id for u in result.unmatched if u.role is Role.MENTEE]
    assert left_out in {"cy", "dee"}
    raises = [f for f in result.fixes if f.kind == "raise_capacity"]
    assert [f.change for f in raises] == ["raise Ana's capacity from 1 to 2"]  # not Bo's
    (fix,) = raises
    assert fix.newly_matched == [left_out]
    # A direct re-solve with Ana's capacity raised fills exactly as many more places.
    bigger = [p.model_copy(update={"capacity": 2}) if p.id == "ana" else p for p in people]
    before, after = result.summary.pairs, solve(bigger).summary.pairs
    assert fix.placed == after - before == 1


def test_waiving_the_rule_that_removed_every_mentor() -> None:
    people = [
        person("ana", Role.MENTOR, seniority=5, capacity=2, location="Pune"),
        person("eli", Role.MENTEE, seniority=1, location="Lagos", format=MeetingFormat.IN_PERSON),
    ]
    result = solve(people)
    assert result.unmatched[0].reason.startswith("no eligible mentor: of 1 mentors: 1 meeting")
    (fix,) = result.fixes
    assert fix.kind == "relax_rule"
    assert fix.change.startswith("let Eli accept a mentor despite the meeting format")
    assert (fix.placed, fix.newly_matched) == (1, ["eli"])
    off = ProgramConfig.model_validate({"diagnosis": {"max_variations": 0}})
    assert solve(people, off).fixes == []


# --- Why not X ----------------------------------------------------------------------------


def _solved(people: list[Participant], cfg: ProgramConfig) -> RunOutput:
    return match(Survey(participants=people, warnings=[]), cfg, keep_tracks=True)


def test_why_not_a_forbidden_pair_names_the_rule() -> None:
    people = [
        person("ana", Role.MENTOR, seniority=5, languages=("English",)),
        person("bo", Role.MENTOR, seniority=1, languages=("French",)),
        person("cy", Role.MENTEE, seniority=1, languages=("English",)),
    ]
    output = _solved(people, ProgramConfig())
    answer = why_not(output.solved, output.participants, "CY", "bo")
    assert not answer.allowed
    assert set(answer.forbidden_by) == {"no_shared_language", "not_senior_enough"}
    assert any("listed English; Bo listed French" in d for d in answer.forbidden_detail)
    assert any("Bo (1) is at the same level as Cy (1)" in d for d in answer.forbidden_detail)
    assert not answer.pinnable
    assert "not allowed by the hard rules" in answer.text()
    with pytest.raises(PersonError, match="nobody"):
        why_not(output.solved, output.participants, "nobody", "bo")
    with pytest.raises(PersonError, match="not on opposite sides"):
        why_not(output.solved, output.participants, "ana", "bo")


@pytest.fixture(scope="module")
def sample() -> tuple[ProgramConfig, list[Participant]]:
    cfg = ProgramConfig.load(DATA / "sample_program.toml")
    people = load_survey([DATA / "sample_survey.csv"], cfg).participants
    # The mentoring track alone, without commitment limits: a plain capacitated assignment.
    people = [p.model_copy(update={"commitments": None}) for p in people]
    tracks = cfg.tracks.model_copy(update={"order": ["mentoring"]})
    diagnosis = cfg.diagnosis.model_copy(update={"max_variations": 0})
    return cfg.model_copy(update={"tracks": tracks, "diagnosis": diagnosis}), people


def _oracle_total(weight: np.ndarray, allowed: np.ndarray, caps: list[int]) -> tuple[int, int]:
    """(pairs, total integer weight) of the coverage-first optimum, by scipy on slots."""
    owner = np.repeat(np.arange(len(caps)), caps)
    big = SCORE_SCALE * (weight.shape[0] + 1)
    matrix = np.where(allowed, big + weight, 0)[:, owner]
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    used = allowed[rows, owner[cols]]
    return int(used.sum()), int(weight[rows, owner[cols]][used].sum())


def test_why_not_cost_equals_a_direct_re_solve(
    sample: tuple[ProgramConfig, list[Participant]],
) -> None:
    cfg, people = sample
    output = _solved(people, cfg)
    solved = output.solved["mentoring"]
    assert isinstance(solved, SolvedTrack)
    mentees, mentors, graph = solved.askers, solved.offerers, solved.graph
    got = partners(output.result)
    # A: an unmatched mentee; B: the full mentor they score best with.
    a = next(i for i, p in enumerate(mentees) if p.id not in got)
    arcs = np.flatnonzero(graph.left == a)
    b = int(graph.right[arcs[np.argmax(graph.score[arcs])]])
    answer = why_not(output.solved, people, mentees[a].id, mentors[b].id)
    assert answer.allowed
    assert answer.pinnable
    # Independently: the optimum without the pin, and with A's row and B's unit removed.
    caps = [cfg.mentoring.default_capacity if p.capacity is None else p.capacity for p in mentors]
    weight = np.zeros((len(mentees), len(mentors)), dtype=np.int64)
    allowed = np.zeros((len(mentees), len(mentors)), dtype=bool)
    weight[graph.left, graph.right] = np.rint(graph.score * SCORE_SCALE)
    allowed[graph.left, graph.right] = True
    base_pairs, base_total = _oracle_total(weight, allowed, caps)
    rest = np.ones(len(mentees), dtype=bool)
    rest[a] = False
    pinned_caps = list(caps)
    pinned_caps[b] -= 1
    pin_pairs, pin_total = _oracle_total(weight[rest], allowed[rest], pinned_caps)
    pin_pairs, pin_total = pin_pairs + 1, pin_total + int(weight[a, b])
    assert answer.filled_change == pin_pairs - base_pairs
    expected = 100 * (pin_total - base_total) / SCORE_SCALE
    assert answer.total_change == pytest.approx(expected, abs=0.05)
    assert (
        sum(c.points_after - c.points_before for c in answer.losers + answer.winners)
        + answer.instead_pair.score
    ) == pytest.approx(answer.total_change, abs=0.05)


@settings(max_examples=40)
@given(surveys())
def test_single_unit_fixes_read_off_the_residual_graph_equal_re_solves(
    survey: tuple[list[Participant], list[Participant]],
) -> None:
    mentees, mentors = survey
    cfg = ProgramConfig.model_validate({"mentoring": {"default_capacity": 1}})
    solved = _solved([*mentees, *mentors], cfg).solved.get("mentoring")
    if not isinstance(solved, SolvedTrack):
        return
    reach = _reach(solved)
    assert reach is not None  # pruned_flow, coverage: a proven maximum flow
    p, base = solved.problem, solved.solution.assigned
    for j in range(p.n_right):  # one more place at offerer j
        capacity = p.right_capacity.copy()
        capacity[j] += 1
        bigger = replace(p, right_capacity=capacity)
        assert solved.solve(bigger).assigned - base == int(reach.start[j] >= 0)
        if reach.start[j] >= 0:  # the person named has room and a candidate path
            assert solved.got_left(solved.solution)[reach.start[j]] < p.left_demand[reach.start[j]]
        # With a free arc from an asker with room, the best such asker is named: the
        # highest score step, then the first asker.
        used = set(solved.solution.chosen_arcs.tolist())
        room = solved.got_left(solved.solution) < p.left_demand
        direct = [(-round(float(p.arc_weight[a]) * SCORE_SCALE), int(p.arc_left[a]))
                  for a in range(p.n_arcs) if p.arc_right[a] == j and a not in used
                  and room[p.arc_left[a]]]  # fmt: skip
        if direct:
            assert reach.start[j] == min(direct)[1]
    have = set(zip(p.arc_left.tolist(), p.arc_right.tolist(), strict=True))
    got = solved.got_left(solved.solution)
    for i in np.flatnonzero(p.left_demand - got == 1).tolist():  # a new arc for asker i
        for j in range(p.n_right):
            if (i, j) in have:
                continue
            extra = replace(p, arc_left=np.append(p.arc_left, i), arc_right=np.append(
                p.arc_right, j), arc_weight=np.append(p.arc_weight, 0.5))  # fmt: skip
            assert solved.solve(extra).assigned - base == int(reach.to_sink[j])


@settings(max_examples=120)
@given(surveys(), st.integers(1, 3), st.data())
def test_added_arcs_counted_on_the_residual_graph_equal_re_solves(
    survey: tuple[list[Participant], list[Participant]], demand: int, data: st.DataObject
) -> None:
    """Rule-wide fixes (and a waiver for someone asking for several) are counted by one
    max flow on the residual graph: the same count as a min-cost re-solve, the people it
    names are short of partners, and nobody loses a match on the way."""
    mentees, mentors = survey
    cfg = ProgramConfig.model_validate({"mentoring": {"default_demand": demand}})
    solved = _solved([*mentees, *mentors], cfg).solved.get("mentoring")
    if not isinstance(solved, SolvedTrack) or _reach(solved) is None:
        return
    p, base = solved.problem, solved.solution.assigned
    have = set(zip(p.arc_left.tolist(), p.arc_right.tolist(), strict=True))
    missing = [(i, j) for i in range(p.n_left) for j in range(p.n_right) if (i, j) not in have]
    if not missing:
        return
    picked = data.draw(st.lists(st.sampled_from(missing), min_size=1, max_size=6, unique=True))
    left = np.array([i for i, _ in picked], dtype=np.int64)
    right = np.array([j for _, j in picked], dtype=np.int64)
    added = NearMisses(
        left, right, np.zeros(len(picked), dtype=np.int64), np.full(len(picked), 0.5)
    )
    expected = solved.solve(_with_arcs(p, added)).assigned - base
    got = solved.got_left(solved.solution)
    original = diagnose.PATHS_AT_MOST
    try:
        # Both ways of counting: one search per augmenting path, and one max flow.
        for paths_at_most in (1_000, -1):
            diagnose.PATHS_AT_MOST = paths_at_most
            placed, gained = _augmented(solved, added)
            assert placed == expected
            assert all(got[i] < p.left_demand[i] for i in gained)
            assert (placed == 0) == (not gained)
            assert len(gained) <= placed
    finally:
        diagnose.PATHS_AT_MOST = original


@settings(max_examples=40)
@given(st.integers(3, 10).flatmap(lambda n: people(n, "p", Role.PEER)))
def test_why_not_peers_cost_equals_networkx(pool: list[Participant]) -> None:
    output = _solved(pool, ProgramConfig())
    peers = output.solved.get("peer")
    if not isinstance(peers, SolvedPeers):
        return
    answer = why_not(output.solved, pool, pool[0].id, pool[1].id)
    assert answer.track == "peer"
    if not answer.pinnable:
        assert answer.matched_together or answer.forbidden_by
        return

    def best(edges: list[tuple[int, int, int]]) -> tuple[int, int]:
        graph = nx.Graph()
        graph.add_weighted_edges_from(edges)
        chosen = nx.max_weight_matching(graph, maxcardinality=True)
        return len(chosen), sum(graph.edges[u, v]["weight"] for u, v in chosen)

    p = peers.problem
    weights = np.rint(p.arc_weight * SCORE_SCALE).astype(int).tolist()
    edges = list(zip(p.arc_u.tolist(), p.arc_v.tolist(), weights, strict=True))
    base_pairs, base_total = best(edges)
    rest_pairs, rest_total = best([e for e in edges if not {0, 1} & {e[0], e[1]}])
    pin = round(answer.instead_pair.score / 100 * SCORE_SCALE)
    assert answer.filled_change == 2 * (rest_pairs + 1 - base_pairs)
    expected = 100 * (rest_total + pin - base_total) / SCORE_SCALE
    assert answer.total_change == pytest.approx(expected, abs=0.05)


@settings(max_examples=30)
@given(surveys(), st.data())
def test_rows_read_from_the_kept_block_equal_rows_scored_again(
    survey: tuple[list[Participant], list[Participant]], data: st.DataObject
) -> None:
    """Small problems keep ``candidates``' masks and components; the diagnosis reading a
    block of rows from them gets what scoring those rows again gives (components up to
    float32 rounding, which depends on the block's size: reading the kept block is the
    more faithful, it is what the candidate graph was built from)."""
    mentees, mentors = survey
    scorer = Scorer(mentees, mentors, ProgramConfig.model_validate({"rules": {"min_score": 30}}))
    scorer.candidates()
    assert scorer.whole is not None
    start = data.draw(st.integers(0, len(mentees) - 1))
    stop = data.draw(st.integers(start + 1, len(mentees)))
    kept_masks, kept_values = rule_masks(scorer, slice(start, stop))
    whole, scorer.whole = scorer.whole, None
    masks, values = rule_masks(scorer, slice(start, stop))
    scorer.whole = whole
    assert kept_masks.keys() == masks.keys()
    for name, mask in masks.items():
        if name != "min_score":
            np.testing.assert_array_equal(kept_masks[name], mask, err_msg=name)
    np.testing.assert_allclose(kept_values, values, atol=1e-6)
    weights = np.array([scorer.weights[c] for c in COMPONENTS], dtype=np.float32)
    total = np.tensordot(weights, kept_values, axes=1)
    far = np.abs(total * 100 - 30) > 1e-3  # away from the threshold, no rounding flips it
    np.testing.assert_array_equal(kept_masks["min_score"][far], masks["min_score"][far])


@settings(max_examples=100)
@given(
    st.integers(1, 30), st.integers(1, 12), st.integers(0, 400), st.integers(0, 5),
    st.booleans(), st.booleans(), st.integers(0, 2**32 - 1),
)  # fmt: skip
def test_top_per_person_picks_each_persons_best_in_order(
    n_people: int,
    n_partners: int,
    n_arcs: int,
    n: int,
    per_person: bool,
    skipping: bool,
    seed: int,
) -> None:
    """Each person's best arcs (a quota per person or one for all, skipped arcs left
    out), as a literal sort picks them, whether or not the histogram narrowing runs
    first (above ``SORT_ALL_BELOW`` arcs); ties at each person's cut are common."""
    rng = np.random.default_rng(seed)
    # Distinct (person, partner) arcs, as in a candidate graph.
    cells = rng.permutation(n_people * n_partners)[:n_arcs]
    person, partner = np.divmod(cells, n_partners)
    score = rng.integers(0, 8, cells.shape[0]) / 7
    rank = rng.permutation(n_partners)
    quota = rng.integers(0, n + 1, n_people) if per_person else np.full(n_people, n)
    skip = rng.random(cells.shape[0]) < 0.3 if skipping else None
    wanted: list[int] = []
    for who in range(n_people):
        mine = [k for k in range(cells.shape[0])
                if person[k] == who and (skip is None or not skip[k])]  # fmt: skip
        mine.sort(key=lambda k: (-round(score[k] * SCORE_SCALE), rank[partner[k]]))
        wanted.extend(mine[: quota[who]])
    n_arg = quota if per_person else n
    # A shortlist made once with room for the quota, the skipped arcs and some to spare
    # (as one per side serves several calls) changes nothing.
    skipped = np.bincount(person[skip], minlength=n_people) if skip is not None else 0
    room = quota + skipped + rng.integers(0, 3, n_people)
    original = diagnose.SORT_ALL_BELOW
    try:
        for threshold in (original, 0):
            diagnose.SORT_ALL_BELOW = threshold
            got = top_per_person(person, partner, score, rank, n_arg, skip)
            assert got.tolist() == wanted
            within = shortlist(person, score, room)
            got = top_per_person(person, partner, score, rank, n_arg, skip, within=within)
            assert got.tolist() == wanted
    finally:
        diagnose.SORT_ALL_BELOW = original


@settings(max_examples=150)
@given(
    st.integers(1, 9), st.integers(1, 7), st.integers(1, 3), st.integers(1, 4),
    st.floats(0.2, 0.8), st.integers(0, 2**32 - 1),
)  # fmt: skip
def test_augmenting_paths_count_what_one_max_flow_counts(
    n_left: int, n_right: int, demand: int, capacity: int, density: float, seed: int
) -> None:
    """Several augmenting paths that cross each other's arcs: the searches, flipping each
    path, count what scipy's max flow counts on the same residual graph."""
    rng = np.random.default_rng(seed)
    cells = rng.permutation(n_left * n_right)
    n_arcs = int(density * cells.shape[0])
    left, right = np.divmod(cells[:n_arcs], n_right)
    more_left, more_right = np.divmod(cells[n_arcs:], n_right)
    problem = AssignmentProblem(
        left_demand=rng.integers(0, demand + 1, n_left),
        right_capacity=rng.integers(0, capacity + 1, n_right),
        arc_left=left, arc_right=right, arc_weight=rng.random(n_arcs),
        objective=Objective.COVERAGE,
    )  # fmt: skip
    chosen = solve_min_cost_flow(problem).chosen_arcs  # a maximum flow
    added = NearMisses(more_left, more_right, np.zeros_like(more_left), np.zeros(more_left.shape))
    room_left = problem.left_demand - np.bincount(left[chosen], minlength=n_left)
    room_right = problem.right_capacity - np.bincount(right[chosen], minlength=n_right)
    expected = _augmented_by_max_flow(problem, chosen, added, room_left, room_right)[0]
    for side in (0, 1):  # searched from the askers, and from the offerers
        placed, gained, used = _augmented_by_paths(
            problem, chosen, added, room_left, room_right, _ArcsBySide(problem), side
        )
        assert placed == expected
        assert len(gained) <= placed
        assert all(room_left[i] > 0 for i in gained)
        # The flipped paths leave a feasible assignment with ``placed`` more units, and
        # the people named are those who gained one.
        all_left, all_right = np.append(left, more_left), np.append(right, more_right)
        assert np.count_nonzero(used) == chosen.shape[0] + placed
        after = np.bincount(all_left[used], minlength=n_left)
        assert (after <= problem.left_demand).all()
        assert (np.bincount(all_right[used], minlength=n_right) <= problem.right_capacity).all()
        before = np.bincount(left[chosen], minlength=n_left)
        assert set(gained) == set(np.flatnonzero(after > before).tolist())


@settings(max_examples=150)
@given(
    st.integers(1, 12), st.integers(1, 8), st.floats(0.0, 1.0), st.booleans(), st.booleans(),
    st.sampled_from([1, 3, 1 << 20]), st.integers(0, 2**32 - 1),
)  # fmt: skip
def test_residual_search_visits_as_scipys_breadth_first_search(
    n_left: int,
    n_right: int,
    density: float,
    forward: bool,
    in_order: bool,
    chunk: int,
    seed: int,
) -> None:
    """The search of the residual graph (or its reverse) gives scipy's predecessors on
    the same graph as a CSR matrix when the arcs come sorted, as a candidate graph's do,
    whatever the chunk size; in any arc order it reaches the same nodes."""
    rng = np.random.default_rng(seed)
    cells = np.flatnonzero(rng.random(n_left * n_right) < density)
    left, right = np.divmod(cells if in_order else rng.permutation(cells), n_right)
    problem = AssignmentProblem(
        left_demand=np.ones(n_left, dtype=np.int64),
        right_capacity=np.ones(n_right, dtype=np.int64),
        arc_left=left, arc_right=right, arc_weight=rng.random(left.shape[0]),
    )  # fmt: skip
    used = rng.random(left.shape[0]) < 0.3
    extra = n_left + n_right
    if forward:  # source -> askers (with room), as _reach starts
        first = np.flatnonzero(rng.random(n_left) < 0.5)
        tails = np.concatenate([np.full(first.shape[0], extra), left[~used], n_left + right[used]])
        heads = np.concatenate([first, n_left + right[~used], left[used]])
    else:  # sink <- offerers (with room), reversed
        first = n_left + np.flatnonzero(rng.random(n_right) < 0.5)
        tails = np.concatenate([np.full(first.shape[0], extra), n_left + right[~used], left[used]])
        heads = np.concatenate([first, left[~used], n_left + right[used]])
    n = extra + 1
    graph = sp.csr_matrix((np.ones(tails.shape[0]), (tails, heads)), shape=(n, n))
    _, want = breadth_first_order(graph, extra, directed=True, return_predecessors=True)
    original = diagnose.SEARCH_CHUNK
    try:
        diagnose.SEARCH_CHUNK = chunk
        got = _search(_ArcsBySide(problem), used, first, forward=forward)
    finally:
        diagnose.SEARCH_CHUNK = original
    assert np.array_equal(got >= 0, want >= 0)
    if in_order:
        assert np.array_equal(got, want)


@settings(max_examples=120, deadline=None)
@given(
    ends=st.lists(st.integers(0, 9), max_size=70),
    chunk=st.integers(1, 8),
    wide=st.booleans(),
)
def test_group_in_chunks_on_threads_is_the_stable_sort(
    ends: list[int], chunk: int, wide: bool
) -> None:
    """Sorted a chunk at a time on two threads and placed by the counts before each
    chunk: the order is numpy's stable argsort, node numbers past 2^16 included."""
    n = 70_000 if wide else 10
    nodes = np.asarray(ends, dtype=np.int64) * (6_999 if wide else 1)
    with on_two_threads(diagnose, GROUP_CHUNK=chunk):
        order, ptr = _group(nodes, n)
    stable = np.argsort(nodes, kind="stable")
    if order is None:  # grouped already: the identity, not made
        np.testing.assert_array_equal(stable, np.arange(nodes.shape[0]))
    else:
        np.testing.assert_array_equal(order, stable)
    np.testing.assert_array_equal(
        ptr, np.concatenate([[0], np.cumsum(np.bincount(nodes, minlength=n))])
    )
