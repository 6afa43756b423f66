"""The one function every face calls: survey files and a config in, a MatchResult out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcher.config import ProgramConfig
from matcher.explain import pair_reasons, points, unmatched_reason
from matcher.intake import Survey, load_survey
from matcher.models import (
    Cohort,
    Issue,
    MatchResult,
    Member,
    PairResult,
    Participant,
    Role,
    SolverReport,
    Summary,
    Unmatched,
)
from matcher.scoring import CandidateGraph, Scorer
from solvers import AssignmentProblem, Objective, Solution, solve_assignment

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunOutput:
    """What a run produced: the result and the people it was computed for."""

    result: MatchResult
    participants: list[Participant]


def _silent(_: str) -> None:
    return None


def run(
    surveys: Sequence[Path],
    config: ProgramConfig,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    progress: Progress = _silent,
) -> RunOutput:
    """Read, score, solve and explain the mentoring track."""
    started = time.perf_counter()
    progress(f"reading {len(surveys)} file(s)")
    survey = load_survey(surveys, config)
    read_s = time.perf_counter() - started
    output = match(survey, config, time_limit=time_limit, seed=seed, progress=progress)
    stages = output.result.summary.stage_seconds
    output.result.summary.stage_seconds = {"read": round(read_s, 4), **stages}
    return output


def match(
    survey: Survey,
    config: ProgramConfig,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    progress: Progress = _silent,
) -> RunOutput:
    """Score, solve and explain an already loaded survey (the Python API's entry point)."""
    people = survey.participants
    mentees = [p for p in people if Role.MENTEE in p.roles]
    mentors = [p for p in people if Role.MENTOR in p.roles]
    stages: dict[str, float] = {}

    tick = time.perf_counter()
    progress(f"scoring {len(mentees)} mentees x {len(mentors)} mentors")
    graph = Scorer(mentees, mentors, config).candidates()
    stages["score"] = time.perf_counter() - tick

    tick = time.perf_counter()
    progress(f"solving on {graph.n_arcs} candidate pairs")
    demand = np.array(
        [config.mentoring.default_demand if p.demand is None else p.demand for p in mentees],
        dtype=np.int64,
    )
    capacity = np.array(
        [config.mentoring.default_capacity if p.capacity is None else p.capacity for p in mentors],
        dtype=np.int64,
    )
    problem = AssignmentProblem(
        left_demand=demand,
        right_capacity=capacity,
        arc_left=graph.left,
        arc_right=graph.right,
        arc_weight=graph.score,
        objective=Objective(config.mentoring.objective),
    )
    solution = solve_assignment(problem, config.mentoring.method, time_limit=time_limit, seed=seed)
    stages["solve"] = time.perf_counter() - tick

    tick = time.perf_counter()
    progress("explaining")
    result = _explain(mentees, mentors, graph, problem, solution, config, survey.warnings)
    stages["explain"] = time.perf_counter() - tick
    result.summary.stage_seconds.update({k: round(v, 4) for k, v in stages.items()})
    return RunOutput(result=result, participants=people)


def _explain(
    mentees: list[Participant],
    mentors: list[Participant],
    graph: CandidateGraph,
    problem: AssignmentProblem,
    solution: Solution,
    config: ProgramConfig,
    warnings: list[Issue],
) -> MatchResult:
    chosen = solution.chosen_arcs
    score = graph.score
    by_mentor: dict[int, list[int]] = {}
    for arc in chosen.tolist():
        by_mentor.setdefault(int(graph.right[arc]), []).append(arc)

    cohorts: list[Cohort] = []
    for j in sorted(by_mentor):
        mentor = mentors[j]
        arcs = sorted(by_mentor[j], key=lambda a: (-score[a], mentees[graph.left[a]].id))
        pairs = []
        for arc in arcs:
            mentee = mentees[int(graph.left[arc])]
            parts = points(graph.components[arc], graph.weights)
            pairs.append(
                PairResult(
                    a=mentor.id,
                    b=mentee.id,
                    score=round(100 * float(score[arc]), 2),
                    components={c: round(v, 2) for c, v in parts.items()},
                    reasons=pair_reasons(
                        mentor, mentee, graph.components[arc], graph.weights, config
                    ),
                )
            )
        members = [Member(id=mentor.id, name=mentor.name, role=Role.MENTOR)] + [
            Member(
                id=mentees[int(graph.left[a])].id,
                name=mentees[int(graph.left[a])].name,
                role=Role.MENTEE,
            )
            for a in arcs
        ]
        cohorts.append(
            Cohort(
                id=f"M{len(cohorts) + 1:03d}",
                track="mentoring",
                members=members,
                pairs=pairs,
                score=round(float(np.mean([p.score for p in pairs])), 2),
            )
        )

    got_left = np.bincount(graph.left[chosen], minlength=graph.n_left)
    got_right = np.bincount(graph.right[chosen], minlength=graph.n_right)
    room_left = problem.left_demand - got_left
    room_right = problem.right_capacity - got_right
    # Per person: eligible partners, and those of them left with room after solving.
    eligible_left = np.bincount(graph.left, minlength=graph.n_left)
    eligible_right = np.bincount(graph.right, minlength=graph.n_right)
    open_left = np.bincount(
        graph.left, weights=room_right[graph.right] > 0, minlength=graph.n_left
    ).astype(np.int64)
    open_right = np.bincount(
        graph.right, weights=room_left[graph.left] > 0, minlength=graph.n_right
    ).astype(np.int64)

    unmatched: list[Unmatched] = []
    reasons: dict[str, int] = {}
    for i, mentee in enumerate(mentees):
        if room_left[i] <= 0:
            continue
        category, text = unmatched_reason(
            partner="mentor",
            partners="mentors",
            taken="are at capacity with other mentees",
            wanted=int(problem.left_demand[i]),
            got=int(got_left[i]),
            eligible=int(eligible_left[i]),
            eligible_with_room=int(open_left[i]),
            removed=graph.removed_left[i],
            n_other=graph.n_right,
        )
        reasons[category] = reasons.get(category, 0) + 1
        unmatched.append(Unmatched(id=mentee.id, name=mentee.name, role=Role.MENTEE, reason=text))
    for j, mentor in enumerate(mentors):
        if got_right[j] > 0 or problem.right_capacity[j] == 0:
            continue
        _, text = unmatched_reason(
            partner="mentee",
            partners="mentees",
            taken="already have every mentor they asked for",
            wanted=int(problem.right_capacity[j]),
            got=0,
            eligible=int(eligible_right[j]),
            eligible_with_room=int(open_right[j]),
            removed=graph.removed_right[j],
            n_other=graph.n_left,
        )
        unmatched.append(Unmatched(id=mentor.id, name=mentor.name, role=Role.MENTOR, reason=text))

    scores = [p.score for c in cohorts for p in c.pairs]
    summary = Summary(
        people=len({p.id for p in (*mentees, *mentors)}),
        mentors=len(mentors),
        mentees=len(mentees),
        candidate_pairs=graph.n_arcs,
        pairs=len(scores),
        mentees_matched=int((got_left > 0).sum()),
        mentees_unmatched=int(((got_left == 0) & (problem.left_demand > 0)).sum()),
        demand_total=int(problem.left_demand.sum()),
        demand_met=int(got_left.sum()),
        mean_score=round(float(np.mean(scores)), 2) if scores else None,
        min_score=round(float(np.min(scores)), 2) if scores else None,
        unmatched_reasons=dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        disabled_components=graph.disabled,
        solver=SolverReport(
            method=solution.method,
            status=solution.status.value,
            objective=round(100 * solution.objective, 4),
            bound=None if solution.bound is None else round(100 * solution.bound, 4),
            gap=solution.gap,
            wall_time=round(solution.wall_time, 4),
        ),
        stage_seconds={},
    )
    return MatchResult(cohorts=cohorts, unmatched=unmatched, summary=summary, warnings=warnings)
