"""Hard rules and named score components over whole blocks of pairs.

Pairs are scored a block of mentees at a time (dense block x mentors arrays), and only the
pairs that pass every hard rule are kept, so memory follows the candidate graph, not
mentees x mentors. Each component is a value in [0, 1]; the pair score is their weighted
sum with weights normalised to 1. Only the score is kept per pair: explanations compute
the components of the pairs they show with the same tables (``Scorer.pair_components``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from matcher.config import ProgramConfig
from matcher.intake.normalize import key
from matcher.memory import PAIR_BYTES_AT_LEAST, available_bytes, check_pairs_fit
from matcher.models import MeetingFormat, Participant
from solvers import parallel

COMPONENTS = ("goals", "seniority", "new_ties", "time_overlap", "preference")
RULES = (
    "same_person", "no_shared_language", "manager", "avoid", "format",
    "not_senior_enough", "too_senior", "same_department", "same_location", "already_paired",
    "forbidden", "paired_before", "min_score",
)  # fmt: skip
#: Components without data take this value, so they neither help nor hurt a pair.
NEUTRAL = 0.5
#: Pairs scored per block (block rows x all mentors), bounding scratch memory.
BLOCK_PAIRS = 2_000_000
#: Problems with at most this many pairs keep every row's masks and components from
#: ``candidates`` (about 8 MB) so the diagnosis does not score its rows again.
KEEP_WHOLE_BELOW = 250_000
#: Rows scored to estimate a large track's candidate pairs before any whole pass...
SAMPLE_ROWS = 2048
#: ...in this many runs of rows spread over the survey (surveys are often ordered by
#: team, place or sign-up date, which the rules follow).
SAMPLE_RUNS = 32
#: Cells ``cell_scores`` sums at once (float64 scratch of 2 MiB, below the mmap threshold).
_CELL_CHUNK = parallel.SCRATCH_ARCS

Bool = npt.NDArray[np.bool_]
_T = TypeVar("_T", bound=np.generic)
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

_FORMAT_CODE = {MeetingFormat.VIRTUAL: 0, MeetingFormat.IN_PERSON: 1, MeetingFormat.EITHER: 2}


@dataclass(frozen=True)
class Vocabulary:
    """Codes shared by both sides: topics, languages, departments, locations, people."""

    topics: dict[str, int]
    languages: dict[str, int]
    departments: dict[str, int]
    locations: dict[str, int]
    people: dict[str, int]

    @classmethod
    def of(cls, people: Sequence[Participant]) -> Vocabulary:
        def codes(values: Sequence[str]) -> dict[str, int]:
            out: dict[str, int] = {}
            for value in values:
                out.setdefault(key(value), len(out))
            return out

        return cls(
            topics=codes([t for p in people for t in (*p.goals, *(e.topic for e in p.expertise))]),
            languages=codes([lang for p in people for lang in p.languages]),
            departments=codes([p.department for p in people if p.department]),
            locations=codes([p.location for p in people if p.location]),
            people=codes([p.id for p in people]),
        )


@dataclass(frozen=True)
class Side:
    """One side of the bipartite problem as arrays (the openreview-matcher 'encoder')."""

    person: Ints
    seniority: Floats
    department: Ints
    location: Ints
    offset: Floats
    format: Ints
    manager: Ints
    languages: sp.csr_matrix
    goals: sp.csr_matrix
    expertise: sp.csr_matrix

    @property
    def size(self) -> int:
        return int(self.person.shape[0])


def _indicator(rows: list[list[tuple[int, float]]], width: int) -> sp.csr_matrix:
    indptr = np.cumsum([0, *(len(r) for r in rows)])
    indices = np.array([c for r in rows for c, _ in r], dtype=np.int64)
    data = np.array([v for r in rows for _, v in r], dtype=np.float64)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), max(width, 1)))


def goal_weights(n_goals: int) -> list[float]:
    """First goal weighs most: linear decay k, k-1, ..., 1, normalised to sum 1."""
    total = n_goals * (n_goals + 1) / 2
    return [(n_goals - i) / total for i in range(n_goals)]


def encode(people: Sequence[Participant], vocab: Vocabulary, config: ProgramConfig) -> Side:
    default_level = config.scoring.expertise_default_level

    def code(table: dict[str, int], value: str | None) -> int:
        return table[key(value)] if value else -1

    goals = []
    for p in people:
        topics = list(dict.fromkeys(vocab.topics[key(g)] for g in p.goals))
        goals.append(list(zip(topics, goal_weights(len(topics)), strict=True)))
    expertise = [
        [(vocab.topics[key(e.topic)], (e.level or default_level) / 5) for e in p.expertise]
        for p in people
    ]
    languages = [[(vocab.languages[key(x)], 1.0) for x in p.languages] for p in people]
    nan = float("nan")
    return Side(
        person=np.array([vocab.people[key(p.id)] for p in people], dtype=np.int64),
        seniority=np.array([p.seniority if p.seniority is not None else nan for p in people]),
        department=np.array([code(vocab.departments, p.department) for p in people], np.int64),
        location=np.array([code(vocab.locations, p.location) for p in people], np.int64),
        offset=np.array([p.utc_offset if p.utc_offset is not None else nan for p in people]),
        format=np.array([_FORMAT_CODE[p.format] for p in people], dtype=np.int64),
        manager=np.array(
            [vocab.people.get(key(p.manager), -1) if p.manager else -1 for p in people],
            dtype=np.int64,
        ),
        languages=_indicator(languages, len(vocab.languages)),
        goals=_indicator(goals, len(vocab.topics)),
        expertise=_indicator(expertise, len(vocab.topics)),
    )


@dataclass(frozen=True)
class Relation:
    """Ordered (person, person) pairs as person codes: the lists people gave (preferred,
    avoid) and the coordinator's pairs, small beside people x people. A block's mask is
    a scatter of the pairs whose two ends are in it, O(pairs + block), with no sparse
    matrix indexed per block."""

    a: Ints
    b: Ints
    n_people: int

    def both_ways(self) -> Relation:
        return Relation(np.concatenate([self.a, self.b]), np.concatenate([self.b, self.a]),
                        self.n_people)  # fmt: skip

    def reversed(self) -> Relation:
        return Relation(self.b, self.a, self.n_people)

    def __len__(self) -> int:
        return int(self.a.shape[0])

    def mask(self, rows: Ints, cols: Ints) -> Bool:
        """``out[i, j]``: the pair (rows[i], cols[j]) is in the relation."""
        out = np.zeros((rows.shape[0], cols.shape[0]), dtype=bool)
        out[self.cells(rows, cols)] = True
        return out

    def cells(self, rows: Ints, cols: Ints) -> tuple[Ints, Ints]:
        """The (i, j) with (rows[i], cols[j]) in the relation, repeats included."""
        if not len(self):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        row_at = np.full(self.n_people, -1, dtype=np.int64)
        row_at[rows] = np.arange(rows.shape[0])
        col_at = np.full(self.n_people, -1, dtype=np.int64)
        col_at[cols] = np.arange(cols.shape[0])
        r, c = row_at[self.a], col_at[self.b]
        inside = (r >= 0) & (c >= 0)
        return r[inside], c[inside]

    def contains(self, a: Ints, b: Ints) -> Bool:
        """Whether each pair (a[k], b[k]) is in the relation."""
        if not len(self):
            return np.zeros(a.shape[0], dtype=bool)
        known = self.a * self.n_people + self.b
        return np.isin(a * self.n_people + b, known)


def _relation(people: Sequence[Participant], vocab: Vocabulary, field: str) -> Relation:
    """``preferred`` or ``avoid`` as person codes (ids resolved at intake)."""
    codes = vocab.people
    ends = [(codes[key(p.id)], codes[key(other)]) for p in people for other in getattr(p, field)
            if key(other) in codes]  # fmt: skip
    return _ends(ends, len(codes))


def _ends(ends: Sequence[tuple[int, int]], n_people: int) -> Relation:
    a = np.array([x for x, _ in ends], dtype=np.int64)
    b = np.array([y for _, y in ends], dtype=np.int64)
    return Relation(a, b, n_people)


def _pairs(vocab: Vocabulary, pairs: Sequence[tuple[str, str]]) -> Relation:
    """The given (id, id) pairs, both ways round."""
    codes = vocab.people
    ends = [(codes[key(a)], codes[key(b)]) for a, b in pairs if key(a) in codes and key(b) in codes]
    return _ends(ends, len(codes)).both_ways()


@dataclass(frozen=True)
class CandidateGraph:
    """Every allowed pair, its score, and what the rules removed.

    ``removed_left[i, r]`` counts the mentors that rule ``RULES[r]`` forbids for mentee
    ``i`` (a mentor forbidden by two rules counts under both); ``removed_right[j, r]`` the
    mentees it forbids for mentor ``j``.

    Component values are not kept per pair (20 bytes each, 170 MB at 10,000 x 2,000):
    ``components_of`` computes them for the few pairs an explanation shows.
    """

    left: Ints
    right: Ints
    #: Pair scores in [0, 1]: the weighted sum of the components the solver maximises.
    score: Floats
    #: ``Scorer.pair_components``: component values of given (left, right) pairs.
    pair_values: Callable[[Ints, Ints], npt.NDArray[np.float32]]
    weights: dict[str, float]
    disabled: list[str]
    removed_left: npt.NDArray[np.int32]
    removed_right: npt.NDArray[np.int32]
    n_left: int
    n_right: int

    @property
    def n_arcs(self) -> int:
        return int(self.left.shape[0])

    def components_of(self, arcs: Ints) -> npt.NDArray[np.float32]:
        """Component values of the given arcs, shape (arcs, components)."""
        arcs = np.asarray(arcs, dtype=np.int64)
        return self.pair_values(self.left[arcs], self.right[arcs])


def _weights(config: ProgramConfig, disabled: list[str]) -> dict[str, float]:
    raw = {c: 0.0 if c in disabled else float(getattr(config.weights, c)) for c in COMPONENTS}
    total = sum(raw.values())
    return {c: (v / total if total > 0 else 0.0) for c, v in raw.items()}


def _disabled(
    left: Sequence[Participant], right: Sequence[Participant], config: ProgramConfig
) -> list[str]:
    """Components for which the survey has no data at all are switched off, so that a
    constant does not cap every score below 100."""
    people = [*left, *right]
    has = {
        "goals": any(p.goals for p in left) and any(p.expertise for p in right),
        "seniority": any(p.seniority is not None for p in left)
        and any(p.seniority is not None for p in right),
        "new_ties": (config.scoring.department != "ignore" and any(p.department for p in people))
        or (config.scoring.location != "ignore" and any(p.location for p in people)),
        "time_overlap": any(p.utc_offset is not None for p in left)
        and any(p.utc_offset is not None for p in right),
        "preference": any(p.preferred for p in people),
    }
    return [c for c in COMPONENTS if not has[c]]


def _codes(left: Floats, right: Floats) -> tuple[Floats, Ints, Ints]:
    """Distinct values of both sides, and 1-based codes into them (0: unknown)."""
    both = np.concatenate([left, right])
    values = np.unique(both[~np.isnan(both)])

    def code(x: Floats) -> Ints:  # int64 even for an empty side (np.where gives float)
        codes: Ints = np.where(np.isnan(x), 0, np.searchsorted(values, np.nan_to_num(x)) + 1)
        return codes.astype(np.int64)

    return values, code(left), code(right)


def _table(
    values_left: Floats, values_right: Floats, fn: Callable[[Floats, Floats], Floats]
) -> npt.NDArray[np.float32]:
    """(1 + n) x (1 + m) lookup table; row and column 0 are 'unknown' (NEUTRAL)."""
    table = np.full((values_left.size + 1, values_right.size + 1), NEUTRAL, dtype=np.float32)
    table[1:, 1:] = fn(values_left[:, None], values_right[None, :])
    return table


def _goal_value(covered: Floats, has_goals: Bool) -> Floats:
    """Goal coverage capped at 1; NEUTRAL for someone who gave no goals."""
    value: Floats = np.where(has_goals, np.minimum(covered, 1.0), NEUTRAL)
    return value


def _preference(asked: Bool, asked_back: Bool, symmetric: bool) -> Floats:
    """Named as preferred: 1, or 0.5 when only the other side named them; for peers the
    mean of both directions."""
    mine, theirs = asked.astype(np.float32), asked_back.astype(np.float32)
    if symmetric:
        both: Floats = (mine + theirs) / 2
        return both
    one: Floats = np.maximum(mine, np.float32(0.5) * theirs)
    return one


@dataclass(frozen=True)
class _Tables:
    """Lookup tables and per-side codes for the table-driven components."""

    seniority: npt.NDArray[np.float32]
    sen_left: Ints
    sen_right: Ints
    overlap: npt.NDArray[np.float32]
    off_left: Ints
    off_right: Ints
    department: npt.NDArray[np.float32]
    dep_left: Ints
    dep_right: Ints
    location: npt.NDArray[np.float32]
    loc_left: Ints
    loc_right: Ints

    @classmethod
    def build(cls, left: Side, right: Side, config: ProgramConfig) -> _Tables:
        sc = config.scoring
        levels, sen_left, sen_right = _codes(left.seniority, right.seniority)
        seniority = _table(
            levels,
            levels,
            lambda a, b: np.clip(
                1.0 - np.abs(b - a - sc.preferred_gap) / sc.gap_tolerance, 0.0, 1.0
            ),
        )
        start, end = sc.working_hours
        length = max(end - start, 1)

        def overlap(a: Floats, b: Floats) -> Floats:
            delta = np.abs(a - b) % 24
            delta = np.minimum(delta, 24 - delta)
            result: Floats = np.clip(length - delta, 0.0, length) / length
            return result

        offsets, off_left, off_right = _codes(left.offset, right.offset)
        directions = [d for d in (sc.department, sc.location) if d != "ignore"]
        share = 1.0 / len(directions) if directions else 0.0

        def ties(direction: str, n: int) -> npt.NDArray[np.float32]:
            codes = np.arange(n, dtype=np.float64)
            if direction == "ignore":
                table = np.zeros((n + 1, n + 1), dtype=np.float32)
            else:
                same = direction == "same"
                table = _table(codes, codes, lambda a, b: (a == b) if same else (a != b))
            if not directions:
                table[:] = NEUTRAL / 2  # no direction at all: two halves of NEUTRAL
            return (table * share).astype(np.float32) if directions else table

        n_dep = int(max(left.department.max(initial=-1), right.department.max(initial=-1))) + 1
        n_loc = int(max(left.location.max(initial=-1), right.location.max(initial=-1))) + 1
        return cls(
            seniority=seniority, sen_left=sen_left, sen_right=sen_right,
            overlap=_table(offsets, offsets, overlap), off_left=off_left, off_right=off_right,
            department=ties(sc.department, n_dep), dep_left=left.department + 1,
            dep_right=right.department + 1,
            location=ties(sc.location, n_loc), loc_left=left.location + 1,
            loc_right=right.location + 1,
        )  # fmt: skip


def _allowed(masks: dict[str, Bool]) -> Bool:
    """Pairs no rule forbids."""
    forbidden = np.zeros(masks["same_person"].shape, dtype=bool)
    for mask in masks.values():
        forbidden |= mask
    return ~forbidden


def _join(blocks: list[npt.NDArray[_T]], empty: npt.NDArray[_T]) -> npt.NDArray[_T]:
    """Concatenate and release the blocks at once, so the graph is never held twice over."""
    if not blocks:
        return empty
    joined = np.concatenate(blocks)
    blocks.clear()
    return joined


class Scorer:
    """Rules and components for rows of mentees against all mentors."""

    def __init__(
        self,
        left: Sequence[Participant],
        right: Sequence[Participant],
        config: ProgramConfig,
        already_paired: Sequence[tuple[str, str]] = (),
        *,
        symmetric: bool = False,
        forbidden: Sequence[tuple[str, str]] = (),
        paired_before: Sequence[tuple[str, str]] = (),
    ) -> None:
        """``symmetric`` scores a pool against itself for peers: goal coverage is the mean
        of both directions and a preference counts half when one-sided."""
        people = [*left, *right]
        self.symmetric = symmetric
        self.config = config
        self.vocab = Vocabulary.of(people)
        self.left = encode(left, self.vocab, config)
        self.right = encode(right, self.vocab, config)
        self.avoid = _relation(people, self.vocab, "avoid").both_ways()
        self.preferred = _relation(people, self.vocab, "preferred")
        # Pairs never to make: made by an earlier track (the same two people are never
        # paired twice), forbidden by the coordinator, or made in an earlier round.
        self.pair_rules = {
            name: _pairs(self.vocab, pairs)
            for name, pairs in (
                ("already_paired", already_paired),
                ("forbidden", forbidden),
                ("paired_before", paired_before),
            )
        }
        self.disabled = _disabled(left, right, config)
        self.weights = _weights(config, self.disabled)
        self.tables = _Tables.build(self.left, self.right, config)
        t = self.tables
        #: Each table-driven component for every mentee code against every mentor (a few
        #: dozen codes x mentors): a block's values are then whole rows of it, copied,
        #: instead of each pair's cell gathered from the small table.
        self.by_code = {
            name: np.ascontiguousarray(getattr(t, name)[:, right_codes])
            for name, right_codes in (("seniority", t.sen_right), ("department", t.dep_right),
                                      ("location", t.loc_right), ("overlap", t.off_right))
        }  # fmt: skip
        #: Rule masks and component values of every row, when ``candidates`` scored
        #: them in one block (small problems, e.g. an API request): the diagnosis reads
        #: its rows from here instead of scoring them again.
        self.whole: tuple[dict[str, Bool], npt.NDArray[np.float32]] | None = None
        self.expertise_t = np.ascontiguousarray(self.right.expertise.toarray().T, np.float32)
        # Rules between named people, scattered into a block: the same person on both
        # sides (a mentor who is also a mentee), and a line manager either way.
        n_people = len(self.vocab.people)
        both = np.intersect1d(self.left.person, self.right.person)
        self.same_person = Relation(both, both, n_people)
        led_l, led_r = self.left.manager >= 0, self.right.manager >= 0
        self.managers = Relation(
            np.concatenate([self.left.person[led_l], self.right.manager[led_r]]),
            np.concatenate([self.left.manager[led_l], self.right.person[led_r]]),
            n_people,
        )
        # Languages are few: dense people x languages, so a block's "shares a language" is
        # one small matrix product, not a sparse product and conversion per block.
        self.languages_left = self.left.languages.toarray().astype(np.float32)
        self.languages_right_t = np.ascontiguousarray(self.right.languages.toarray().T, np.float32)
        if symmetric:
            self.goals_t = np.ascontiguousarray(self.right.goals.toarray().T, np.float32)
        self.coded = self._coded_rules()

    def _coded_rules(self) -> dict[str, tuple[Bool, Ints]]:
        """Rules that follow a few codes of a mentee (languages spoken, format and office,
        ladder level, department, office) as rows: each rule's mask for every distinct
        code against every mentor, and each mentee's code. A block's mask is then whole
        rows copied instead of a chain of pair-by-pair comparisons; the expressions are
        the pair-wise ones, evaluated for one mentee of each code."""
        L, R, rules = self.left, self.right, self.config.rules  # noqa: N806
        out: dict[str, tuple[Bool, Ints]] = {}

        def coded(name: str, keys: npt.NDArray[np.generic], mask: Callable[[Ints], Bool]) -> None:
            _, first, code = np.unique(keys, axis=0, return_index=True, return_inverse=True)
            out[name] = (np.ascontiguousarray(mask(first)), code.reshape(-1))

        if rules.require_shared_language:
            has_r = np.diff(R.languages.indptr) > 0

            def no_language(i: Ints) -> Bool:
                shared = (self.languages_left[i] @ self.languages_right_t) > 0
                has_l = np.diff(L.languages.indptr)[i] > 0
                result: Bool = has_l[:, None] & has_r[None, :] & ~shared
                return result

            coded("no_shared_language", self.languages_left, no_language)

        def same_place(i: Ints) -> Bool:
            loc_l = L.location[i, None]
            result: Bool = (loc_l == R.location[None, :]) & (loc_l >= 0)
            return result

        def bad_format(i: Ints) -> Bool:
            fl, fr = L.format[i, None], R.format[None, :]
            result: Bool = (
                ((fl == 0) & (fr == 1))
                | ((fl == 1) & (fr == 0))
                | (((fl == 1) | (fr == 1)) & ~same_place(i))
            )
            return result

        coded("format", np.stack([L.format, L.location], axis=1), bad_format)

        def gap(i: Ints) -> Floats:
            result: Floats = R.seniority[None, :] - L.seniority[i, None]
            return result

        with np.errstate(invalid="ignore"):
            low, high = rules.min_seniority_gap, rules.max_seniority_gap
            if low is not None:
                coded("not_senior_enough", L.seniority, lambda i: gap(i) < low)
            if high is not None:
                coded("too_senior", L.seniority, lambda i: gap(i) > high)
        if rules.different_department:

            def same_department(i: Ints) -> Bool:
                dep_l = L.department[i, None]
                result: Bool = (dep_l == R.department[None, :]) & (dep_l >= 0)
                return result

            coded("same_department", L.department, same_department)
        if rules.different_location:
            coded("same_location", L.location, same_place)
        return out

    def rules(self, rows: slice) -> dict[str, Bool]:
        """Boolean (block x mentors) masks, True where the rule forbids the pair."""
        L, R = self.left, self.right  # noqa: N806
        persons = L.person[rows]
        out: dict[str, Bool] = {"same_person": self.same_person.mask(persons, R.person)}

        def coded(name: str) -> None:
            if name in self.coded:
                table, code = self.coded[name]
                out[name] = table[code[rows]]

        coded("no_shared_language")
        out["manager"] = self.managers.mask(persons, R.person)
        out["avoid"] = self.avoid.mask(persons, R.person)
        for name, pairs in self.pair_rules.items():
            if len(pairs):
                out[name] = pairs.mask(persons, R.person)
        for name in ("format", "not_senior_enough", "too_senior", "same_department",
                     "same_location"):  # fmt: skip
            coded(name)
        return out

    def components(
        self, rows: slice, out: npt.NDArray[np.float32] | None = None
    ) -> npt.NDArray[np.float32]:
        """Component values in [0, 1], shape (components, block, mentors), written to
        ``out`` when it has that shape (a buffer reused from block to block).

        Everything but goals and preference depends on a few distinct codes per side
        (ladder levels, UTC offsets, departments, locations), so it is one lookup in a
        small precomputed table instead of a chain of whole-block arithmetic.
        """
        L, R, t = self.left, self.right, self.tables  # noqa: N806
        shape = (len(COMPONENTS), L.person[rows].shape[0], R.size)
        if out is None or out.shape != shape:
            out = np.empty(shape, dtype=np.float32)
        covered = L.goals[rows].toarray().astype(np.float32) @ self.expertise_t
        # _goal_value in place: rows without goals are NEUTRAL throughout.
        np.minimum(covered, np.float32(1.0), out=out[0])
        out[0][~(np.diff(L.goals.indptr)[rows] > 0)] = NEUTRAL
        if self.symmetric:  # what each can teach the other, averaged
            back = L.expertise[rows].toarray().astype(np.float32) @ self.goals_t
            has_back = np.broadcast_to((np.diff(R.goals.indptr) > 0)[None, :], back.shape)
            out[0] += _goal_value(back, has_back)
            out[0] /= 2
        # Whole rows of the mentor-wide tables: copies, not a gather per pair.
        out[1] = self.by_code["seniority"][t.sen_left[rows]]
        out[2] = self.by_code["department"][t.dep_left[rows]]
        out[2] += self.by_code["location"][t.loc_left[rows]]
        out[3] = self.by_code["overlap"][t.off_left[rows]]
        # _preference as scatters of the few pairs named.
        persons = L.person[rows]
        out[4] = 0
        out[4][self.preferred.reversed().cells(persons, R.person)] = np.float32(0.5)
        if self.symmetric:
            out[4][self.preferred.cells(persons, R.person)] += np.float32(0.5)
        else:
            out[4][self.preferred.cells(persons, R.person)] = 1
        return out

    def pair_components(self, left: Ints, right: Ints) -> npt.NDArray[np.float32]:
        """Component values of the pairs (left[k], right[k]), shape (pairs, components):
        ``components`` for single cells, so an explanation needs no whole rows."""
        L, R, t = self.left, self.right, self.tables  # noqa: N806
        out = np.empty((left.shape[0], len(COMPONENTS)), dtype=np.float32)
        if left.shape[0] == 0:
            return out

        def dot(rows: sp.csr_matrix, columns_t: npt.NDArray[np.float32]) -> Floats:
            product: Floats = np.einsum(
                "ij,ij->i", rows.toarray().astype(np.float32), columns_t.T[right]
            )
            return product

        covered = dot(L.goals[left], self.expertise_t)
        has_goals = np.diff(L.goals.indptr)[left] > 0
        out[:, 0] = _goal_value(covered, has_goals)
        if self.symmetric:
            back = dot(L.expertise[left], self.goals_t)
            has_back = np.diff(R.goals.indptr)[right] > 0
            out[:, 0] += _goal_value(back, has_back)
            out[:, 0] /= 2
        out[:, 1] = t.seniority[t.sen_left[left], t.sen_right[right]]
        out[:, 2] = t.department[t.dep_left[left], t.dep_right[right]]
        out[:, 2] += t.location[t.loc_left[left], t.loc_right[right]]
        out[:, 3] = t.overlap[t.off_left[left], t.off_right[right]]
        mine, theirs = L.person[left], R.person[right]
        asked = self.preferred.contains(mine, theirs)
        asked_back = self.preferred.contains(theirs, mine)
        out[:, 4] = _preference(asked, asked_back, self.symmetric)
        return out

    def pair_scores(self, values: npt.NDArray[np.float32]) -> Floats:
        """Scores in [0, 1] of component columns (components x pairs): the float64
        weighted sum, one component at a time, so a pair's score never depends on which
        pairs it was computed with (a matrix product's did, by one ulp for about a
        quarter of the near misses of a 10,000 x 2,000 run)."""
        total = np.multiply(values[0], np.float64(self.weights[COMPONENTS[0]]), dtype=np.float64)
        term = np.empty_like(total)
        for c in range(1, len(COMPONENTS)):
            total += np.multiply(values[c], np.float64(self.weights[COMPONENTS[c]]), out=term)
        clipped: Floats = np.clip(total, 0.0, 1.0, out=total)
        return clipped

    @property
    def minimum_forbids(self) -> bool:
        """Whether the ``min_score`` rule can forbid a pair: every component and weight
        is >= 0, so a minimum of 0 forbids nothing, and the other rules alone decide."""
        return self.config.rules.min_score > 0

    def cell_scores(
        self, values: npt.NDArray[np.float32], cells: Ints, out: Floats | None = None
    ) -> Floats:
        """``pair_scores`` of a block's flat cells (row * mentors + column), the same sums
        to the bit, written into ``out`` (the graph's own slice) when given.

        A chunk of cells and one component at a time: the scratch (a gathered column and
        its weighted term) stays below glibc's mmap threshold and is reused from the
        heap, instead of fresh pages for a block's whole gathered values (17 MB) and sums
        (13 MB) each time."""
        total: Floats = np.empty(cells.shape[0]) if out is None else out
        weights = [np.float64(self.weights[c]) for c in COMPONENTS]
        columns = [values[c].reshape(-1) for c in range(len(COMPONENTS))]
        for at in range(0, cells.shape[0], _CELL_CHUNK):
            part = cells[at : at + _CELL_CHUNK]
            into = total[at : at + _CELL_CHUNK]
            gathered = np.empty(part.shape[0], dtype=np.float32)
            term = np.empty(part.shape[0])
            np.multiply(columns[0].take(part, mode="clip", out=gathered), weights[0], out=into)
            for c in range(1, len(COMPONENTS)):
                columns[c].take(part, mode="clip", out=gathered)  # cells are in range
                into += np.multiply(gathered, weights[c], out=term)
            np.clip(into, 0.0, 1.0, out=into)
        return total

    def min_score_rule(self, values: npt.NDArray[np.float32]) -> tuple[Floats, Bool]:
        """A block's pair scores as the float32 weighted sum of its components, and the
        ``min_score`` mask they give: one sum, so scoring and the diagnosis agree."""
        w = [self.weights[c] for c in COMPONENTS]
        total = values[0] * np.float32(w[0])
        for c in range(1, len(COMPONENTS)):
            total += values[c] * np.float32(w[c])
        return total, total * 100 < self.config.rules.min_score - 1e-9

    def stated_views(self, left: Ints, right: Ints, score: Floats) -> tuple[Floats, Floats]:
        """How each side ranks the arcs ``left[k] - right[k]`` when rankings are stated:
        the people someone named as preferred first, then everyone by score (both in
        [0, 1], for stable matching)."""
        mine, theirs = self.left.person[left], self.right.person[right]
        asked = self.preferred.contains(mine, theirs)
        asked_back = self.preferred.contains(theirs, mine)
        half = np.asarray(score, dtype=np.float64) / 2
        return half + 0.5 * asked, half + 0.5 * asked_back

    def estimated_pairs(self, top_k: int | None = None) -> int:
        """The candidate pairs ``candidates(top_k)`` would keep, estimated from at most
        ``SAMPLE_ROWS`` rows (a few percent of a track too large to score whole); exact
        when those are every row."""
        n_left, n_right = self.left.size, self.right.size
        if n_left == 0:
            return 0
        per_run = max(1, min(SAMPLE_ROWS // SAMPLE_RUNS, BLOCK_PAIRS // max(n_right, 1)))
        if n_left <= SAMPLE_RUNS * per_run:
            runs = parallel.chunks(n_left, per_run)  # every row: the exact count
        else:  # runs that never overlap, the last ending at the last row
            firsts = np.linspace(0, n_left - per_run, SAMPLE_RUNS).astype(np.int64).tolist()
            runs = [slice(first, first + per_run) for first in firsts]
        kept = seen = 0
        for rows in runs:
            masks = self.rules(rows)
            if self.minimum_forbids:
                masks["min_score"] = self.min_score_rule(self.components(rows))[1]
            per_row = np.count_nonzero(_allowed(masks), axis=1)
            if top_k is not None:
                per_row = np.minimum(per_row, top_k)
            kept += int(per_row.sum())
            seen += rows.stop - rows.start
        return round(kept * n_left / seen)

    def candidates(self, top_k: int | None = None) -> CandidateGraph:
        """Score every pair block by block and keep those that pass every hard rule.

        When only the rules decide which pairs are kept (no ``top_k``, and the minimum
        score forbids nothing: ``minimum_forbids``), a first
        pass of the rules alone counts the pairs, so the graph is written into arrays of
        its final size: no block copies joined at the end, which at 10,000 x 2,000 were
        0.4 s and 200 MB of the peak."""
        n_left, n_right = self.left.size, self.right.size
        removed_left = np.zeros((n_left, len(RULES)), dtype=np.int32)
        removed_right = np.zeros((n_right, len(RULES)), dtype=np.int32)
        block = max(1, BLOCK_PAIRS // max(n_right, 1))
        blocks = parallel.chunks(n_left, block)
        keep_whole = n_left * n_right <= KEEP_WHOLE_BELOW  # small: kept for the diagnosis
        rules_decide = top_k is None and not self.minimum_forbids
        # A track too large for the memory left is refused before any whole pass: from a
        # sample of rows, only when every pair kept could not fit; then from the count.
        available = available_bytes()
        if available is not None and n_left * n_right * PAIR_BYTES_AT_LEAST > available:
            check_pairs_fit(self.estimated_pairs(top_k), available, estimated=True)

        # Blocks run on up to ``parallel.threads()`` threads, each with its own buffer
        # for the block's values (fresh pages for each block's 40 MB cost page faults:
        # 10k x 2k components 0.55-0.89 s fresh, 0.43-0.47 s reused). Each block writes
        # only its own rows and slice, so the graph is the same on any number of threads.
        local = threading.local()

        def block_values(rows: slice) -> npt.NDArray[np.float32]:
            if not hasattr(local, "buffer"):
                local.buffer = np.empty(
                    (len(COMPONENTS), min(block, n_left), n_right), dtype=np.float32
                )
            return self.components(rows, out=local.buffer[:, : rows.stop - rows.start])

        if rules_decide:
            counted = parallel.map_blocks(
                lambda rows: int(np.count_nonzero(_allowed(self.rules(rows)))), blocks
            )
            starts = np.concatenate([[0], np.cumsum(counted, dtype=np.int64)]).tolist()
            check_pairs_fit(starts[-1], available)
            left = np.empty(starts[-1], dtype=np.int64)
            right = np.empty(starts[-1], dtype=np.int64)
            score = np.empty(starts[-1], dtype=np.float64)

        def score_block(
            b: int,
        ) -> tuple[npt.NDArray[np.int32], tuple[Ints, Ints, Floats] | None]:
            rows = blocks[b]
            masks = self.rules(rows)
            values = block_values(rows)
            if not rules_decide or keep_whole:
                totals, masks["min_score"] = self.min_score_rule(values)
            if keep_whole:
                self.whole = (dict(masks), values)
            by_right = np.zeros((n_right, len(RULES)), dtype=np.int32)
            for r, name in enumerate(RULES):
                if name in masks:
                    removed_left[rows, r] = np.count_nonzero(masks[name], axis=1)
                    by_right[:, r] = np.count_nonzero(masks[name], axis=0)
            keep = _allowed(masks)
            if top_k is not None and top_k < n_right:
                # Keep each row's top_k allowed pairs (memory then follows n x top_k).
                ranked = np.where(keep, totals, -np.inf)
                best = np.argpartition(-ranked, top_k - 1, axis=1)[:, :top_k]
                top = np.zeros_like(keep)
                np.put_along_axis(top, best, True, axis=1)
                keep &= top
            cells = np.flatnonzero(keep)
            if not rules_decide:
                ii, jj = np.divmod(cells, n_right)
                ii += rows.start
                return by_right, (ii, jj, self.cell_scores(values, cells))
            if cells.shape[0] != counted[b]:
                raise RuntimeError(
                    f"scoring kept {cells.shape[0]} pairs after counting {counted[b]}"
                )
            at = slice(starts[b], starts[b + 1])  # written in place: no block copies
            np.divmod(cells, n_right, out=(left[at], right[at]))
            left[at] += rows.start
            self.cell_scores(values, cells, out=score[at])
            return by_right, None

        done = parallel.map_blocks(score_block, range(len(blocks)))
        for by_right, _ in done:
            removed_right += by_right
        if not rules_decide:
            parts = [kept for _, kept in done if kept is not None]
            left = _join([ii for ii, _, _ in parts], np.zeros(0, dtype=np.int64))
            right = _join([jj for _, jj, _ in parts], np.zeros(0, dtype=np.int64))
            score = _join([kept for _, _, kept in parts], np.zeros(0))
        return CandidateGraph(
            left=left,
            right=right,
            score=score,
            pair_values=self.pair_components,
            weights=self.weights,
            disabled=self.disabled,
            removed_left=removed_left,
            removed_right=removed_right,
            n_left=n_left,
            n_right=n_right,
        )
