"""Solving off the event loop: one bounded pool of worker threads shared by the
synchronous endpoints and the stored runs, optionally solver processes for the
synchronous matches, and the work a request or a run does in them.

Capacity: at most ``max_workers`` solves run at once and ``max_queue`` more wait for a
worker; a request beyond that is refused at once (``BusyError``), never left hanging.
With ``processes`` > 0 the synchronous matches run in that many solver processes fed
from one queue: only bytes cross (the request body in, the response body out), and
whichever process is free takes the next request, so no client waits behind a busy
process while another idles (uvicorn's several server processes split connections, not
requests, and one of two held 18 of 20 connections in the load test).

Logs name runs, counts and exception types with their stack frames, never an answer
from a survey (demographic attributes included) and never an exception's message,
which may quote one.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import multiprocessing
import os
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from matcher.config import ConfigError, ProgramConfig
from matcher.control import build_control
from matcher.intake import InputError, Survey, load_survey
from matcher.intake.normalize import key
from matcher.models import Issue, MatchResult, Participant, Severity
from matcher.output import pairs_csv, participant_rows, render
from matcher.pipeline import Progress, RunOutput, match
from matcher.store import Store, StoredFile
from solvers import parallel
from solvers.objectives import GOALS

log = logging.getLogger("matcher.api")

T = TypeVar("T")

#: A response computed away from the event loop: status, body, media type.
Answer = tuple[int, bytes, str]
JSON = "application/json"


class SolverDiedError(RuntimeError):
    """A solver process ended without answering (killed, out of memory); the pool is
    replaced, so the next request is served."""


def tune_gc() -> None:
    """For a long-lived server process: move what is loaded now (modules, the app) out
    of the collector's sight and collect the young generation less often. A 200-person
    match makes about 20,000 short-lived objects and the cyclic collector walked the
    whole heap for them: the mean request took 34 ms instead of 26 in process."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _solver_started() -> None:
    """Initializer of each solver process: load the pipeline once, then tune the GC.

    There is a solver process per core already, so each runs its blocks on one thread
    (``solvers.parallel``) unless the operator set ``COHORT_MATCHER_THREADS``."""
    os.environ.setdefault(parallel.ENV, "1")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    import matcher.pipeline  # noqa: F401  (imported for its start-up cost)

    tune_gc()


def _ready() -> int:
    return os.getpid()


class BusyError(Exception):
    """Every worker is busy and the queue is full: try again later."""


class Slot:
    """A place in the pool, taken before the work is known; released exactly once."""

    def __init__(self, workers: Workers) -> None:
        self._workers = workers
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._workers._give_back()


class Workers:
    """A thread pool with admission control: ``max_workers`` run, ``max_queue`` wait;
    with ``processes``, solver processes for the work given to ``isolated``."""

    def __init__(self, max_workers: int, max_queue: int, processes: int = 0) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="solver")
        self.processes = processes
        self.limit = max(max_workers, processes) + max_queue
        self._taken = 0
        self._lock = threading.Lock()
        self._solvers = self._new_solvers() if processes else None

    def _new_solvers(self) -> ProcessPoolExecutor:
        # Spawned, not forked: the server has threads running (the loop, the pool).
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_solver_started,
        )

    async def start_solvers(self) -> None:
        """Start every solver process now (each loads the pipeline, about a second), so
        the first requests do not pay for it."""
        if self._solvers is None:
            return
        loop = asyncio.get_running_loop()
        pending = [loop.run_in_executor(self._solvers, _ready) for _ in range(self.processes)]
        await asyncio.gather(*pending)

    async def isolated(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in a solver process when there are any, else on a worker
        thread; ``work`` must be a module-level function of picklable arguments."""
        if self._solvers is None:
            return await self.call(lambda: work(*args))
        slot = self.reserve()
        try:
            solvers, future = self._submit(work, *args)
        except BaseException:
            slot.release()
            raise
        future.add_done_callback(lambda _: slot.release())
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._renew(solvers)
            raise SolverDiedError("a solver process ended without answering") from None

    def _submit(self, work: Callable[..., T], *args: Any) -> tuple[ProcessPoolExecutor, Future[T]]:
        """Submit to the solver processes; a pool found broken (a process died while
        idle) is replaced and the work, not yet started, submitted again."""
        for _ in range(2):
            solvers = self._solvers
            assert solvers is not None
            try:
                return solvers, solvers.submit(work, *args)
            except BrokenProcessPool:
                self._renew(solvers)
        raise SolverDiedError("the solver processes keep ending")

    def _renew(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._solvers is broken:
                self._solvers = self._new_solvers()
        broken.shutdown(wait=False, cancel_futures=True)

    @property
    def in_flight(self) -> int:
        """Solves running or waiting."""
        with self._lock:
            return self._taken

    def reserve(self) -> Slot:
        """A place for one solve, or ``BusyError`` when workers and queue are all taken."""
        with self._lock:
            if self._taken >= self.limit:
                raise BusyError(f"all {self.limit} places (running and queued) are taken")
            self._taken += 1
        return Slot(self)

    def _give_back(self) -> None:
        with self._lock:
            self._taken -= 1

    def start(self, slot: Slot, work: Callable[[], T]) -> Future[T]:
        """Run ``work`` on a worker thread; its slot is released when it ends."""

        def task() -> T:
            try:
                return work()
            finally:
                slot.release()

        try:
            future = self._pool.submit(task)
        except RuntimeError:  # the pool is shutting down
            slot.release()
            raise
        future.add_done_callback(lambda f: slot.release() if f.cancelled() else None)
        return future

    async def call(self, work: Callable[[], T]) -> T:
        """Run ``work`` in the pool and await its result without blocking the loop."""
        return await asyncio.wrap_future(self.start(self.reserve(), work))

    def shutdown(self) -> None:
        """Cancel what has not started; wait for the solves already running."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._solvers is not None:
            self._solvers.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class Limits:
    max_participants: int
    time_limit: float | None


def log_internal(exc: BaseException, where: str) -> str:
    """Log an unexpected failure (type and stack frames, not the message, which may
    quote an answer); return the reference given to the client."""
    reference = uuid.uuid4().hex[:12]
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("internal error %s in %s: %s\n%s", reference, where, type(exc).__name__, frames)
    return reference


def issue(file: str, message: str) -> Issue:
    return Issue(severity=Severity.ERROR, file=file, message=message)


def issues_json(issues: Sequence[Issue]) -> list[dict[str, Any]]:
    """The located problems, as the 422 ``detail`` and a failed run's ``error``."""
    return [i.model_dump(mode="json") for i in issues]


def load_config(upload: StoredFile | None, objective: str | None = None) -> ProgramConfig:
    """The program config from an uploaded TOML file (defaults without one), with the
    objective override; every problem as an ``InputError`` naming the uploaded file."""
    if objective is not None and objective not in GOALS:
        raise InputError([issue("objective", f"{objective!r}: expected one of {', '.join(GOALS)}")])
    if upload is None:
        config = ProgramConfig()
    else:
        with tempfile.TemporaryDirectory(prefix="cohort-matcher-") as tmp:
            path = Path(tmp) / "config.toml"
            path.write_bytes(upload.content)
            try:
                config = ProgramConfig.load(path)
            except ConfigError as exc:
                raise InputError([issue(upload.name, _unprefixed(str(exc), str(path)))]) from None
    return config_with_objective(config, objective)


def config_from_json(raw: dict[str, Any] | None, objective: str | None = None) -> ProgramConfig:
    """The program config given as JSON (the TOML's tables as objects)."""
    if objective is not None and objective not in GOALS:
        raise InputError([issue("objective", f"{objective!r}: expected one of {', '.join(GOALS)}")])
    from pydantic import ValidationError

    try:
        config = ProgramConfig.model_validate(raw or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InputError([issue("config", problems)]) from None
    return config_with_objective(config, objective)


def config_with_objective(config: ProgramConfig, objective: str | None) -> ProgramConfig:
    try:
        return config.with_objective(objective)
    except ConfigError as exc:
        raise InputError([issue("objective", str(exc))]) from None


def _unprefixed(message: str, path: str) -> str:
    return message.removeprefix(f"{path}: ")


def _renamed(item: Issue, names: dict[str, str]) -> Issue:
    """The issue with temporary paths replaced by the names the files were uploaded as."""
    file, message = item.file, item.message
    for path, name in names.items():
        file = file.replace(path, name)
        message = message.replace(path, name)
    if (file, message) == (item.file, item.message):
        return item
    return item.model_copy(update={"file": file, "message": message})


def _safe_name(name: str, fallback: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else fallback


@dataclass(frozen=True)
class History:
    """A program's accepted rounds: pairs not to repeat, people to favour."""

    paired_before: list[tuple[str, str]]
    unmatched_before: set[str]


def solve(
    inputs: Sequence[StoredFile],
    config: ProgramConfig,
    limits: Limits,
    *,
    history: History | None = None,
    progress: Progress | None = None,
) -> RunOutput:
    """Read the uploaded surveys (and pins and forbids), then match: the same steps as
    ``matcher.pipeline.run``, with the uploaded names in every message and the
    program's accepted rounds as history. Bad input raises ``InputError``."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cohort-matcher-") as tmp:
        paths: dict[str, list[Path]] = {"survey": [], "pins": [], "forbids": []}
        names: dict[str, str] = {}
        for index, item in enumerate(inputs):
            if item.kind not in paths:
                continue
            folder = Path(tmp) / str(index)
            folder.mkdir()
            name = _safe_name(item.name, f"{item.kind}-{index + 1}.csv")
            path = folder / name
            path.write_bytes(item.content)
            paths[item.kind].append(path)
            names[str(path)] = item.name or name
        try:
            survey = load_survey(paths["survey"], config)
            people = survey.participants
            if len(people) > limits.max_participants:
                raise InputError([issue(
                    ", ".join(str(p) for p in paths["survey"]),
                    f"{len(people)} participants; this service matches at most "
                    f"{limits.max_participants} at once",
                )])  # fmt: skip
            control = build_control(config, people, pins=paths["pins"], forbids=paths["forbids"])
            if history is not None:
                current = {key(p.id): p.id for p in people}
                control = replace(
                    control,
                    paired_before=[
                        (current[key(a)], current[key(b)])
                        for a, b in history.paired_before
                        if key(a) in current and key(b) in current
                    ],
                    unmatched_before=frozenset(
                        current[key(i)] for i in history.unmatched_before if key(i) in current
                    ),
                    unmatched_bonus=config.control.unmatched_bonus,
                )
            read_s = time.perf_counter() - started
            output = match(
                survey,
                config,
                time_limit=limits.time_limit,
                progress=progress or (lambda _: None),
                control=control,
            )
        except InputError as exc:
            raise InputError([_renamed(i, names) for i in exc.issues]) from None
    result = output.result
    result.warnings = [_renamed(i, names) for i in result.warnings]
    result.summary.stage_seconds = {"read": round(read_s, 4), **result.summary.stage_seconds}
    return output


def solve_people(survey: Survey, config: ProgramConfig, limits: Limits) -> RunOutput:
    """Match people given as JSON (already canonical): the config's pins and forbids,
    then ``matcher.pipeline.match``."""
    control = build_control(config, survey.participants)
    return match(survey, config, time_limit=limits.time_limit, control=control)


class MatchRequest(BaseModel):
    """People already in the canonical shape (ARCHITECTURE.md) and the program config
    as JSON (the TOML file's tables as objects; omitted keys take their defaults)."""

    participants: list[Participant]
    config: dict[str, Any] | None = Field(
        None, description='A ProgramConfig as JSON, e.g. {"rules": {"min_seniority_gap": 1}}.'
    )
    objective: str | None = Field(
        None, description="coverage | total | fair | stable: overrides mentoring.objective."
    )


def validation_issues(
    errors: Sequence[Any], where: str = "request body", skip: int = 0
) -> list[Issue]:
    """Pydantic's errors as located issues: ``where`` as the file, the field path as
    the column (``skip`` leading parts of it dropped, e.g. FastAPI's ``body``)."""
    issues = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())][skip:]
        value = error.get("input")
        issues.append(Issue(
            severity=Severity.ERROR, file=where, column=".".join(loc) or None,
            value=str(value) if isinstance(value, str | int | float | bool) else None,
            message=error.get("msg", "invalid"),
        ))  # fmt: skip
    return issues


#: The largest count (capacity, demand, commitments, places per kind) a person may give
#: as JSON: far beyond any program, and small enough that every sum stays exact in 64-bit
#: integers (schemathesis sent a demand of 2e36, which overflowed the solver's arrays).
MAX_COUNT = 1_000_000


def _counts(person: Participant) -> dict[str, int]:
    counts = {
        name: value
        for name, value in (
            ("capacity", person.capacity),
            ("demand", person.demand),
            ("commitments", person.commitments),
            ("seniority", person.seniority),
        )
        if value is not None
    }
    counts |= {f"category_demand.{k}": v for k, v in person.category_demand.items()}
    counts |= {f"category_capacity.{k}": v for k, v in person.category_capacity.items()}
    return counts


def check_people(people: Sequence[Participant], limits: Limits) -> None:
    """The participant limit, unique ids (case-insensitive, as intake compares) and
    counts in 0..``MAX_COUNT`` (intake caps a survey's; JSON people skip intake)."""
    problems: list[Issue] = []
    if len(people) > limits.max_participants:
        problems.append(issue(
            "participants",
            f"{len(people)} participants; this service matches at most "
            f"{limits.max_participants} at once",
        ))  # fmt: skip
    seen: set[str] = set()
    for index, person in enumerate(people):
        if person.id.casefold() in seen:
            problems.append(Issue(
                severity=Severity.ERROR, file="request body", column=f"participants[{index}].id",
                value=person.id, message="duplicate id: every participant needs their own",
            ))  # fmt: skip
        seen.add(person.id.casefold())
        for field, value in _counts(person).items():
            if not 0 <= value <= MAX_COUNT:
                problems.append(Issue(
                    severity=Severity.ERROR, file="request body",
                    column=f"participants[{index}].{field}", value=str(value),
                    message=f"expected a whole number from 0 to {MAX_COUNT}",
                ))  # fmt: skip
    if problems:
        raise InputError(problems)


def _refused(issues: Sequence[Issue]) -> Answer:
    return 422, json.dumps({"detail": issues_json(issues)}).encode(), JSON


def _failed(exc: BaseException, where: str) -> Answer:
    reference = log_internal(exc, where)
    detail = f"internal error (reference {reference}); nothing was changed"
    return 500, json.dumps({"detail": detail}).encode(), JSON


def match_body(body: bytes, limits: Limits) -> Answer:
    """``POST /v1/match`` from the body's bytes to the response's: validated by
    pydantic straight from JSON, matched, serialised once by the result's model. Bytes
    in and out, so it runs as well in a solver process as on a worker thread."""
    try:
        try:
            request = MatchRequest.model_validate_json(body)
        except ValidationError as exc:
            return _refused(validation_issues(exc.errors()))
        try:
            config = config_from_json(request.config, request.objective)
            check_people(request.participants, limits)
            output = solve_people(
                Survey(participants=request.participants, warnings=[]), config, limits
            )
        except InputError as exc:
            return _refused(exc.issues)
        return 200, output.result.model_dump_json().encode(), JSON
    except Exception as exc:  # answered as a 500 with a reference, logged without text
        return _failed(exc, "POST /v1/match")


def match_files(
    surveys: Sequence[StoredFile],
    config_file: StoredFile | None,
    objective: str | None,
    limits: Limits,
    as_csv: bool,
) -> Answer:
    """``POST /v1/match/csv``: the uploads read as ``cohort-match run`` reads them,
    then JSON back, or pairs.csv when the client accepts it."""
    try:
        try:
            output = solve(surveys, load_config(config_file, objective), limits)
        except InputError as exc:
            return _refused(exc.issues)
        if as_csv:
            return 200, pairs_csv(output.result).encode(), "text/csv; charset=utf-8"
        return 200, output.result.model_dump_json().encode(), JSON
    except Exception as exc:
        return _failed(exc, "POST /v1/match/csv")


def unmatched_ids(result: MatchResult, people: Sequence[Participant]) -> list[str]:
    """People with no partner and no circle at all (an empty ``matched_with`` in
    participants.csv): the ones a next round favours."""
    rows = participant_rows(result, people, 0, 0)
    return [str(row[0]) for row in rows if not row[5]]


def execute_run(store: Store, run_id: str, limits: Limits, history: History) -> None:
    """A stored run from start to end, on a worker thread: inputs and config from the
    store, results (every rendered file, summary, result JSON, pairs, unmatched) back
    into it; bad input or a failure marks the run failed with the reason."""
    started = time.perf_counter()
    store.set_status(run_id, "running", progress="started")
    try:
        raw = store.get_config(run_id)
        config = ProgramConfig.model_validate(raw or {})
        output = solve(
            store.get_inputs(run_id),
            config,
            limits,
            history=history,
            progress=lambda line: store.set_status(run_id, "running", progress=line),
        )
        result = output.result
        files = {
            name: content if isinstance(content, bytes) else content.encode("utf-8")
            for name, content in render(result, output.participants, config).items()
        }
        summary = {
            "program": config.name,
            **result.summary.model_dump(mode="json"),
            "unmatched": len(result.unmatched),
            "warnings": len(result.warnings),
        }
        store.save_results(
            run_id,
            summary=summary,
            result=result.model_dump(mode="json"),
            files=files,
            pairs=[(c.track, p.a, p.b) for c in result.cohorts for p in c.pairs],
            unmatched=unmatched_ids(result, output.participants),
        )
    except InputError as exc:
        log.info("run %s refused: %d problem(s) in its input", run_id, len(exc.issues))
        store.set_status(
            run_id, "failed", progress="bad input: nothing matched", error=issues_json(exc.issues)
        )
        return
    except Exception as exc:  # the worker's boundary: log it, and the run says it failed
        reference = log_internal(exc, f"run {run_id}")
        store.set_status(
            run_id,
            "failed",
            progress="internal error",
            error=[{
                "severity": "error", "file": None, "row": None, "column": None, "value": None,
                "message": f"internal error (reference {reference}); the run was not completed",
            }],
        )  # fmt: skip
        return
    log.info("run %s done in %.1f s", run_id, time.perf_counter() - started)
