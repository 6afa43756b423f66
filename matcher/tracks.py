"""One numeric problem per track, solved and explained.

Tracks solve one after another in the configured order. Two rules hold across them: a
person's commitments (partners over all tracks) never exceed their limit, and the same two
people are never paired twice. Each track sees the commitments left by the earlier ones
and the pairs they made.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from matcher.config import CategorySource, ProgramConfig
from matcher.control import Control, Pin
from matcher.diagnose import (
    NOUNS,
    NearMisses,
    SolvedPeers,
    SolvedTrack,
    alternates,
    best_below_minimum,
    find_fixes,
    fix_basis,
    near_misses,
    pair_score,
    rankings,
    rule_masks,
    shortlist,
    solve_peers,
    solve_track,
    top_per_person,
    topic_balance,
)
from matcher.explain import (
    NAMES_SHOWN,
    RULE_TEXT,
    name_list,
    pair_reasons,
    points,
    unmatched_reason,
)
from matcher.intake.normalize import key
from matcher.intake.reader import InputError
from matcher.memory import PAIR_BYTES_MEASURED, TooLargeError, gigabytes
from matcher.models import (
    Alternate,
    Circle,
    Cohort,
    Fix,
    Issue,
    Member,
    PairResult,
    Participant,
    Role,
    Severity,
    SolverReport,
    TopicBalance,
    TrackSummary,
    Unmatched,
)
from matcher.scoring import RULES, CandidateGraph, Floats, Ints, Scorer
from solvers import (
    SCORE_SCALE,
    AssignmentProblem,
    GroupedAssignmentProblem,
    Objective,
    Solution,
    Status,
    solve_assignment,
    solve_grouped_assignment,
)
from solvers.objectives import fix_arcs, fix_grouped_arcs, with_fixed
from solvers.pairing import PairingProblem, blocking_edges, solve_pairing
from solvers.parallel import Pending, stopping
from solvers.stable import blocking_pairs

Bool = npt.NDArray[np.bool_]

#: (asking role, offering role) of each bipartite track.
BIPARTITE_ROLES: dict[str, tuple[Role, Role]] = {
    "mentoring": (Role.MENTEE, Role.MENTOR),
    "reverse": (Role.REVERSE_MENTEE, Role.REVERSE_MENTOR),
}
COHORT_PREFIX = {"mentoring": "M", "reverse": "R", "peer": "P"}


@dataclass
class Budget:
    """Commitments each person has left (None: no limit), the pairs made so far, and the
    coordinator's pins, forbids and history (with the pins already made)."""

    left: dict[str, int | None]
    paired: list[tuple[str, str]] = field(default_factory=list)
    control: Control = field(default_factory=Control)
    pins_made: set[int] = field(default_factory=set)
    #: Per person, the pins not made yet: commitments kept back for them.
    reserved: dict[str, int] = field(default_factory=dict)
    #: Rematch: how many more previous pairs may change (None: any that helps).
    changes_left: int | None = None

    @classmethod
    def of(
        cls, people: Sequence[Participant], default: int | None, control: Control | None = None
    ) -> Budget:
        left = {p.id: p.commitments if p.commitments is not None else default for p in people}
        budget = cls(left, control=control or Control())
        budget.changes_left = budget.control.max_changes
        # A pin's places are kept until its track makes it; in a rematch, a previous
        # pair's until its own track decides on it, so that a change in one track never
        # breaks a pair of another.
        budget.hold([(pin.a, pin.b) for pin in budget.control.pins], +1)
        for pairs in budget.control.previous.values():
            budget.hold(pairs, +1)
        return budget

    def hold(self, pairs: Iterable[tuple[str, str]], step: int) -> None:
        """Keep back (+1) or give back (-1) one commitment of each person of each pair."""
        for pair in pairs:
            for person in pair:
                self.reserved[person] = self.reserved.get(person, 0) + step

    def scorer(
        self,
        track: str,
        left: Sequence[Participant],
        right: Sequence[Participant],
        config: ProgramConfig,
        *,
        symmetric: bool = False,
    ) -> Scorer:
        """The track's scorer, with every pair this run must not make as a hard rule."""
        return Scorer(
            left, right, config, already_paired=self.paired, symmetric=symmetric,
            forbidden=self.control.forbidden_in(track),
            paired_before=self.control.paired_before,
        )  # fmt: skip

    def release_previous(self, track: str) -> None:
        """The track decides on its previous pairs now: their places are free again."""
        self.hold(self.control.previous.get(track, set()), -1)

    def favoured(self, people: Sequence[Participant]) -> Bool:
        """Who was left unmatched in an earlier round (--history)."""
        before = self.control.unmatched_before
        return np.array([p.id in before for p in people], dtype=bool)

    def weights(self, score: Floats, favoured: Bool) -> Floats:
        """What the solver maximises: the score, plus the history bonus for pairs with
        someone left unmatched before, scaled back into [0, 1] (the order is what counts)."""
        bonus = self.control.unmatched_bonus / 100
        if bonus == 0 or not favoured.any():
            return score
        weighted: Floats = (score + bonus * favoured) / (1 + bonus)
        return weighted

    def cap(self, person: str, wanted: int) -> int:
        """What a person can still take of ``wanted``, places kept for pins aside."""
        remaining = self.left[person]
        if remaining is None:
            return wanted
        return max(0, min(wanted, remaining - self.reserved.get(person, 0)))

    def use(self, person: str, count: int = 1) -> None:
        remaining = self.left[person]
        if remaining is not None:
            self.left[person] = remaining - count


#: Progress words, as printed, for each timed stage.
_STAGE_WORDS = {
    "score": "scoring", "solve": "solving", "explain": "explaining", "diagnose": "diagnosing",
}  # fmt: skip


@dataclass
class Stages:
    """Wall time per stage over all tracks, announced through ``progress``."""

    progress: Callable[[str], None]
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, stage: str, what: str) -> Iterator[None]:
        self.progress(f"{_STAGE_WORDS[stage]} {what}")
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + elapsed, 4)


@dataclass(frozen=True)
class TrackResult:
    cohorts: list[Cohort]
    unmatched: list[Unmatched]
    summary: TrackSummary
    circles: list[Circle] = field(default_factory=list)
    alternates: list[Alternate] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    topics: list[TopicBalance] = field(default_factory=list)
    #: The track of pairs as solved, for "why not X" re-solves.
    solved: SolvedTrack | SolvedPeers | None = None


def solver_report(solution: Solution) -> SolverReport:
    return SolverReport(
        method=solution.method,
        status=solution.status.value,
        objective=round(100 * solution.objective, 4),
        bound=None if solution.bound is None else round(100 * solution.bound, 4),
        gap=solution.gap,
        wall_time=round(solution.wall_time, 4),
    )


def _pair(
    a: Participant,
    b: Participant,
    graph: CandidateGraph,
    arc: int,
    values: npt.NDArray[np.float32],
    config: ProgramConfig,
    track: str,
    notes: Sequence[str] = (),
) -> PairResult:
    """The pair on ``arc``; ``values`` are its components (``graph.components_of``)."""
    parts = points(values, graph.weights)
    return PairResult(
        a=a.id, b=b.id, score=round(100 * float(graph.score[arc]), 2),
        components={c: round(v, 2) for c, v in parts.items()},
        reasons=[*pair_reasons(a, b, values, graph.weights, config, track=track), *notes],
    )  # fmt: skip


def _notes(
    person: Participant, favoured: bool, pinned: bool, budget: Budget, other: str | None = None
) -> list[str]:
    """Why the coordinator's say shaped this pair, in plain words."""
    notes = []
    if pinned:
        notes.append("The coordinator pinned this pair.")
    bonus = budget.control.unmatched_bonus
    if favoured and bonus > 0:
        names = person.name if other is None else f"{person.name} and {other}"
        notes.append(
            f"{names} went unmatched in an earlier round, so the solver favoured pairs "
            f"with them (+{bonus:g} points in the optimisation; the score shown is unchanged)."
        )
    return notes


def _with_previous_peers(
    graph: CandidateGraph, scorer: Scorer, pool: Sequence[Participant], budget: Budget
) -> CandidateGraph:
    """Rematch: the previous peer pairs the rules still allow, added as candidates when
    a person's best-peers cut left them out (they can only be kept if they are there)."""
    previous = budget.control.previous.get("peer", set())
    if not previous:
        return graph
    at = {p.id: n for n, p in enumerate(pool)}
    ends = np.array(
        [(at[a], at[b]) for a, b in sorted(previous) if a in at and b in at], dtype=np.int64
    ).reshape(-1, 2)
    n = len(pool)
    present = graph.left * n + graph.right
    missing = ~(np.isin(ends[:, 0] * n + ends[:, 1], present)
                | np.isin(ends[:, 1] * n + ends[:, 0], present))  # fmt: skip
    extra: list[tuple[int, int, npt.NDArray[np.float32]]] = []
    for i, j in ends[missing].tolist():
        masks, values = rule_masks(scorer, slice(i, i + 1))
        if not any(bool(m[0, j]) for m in masks.values()):
            extra.append((i, j, values[:, 0, j]))
    if not extra:
        return graph
    components = np.stack([v for _, _, v in extra]).astype(np.float32)
    return replace(
        graph,
        left=np.concatenate([graph.left, np.array([i for i, _, _ in extra], dtype=np.int64)]),
        right=np.concatenate([graph.right, np.array([j for _, j, _ in extra], dtype=np.int64)]),
        score=np.concatenate([graph.score, pair_score(scorer, components)]),
    )


def _peer_cohort(
    made: int, a: Participant, b: Participant, pair: PairResult, budget: Budget
) -> Cohort:
    """A peer pair as a cohort, its commitments used and the pair recorded."""
    budget.use(a.id)
    budget.use(b.id)
    budget.paired.append((a.id, b.id))
    return Cohort(
        id=f"P{made + 1:03d}", track="peer",
        members=[Member(id=a.id, name=a.name, role=Role.PEER),
                 Member(id=b.id, name=b.name, role=Role.PEER)],
        pairs=[pair], score=pair.score,
    )  # fmt: skip


def _peer_pins(
    pool: Sequence[Participant],
    scorer: Scorer,
    pins: list[tuple[Pin, list[Participant], list[tuple[int, int]]]],
) -> list[tuple[int, int, npt.NDArray[np.float32]]]:
    """The peer pins as (person, person, component values) in the pool: checked against
    the hard rules (not against the candidate list, which only trims the optimisation)."""
    out = []
    taken: set[int] = set()
    at = {p.id: n for n, p in enumerate(pool)}
    for pin, peers, ways in pins:
        ends = [peers[k].id for k in ways[0]]
        if any(e not in at for e in ends):
            raise _pin_error(pin, "no commitments left for it after the earlier tracks")
        i, j = at[ends[0]], at[ends[1]]
        if i in taken or j in taken:
            raise _pin_error(pin, "a person is pinned to two peers; a peer has one partner")
        masks, values = rule_masks(scorer, slice(i, i + 1))
        if any(bool(m[0, j]) for m in masks.values()):
            raise _pin_error(pin, _broken(scorer, (i, j), False, "peer"))
        taken |= {i, j}
        out.append((i, j, values[:, 0, j]))
    return out


def _previous_mask(
    track: str,
    budget: Budget,
    left: Sequence[Participant],
    right: Sequence[Participant],
    arc_left: Ints,
    arc_right: Ints,
) -> Bool:
    """The arcs that are pairs of the previous run (rematch): in the same orientation (the
    same person offering), as someone on both sides could be paired either way; any
    orientation for peers. One ``isin`` over the arcs' keys, no loop over the arcs."""
    previous = budget.control.previous.get(track, set())
    if not previous:  # not a rematch: no work on the arcs
        return np.zeros(arc_left.shape[0], dtype=bool)
    if track == "peer":
        previous = previous | {(b, a) for a, b in previous}
    left_at = {p.id: n for n, p in enumerate(left)}
    right_at = {p.id: n for n, p in enumerate(right)}
    n_right = max(len(right), 1)
    wanted = np.array(
        [left_at[asking] * n_right + right_at[offering] for offering, asking in previous
         if asking in left_at and offering in right_at],
        dtype=np.int64,
    )  # fmt: skip
    mask: Bool = np.isin(arc_left * n_right + arc_right, wanted)
    return mask


def _keep_previous(
    weights: Floats,
    prefer: Bool,
    budget: Budget,
    solve: Callable[[Floats, Ints], Solution],
    keep_most: Callable[[], Ints],
) -> Solution:
    """Re-solve keeping the previous pairs (``prefer``) unless changing them helps.

    The previous pairs get a bonus ``lam`` in the weights, ``(w + lam) / (1 + lam)``: the
    smallest bonus (one step of the integer weights) keeps every previous pair that no
    better solution needs to change. With ``max_changes`` K, a binary search finds the
    smallest bonus at which at most K of the previous pairs that can still be kept
    change; K = 0 (or a bonus that never gets there, when coverage outweighs it) keeps
    the most previous pairs the new limits allow, as pins, and solves the rest. K is for
    the whole run: each track uses what the earlier ones left.
    """
    max_changes = budget.changes_left
    started = time.perf_counter()
    kept_max = keep_most()
    if max_changes == 0:
        return solve(weights, kept_max)

    def attempt(lam: float) -> tuple[Solution, int]:
        solution = solve((weights + lam * prefer) / (1 + lam), np.zeros(0, dtype=np.int64))
        return solution, max(0, kept_max.shape[0] - int(prefer[solution.chosen_arcs].sum()))

    step = 1 / SCORE_SCALE
    best, changes = attempt(step)
    if max_changes is not None and changes > max_changes:
        low, high = step, 1.0
        found: tuple[Solution, int] | None = None
        for _ in range(14):
            middle = (low + high) / 2
            solution, count = attempt(middle)
            if count <= max_changes:
                found, high = (solution, count), middle
            else:
                low = middle
        if found is None:
            last = attempt(1.0)
            found = last if last[1] <= max_changes else (solve(weights, kept_max), 0)
        best, changes = found
    # Scores as they are; the bonus shaped the choice, so no optimality is claimed for K.
    status = best.status if max_changes is None else Status.FEASIBLE
    if max_changes is not None:
        budget.changes_left = max_changes - changes
    return Solution.from_arcs(best.method, status, best.chosen_arcs, weights, started)


def _bipartite_keeping(
    track: str,
    problem: AssignmentProblem,
    askers: Sequence[Participant],
    offerers: Sequence[Participant],
    scorer: Scorer,
    config: ProgramConfig,
    budget: Budget,
    pinned: Ints,
    time_limit: float | None,
    seed: int,
) -> Solution:
    """The track solved with its pins, and (rematch) its previous pairs kept."""
    prefer = _previous_mask(track, budget, askers, offerers, problem.arc_left, problem.arc_right)
    if not prefer.any():
        return solve_track(problem, scorer, config, time_limit, seed, pinned)

    def solve(weights: Floats, fixed: Ints) -> Solution:
        allfixed = np.unique(np.concatenate([pinned, fixed])).astype(np.int64)
        return solve_track(
            replace(problem, arc_weight=weights), scorer, config, time_limit, seed, allfixed
        )

    def keep_most() -> Ints:
        rest, kept = fix_arcs(problem, pinned)
        sel = np.flatnonzero(prefer[kept])
        sub = replace(rest, arc_left=rest.arc_left[sel], arc_right=rest.arc_right[sel],
                      arc_weight=rest.arc_weight[sel], objective=Objective.COVERAGE)  # fmt: skip
        chosen: Ints = kept[sel[solve_assignment(sub, "min_cost_flow").chosen_arcs]]
        return chosen

    return _keep_previous(problem.arc_weight, prefer, budget, solve, keep_most)


def _grouped_keeping(
    track: str,
    grouped: GroupedAssignmentProblem,
    askers: Sequence[Participant],
    offerers: Sequence[Participant],
    budget: Budget,
    pinned: Ints,
) -> Solution:
    """A per-kind track solved with its pins, and (rematch) its previous pairs kept."""

    def solve(weights: Floats, fixed: Ints) -> Solution:
        allfixed = np.unique(np.concatenate([pinned, fixed])).astype(np.int64)
        base = replace(grouped, arc_weight=weights)
        if allfixed.shape[0] == 0:
            return solve_grouped_assignment(base)
        rest, kept = fix_grouped_arcs(base, allfixed)
        return with_fixed(solve_grouped_assignment(rest), kept, allfixed, weights)

    prefer = _previous_mask(track, budget, askers, offerers, grouped.arc_left, grouped.arc_right)
    if not prefer.any():
        return solve(grouped.arc_weight, np.zeros(0, dtype=np.int64))

    def keep_most() -> Ints:
        rest, kept = fix_grouped_arcs(grouped, pinned)
        sel = np.flatnonzero(prefer[kept])
        sub = replace(
            rest, arc_left=rest.arc_left[sel], arc_right=rest.arc_right[sel],
            arc_weight=rest.arc_weight[sel], arc_left_group=rest.arc_left_group[sel],
            arc_right_group=rest.arc_right_group[sel], objective=Objective.COVERAGE,
        )  # fmt: skip
        chosen: Ints = kept[sel[solve_grouped_assignment(sub).chosen_arcs]]
        return chosen

    return _keep_previous(grouped.arc_weight, prefer, budget, solve, keep_most)


def _peers_keeping(
    problem: PairingProblem,
    pool: Sequence[Participant],
    config: ProgramConfig,
    budget: Budget,
    time_limit: float | None,
    seed: int,
) -> Solution:
    """The peer pool paired, and (rematch) its previous pairs kept."""
    prefer = _previous_mask("peer", budget, pool, pool, problem.arc_u, problem.arc_v)
    if not prefer.any():
        return solve_peers(problem, config, time_limit, seed)

    def solve(weights: Floats, fixed: Ints) -> Solution:
        busy = np.zeros(problem.n, dtype=bool)
        busy[problem.arc_u[fixed]] = busy[problem.arc_v[fixed]] = True
        free = np.flatnonzero(~(busy[problem.arc_u] | busy[problem.arc_v]))
        rest = replace(problem, arc_u=problem.arc_u[free], arc_v=problem.arc_v[free],
                       arc_weight=weights[free])  # fmt: skip
        inner = solve_peers(rest, config, time_limit, seed)
        return with_fixed(inner, free, fixed, weights)

    def keep_most() -> Ints:
        sel = np.flatnonzero(prefer)
        sub = replace(problem, arc_u=problem.arc_u[sel], arc_v=problem.arc_v[sel],
                      arc_weight=problem.arc_weight[sel], objective=Objective.COVERAGE)  # fmt: skip
        chosen: Ints = sel[solve_pairing(sub, "rustworkx").chosen_arcs]
        return chosen

    return _keep_previous(problem.arc_weight, prefer, budget, solve, keep_most)


def _candidates(scorer: Scorer, track: str, sides: str, top_k: int | None = None) -> CandidateGraph:
    """``scorer.candidates``; a track too large for the memory left is bad input, said
    with what would make it fit."""
    try:
        return scorer.candidates(top_k)
    except TooLargeError as exc:
        typical = gigabytes(exc.pairs * PAIR_BYTES_MEASURED)
        raise InputError([Issue(
            severity=Severity.ERROR, file=f"{track} track", value=sides,
            message=f"{exc} (a run this size takes about {typical}): nothing was matched. "
            "To fit, keep fewer candidate pairs: a minimum score ([rules] min_score), a "
            "stricter rule ([rules]), or one run per location or department",
        )]) from None  # fmt: skip


def _pin_error(pin: Pin, text: str) -> InputError:
    return InputError([pin.where.model_copy(update={"value": f"{pin.a} - {pin.b}",
                                                    "message": f"pin: {text}"})])  # fmt: skip


def _pins_here(
    track: str, budget: Budget, left: Sequence[Participant], right: Sequence[Participant]
) -> list[tuple[Pin, list[tuple[int, int]]]]:
    """The pins this track makes, each with its possible (left, right) orientations (two
    when both people are on both sides); a pin is made by its own track, or by the first
    track where its two people are on opposite sides."""
    left_at = {p.id: n for n, p in enumerate(left)}
    right_at = {p.id: n for n, p in enumerate(right)}
    found = []
    for k, pin in enumerate(budget.control.pins):
        if k in budget.pins_made or pin.track not in (None, track):
            continue
        ways = [
            (left_at[x], right_at[y])
            for x, y in ((pin.a, pin.b), (pin.b, pin.a))
            if x in left_at and y in right_at
        ]
        if ways:
            found.append((pin, ways))
            budget.pins_made.add(k)
            budget.hold([(pin.a, pin.b)], -1)  # this track makes it: places released
    return found


def _broken(scorer: Scorer, way: tuple[int, int], grouped: bool, track: str) -> str:
    """Why the pair (left, right) is not allowed: the hard rules that forbid it."""
    i, j = way
    masks, _ = rule_masks(scorer, slice(i, i + 1))
    broken = [RULE_TEXT[r] for r in RULES if r in masks and bool(masks[r][0, j])]
    if not broken and grouped:
        broken = ["the kinds asked for and offered do not fit ([categories])"]
    return f"breaks the hard rule(s) of the {track} track: {', '.join(broken)}"


def _pin_arcs(
    track: str,
    pins: list[tuple[Pin, list[tuple[int, int]]]],
    askers: Sequence[Participant],
    offerers: Sequence[Participant],
    graph: CandidateGraph,
    scorer: Scorer,
    problem: AssignmentProblem,
    grouped: GroupedAssignmentProblem | None,
) -> Ints:
    """The arcs of this track's pins; an ``InputError`` naming the pin when one breaks a
    hard rule or asks for more places than a person has."""
    if not pins:
        return np.zeros(0, dtype=np.int64)
    keys = graph.left * graph.n_right + graph.right
    order = np.argsort(keys, kind="stable")
    arcs = []
    made: list[tuple[Pin, int, int]] = []
    for pin, ways in pins:
        for i, j in ways:
            wanted = i * graph.n_right + j
            at = int(np.searchsorted(keys[order], wanted))
            if at < order.shape[0] and keys[order[at]] == wanted:
                arcs.append(int(order[at]))
                made.append((pin, i, j))
                break
        else:
            raise _pin_error(pin, _broken(scorer, ways[0], grouped is not None, track))
    pinned = np.array(arcs, dtype=np.int64)

    limits = grouped if grouped is not None else problem
    for side, ends, limit, people in (
        ("asks for", graph.left[pinned], limits.left_demand, askers),
        ("offers", graph.right[pinned], limits.right_capacity, offerers),
    ):
        counts = np.bincount(ends, minlength=limit.shape[0])
        over = np.flatnonzero(counts > limit)
        if over.shape[0]:
            n = int(over[0])
            pin = next(p for p, i, j in made if (i if side == "asks for" else j) == n)
            raise _pin_error(pin, (
                f"{people[n].name} is pinned to {int(counts[n])} partner(s) in the {track} "
                f"track but {side} {int(limit[n])} place(s) there (demand or capacity, "
                "after the commitments used by earlier tracks)"
            ))  # fmt: skip
    if grouped is not None:
        for group, cap in (
            (grouped.arc_left_group[pinned], grouped.left_group_capacity),
            (grouped.arc_right_group[pinned], grouped.right_group_capacity),
        ):
            over = np.flatnonzero(np.bincount(group, minlength=cap.shape[0]) > cap)
            if over.shape[0]:
                pin = made[int(np.flatnonzero(group == over[0])[0])][0]
                raise _pin_error(pin, "the pins ask for more mentors of one kind than a person "
                                 "asked for, or offers, in [categories]")  # fmt: skip
    return pinned


def bipartite_track(
    track: str,
    people: Sequence[Participant],
    config: ProgramConfig,
    budget: Budget,
    stages: Stages,
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> TrackResult | None:
    """Mentoring or reverse mentoring: askers with demand, offerers with capacity.

    ``config`` is already the track's (``ProgramConfig.for_track``). Returns None when
    the survey has nobody on one side of the track.
    """
    ask_role, offer_role = BIPARTITE_ROLES[track]
    askers = [p for p in people if ask_role in p.roles]
    offerers = [p for p in people if offer_role in p.roles]
    if not askers or not offerers:
        return None
    with stages("score", f"{track}: {len(askers)} x {len(offerers)}"):
        scorer = budget.scorer(track, askers, offerers, config)
        _, offer_noun, ask_noun, _ = NOUNS[track]
        sides = f"{len(askers):,} {ask_noun} x {len(offerers):,} {offer_noun}"
        graph = _candidates(scorer, track, sides)

    pins = _pins_here(track, budget, askers, offerers)
    budget.release_previous(track)
    wanted = np.array(
        [config.mentoring.default_demand if p.demand is None else p.demand for p in askers],
        dtype=np.int64,
    )
    offered = np.array(
        [config.mentoring.default_capacity if p.capacity is None else p.capacity for p in offerers],
        dtype=np.int64,
    )
    # Commitments left: a person on both sides serves their own demand first, except for
    # the places they gave as offerers in the previous run (rematch), which come first.
    gave = Counter(offering for offering, _ in budget.control.previous.get(track, ()))
    demand = np.array(
        [max(0, budget.cap(p.id, int(w) + gave.get(p.id, 0)) - gave.get(p.id, 0))
         for p, w in zip(askers, wanted, strict=True)], dtype=np.int64,
    )  # fmt: skip
    asked = {p.id: int(d) for p, d in zip(askers, demand, strict=True)}
    capacity = np.array([max(0, budget.cap(p.id, int(c) + asked.get(p.id, 0))
                             - asked.get(p.id, 0)) for p, c in zip(offerers, offered, strict=True)],
                        dtype=np.int64)  # fmt: skip
    with stages("solve", f"{track}: {graph.n_arcs} candidate pairs"):
        grouped = None
        if track == "mentoring" and config.categories.demand:
            graph, grouped = _with_categories(graph, askers, offerers, demand, capacity, config)
            demand = grouped.left_demand
        favoured = budget.favoured(askers)
        problem = AssignmentProblem(
            left_demand=demand, right_capacity=capacity, arc_left=graph.left,
            arc_right=graph.right, arc_weight=budget.weights(graph.score, favoured[graph.left]),
            objective=Objective(config.mentoring.flow_objective),
        )  # fmt: skip
        pinned = _pin_arcs(track, pins, askers, offerers, graph, scorer, problem, grouped)
        if grouped is not None:
            grouped = replace(grouped, arc_weight=problem.arc_weight)
            solution = _grouped_keeping(track, grouped, askers, offerers, budget, pinned)
        else:
            solution = _bipartite_keeping(
                track, problem, askers, offerers, scorer, config, budget, pinned, time_limit, seed
            )
    stop = threading.Event()  # set if explaining fails: the diagnosis threads then end
    with stages("explain", track), stopping(stop):
        chosen = solution.chosen_arcs
        solved = SolvedTrack(
            track=track, askers=askers, offerers=offerers, scorer=scorer, graph=graph,
            problem=problem, grouped=grouped, solution=solution, offered=offered,
            config=config, time_limit=time_limit, seed=seed, pinned=pinned,
        )  # fmt: skip
        got = np.bincount(graph.left[chosen], minlength=graph.n_left)
        short = np.flatnonzero((got < wanted) & (got < problem.left_demand))
        # The diagnosis needs only the solution and only reads it, the scorer and the
        # graph: near misses, then the fixes built on them, run on a second thread
        # (solvers.parallel) while the pairs and the people left short are explained.
        misses_of = Pending(lambda: near_misses(scorer, short, stop))
        basis_of = Pending(lambda: fix_basis(solved, stop))
        fixes_of = Pending(lambda: find_fixes(solved, misses_of.result(), basis_of.result(), stop))
        n_alt = config.diagnosis.alternates
        # One shortlist per side holds each person's alternates (past their own pairs)
        # and the partners their reason names, so the arcs are narrowed once per side.
        left_list, right_list = (
            shortlist(ends, graph.score, np.maximum(
                n_alt + np.bincount(ends[chosen], minlength=size), NAMES_SHOWN))
            for ends, size in ((graph.left, graph.n_left), (graph.right, graph.n_right))
        )  # fmt: skip
        blocking = None if grouped is not None else _blocking(solved)

        pinned_set = set(pinned.tolist())
        # The chosen arcs' ends and scores as Python values, read once.
        ask_of = dict(zip(chosen.tolist(), graph.left[chosen].tolist(), strict=True))
        score_of = dict(zip(chosen.tolist(), graph.score[chosen].tolist(), strict=True))
        by_offerer: dict[int, list[int]] = {}
        for arc, j in zip(chosen.tolist(), graph.right[chosen].tolist(), strict=True):
            by_offerer.setdefault(j, []).append(arc)
        cohorts: list[Cohort] = []
        # Component values of the chosen pairs, computed together.
        values_of = dict(zip(chosen.tolist(), graph.components_of(chosen), strict=True))
        for j in sorted(by_offerer):
            mentor = offerers[j]
            arcs = sorted(by_offerer[j], key=lambda a: (-score_of[a], askers[ask_of[a]].id))
            pairs = [
                _pair(mentor, askers[ask_of[a]], graph, a, values_of[a], config, track,
                      _notes(askers[ask_of[a]], bool(favoured[ask_of[a]]), a in pinned_set,
                             budget))
                for a in arcs
            ]  # fmt: skip
            members = [Member(id=mentor.id, name=mentor.name, role=offer_role)] + [
                Member(id=askers[ask_of[a]].id, name=askers[ask_of[a]].name, role=ask_role)
                for a in arcs
            ]
            cohorts.append(Cohort(
                id=f"{COHORT_PREFIX[track]}{len(cohorts) + 1:03d}", track=track, members=members,
                pairs=pairs, score=round(sum(p.score for p in pairs) / len(pairs), 2),
            ))  # fmt: skip
            for pair in pairs:
                budget.use(pair.a)
                budget.use(pair.b)
                budget.paired.append((pair.a, pair.b))

        unmatched, reasons = _unmatched(solved, wanted, misses_of.result(), (left_list, right_list))
        chosen_mask = np.zeros(graph.n_arcs, dtype=bool)
        chosen_mask[chosen] = True
        found = [
            *alternates(track, askers, offerers, graph.left, graph.right, graph.score,
                        chosen_mask, n_alt, left_list),
            *alternates(track, offerers, askers, graph.right, graph.left, graph.score,
                        chosen_mask, n_alt, right_list),
        ]  # fmt: skip
        topics = topic_balance(
            track, askers, offerers, problem.right_capacity, graph.left[chosen], graph.right[chosen]
        )
        got_left = np.bincount(graph.left[chosen], minlength=graph.n_left)
        scores = [p.score for c in cohorts for p in c.pairs]
        summary = TrackSummary(
            track=track, objective=config.mentoring.objective, left=len(askers),
            right=len(offerers), candidate_pairs=graph.n_arcs,
            pairs=len(scores), left_matched=int((got_left > 0).sum()),
            left_unmatched=int(((got_left == 0) & (wanted > 0)).sum()),
            demand_total=int(wanted.sum()), demand_met=int(got_left.sum()),
            mean_score=round(float(np.mean(scores)), 2) if scores else None,
            min_score=round(float(np.min(scores)), 2) if scores else None,
            p10_score=round(float(np.percentile(scores, 10)), 2) if scores else None,
            blocking_pairs=blocking,
            unmatched_reasons=dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
            disabled_components=graph.disabled, solver=solver_report(solution),
        )  # fmt: skip
    with stages("diagnose", f"{track}: fixes for {short.shape[0]} short"):
        fixes = fixes_of.result()
    return TrackResult(
        cohorts=cohorts, unmatched=unmatched, summary=summary, alternates=found, fixes=fixes,
        topics=topics, solved=solved,
    )  # fmt: skip


def _blocking(solved: SolvedTrack) -> int:
    """Pairs who would both rather have each other, by the rankings the track assumes."""
    problem = solved.problem
    left_view, right_view = rankings(problem, solved.scorer, solved.config)
    if left_view is not None:
        problem = replace(problem, arc_weight=left_view)
    return int(
        blocking_pairs(problem, solved.solution.chosen_arcs, right_weight=right_view).shape[0]
    )


def _best_partners(
    ends: Ints, others: Ints, score: Floats, wanted: Bool, n: int, within: Ints | None = None
) -> dict[int, list[int]]:
    """Per person with ``wanted[person]``: their ``n`` best candidates, best first (ties
    to the partner listed first); ``within``: a ``shortlist`` holding them."""
    if not wanted[ends].any():
        return {}
    order = np.arange(int(others.max()) + 1)
    quota = np.where(wanted, n, 0)[: int(ends.max()) + 1]
    top = top_per_person(ends, others, score, order, quota, within=within)
    out: dict[int, list[int]] = {}
    for person, partner in zip(ends[top].tolist(), others[top].tolist(), strict=True):
        out.setdefault(person, []).append(partner)
    return out


def _no_place(offered: int) -> str:
    """Why an offerer with nobody has no place: none offered, or commitments used up."""
    return "offers no place" if offered == 0 else "no place left: commitments used"


def _unmatched(
    solved: SolvedTrack,
    wanted: Ints,
    misses: NearMisses,
    shortlists: tuple[Ints | None, Ints | None] = (None, None),
) -> tuple[list[Unmatched], dict[str, int]]:
    """The computed reason for everyone who got fewer partners than they asked for.

    With per-kind (grouped) demand, a partner with room overall may still have none for
    this kind of person. Full partners are named, the person's best candidates first
    (from ``shortlists``, each side's, when given).
    """
    track, askers, offerers = solved.track, solved.askers, solved.offerers
    graph, problem, offered = solved.graph, solved.problem, solved.offered
    chosen = solved.solution.chosen_arcs
    ask_role, offer_role = BIPARTITE_ROLES[track]
    partner, partners, askers_noun, verb = NOUNS[track]
    got_left = np.bincount(graph.left[chosen], minlength=graph.n_left)
    got_right = np.bincount(graph.right[chosen], minlength=graph.n_right)
    room_left = problem.left_demand - got_left
    room_right = problem.right_capacity - got_right
    # Per person: eligible partners, and those of them left with room after solving.
    eligible_left = np.bincount(graph.left, minlength=graph.n_left)
    eligible_right = np.bincount(graph.right, minlength=graph.n_right)
    # Counted over the arcs kept by a mask, not weighted by it: bincount would make the
    # mask float64 (66 MB at 10,000 x 2,000) and add floats (0.18 -> 0.06 s).
    open_left = np.bincount(graph.left[(room_right > 0)[graph.right]], minlength=graph.n_left)
    open_right = np.bincount(graph.right[(room_left > 0)[graph.left]], minlength=graph.n_right)
    below_count, below_best, below_who = best_below_minimum(misses, graph.n_left)
    # Who fills each place: named in the reasons of the people left out.
    asker_names = [p.name for p in askers]
    offerer_names = [p.name for p in offerers]
    mentees_of: dict[int, list[str]] = {}
    mentors_of: dict[int, list[str]] = {}
    by_score = chosen[np.argsort(-graph.score[chosen], kind="stable")]
    for i, j in zip(graph.left[by_score].tolist(), graph.right[by_score].tolist(), strict=True):
        mentees_of.setdefault(j, []).append(asker_names[i])
        mentors_of.setdefault(i, []).append(offerer_names[j])
    short_left = (got_left < wanted) & (room_left > 0)
    short_right = (got_right == 0) & (offered > 0) & (problem.right_capacity > 0)
    best_left = _best_partners(
        graph.left, graph.right, graph.score, short_left, NAMES_SHOWN, shortlists[0]
    )
    best_right = _best_partners(
        graph.right, graph.left, graph.score, short_right, NAMES_SHOWN, shortlists[1]
    )
    # Python values for the loops over people (numpy scalars cost more to read and print).
    no_place = [_no_place(n) for n in offered.tolist()]
    got_l, wanted_l, room_l = got_left.tolist(), wanted.tolist(), room_left.tolist()
    eligible_l, open_l = eligible_left.tolist(), open_left.tolist()
    below_l, below_best_l, below_who_l = (a.tolist() for a in (below_count, below_best, below_who))

    unmatched: list[Unmatched] = []
    reasons: dict[str, int] = {}
    for i, person in enumerate(askers):
        if got_l[i] >= wanted_l[i]:
            continue
        if room_l[i] <= 0:  # the demand itself was cut by commitments
            category = "commitment limit reached"
            text = (
                f"matched {got_l[i]} of {wanted_l[i]} requested: "
                "commitment limit reached in this or an earlier track"
            )
        else:
            holders = [
                f"{offerer_names[j]} ({verb} {name_list(mentees_of[j])})"
                if j in mentees_of
                else f"{offerer_names[j]} ({no_place[j]})"
                for j in best_left.get(i, [])
            ]
            who = below_who_l[i]
            category, text = unmatched_reason(
                partner=partner, partners=partners, taken=("is full", "are full"),
                wanted=wanted_l[i], got=got_l[i], eligible=eligible_l[i],
                eligible_with_room=open_l[i], removed=graph.removed_left[i],
                n_other=graph.n_right, holders=holders,
                below_minimum=(below_l[i], 100 * below_best_l[i], offerer_names[who])
                if who >= 0 else None,
                min_score=solved.config.rules.min_score,
            )  # fmt: skip
        if solved.grouped is not None and category.endswith("placed elsewhere"):
            category = "kinds asked for are full"
            text = (
                f"matched {got_l[i]} of {wanted_l[i]} requested: the eligible "
                f"{partners} with places left are not of the kinds asked for, or have no "
                "place left for this kind of mentee"
            )
        reasons[category] = reasons.get(category, 0) + 1
        unmatched.append(Unmatched(id=person.id, name=person.name, role=ask_role, reason=text))
    for j, person in enumerate(offerers):
        if got_right[j] > 0 or offered[j] == 0:
            continue
        if problem.right_capacity[j] == 0:
            text = "commitment limit reached in this or an earlier track"
        else:
            holders = [
                f"{asker_names[i]} (with {name_list(mentors_of[i])})"
                if i in mentors_of
                else f"{asker_names[i]} (commitments used up)"
                for i in best_right.get(j, [])
            ]
            _, text = unmatched_reason(
                partner=askers_noun[:-1], partners=askers_noun,
                taken=("has no place left", "have no place left"),
                wanted=int(offered[j]), got=0, eligible=int(eligible_right[j]),
                eligible_with_room=int(open_right[j]), removed=graph.removed_right[j],
                n_other=graph.n_left, holders=holders,
            )  # fmt: skip
        unmatched.append(Unmatched(id=person.id, name=person.name, role=offer_role, reason=text))
    return unmatched, reasons


def peer_track(
    people: Sequence[Participant],
    config: ProgramConfig,
    budget: Budget,
    stages: Stages,
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> TrackResult | None:
    """Peer pairs: one pool, each person in at most one pair, reciprocal scores.

    Scores are symmetric (each side's goals met by the other, averaged), so each person
    keeps their ``candidates_per_person`` best peers; the pairing is an exact maximum
    weight matching (coverage first by default) on that candidate graph.
    """
    settings = config.tracks.peer
    peers = [p for p in people if Role.PEER in p.roles]
    pins = _pins_here("peer", budget, peers, peers)
    budget.release_previous("peer")
    pool = [p for p in peers if budget.cap(p.id, 1) > 0]
    if len(pool) < 2:
        return None
    with stages("score", f"peer: {len(pool)} people"):
        scorer = budget.scorer("peer", pool, pool, config, symmetric=True)
        graph = _with_previous_peers(
            _candidates(scorer, "peer", f"{len(pool):,} people", settings.candidates_per_person),
            scorer,
            pool,
            budget,
        )
        # Each unordered pair once, from whichever direction kept it.
        low = np.minimum(graph.left, graph.right)
        high = np.maximum(graph.left, graph.right)
        order = np.lexsort((high, low))
        edge_key = low[order] * len(pool) + high[order]
        distinct = np.ones(order.shape[0], dtype=bool)
        distinct[1:] = edge_key[1:] != edge_key[:-1]
        first = order[distinct]
        pinned_pairs = _peer_pins(pool, scorer, [(pin, peers, ways) for pin, ways in pins])
        pinned_people = np.zeros(len(pool), dtype=bool)
        for i, j, _ in pinned_pairs:
            pinned_people[[i, j]] = True
        first = first[~(pinned_people[low[first]] | pinned_people[high[first]])]
    with stages("solve", f"peer: {first.shape[0]} candidate pairs"):
        favoured = budget.favoured(pool)
        problem = PairingProblem(
            n=len(pool),
            arc_u=low[first],
            arc_v=high[first],
            arc_weight=budget.weights(
                graph.score[first], favoured[low[first]] | favoured[high[first]]
            ),
            objective=Objective(config.mentoring.flow_objective),
        )
        solution = _peers_keeping(problem, pool, config, budget, time_limit, seed)
    with stages("explain", "peer"):
        cohorts: list[Cohort] = []
        for i, j, values in pinned_pairs:
            a, b = pool[i], pool[j]
            parts = points(values, scorer.weights)
            pair = PairResult(
                a=a.id, b=b.id, score=round(100 * float(pair_score(scorer, values[None, :])[0]), 2),
                components={c: round(v, 2) for c, v in parts.items()},
                reasons=[*pair_reasons(a, b, values, scorer.weights, config, track="peer"),
                         *_notes(a, False, True, budget)],
            )  # fmt: skip
            cohorts.append(_peer_cohort(len(cohorts), a, b, pair, budget))
        made = first[solution.chosen_arcs]
        values_of = dict(zip(made.tolist(), graph.components_of(made), strict=True))
        for edge in sorted(
            solution.chosen_arcs.tolist(),
            key=lambda e: (-graph.score[first[e]], pool[low[first[e]]].id),
        ):
            arc = int(first[edge])
            a, b = pool[int(low[arc])], pool[int(high[arc])]
            fav = [p for p in (a, b) if p.id in budget.control.unmatched_before]
            other = fav[1].name if len(fav) == 2 else None
            notes = _notes(fav[0], True, False, budget, other) if fav else []
            pair = _pair(a, b, graph, arc, values_of[arc], config, "peer", notes)
            cohorts.append(_peer_cohort(len(cohorts), a, b, pair, budget))
        paired = {m.id for c in cohorts for m in c.members}
        edge_u, edge_v = low[first], high[first]
        degree = np.bincount(np.concatenate([edge_u, edge_v]), minlength=len(pool))
        # Both directions of every candidate edge, for naming and for alternates.
        ends = np.concatenate([edge_u, edge_v])
        others = np.concatenate([edge_v, edge_u])
        both_scores = np.concatenate([problem.arc_weight, problem.arc_weight])
        partner_of = {int(u): int(v) for e in solution.chosen_arcs.tolist()
                      for u, v in ((edge_u[e], edge_v[e]), (edge_v[e], edge_u[e]))}  # fmt: skip
        alone = np.array([p.id not in paired for p in pool], dtype=bool)
        misses = near_misses(scorer, np.flatnonzero(alone & (degree == 0)))
        below_count, below_best, below_who = best_below_minimum(misses, len(pool))
        best = _best_partners(ends, others, both_scores, alone, NAMES_SHOWN)
        unmatched: list[Unmatched] = []
        reasons: dict[str, int] = {}
        for k, person in enumerate(pool):
            if person.id in paired:
                continue
            if degree[k] == 0:
                who = int(below_who[k])
                category, text = unmatched_reason(
                    partner="peer", partners="peers", taken=("", ""), wanted=1, got=0,
                    eligible=0, eligible_with_room=0, removed=graph.removed_left[k],
                    n_other=len(pool) - 1,
                    below_minimum=(int(below_count[k]), 100 * float(below_best[k]),
                                   pool[who].name) if who >= 0 else None,
                    min_score=config.rules.min_score,
                )  # fmt: skip
            else:
                category = "eligible peers all taken"
                holders = [
                    f"{pool[other].name} (with {pool[partner_of[other]].name})"
                    for other in best.get(k, [])
                    if other in partner_of
                ]
                text = (
                    f"all {int(degree[k])} candidate peers were paired with others"
                    + (f": {name_list(holders, int(degree[k]))}" if holders else "")
                    + " (an odd one out, or a better pairing for everyone)"
                )
            reasons[category] = reasons.get(category, 0) + 1
            unmatched.append(Unmatched(id=person.id, name=person.name, role=Role.PEER, reason=text))
        chosen_mask = np.zeros(problem.arc_u.shape[0], dtype=bool)
        chosen_mask[solution.chosen_arcs] = True
        found = alternates(
            "peer", pool, pool, ends, others, both_scores,
            np.concatenate([chosen_mask, chosen_mask]), config.diagnosis.alternates,
        )  # fmt: skip
        scores = [c.score for c in cohorts]
        summary = TrackSummary(
            track="peer", objective=config.mentoring.objective, left=len(pool), right=len(pool),
            candidate_pairs=int(first.shape[0]),
            pairs=len(cohorts), left_matched=len(paired), left_unmatched=len(pool) - len(paired),
            demand_total=len(pool), demand_met=len(paired),
            mean_score=round(float(np.mean(scores)), 2) if scores else None,
            min_score=round(float(np.min(scores)), 2) if scores else None,
            p10_score=round(float(np.percentile(scores, 10)), 2) if scores else None,
            blocking_pairs=int(blocking_edges(problem, solution.chosen_arcs).shape[0]),
            unmatched_reasons=dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
            disabled_components=graph.disabled, solver=solver_report(solution),
        )  # fmt: skip
    solved = SolvedPeers(
        pool=pool, scorer=scorer, graph=graph, edge_arc=first, problem=problem,
        solution=solution, config=config, time_limit=time_limit, seed=seed,
    )  # fmt: skip
    return TrackResult(
        cohorts=cohorts, unmatched=unmatched, summary=summary, alternates=found, solved=solved
    )


def _kind(person: Participant, source: CategorySource) -> str | None:
    value = {
        "category": person.category,
        "seniority": person.seniority_label,
        "department": person.department,
    }[source]
    return key(value) if value else None


def _group_table(
    people: Sequence[Participant],
    counts: Sequence[dict[str, int]],
    totals: npt.NDArray[np.int64],
    kinds: dict[str, int],
) -> tuple[npt.NDArray[np.int64], list[int], list[int]]:
    """Per person, the group index for each kind (column -1: 'any kind'), or -1.

    A person who answered per-kind counts gets one group per kind asked; one who did not
    gets a single group for any kind, with their total.
    """
    table = np.full((len(people), len(kinds) + 1), -1, dtype=np.int64)
    owner: list[int] = []
    capacity: list[int] = []
    for i, per_kind in enumerate(counts):
        if per_kind:
            for label, n in per_kind.items():
                if key(label) in kinds and n > 0:
                    table[i, kinds[key(label)]] = len(owner)
                    owner.append(i)
                    capacity.append(n)
        else:
            table[i, -1] = len(owner)
            owner.append(i)
            capacity.append(int(totals[i]))
    return table, owner, capacity


def _with_categories(
    graph: CandidateGraph,
    askers: Sequence[Participant],
    offerers: Sequence[Participant],
    demand: npt.NDArray[np.int64],
    capacity: npt.NDArray[np.int64],
    config: ProgramConfig,
) -> tuple[CandidateGraph, GroupedAssignmentProblem]:
    """Keep the arcs whose kinds fit both people, and the grouped problem over them.

    A mentee's demand becomes the sum of their per-kind answers (capped by the commitments
    left, which ``demand`` carries); a mentor's per-kind capacity caps each kind of mentee.
    """
    cats = config.categories
    kinds = {key(k): n for n, k in enumerate(dict.fromkeys([*cats.demand, *cats.capacity]))}
    mentor_kind = np.array(
        [kinds.get(_kind(p, cats.mentor_category) or "", -1) for p in offerers], dtype=np.int64
    )
    mentee_kind = np.array(
        [kinds.get(_kind(p, cats.mentee_category) or "", -1) for p in askers], dtype=np.int64
    )
    left_table, left_owner, left_cap = _group_table(
        askers, [p.category_demand for p in askers], demand, kinds
    )
    right_table, right_owner, right_cap = _group_table(
        offerers, [p.category_capacity for p in offerers], capacity, kinds
    )
    # An arc's group: the kind-specific one, else the 'any kind' one (last column).
    left_group = left_table[graph.left, mentor_kind[graph.right]]
    left_group = np.where(left_group >= 0, left_group, left_table[graph.left, -1])
    right_group = right_table[graph.right, mentee_kind[graph.left]]
    right_group = np.where(right_group >= 0, right_group, right_table[graph.right, -1])
    keep = (left_group >= 0) & (right_group >= 0)
    kept = replace(
        graph,
        left=graph.left[keep],
        right=graph.right[keep],
        score=graph.score[keep],
    )
    per_kind_total = np.array(
        [
            sum(p.category_demand.values()) if p.category_demand else int(demand[i])
            for i, p in enumerate(askers)
        ],
        dtype=np.int64,
    )
    problem = GroupedAssignmentProblem(
        left_demand=np.minimum(per_kind_total, demand), right_capacity=capacity,
        arc_left=kept.left, arc_right=kept.right, arc_weight=kept.score,
        arc_left_group=left_group[keep], arc_right_group=right_group[keep],
        left_group_owner=np.array(left_owner, dtype=np.int64),
        left_group_capacity=np.array(left_cap, dtype=np.int64),
        right_group_owner=np.array(right_owner, dtype=np.int64),
        right_group_capacity=np.array(right_cap, dtype=np.int64),
        objective=Objective(config.mentoring.flow_objective),
    )  # fmt: skip
    return kept, problem
