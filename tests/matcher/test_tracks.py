"""Every track together: commitments, no repeated pairs, reverse direction, exact peers,
and the CIERA programme's per-kind demand."""

from __future__ import annotations

import threading
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import ProgramConfig, match, run, tracks
from matcher.diagnose import NearMisses, SolvedTrack
from matcher.intake import Survey
from matcher.models import Participant, Role
from matcher.scoring import Scorer
from solvers import SCORE_SCALE, parallel
from tests.matcher.test_scoring import people, reference_rules

DATA = Path(__file__).resolve().parents[2] / "data"
ROLE_SETS = [
    (Role.MENTEE,), (Role.MENTOR,), (Role.PEER,), (Role.REVERSE_MENTOR,), (Role.REVERSE_MENTEE,),
    (Role.MENTEE, Role.PEER), (Role.MENTOR, Role.REVERSE_MENTEE, Role.PEER),
    (Role.REVERSE_MENTOR, Role.MENTEE, Role.PEER),
]  # fmt: skip


@st.composite
def mixed_surveys(draw: st.DrawFn) -> list[Participant]:
    pool = draw(people(draw(st.integers(2, 12)), "p", Role.PEER))
    ids = [p.id for p in pool]
    out = []
    for person in pool:
        out.append(person.model_copy(update={
            "roles": draw(st.sampled_from(ROLE_SETS)),
            "commitments": draw(st.none() | st.integers(0, 3)),
            "capacity": draw(st.none() | st.integers(0, 3)),
            "demand": draw(st.none() | st.integers(0, 2)),
            "preferred": tuple(draw(st.lists(st.sampled_from(ids), max_size=1))),
        }))  # fmt: skip
    return out


@settings(max_examples=80)
@given(mixed_surveys(), st.none() | st.integers(1, 2))
def test_tracks_respect_commitments_and_never_repeat_a_pair(
    pool: list[Participant], default_commitments: int | None
) -> None:
    cfg = ProgramConfig.model_validate({"tracks": {"default_commitments": default_commitments}})
    result = match(Survey(participants=pool, warnings=[]), cfg).result
    by_id = {p.id: p for p in pool}
    used: dict[str, int] = {}
    seen: set[frozenset[str]] = set()
    for cohort in result.cohorts:
        track_cfg = cfg.for_track(cohort.track)
        for pair in cohort.pairs:
            a, b = by_id[pair.a], by_id[pair.b]
            key = frozenset((a.id, b.id))
            assert key not in seen, f"{key} paired twice"
            seen.add(key)
            used[a.id] = used.get(a.id, 0) + 1
            used[b.id] = used.get(b.id, 0) + 1
            assert abs(sum(pair.components.values()) - pair.score) <= 0.03
            if cohort.track == "peer":
                assert Role.PEER in a.roles
                assert Role.PEER in b.roles
                continue
            # a offers (mentor / reverse mentor), b asks.
            assert not reference_rules(b, a, track_cfg)
            if cohort.track == "reverse":
                assert Role.REVERSE_MENTOR in a.roles
                assert Role.REVERSE_MENTEE in b.roles
                if a.seniority is not None and b.seniority is not None:
                    assert a.seniority < b.seniority  # the junior teaches
    for pid, count in used.items():
        limit = by_id[pid].commitments
        limit = default_commitments if limit is None else limit
        assert limit is None or count <= limit, (pid, count, limit)
    peers = [m.id for c in result.cohorts if c.track == "peer" for m in c.members]
    assert len(peers) == len(set(peers))


@settings(max_examples=60)
@given(st.integers(2, 14).flatmap(lambda n: people(n, "p", Role.PEER)))
def test_peer_pairs_are_a_maximum_matching(pool: list[Participant]) -> None:
    cfg = ProgramConfig.model_validate({"tracks": {"peer": {"candidates_per_person": 50}}})
    result = match(Survey(participants=pool, warnings=[]), cfg).result
    # Oracle: networkx on every allowed pair, scored by the same symmetric scorer.
    graph = Scorer(pool, pool, cfg.for_track("peer"), symmetric=True).candidates()
    oracle = nx.Graph()
    for i, j, w in zip(graph.left, graph.right, graph.score, strict=True):
        if i < j:
            oracle.add_edge(int(i), int(j), weight=int(np.rint(w * SCORE_SCALE)))
    best = nx.max_weight_matching(oracle, maxcardinality=True)
    total = sum(oracle.edges[u, v]["weight"] for u, v in best)
    pairs = [p for c in result.cohorts for p in c.pairs]
    assert len(pairs) == len(best)
    assert sum(round(p.score / 100 * SCORE_SCALE) for p in pairs) == total


def test_reverse_mentoring_says_who_teaches_whom() -> None:
    pool = [
        Participant(id="ana", name="Ana", roles=(Role.REVERSE_MENTOR,), seniority=1,
                    seniority_label="Associate", expertise=({"topic": "Kubernetes"},)),  # type: ignore[arg-type]
        Participant(id="raj", name="Raj", roles=(Role.REVERSE_MENTEE,), seniority=6,
                    seniority_label="Director", goals=("Kubernetes",)),
    ]  # fmt: skip
    result = match(Survey(participants=pool, warnings=[]), ProgramConfig()).result
    (cohort,) = result.cohorts
    assert cohort.track == "reverse"
    assert cohort.pairs[0].reasons[0] == "Ana (Associate) teaches Kubernetes to Raj (Director)."


def test_ciera_per_kind_demand_and_capacity(real_data: Path) -> None:
    cfg = ProgramConfig.load(DATA / "ciera.toml")
    files = [real_data / "ciera_gforms_sample_mentees.csv",
             real_data / "ciera_gforms_sample_mentors.csv"]  # fmt: skip
    output = run(files, cfg)
    by_id = {p.id: p for p in output.participants}
    got_kind: dict[tuple[str, str], int] = {}
    took_kind: dict[tuple[str, str], int] = {}
    for cohort in output.result.cohorts:
        for pair in cohort.pairs:
            mentor, mentee = by_id[pair.a], by_id[pair.b]
            assert mentor.seniority_label is not None
            assert mentee.seniority_label is not None
            k1 = (mentee.id, mentor.seniority_label)
            got_kind[k1] = got_kind.get(k1, 0) + 1
            k2 = (mentor.id, mentee.seniority_label)
            took_kind[k2] = took_kind.get(k2, 0) + 1
    assert got_kind  # the programme matched people
    for (mentee, kind), n in got_kind.items():
        assert n <= by_id[mentee].category_demand.get(kind, 0), (mentee, kind)
    for (mentor, kind), n in took_kind.items():
        asked = by_id[mentor].category_capacity
        assert not asked or n <= asked.get(kind, 0), (mentor, kind)
    assert output.result.summary.track("mentoring").solver.status == "optimal"


@settings(max_examples=40)
@given(
    st.integers(4, 16).flatmap(lambda n: people(n, "c", Role.CIRCLE)),
    st.integers(0, 1),
    st.sampled_from([None, 1, 2]),
)
def test_circles_follow_their_rules(
    pool: list[Participant], experts: int, per_department: int | None
) -> None:
    cfg = ProgramConfig.model_validate({"tracks": {"circles": {
        "min_size": 2, "max_size": 4, "min_experts": experts,
        "max_per_department": per_department, "time_limit": 5}}})  # fmt: skip
    result = match(Survey(participants=pool, warnings=[]), cfg).result
    by_id = {p.id: p for p in pool}
    seen: set[str] = set()
    for circle in result.circles:
        ids = [m.id for m in circle.members]
        assert 2 <= len(ids) <= 4
        assert not seen & set(ids)
        seen |= set(ids)
        theme = circle.theme.casefold()
        wants_or_knows = [
            theme in {g.casefold() for g in by_id[i].goals}
            or theme in {e.topic.casefold() for e in by_id[i].expertise}
            for i in ids
        ]
        assert all(wants_or_knows)
        knows = [theme in {e.topic.casefold() for e in by_id[i].expertise} for i in ids]
        assert sum(knows) >= experts
        if per_department is not None:
            departments = [by_id[i].department for i in ids if by_id[i].department]
            assert all(departments.count(d) <= per_department for d in departments)
    placed = {u.id for u in result.unmatched if u.role is Role.CIRCLE}
    assert placed.isdisjoint(seen)
    assert placed | seen == {p.id for p in pool} or not result.circles


def test_a_failed_explanation_stops_the_diagnosis_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When explaining a track raises, its near misses end at their next block, the
    residual search at its next step, and the fixes never start: no thread runs on,
    unread, beside what the process does next."""
    monkeypatch.setenv(parallel.ENV, "2")
    seen: dict[str, object] = {}
    ended = threading.Event()
    basis_ended = threading.Event()
    real_near_misses = tracks.near_misses
    real_fix_basis = tracks.fix_basis

    def slow_fix_basis(solved: SolvedTrack, stop: threading.Event | None = None) -> object:
        try:
            assert stop is not None
            stop.wait(30)
            return real_fix_basis(solved, stop)
        except BaseException as exc:
            seen["basis raised"] = exc
            raise
        finally:
            basis_ended.set()

    def slow_near_misses(
        scorer: Scorer, rows: npt.NDArray[np.int64], stop: threading.Event | None = None
    ) -> NearMisses:
        seen["stop"] = stop
        try:
            assert stop is not None
            stop.wait(30)  # until the explanation fails
            return real_near_misses(scorer, rows, stop)
        except BaseException as exc:
            seen["raised"] = exc
            raise
        finally:
            ended.set()

    def broken_shortlist(*_: object) -> None:
        raise RuntimeError("explaining failed")

    def fixes(*_: object) -> list[object]:
        seen["fixes"] = True
        return []

    monkeypatch.setattr(tracks, "near_misses", slow_near_misses)
    monkeypatch.setattr(tracks, "shortlist", broken_shortlist)
    monkeypatch.setattr(tracks, "fix_basis", slow_fix_basis)
    monkeypatch.setattr(tracks, "find_fixes", fixes)
    config = ProgramConfig.load(DATA / "sample_program.toml")
    with pytest.raises(RuntimeError, match="explaining failed"):
        run([DATA / "sample_survey.csv"], config)
    assert ended.wait(10)
    assert basis_ended.wait(10)
    assert isinstance(seen["raised"], parallel.AbandonedError)
    assert isinstance(seen["basis raised"], parallel.AbandonedError)
    assert "fixes" not in seen
