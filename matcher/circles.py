"""The circles track: small themed groups that meet regularly.

Themes are the goals the pool wants most; each theme gets enough candidate circles for
everyone interested. A person can join a circle on a theme they want to grow in (fit: how
high the goal ranks) or bring expertise to (a smaller fit, and they count as the circle's
expert). Composition rules (size, people per department, an expert per circle, a mentor,
a seniority spread) are the solver's; what is proven is reported as bound and gap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from matcher.config import ProgramConfig
from matcher.intake.normalize import key
from matcher.models import Circle, Member, Participant, Role, TrackSummary, Unmatched
from matcher.scoring import goal_weights
from matcher.tracks import Budget, Stages, TrackResult, solver_report
from solvers import Objective
from solvers.circles import CircleProblem, solve_circles

#: Fit of an expert who does not list the theme as a goal: they come to give, not to grow.
EXPERT_FIT = 0.3


def circles_track(
    people: Sequence[Participant],
    config: ProgramConfig,
    budget: Budget,
    stages: Stages,
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> TrackResult | None:
    settings = config.tracks.circles
    pool = [p for p in people if Role.CIRCLE in p.roles and budget.cap(p.id, 1) > 0]
    if len(pool) < settings.min_size:
        return None
    with stages("score", f"circles: {len(pool)} people"):
        wants = [
            dict(zip((key(g) for g in p.goals), goal_weights(len(p.goals)), strict=True))
            for p in pool
        ]
        knows = [
            {key(e.topic): e.level or config.scoring.expertise_default_level for e in p.expertise}
            for p in pool
        ]
        labels = {key(t): t for p in pool for t in (*p.goals, *(e.topic for e in p.expertise))}
        interest: dict[str, float] = {}
        count: dict[str, int] = {}
        for want in wants:
            for topic, weight in want.items():
                interest[topic] = interest.get(topic, 0.0) + weight
                count[topic] = count.get(topic, 0) + 1
        themes = [
            t
            for t in sorted(interest, key=lambda t: (-interest[t], t))
            if count[t] >= settings.min_size
        ][: settings.themes]
        slot_theme: list[int] = []
        for t, topic in enumerate(themes):
            slot_theme += [t] * math.ceil(count[topic] / settings.min_size)
        slots_of = {t: np.flatnonzero(np.array(slot_theme) == t) for t in range(len(themes))}
        persons, slots, weights, experts = [], [], [], []
        for i, (want, know) in enumerate(zip(wants, knows, strict=True)):
            for t, topic in enumerate(themes):
                fit = want.get(topic, 0.0)
                expert = topic in know
                if fit == 0.0 and not expert:
                    continue
                value = min(1.0, fit + (EXPERT_FIT if expert else 0.0))
                n = slots_of[t].shape[0]
                persons.append(np.full(n, i))
                slots.append(slots_of[t])
                weights.append(np.full(n, value))
                experts.append(np.full(n, expert))
        departments = {key(p.department): k for k, p in enumerate(pool) if p.department}
        problem = CircleProblem(
            n_people=len(pool), circle_theme=np.array(slot_theme, dtype=np.int64),
            arc_person=_join(persons, np.int64), arc_circle=_join(slots, np.int64),
            arc_weight=_join(weights, np.float64), min_size=settings.min_size,
            max_size=settings.max_size, objective=Objective(config.mentoring.flow_objective),
            group=np.array([departments[key(p.department)] if p.department else -1
                            for p in pool], dtype=np.int64),
            max_per_group=settings.max_per_department, expert=_join(experts, np.bool_),
            min_experts=settings.min_experts,
            mentor=np.array([Role.MENTOR in p.roles for p in pool], dtype=np.bool_),
            mentors_per_circle=1 if settings.mentor_per_circle else None,
            level=np.array([p.seniority if p.seniority is not None else -1 for p in pool],
                           dtype=np.int64),
            min_level_spread=settings.min_level_spread,
            attribute=_attribute_codes(pool, settings.balance),
            max_attribute_share=settings.max_share if settings.balance else None,
        )  # fmt: skip
    with stages("solve", f"circles: {problem.n_arcs} candidate places"):
        limit = settings.time_limit if time_limit is None else time_limit
        solution = solve_circles(problem, settings.method, time_limit=limit, seed=seed)
    with stages("explain", "circles"):
        circles = _explain(pool, problem, solution.chosen_arcs, themes, labels, knows)
        placed = {m.id for c in circles for m in c.members}
        for member_id in placed:
            budget.use(member_id)
        has_arc = np.bincount(problem.arc_person, minlength=len(pool)) > 0
        unmatched: list[Unmatched] = []
        reasons: dict[str, int] = {}
        offered = ", ".join(labels[t] for t in themes) or "none"
        for i, person in enumerate(pool):
            if person.id in placed:
                continue
            if not has_arc[i]:
                category = "no theme offered for their goals"
                text = f"none of their goals or expertise is a circle theme (themes: {offered})"
            else:
                category = "circles on their themes full or rules unmet"
                text = (
                    "every circle on their themes was full, or adding them would break a "
                    "composition rule (size, department mix, expert, mentor)"
                )
            reasons[category] = reasons.get(category, 0) + 1
            unmatched.append(
                Unmatched(id=person.id, name=person.name, role=Role.CIRCLE, reason=text)
            )
        fits = [v for c in circles for v in c.fit.values()]
        summary = TrackSummary(
            track="circles", objective=config.mentoring.flow_objective, left=len(pool),
            right=len(circles),
            candidate_pairs=problem.n_arcs, pairs=len(circles), left_matched=len(placed),
            left_unmatched=len(pool) - len(placed), demand_total=len(pool),
            demand_met=len(placed),
            mean_score=round(float(np.mean(fits)), 2) if fits else None,
            min_score=round(float(np.min(fits)), 2) if fits else None,
            unmatched_reasons=dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
            disabled_components=[], solver=solver_report(solution),
        )  # fmt: skip
    return TrackResult(cohorts=[], unmatched=unmatched, summary=summary, circles=circles)


def _attribute_codes(pool: Sequence[Participant], name: str | None) -> np.ndarray:
    """Codes of one opt-in attribute (-1: not opted in or not answered). Only codes reach
    the solver; the values themselves are never explained, logged or written."""
    if name is None:
        return np.full(len(pool), -1, dtype=np.int64)
    codes: dict[str, int] = {}
    values = [p.attributes.get(name) for p in pool]
    return np.array(
        [codes.setdefault(key(v), len(codes)) if v else -1 for v in values], dtype=np.int64
    )


def _join(parts: list[np.ndarray], dtype: type[np.generic]) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _explain(
    pool: Sequence[Participant],
    problem: CircleProblem,
    chosen: np.ndarray,
    themes: list[str],
    labels: dict[str, str],
    knows: list[dict[str, int]],
) -> list[Circle]:
    """One Circle per open slot; reasons say who wants the theme and who brings it."""
    circles: list[Circle] = []
    index = {p.id: k for k, p in enumerate(pool)}
    by_slot: dict[int, list[int]] = {}
    for arc in chosen.tolist():
        by_slot.setdefault(int(problem.arc_circle[arc]), []).append(arc)
    for slot in sorted(by_slot, key=lambda s: (int(problem.circle_theme[s]), s)):
        arcs = sorted(by_slot[slot], key=lambda a: pool[int(problem.arc_person[a])].id)
        topic = themes[int(problem.circle_theme[slot])]
        members = [pool[int(problem.arc_person[a])] for a in arcs]
        lead = (
            next((m for m in members if Role.MENTOR in m.roles), None)
            if problem.mentors_per_circle
            else None
        )
        experts = [
            f"{m.name} (level {knows[index[m.id]][topic]}/5)"
            for m in members
            if topic in knows[index[m.id]]
        ]
        learners = [m for m in members if key(labels[topic]) in {key(g) for g in m.goals}]
        departments = {m.department for m in members if m.department}
        levels = sorted({m.seniority for m in members if m.seniority is not None})
        reasons = [
            f"{len(learners)} of {len(members)} members want to grow in "
            f"{labels[topic]}." + (f" Expertise from {', '.join(experts)}." if experts else "")
        ]
        if departments:
            reasons.append(f"Members come from {len(departments)} department(s).")
        if len(levels) > 1:
            reasons.append(f"Seniority spans {levels[-1] - levels[0]} level(s).")
        circles.append(Circle(
            id=f"C{len(circles) + 1:03d}", theme=labels[topic],
            members=[Member(id=m.id, name=m.name,
                            role=Role.MENTOR if m is lead else Role.CIRCLE) for m in members],
            fit={pool[int(problem.arc_person[a])].id:
                 round(100 * float(problem.arc_weight[a]), 2) for a in arcs},
            reasons=reasons,
        ))  # fmt: skip
    return circles
