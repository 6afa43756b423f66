"""Plain-language reasons, built from the component values the solver optimised."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from matcher.config import ProgramConfig
from matcher.intake.normalize import key
from matcher.models import Participant
from matcher.scoring import COMPONENTS, NEUTRAL, RULES

#: How each hard rule reads in an unmatched person's reason.
RULE_TEXT = {
    "same_person": "the same person",
    "no_shared_language": "no shared language",
    "manager": "in a manager/report line",
    "avoid": "on an avoid list",
    "format": "meeting format incompatible (in person needs the same location)",
    "not_senior_enough": "not senior enough",
    "too_senior": "too senior",
    "same_department": "same department",
    "same_location": "same location",
    "already_paired": "already paired in an earlier track",
    "forbidden": "forbidden by the coordinator",
    "paired_before": "paired in an earlier round",
    "min_score": "score below the minimum",
}


def points(components: npt.NDArray[np.float32], weights: dict[str, float]) -> dict[str, float]:
    """Each component's contribution in score points (0-100); they add up to the score."""
    values = components.tolist()  # one conversion, not one numpy scalar per component
    return {c: 100.0 * weights[c] * values[k] for k, c in enumerate(COMPONENTS)}


_POSITION = {c: k for k, c in enumerate(COMPONENTS)}


def _offset_label(hours: float) -> str:
    sign = "+" if hours >= 0 else "-"
    h, m = divmod(round(abs(hours) * 60), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def _levels(n: int) -> str:
    return f"{n} level" + ("" if abs(n) == 1 else "s")


def _covered(
    teacher: Participant, learner: Participant, config: ProgramConfig
) -> list[tuple[str, int]]:
    """The learner's goals the teacher can teach, each with the teacher's level."""
    offered = {key(e.topic): e for e in teacher.expertise}
    level = config.scoring.expertise_default_level
    return [(g, offered[key(g)].level or level) for g in learner.goals if key(g) in offered]


def _with_levels(covered: list[tuple[str, int]]) -> str:
    return ", ".join(f"{goal} (level {level}/5)" for goal, level in covered)


def _who(person: Participant) -> str:
    return f"{person.name} ({person.seniority_label})" if person.seniority_label else person.name


def _track_sentence(
    component: str, track: str, a: Participant, b: Participant, config: ProgramConfig
) -> str | None:
    """Wording that differs by track: reverse names who teaches whom, peers are mutual."""
    if track == "reverse" and component == "goals":
        covered = _covered(a, b, config)
        if covered:
            return f"{_who(a)} teaches {', '.join(g for g, _ in covered)} to {_who(b)}."
    if track == "reverse" and component == "seniority" and None not in (a.seniority, b.seniority):
        gap = (b.seniority or 0) - (a.seniority or 0)
        if gap > 0:
            return f"{_who(a)} is {_levels(gap)} below {_who(b)}: a junior teaching a senior."
    if track == "peer" and component == "goals":
        ab, ba = _covered(a, b, config), _covered(b, a, config)
        if not ab and not ba:
            return f"Neither covers the other's goals yet ({a.name}, {b.name})."
        parts = [
            f"{x.name} can help {y.name} with {_with_levels(t)}"
            for x, y, t in ((a, b, ab), (b, a, ba))
            if t
        ]
        mutual = "; each has something to offer" if ab and ba else ""
        return "; ".join(parts) + mutual + "."
    if track == "peer" and component == "seniority" and None not in (a.seniority, b.seniority):
        gap = abs((a.seniority or 0) - (b.seniority or 0))
        level = "the same level" if gap == 0 else f"{_levels(gap)} apart"
        return f"Peers at {level}: {_who(a)} and {_who(b)}."
    if track == "peer" and component == "preference":
        asked = key(b.id) in {key(x) for x in a.preferred}
        asked_back = key(a.id) in {key(x) for x in b.preferred}
        if asked and asked_back:
            return f"{a.name} and {b.name} asked for each other."
        if asked or asked_back:
            x, y = (a, b) if asked else (b, a)
            return f"{x.name} asked to be paired with {y.name}."
    return None


def _sentence(
    component: str, value: float, mentor: Participant, mentee: Participant, config: ProgramConfig
) -> str:
    if component == "goals":
        if not mentee.goals:
            return f"{mentee.name} listed no goals, so goal fit counts as neutral."
        covered = _covered(mentor, mentee, config)
        if not covered:
            return (
                f"{mentor.name}'s expertise covers none of {mentee.name}'s goals "
                f"({', '.join(mentee.goals)})."
            )
        facts = _with_levels(covered)
        if len(mentee.goals) == 1:
            return f"{mentor.name} can teach {mentee.name}'s goal: {facts}."
        first = ", the first among them" if key(covered[0][0]) == key(mentee.goals[0]) else ""
        return (
            f"{mentor.name} can teach {len(covered)} of {mentee.name}'s "
            f"{len(mentee.goals)} goals{first}: {facts}."
        )
    if component == "seniority":
        if mentor.seniority is None or mentee.seniority is None:
            return "Seniority is unknown for one of them, so it counts as neutral."
        gap = mentor.seniority - mentee.seniority
        if gap == 0:
            return (
                f"{mentor.name} and {mentee.name} are at the same level "
                f"({mentor.seniority_label}): a peer mentor."
            )
        where = f"{_levels(abs(gap))} {'above' if gap > 0 else 'below'}"
        return (
            f"{mentor.name} ({mentor.seniority_label}) is {where} {mentee.name} "
            f"({mentee.seniority_label}); the preferred gap is "
            f"{_levels(config.scoring.preferred_gap)}."
        )
    if component == "new_ties":
        parts = []
        for label, a, b, direction in (
            ("departments", mentor.department, mentee.department, config.scoring.department),
            ("locations", mentor.location, mentee.location, config.scoring.location),
        ):
            if direction == "ignore" or not a or not b:
                continue
            parts.append(
                f"different {label} ({a} and {b})"
                if key(a) != key(b)
                else f"the same {label[:-1]} ({a})"
            )
        if not parts:
            return "Their departments and locations are unknown."
        kind = "a tie across the organisation" if value > NEUTRAL else "close to home"
        return f"They are in {' and '.join(parts)}: {kind}."
    if component == "time_overlap":
        if mentor.utc_offset is None or mentee.utc_offset is None:
            return "A time zone is unknown, so overlap counts as neutral."
        start, end = config.scoring.working_hours
        hours = round(value * max(end - start, 1), 1)
        return (
            f"Their working hours overlap by {hours:g} h "
            f"({_offset_label(mentor.utc_offset)} and {_offset_label(mentee.utc_offset)})."
        )
    # preference
    asked = key(mentor.id) in {key(x) for x in mentee.preferred}
    asked_back = key(mentee.id) in {key(x) for x in mentor.preferred}
    if asked and asked_back:
        return f"{mentee.name} and {mentor.name} asked for each other."
    if asked:
        return f"{mentee.name} asked for {mentor.name} as a mentor."
    if asked_back:
        return f"{mentor.name} asked to mentor {mentee.name}."
    return "Neither named the other as a preference."


def pair_reasons(
    mentor: Participant,
    mentee: Participant,
    components: npt.NDArray[np.float32],
    weights: dict[str, float],
    config: ProgramConfig,
    *,
    track: str = "mentoring",
) -> list[str]:
    """2-4 sentences, the components that contributed most first. In the peer track
    ``mentor`` and ``mentee`` are simply the two peers."""
    contributions = points(components, weights)
    values = components.tolist()
    ranked = sorted(
        (c for c in COMPONENTS if weights[c] > 0),
        key=lambda c: (-contributions[c], _POSITION[c]),
    )
    chosen = [c for c in ranked if contributions[c] >= 1.0][:4]
    for c in ranked:
        if len(chosen) >= 2:
            break
        if c not in chosen:
            chosen.append(c)
    return [
        _track_sentence(c, track, mentor, mentee, config)
        or _sentence(c, values[_POSITION[c]], mentor, mentee, config)
        for c in chosen
    ]


def rule_breakdown(removed: npt.NDArray[np.int32], total: int, noun: str) -> str:
    """'of 40 mentors: 30 not senior enough, 12 no shared language'."""
    parts = [
        f"{int(removed[r])} {RULE_TEXT[name]}"
        for r, name in enumerate(RULES)
        if removed[r] > 0 and name != "same_person"
    ]
    detail = ", ".join(sorted(parts, key=lambda s: -int(s.split(" ", 1)[0])))
    return f"of {total} {noun}: {detail}" if detail else f"there are no {noun}"


#: Names listed before "and N more" in a sentence.
NAMES_SHOWN = 3


def name_list(names: Sequence[str], total: int | None = None) -> str:
    """'Ana, Bo, Cy and 4 more': the first ``NAMES_SHOWN`` of ``total`` names."""
    total = len(names) if total is None else total
    shown = list(names[:NAMES_SHOWN])
    more = total - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def unmatched_reason(
    *,
    partner: str,
    partners: str,
    taken: tuple[str, str],
    wanted: int,
    got: int,
    eligible: int,
    eligible_with_room: int,
    removed: npt.NDArray[np.int32],
    n_other: int,
    holders: Sequence[str] = (),
    below_minimum: tuple[int, float, str] | None = None,
    min_score: float = 0.0,
) -> tuple[str, str]:
    """The computed reason a person got fewer matches than asked: (category, sentence).

    ``eligible`` counts the other side's people that pass every hard rule,
    ``eligible_with_room`` those of them with capacity left after solving; ``taken`` says
    why a full partner is full (one, many) and ``holders`` who fills the best of them
    ("Ana (mentoring Raj, Li)"), best first. ``below_minimum``: how many partners only
    the minimum score kept out, the best score among them (0-100) and who that was.
    """
    prefix = f"matched {got} of {wanted} requested: " if got else ""
    if eligible == 0:
        if below_minimum is not None and below_minimum[0] > 0:
            count, best, who = below_minimum
            return (
                f"no {partner} reaches the minimum score",
                prefix + f"no eligible {partner}: the minimum score of {min_score:g} was not "
                f"reached; {count} of {n_other} {partners} pass every other rule, the best "
                f"would have scored {best:.1f} ({who})",
            )
        breakdown = rule_breakdown(removed, n_other, partners)
        return f"no eligible {partner}", prefix + f"no eligible {partner}: {breakdown}"
    if eligible_with_room == 0:
        who = f": {name_list(holders, eligible)}" if holders else ""
        text = (
            f"the only eligible {partner} {taken[0]}"
            if eligible == 1
            else f"all {eligible} eligible {partners} {taken[1]}"
        )
        return f"eligible {partners} all taken", prefix + text + who
    return (
        f"eligible {partners} placed elsewhere",
        prefix + f"{eligible_with_room} eligible {partners} still have room, but pairing "
        "them would lower the program's objective",
    )
