"""Baselines: what coordinators use today against our exact methods, on the same problems.

``python -m benchmarks.baselines`` solves each instance with every method in fresh
processes (one process per method and repeat, methods interleaved so drift on a shared
machine hits each alike), measures wall time, peak memory, the total as a share of the
proven optimum, coverage, the worst-off and p10 pair, and blocking pairs, and writes
``benchmarks/RESULTS-baselines.md`` with an Answer computed from the numbers.
``--quick`` checks the harness in seconds (and writes under ``benchmarks/.work/``).

Instances:

- ``csl_own``: mentor-match's own sample data (``../shared/data/real/csl_*``) under
  mentor-match's own rules, as its CSL app sets them: a pair is allowed when the mentor is
  1-2 grades above and in another organisation; it scores 10 (1 grade up) or 7 (2 up),
  +8 for the same profession, +4 when the mentee's identity is among the mentor's (22 at
  most); three rounds, so each person gets at most three partners. mentor-match runs as
  its users run it (its ``process.process_data`` on its ``Mentor``/``Mentee`` objects with
  the app's rules); every other method solves the same numbers as an assignment problem.
- ``csl_ours``: the same files through our pipeline (``data/csl.toml``): our scores, our
  hard rules, one mentor per mentee, two mentees per mentor. Every pair is also scored
  by mentor-match's rules.
- ``s<N>``: a synthetic ``N``-person survey (``matcher.sample.write_sample``), scored by
  our pipeline; 500 is mentor-match's own benchmark size ("500 mentors and mentees").
- ``p<N>``: the peer candidate graph of the same survey, for general matching.

mentor-match and matching come from the optional ``bench`` extra
(``pip install -e '.[dev,bench]'``); without them those methods are reported as not
installed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from solvers import SCORE_SCALE, AssignmentProblem, Objective, Solution, Status
from solvers.fair import solve_fair
from solvers.greedy import solve_greedy
from solvers.mincostflow import solve_min_cost_flow
from solvers.pairing import PairingProblem, blocking_edges, solve_pruned_blossom_rounds
from solvers.people import solve_people_first
from solvers.pruned import solve_pruned_flow
from solvers.stable import blocking_pairs, solve_stable

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work" / "baselines"
RESULTS = ROOT / "benchmarks" / "RESULTS-baselines.md"
REAL = ROOT.parent / "shared" / "data" / "real"
CSL_MENTEES = REAL / "csl_mentor_match_small_mentees.csv"
CSL_MENTORS = REAL / "csl_mentor_match_small_mentors.csv"
Record = dict[str, Any]
Ints = npt.NDArray[np.int64]

#: The proven optimum every ratio is taken against (coverage first, then total).
REFERENCE = "pruned_flow"
ASSIGN_METHODS = (
    "pruned_flow",
    "people",
    "fair",
    "min_cost_flow",
    "cp_sat",
    "greedy",
    "sequential_greedy",
    "mentor_match",
    "mentor_match_pure",
    "stable",
    "matching_hr",
)
OURS = ("pruned_flow", "people", "fair", "min_cost_flow", "stable")
PEER_METHODS = ("pruned_blossom", "networkx")
DESCRIBE = {
    "pruned_flow": "ours (default): exact min-cost flow on pruned arcs, priced to a proof",
    "people": "ours: most mentees with a first mentor, then most places, then the total",
    "fair": "ours: most places, then the best worst-off pair, then the highest total",
    "min_cost_flow": "ours: exact min-cost flow on every candidate arc (dense)",
    "cp_sat": "CP-SAT: a boolean per arc, demand/capacity rows, big-M coverage then total",
    "greedy": 'greedy by descending score (what "match %" spreadsheets do)',
    "sequential_greedy": "each mentee in file order takes their best mentors with room",
    "mentor_match": "mentor-match 7.0.1: three rounds of Hungarian (munkres 3.0.0)",
    "mentor_match_pure": "the same with munkres' native kernel off (PALDITA_NO_NATIVE=1)",
    "stable": "ours: mentee-proposing deferred acceptance (solve_stable)",
    "matching_hr": "matching 1.4.3 HospitalResident, resident (mentee) optimal",
    "pruned_blossom": "ours: exact maximum-weight matching (pruned_blossom)",
    "networkx": "networkx max_weight_matching(maxcardinality=True)",
}
#: A method whose first run takes longer than this runs once (its spread tells little).
SLOW_SECONDS = 30.0
#: mentor-match's CSL app: ladder (as its forms spell grades), and the points.
MM_GRADES = ("AA", "AO", "EO", "HEO", "SEO", "Grade 7", "Grade 6", "SCS1", "SCS2", "SCS3", "SCS4")
MM_MAX_POINTS = 22
#: The app appends UnmatchedBonus(1), (10) and (100) to one list shared by its three
#: rounds (``[base_rules for _ in range(3)]``), so every round carries all three: an
#: unmatched person adds 111 points, about 5x the best pair's 22.
MM_BONUSES = (1, 10, 100)
MM_ROUNDS = 3


# --------------------------------------------------------------------------------------
# The libraries, behind small typed wrappers
# --------------------------------------------------------------------------------------


def _matching_games() -> Any:
    """matching's ``matching.games``. mentor-match installs a package of the same name,
    ``matching``; the two share only ``matching/__init__.py``, and when mentor-match's
    copy is the one on disk, matching's modules cannot import their base classes. Then
    this builds matching's package namespace from its own modules, in its own order."""
    try:
        return importlib.import_module("matching.games")
    except ImportError:
        pass
    for name in [m for m in sys.modules if m == "matching" or m.startswith("matching.")]:
        del sys.modules[name]
    spec = importlib.util.find_spec("matching")
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError("the matching package is not installed (pip install -e '.[bench]')")
    package = types.ModuleType("matching")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["matching"] = package
    for module, names in (
        ("matching.base", ("BaseGame", "BaseMatching", "BasePlayer")),
        ("matching.matchings", ("MultipleMatching", "SingleMatching")),
        ("matching.players", ("Hospital", "Player", "Project", "Supervisor")),
    ):
        loaded = importlib.import_module(module)
        for name in names:
            setattr(package, name, getattr(loaded, name))
    return importlib.import_module("matching.games")


@dataclass
class MentorMatch:
    """mentor-match's modules (its package is also called ``matching``)."""

    process: Any
    rule: Any
    mentor: Any
    mentee: Any

    @classmethod
    def load(cls) -> MentorMatch:
        try:
            return cls(
                importlib.import_module("matching.process"),
                importlib.import_module("matching.rules.rule"),
                importlib.import_module("matching.mentor"),
                importlib.import_module("matching.mentee"),
            )
        except ImportError as error:
            raise ImportError(f"mentor-match is not installed: {error}") from None


def munkres_kernel() -> str:
    """Which munkres solver ran: its native kernel or the pure-Python one."""
    try:
        native = importlib.import_module("munkres._native")
        return str(native.native_status())
    except (ImportError, AttributeError) as error:
        return f"unknown ({error})"


# --------------------------------------------------------------------------------------
# Instances
# --------------------------------------------------------------------------------------


@dataclass
class Built:
    """One instance, ready to solve."""

    problem: AssignmentProblem
    build_seconds: float
    #: mentor-match's rule points per arc (-1: its rules forbid the pair), CSL only.
    mm_points: Ints | None = None
    #: 100 for our 0-100 scores; 22 for mentor-match's rule points.
    scale: float = 100.0
    #: left/right ids in file order (CSL: e-mail addresses).
    left_ids: list[str] = field(default_factory=list)
    right_ids: list[str] = field(default_factory=list)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def mm_rule_points(mentee: dict[str, str], mentor: dict[str, str]) -> int:
    """mentor-match's CSL app rules for one pair, without the unmatched bonus: -1 when
    its rules disqualify the pair, else its points (out of 22)."""
    gap = MM_GRADES.index(mentor["grade"]) - MM_GRADES.index(mentee["grade"])
    if mentee["organisation"] == mentor["organisation"] or gap > 2 or gap <= 0:
        return -1
    points = 10 if gap == 1 else 7
    if mentee["profession"] == mentor["profession"]:
        points += 8
    identity = mentee.get("identity to match", "")
    if identity != "" and identity in mentor.get("characteristics", "").split(", "):
        points += 4
    return points


def build_csl_own() -> Built:
    tick = time.perf_counter()
    mentees, mentors = _csv_rows(CSL_MENTEES), _csv_rows(CSL_MENTORS)
    points = np.array([[mm_rule_points(e, m) for m in mentors] for e in mentees], dtype=np.int64)
    left, right = np.nonzero(points >= 0)
    problem = AssignmentProblem(
        left_demand=np.full(len(mentees), MM_ROUNDS, dtype=np.int64),
        right_capacity=np.full(len(mentors), MM_ROUNDS, dtype=np.int64),
        arc_left=left.astype(np.int64),
        arc_right=right.astype(np.int64),
        arc_weight=points[left, right] / MM_MAX_POINTS,
        objective=Objective.COVERAGE,
    )
    return Built(
        problem,
        time.perf_counter() - tick,
        mm_points=points[left, right],
        scale=MM_MAX_POINTS,
        left_ids=[e["email address"] for e in mentees],
        right_ids=[m["email address"] for m in mentors],
    )


def build_ours(paths: Sequence[Path], config_path: Path, *, csl: bool = False) -> Built:
    """Our pipeline's mentoring problem: read, score (CandidateGraph), demands."""
    from matcher.config import ProgramConfig
    from matcher.intake import load_survey
    from matcher.models import Role
    from matcher.scoring import Scorer

    tick = time.perf_counter()
    config = ProgramConfig.load(config_path).for_track("mentoring")
    people = load_survey(list(paths), config).participants
    askers = [p for p in people if Role.MENTEE in p.roles]
    offerers = [p for p in people if Role.MENTOR in p.roles]
    graph = Scorer(askers, offerers, config).candidates()
    m = config.mentoring
    problem = AssignmentProblem(
        left_demand=np.array([m.default_demand if p.demand is None else p.demand for p in askers]),
        right_capacity=np.array(
            [m.default_capacity if p.capacity is None else p.capacity for p in offerers]
        ),
        arc_left=graph.left,
        arc_right=graph.right,
        arc_weight=graph.score,
        objective=Objective(m.flow_objective),
    )
    built = Built(
        problem,
        time.perf_counter() - tick,
        left_ids=[p.id for p in askers],
        right_ids=[p.id for p in offerers],
    )
    if csl:
        by_email = {r["email address"].lower(): r for r in _csv_rows(CSL_MENTEES)}
        by_email_r = {r["email address"].lower(): r for r in _csv_rows(CSL_MENTORS)}
        built.mm_points = np.array(
            [
                mm_rule_points(by_email[askers[i].id.lower()], by_email_r[offerers[j].id.lower()])
                for i, j in zip(graph.left.tolist(), graph.right.tolist(), strict=True)
            ],
            dtype=np.int64,
        )
    return built


def build_peers(survey: Path) -> tuple[PairingProblem, float]:
    """The peer track's candidate graph of a synthetic survey, as the pipeline builds it."""
    from matcher.config import ProgramConfig
    from matcher.intake import load_survey
    from matcher.models import Role
    from matcher.scoring import Scorer

    tick = time.perf_counter()
    config = ProgramConfig.load(survey.with_suffix(".toml")).for_track("peer")
    pool = [p for p in load_survey([survey], config).participants if Role.PEER in p.roles]
    graph = Scorer(pool, pool, config, symmetric=True).candidates(
        top_k=config.tracks.peer.candidates_per_person
    )
    low, high = np.minimum(graph.left, graph.right), np.maximum(graph.left, graph.right)
    order = np.lexsort((high, low))
    key = low[order] * len(pool) + high[order]
    first = order[np.concatenate([[True], key[1:] != key[:-1]])]
    problem = PairingProblem(
        n=len(pool),
        arc_u=low[first],
        arc_v=high[first],
        arc_weight=graph.score[first],
        objective=Objective(config.mentoring.flow_objective),
    )
    return problem, time.perf_counter() - tick


def survey_path(size: int) -> Path:
    return WORK / f"survey-{size}.csv"


def build(instance: str) -> Built:
    if instance == "csl_own":
        return build_csl_own()
    if instance == "csl_ours":
        return build_ours([CSL_MENTEES, CSL_MENTORS], ROOT / "data" / "csl.toml", csl=True)
    if instance.startswith("s"):
        survey = survey_path(int(instance[1:]))
        return build_ours([survey], survey.with_suffix(".toml"))
    raise ValueError(f"unknown instance {instance!r}")


# --------------------------------------------------------------------------------------
# Methods written here
# --------------------------------------------------------------------------------------


def solve_sequential_greedy(problem: AssignmentProblem) -> Solution:
    """Each left node in index (file) order takes its best arcs whose right end has room,
    up to its demand; ties by the lower right index."""
    started = time.perf_counter()
    weights = problem.integer_weights()
    order = np.lexsort((problem.arc_right, -weights, problem.arc_left))
    room = problem.right_capacity.copy()
    want = problem.left_demand.copy()
    chosen: list[int] = []
    for k in order.tolist():  # The baseline being measured: kept literal.
        i, j = problem.arc_left[k], problem.arc_right[k]
        if want[i] > 0 and room[j] > 0:
            want[i] -= 1
            room[j] -= 1
            chosen.append(k)
    return Solution.from_arcs(
        "sequential_greedy", Status.FEASIBLE, chosen, problem.arc_weight, started
    )


def solve_cp_sat(problem: AssignmentProblem, time_limit: float) -> tuple[Solution, float | None]:
    """A boolean per arc; each left node at most its demand, each right node at most its
    capacity. ``COVERAGE``: maximise ``sum (M + w) x`` with ``M`` above any total a
    solution can reach, so one more unit always wins; ``TOTAL``: ``sum w x``. Returns the
    solution and the relative gap of the objective bound (0 when proven)."""
    from ortools.sat.python import cp_model  # noqa: TID251 - the baseline, here only.

    started = time.perf_counter()
    weights = problem.integer_weights()
    most = int(min(problem.left_demand.sum(), problem.right_capacity.sum(), problem.n_arcs))
    big = most * SCORE_SCALE + 1 if problem.objective is Objective.COVERAGE else 0
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{k}") for k in range(problem.n_arcs)]
    for ends, bound in (
        (problem.arc_left, problem.left_demand),
        (problem.arc_right, problem.right_capacity),
    ):
        order = np.argsort(ends, kind="stable")
        splits = np.searchsorted(ends[order], np.arange(bound.shape[0] + 1))
        for node in range(bound.shape[0]):
            arcs = order[splits[node] : splits[node + 1]].tolist()
            if len(arcs) > int(bound[node]):
                model.add(sum(x[k] for k in arcs) <= int(bound[node]))
    model.maximize(sum((big + int(w)) * v for w, v in zip(weights.tolist(), x, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = len(os.sched_getaffinity(0))
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return (
            Solution.from_arcs("cp_sat", Status.TIMED_OUT, [], problem.arc_weight, started),
            None,
        )
    chosen = [k for k in range(problem.n_arcs) if solver.boolean_value(x[k])]
    status = Status.OPTIMAL if code == cp_model.OPTIMAL else Status.FEASIBLE
    value, best = float(solver.objective_value), float(solver.best_objective_bound)
    gap = 0.0 if status is Status.OPTIMAL else max(0.0, (best - value) / max(abs(best), 1.0))
    return Solution.from_arcs("cp_sat", status, chosen, problem.arc_weight, started), gap


def _arc_index(problem: AssignmentProblem) -> dict[tuple[int, int], int]:
    return {
        (i, j): k
        for k, (i, j) in enumerate(
            zip(problem.arc_left.tolist(), problem.arc_right.tolist(), strict=True)
        )
    }


def solve_mentor_match_csl(built: Built) -> tuple[list[int], int]:
    """mentor-match as the CSL app runs it: its ``Mentor``/``Mentee`` objects from the two
    files, the app's rules, three rounds of ``process_data``. Returns the arcs made and
    how many of its pairs are not arcs (its rules forbid them: should be 0)."""
    mm = MentorMatch.load()
    rl = mm.rule
    import operator

    def person(kind: Any, row: dict[str, str]) -> Any:
        data = {
            "first name": row["first name"],
            "last name": row["last name"],
            "email": row["email address"],
            "role": row["job title"],
            "organisation": row["organisation"],
            "profession": row["profession"],
            "grade": MM_GRADES.index(row["grade"]),
        }
        return kind(**data)

    mentors = []
    for row in _csv_rows(CSL_MENTORS):
        mentor = person(mm.mentor.Mentor, row)
        mentor.current_profession = row["profession"]
        mentor.characteristics = row.get("characteristics", "").split(", ")
        mentors.append(mentor)
    mentees = []
    for row in _csv_rows(CSL_MENTEES):
        mentee = person(mm.mentee.Mentee, row)
        mentee.target_profession = row["profession"]
        mentee.characteristic = row.get("identity to match", "")
        mentees.append(mentee)
    base = [
        rl.Disqualify(lambda match: match.mentee.organisation == match.mentor.organisation),
        rl.Disqualify(rl.Grade(target_diff=2, logical_operator=operator.gt).evaluate),
        rl.Disqualify(rl.Grade(target_diff=0, logical_operator=operator.le).evaluate),
        rl.Grade(1, operator.eq, {True: 10, False: 0}),
        rl.Grade(2, operator.eq, {True: 7, False: 0}),
        rl.Generic(
            {True: 8, False: 0},
            lambda match: match.mentee.target_profession == match.mentor.current_profession,
        ),
        rl.Generic(
            {True: 4, False: 0},
            lambda match: (
                match.mentee.characteristic in match.mentor.characteristics
                and match.mentee.characteristic != ""
            ),
        ),
    ]
    # As the app does: one list object for the three rounds, each round appending its bonus.
    all_rules = [base for _ in range(MM_ROUNDS)]
    for i, rules in enumerate(all_rules):
        rules.append(rl.UnmatchedBonus(MM_BONUSES[i]))
    mm.process.process_data(mentors, mentees, all_rules)
    left = {e: i for i, e in enumerate(built.left_ids)}
    right = {e: j for j, e in enumerate(built.right_ids)}
    arcs = _arc_index(built.problem)
    chosen, outside = [], 0
    for mentor in mentors:
        for mentee in mentor.mentees:
            k = arcs.get((left[mentee.email], right[mentor.email]))
            if k is None:
                outside += 1
            else:
                chosen.append(k)
    return chosen, outside


def solve_mentor_match(problem: AssignmentProblem) -> tuple[list[int], int]:
    """mentor-match's ``process_data`` on any assignment problem, through its own rule
    classes: a pair is disqualified when it is not an arc or when either side is full
    (demand, capacity); it scores the arc's integer weight (0-10,000) plus its
    ``UnmatchedBonus`` scaled as the CSL app's (111 against 22 points), three rounds."""
    mm = MentorMatch.load()
    rl = mm.rule
    weights = problem.integer_weights().tolist()
    arcs = _arc_index(problem)
    mentors = [mm.mentor.Mentor(grade=0, email=f"right-{j}") for j in range(problem.n_right)]
    mentees = [mm.mentee.Mentee(grade=0, email=f"left-{i}") for i in range(problem.n_left)]
    for j, mentor in enumerate(mentors):
        mentor.index = j
    for i, mentee in enumerate(mentees):
        mentee.index = i
    demand, capacity = problem.left_demand.tolist(), problem.right_capacity.tolist()

    class ArcScore(rl.Rule):  # type: ignore[misc, name-defined]
        def evaluate(self, match: Any) -> bool:
            return True

        def apply(self, match: Any) -> int:
            return int(weights[arcs[(match.mentee.index, match.mentor.index)]])

    bonus = round(SCORE_SCALE * sum(MM_BONUSES) / MM_MAX_POINTS)
    rules = [
        # Applied last to first (``Match.calculate_match`` pops): the score needs an arc.
        ArcScore(),
        rl.Disqualify(
            lambda match: (
                len(match.mentee.mentors) >= demand[match.mentee.index]
                or len(match.mentor.mentees) >= capacity[match.mentor.index]
            )
        ),
        rl.Disqualify(lambda match: (match.mentee.index, match.mentor.index) not in arcs),
    ]
    all_rules = [[*rules, rl.UnmatchedBonus(bonus)] for _ in range(MM_ROUNDS)]
    mm.process.process_data(mentors, mentees, all_rules)
    chosen, outside = [], 0
    for mentor in mentors:
        for mentee in mentor.mentees:
            k = arcs.get((mentee.index, mentor.index))
            if k is None:
                outside += 1
            else:
                chosen.append(k)
    return chosen, outside


def solve_matching_hr(problem: AssignmentProblem) -> list[int]:
    """matching's HospitalResident, resident-optimal: mentees are residents (one place
    each), mentors hospitals; each ranks by integer weight, ties by the other's index
    (as ``solve_stable``)."""
    if int(problem.left_demand.max(initial=0)) > 1:
        raise ValueError("HospitalResident gives each resident one place; demand is above 1")
    games = _matching_games()
    # Its deepcopy of the players recurses deeply from a few hundred players on.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 200_000))
    weights = problem.integer_weights()
    usable = (problem.left_demand[problem.arc_left] > 0) & (
        problem.right_capacity[problem.arc_right] > 0
    )
    arcs = np.flatnonzero(usable)
    residents: dict[str, list[str]] = {}
    for k in arcs[np.lexsort((problem.arc_right[arcs], -weights[arcs], problem.arc_left[arcs]))]:
        residents.setdefault(f"r{problem.arc_left[k]}", []).append(f"h{problem.arc_right[k]}")
    hospitals: dict[str, list[str]] = {}
    for k in arcs[np.lexsort((problem.arc_left[arcs], -weights[arcs], problem.arc_right[arcs]))]:
        hospitals.setdefault(f"h{problem.arc_right[k]}", []).append(f"r{problem.arc_left[k]}")
    capacities = {h: int(problem.right_capacity[int(h[1:])]) for h in hospitals}
    game = games.HospitalResident.create_from_dictionaries(residents, hospitals, capacities)
    matching = game.solve(optimal="resident")
    index = _arc_index(problem)
    return sorted(
        index[(int(r.name[1:]), int(h.name[1:]))]
        for h, members in matching.items()
        for r in members
    )


# --------------------------------------------------------------------------------------
# The worker: one method on one instance, in its own process
# --------------------------------------------------------------------------------------


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spread(values: npt.NDArray[np.float64]) -> tuple[float | None, float | None]:
    if values.shape[0] == 0:
        return None, None
    return float(values.min()), float(np.percentile(values, 10))


def assignment_metrics(built: Built, chosen: Ints) -> Record:
    problem = built.problem
    left_load = np.bincount(problem.arc_left[chosen], minlength=problem.n_left)
    right_load = np.bincount(problem.arc_right[chosen], minlength=problem.n_right)
    valid = (
        bool((left_load <= problem.left_demand).all())
        and bool((right_load <= problem.right_capacity).all())
        and np.unique(chosen).shape[0] == chosen.shape[0]
    )
    scores = problem.arc_weight[chosen] * built.scale
    worst, p10 = _spread(scores)
    record: Record = {
        "pairs": int(chosen.shape[0]),
        "asked": int(problem.left_demand.sum()),
        "total": float(scores.sum()),
        "total_int": int(problem.integer_weights()[chosen].sum()),
        "worst": worst,
        "p10": p10,
        "unplaced": int(((problem.left_demand > 0) & (left_load == 0)).sum()),
        "blocking": int(blocking_pairs(problem, chosen).shape[0]),
        "valid": valid,
        "digest": hashlib.sha1(np.sort(chosen).tobytes()).hexdigest()[:12],
    }
    if built.mm_points is not None:
        points = built.mm_points[chosen]
        allowed = points[points >= 0].astype(np.float64)
        record["mm_total"] = int(allowed.sum())
        record["mm_worst"] = _spread(allowed)[0]
        record["mm_forbidden"] = int((points < 0).sum())
    return record


def work_assignment(method: str, instance: str, cp_sat_limit: float) -> Record:
    if method == "mentor_match_pure":
        os.environ["PALDITA_NO_NATIVE"] = "1"  # read when munkres first solves
    built = build(instance)
    problem = built.problem
    before = max_rss_mib()
    extra: Record = {}
    tick = time.perf_counter()
    status = "feasible"
    if method in ("pruned_flow", "min_cost_flow", "greedy", "fair", "people"):
        solver: Callable[..., Solution] = {
            "pruned_flow": solve_pruned_flow,
            "people": solve_people_first,
            "min_cost_flow": solve_min_cost_flow,
            "greedy": solve_greedy,
            "fair": solve_fair,
        }[method]
        solution = solver(problem)
        chosen, status = solution.chosen_arcs, solution.status.value
    elif method == "sequential_greedy":
        chosen = solve_sequential_greedy(problem).chosen_arcs
    elif method == "stable":
        chosen = solve_stable(problem).chosen_arcs
    elif method == "cp_sat":
        solution, gap = solve_cp_sat(problem, cp_sat_limit)
        chosen, status = solution.chosen_arcs, solution.status.value
        extra["gap"] = gap
    elif method in ("mentor_match", "mentor_match_pure"):
        if instance == "csl_own":
            arcs, outside = solve_mentor_match_csl(built)
        else:
            arcs, outside = solve_mentor_match(problem)
        chosen = np.array(sorted(arcs), dtype=np.int64)
        extra["outside"] = outside
        extra["kernel"] = munkres_kernel()
    elif method == "matching_hr":
        chosen = np.array(solve_matching_hr(problem), dtype=np.int64)
    else:
        raise ValueError(f"unknown method {method!r}")
    seconds = time.perf_counter() - tick
    return {
        "method": method,
        "instance": instance,
        "status": status,
        "seconds": seconds,
        "build_seconds": built.build_seconds,
        "left": problem.n_left,
        "right": problem.n_right,
        "arcs": problem.n_arcs,
        "peak_mib": max_rss_mib(),
        "before_mib": before,
        **assignment_metrics(built, np.asarray(chosen, dtype=np.int64)),
        **extra,
    }


def solve_networkx_pairs(problem: PairingProblem) -> Ints:
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(problem.n))
    graph.add_edges_from(
        (u, v, {"weight": w, "k": k})
        for k, (u, v, w) in enumerate(
            zip(
                problem.arc_u.tolist(),
                problem.arc_v.tolist(),
                problem.integer_weights().tolist(),
                strict=True,
            )
        )
    )
    cardinality = problem.objective is Objective.COVERAGE
    pairs = nx.max_weight_matching(graph, maxcardinality=cardinality)
    return np.array(sorted(graph.edges[u, v]["k"] for u, v in pairs), dtype=np.int64)


def work_peers(method: str, instance: str) -> Record:
    problem, build_seconds = build_peers(survey_path(int(instance[1:])))
    before = max_rss_mib()
    tick = time.perf_counter()
    status = "optimal"
    if method == "pruned_blossom":
        solution, _ = solve_pruned_blossom_rounds(problem)
        chosen, status = solution.chosen_arcs, solution.status.value
    elif method == "networkx":
        chosen = solve_networkx_pairs(problem)
    else:
        raise ValueError(f"unknown peer method {method!r}")
    seconds = time.perf_counter() - tick
    scores = problem.arc_weight[chosen] * 100
    worst, p10 = _spread(scores)
    return {
        "method": method,
        "instance": instance,
        "status": status,
        "seconds": seconds,
        "build_seconds": build_seconds,
        "left": problem.n,
        "right": problem.n,
        "arcs": problem.n_arcs,
        "peak_mib": max_rss_mib(),
        "before_mib": before,
        "pairs": int(chosen.shape[0]),
        "asked": problem.n // 2,
        "total": float(scores.sum()),
        "total_int": int(problem.integer_weights()[chosen].sum()),
        "worst": worst,
        "p10": p10,
        "unplaced": problem.n - 2 * int(chosen.shape[0]),
        "blocking": int(blocking_edges(problem, chosen).shape[0]),
        "valid": True,
        "digest": hashlib.sha1(np.sort(chosen).tobytes()).hexdigest()[:12],
    }


# --------------------------------------------------------------------------------------
# The runner
# --------------------------------------------------------------------------------------


@dataclass
class Plan:
    """Which methods run on an instance, and for how long at most."""

    instance: str
    methods: list[str]
    timeout: float
    #: Why methods left out of this instance are left out.
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass
class Bench:
    plans: list[Plan]
    repeats: int
    cp_sat_limit: float
    machine: dict[str, str]
    started: datetime
    quick: bool
    runs: list[Record] = field(default_factory=list)
    elapsed: float = 0.0


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from benchmarks.run import machine as described

    found = described()
    for name in ("mentor-match", "matching", "munkres", "networkx"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def bench_installed() -> list[str]:
    """The ``bench`` extra's packages that are missing."""
    from importlib.metadata import PackageNotFoundError, version

    missing = []
    for name in ("mentor-match", "matching", "munkres"):
        try:
            version(name)
        except PackageNotFoundError:
            missing.append(name)
    return missing


def launch(bench: Bench, plan: Plan, method: str, repeat: int) -> Record:
    command = [
        sys.executable,
        "-m",
        "benchmarks.baselines",
        "--worker",
        method,
        "--instance",
        plan.instance,
        "--cp-sat-limit",
        str(bench.cp_sat_limit),
    ]
    load = os.getloadavg()[0]
    base: Record = {"method": method, "instance": plan.instance, "repeat": repeat, "load": load}
    log(f"{plan.instance}: {method} (repeat {repeat}, load {load:.2f}) ...")
    tick = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=plan.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        log(f"  timed out after {plan.timeout:.0f} s")
        return {**base, "failure": f"timed out after {plan.timeout:.0f} s"}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        log(f"  failed: {tail}")
        return {**base, "failure": f"exit {done.returncode}: {tail[:200]}"}
    record: Record = {**base, **json.loads(done.stdout.strip().splitlines()[-1])}
    record["process_seconds"] = time.perf_counter() - tick
    log(
        f"  {record['seconds']:.3f} s (+{record['build_seconds']:.2f} s build), "
        f"{record['pairs']} pairs, total {record['total']:.2f}, peak {record['peak_mib']:.0f} MiB"
    )
    return record


def run(bench: Bench) -> None:
    for plan in bench.plans:
        slow: set[str] = set()
        for repeat in range(1, bench.repeats + 1):
            for method in plan.methods:
                if repeat > 1 and method in slow:
                    continue
                record = launch(bench, plan, method, repeat)
                bench.runs.append(record)
                if "failure" in record or record["seconds"] > SLOW_SECONDS:
                    slow.add(method)


def prepare(sizes: Sequence[int]) -> None:
    from matcher.sample import write_sample

    for size in sizes:
        path = survey_path(size)
        if not path.exists():
            write_sample(path, size=size, seed=0)
            log(f"wrote {path.relative_to(ROOT)}")


def plans_for(quick: bool, sizes: Sequence[int], peer_sizes: Sequence[int]) -> list[Plan]:
    hr_why = "HospitalResident gives each resident one place; here each mentee asks for three"
    if quick:
        few = ["pruned_flow", "cp_sat", "greedy", "sequential_greedy", "mentor_match"]
        return [
            Plan(
                "csl_own", ["pruned_flow", "people", "mentor_match"], 120, {"matching_hr": hr_why}
            ),
            Plan("csl_ours", [*few, "stable", "matching_hr"], 120),
            Plan("p200", list(PEER_METHODS), 120),
        ]
    plans = [
        Plan(
            "csl_own",
            [m for m in ASSIGN_METHODS if m not in ("matching_hr", "fair")],
            600,
            {"matching_hr": hr_why, "fair": "not run: mentor-match's rules, no fair variant"},
        ),
        Plan("csl_ours", list(ASSIGN_METHODS), 600),
    ]
    for size in sizes:
        methods = list(ASSIGN_METHODS)
        skipped: dict[str, str] = {}
        if size > 3_000:
            for m, why in (
                ("cp_sat", "not run above 3,000 people (millions of booleans)"),
                ("mentor_match", "not run above 3,000 people (a Python Match object per "
                 "mentor x mentee pair, per round: tens of millions)"),
                ("mentor_match_pure", "not run above 3,000 people (as mentor_match)"),
            ):  # fmt: skip
                methods.remove(m)
                skipped[m] = why
        plans.append(Plan(f"s{size}", methods, 600, skipped))
    for size in peer_sizes:
        methods = list(PEER_METHODS)
        skipped = {}
        if size > 3_000:
            methods.remove("networkx")
            skipped["networkx"] = "not run on surveys above 3,000 people (pure-Python blossom)"
        plans.append(Plan(f"p{size}", methods, 900, skipped))
    return plans


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def ok(bench: Bench, instance: str, method: str) -> list[Record]:
    return [
        r
        for r in bench.runs
        if r["instance"] == instance and r["method"] == method and "failure" not in r
    ]


def median(runs: list[Record], key: str = "seconds") -> float | None:
    return statistics.median(r[key] for r in runs) if runs else None


def reference(bench: Bench, instance: str) -> Record | None:
    name = "pruned_blossom" if instance.startswith("p") else REFERENCE
    runs = [r for r in ok(bench, instance, name) if r["status"] == "optimal"]
    return runs[0] if runs else None


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _seconds(runs: list[Record]) -> str:
    times = sorted(r["seconds"] for r in runs)
    text = _num(statistics.median(times), 3)
    if len(times) > 1:
        return f"{text} ({_num(times[0], 3)}-{_num(times[-1], 3)}, {len(times)} runs)"
    return f"{text} (1 run)"


def describe_instance(bench: Bench, instance: str) -> str:
    runs = [r for r in bench.runs if r["instance"] == instance and "failure" not in r]
    if not runs:
        return instance
    r = runs[0]
    if instance.startswith("p"):
        size = f"{r['left']:,} peers, {r['arcs']:,} candidate pairs"
    else:
        size = f"{r['left']:,} mentees x {r['right']:,} mentors, {r['arcs']:,} candidate pairs, "
        size += f"{r['asked']:,} places asked"
    what = {
        "csl_own": "mentor-match's CSL sample under mentor-match's own rules (points 0-22)",
        "csl_ours": "mentor-match's CSL sample under our pipeline (data/csl.toml, scores 0-100)",
    }.get(instance)
    if what is None:
        kind = "peer pairs of the" if instance.startswith("p") else "mentoring track of the"
        what = f"{kind} synthetic {int(instance[1:]):,}-person survey (scores 0-100)"
    return f"`{instance}`: {what}; {size}"


def table(bench: Bench, plan: Plan) -> list[str]:
    best = reference(bench, plan.instance)
    ours = median(ok(bench, plan.instance, "pruned_blossom" if plan.instance.startswith("p")
                     else REFERENCE))  # fmt: skip
    has_mm = any("mm_total" in r for r in bench.runs if r["instance"] == plan.instance)
    head = (
        "| method | seconds, median (min-max, runs) | x ours | build s | peak MiB | pairs "
        "| % of optimum | coverage | unplaced | worst | p10 | blocking |"
    )
    rule = "|---|---|---|---|---|---|---|---|---|---|---|---|"
    if has_mm:
        head += " mentor-match points (worst) |"
        rule += "---|"
    lines = ["", f"### {describe_instance(bench, plan.instance)}", "", head, rule]
    for method in plan.methods:
        runs = ok(bench, plan.instance, method)
        if not runs:
            failed = [
                r for r in bench.runs if r["instance"] == plan.instance and r["method"] == method
            ]
            why = failed[0]["failure"] if failed else "not run"
            lines.append(f"| {method} | {why} |" + " |" * (11 if not has_mm else 12))
            continue
        r = runs[0]
        t = median(runs)
        speed = "-" if not ours or t is None else f"{t / ours:,.1f}"
        share = (
            "-" if best is None or not best["total"] else f"{100 * r['total'] / best['total']:.2f}"
        )
        status = "" if r["status"] in ("optimal", "feasible") else f" {r['status']}"
        if r.get("gap"):
            status += f" (gap {r['gap']:.1e})"
        if not r["valid"]:
            status += " INVALID"
        cells = [
            f"{method}{status}",
            _seconds(runs),
            speed,
            _num(median(runs, "build_seconds"), 2),
            _num(max(x["peak_mib"] for x in runs), 0),
            f"{r['pairs']:,}",
            share,
            f"{100 * r['pairs'] / r['asked']:.1f}%" if r["asked"] else "-",
            f"{r['unplaced']:,}",
            _num(r["worst"]),
            _num(r["p10"]),
            f"{r['blocking']:,}",
        ]
        if has_mm:
            mm = f"{r['mm_total']:,} ({_num(r['mm_worst'], 0)})"
            if r.get("mm_forbidden"):
                mm += f", {r['mm_forbidden']} against its rules"
            cells.append(mm)
        lines.append("| " + " | ".join(cells) + " |")
    for method, why in plan.skipped.items():
        lines.append(f"| {method} | {why} |" + " |" * (11 if not has_mm else 12))
    return lines


def _same(bench: Bench, instance: str, a: str, b: str) -> bool | None:
    ra, rb = ok(bench, instance, a), ok(bench, instance, b)
    if not ra or not rb:
        return None
    return bool(ra[0]["digest"] == rb[0]["digest"])


def answer(bench: Bench) -> str:
    """The sentences the page exists for, each computed from the runs."""
    parts: list[str] = []
    sizes = [p.instance for p in bench.plans if p.instance.startswith("s")]
    target = "s500" if "s500" in sizes else (sizes[0] if sizes else None)
    mm, ours, best = None, None, None
    if target is not None:
        mm = ok(bench, target, "mentor_match")
        ours = ok(bench, target, REFERENCE)
        best = reference(bench, target)
    if target and mm and ours and best:
        mm_t, ours_t = median(mm) or 0.0, median(ours) or 0.0
        ours_all = statistics.median(r["seconds"] + r["build_seconds"] for r in ours)
        speed, speed_all = mm_t / ours_t, mm_t / ours_all
        m = mm[0]
        higher_total = best["total"] > m["total"]
        higher_worst = (best["worst"] or 0) > (m["worst"] or 0)
        holds = speed >= 1000 and higher_total and higher_worst
        fair = ok(bench, target, "fair")
        fair_text = ""
        if fair:
            f = fair[0]
            fair_text = (
                f" Our `fair` objective lifts the worst-off pair to {_num(f['worst'])} "
                f"at {100 * f['total'] / best['total']:.2f}% of the optimum total, "
                f"{median(fair) or 0:.3f} s."
            )
        parts.append(
            f"**Target: >= 1000x faster than mentor-match at its 500-person size with a higher "
            f"total and worst-off score: {'holds' if holds else 'does not hold'}.** On the "
            f"{int(target[1:]):,}-person survey mentor-match (three rounds of Hungarian, "
            f"munkres {bench.machine.get('munkres', '?')}) takes {mm_t:.2f} s, our "
            f"`pruned_flow` {ours_t:.4f} s to the proven optimum: {speed:,.0f}x "
            f"({speed_all:,.0f}x counting our scoring, {ours_all:.3f} s, against mentor-match "
            f"scoring through its rule objects). Our total is "
            f"{'higher' if higher_total else 'not higher'} ({best['total']:,.1f} against "
            f"{m['total']:,.1f}: mentor-match reaches {100 * m['total'] / best['total']:.2f}%, "
            f"{m['pairs']:,} of {best['pairs']:,} pairs) and our worst-off pair is "
            f"{'higher' if higher_worst else 'not higher'} ({_num(best['worst'])} against "
            f"{_num(m['worst'])}).{fair_text}"
        )
        pure = ok(bench, target, "mentor_match_pure")
        if pure:
            pt = median(pure) or 0.0
            parts.append(
                f"With munkres' native kernel off mentor-match takes {pt:.2f} s "
                f"({pt / ours_t:,.0f}x ours)."
            )
    own_mm, own_best = ok(bench, "csl_own", "mentor_match"), reference(bench, "csl_own")
    if own_mm and own_best:
        m = own_mm[0]
        parts.append(
            f"On its own 50 x 50 CSL sample and its own rules, mentor-match makes {m['pairs']} "
            f"pairs ({m['unplaced']} mentees without a mentor) worth {m['mm_total']:,} of its "
            f"points; the proven optimum of the same rules makes {own_best['pairs']} pairs "
            f"({own_best['unplaced']} without) worth {own_best['mm_total']:,} points "
            f"({100 * m['mm_total'] / max(own_best['mm_total'], 1):.2f}% reached by "
            f"mentor-match), worst pair {_num(m['mm_worst'], 0)} against "
            f"{_num(own_best['mm_worst'], 0)} points."
        )
        people = ok(bench, "csl_own", "people")
        if people:
            q = people[0]
            parts.append(
                f"Our `people` objective (a first mentor for as many mentees as possible, "
                f"then places, then points) makes {q['pairs']} pairs with {q['unplaced']} "
                f"mentees without a mentor, worth {q['mm_total']:,} points: "
                f"{100 * q['mm_total'] / max(m['mm_total'], 1):.1f}% of mentor-match's, in "
                f"{median(people) or 0:.4f} s against {median(own_mm) or 0:.2f} s."
            )
    for instance in [p.instance for p in bench.plans if p.instance.startswith("s")]:
        best = reference(bench, instance)
        greedy, seq = ok(bench, instance, "greedy"), ok(bench, instance, "sequential_greedy")
        if best and greedy and seq:
            g, s = greedy[0], seq[0]
            parts.append(
                f"At {int(instance[1:]):,} people greedy by score reaches "
                f"{100 * g['total'] / best['total']:.2f}% of the optimum total "
                f"({g['unplaced']} mentees unplaced against {best['unplaced']}; worst pair "
                f"{_num(g['worst'])} against {_num(best['worst'])}), mentee-by-mentee greedy "
                f"{100 * s['total'] / best['total']:.2f}% ({s['unplaced']} unplaced, worst "
                f"{_num(s['worst'])})."
            )
    stable_checks = []
    for plan in bench.plans:
        same = _same(bench, plan.instance, "stable", "matching_hr")
        if same is not None:
            stable_checks.append(f"{plan.instance} {'same' if same else 'DIFFERENT'}")
            r = ok(bench, plan.instance, "matching_hr")[0]
            s = ok(bench, plan.instance, "stable")[0]
            stable_checks[-1] += (
                f" ({median([s]) or 0:.3f} s against {median([r]) or 0:.2f} s, "
                f"{r['blocking']} blocking pairs)"
            )
    if stable_checks:
        parts.append(
            "Our `solve_stable` against matching's HospitalResident (mentee-optimal stable "
            "assignment): " + "; ".join(stable_checks) + "."
        )
    peers = [p.instance for p in bench.plans if p.instance.startswith("p")]
    peer_text = []
    for instance in peers:
        a, b = ok(bench, instance, "pruned_blossom"), ok(bench, instance, "networkx")
        if a and b:
            same_total = a[0]["total_int"] == b[0]["total_int"] and a[0]["pairs"] == b[0]["pairs"]
            peer_text.append(
                f"{a[0]['left']:,} peers: {median(b) or 0:.2f} s against {median(a) or 0:.3f} s "
                f"({(median(b) or 0) / max(median(a) or 1e-9, 1e-9):,.0f}x), "
                f"{'same' if same_total else 'DIFFERENT'} pairs and total"
            )
    if peer_text:
        parts.append("Peer pairs, networkx against pruned_blossom: " + "; ".join(peer_text) + ".")
    return "\n\n".join(parts) if parts else "Not enough runs finished to answer."


def render(bench: Bench) -> str:
    m = bench.machine
    lines = [
        "# Baselines: what coordinators use today against our exact methods",
        "",
        f"Written by `python -m benchmarks.baselines{' --quick' if bench.quick else ''}` on "
        f"{bench.started:%Y-%m-%d %H:%M} UTC (commit `{m['commit']}`"
        + (f", uncommitted: {m['uncommitted']}" if m.get("uncommitted") else "")
        + f"), {bench.elapsed / 60:.0f} min in all.",
        "",
        f"**Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, Python {m['python']}, "
        f"OR-Tools {m['ortools']}, mentor-match {m['mentor-match']}, munkres {m['munkres']}, "
        f"matching {m['matching']}, networkx {m['networkx']}. The machine is shared and noisy: "
        "read each time as about +-30% and compare methods only within this run.",
        "",
        "## Answer",
        "",
        answer(bench),
        "",
        "## Methods",
        "",
        *[f"- `{name}`: {text}" for name, text in DESCRIBE.items()],
        "",
        "## How to read the tables",
        "",
        f"*seconds*: the method alone on the prepared problem, in a fresh process per run "
        f"(median of up to {bench.repeats}; a method whose first run took over "
        f"{SLOW_SECONDS:.0f} s, or failed, runs once). For mentor-match this is its "
        "`process_data`: it scores every mentor x mentee pair through its rule objects, then "
        "runs its Hungarian rounds. *x ours*: seconds over `pruned_flow`'s (peers: "
        "`pruned_blossom`'s) in this run. *build s*: reading and scoring the survey (our "
        "pipeline's CandidateGraph; for `csl_own` the rules above), the same for every method. "
        "*peak MiB*: the process's resident high-water mark, the instance included. "
        "*% of optimum*: total score over the proven optimum's (`pruned_flow`, coverage "
        "first, then total): above 100% where a method fills fewer places than the "
        "optimum (it then has fewer, better pairs). *coverage*: places filled over places "
        "asked (in `csl_own`, three per mentee, mentor-match's three rounds). *unplaced*: "
        "mentees (peers: people) with nobody. *worst*, *p10*: the lowest and 10th-percentile "
        "pair score. *blocking*: candidate pairs who both prefer each other to what they got "
        "(`solvers.stable.blocking_pairs`, both sides ranking by the pair score). "
        f"CP-SAT: limit {bench.cp_sat_limit:.0f} s, {m['nproc']} workers; `timed_out`: no "
        "solution within the limit. *mentor-match points*: each method's pairs scored by "
        "mentor-match's CSL rules (its total, and its worst pair in brackets).",
    ]
    lines += ["", "## Results"]
    for plan in bench.plans:
        lines += table(bench, plan)
    lines += [
        "",
        "## Every run",
        "",
        "| instance | method | repeat | seconds | build s | peak MiB | pairs | total | status "
        "| load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in bench.runs:
        if "failure" in r:
            lines.append(
                f"| {r['instance']} | {r['method']} | {r['repeat']} | {r['failure']} "
                f"| | | | | | {r['load']:.2f} |"
            )
            continue
        kernel = f", munkres {r['kernel']}" if r.get("kernel") else ""
        lines.append(
            f"| {r['instance']} | {r['method']} | {r['repeat']} | {r['seconds']:.4f} "
            f"| {r['build_seconds']:.2f} | {r['peak_mib']:.0f} | {r['pairs']:,} "
            f"| {r['total']:,.2f} | {r['status']}{kernel} | {r['load']:.2f} |"
        )
    lines += [
        "",
        "Reproduce: `pip install -e '.[dev,bench]'`, then `python -m benchmarks.baselines` "
        "(`--quick` for a harness check; `--raw FILE` keeps every record, `--from-raw FILE` "
        "re-renders this page).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baselines", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 2_600, 13_000])
    parser.add_argument("--peer-sizes", type=int, nargs="*", default=[500, 2_600, 13_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cp-sat-limit", type=float, default=60.0)
    parser.add_argument("--out", type=Path, help=f"default {RESULTS.name}")
    parser.add_argument("--raw", type=Path, help="also write every run as JSON here")
    parser.add_argument("--from-raw", type=Path, help="re-render a --raw file; run nothing")
    parser.add_argument("--quick", action="store_true", help="small instances, one repeat")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker is not None:
        if args.instance is None:
            parser.error("--worker needs --instance")
        if args.instance.startswith("p"):
            record = work_peers(args.worker, args.instance)
        else:
            record = work_assignment(args.worker, args.instance, args.cp_sat_limit)
        print(json.dumps(record))
        return 0

    if args.from_raw is not None:
        document = json.loads(args.from_raw.read_text(encoding="utf-8"))
        document["plans"] = [Plan(**p) for p in document["plans"]]
        document["started"] = datetime.fromisoformat(document["started"])
        bench = Bench(**document)
        (args.out or RESULTS).write_text(render(bench), encoding="utf-8")
        return 0

    if not CSL_MENTEES.exists():
        parser.error(f"{CSL_MENTEES} is missing (the shared real data)")
    missing = bench_installed()
    if missing:
        log(f"note: {', '.join(missing)} not installed (pip install -e '.[bench]'); "
            "those methods will fail")  # fmt: skip
    sizes = [] if args.quick else args.sizes
    peer_sizes = [200] if args.quick else args.peer_sizes
    prepare(sorted({*sizes, *peer_sizes}))
    bench = Bench(
        plans=plans_for(args.quick, sizes, peer_sizes),
        repeats=1 if args.quick else args.repeats,
        cp_sat_limit=10.0 if args.quick else args.cp_sat_limit,
        machine=machine(),
        started=datetime.now(UTC),
        quick=args.quick,
    )
    tick = time.perf_counter()
    run(bench)
    bench.elapsed = time.perf_counter() - tick
    if args.raw is not None:
        document = {**asdict(bench), "started": bench.started.isoformat()}
        args.raw.write_text(json.dumps(document, indent=1), encoding="utf-8")
    out: Path = args.out or (WORK / "RESULTS-quick.md" if args.quick else RESULTS)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(bench), encoding="utf-8")
    log(f"wrote {out}")
    invalid = [r for r in bench.runs if "failure" not in r and not r["valid"]]
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
