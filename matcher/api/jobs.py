"""Solving off the event loop: one bounded pool of worker threads shared by the
synchronous endpoints and the stored runs, and the work a request or a run does in it.

Capacity: at most ``max_workers`` solves run at once and ``max_queue`` more wait for a
worker; a request beyond that is refused at once (``BusyError``), never left hanging.

Logs name runs, counts and exception types with their stack frames, never an answer
from a survey (demographic attributes included) and never an exception's message,
which may quote one.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from matcher.config import ConfigError, ProgramConfig
from matcher.control import build_control
from matcher.intake import InputError, Survey, load_survey
from matcher.intake.normalize import key
from matcher.models import Issue, MatchResult, Participant, Severity
from matcher.output import participant_rows, render
from matcher.pipeline import Progress, RunOutput, match
from matcher.store import Store, StoredFile
from solvers.objectives import GOALS

log = logging.getLogger("matcher.api")

T = TypeVar("T")


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
    """A thread pool with admission control: ``max_workers`` run, ``max_queue`` wait."""

    def __init__(self, max_workers: int, max_queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="solver")
        self.limit = max_workers + max_queue
        self._taken = 0
        self._lock = threading.Lock()

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
