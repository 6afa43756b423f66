"""Diagnosis: what a coordinator asks after a run, answered from the run itself.

Who is short of a match and why, which goal topics lack mentors, each person's next-best
partners, which small changes to the input would place more people, and "why not X
instead": every figure comes from the same candidate graph, scores and solver as the
matching, so the diagnosis can never disagree with the decision. Opt-in demographic
attributes are never read here.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from scipy.sparse.csgraph import maximum_flow

from matcher.config import ProgramConfig
from matcher.explain import RULE_TEXT, name_list, points
from matcher.intake.normalize import key
from matcher.models import Alternate, Fix, Participant, TopicBalance
from matcher.scoring import BLOCK_PAIRS, COMPONENTS, RULES, CandidateGraph, Scorer
from solvers import (
    SCORE_SCALE,
    AssignmentProblem,
    GroupedAssignmentProblem,
    Solution,
    Status,
    parallel,
    solve_grouped_assignment,
)
from solvers.mincostflow import solve_network
from solvers.objectives import (
    fix_arcs,
    fix_grouped_arcs,
    solve_assignment_goal,
    solve_pairing_goal,
    with_fixed,
)
from solvers.pairing import PairingProblem
from solvers.problem import integer_scores
from solvers.pruned import top_arcs

Ints = npt.NDArray[np.int64]
#: Arc or node numbers as int32 or int64, whichever holds them in less memory.
Index = npt.NDArray[np.signedinteger[Any]]
_G = TypeVar("_G", bound=np.generic)
Floats = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

#: Hard rules a coordinator may sensibly waive for one person; the others (the same
#: person, a manager line, an avoid list, a pair made in an earlier track) are never waived.
RELAXABLE = frozenset(
    {"no_shared_language", "format", "not_senior_enough", "too_senior", "same_department",
     "same_location", "min_score"}
)  # fmt: skip
#: Changes listed in the text answer of "why not X" (the JSON has them all).
CHANGES_SHOWN = 10
#: How each track names its sides: (partner, partners, askers, verb of an offerer).
NOUNS = {
    "mentoring": ("mentor", "mentors", "mentees", "mentoring"),
    "reverse": ("reverse mentor", "reverse mentors", "learners", "teaching"),
}
#: What waiving a rule for one person means, in words ("accept a mentor ...").
WAIVE_TEXT = {
    "no_shared_language": "without a shared language",
    "format": "despite the meeting format (meet virtually, or across locations)",
    "not_senior_enough": "closer in seniority than rules.min_seniority_gap allows",
    "too_senior": "further apart in seniority than rules.max_seniority_gap allows",
    "same_department": "from their own department",
    "same_location": "from their own location",
    "min_score": "scoring below rules.min_score",
}


# --- Pairs the rules forbid, scored as the solver would have scored them -----------------


@dataclass(frozen=True)
class NearMisses:
    """Pairs that exactly one waivable hard rule forbids, for the rows examined.

    ``score`` is what the solver would have seen (0-1) had the rule allowed the pair.
    Ends are int32 and rules int8 when built by ``near_misses``: millions of misses
    are kept through the diagnosis (5 M at 10,000 x 2,000).
    """

    left: Index
    right: Index
    rule: Index
    score: Floats

    @property
    def size(self) -> int:
        return int(self.left.shape[0])

    def select(self, keep: Bool | Ints) -> NearMisses:
        """The near misses at a boolean mask or at indices."""
        return NearMisses(self.left[keep], self.right[keep], self.rule[keep], self.score[keep])


#: Rows scored together when looking at the rows of a few people: a gap of up to this
#: many unwanted rows is scored and dropped rather than paying one call per run.
ROW_GAP = 16


def _runs(rows: Ints, most: int) -> Iterator[slice]:
    """Slices over sorted distinct row indices, joining runs whose gap is at most
    ``ROW_GAP`` rows, each slice at most ``most`` rows long."""
    if rows.shape[0] == 0:
        return
    breaks = np.flatnonzero(np.diff(rows) > ROW_GAP + 1) + 1
    for run in np.split(rows, breaks):
        first, last = int(run[0]), int(run[-1]) + 1
        for start in range(first, last, most):
            yield slice(start, min(start + most, last))


def rule_masks(scorer: Scorer, rows: slice) -> tuple[dict[str, Bool], npt.NDArray[np.float32]]:
    """The scorer's rule masks for a block of rows, with ``min_score`` computed exactly as
    ``Scorer.candidates`` does (float32 sum), and the component values."""
    if scorer.whole is not None:  # every row already scored in one block
        whole_masks, whole_values = scorer.whole
        return {k: v[rows] for k, v in whole_masks.items()}, whole_values[:, rows]
    masks = scorer.rules(rows)
    values = scorer.components(rows)
    _, masks["min_score"] = scorer.min_score_rule(values)
    return masks, values


def pair_score(scorer: Scorer, values: npt.NDArray[np.float32]) -> Floats:
    """Scores (0-1) of component rows (n x components), as ``Scorer.candidates`` stores."""
    return scorer.pair_scores(values.T)


def near_misses(scorer: Scorer, rows: Ints, stop: threading.Event | None = None) -> NearMisses:
    """Every pair of ``rows`` x all columns that exactly one waivable rule forbids.

    Vectorised per block of nearby rows; memory follows rows x columns of one block.
    ``stop`` (``solvers.parallel.stopping``) ends it between blocks.
    """
    wanted = np.zeros(scorer.left.size, dtype=bool)
    wanted[rows] = True
    most = max(1, BLOCK_PAIRS // max(scorer.right.size, 1))
    lefts: list[Index] = []
    rights: list[Index] = []
    rules: list[Index] = []
    scores: list[Floats] = []
    # Unless the minimum score forbids pairs, the rules alone find the near misses, and
    # each block's values go to one buffer.
    whole_blocks = scorer.whole is not None or scorer.minimum_forbids
    n_right = scorer.right.size
    buffer = np.empty((len(COMPONENTS), 0, n_right), dtype=np.float32)
    for block in _runs(np.flatnonzero(wanted), most):
        parallel.check(stop)
        if whole_blocks:
            masks, values = rule_masks(scorer, block)
        else:
            masks = scorer.rules(block)
            n_rows = block.stop - block.start
            if buffer.shape[1] < n_rows:
                buffer = np.empty((len(COMPONENTS), most, n_right), dtype=np.float32)
            values = scorer.components(block, out=buffer[:, :n_rows])
        count = np.zeros(masks["same_person"].shape, dtype=np.int8)
        for mask in masks.values():
            count += mask
        count[~wanted[block]] = 0  # rows scored only to fill a gap
        alone = count == 1
        cells: list[Ints] = []
        for r, name in enumerate(RULES):
            if name not in masks or name not in RELAXABLE:
                continue
            flat = np.flatnonzero(masks[name] & alone)
            ii, jj = np.divmod(flat, n_right)
            cells.append(flat)
            lefts.append((ii + (block.start or 0)).astype(np.int32))
            rights.append(jj.astype(np.int32))
            rules.append(np.full(ii.shape[0], r, dtype=np.int8))
        if not cells:
            continue
        # The score only: the components of millions of near misses are never read.
        scores.append(scorer.cell_scores(values, np.concatenate(cells)))
    if not lefts:
        empty = np.zeros(0, dtype=np.int64)
        return NearMisses(empty, empty, empty, np.zeros(0))
    del buffer, masks, values, count, alone  # the last block's scratch
    # One field at a time, each block's pieces let go once joined: the pieces and the
    # joined arrays (80 MB each at 10,000 x 2,000) are never all live at once.
    left, right, rule = (_joined(pieces) for pieces in (lefts, rights, rules))
    return NearMisses(left=left, right=right, rule=rule, score=_joined(scores))


def _joined(pieces: list[npt.NDArray[_G]]) -> npt.NDArray[_G]:
    """The pieces as one array; the list is emptied, so they go as soon as joined."""
    joined = np.concatenate(pieces)
    pieces.clear()
    return joined


def best_below_minimum(misses: NearMisses, n_rows: int) -> tuple[Ints, Floats, Ints]:
    """Per row: how many partners only the minimum score keeps out, the best score among
    them (0-1, -1 if none) and that partner (-1 if none)."""
    only = misses.select(misses.rule == RULES.index("min_score"))
    count = np.bincount(only.left, minlength=n_rows).astype(np.int64)
    best = np.full(n_rows, -1.0)
    np.maximum.at(best, only.left, only.score)
    who = np.full(n_rows, -1, dtype=np.int64)
    if only.size:
        # The best partner per row: the lowest column among those at the row's best score.
        at_best = only.score >= best[only.left]
        order = np.lexsort((only.right[at_best], only.left[at_best]))
        rows_sorted = only.left[at_best][order]
        first = np.concatenate([[True], rows_sorted[1:] != rows_sorted[:-1]])
        who[rows_sorted[first]] = only.right[at_best][order][first]
    return count, best, who


# --- Supply and demand per goal topic --------------------------------------------------


def topic_balance(
    track: str,
    askers: Sequence[Participant],
    offerers: Sequence[Participant],
    capacity: Ints,
    pair_left: Ints,
    pair_right: Ints,
) -> list[TopicBalance]:
    """Per goal topic: askers wanting it, offerers knowing it, their places, askers whose
    match covers it. People x goal topics as boolean arrays (goal topics are few).

    ``capacity`` is each offerer's places in this track; ``pair_left/right`` the pairs made.
    """
    names: dict[str, str] = {}
    for person in askers:
        for goal in person.goals:
            names.setdefault(key(goal), goal)
    if not names:
        return []
    code = {k: n for n, k in enumerate(names)}
    wants = np.zeros((len(askers), len(code)), dtype=bool)
    rows, cols = zip(*((i, code[key(g)]) for i, p in enumerate(askers) for g in p.goals),
                     strict=True)  # fmt: skip
    wants[list(rows), list(cols)] = True
    knows = np.zeros((len(offerers), len(code)), dtype=bool)
    known = [(j, code[k]) for j, p in enumerate(offerers) for e in p.expertise
             if (k := key(e.topic)) in code]  # fmt: skip
    if known:
        at, topic = zip(*known, strict=True)
        knows[list(at), list(topic)] = True
    demand = wants.sum(axis=0)
    offering = knows.sum(axis=0)
    places = capacity.astype(np.int64) @ knows
    taught = np.zeros_like(wants)  # asker x topic: some partner knows it
    np.logical_or.at(taught, pair_left, knows[pair_right])
    covered = (wants & taught).sum(axis=0)
    keys = list(names)
    order = sorted(range(len(code)), key=lambda t: (-demand[t], keys[t]))
    topics = list(names.values())
    return [
        TopicBalance(
            track=track,
            topic=topics[t],
            demand=int(demand[t]),
            offering=int(offering[t]),
            capacity=int(places[t]),
            covered=int(covered[t]),
            short=bool(places[t] < demand[t]),
        )
        for t in order
    ]


# --- Next-best partners ----------------------------------------------------------------


#: Arcs above which ``top_per_person`` narrows them by histogram before sorting.
SORT_ALL_BELOW = 200_000


def shortlist(person: Ints, score: Floats, room: Ints) -> Ints | None:
    """Arcs that hold each person's ``room[person]`` best (ties at the cut kept), found in
    linear time by histogram (``solvers.pruned.top_arcs``); None when there are too few
    arcs to be worth it. Computed once per side, it serves every ``top_per_person`` call
    whose quota plus skipped arcs fits in ``room``, so millions of arcs are read once."""
    if person.shape[0] <= SORT_ALL_BELOW:
        return None
    levels = integer_scores(score, np.int32)
    if levels.min() < 0 or levels.max() > SCORE_SCALE:
        return None
    return np.flatnonzero(top_arcs(person, levels, room))


def top_per_person(
    person: Ints,
    partner: Ints,
    score: Floats,
    partner_rank: Ints,
    n: int | Ints,
    skip: Bool | None = None,
    within: Ints | None = None,
) -> Ints:
    """Indices of each person's ``n`` best arcs (``n[person]`` when an array), arcs
    marked in ``skip`` left out: highest score as the solver sees it (``SCORE_SCALE``
    steps), then partner order, grouped by person. One int64 sort key, no lexsort.

    Only the arcs of a ``shortlist`` are sorted: ``within`` when given (it must hold each
    person's ``n`` plus skipped best), else one made here. No copy of every arc is made.
    """
    if person.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    n_people = int(person.max()) + 1
    quota = np.full(n_people, n, dtype=np.int64) if isinstance(n, int) else n
    arcs = within
    if arcs is None:
        # Enough per person to still hold their best once the skipped arcs are dropped.
        room = quota[:n_people]
        if skip is not None:
            room = room + np.bincount(person[skip], minlength=n_people)
        arcs = shortlist(person, score, room)
    if skip is not None:
        arcs = np.flatnonzero(~skip) if arcs is None else arcs[~skip[arcs]]
    if arcs is not None:
        person, partner, score = person[arcs], partner[arcs], score[arcs]
    levels = integer_scores(score)
    width = int(partner_rank.max(initial=0)) + 1
    steps = SCORE_SCALE - levels
    order = np.argsort((person * (SCORE_SCALE + 1) + steps) * width + partner_rank[partner])
    grouped = person[order]
    starts = np.concatenate([[True], grouped[1:] != grouped[:-1]])
    first = np.maximum.accumulate(np.where(starts, np.arange(grouped.shape[0]), 0))
    keep: Ints = order[np.arange(grouped.shape[0]) - first < quota[grouped]]
    return keep if arcs is None else arcs[keep]


_ALTERNATES = TypeAdapter(list[Alternate])


def alternates(
    track: str,
    people: Sequence[Participant],
    partners: Sequence[Participant],
    arc_person: Ints,
    arc_partner: Ints,
    score: Floats,
    chosen: Bool,
    n: int,
    within: Ints | None = None,
) -> list[Alternate]:
    """Each person's ``n`` best candidate partners they did not get, from the candidate
    graph the solver used (so never a pair the rules forbid), best first. ``within``: a
    ``shortlist`` holding each person's ``n`` plus chosen best arcs."""
    if n <= 0 or arc_person.shape[0] == 0:
        return []
    rank = np.argsort(np.argsort(np.array([p.id for p in partners]), kind="stable"))
    top = top_per_person(arc_person, arc_partner, score, rank, n, skip=chosen, within=within)
    who, whom = arc_person[top], arc_partner[top]
    starts = np.concatenate([[True], who[1:] != who[:-1]])
    first = np.maximum.accumulate(np.where(starts, np.arange(who.shape[0]), 0))
    ranks = np.arange(who.shape[0]) - first + 1
    shown = [round(100 * v, 2) for v in score[top].tolist()]  # as every score is shown
    ids = [p.id for p in people]
    partner_ids = [p.id for p in partners]
    partner_names = [p.name for p in partners]
    # One validation of the whole list (in pydantic's core) instead of a model call per
    # item: three per person add up in a 200-person request.
    return _ALTERNATES.validate_python([
        {"track": track, "id": ids[i], "rank": r, "partner_id": partner_ids[j],
         "partner_name": partner_names[j], "score": v}
        for i, j, r, v in zip(who.tolist(), whom.tolist(), ranks.tolist(), shown, strict=True)
    ])  # fmt: skip


# --- Fixes: small variations of the track, each solved exactly -------------------------


def rankings(
    problem: AssignmentProblem, scorer: Scorer, config: ProgramConfig
) -> tuple[Floats | None, Floats | None]:
    """How each side ranks the arcs, for ``stable`` and the blocking-pair count: None
    (the scores, both sides alike) unless the config says rankings are stated."""
    if config.mentoring.rankings == "scores":
        return None, None
    return scorer.stated_views(problem.arc_left, problem.arc_right, problem.arc_weight)


def solve_track(
    problem: AssignmentProblem,
    scorer: Scorer,
    config: ProgramConfig,
    time_limit: float | None,
    seed: int,
    pinned: Ints | None = None,
) -> Solution:
    """A bipartite track's problem solved for the configured objective (with stated
    rankings for ``stable`` when the config asks for them), the ``pinned`` arcs made
    first and the rest solved around them."""
    if pinned is not None and pinned.shape[0]:
        rest, kept = fix_arcs(problem, pinned)
        inner = solve_track(rest, scorer, config, time_limit, seed)
        return with_fixed(inner, kept, pinned, problem.arc_weight)
    settings = config.mentoring
    left_view, right_view = rankings(problem, scorer, config)
    return solve_assignment_goal(
        problem, settings.objective, settings.method, left_view=left_view,
        right_view=right_view, time_limit=time_limit, seed=seed,
    )  # fmt: skip


def solve_peers(
    problem: PairingProblem, config: ProgramConfig, time_limit: float | None, seed: int
) -> Solution:
    """The peer track's pool paired for the configured objective."""
    return solve_pairing_goal(
        problem, config.mentoring.objective, config.tracks.peer.pairing_method,
        time_limit=time_limit, seed=seed,
    )  # fmt: skip


@dataclass(frozen=True)
class SolvedTrack:
    """A bipartite track as it was solved: enough to re-solve variations of it."""

    track: str
    askers: list[Participant]
    offerers: list[Participant]
    scorer: Scorer
    graph: CandidateGraph
    problem: AssignmentProblem
    grouped: GroupedAssignmentProblem | None
    solution: Solution
    offered: Ints
    config: ProgramConfig
    time_limit: float | None = None
    seed: int = 0
    #: Arcs the coordinator pinned; variations keep the arcs' indices (they only append).
    pinned: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def solve(self, problem: AssignmentProblem) -> Solution:
        """Re-solve a variation of the track the way the track was solved, pins kept."""
        return solve_track(
            problem, self.scorer, self.config, self.time_limit, self.seed, self.pinned
        )

    def got_left(self, solution: Solution, problem: AssignmentProblem | None = None) -> Ints:
        arcs = (problem or self.problem).arc_left[solution.chosen_arcs]
        return np.bincount(arcs, minlength=self.problem.n_left).astype(np.int64)


@dataclass(frozen=True)
class SolvedPeers:
    """The peer track as solved: the pool, its candidate edges and the pairing."""

    pool: list[Participant]
    scorer: Scorer
    graph: CandidateGraph
    #: The graph arc behind each edge of ``problem`` (each unordered pair once).
    edge_arc: Ints
    problem: PairingProblem
    solution: Solution
    config: ProgramConfig
    time_limit: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class _Variation:
    """One change to try: re-solve ``problem``, or (single-unit changes when the base is a
    proven maximum flow) read the answer off the residual graph: ``start`` is the person
    an augmenting path places, -1 if none; ``added`` arcs are counted by ``_augmented``."""

    kind: str
    change: str
    #: Builds the variation's problem when it is re-solved: never all held at once (each
    #: is a copy of the track's arcs, 200 MB at 10,000 x 2,000).
    problem: Callable[[], AssignmentProblem] | None = None
    start: int = -1
    #: Builds the arcs to add, counted on the residual graph (``_augmented``) instead of
    #: re-solved: built when counted, since together they can be every near miss.
    added: Callable[[], NearMisses] | None = None


def _raised(problem: AssignmentProblem, j: int) -> AssignmentProblem:
    """The problem with one more place at offerer ``j``."""
    capacity = problem.right_capacity.copy()
    capacity[j] += 1
    return replace(problem, right_capacity=capacity)


def _of_rule(misses: NearMisses, rule: int, person: int = -1) -> NearMisses:
    """The near misses of one rule (and one person, unless -1), in their order."""
    keep = misses.rule == rule
    if person >= 0:
        keep &= misses.left == person
    return misses.select(keep)


def _with_rule_arcs(
    problem: AssignmentProblem, misses: NearMisses, rule: int, person: int = -1
) -> AssignmentProblem:
    return _with_arcs(problem, _of_rule(misses, rule, person))


def _with_arcs(problem: AssignmentProblem, misses: NearMisses) -> AssignmentProblem:
    return AssignmentProblem(
        left_demand=problem.left_demand, right_capacity=problem.right_capacity,
        arc_left=np.concatenate([problem.arc_left, misses.left]),
        arc_right=np.concatenate([problem.arc_right, misses.right]),
        arc_weight=np.concatenate([problem.arc_weight, misses.score]),
        objective=problem.objective,
    )  # fmt: skip


@dataclass(frozen=True)
class _Reach:
    """The base assignment's residual graph, read for single-unit changes.

    A maximum flow has no augmenting path; one more unit of capacity at offerer ``j``
    creates one exactly when ``j`` is reachable from the source (then ``start[j]`` is the
    asker a shortest such path places, and nobody loses a match), and a new arc from an
    asker with room to offerer ``j`` creates one exactly when ``j`` reaches the sink. So
    both counts equal an exact re-solve's, from two breadth-first searches in all.
    """

    start: Ints
    to_sink: Bool


#: Goals whose proven optimum is a maximum flow of the track.
_PLACES_FIRST = ("coverage", "fair")


def _reach(
    solved: SolvedTrack, by_side: _ArcsBySide | None = None, stop: threading.Event | None = None
) -> _Reach | None:
    """None when the base is not a proven maximum flow (then variations are re-solved).
    ``stop`` (``solvers.parallel.stopping``) ends it between its searches."""
    p, chosen = solved.problem, solved.solution.chosen_arcs
    # Readings equal re-solves only where the track's goal fills the most places first
    # (coverage, fair): total and people may leave a place empty, stable is no optimum.
    goal = solved.config.mentoring.objective
    if goal not in _PLACES_FIRST or solved.solution.status is not Status.OPTIMAL:
        return None
    if solved.pinned.shape[0]:
        return None  # a maximum flow given the pins, not of the whole graph
    by_side = by_side or _ArcsBySide(p)
    n_left, n_right = p.n_left, p.n_right
    source = n_left + n_right
    used = np.zeros(p.n_arcs, dtype=bool)
    used[chosen] = True
    room_left = np.bincount(p.arc_left[chosen], minlength=n_left) < p.left_demand
    room_right = np.bincount(p.arc_right[chosen], minlength=n_right) < p.right_capacity
    # Residual arcs: source -> asker with room, asker -> offerer unused, offerer -> asker used.
    parallel.check(stop)
    pred = _search(by_side, used, np.flatnonzero(room_left), forward=True)
    parallel.check(stop)
    offer_nodes = n_left + np.arange(n_right)
    reached = pred[offer_nodes] >= 0
    if (reached & room_right).any():
        return None  # an augmenting path exists: not a maximum flow
    # Walk each reached offerer's path back to the asker the source feeds.
    n = source + 1
    current = np.where(reached, offer_nodes, source)
    for _ in range(n):
        back = pred[current]
        done = (current == source) | (back == source)
        if done.all():
            break
        current = np.where(done, current, back)
    start = np.where(reached, current, -1).astype(np.int64)
    # Prefer the best direct placement: an asker with room on an unused arc to the
    # offerer, at the highest score step (as ``top_per_person`` ranks), then the lowest
    # asker. One int64 key per arc, maximised per offerer a chunk at a time: a quarter
    # of all arcs can qualify, and copies of them were the diagnosis's peak memory.
    lowest = np.iinfo(np.int64).min
    best_key = np.full(n_right, lowest, dtype=np.int64)
    width = n_left + 1
    for at in range(0, p.n_arcs, SEARCH_CHUNK):
        chunk = slice(at, at + SEARCH_CHUNK)
        asker = p.arc_left[chunk]
        ok = ~used[chunk] & room_left[asker]
        steps = integer_scores(p.arc_weight[chunk][ok])
        np.maximum.at(best_key, p.arc_right[chunk][ok], steps * width + (n_left - asker[ok]))
    direct = best_key > lowest
    start[direct] = n_left - best_key[direct] % width
    # Who reaches the sink: search the reversed residual graph from the sink's side.
    parallel.check(stop)
    back_pred = _search(by_side, used, n_left + np.flatnonzero(room_right), forward=False)
    return _Reach(start=start, to_sink=back_pred[offer_nodes] >= 0)


#: Arcs read at once by ``_search``: bounds its scratch memory (about 40 bytes an arc).
SEARCH_CHUNK = parallel.SCRATCH_ARCS


def _search(by_side: _ArcsBySide, used: Bool, first: Ints, *, forward: bool) -> Ints:
    """Breadth-first search of the base assignment's residual graph (``forward``) or of
    its reverse, from an extra node with arcs to the nodes ``first`` (ascending): the
    predecessor of every node reached, -9999 elsewhere and at the extra node.

    Nodes are numbered as for scipy's ``breadth_first_order``: askers ``0..n_left-1``,
    offerers next, the extra node last. Forward, an asker's arcs are its unused ones and
    an offerer's its used ones; reversed, the other way round. The search is level by
    level over whole frontiers, a bounded chunk of arcs at a time, and visits nodes in
    the order of a queue reading each node's arcs in arc order: a candidate graph's arcs
    come sorted, so that is scipy's order on the same graph as a sorted CSR matrix
    (tested). Unlike a CSR copy, it needs only the arcs grouped by side.
    """
    (n_left, n_right), ends = by_side.sizes, by_side.ends
    n = n_left + n_right + 1
    pred = np.full(n, -9999, dtype=np.int64)
    pred[first] = n - 1
    seen = np.zeros(n, dtype=bool)
    seen[n - 1] = True
    seen[first] = True
    frontier = first
    side = 0 if forward else 1  # the first level: askers forward, offerers reversed
    while frontier.shape[0]:
        order, ptr = by_side.of(side)
        offset = 0 if side == 0 else n_left  # node number of the side's node 0
        head_offset = n_left if side == 0 else 0
        # A side's arcs here are its unused ones (forward askers, reversed offerers).
        wanted_used = forward == (side == 1)
        rows = frontier - offset
        sizes = ptr[rows + 1] - ptr[rows]
        found: list[Ints] = []
        # Chunks of whole rows, in frontier order: a node first reached in one chunk is
        # seen by the next, as a queue would have it.
        bounds = np.searchsorted(np.cumsum(sizes), np.arange(1, 1 + int(sizes.sum()) //
                                 SEARCH_CHUNK) * SEARCH_CHUNK)  # fmt: skip
        for chunk in np.split(np.arange(rows.shape[0]), bounds):
            arcs = _in_order(order, _rows_of(ptr, rows[chunk]))
            arcs = arcs[used[arcs] == wanted_used]
            heads = ends[1 - side][arcs] + head_offset
            new = ~seen[heads]
            heads, arcs = heads[new], arcs[new]
            if heads.shape[0] == 0:
                continue
            # Each new node's first arc in reading order: the last write of a reversed
            # scatter. Nodes join the next frontier in that order.
            first_at = np.empty(n, dtype=np.int64)
            first_at[heads[::-1]] = np.arange(heads.shape[0] - 1, -1, -1)
            reached = _marked(heads, n)
            reached = reached[np.argsort(first_at[reached], kind="stable")]
            pred[reached] = ends[side][arcs[first_at[reached]]] + offset
            seen[reached] = True
            found.append(reached)
        frontier = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        side = 1 - side
    return pred


#: Most augmenting paths ``_augmented`` finds one breadth-first search at a time; beyond
#: that bound it runs one max flow over the whole residual graph instead.
PATHS_AT_MOST = 8


def _augmented(
    solved: SolvedTrack, added: NearMisses, grouped_arcs: _ArcsBySide | None = None
) -> tuple[int, list[int]]:
    """How many more places a maximum flow fills once ``added`` arcs are allowed, and
    the askers who gain one: the maximum flow of the base assignment's residual graph
    plus the new arcs. Exact, because the base is a maximum flow (``_reach`` said so);
    no min-cost re-solve of the whole track, and along augmenting paths nobody loses a
    match.

    When few places can move at all (the offerers' free places, the askers' missing
    partners and the new arcs bound the flow), a few searches from the side with fewer
    free places beat building a max-flow graph of every arc (about 1 s at 8 M arcs).
    ``grouped_arcs`` carries the track's arcs grouped by node from one call to the next.
    """
    p, chosen = solved.problem, solved.solution.chosen_arcs
    n_left, n_right = p.n_left, p.n_right
    room_left = p.left_demand - np.bincount(p.arc_left[chosen], minlength=n_left)
    room_right = p.right_capacity - np.bincount(p.arc_right[chosen], minlength=n_right)
    bound = min(int(room_left.sum()), int(room_right.sum()), added.size)
    if bound <= PATHS_AT_MOST:
        placed, gained, _ = _augmented_by_paths(
            p, chosen, added, room_left, room_right, grouped_arcs or _ArcsBySide(p)
        )
        return placed, gained
    return _augmented_by_max_flow(p, chosen, added, room_left, room_right)


def _augmented_by_max_flow(
    p: AssignmentProblem, chosen: Ints, added: NearMisses, room_left: Ints, room_right: Ints
) -> tuple[int, list[int]]:
    """``_augmented`` as one scipy max flow over the whole residual graph."""
    n_left, n_right = p.n_left, p.n_right
    source, sink = n_left + n_right, n_left + n_right + 1
    used = np.zeros(p.n_arcs, dtype=bool)
    used[chosen] = True
    askers = np.flatnonzero(room_left > 0)
    offerers = np.flatnonzero(room_right > 0)
    free = ~used
    n_free = int(free.sum())
    # Node numbers fit int32 (what the sparse graph stores anyway): half the memory of
    # the ten million arcs at 10,000 x 2,000, where this peaked the whole run.
    tails = np.concatenate([
        np.full(askers.shape[0], source), p.arc_left[free], n_left + p.arc_right[used],
        added.left, n_left + offerers,
    ], dtype=np.int32, casting="same_kind")  # fmt: skip
    heads = np.concatenate([
        askers, n_left + p.arc_right[free], p.arc_left[used], n_left + added.right,
        np.full(offerers.shape[0], sink),
    ], dtype=np.int32, casting="same_kind")  # fmt: skip
    capacity = np.concatenate([
        room_left[askers], np.ones(n_free + chosen.shape[0] + added.size, dtype=np.int32),
        room_right[offerers],
    ], dtype=np.int32, casting="same_kind")  # fmt: skip
    del free, used
    n = sink + 1
    graph = sp.csr_matrix((capacity, (tails, heads)), shape=(n, n))
    flow = maximum_flow(graph, source, sink)
    if flow.flow_value <= 0:
        return 0, []
    moved = flow.flow  # CSR: read the source's row straight off its arrays
    row = slice(int(moved.indptr[source]), int(moved.indptr[source + 1]))
    gained = np.sort(moved.indices[row][moved.data[row] > 0])
    return int(flow.flow_value), gained.tolist()


def _in_order(order: Index | None, positions: Ints) -> Ints:
    """The arcs at ``positions`` of a ``_group`` order (None: the identity)."""
    return positions if order is None else order[positions]


def _rows_of(indptr: Ints, rows: Ints) -> Ints:
    """Positions ``indptr[r]:indptr[r + 1]`` of every row in ``rows``, concatenated."""
    starts, lengths = indptr[rows], indptr[rows + 1] - indptr[rows]
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    out: Ints = offsets + np.arange(total)
    return out


def _marked(nodes: Ints, n: int) -> Ints:
    """The distinct ``nodes``, ascending, in O(len + n)."""
    mark = np.zeros(n, dtype=bool)
    mark[nodes] = True
    found: Ints = np.flatnonzero(mark)
    return found


class _ArcsBySide:
    """The track's arcs grouped by their left (side 0) or right (side 1) node, each
    grouping built on first use: ``order[ptr[v]:ptr[v + 1]]`` are node ``v``'s arcs."""

    def __init__(self, problem: AssignmentProblem) -> None:
        self.ends = (problem.arc_left, problem.arc_right)
        self.sizes = (problem.n_left, problem.n_right)
        self._grouped: dict[int, tuple[Index | None, Ints]] = {}
        self._degree: dict[int, Ints] = {}

    def degree(self, side: int) -> Ints:
        """Each node's number of arcs."""
        if side not in self._degree:
            self._degree[side] = np.bincount(self.ends[side], minlength=self.sizes[side])
        return self._degree[side]

    def of(self, side: int) -> tuple[Index | None, Ints]:
        """``_group`` of the side's ends (order None: already grouped), made once."""
        if side not in self._grouped:
            self._grouped[side] = _group(self.ends[side], self.sizes[side])
        return self._grouped[side]


#: Arcs ``_group`` sorts at once: a chunk's sort stays in cache...
GROUP_CHUNK = parallel.SCRATCH_ARCS
#: ...unless its count per chunk and node would exceed this many (8 bytes each).
GROUP_COUNTS = 1 << 24


def _group(ends: Index, n: int) -> tuple[Index | None, Ints]:
    """Arc indices sorted by node (stable), and each node's start in them; None instead
    of the identity when the arcs are grouped already (``_in_order`` reads either).

    A counting sort by chunks, on the run's threads: each chunk's arcs are sorted within
    the chunk (numpy's radix sort, node numbers below 2^16 as uint16) and written where
    the nodes' counts in the chunks before it put them. One sort of every arc was 8.7 s
    at 131 M arcs (its random writes miss the cache), and 0.2 s at 8 M.
    """
    small = np.int32 if ends.shape[0] < 2**31 else np.int64
    if ends.shape[0] < 2 or bool((ends[1:] >= ends[:-1]).all()):
        # Already grouped (a candidate graph's arcs come by mentee): the stable order
        # is the identity, not made (33 MB at 10,000 x 2,000), and no sort is needed.
        counts = np.bincount(ends, minlength=n)
        return None, np.concatenate([[0], np.cumsum(counts)])
    # Chunks large enough that the chunks x nodes counts stay within GROUP_COUNTS.
    parts = parallel.chunks(ends.shape[0], max(GROUP_CHUNK, ends.shape[0] * n // GROUP_COUNTS))
    per_part = np.stack(
        parallel.map_blocks(lambda part: np.bincount(ends[part], minlength=n), parts)
    )
    ptr = np.concatenate([[0], np.cumsum(per_part.sum(axis=0))])
    # Where part k's first arc of node v goes, less v's start within part k's sorted arcs.
    before = np.cumsum(per_part, axis=0) - per_part
    before += ptr[:-1]
    before -= np.cumsum(per_part, axis=1) - per_part
    del per_part
    order: Index = np.empty(ends.shape[0], dtype=small)

    def place(k: int) -> None:
        part = parts[k]
        keys = ends[part].astype(np.uint16) if n <= 1 << 16 else ends[part]
        within = np.argsort(keys, kind="stable")
        at = before[k][keys[within]]
        at += np.arange(within.shape[0])
        within += part.start
        order[at] = within

    parallel.map_blocks(place, range(len(parts)))
    return order, ptr


def _augmented_by_paths(
    p: AssignmentProblem,
    chosen: Ints,
    added: NearMisses,
    room_left: Ints,
    room_right: Ints,
    by_side: _ArcsBySide,
    start_side: int | None = None,
) -> tuple[int, list[int], Bool]:
    """``_augmented`` as Ford-Fulkerson: breadth-first searches of the residual graph
    plus the new arcs, level by level over whole frontiers, flipping each path found.
    Also returns the arcs used in the end: the track's arcs, then the new ones.

    All arcs carry one unit; a free arc is crossed from asker to offerer, a used one
    back. A path joins an asker with room to an offerer with room through alternately
    free and used arcs, so it can be searched from either end: from the side whose
    nodes with room have fewer arcs (offerers, when few places are left), unless
    ``start_side`` (0: askers, 1: offerers) says.
    """
    n_base = p.n_arcs
    # Arc k < n_base is the track's, k >= n_base the new arc k - n_base. The two sets are
    # read where they are: a joined copy of every arc's ends was this run's peak memory
    # (88 MB at 10,000 x 2,000), and the searches read only the arcs of their frontiers.
    base_ends, new_ends = (p.arc_left, p.arc_right), (added.left, added.right)

    def ends_of(side: int, arcs: Ints) -> Ints:
        out = np.empty(arcs.shape[0], dtype=np.int64)
        old = arcs < n_base
        out[old] = base_ends[side][arcs[old]]
        out[~old] = new_ends[side][arcs[~old] - n_base]
        return out

    def end_of(side: int, arc: int) -> int:
        return int(base_ends[side][arc] if arc < n_base else new_ends[side][arc - n_base])

    sizes = (p.n_left, p.n_right)
    rooms = (room_left.copy(), room_right.copy())
    used = np.zeros(n_base + added.size, dtype=bool)
    used[chosen] = True
    reach = [int(by_side.degree(side)[room > 0].sum()) for side, room in enumerate(rooms)]
    s = (0 if reach[0] <= reach[1] else 1) if start_side is None else start_side
    t = 1 - s
    order, ptr = by_side.of(s)
    new_order, new_ptr = _group(new_ends[s], sizes[s])
    gained: set[int] = set()
    placed = 0
    while True:
        # How each node was reached: the arc, or -1 for a start node with room.
        via = (np.full(sizes[0], -2, dtype=np.int64), np.full(sizes[1], -2, dtype=np.int64))
        frontier = np.flatnonzero(rooms[s] > 0)
        via[s][frontier] = -1
        used_arcs = np.flatnonzero(used)
        by_end, used_ptr = _group(ends_of(t, used_arcs), sizes[t])
        used_order = used_arcs if by_end is None else used_arcs[by_end]
        end = -1
        while frontier.shape[0] and end < 0:
            new_arcs = _in_order(new_order, _rows_of(new_ptr, frontier))
            arcs = np.concatenate([_in_order(order, _rows_of(ptr, frontier)), n_base + new_arcs])
            heads = ends_of(t, arcs)
            new = ~used[arcs] & (via[t][heads] == -2)
            arcs, heads = arcs[new], heads[new]
            # Any arc into a newly reached node will do as its way in: scatter, no sort.
            via[t][heads] = arcs
            reached = _marked(heads, sizes[t])
            with_room = reached[rooms[t][reached] > 0]
            if with_room.shape[0]:
                end = int(with_room[0])
                break
            back = used_order[_rows_of(used_ptr, reached)]
            tails = ends_of(s, back)
            new = via[s][tails] == -2
            back, tails = back[new], tails[new]
            via[s][tails] = back
            frontier = _marked(tails, sizes[s])
        if end < 0:
            return placed, sorted(gained), used
        # Flip the path, from the end node back to the start node.
        rooms[t][end] -= 1
        node = end
        while True:
            forward = int(via[t][node])
            used[forward] = True
            start = end_of(s, forward)
            backward = int(via[s][start])
            if backward < 0:
                rooms[s][start] -= 1
                break
            used[backward] = False
            node = end_of(t, backward)
        gained.add(start if s == 0 else end)
        placed += 1


def _variations(solved: SolvedTrack, misses: NearMisses, reach: _Reach | None) -> list[_Variation]:
    """Candidate changes, most promising first: each rule waived for every unmatched person
    it blocks (always re-solved), then +1 place for full offerers and one rule waived for
    one person, alternately (read off ``reach`` when given, else re-solved)."""
    problem, graph = solved.problem, solved.graph
    partner, partners, askers_noun, _ = NOUNS[solved.track]
    got_left = solved.got_left(solved.solution)
    got_right = np.bincount(
        problem.arc_right[solved.solution.chosen_arcs], minlength=problem.n_right
    )
    short = got_left < problem.left_demand
    limit = solved.config.diagnosis.max_variations
    # Near misses counted per (person, rule) group in dense arrays (people x rules is
    # small), with no sort or copy of the millions of near misses.
    n_rules = len(RULES)
    n_groups = problem.n_left * n_rules
    key: Index = misses.left.astype(np.int64 if n_groups >= 2**31 else np.int32)
    key *= n_rules
    key += misses.rule
    group_size = np.bincount(key, minlength=n_groups)
    rule_wide: list[_Variation] = []
    for r in np.flatnonzero(group_size.reshape(problem.n_left, n_rules).any(axis=0)).tolist():
        people = int(np.count_nonzero(group_size[r::n_rules]))
        if people < 2:
            continue  # the same as waiving it for that one person, below
        if len(rule_wide) >= limit:
            break
        change = (
            f"accept {partners} {WAIVE_TEXT[RULES[r]]} for the {people} "
            f"unmatched {askers_noun} this rule alone blocks"
        )
        rule_wide.append(
            _Variation("relax_rule", change, added=partial(_of_rule, misses, r))
            if reach is not None
            else _Variation("relax_rule", change,
                            problem=partial(_with_rule_arcs, problem, misses, r))
        )  # fmt: skip
    # +1 place for each full offerer eligible for someone short, most such people first.
    full = (got_right >= problem.right_capacity) & (solved.offered > 0)
    # Counted over the arcs of people short, not weighted by a float64 copy of the mask.
    touching = np.bincount(graph.right[short[graph.left]], minlength=problem.n_right)
    raise_at = np.flatnonzero(full & (touching > 0))
    raise_at = raise_at[np.lexsort((raise_at, -touching[raise_at]))]
    if reach is None:
        raise_at = raise_at[:limit]
    raises: list[_Variation] = []
    for j in raise_at.tolist():
        person, now = solved.offerers[j], int(problem.right_capacity[j])
        if solved.offered[j] > now:  # the commitments limit, not the capacity, binds
            change = (
                f"let {person.name} take one more relationship overall (commitments), "
                f"so {now + 1} {askers_noun} here instead of {now}"
            )
        else:
            change = f"raise {person.name}'s capacity from {now} to {now + 1}"
        if reach is not None:
            raises.append(_Variation("raise_capacity", change, start=int(reach.start[j])))
            continue
        raises.append(_Variation("raise_capacity", change, problem=partial(_raised, problem, j)))
    # One rule waived for one person: people with the most partners it opens first.
    room = problem.left_demand - got_left
    keys = np.flatnonzero(group_size)
    counts = group_size[keys]
    ranked = np.lexsort((keys, -counts))
    # Per (person, rule) group, in linear time: its best partner (highest score, then
    # the lowest index) and whether one of its partners reaches the sink in the residual
    # graph.
    best_of = np.zeros(keys.shape[0], dtype=np.int64)
    if keys.shape[0]:
        group_best = np.full(n_groups, -np.inf)
        np.maximum.at(group_best, key, misses.score)
        at_best = misses.score >= group_best[key]
        who = np.full(n_groups, problem.n_right, dtype=np.int64)
        np.minimum.at(who, key[at_best], misses.right[at_best])
        best_of = who[keys]
    opens_of = (
        np.bincount(key[reach.to_sink[misses.right]], minlength=n_groups)[keys] > 0
        if reach is not None and keys.shape[0]
        else np.zeros(keys.shape[0], dtype=bool)
    )
    del key
    waives: list[_Variation] = []
    # Python lists: this loop runs once per (person, rule) group, 15,000 at 10k x 2k.
    key_of, count_of, best_at = keys.tolist(), counts.tolist(), best_of.tolist()
    opens, room_of = opens_of.tolist(), room.tolist()
    asker_names = [p.name for p in solved.askers]
    offerer_names = [p.name for p in solved.offerers]
    for n in (ranked if reach is not None else ranked[:limit]).tolist():
        i, r = divmod(key_of[n], n_rules)
        change = (
            f"let {asker_names[i]} accept a {partner} {WAIVE_TEXT[RULES[r]]} "
            f"({count_of[n]} such {partners}, e.g. {offerer_names[best_at[n]]})"
        )
        if reach is not None and room_of[i] == 1:  # one unit: one augmenting path or none
            waives.append(_Variation("relax_rule", change, start=i if opens[n] else -1))
            continue
        if reach is not None:
            waives.append(_Variation("relax_rule", change, added=partial(_of_rule, misses, r, i)))
        else:
            waives.append(_Variation(
                "relax_rule", change, problem=partial(_with_rule_arcs, problem, misses, r, i)
            ))  # fmt: skip
    return [*rule_wide, *_interleave(raises, waives)]


def _interleave(*lists: list[_Variation]) -> Iterator[_Variation]:
    for group in zip(*lists, strict=False):
        yield from group
    shortest = min((len(x) for x in lists), default=0)
    for items in lists:
        yield from items[shortest:]


@dataclass(frozen=True)
class FixBasis:
    """What ``find_fixes`` reads off the base assignment alone, before the near misses:
    the arcs grouped by side, and the residual graph's reach."""

    by_side: _ArcsBySide
    reach: _Reach | None


def fix_basis(solved: SolvedTrack, stop: threading.Event | None = None) -> FixBasis | None:
    """``find_fixes``'s first half, which needs no near misses (so it can run beside
    them); None when the track looks for no fixes."""
    parallel.check(stop)
    if solved.config.diagnosis.max_variations == 0 or solved.grouped is not None:
        return None  # per-kind (grouped) demand: a single +1 has no one meaning
    if not (solved.got_left(solved.solution) < solved.problem.left_demand).any():
        return None
    by_side = _ArcsBySide(solved.problem)
    return FixBasis(by_side, _reach(solved, by_side, stop))


def find_fixes(
    solved: SolvedTrack,
    misses: NearMisses,
    basis: FixBasis | None,
    stop: threading.Event | None = None,
) -> list[Fix]:
    """Small changes that would fill more requested places, most places first.

    Each is exact: single-unit changes (+1 capacity, one rule waived for one person) are
    read off the base assignment's residual graph when it is a proven maximum flow (the
    count equals a re-solve's; the person named is the one a shortest augmenting path
    places), several-unit ones are one max flow on that residual graph, and the rest
    (when the base is not a proven maximum flow) are re-solved. At most
    ``diagnosis.max_variations`` max flows or re-solves of this track, and as many fixes
    listed. ``basis``: ``fix_basis(solved)``, made beside the near misses. ``stop``
    (``solvers.parallel.stopping``) ends it between variations.
    """
    parallel.check(stop)
    if basis is None:
        return []
    limit = solved.config.diagnosis.max_variations
    base = solved.got_left(solved.solution)
    fixes: list[tuple[int, int, Fix]] = []
    resolved = 0
    by_side, reach = basis.by_side, basis.reach
    for order, variation in enumerate(_variations(solved, misses, reach)):
        parallel.check(stop)
        if variation.added is not None and reach is not None:
            if resolved >= limit:
                continue
            added = variation.added()
            # Every augmenting path ends in the base residual graph after its last new
            # arc: with no new arc into an offerer that reaches the sink, nothing moves.
            if not reach.to_sink[added.right].any():
                continue
            resolved += 1
            placed, gained_at = _augmented(solved, added, by_side)
            if placed > 0:
                fixes.append((-placed, order, Fix(
                    track=solved.track, kind=variation.kind, change=variation.change,
                    placed=placed, newly_matched=[solved.askers[i].id for i in gained_at],
                )))  # fmt: skip
            continue
        if variation.problem is None:
            if variation.start >= 0:
                fixes.append((-1, order, Fix(
                    track=solved.track, kind=variation.kind, change=variation.change, placed=1,
                    newly_matched=[solved.askers[variation.start].id],
                )))  # fmt: skip
            continue
        if resolved >= limit:
            continue
        resolved += 1
        changed = variation.problem()
        solution = solved.solve(changed)
        placed = solution.assigned - solved.solution.assigned
        if placed <= 0:
            continue
        got = solved.got_left(solution, changed)
        gained = [solved.askers[i].id for i in np.flatnonzero(got > base).tolist()]
        lost = [solved.askers[i].name for i in np.flatnonzero(got < base).tolist()]
        change = variation.change
        if lost:
            change += f" ({name_list(lost)} would then lose a match)"
        fixes.append((-placed, order, Fix(
            track=solved.track, kind=variation.kind, change=change, placed=placed,
            newly_matched=gained,
        )))  # fmt: skip
    return [fix for _, _, fix in sorted(fixes, key=lambda t: (t[0], t[1]))][:limit]


# --- Why not X instead: the counterfactual of one pinned pair --------------------------


class RunRecordError(Exception):
    """The results folder cannot be re-solved as it was (missing or changed input)."""


class PersonError(Exception):
    """A person named on the command line is not in the survey, or not in this track."""


class PairView(BaseModel):
    """One pair seen from the asking person: partner, score and points per component."""

    id: str
    name: str
    score: float
    components: dict[str, float]


class Change(BaseModel):
    """How one person's matches in the track would change if the pair were forced."""

    id: str
    name: str
    points_before: float = Field(description="Sum of their pair scores now (0-100 each).")
    points_after: float
    effect: str


class WhyNot(BaseModel):
    """The answer to "why is A not matched with B?", computed from the re-solved run."""

    track: str
    person: str
    person_name: str
    instead: str
    instead_name: str
    matched_together: bool
    allowed: bool
    forbidden_by: list[str] = Field(description="Names of the hard rules that forbid it.")
    forbidden_detail: list[str]
    instead_pair: PairView
    current: list[PairView]
    pinnable: bool
    not_pinnable_reason: str = ""
    total_change: float | None = Field(
        None, description="Track total score change (points) when the pair is forced."
    )
    filled_change: int | None = Field(None, description="Change in places filled.")
    losers: list[Change] = []
    winners: list[Change] = []
    notes: list[str] = []

    def text(self) -> str:
        """The answer in plain words, as the CLI prints it."""
        lines = [f"Why not {self.person_name} with {self.instead_name}? ({self.track} track)"]
        if self.matched_together:
            lines.append(f"  They are matched together (score {self.instead_pair.score:.2f}).")
            return "\n".join(lines) + "\n"
        if self.allowed:
            lines.append(f"  The pair is allowed; it would score {self.instead_pair.score:.2f}.")
        else:
            lines.append("  The pair is not allowed by the hard rules:")
            lines += [f"    - {d}" for d in self.forbidden_detail]
            lines.append(
                f"  Had the rules allowed it, it would score {self.instead_pair.score:.2f}."
            )
        if self.current:
            columns = [*self.current, self.instead_pair]
            lines.append(
                f"  Points per component: {self.person_name}'s match(es) now, "
                "then the pair asked about:"
            )
            lines.append("    " + "".ljust(14) + "".join(f"{c.name[:20]:>22}" for c in columns))
            for comp in COMPONENTS:
                lines.append(
                    "    "
                    + comp.ljust(14)
                    + "".join(f"{c.components[comp]:>22.2f}" for c in columns)
                )
            lines.append("    " + "score".ljust(14) + "".join(f"{c.score:>22.2f}" for c in columns))
        else:
            lines.append(
                f"  {self.person_name} has no match in this track. "
                "Points per component of the pair asked about:"
            )
            for comp in COMPONENTS:
                lines.append(f"    {comp.ljust(14)}{self.instead_pair.components[comp]:>8.2f}")
        if not self.pinnable:
            lines.append(f"  Forcing the pair: {self.not_pinnable_reason}.")
        elif self.total_change is not None:
            units = self.filled_change or 0
            filled = (
                f", {abs(units)} {'more' if units > 0 else 'fewer'} place(s) filled"
                if units
                else ", the same number of places filled"
            )
            lines.append(
                "  Forcing the pair changes the track's total score by "
                f"{self.total_change:+.2f} points{filled}."
            )
            for sign, changes in (("-", self.losers), ("+", self.winners)):
                lines += [f"    {sign} {c.name}: {c.effect}" for c in changes[:CHANGES_SHOWN]]
                if len(changes) > CHANGES_SHOWN:
                    lines.append(f"    {sign} and {len(changes) - CHANGES_SHOWN} more (see --json)")
            if not self.losers and not self.winners:
                lines.append("    Nobody else's match changes.")
        lines += [f"  Note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def find_person(people: Sequence[Participant], query: str) -> Participant:
    """A person by id, else by name (both case-insensitive); unknown or ambiguous: error."""
    wanted = key(query)
    for person in people:
        if key(person.id) == wanted:
            return person
    named = [p for p in people if key(p.name) == wanted]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(p.id for p in named)
        raise PersonError(f"{query!r} names {len(named)} people ({ids}): give the id instead")
    raise PersonError(f"nobody in the survey has the id or name {query!r}")


def _rule_detail(
    rule: str, asker: Participant, offerer: Participant, config: ProgramConfig, score: float
) -> str:
    """One forbidding rule, with the two people's own answers that trigger it."""
    rules = config.rules
    gap = (
        None
        if asker.seniority is None or offerer.seniority is None
        else offerer.seniority - asker.seniority
    )

    def level(p: Participant) -> str:
        return p.seniority_label or str(p.seniority)

    if rule in ("not_senior_enough", "too_senior") and gap is not None:
        bound = (
            f"at least {rules.min_seniority_gap} (rules.min_seniority_gap)"
            if rule == "not_senior_enough"
            else f"at most {rules.max_seniority_gap} (rules.max_seniority_gap)"
        )
        where = (
            "at the same level as"
            if gap == 0
            else f"{abs(gap)} level(s) {'above' if gap > 0 else 'below'}"
        )
        return (
            f"{RULE_TEXT[rule]}: {offerer.name} ({level(offerer)}) is {where} "
            f"{asker.name} ({level(asker)}); this track needs a gap of {bound}"
        )
    if rule == "no_shared_language":
        return (
            f"{RULE_TEXT[rule]}: {asker.name} listed {', '.join(asker.languages)}; "
            f"{offerer.name} listed {', '.join(offerer.languages)}"
        )
    if rule == "format":
        where = f" ({asker.location or 'no location'} and {offerer.location or 'no location'})"
        return (
            f"{RULE_TEXT[rule]}: {asker.name} wants {asker.format.value}, "
            f"{offerer.name} wants {offerer.format.value}{where}"
        )
    if rule == "same_department":
        return f"{RULE_TEXT[rule]} ({asker.department}) and rules.different_department is set"
    if rule == "same_location":
        return f"{RULE_TEXT[rule]} ({asker.location}) and rules.different_location is set"
    if rule == "min_score":
        return f"{RULE_TEXT[rule]}: {score:.2f} < rules.min_score {rules.min_score:g}"
    if rule == "avoid":
        return "one of them asked not to be paired with the other (avoid list)"
    return RULE_TEXT[rule]


def _view(person: Participant, values: npt.NDArray[np.float32], scorer: Scorer) -> PairView:
    parts = points(values, scorer.weights)
    return PairView(
        id=person.id, name=person.name,
        score=round(100 * float(pair_score(scorer, values[None, :])[0]), 2),
        components={c: round(v, 2) for c, v in parts.items()},
    )  # fmt: skip


def _pinned(solved: SolvedTrack, arc: int) -> Ints:
    """The track's chosen arcs with arc ``arc`` forced on top of the coordinator's pins:
    their ends lose one unit each and they leave the graph; the optimum of the rest plus
    the forced arcs is the pinned optimum."""
    fixed = np.unique(np.concatenate([solved.pinned, [arc]])).astype(np.int64)
    if solved.grouped is not None:
        rest_g, kept = fix_grouped_arcs(solved.grouped, fixed)
        solution = solve_grouped_assignment(rest_g)
    else:
        rest, kept = fix_arcs(solved.problem, fixed)
        if solved.config.mentoring.objective in ("fair", "stable"):
            # Their own algorithms, not a flow's optimum.
            solution = solve_track(
                rest, solved.scorer, solved.config, solved.time_limit, solved.seed
            )
        else:
            base = np.zeros(solved.problem.n_arcs, dtype=bool)
            base[solved.solution.chosen_arcs] = True
            solution = solve_keeping(rest, base[kept])
    return np.sort(np.concatenate([kept[solution.chosen_arcs], fixed])).astype(np.int64)


def solve_keeping(problem: AssignmentProblem, prefer: Bool) -> Solution:
    """An exact optimum of ``problem`` (same objective, same integer weights) that keeps
    as many ``prefer`` arcs as any optimum can, so a counterfactual moves only the people
    it must, not those merely tied between equally good partners.

    Each integer weight is multiplied by more than the number of arcs and a preferred arc
    gets +1: the tie-break can never outweigh one step of a real weight. Min-cost flow on
    every arc (no pruning: its certificate is for the unscaled weights).
    """
    started = time.perf_counter()
    n_left, n_right = problem.n_left, problem.n_right
    source, sink = n_left + n_right, n_left + n_right + 1
    weights = problem.integer_weights() * (problem.n_arcs + 1) + prefer.astype(np.int64)
    left_nodes = np.arange(n_left, dtype=np.int64)
    right_nodes = n_left + np.arange(n_right, dtype=np.int64)
    return solve_network(
        method="min_cost_flow", source=source, sink=sink, weights=weights,
        tails=np.concatenate([problem.arc_left, np.full(n_left, source), right_nodes]),
        heads=np.concatenate([n_left + problem.arc_right, left_nodes, np.full(n_right, sink)]),
        capacities=np.concatenate([problem.left_demand, problem.right_capacity]),
        arc_weight=problem.arc_weight, total_demand=int(problem.left_demand.sum()),
        objective=problem.objective, started=started,
    )  # fmt: skip


def _changes(
    solved: SolvedTrack, before: Ints, after: Ints, skip: set[str]
) -> tuple[list[Change], list[Change]]:
    """Askers whose matches differ between two sets of chosen arcs (and offerers left with
    nobody): those worse off, and those better off."""
    graph, n_right = solved.graph, solved.graph.n_right
    key_before = graph.left[before] * n_right + graph.right[before]
    key_after = graph.left[after] * n_right + graph.right[after]
    moved = np.setxor1d(key_before, key_after)
    losers: list[Change] = []
    winners: list[Change] = []

    def describe(arcs: Ints, other: Ints, people: Sequence[Participant]) -> str:
        return (
            ", ".join(
                f"{people[int(o)].name} ({100 * float(graph.score[a]):.1f})"
                for a, o in zip(arcs.tolist(), other[arcs].tolist(), strict=True)
            )
            or "nobody"
        )

    for i in np.unique(moved // n_right).tolist():
        person = solved.askers[i]
        if person.id in skip:
            continue
        old, new = before[graph.left[before] == i], after[graph.left[after] == i]
        p_old, p_new = 100 * float(graph.score[old].sum()), 100 * float(graph.score[new].sum())
        was = describe(old, graph.right, solved.offerers)
        now = describe(new, graph.right, solved.offerers)
        change = Change(
            id=person.id, name=person.name, points_before=round(p_old, 2),
            points_after=round(p_new, 2), effect=f"{was} -> {now}",
        )  # fmt: skip
        if new.shape[0] < old.shape[0] or (new.shape[0] == old.shape[0] and p_new < p_old):
            losers.append(change)
        elif new.shape[0] > old.shape[0] or p_new > p_old:
            winners.append(change)
    for j in np.unique(moved % n_right).tolist():
        person = solved.offerers[j]
        had = int((graph.right[before] == j).sum())
        if person.id not in skip and had and not (graph.right[after] == j).any():
            old = before[graph.right[before] == j]
            losers.append(Change(
                id=person.id, name=person.name,
                points_before=round(100 * float(graph.score[old].sum()), 2), points_after=0.0,
                effect=f"{describe(old, graph.left, solved.askers)} -> nobody",
            ))  # fmt: skip
    losers.sort(key=lambda c: (c.points_after - c.points_before, c.id))
    winners.sort(key=lambda c: (c.points_before - c.points_after, c.id))
    return losers, winners


def why_not(
    solved_tracks: Mapping[str, SolvedTrack | SolvedPeers],
    people: Sequence[Participant],
    person: str,
    instead: str,
    track: str | None = None,
) -> WhyNot:
    """Why ``person`` is not matched with ``instead``: the rules, the points, the cost.

    ``solved_tracks`` comes from ``matcher.pipeline.run(..., keep_tracks=True)``. The
    track is the first (in solving order) where the two are on opposite sides, unless
    given. Forcing the pair re-solves that track exactly: the two lose one unit each and
    the optimum of the rest plus the pair is the best the cohort can do with the pair.
    """
    a, b = find_person(people, person), find_person(people, instead)
    if a.id == b.id:
        raise PersonError(f"{a.name} and {b.name} are the same person")
    sides: list[tuple[SolvedTrack, int, int]] = []
    for name, solved in solved_tracks.items():
        if isinstance(solved, SolvedPeers):
            continue
        asking = {p.id: n for n, p in enumerate(solved.askers)}
        offering = {p.id: n for n, p in enumerate(solved.offerers)}
        if track is not None and name != track:
            continue
        if a.id in asking and b.id in offering:
            sides.append((solved, asking[a.id], offering[b.id]))
        elif a.id in offering and b.id in asking:
            sides.append((solved, asking[b.id], offering[a.id]))
    peers = solved_tracks.get("peer")
    pool = {p.id for p in peers.pool} if isinstance(peers, SolvedPeers) else set()
    both_peers = a.id in pool and b.id in pool
    if not sides and isinstance(peers, SolvedPeers) and track in (None, "peer") and both_peers:
        return _why_not_peers(peers, a, b)
    if not sides:
        where = f"the {track} track" if track else "any track of pairs"
        raise PersonError(
            f"{a.name} and {b.name} are not on opposite sides of {where} "
            f"({a.name}: {', '.join(r.value for r in a.roles)}; "
            f"{b.name}: {', '.join(r.value for r in b.roles)})"
        )
    solved, i, j = sides[0]
    asker, offerer = solved.askers[i], solved.offerers[j]
    graph, base = solved.graph, solved.solution.chosen_arcs
    masks, values = rule_masks(solved.scorer, slice(i, i + 1))
    instead_view = _view(b, values[:, 0, j], solved.scorer)
    forbidden = [r for r in RULES if r in masks and bool(masks[r][0, j])]
    arcs = np.flatnonzero((graph.left == i) & (graph.right == j))
    details = [
        _rule_detail(r, asker, offerer, solved.config, instead_view.score) for r in forbidden
    ]
    if not forbidden and arcs.shape[0] == 0:  # per-kind demand removed the arc
        forbidden, details = ["kind"], ["the kinds asked for and offered do not fit ([categories])"]
    a_side = graph.left if asker.id == a.id else graph.right
    a_index = i if asker.id == a.id else j
    others = solved.offerers if asker.id == a.id else solved.askers
    other_end = graph.right if asker.id == a.id else graph.left
    mine = base[a_side[base] == a_index]
    current = [_view(others[int(other_end[k])], v, solved.scorer)
               for k, v in zip(mine, graph.components_of(np.asarray(mine, dtype=np.int64)),
                               strict=True)]  # fmt: skip
    together = arcs.shape[0] > 0 and bool(np.isin(arcs, base).any())
    answer = WhyNot(
        track=solved.track, person=a.id, person_name=a.name, instead=b.id, instead_name=b.name,
        matched_together=together, allowed=not forbidden, forbidden_by=forbidden,
        forbidden_detail=details, instead_pair=instead_view,
        current=[c for c in current if c.id != b.id], pinnable=False,
    )  # fmt: skip
    notes: list[str] = []
    if solved.solution.status.value != "optimal":
        notes.append(
            f"the track's solver ({solved.solution.method}) did not prove optimality, so the "
            "cost is measured against a possibly suboptimal assignment"
        )
    demand = (solved.grouped or solved.problem).left_demand
    capacity = (solved.grouped or solved.problem).right_capacity
    partner, _, askers_noun, _ = NOUNS[solved.track]
    if together:
        return answer
    if forbidden:
        answer.not_pinnable_reason = "not possible, the hard rules forbid the pair"
    elif demand[i] == 0:
        answer.not_pinnable_reason = (
            f"{asker.name} has no {partner} place left in this track (demand 0, or the "
            "commitments limit used up in an earlier track)"
        )
    elif capacity[j] == 0:
        answer.not_pinnable_reason = (
            f"{offerer.name} takes no {askers_noun} in this track (capacity 0, or the "
            "commitments limit used up in an earlier track)"
        )
    else:
        arc = int(arcs[0])
        after = _pinned(solved, arc)
        new_total = float(graph.score[after].sum())
        answer.pinnable = True
        answer.total_change = round(100 * (new_total - float(graph.score[base].sum())), 2)
        answer.filled_change = int(after.shape[0] - base.shape[0])
        answer.losers, answer.winners = _changes(solved, base, after, {a.id, b.id})
        notes.append(
            "only this track is re-solved; later tracks, which use the commitments left by "
            "it, are kept as they are"
        )
    answer.notes = notes
    return answer


def _why_not_peers(solved: SolvedPeers, a: Participant, b: Participant) -> WhyNot:
    """``why_not`` in the peer track: the pin removes A and B from the pool (every edge
    touching either), pairs the rest exactly, and adds A-B."""
    index = {p.id: n for n, p in enumerate(solved.pool)}
    i, j = index[a.id], index[b.id]
    p, graph, chosen = solved.problem, solved.graph, solved.solution.chosen_arcs
    masks, values = rule_masks(solved.scorer, slice(i, i + 1))
    instead_view = _view(b, values[:, 0, j], solved.scorer)
    forbidden = [r for r in RULES if r in masks and bool(masks[r][0, j])]
    details = [_rule_detail(r, a, b, solved.config, instead_view.score) for r in forbidden]

    def partner_of(edges: Ints) -> dict[int, tuple[int, float]]:
        out: dict[int, tuple[int, float]] = {}
        for e in edges.tolist():
            u, v, w = int(p.arc_u[e]), int(p.arc_v[e]), float(p.arc_weight[e])
            out[u], out[v] = (v, w), (u, w)
        return out

    before = partner_of(chosen)
    current = []
    if i in before:
        e = chosen[(p.arc_u[chosen] == i) | (p.arc_v[chosen] == i)][0]
        values = graph.components_of(solved.edge_arc[[e]])[0]
        current = [_view(solved.pool[before[i][0]], values, solved.scorer)]
    answer = WhyNot(
        track="peer", person=a.id, person_name=a.name, instead=b.id, instead_name=b.name,
        matched_together=before.get(i, (-1, 0.0))[0] == j, allowed=not forbidden,
        forbidden_by=forbidden, forbidden_detail=details, instead_pair=instead_view,
        current=[c for c in current if c.id != b.id], pinnable=False,
    )  # fmt: skip
    if answer.matched_together:
        return answer
    if forbidden:
        answer.not_pinnable_reason = "not possible, the hard rules forbid the pair"
        return answer
    keep = (p.arc_u != i) & (p.arc_v != i) & (p.arc_u != j) & (p.arc_v != j)
    rest = PairingProblem(
        n=p.n, arc_u=p.arc_u[keep], arc_v=p.arc_v[keep], arc_weight=p.arc_weight[keep],
        objective=p.objective,
    )  # fmt: skip
    solution = solve_peers(rest, solved.config, solved.time_limit, solved.seed)
    after = partner_of(np.flatnonzero(keep)[solution.chosen_arcs])
    pin = instead_view.score / 100
    after[i], after[j] = (j, pin), (i, pin)
    total_before = sum(w for _, w in before.values()) / 2
    total_after = sum(w for _, w in after.values()) / 2
    answer.pinnable = True
    answer.total_change = round(100 * (total_after - total_before), 2)
    answer.filled_change = len(after) - len(before)
    for k in sorted(set(before) | set(after)):
        if k in (i, j) or before.get(k) == after.get(k):
            continue
        old, new = before.get(k), after.get(k)
        was = f"{solved.pool[old[0]].name} ({100 * old[1]:.1f})" if old else "nobody"
        now = f"{solved.pool[new[0]].name} ({100 * new[1]:.1f})" if new else "nobody"
        change = Change(
            id=solved.pool[k].id, name=solved.pool[k].name,
            points_before=round(100 * old[1], 2) if old else 0.0,
            points_after=round(100 * new[1], 2) if new else 0.0, effect=f"{was} -> {now}",
        )  # fmt: skip
        if change.points_after < change.points_before:
            answer.losers.append(change)
        elif change.points_after > change.points_before:
            answer.winners.append(change)
    answer.losers.sort(key=lambda c: (c.points_after - c.points_before, c.id))
    answer.winners.sort(key=lambda c: (c.points_before - c.points_after, c.id))
    answer.notes = [
        "the peer track is re-solved on its candidate graph (each person's "
        "tracks.peer.candidates_per_person best peers) plus the pair asked about"
    ]
    return answer


@dataclass(frozen=True)
class RunRecord:
    """What a results folder was made with (its run.json), every file checked."""

    surveys: list[Path]
    config: ProgramConfig
    seed: int
    time_limit: float | None
    #: The pins, forbids and history files given to the run, by kind.
    control: dict[str, list[Path]]


def load_run_record(results: Path) -> RunRecord:
    """The inputs a results folder was made with; refuses a folder without run.json and
    any input file (survey, pins, forbids, history) that is missing or changed since."""
    record_path = results / "run.json"
    if not record_path.is_file():
        raise RunRecordError(
            f"{results}: no run.json; run `cohort-match run ... --out {results}` first"
        )
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        config = ProgramConfig.model_validate(record["config"])
        surveys = [(Path(s["path"]), str(s["sha256"])) for s in record["surveys"]]
        control = {
            kind: [(Path(f["path"]), str(f["sha256"])) for f in entries]
            for kind, entries in record.get("control", {}).items()
        }
        seed = int(record.get("seed", 0))
        limit = record.get("time_limit")
        if "rematch" in record:
            raise RunRecordError(
                f"{results} was written by `rematch`: explain and rematch read a folder "
                "written by `run`"
            )
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
        raise RunRecordError(f"{record_path}: unreadable run record: {exc}") from None
    for kind, entries in (("survey", surveys), *control.items()):
        for path, digest in entries:
            if not path.is_file():
                raise RunRecordError(f"{path}: {kind} file of this run is missing")
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                raise RunRecordError(
                    f"{path}: {kind} file changed since the run (sha256 differs); "
                    "run `cohort-match run` again"
                )
    return RunRecord(
        surveys=[p for p, _ in surveys], config=config, seed=seed,
        time_limit=None if limit is None else float(limit),
        control={kind: [p for p, _ in entries] for kind, entries in control.items()},
    )  # fmt: skip


def explain_instead(
    results: Path, person: str, instead: str, *, track: str | None = None
) -> WhyNot:
    """Re-solve a results folder's run (run.json) and answer "why not ``instead``?"."""
    # pipeline -> tracks -> diagnose: imported here so that the tracks can use this module.
    from matcher.pipeline import run

    record = load_run_record(results)
    config = record.config
    # The pairs come out the same without the diagnosis and without the tracks after the
    # last track of pairs (circles last, by default): skip both.
    order = config.tracks.order
    last = max((n for n, t in enumerate(order) if t != "circles"), default=-1)
    config = config.model_copy(update={
        "tracks": config.tracks.model_copy(update={"order": order[: last + 1]}),
        "diagnosis": config.diagnosis.model_copy(update={"alternates": 0, "max_variations": 0}),
    })  # fmt: skip
    output = run(
        record.surveys, config, time_limit=record.time_limit, seed=record.seed,
        keep_tracks=True, pins=record.control.get("pins", []),
        forbids=record.control.get("forbids", []), history=record.control.get("history", []),
    )  # fmt: skip
    return why_not(output.solved, output.participants, person, instead, track)
