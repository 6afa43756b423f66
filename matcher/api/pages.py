"""The coordinator page at ``/``: upload the survey, set the config, run, read the
cohorts, pin or forbid pairs and re-run, download the results.

The page is one server-rendered template and a little plain JavaScript
(``static/page.js``) that talks to the HTTP API (``POST /v1/runs``, ``GET
/v1/runs/{id}``). The routes here only turn the form into the program config the run
uses: ``POST /config`` gives the TOML file that the script sends with the run (the
uploaded TOML, or the bundled sample config, with the form's weights, tracks, objective
and name applied), and ``POST /config/fields`` reads an uploaded TOML back into the form.
No matching logic lives here.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from matcher.config import TRACKS, ProgramConfig, Weights
from solvers.objectives import GOALS

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
#: The default config: the bundled sample's (it reads ``data/sample_survey.csv``).
SAMPLE_CONFIG = HERE.parents[1] / "data" / "sample_program.toml"
#: Where the script sends runs; the API's prefix.
RUNS_PATH = "/v1/runs"

#: The score components a slider sets, with the words the page shows.
WEIGHT_LABELS: dict[str, str] = {
    "goals": "Goals met by the mentor's expertise",
    "seniority": "Seniority gap close to the preferred one",
    "new_ties": "New ties across departments and locations",
    "time_overlap": "Overlapping working hours",
    "preference": "Stated preferences",
}
TRACK_LABELS: dict[str, str] = {
    "mentoring": "Mentoring (mentors and mentees)",
    "reverse": "Reverse mentoring (a junior teaches a senior)",
    "peer": "Peer pairs",
    "circles": "Mentoring circles (small groups)",
}
OBJECTIVE_LABELS: dict[str, str] = {
    "coverage": "Coverage: most places filled, then the best total score",
    "total": "Total: the best total score",
    "fair": "Fair: most matched, then the worst-off pair as good as possible",
    "stable": "Stable: no two people who would both rather have each other",
    "people": "People first: a first partner for as many people as possible",
}
#: Each slider's step; weights are relative (normalised by the matcher).
WEIGHT_STEP = 0.05
WEIGHT_MAX = 1.0

router = APIRouter()
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)
#: The page's own files (script and style sheet), to mount at ``/static``.
static_files = StaticFiles(directory=STATIC_DIR)
#: Only the page's own script and styles run: no inline script, nothing from elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def mount_static(app: FastAPI) -> None:
    """Serve the page's script and style sheet at ``/static`` (named ``static``)."""
    app.mount("/static", static_files, name="static")


class ConfigFormError(ValueError):
    """The config cannot be used; ``issues`` locate each problem as the API does."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(str(i["message"]) for i in issues))
        self.issues = issues


def _issue(file: str, column: str | None, message: str) -> dict[str, Any]:
    return {"file": file, "row": None, "column": column, "value": None, "message": message}


def _parse(text: bytes, file: str) -> dict[str, Any]:
    """A TOML file's table, validated as a program config (every problem located)."""
    try:
        raw = tomllib.loads(text.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigFormError([_issue(file, None, f"not UTF-8 (byte {exc.start})")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFormError([_issue(file, None, f"not valid TOML: {exc}")]) from None
    _validate(raw, file)
    return raw


def _validate(raw: Mapping[str, Any], file: str) -> ProgramConfig:
    try:
        return ProgramConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigFormError([
            _issue(file, ".".join(str(p) for p in err["loc"]) or None, err["msg"])
            for err in exc.errors()
        ]) from None  # fmt: skip


def _default_raw() -> tuple[dict[str, Any], str]:
    if SAMPLE_CONFIG.is_file():
        return _parse(SAMPLE_CONFIG.read_bytes(), SAMPLE_CONFIG.name), SAMPLE_CONFIG.name
    return {}, "built-in defaults"


def form_fields(config: ProgramConfig) -> dict[str, Any]:
    """What the form shows for a config: name, weights, enabled tracks, objective."""
    return {
        "program": config.name,
        "weights": config.weights.model_dump(),
        "tracks": [
            t for t in TRACKS if t in config.tracks.order and getattr(config.tracks, t).enabled
        ],
        "objective": config.mentoring.objective,
    }


def apply_form(
    raw: Mapping[str, Any],
    *,
    program: str | None,
    weights: Mapping[str, float],
    tracks: list[str],
    objective: str,
    file: str,
) -> dict[str, Any]:
    """The config's table with the form's settings applied (validated again); keys the
    form does not show (columns, rules, per-track overrides) are kept as they were."""
    out: dict[str, Any] = {key: value for key, value in raw.items()}
    problems = [
        _issue("form", f"tracks.{t}", f"unknown track {t!r}") for t in tracks if t not in TRACKS
    ]
    if not tracks:
        problems.append(_issue("form", "tracks", "enable at least one track"))
    if objective not in GOALS:
        problems.append(_issue("form", "objective", f"expected one of {', '.join(GOALS)}"))
    if problems:
        raise ConfigFormError(problems)
    if program is not None and program.strip():
        out["name"] = program.strip()
    out["weights"] = {**raw.get("weights", {}), **weights}
    out["mentoring"] = {**raw.get("mentoring", {}), "objective": objective}
    section: dict[str, Any] = {**raw.get("tracks", {})}
    order = list(section.get("order", TRACKS))
    for name in TRACKS:
        settings = {**section.get(name, {}), "enabled": name in tracks}
        section[name] = settings
        if name in tracks and name not in order:
            order.append(name)
    section["order"] = order
    out["tracks"] = section
    _validate(out, file)
    return out


# --- TOML writing (tomllib only reads) -----------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else _string(name)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # 0.4, 1e-05, inf, nan: all TOML
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _table(lines: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    if path and (scalars or not tables):
        if lines:
            lines.append("")
        lines.append("[" + ".".join(_key(p) for p in path) + "]")
    lines.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars)
    for name, sub in tables:
        _table(lines, (*path, name), sub)


def dump_toml(data: Mapping[str, Any]) -> str:
    """``data`` as TOML text that ``tomllib`` reads back equal (tables as sections,
    arrays of tables inline)."""
    lines: list[str] = []
    _table(lines, (), data)
    return "\n".join(lines) + "\n"


# --- routes ---------------------------------------------------------------------------


def _problem_response(exc: ConfigFormError) -> JSONResponse:
    return JSONResponse({"detail": exc.issues}, status_code=422)


async def _uploaded(config: UploadFile | None) -> tuple[dict[str, Any], str]:
    if config is None or not config.filename:
        return _default_raw()
    return _parse(await config.read(), config.filename), config.filename


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request) -> Response:
    """The coordinator page."""
    raw, source = _default_raw()
    fields = form_fields(ProgramConfig.model_validate(raw))
    root = request.scope.get("root_path", "")
    response = templates.TemplateResponse(
        request,
        "page.html",
        {
            "fields": fields,
            "source": source,
            "weight_labels": WEIGHT_LABELS,
            "weight_step": WEIGHT_STEP,
            "weight_max": WEIGHT_MAX,
            "track_labels": TRACK_LABELS,
            "objective_labels": {g: OBJECTIVE_LABELS.get(g, g) for g in GOALS},
            "runs_url": root + RUNS_PATH,
            "config_url": root + "/config",
            "fields_url": root + "/config/fields",
            "static": root + "/static",
        },
    )
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.post("/config", include_in_schema=False)
async def build_config(
    objective: Annotated[str, Form()],
    tracks: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    program: Annotated[str | None, Form()] = None,
    weight_goals: Annotated[float, Form(ge=0)] = Weights().goals,
    weight_seniority: Annotated[float, Form(ge=0)] = Weights().seniority,
    weight_new_ties: Annotated[float, Form(ge=0)] = Weights().new_ties,
    weight_time_overlap: Annotated[float, Form(ge=0)] = Weights().time_overlap,
    weight_preference: Annotated[float, Form(ge=0)] = Weights().preference,
    config: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The TOML the run uses: the uploaded config (or the sample's) with the form's
    weights, tracks, objective and name; 422 with every problem located otherwise."""
    weights = {
        "goals": weight_goals,
        "seniority": weight_seniority,
        "new_ties": weight_new_ties,
        "time_overlap": weight_time_overlap,
        "preference": weight_preference,
    }
    try:
        raw, source = await _uploaded(config)
        built = apply_form(
            raw, program=program, weights=weights, tracks=tracks, objective=objective, file=source
        )
    except ConfigFormError as exc:
        return _problem_response(exc)
    header = f"# {source} with the coordinator page's settings\n"
    return Response(header + dump_toml(built), media_type="application/toml; charset=utf-8")


@router.post("/config/fields", include_in_schema=False)
async def config_fields(config: Annotated[UploadFile | None, File()] = None) -> Response:
    """The form's settings read from an uploaded TOML (the sample's without one)."""
    try:
        raw, source = await _uploaded(config)
    except ConfigFormError as exc:
        return _problem_response(exc)
    return JSONResponse({"source": source, **form_fields(ProgramConfig.model_validate(raw))})
