"""The pipeline end to end: optimal against an independent oracle, explanations that
add up, unmatched reasons that are true."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from matcher import ProgramConfig, load_survey, match, run
from matcher.intake import Survey
from matcher.models import MeetingFormat, Participant, Role
from matcher.scoring import Scorer
from solvers import SCORE_SCALE
from tests.matcher.test_scoring import reference_rules, surveys

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def sample() -> tuple[ProgramConfig, list[Participant]]:
    cfg = ProgramConfig.load(DATA / "sample_program.toml")
    return cfg, load_survey([DATA / "sample_survey.csv"], cfg).participants


def test_sample_is_coverage_optimal_against_scipy(
    sample: tuple[ProgramConfig, list[Participant]],
) -> None:
    cfg, people = sample
    # The mentoring track alone, without commitment limits: a plain capacitated assignment.
    people = [p.model_copy(update={"commitments": None}) for p in people]
    cfg = cfg.model_copy(update={"tracks": cfg.tracks.model_copy(update={"order": ["mentoring"]})})
    output = match(Survey(participants=people, warnings=[]), cfg)
    mentees = [p for p in people if Role.MENTEE in p.roles]
    mentors = [p for p in people if Role.MENTOR in p.roles]
    assert all((p.demand or 1) == 1 for p in mentees)  # the oracle below needs demand 1
    graph = Scorer(mentees, mentors, cfg).candidates()
    # Oracle: capacity-expanded slots, BIG per assigned pair so coverage comes first.
    caps = [cfg.mentoring.default_capacity if p.capacity is None else p.capacity for p in mentors]
    slot_owner = np.repeat(np.arange(len(mentors)), caps)
    weight = np.zeros((len(mentees), len(mentors)))
    allowed = np.zeros((len(mentees), len(mentors)), dtype=bool)
    weight[graph.left, graph.right] = np.rint(graph.score * SCORE_SCALE)
    allowed[graph.left, graph.right] = True
    big = SCORE_SCALE * (len(mentees) + 1)
    matrix = np.where(allowed, big + weight, 0)[:, slot_owner]
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    used = allowed[rows, slot_owner[cols]]
    oracle_pairs = int(used.sum())
    oracle_total = int(weight[rows, slot_owner[cols]][used].sum())

    summary = output.result.summary.track("mentoring")
    assert summary.pairs == oracle_pairs
    got = sum(round(p.score / 100 * SCORE_SCALE) for c in output.result.cohorts for p in c.pairs)
    assert got == oracle_total
    assert summary.solver.status == "optimal"


def test_explanations_add_up_and_respect_capacity(
    sample: tuple[ProgramConfig, list[Participant]],
) -> None:
    cfg, people = sample
    result = run([DATA / "sample_survey.csv"], cfg).result
    by_id = {p.id: p for p in people}
    assert {c.track for c in result.cohorts} == {"mentoring", "reverse", "peer"}
    for cohort in result.cohorts:
        mentor = by_id[cohort.pairs[0].a]
        if cohort.track != "peer":
            capacity = (
                cfg.mentoring.default_capacity if mentor.capacity is None else (mentor.capacity)
            )
            assert len(cohort.pairs) <= capacity
        for pair in cohort.pairs:
            assert abs(sum(pair.components.values()) - pair.score) <= 0.03
            assert 2 <= len(pair.reasons) <= 4
            assert by_id[pair.b].manager != pair.a
            assert pair.a not in by_id[pair.b].avoid
    for track in ("mentoring", "reverse"):
        matched = [p.b for c in result.cohorts if c.track == track for p in c.pairs]
        assert len(matched) == len(set(matched))  # demand 1 each


def _person(pid: str, role: Role, **fields: object) -> Participant:
    return Participant.model_validate({"id": pid, "name": pid.title(), "roles": (role,), **fields})


def test_unmatched_reasons_are_computed() -> None:
    from matcher.intake import Survey

    people = [
        _person("ana", Role.MENTOR, seniority=5, languages=("English",), capacity=1),
        _person("bo", Role.MENTEE, seniority=1, languages=("English",), goals=("Python",)),
        _person("cy", Role.MENTEE, seniority=1, languages=("English",)),
        _person("dee", Role.MENTEE, seniority=1, languages=("French",)),
        _person("eli", Role.MENTEE, seniority=6, format=MeetingFormat.IN_PERSON),
    ]
    result = match(Survey(participants=people, warnings=[]), ProgramConfig()).result
    reasons = {u.id: u.reason for u in result.unmatched}
    assert set(reasons) == {"cy", "dee", "eli"} or set(reasons) == {"bo", "dee", "eli"}
    loser = "cy" if "cy" in reasons else "bo"
    winner = "Bo" if loser == "cy" else "Cy"
    assert reasons[loser] == f"the only eligible mentor is full: Ana (mentoring {winner})"
    assert reasons["dee"] == "no eligible mentor: of 1 mentors: 1 no shared language"
    assert reasons["eli"].startswith("no eligible mentor: of 1 mentors: ")
    assert "1 not senior enough" in reasons["eli"]
    assert "1 meeting format incompatible" in reasons["eli"]
    assert result.summary.track("mentoring").unmatched_reasons == {
        "no eligible mentor": 2,
        "eligible mentors all taken": 1,
    }


def test_csl_runs_with_its_rules(real_data: Path) -> None:
    cfg = ProgramConfig.load(DATA / "csl.toml")
    files = [real_data / "csl_mentor_match_small_mentees.csv",
             real_data / "csl_mentor_match_small_mentors.csv"]  # fmt: skip
    output = run(files, cfg)
    by_id = {p.id: p for p in output.participants}
    pairs = [p for c in output.result.cohorts for p in c.pairs]
    # mentor-match made 105 pairs but left 4 of 50 mentees with no mentor (MEASUREMENTS).
    assert output.result.summary.track("mentoring").left_matched >= 46
    for pair in pairs:
        mentor, mentee = by_id[pair.a], by_id[pair.b]
        assert mentor.seniority is not None
        assert mentee.seniority is not None
        assert 1 <= mentor.seniority - mentee.seniority <= 2
        assert mentor.department != mentee.department


def test_ciera_runs(real_data: Path) -> None:
    cfg = ProgramConfig.load(DATA / "ciera.toml")
    files = [real_data / "ciera_gforms_sample_mentees.csv",
             real_data / "ciera_gforms_sample_mentors.csv"]  # fmt: skip
    output = run(files, cfg)
    by_id = {p.id: p for p in output.participants}
    for cohort in output.result.cohorts:
        for pair in cohort.pairs:
            assert pair.a not in by_id[pair.b].avoid
            assert pair.b not in by_id[pair.a].avoid
    assert output.result.summary.track("mentoring").solver.status == "optimal"
    assert output.result.summary.pairs > 50


@settings(max_examples=60)
@given(surveys(), st.integers(0, 3), st.integers(0, 2))
def test_any_survey_gives_valid_explained_matches(
    survey: tuple[list[Participant], list[Participant]], capacity: int, demand: int
) -> None:
    from matcher.intake import Survey

    mentees, mentors = survey
    cfg = ProgramConfig.model_validate(
        {"mentoring": {"default_capacity": capacity, "default_demand": demand}}
    )
    result = match(Survey(participants=[*mentees, *mentors], warnings=[]), cfg).result
    by_id = {p.id: p for p in (*mentees, *mentors)}
    seen: dict[str, int] = {}
    for cohort in result.cohorts:
        assert len(cohort.pairs) <= capacity
        for pair in cohort.pairs:
            mentor, mentee = by_id[pair.a], by_id[pair.b]
            assert not reference_rules(mentee, mentor, cfg)
            assert abs(sum(pair.components.values()) - pair.score) <= 0.03
            seen[pair.b] = seen.get(pair.b, 0) + 1
    assert all(n <= demand for n in seen.values())
    short = {u.id for u in result.unmatched if u.role is Role.MENTEE}
    assert short == {p.id for p in mentees if seen.get(p.id, 0) < demand}


def test_every_track_reports_its_spread_and_stability() -> None:
    """p10 and blocking pairs in the summary agree with the pairs written."""
    cfg = ProgramConfig.load(DATA / "sample_program.toml")
    output = run([DATA / "sample_survey.csv"], cfg)
    for track in ("mentoring", "reverse", "peer"):
        summary = output.result.summary.track(track)
        scores = [p.score for c in output.result.cohorts if c.track == track for p in c.pairs]
        assert summary.p10_score == round(float(np.percentile(scores, 10)), 2)
        assert summary.blocking_pairs is not None
        assert summary.blocking_pairs >= 0
    # An optimum for coverage is rarely stable: the figure is a real count, not a zero.
    assert output.result.summary.track("mentoring").blocking_pairs
