"""`cohort-match`: a thin face over ``matcher.pipeline``. Exit codes: 0 success, 1 bad
input (the message names file, row and column), 2 usage errors."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec

import typer

from matcher.config import ConfigError, ProgramConfig
from matcher.diagnose import PersonError, RunRecordError, explain_instead
from matcher.intake import InputError, load_survey
from matcher.models import Issue, MatchResult, Severity
from matcher.output import OutputError, render, run_record, write_results
from matcher.pipeline import run as run_pipeline
from solvers.objectives import GOALS

app = typer.Typer(
    name="cohort-match",
    help="Mentorship matching by optimisation: survey in, explained cohorts out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Surveys = Annotated[
    list[Path], typer.Argument(help="Survey exports (CSV or XLSX); several forms allowed.")
]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Program config (TOML).")]


ObjectiveOption = Annotated[
    str | None,
    typer.Option(
        help="coverage | total | fair | stable; overrides the config's mentoring.objective."
    ),
]


PinsOption = Annotated[
    list[Path] | None,
    typer.Option(help="CSV of pairs that must be made: columns a, b, optional track. Repeatable."),
]
ForbidsOption = Annotated[
    list[Path] | None,
    typer.Option(help="CSV of pairs never to make: columns a, b, optional track. Repeatable."),
]
HistoryOption = Annotated[
    list[Path] | None,
    typer.Option(
        help="An earlier round's pairs.csv: no pair is repeated, and people it left "
        "unmatched (its participants.csv) are favoured. Repeatable."
    ),
]


def _with_objective(program: ProgramConfig, objective: str | None) -> ProgramConfig:
    if objective is not None and objective not in GOALS:
        raise typer.BadParameter(
            f"{objective!r}: expected one of {', '.join(GOALS)}", param_hint="--objective"
        )
    try:
        return program.with_objective(objective)
    except ConfigError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None


def _err(text: str) -> None:
    typer.echo(text, err=True)


#: Exit code of a run stopped by Ctrl-C (SIGINT), as shells report an interrupted command.
INTERRUPTED = 130

P = ParamSpec("P")


def _interruptible(command: Callable[P, None]) -> Callable[P, None]:
    """Ctrl-C during a command that writes results: one plain line and exit 130 instead
    of click's bare "Aborted!" and exit 1 (our bad-input code). Nothing is half-written:
    ``write_results`` removes its staging folder on the way out."""

    @functools.wraps(command)
    def interruptible(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except KeyboardInterrupt:
            _err("interrupted: nothing written; earlier results are untouched")
            raise typer.Exit(INTERRUPTED) from None

    return interruptible


def _load_config(path: Path | None) -> ProgramConfig:
    try:
        return ProgramConfig.load(path)
    except ConfigError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None


def _write(out: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write a results folder atomically, or exit 1 saying why."""
    try:
        return write_results(out, files)
    except (OutputError, OSError) as exc:
        _err(f"error: cannot write results: {exc}")
        raise typer.Exit(1) from None


def _refuse(exc: InputError, surveys: Sequence[Path] = ()) -> NoReturn:
    """Print every problem of the input, located, and exit 1: nothing is written."""
    _print_issues(exc.issues)
    errors = sum(1 for i in exc.issues if i.severity is Severity.ERROR)
    survey_files = {str(p) for p in surveys}
    in_surveys = all(issue.file in survey_files for issue in exc.issues)
    hint = " Run `cohort-match validate` to list them." if in_surveys else ""
    _err(f"{errors} error(s): nothing written.{hint}")
    raise typer.Exit(1)


def _print_issues(issues: list[Issue]) -> None:
    for issue in issues:
        _err(str(issue))


#: How each track names the people who ask and who offer.
_NOUNS = {
    "mentoring": ("mentees", "mentors", "mentor places"),
    "reverse": ("learners", "reverse mentors", "reverse-mentor places"),
    "peer": ("peers", "peers", "peer places"),
    "circles": ("members", "circles", "circle places"),
}


def _print_diagnosis(result: MatchResult, track: str) -> None:
    """The track's goal topics short of places, and its best fix, in one line each."""
    topics = [t for t in result.topics if t.track == track]
    short = [t for t in topics if t.short]
    if short:
        worst = ", ".join(f"{t.topic} ({t.capacity} places for {t.demand})" for t in short[:3])
        typer.echo(f"  goal topics short of places: {len(short)} of {len(topics)}, e.g. {worst}")
    fixes = [f for f in result.fixes if f.track == track]
    if fixes:
        typer.echo(
            f"  fixes found: {len(fixes)}; best: {fixes[0].change} "
            f"({fixes[0].placed} more place(s) filled)"
        )


def _print_summary(result: MatchResult, files: int, warnings: int, written: list[Path]) -> None:
    s = result.summary
    typer.echo(f"read {s.people} people from {files} file(s); {warnings} warning(s)")
    if not s.tracks:
        typer.echo("no track had people on both sides: nothing to match")
    for t in s.tracks:
        askers, offerers, places = _NOUNS[t.track]
        sides = (
            f"{t.left} {askers}"
            if t.track == "peer"
            else (f"{t.left} {askers}, {t.right} {offerers}")
        )
        if t.track == "circles":
            fit = f" (mean fit {t.mean_score:.1f})" if t.pairs else ""
            typer.echo(
                f"[circles] {t.left} members: {t.right} circles formed{fit}; "
                f"{t.left_matched} placed, {t.left_unmatched} not"
            )
            for reason, count in t.unmatched_reasons.items():
                typer.echo(f"  {count:>5}  {reason}")
            gap = f", gap {t.solver.gap:.2%}" if t.solver.gap else ""
            typer.echo(f"  solver: {t.solver.method}, {t.solver.status}{gap}")
            continue
        score = (
            f" (mean score {t.mean_score:.1f}, p10 {t.p10_score:.1f}, lowest {t.min_score:.1f})"
            if t.pairs and t.p10_score is not None
            else ""
        )
        typer.echo(
            f"[{t.track}] {sides}: pairs made: {t.pairs}{score}; "
            f"{t.demand_met} of {t.demand_total} requested {places} filled"
            + (f" ({t.coverage:.0%})" if t.coverage is not None else "")
        )
        typer.echo(f"  {askers} matched: {t.left_matched}, unmatched: {t.left_unmatched}")
        if t.blocking_pairs is not None:
            typer.echo(f"  blocking pairs (both would rather have each other): {t.blocking_pairs}")
        if t.unmatched_reasons:
            typer.echo(f"  {askers} short of what they asked for, by reason:")
        for reason, count in t.unmatched_reasons.items():
            typer.echo(f"  {count:>5}  {reason}")
        gap = f", gap {t.solver.gap:.2%}" if t.solver.gap else ""
        typer.echo(
            f"  objective {t.objective}; solver: {t.solver.method}, {t.solver.status}{gap}, "
            f"{t.candidate_pairs} candidate pairs"
        )
        if t.disabled_components:
            typer.echo(f"  components without data (weight 0): {', '.join(t.disabled_components)}")
        _print_diagnosis(result, t.track)
    typer.echo("time: " + ", ".join(f"{k} {v:.2f} s" for k, v in s.stage_seconds.items()))
    typer.echo("wrote: " + ", ".join(str(p) for p in written))


@app.command()
@_interruptible
def run(
    surveys: Surveys,
    config: ConfigOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")] = Path("results"),
    time_limit: Annotated[
        float | None, typer.Option(help="Seconds allowed to time-limited solvers.", min=0)
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for any randomised step.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    objective: ObjectiveOption = None,
    pins: PinsOption = None,
    forbids: ForbidsOption = None,
    history: HistoryOption = None,
) -> None:
    """Match a survey and write pairs.csv, participants.csv, report.html, summary.json."""
    program = _with_objective(_load_config(config), objective)
    progress = (lambda _: None) if quiet else (lambda text: _err(f"... {text}"))
    try:
        output = run_pipeline(
            surveys, program, time_limit=time_limit, seed=seed, progress=progress,
            pins=pins or [], forbids=forbids or [], history=history or [],
        )  # fmt: skip
    except InputError as exc:
        _refuse(exc, surveys)
    if not quiet:
        _print_issues(output.result.warnings)
    tick = time.perf_counter()
    record = run_record(
        surveys, program, seed=seed, time_limit=time_limit,
        control={"pins": pins or [], "forbids": forbids or [], "history": history or []},
    )  # fmt: skip
    files = render(output.result, output.participants, program, record)
    written = _write(out, files)
    output.result.summary.stage_seconds["write"] = time.perf_counter() - tick
    _print_summary(output.result, len(surveys), len(output.result.warnings), written)


@app.command()
def validate(surveys: Surveys, config: ConfigOption = None) -> None:
    """List every problem in the survey files (file, row, column, value); write nothing."""
    program = _load_config(config)
    try:
        survey = load_survey(surveys, program)
    except InputError as exc:
        _print_issues(exc.issues)
        errors = sum(1 for i in exc.issues if i.severity is Severity.ERROR)
        _err(f"{errors} error(s), {len(exc.issues) - errors} warning(s)")
        raise typer.Exit(1) from None
    _print_issues(survey.warnings)
    roles: dict[str, int] = {}
    for person in survey.participants:
        for role in person.roles:
            roles[role.value] = roles.get(role.value, 0) + 1
    counts = ", ".join(f"{n} {r}s" for r, n in sorted(roles.items()))
    typer.echo(
        f"ok: {len(survey.participants)} people ({counts}); "
        f"0 errors, {len(survey.warnings)} warning(s)"
    )


@app.command()
def sample(
    size: Annotated[int, typer.Option(help="Number of respondents.", min=2)] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Survey CSV to write.")] = Path(
        "survey.csv"
    ),
    style: Annotated[str, typer.Option(help="google or microsoft export style.")] = "google",
) -> None:
    """Write a realistic synthetic survey and a matching program config beside it."""
    from matcher.sample import SampleStyle, write_sample

    try:
        chosen = SampleStyle(style)
    except ValueError:
        raise typer.BadParameter(
            f"{style!r}: expected google or microsoft", param_hint="--style"
        ) from None
    survey_path, config_path = write_sample(out, size=size, seed=seed, style=chosen)
    typer.echo(f"wrote {survey_path} ({size} respondents) and {config_path}")


@app.command()
def explain(
    results: Annotated[Path, typer.Argument(help="A results folder written by `run`.")],
    person: Annotated[str, typer.Option("--person", "-p", help="Id or name of the person.")],
    instead: Annotated[
        str, typer.Option("--instead", "-i", help="Id or name of the partner asked about.")
    ],
    track: Annotated[
        str | None,
        typer.Option(help="mentoring, reverse or peer; default: the first they share."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Why is PERSON not matched with INSTEAD? The rules, the points, and what forcing the
    pair would cost the cohort (re-solved from RESULTS/run.json)."""
    if track is not None and track not in ("mentoring", "reverse", "peer"):
        raise typer.BadParameter(
            f"{track!r}: expected mentoring, reverse or peer", param_hint="--track"
        )
    try:
        answer = explain_instead(results, person, instead, track=track)
    except (RunRecordError, PersonError, ConfigError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None
    except InputError as exc:
        _print_issues(exc.issues)
        _err("error: the run's survey files no longer read cleanly")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
    else:
        typer.echo(answer.text(), nl=False)


@app.command()
@_interruptible
def rematch(
    results: Annotated[Path, typer.Argument(help="A results folder written by `run`.")],
    changes: Annotated[
        Path,
        typer.Option(
            help="CSV of changes: columns action (leave, join, capacity, "
            "demand, commitments), id, value."
        ),
    ],
    max_changes: Annotated[
        int | None,
        typer.Option(
            help="Most existing pairs that may change (0: none); default: any that helps.", min=0
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Results folder; default RESULTS-rematch.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Re-pair a finished run after people leave, join or change their limits, keeping
    existing pairs unless changing them helps. Writes a new results folder with a
    `change` column in pairs.csv and changes.csv (what was removed, and why)."""
    from matcher.rematch import rematch as run_rematch

    progress = (lambda _: None) if quiet else (lambda text: _err(f"... {text}"))
    try:
        output, program, surveys, seed, limit = run_rematch(
            results, changes, max_changes=max_changes, progress=progress
        )
    except (RunRecordError, ConfigError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None
    except InputError as exc:
        _refuse(exc)
    target = out or results.with_name(results.name + "-rematch")
    record = run_record(surveys, program, seed=seed, time_limit=limit)
    record["rematch"] = {"from": str(results.resolve()), "changes": str(changes.resolve()),
                         "max_changes": max_changes}  # fmt: skip
    files = render(output.result, output.participants, program, record)
    written = _write(target, files)
    pairs = [p for c in output.result.cohorts for p in c.pairs]
    kept = sum(1 for p in pairs if p.change == "kept")
    left = sum(1 for r in output.result.removed if r.reason.endswith("left the programme"))
    typer.echo(
        f"rematch: {kept} pairs kept, {len(pairs) - kept} new, "
        f"{len(output.result.removed)} removed ({left} because someone left)"
        + (
            f"; at most {max_changes} existing pair(s) allowed to change"
            if max_changes is not None
            else ""
        )
    )
    _print_summary(output.result, len(surveys), len(output.result.warnings), written)


@app.command()
@_interruptible
def frontier(
    surveys: Surveys,
    config: ConfigOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Frontier folder.")] = Path("frontier"),
    seed: Annotated[int, typer.Option(help="Seed for any randomised step.")] = 0,
    time_limit: Annotated[
        float | None,
        typer.Option(help="Seconds allowed to time-limited solvers, per point.", min=0),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Solve the tracks of pairs several ways (each objective, a rising floor on pair
    scores, more or less weight on new ties) and compare coverage, mean and lowest pair
    score and cross-department share: writes frontier.csv, frontier.png, report.html."""
    from matcher.frontier import frontier as solve_frontier
    from matcher.frontier import render_frontier, text_table

    program = _load_config(config)
    progress = (lambda _: None) if quiet else (lambda text: _err(f"... {text}"))
    try:
        survey = load_survey(surveys, program)
        result = solve_frontier(
            survey, program, seed=seed, time_limit=time_limit, progress=progress
        )
    except InputError as exc:
        _refuse(exc, surveys)
    if not quiet:
        _print_issues(survey.warnings)
    written = _write(out, render_frontier(result))
    typer.echo(
        f"{len(result.points)} solutions of {', '.join(result.tracks) or 'no track'}; "
        "scores on the program's weights; Pareto: not beaten on all four axes at once"
    )
    typer.echo(text_table(result), nl=False)
    for reason in result.skipped:
        typer.echo(f"skipped {reason}")
    typer.echo("wrote: " + ", ".join(str(p) for p in written))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(help="Run store (SQLAlchemy URL); default sqlite:///cohort-matcher.db."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Solves running at once (default 2).", min=1)
    ] = None,
    max_queue: Annotated[
        int | None, typer.Option(help="Solves waiting for a worker (default 32).", min=0)
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Seconds allowed to time-limited solvers (default 60).")
    ] = None,
    max_upload_bytes: Annotated[
        int | None, typer.Option(help="Largest request body in bytes (default 10,000,000).")
    ] = None,
    max_participants: Annotated[
        int | None, typer.Option(help="Most people in one match (default 20,000).")
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            help="Solver processes for the synchronous matches, fed from one queue "
            "(default: one per core; 0 solves them on the worker threads).",
            min=0,
        ),
    ] = None,
    access_log: Annotated[
        bool, typer.Option(help="Log every request line (method, path, status).")
    ] = True,
) -> None:
    """The HTTP service (OpenAPI at /docs) and the coordinator page. Options override
    the COHORT_MATCHER_* environment variables (e.g. COHORT_MATCHER_DATABASE_URL)."""
    import uvicorn

    from matcher.api.app import create_app
    from matcher.api.jobs import tune_gc
    from matcher.api.settings import ENV_PREFIX, Settings, SettingsError

    if processes is None and f"{ENV_PREFIX}PROCESSES" not in os.environ:
        processes = _cores()
    try:
        settings = Settings.from_env(
            database_url=database_url, max_workers=workers, max_queue=max_queue,
            time_limit=time_limit, max_upload_bytes=max_upload_bytes,
            max_participants=max_participants, processes=processes,
        )  # fmt: skip
    except SettingsError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None
    app = create_app(settings)
    tune_gc()  # a long-lived server: what is loaded now, out of the collector's sight
    uvicorn.run(app, host=host, port=port, access_log=access_log)


def _cores() -> int:
    """CPUs this process may use (a container's limit where the kernel reports it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
