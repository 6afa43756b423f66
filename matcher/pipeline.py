"""The one function every face calls: survey files and a config in, a MatchResult out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matcher.circles import circles_track
from matcher.config import PAIR_TRACKS, ProgramConfig
from matcher.control import Control, Pin, build_control
from matcher.diagnose import SolvedPeers, SolvedTrack
from matcher.intake import Survey, load_survey
from matcher.intake.reader import InputError
from matcher.memory import return_freed_arrays
from matcher.models import (
    Alternate,
    Circle,
    Cohort,
    Fix,
    MatchResult,
    Participant,
    Role,
    Summary,
    TopicBalance,
    TrackSummary,
    Unmatched,
)
from matcher.tracks import (
    BIPARTITE_ROLES,
    Budget,
    Stages,
    TrackResult,
    bipartite_track,
    peer_track,
)
from solvers.parallel import run_threads

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunOutput:
    """What a run produced: the result and the people it was computed for; with
    ``keep_tracks``, each track of pairs as solved (for "why not X" re-solves)."""

    result: MatchResult
    participants: list[Participant]
    solved: dict[str, SolvedTrack | SolvedPeers] = field(default_factory=dict)


def _silent(_: str) -> None:
    return None


def run(
    surveys: Sequence[Path],
    config: ProgramConfig,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    progress: Progress = _silent,
    keep_tracks: bool = False,
    pins: Sequence[Path] = (),
    forbids: Sequence[Path] = (),
    history: Sequence[Path] = (),
) -> RunOutput:
    """Read the surveys (and the coordinator's pins, forbids and history files), then
    score, solve and explain every track."""
    return_freed_arrays()
    started = time.perf_counter()
    progress(f"reading {len(surveys)} file(s)")
    with run_threads():  # the run's settings (no cyclic GC) from the first row read
        survey = load_survey(surveys, config)
        control = build_control(
            config, survey.participants, pins=pins, forbids=forbids, history=history
        )
        read_s = time.perf_counter() - started
        output = match(
            survey, config, time_limit=time_limit, seed=seed, progress=progress,
            keep_tracks=keep_tracks, control=control,
        )  # fmt: skip
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
    keep_tracks: bool = False,
    control: Control | None = None,
) -> RunOutput:
    """Score, solve and explain every track, in the configured order (the Python API).

    ``control`` (``matcher.control.build_control``): pins, forbids and history.

    ``keep_tracks`` keeps each bipartite track's candidate graph and solution in the
    output (memory follows the candidate graphs), for ``matcher.diagnose.why_not``.
    """
    return_freed_arrays()
    people = survey.participants
    control = control or Control()
    _check_pins(control, people, config)
    budget = Budget.of(people, config.tracks.default_commitments, control)
    stages = Stages(progress)
    cohorts: list[Cohort] = []
    unmatched: list[Unmatched] = []
    summaries: list[TrackSummary] = []
    circles: list[Circle] = []
    alternates: list[Alternate] = []
    fixes: list[Fix] = []
    topics: list[TopicBalance] = []
    solved: dict[str, SolvedTrack | SolvedPeers] = {}
    for track in config.tracks.order:
        if not getattr(config.tracks, track).enabled:
            continue
        with run_threads():
            outcome = _run_track(
                track, people, config.for_track(track), budget, stages, time_limit, seed
            )
        if outcome is None:
            continue
        cohorts.extend(outcome.cohorts)
        circles.extend(outcome.circles)
        unmatched.extend(outcome.unmatched)
        summaries.append(outcome.summary)
        alternates.extend(outcome.alternates)
        fixes.extend(outcome.fixes)
        topics.extend(outcome.topics)
        if keep_tracks and outcome.solved is not None:
            solved[track] = outcome.solved
    missed = [pin for k, pin in enumerate(control.pins) if k not in budget.pins_made]
    if missed:
        raise _unmade(missed, "no commitments left for it after the earlier tracks")
    summary = Summary(
        people=len(people),
        pairs=sum(s.pairs for s in summaries if s.track != "circles"),
        tracks=summaries,
        stage_seconds=stages.seconds,
    )
    result = MatchResult(
        cohorts=cohorts,
        circles=circles,
        unmatched=unmatched,
        summary=summary,
        warnings=survey.warnings,
        alternates=alternates,
        fixes=fixes,
        topics=topics,
    )
    return RunOutput(result=result, participants=people, solved=solved)


def _unmade(pins: Sequence[Pin], why: str) -> InputError:
    return InputError([
        pin.where.model_copy(update={"value": f"{pin.a} - {pin.b}", "message": f"pin: {why}"})
        for pin in pins
    ])  # fmt: skip


def _check_pins(control: Control, people: Sequence[Participant], config: ProgramConfig) -> None:
    """Before any solving: every pin has a track that runs with its two people on
    opposite sides (by their roles)."""
    roles = {p.id: set(p.roles) for p in people}
    running = [t for t in config.tracks.order if getattr(config.tracks, t).enabled]
    sides = {track: BIPARTITE_ROLES.get(track, (Role.PEER, Role.PEER)) for track in PAIR_TRACKS}
    bad = []
    for pin in control.pins:
        tracks = [t for t in running if t in PAIR_TRACKS and pin.track in (None, t)]
        if not any(
            (ask in roles[x] and offer in roles[y])
            for t in tracks
            for ask, offer in [sides[t]]
            for x, y in ((pin.a, pin.b), (pin.b, pin.a))
        ):
            bad.append(pin)
    if bad:
        where = f"the {bad[0].track} track" if bad[0].track else "any track that runs"
        raise _unmade(bad, f"the two are not on opposite sides of {where} (check their roles)")


def _run_track(
    track: str,
    people: list[Participant],
    config: ProgramConfig,
    budget: Budget,
    stages: Stages,
    time_limit: float | None,
    seed: int,
) -> TrackResult | None:
    if track == "circles":
        return circles_track(people, config, budget, stages, time_limit=time_limit, seed=seed)
    if track in BIPARTITE_ROLES:
        return bipartite_track(
            track, people, config, budget, stages, time_limit=time_limit, seed=seed
        )
    return peer_track(people, config, budget, stages, time_limit=time_limit, seed=seed)
