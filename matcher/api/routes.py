"""The HTTP API's routes: thin, as ARCHITECTURE.md asks. Each reads the request, hands
the solving to the worker pool (``matcher.api.jobs``) and formats what comes back."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from pydantic import BaseModel

from matcher.api import jobs
from matcher.api.jobs import BusyError, Limits, Workers
from matcher.api.settings import Settings
from matcher.intake import InputError
from matcher.models import Issue, MatchResult
from matcher.output import WORKBOOK
from matcher.store import FileKind, RunRecord, Store, StoredFile

log = logging.getLogger("matcher.api")

router = APIRouter()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_workers(request: Request) -> Workers:
    workers: Workers = request.app.state.workers
    return workers


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
WorkersDep = Annotated[Workers, Depends(get_workers)]


class ErrorResponse(BaseModel):
    """A refused request; for bad input, ``detail`` lists every problem, located."""

    detail: list[Issue] | str


CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Responses = dict[int | str, dict[str, Any]]

BAD_INPUT: Responses = {
    422: {
        "model": ErrorResponse,
        "description": "Bad input: every problem with its file, row, column and value.",
    }
}
BUSY_SYNC: Responses = {
    429: {"model": ErrorResponse, "description": "Every worker busy: see Retry-After."}
}
SOLVER_DIED: Responses = {
    503: {"model": ErrorResponse, "description": "A solver process died: see Retry-After."}
}
MALFORMED: Responses = {
    400: {"model": ErrorResponse, "description": "The multipart body cannot be parsed."}
}
TOO_LARGE: Responses = {
    413: {"model": ErrorResponse, "description": "Request body over the size limit."}
}


def _unprocessable(exc: InputError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=jobs.issues_json(exc.issues))


def _busy(settings: Settings, code: int, what: str) -> HTTPException:
    return HTTPException(
        code,
        detail=f"{what}: every worker is busy and the queue is full; retry in "
        f"{settings.retry_after} s",
        headers={"Retry-After": str(settings.retry_after)},
    )


def _limits(settings: Settings) -> Limits:
    return Limits(max_participants=settings.max_participants, time_limit=settings.time_limit)


# Worked examples: five people of data/sample_survey.csv as intake reads them.
_EXAMPLE_PEOPLE: list[dict[str, Any]] = [
    {"id": "leila.obrien@example.org", "name": "Leila O'Brien", "roles": ["mentor"],
     "expertise": [{"topic": "Data analysis"}, {"topic": "Managing people"}],
     "seniority": 5, "seniority_label": "Lead", "department": "Marketing",
     "location": "Manchester", "timezone": "UTC+00:00 (Manchester)", "utc_offset": 0.0,
     "languages": ["English"], "capacity": 3},
    {"id": "sam.obrien@example.org", "name": "Sam O'Brien", "roles": ["mentor"],
     "expertise": [{"topic": "Managing people"}, {"topic": "Python"}],
     "seniority": 6, "seniority_label": "Principal", "department": "Engineering",
     "location": "Manchester", "timezone": "UTC+00:00 (Manchester)", "utc_offset": 0.0,
     "languages": ["English"], "capacity": 1},
    {"id": "fatima.khan@example.org", "name": "Fatima Khan", "roles": ["mentee"],
     "goals": ["Negotiation", "Writing, editing and storytelling", "Policy making"],
     "seniority": 5, "seniority_label": "Lead", "department": "Policy", "location": "London",
     "timezone": "UTC+00:00 (London)", "utc_offset": 0.0, "languages": ["English"],
     "format": "virtual"},
    {"id": "owen.ferreira@example.org", "name": "Owen Ferreira", "roles": ["mentee"],
     "goals": ["Python", "Stakeholder management", "Managing people"],
     "seniority": 3, "seniority_label": "Mid-level", "department": "Data",
     "location": "Edinburgh", "timezone": "UTC+00:00 (Edinburgh)", "utc_offset": 0.0,
     "languages": ["English"]},
    {"id": "sam.ferreira@example.org", "name": "Sam Ferreira", "roles": ["mentee"],
     "goals": ["Writing, editing and storytelling", "Stakeholder management"],
     "seniority": 3, "seniority_label": "Mid-level", "department": "Engineering",
     "location": "Manchester", "timezone": "UTC+00:00 (Manchester)", "utc_offset": 0.0,
     "languages": ["English"]},
]  # fmt: skip

MATCH_EXAMPLES: dict[str, Any] = {
    "sample": {
        "summary": "Two mentors and three mentees of the sample survey",
        "description": "Default program settings. Fatima Khan stays unmatched: she is "
        "as senior as Leila O'Brien and wants to meet virtually; Sam O'Brien is too far.",
        "value": {"participants": _EXAMPLE_PEOPLE},
    },
    "fair": {
        "summary": "The same people, solved for the worst-off pair",
        "value": {
            "participants": _EXAMPLE_PEOPLE,
            "config": {"name": "Spring round", "rules": {"min_seniority_gap": 1}},
            "objective": "fair",
        },
    },
}


#: The body of ``POST /v1/match`` as OpenAPI shows it: the route reads the raw bytes
#: (validated by pydantic straight from JSON, in a solver process when there are any),
#: so FastAPI does not document it by itself. ``app.openapi`` adds ``MatchRequest``.
MATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/MatchRequest"},
                "examples": MATCH_EXAMPLES,
            }
        },
    }
}


@router.get("/healthz", tags=["service"])
def healthz(workers: WorkersDep) -> dict[str, Any]:
    """Liveness, and how many solves are running or waiting."""
    return {"status": "ok", "in_flight": workers.in_flight, "capacity": workers.limit}


@router.post(
    "/v1/match",
    response_model=MatchResult,
    tags=["match"],
    responses={**BAD_INPUT, **BUSY_SYNC, **TOO_LARGE, **SOLVER_DIED},
    openapi_extra=MATCH_BODY,
)
async def match_json(request: Request, settings: SettingsDep, workers: WorkersDep) -> Any:
    """Match people given as JSON; the result has `cohorts` (ARCHITECTURE.md shape:
    `{id, track, members: [{id, name, role}], pairs: [{a, b, score, components,
    reasons}], score}`), `unmatched` (with the reason), `summary` and more."""
    body = await request.body()
    answer = await _isolated(settings, workers, jobs.match_body, body, _limits(settings))
    return _response(answer)


async def _isolated(
    settings: Settings, workers: Workers, work: Callable[..., jobs.Answer], *args: Any
) -> jobs.Answer:
    """A synchronous match in a solver process or on a worker thread; refused at once
    when every place is taken."""
    try:
        return await workers.isolated(work, *args)
    except BusyError:
        raise _busy(settings, status.HTTP_429_TOO_MANY_REQUESTS, "match") from None
    except jobs.SolverDiedError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="the solver process ended without answering (out of memory?); "
            f"nothing was changed, retry in {settings.retry_after} s",
            headers={"Retry-After": str(settings.retry_after)},
        ) from None


def _response(answer: jobs.Answer, headers: dict[str, str] | None = None) -> Response:
    """The answer serialised once where it was computed: returning the result would have
    FastAPI validate and encode it again against ``response_model`` (half the cost of a
    200-person match)."""
    code, content, media_type = answer
    return Response(content, status_code=code, media_type=media_type, headers=headers)


async def _read(upload: UploadFile, kind: FileKind) -> StoredFile:
    return StoredFile(name=upload.filename or kind, kind=kind, content=await upload.read())


SurveyFiles = Annotated[
    list[UploadFile], File(description="Survey exports (CSV or XLSX); several forms allowed.")
]
ConfigFile = Annotated[
    UploadFile | None, File(description="Program config (TOML), as for `cohort-match run -c`.")
]
ObjectiveField = Annotated[
    str | None,
    Form(
        description="coverage | total | fair | stable; overrides the config's objective.",
        openapi_examples={"fair": {"summary": "Lift the worst-off pair", "value": "fair"}},
    ),
]


@router.post(
    "/v1/match/csv",
    response_model=MatchResult,
    tags=["match"],
    responses={
        200: {
            "description": "The result as JSON, or pairs.csv with `Accept: text/csv`.",
            "content": {"text/csv": {"example": "cohort_id,track,mentor_id,...\r\n"}},
        },
        **MALFORMED,
        **BAD_INPUT,
        **BUSY_SYNC,
        **TOO_LARGE,
        **SOLVER_DIED,
    },
)
async def match_csv(
    request: Request,
    files: SurveyFiles,
    settings: SettingsDep,
    workers: WorkersDep,
    config: ConfigFile = None,
    objective: ObjectiveField = None,
) -> Any:
    """Match uploaded survey files, e.g.
    `curl -F files=@data/sample_survey.csv -F config=@data/sample_program.toml
    http://127.0.0.1:8000/v1/match/csv` (add `-H 'Accept: text/csv'` for pairs.csv).
    Problems are reported as by `cohort-match validate`, naming the uploaded file."""
    surveys = [await _read(f, "survey") for f in files]
    config_file = await _read(config, "config") if config is not None else None
    as_csv = "text/csv" in request.headers.get("accept", "")
    answer = await _isolated(
        settings, workers, jobs.match_files, surveys, config_file, objective,
        _limits(settings), as_csv,
    )  # fmt: skip
    if as_csv and answer[0] == status.HTTP_200_OK:
        return _response(answer, {"Content-Disposition": 'attachment; filename="pairs.csv"'})
    return _response(answer)


# --- Stored runs -------------------------------------------------------------------

#: Download name -> the file's name among what ``matcher.output.render`` writes.
DOWNLOADS = {
    "pairs.csv": ("pairs.csv", CSV),
    "participants.csv": ("participants.csv", CSV),
    "report.html": ("report.html", HTML),
    "workbook.xlsx": (WORKBOOK, XLSX),
}


class RunView(RunRecord):
    """A run: status and progress lines while it runs, then its summary (or its error,
    listing every problem of the input as a 422 would)."""

    links: dict[str, str]


class RunCreated(BaseModel):
    id: str
    status: str
    links: dict[str, str]


def _links(request: Request, run_id: str) -> dict[str, str]:
    base = f"{request.scope.get('root_path', '')}/v1/runs/{run_id}"
    return {
        "self": base,
        "result": f"{base}/result",
        **{name: f"{base}/{name}" for name in DOWNLOADS},
        "accept": f"{base}/accept",
    }


def _view(request: Request, record: RunRecord) -> RunView:
    return RunView(**record.model_dump(), links=_links(request, record.id))


def _found(store: Store, run_id: str) -> RunRecord:
    record = store.get_run(run_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no run with id {run_id!r}")
    return record


def _finished(store: Store, run_id: str) -> RunRecord:
    record = _found(store, run_id)
    if record.status == "failed":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"run {run_id} failed: it has no results; GET /v1/runs/{run_id} says why",
        )
    if record.status != "done":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"run {run_id} is {record.status}: results are ready when "
            f"GET /v1/runs/{run_id} says done",
        )
    return record


NOT_READY: Responses = {
    404: {"model": ErrorResponse, "description": "No such run."},
    409: {"model": ErrorResponse, "description": "The run is not done (yet)."},
}


@router.post(
    "/v1/runs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunCreated,
    tags=["runs"],
    responses={
        **MALFORMED,
        **BAD_INPUT,
        **TOO_LARGE,
        503: {"model": ErrorResponse, "description": "Queue full: see Retry-After."},
    },
)
def create_run(
    request: Request,
    response: Response,
    files: SurveyFiles,
    settings: SettingsDep,
    store: StoreDep,
    workers: WorkersDep,
    config: ConfigFile = None,
    objective: ObjectiveField = None,
    program: Annotated[
        str | None,
        Form(
            description="The program this run belongs to; its accepted runs are its rounds "
            "(no pair repeats, people left out are favoured). Default: the config's name."
        ),
    ] = None,
    pins: Annotated[
        list[UploadFile] | None, File(description="CSV of pairs to make: a, b, optional track.")
    ] = None,
    forbids: Annotated[
        list[UploadFile] | None, File(description="CSV of pairs never to make: a, b, track.")
    ] = None,
) -> RunCreated:
    """Queue a run; poll `GET /v1/runs/{id}` (the `Location` header) until `status` is
    `done` or `failed`. Survey, pin and forbid problems fail the run with every problem
    in `error`; a bad config or objective is refused at once (422)."""
    inputs = [_read_sync(f, "survey") for f in files]
    inputs += [_read_sync(f, "pins") for f in pins or []]
    inputs += [_read_sync(f, "forbids") for f in forbids or []]
    config_file = _read_sync(config, "config") if config is not None else None
    try:
        program_config = jobs.load_config(config_file, objective)
    except InputError as exc:
        raise _unprocessable(exc) from None
    name = program or program_config.name
    try:
        slot = workers.reserve()
    except BusyError:
        raise _busy(settings, status.HTTP_503_SERVICE_UNAVAILABLE, "runs") from None
    try:
        paired, unmatched = store.history(name)
        run_id = store.create_run(
            program=name,
            config=program_config.model_dump(mode="json"),
            inputs=inputs + ([config_file] if config_file is not None else []),
        )
    except BaseException:
        slot.release()
        raise
    history = jobs.History(paired_before=paired, unmatched_before=unmatched)
    limits = _limits(settings)
    future = workers.start(slot, lambda: jobs.execute_run(store, run_id, limits, history))
    future.add_done_callback(lambda f: _never_started(store, run_id) if f.cancelled() else None)
    log.info("run %s queued for program %r with %d file(s)", run_id, name, len(inputs))
    links = _links(request, run_id)
    response.headers["Location"] = links["self"]
    return RunCreated(id=run_id, status="queued", links=links)


def _read_sync(upload: UploadFile, kind: FileKind) -> StoredFile:
    return StoredFile(name=upload.filename or kind, kind=kind, content=upload.file.read())


def _never_started(store: Store, run_id: str) -> None:
    """A queued run cancelled by a shutdown: say so instead of staying queued forever."""
    store.set_status(
        run_id,
        "failed",
        progress="the service stopped before this run started",
        error=[{"severity": "error", "file": None, "row": None, "column": None, "value": None,
                "message": "the service stopped before this run started; submit it again"}],
    )  # fmt: skip


@router.get("/v1/runs", response_model=list[RunView], tags=["runs"])
def list_runs(
    request: Request,
    store: StoreDep,
    program: Annotated[str | None, Query(description="Only this program's runs.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RunView]:
    """The newest runs first."""
    return [_view(request, r) for r in store.list_runs(program, limit=limit)]


@router.get(
    "/v1/runs/{run_id}",
    response_model=RunView,
    tags=["runs"],
    responses={404: NOT_READY[404]},
)
def get_run(request: Request, run_id: str, store: StoreDep) -> RunView:
    """Status (`queued`, `running`, `done`, `failed`), progress lines, then the summary
    (done) or every problem found (failed)."""
    return _view(request, _found(store, run_id))


@router.get(
    "/v1/runs/{run_id}/result", response_model=MatchResult, tags=["runs"], responses=NOT_READY
)
def get_result(run_id: str, store: StoreDep) -> Any:
    """The whole result as JSON, as `POST /v1/match` gives it."""
    _finished(store, run_id)
    return store.get_result(run_id)


def _download(store: Store, run_id: str, name: str, media_type: str) -> Response:
    _finished(store, run_id)
    content = store.get_file(run_id, name)
    if content is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"run {run_id} has no file {name!r}")
    return Response(
        content,
        media_type=media_type,
        # The report opens in the browser (it has no script); the rest download.
        headers={"Content-Disposition": f'{_disposition(name)}; filename="{name}"'},
    )


def _disposition(name: str) -> str:
    return "inline" if name.endswith(".html") else "attachment"


def _add_download(path_name: str, file_name: str, media_type: str) -> None:
    def download(run_id: str, store: StoreDep) -> Response:
        return _download(store, run_id, file_name, media_type)

    download.__name__ = "download_" + path_name.replace(".", "_")
    download.__doc__ = f"`{file_name}` of a done run (409 until then)."
    router.add_api_route(
        f"/v1/runs/{{run_id}}/{path_name}",
        download,
        methods=["GET"],
        tags=["runs"],
        response_class=Response,
        responses={200: {"content": {media_type.split(";")[0]: {}}}, **NOT_READY},
    )


for _path, (_file, _media) in DOWNLOADS.items():
    _add_download(_path, _file, _media)


@router.get(
    "/v1/runs/{run_id}/files/{name}",
    tags=["runs"],
    response_class=Response,
    responses=NOT_READY,
)
def get_file(run_id: str, name: str, store: StoreDep) -> Response:
    """Any file the run wrote (`summary.json`, `circles.csv`, `alternates.csv`, ...)."""
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if media.startswith("text/") or media == "application/json":
        media += "; charset=utf-8"
    return _download(store, run_id, name, media)


@router.post(
    "/v1/runs/{run_id}/accept",
    response_model=RunView,
    tags=["runs"],
    responses=NOT_READY,
)
def accept_run(request: Request, run_id: str, store: StoreDep) -> RunView:
    """Make a done run one of its program's rounds: the program's next runs never repeat
    its pairs and favour the people it left unmatched."""
    _finished(store, run_id)
    try:
        store.accept(run_id)
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    log.info("run %s accepted as a round", run_id)
    return _view(request, _found(store, run_id))
