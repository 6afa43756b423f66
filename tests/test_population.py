"""The calibrated benchmark population: determinism, roles, marginals against the
calibration, scarce experts, and a run through the pipeline (in memory and from CSV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.population import (
    CALIBRATION_JSON,
    Calibration,
    Population,
    calibrate,
    calibration_json,
    comparisons,
    generate,
    load_calibration,
    program_config,
    scarcity,
    write_csv,
)
from matcher.intake import load_survey
from matcher.models import Role
from matcher.pipeline import match


@pytest.fixture(scope="module")
def cal() -> Calibration:
    return load_calibration()


@pytest.fixture(scope="module")
def large(cal: Calibration) -> Population:
    """Large enough for marginals to settle (sampling error well under the tolerances)."""
    return generate(20_000, 4_000, seed=1, calibration=cal)


def _same(a: Population, b: Population) -> bool:
    arrays = ("level", "department", "location", "utc_offset", "known", "goals", "capacity",
              "manager", "preferred", "avoid")  # fmt: skip
    return (
        all(np.array_equal(getattr(a, k), getattr(b, k)) for k in arrays)
        and a.names == b.names
        and a.roles == b.roles
        and a.languages == b.languages
        and a.format == b.format
    )


def test_same_seed_same_population(cal: Calibration) -> None:
    first = generate(300, 60, seed=7, calibration=cal, other_tracks=True)
    again = generate(300, 60, seed=7, calibration=cal, other_tracks=True)
    other = generate(300, 60, seed=8, calibration=cal, other_tracks=True)
    assert _same(first, again)
    assert first.participants() == again.participants()
    assert not _same(first, other)


def test_role_counts_are_exact_and_some_people_hold_several(cal: Calibration) -> None:
    population = generate(1_000, 200, seed=2, calibration=cal)
    people = population.participants()
    assert sum(Role.MENTEE in p.roles for p in people) == 1_000
    assert sum(Role.MENTOR in p.roles for p in people) == 200
    assert sum(len(p.roles) == 2 for p in people) == 20  # 10% of mentors are both
    assert len(people) == 1_180
    assert len({p.id for p in people}) == len({p.name for p in people}) == len(people)
    capacity = np.array([p.capacity for p in people if Role.MENTOR in p.roles])
    assert capacity.min() >= 1
    assert capacity.max() <= 5
    assert (capacity <= 3).mean() > 0.75  # most mentors take 1-3
    tracks = generate(1_000, 200, seed=2, calibration=cal, other_tracks=True).participants()
    assert sum(Role.MENTEE in p.roles for p in tracks) == 1_000
    assert sum(Role.MENTOR in p.roles for p in tracks) == 200
    for role in (Role.PEER, Role.REVERSE_MENTOR, Role.REVERSE_MENTEE, Role.CIRCLE):
        assert any(role in p.roles for p in tracks), role


def test_people_are_consistent(cal: Calibration) -> None:
    population = generate(2_000, 400, seed=3, calibration=cal)
    people = population.participants()
    top = len(cal.ladder)
    for person in people:
        known = {e.topic for e in person.expertise}
        assert not known & set(person.goals)  # goals are new to the person
        assert len(set(person.goals)) == len(person.goals) <= 3
        if Role.MENTEE in person.roles:
            assert person.goals
            assert person.seniority is not None
            assert person.seniority < top  # someone is above every mentee
        if Role.MENTOR in person.roles:
            assert person.expertise
        else:
            assert not person.expertise
        assert person.languages
        assert person.id not in person.preferred + person.avoid
    by_id = {p.id: p for p in people}
    managed = [p for p in people if p.manager is not None]
    assert managed
    for person in managed:
        boss = by_id[person.manager or ""]
        assert boss.department == person.department
        assert boss.seniority == (person.seniority or 0) + 1


@pytest.mark.parametrize(
    ("name", "max_diff"),
    [
        ("topics worked with (everyone)", 0.04),
        ("learning goals (share of goals named by mentees)", 0.01),
        ("seniority of mentees (not mentors)", 0.015),
        ("seniority of mentors (not mentees)", 0.03),
        ("departments", 0.015),
        ("locations", 0.01),
        ("UTC offsets", 0.015),
        ("meeting format", 0.015),
    ],
)
def test_marginals_match_the_calibration(large: Population, name: str, max_diff: float) -> None:
    labels, target, got = comparisons(large)[name]
    assert len(labels) == len(target) == len(got)
    assert np.abs(target - got).max() < max_diff, dict(zip(labels, got - target, strict=True))


def test_top_wanted_topics_have_scarce_experts(large: Population) -> None:
    """The asymmetry of the survey survives: the most wanted new languages have fewer
    mentors per asking mentee than topics on average (Rust, Go, TypeScript each)."""
    experts, askers, overall = scarcity(large)
    top = np.argsort(-askers)[:5]
    assert experts[top].sum() / askers[top].sum() < 0.6 * overall
    for k in top[:3]:
        assert experts[k] / askers[k] < overall
    # And knowing a language does predict wanting its neighbours (the joint is used).
    cal = large.calibration
    js, ts = cal.topics.index("JavaScript"), cal.topics.index("TypeScript")
    knows_js = large.known[:, js] & ~large.known[:, ts]
    knows_neither_web = ~large.known[:, js] & ~large.known[:, ts]
    wants_ts = (large.goals == ts).any(axis=1)
    assert wants_ts[knows_js].mean() > wants_ts[knows_neither_web].mean()


def test_matches_in_memory(cal: Calibration) -> None:
    population = generate(500, 100, seed=4, calibration=cal)
    output = match(population.survey(), program_config(cal))
    summary = output.result.summary.track("mentoring")
    assert summary.left == 500
    assert summary.right == 100
    assert summary.pairs > 100
    assert summary.solver.status == "optimal"


def test_csv_reads_back_as_the_same_people(cal: Calibration, tmp_path: Path) -> None:
    """``write_csv`` goes through intake (``cohort-match run``) with its config and gives
    the people ``participants()`` builds."""
    population = generate(400, 80, seed=5, calibration=cal, other_tracks=True)
    survey_path, config_path = write_csv(population, tmp_path / "survey.csv")
    from matcher.config import ProgramConfig

    read = load_survey([survey_path], ProgramConfig.load(config_path))
    assert not [w for w in read.warnings if "unknown" in w.message]
    built = {p.id: p for p in population.participants()}
    assert {p.id for p in read.participants} == set(built)
    fields = ("name", "roles", "goals", "expertise", "seniority", "seniority_label",
              "department", "location", "utc_offset", "languages", "capacity", "format",
              "preferred", "avoid", "manager")  # fmt: skip
    for person in read.participants:
        expected = built[person.id]
        for field in fields:
            got, want = getattr(person, field), getattr(expected, field)
            if field == "roles":
                got, want = set(got), set(want)
            assert got == want, (person.id, field)


def test_committed_calibration_is_canonical(cal: Calibration) -> None:
    assert CALIBRATION_JSON.read_text(encoding="utf-8") == calibration_json(cal)
    assert abs(sum(cal.level_share) - 1) < 1e-3
    assert abs(sum(cal.location_share) - 1) < 1e-3


def test_calibration_recomputes_from_the_real_data(real_data: Path, cal: Calibration) -> None:
    """The committed numbers are what the real data gives (the fitted boosts to 1e-3:
    they come from a simulation whose float sums may differ in the last bit)."""
    fresh = calibrate(real_data)
    boosts = {"worked_boost", "learning_boost"}
    assert fresh.model_dump(exclude=boosts) == cal.model_dump(exclude=boosts)
    for name in boosts:
        assert np.allclose(getattr(fresh, name), getattr(cal, name), atol=1e-3), name
