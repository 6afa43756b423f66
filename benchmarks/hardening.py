"""Hardening figures (issue 8): the bad-input corpus through the CLI, intake fuzzing,
schemathesis over every OpenAPI operation, a privacy scan of every file, response and
log line, and the interrupted-run and fault tests.

``python -m benchmarks.hardening`` writes ``benchmarks/HARDENING.md``. The tests
(``tests/api/test_schema_fuzz.py``, ``tests/test_privacy.py``) run the same two
functions, ``fuzz_api`` and ``privacy_scan``, with fewer examples, and assert what the
report counts: no 5xx, no schema mismatch, no traceback, no sensitive value leaked.

**Fuzzing.** Each operation is generated from the app's own OpenAPI, in-process over
ASGI (no network): schema-valid requests (positive), schema-violating ones (negative;
an operation whose only parameters are free path strings has none), and for the
operations of a stored run the same with the id of a finished run. Hypothesis runs
derandomized, so a figure is the same on every run. Every response is checked for a
5xx, its status code, content type, headers and body against the schema, and a
"Traceback" in its body. Not checked: schema-valid requests being accepted (a random
survey file or config is rightly refused with a located 422).

**Privacy.** A survey whose opt-in answer is a made-up word ("sentinel") no real text
contains: 8 mentees opted in with one value, 3 with a rare one, 6 who did not opt in
answer the common value and 6 more another, and opted-in mentors answer a value of
their own (mentors do not ask, so they are not counted). The CLI (``run``, ``explain``,
``frontier``) and the API (``/v1/match`` with the answers in JSON, ``/v1/match/csv``,
``/v1/runs`` with every download, the run list, the page) run on it with every log
record captured at DEBUG. The rule (README, "Opt-in attributes"): only a value held by
at least 5 opted-in askers may be named, only in the report's "Opt-in attributes"
section and the workbook's ``attributes`` sheet, counted over opted-in askers alone.
"""

from __future__ import annotations

import argparse
import io
import logging
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import schemathesis
import schemathesis.checks as st_checks
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.python import asgi
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from benchmarks.hardening_corpus import CorpusReport, run_corpus
from matcher.api.app import create_app
from matcher.api.settings import Settings
from matcher.cli import app as cli_app
from matcher.store import Store

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 in its test client; httpx (pinned) works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "HARDENING.md"
#: Test files run as they are (pytest) for the report: what each proves.
SUITES = {
    "tests/test_fuzz_intake.py": "intake fuzzing (hypothesis, derandomized): 150 damaged "
    "exports, 120 hostile cells and encodings, 30 arbitrary byte strings under any name; "
    "each reads or is refused with located issues",
    "tests/test_interrupted.py": "a run SIGKILLed while solving and while writing, and one "
    "interrupted with Ctrl-C: the previous results byte for byte, no debris, the next run "
    "succeeds",
    "tests/test_faults.py": "a 1 ms time limit gives the best solution with its bound and "
    "gap (CLI and API); rules that allow no pair give the diagnosis, not an exception",
}
DATA = ROOT / "data"
#: Examples per operation and generation mode: the report's, and the test's.
REPORT_EXAMPLES = 100
TEST_EXAMPLES = 25


# --- Fuzzing ------------------------------------------------------------------------


@dataclass
class FuzzFailure:
    operation: str
    mode: str
    status: int
    what: str


@dataclass
class FuzzReport:
    operations: list[str] = field(default_factory=list)
    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[FuzzFailure] = field(default_factory=list)
    #: (operation, mode) pairs for which no request can be generated.
    impossible: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500)

    @property
    def tracebacks(self) -> int:
        return sum(1 for f in self.failures if f.what == "traceback in the body")

    @property
    def schema_failures(self) -> int:
        return len(self.failures) - self.tracebacks - self.server_errors


def _checks() -> list[Any]:
    load_all_checks()
    return [
        st_checks.not_a_server_error,
        st_checks.status_code_conformance,
        st_checks.content_type_conformance,
        st_checks.response_headers_conformance,
        st_checks.response_schema_conformance,
    ]


def fuzz_api(app: Any, max_examples: int, done_run: str | None = None) -> FuzzReport:
    """Every operation of ``app``'s OpenAPI, ``max_examples`` per operation and mode;
    ``done_run``: a finished run's id, also given to the operations of a stored run."""
    started = time.perf_counter()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = _checks()
    report = FuzzReport()
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the schema itself is broken: nothing to fuzz
        operation = result.ok()
        report.operations.append(operation.label)
        modes: list[tuple[str, dict[str, Any]]] = [
            ("positive", {"generation_mode": GenerationMode.POSITIVE}),
            ("negative", {"generation_mode": GenerationMode.NEGATIVE}),
        ]
        if done_run is not None and "{run_id}" in operation.path:
            modes.append(("done run", {"path_parameters": {"run_id": done_run}}))
        for mode, options in modes:
            try:
                _fuzz(operation.as_strategy(**options), max_examples, checks, report, mode)
            except Unsatisfiable:
                report.impossible.append((operation.label, mode))
    report.seconds = time.perf_counter() - started
    return report


def _fuzz(
    strategy: Any, max_examples: int, checks: list[Any], report: FuzzReport, mode: str
) -> None:
    @given(case=strategy)
    @settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def one(case: Case[Any]) -> None:
        response = case.call()
        report.examples += 1
        report.statuses[response.status_code] += 1
        label = case.operation.label
        if b"Traceback" in response.content:
            report.failures.append(
                FuzzFailure(label, mode, response.status_code, "traceback in the body")
            )
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                what = f"{failure.title}: {failure.message}"[:300]
                report.failures.append(FuzzFailure(label, mode, response.status_code, what))

    one()


def finished_run(app: Any) -> str:
    """A stored run of the sample survey, done, through the API itself."""
    files = [
        ("files", ("sample_survey.csv", (DATA / "sample_survey.csv").read_bytes(), "text/csv")),
        ("config", ("sample_program.toml", (DATA / "sample_program.toml").read_bytes(), "")),
    ]
    with asgi.get_client(app) as client:
        run_id: str = client.post("/v1/runs", files=files).json()["id"]
        for _ in range(600):
            status = client.get(f"/v1/runs/{run_id}").json()["status"]
            if status in ("done", "failed"):
                break
            time.sleep(0.05)
    if status != "done":
        raise RuntimeError(f"the sample run ended {status}")
    return run_id


@contextmanager
def fuzzed_app(folder: Path) -> Iterator[Any]:
    """The service on a fresh SQLite store in ``folder``, solving on worker threads."""
    store = Store(f"sqlite:///{folder / 'runs.db'}")
    try:
        yield create_app(Settings(time_limit=5.0, processes=0), store)
    finally:
        asgi.shutdown_lifespans()
        store.close()


# --- Privacy ------------------------------------------------------------------------

#: Opt-in answers no real text contains. COMMON: 8 opted-in mentees (may be named in the
#: aggregate); RARE: 3 (never named); HIDDEN: people who did not opt in (never read);
#: MENTOR_ONLY: opted-in mentors, who do not ask for a match (never counted).
COMMON = "Zorblaxian"
RARE = "Quuxelite"
HIDDEN = "Vorpalese"
MENTOR_ONLY = "Mentorian"
NEVER = (RARE, HIDDEN, MENTOR_ONLY)
OPTED_COMMON = 8
CONFIG = (
    'name = "Privacy check"\n'
    '[columns]\nroles = "Role"\ngoals = "Goals"\nexpertise = "Expertise"\ndepartment = "Dept"\n'
    '[attributes]\nconsent = "May we use"\ncolumns = { heritage = "Heritage" }\n'
)


def _people() -> list[tuple[str, bool, str]]:
    """(role, opted in, answer) per person, in survey order."""
    mentees = (
        [("Mentee", True, COMMON)] * OPTED_COMMON
        + [("Mentee", True, RARE)] * 3
        + [("Mentee", False, COMMON)] * 6
        + [("Mentee", False, HIDDEN)] * 6
    )
    mentors = [("Mentor", True, MENTOR_ONLY)] * 6 + [("Mentor", False, HIDDEN)] * 6
    return mentees + mentors


def write_privacy_survey(folder: Path) -> tuple[Path, Path]:
    """The survey (CSV) and its config; returns their paths."""
    topics = ["Python", "Leadership", "Negotiation"]
    lines = ["Email,Name,Role,Goals,Expertise,Dept,May we use the next answer?,Heritage"]
    for k, (role, opted, answer) in enumerate(_people()):
        topic = topics[k % 3]
        lines.append(
            f"p{k}@example.org,Person {k},{role},{topic},{topic},D{k % 4},"
            f"{'Yes' if opted else 'No'},{answer}"
        )
    survey = folder / "survey.csv"
    survey.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = folder / "program.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return survey, config


@dataclass
class PrivacyReport:
    files: int = 0
    responses: int = 0
    log_lines: int = 0
    output_lines: int = 0
    #: Where a value appeared that must not: "what: value".
    leaks: list[str] = field(default_factory=list)
    #: The common value's "asked for a match" count in each aggregate (report, workbook).
    common_asked: dict[str, str] = field(default_factory=dict)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _every_log_record() -> Iterator[_Records]:
    """Every record of every logger at DEBUG, formatted (message, arguments, stack)."""
    root = logging.getLogger()
    handler = _Records()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _scan_text(report: PrivacyReport, what: str, text: str, allow_common: bool) -> None:
    for value in NEVER if allow_common else (*NEVER, COMMON):
        if value in text:
            report.leaks.append(f"{what}: {value}")


def _scan_report_html(report: PrivacyReport, what: str, html: str) -> None:
    """The common value only inside the "Opt-in attributes" section, its count kept."""
    section = re.search(r'<section id="attributes">.*?</section>', html, re.S)
    outside = html.replace(section.group(0), "") if section else html
    _scan_text(report, what, outside, allow_common=False)
    if section:
        _scan_text(report, f"{what} (attributes section)", section.group(0), allow_common=True)
        row = re.search(rf"<td>heritage</td><td>{COMMON}</td><td>([^<]*)</td>", section.group(0))
        if row:
            report.common_asked[what] = row.group(1)


def _scan_workbook(report: PrivacyReport, what: str, content: bytes) -> None:
    """Every part of the workbook raw, then every sheet's cells: the common value only
    in the ``attributes`` sheet."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            _scan_text(report, f"{what}:{name}", archive.read(name).decode("utf-8"), True)
    sheets = pl.read_excel(io.BytesIO(content), sheet_id=0, has_header=False)
    for sheet, frame in sheets.items():
        cells = " ".join(str(v) for column in frame.iter_columns() for v in column.to_list())
        _scan_text(report, f"{what}[{sheet}]", cells, allow_common=sheet == "attributes")
        if sheet == "attributes":
            for row in frame.iter_rows():
                if row[1] == COMMON:
                    report.common_asked[what] = str(row[2])


def scan_file(report: PrivacyReport, what: str, content: bytes) -> None:
    report.files += 1
    if what.endswith(".xlsx"):
        _scan_workbook(report, what, content)
    elif what.endswith(".html"):
        _scan_report_html(report, what, content.decode("utf-8"))
    else:
        _scan_text(report, what, content.decode("utf-8", errors="replace"), False)


def _scan_folder(report: PrivacyReport, folder: Path) -> None:
    for path in sorted(folder.iterdir()):
        scan_file(report, f"{folder.name}/{path.name}", path.read_bytes())


def _cli(report: PrivacyReport, *args: str | Path) -> None:
    result = CliRunner().invoke(cli_app, [str(a) for a in args])
    if result.exit_code != 0:
        raise RuntimeError(f"cohort-match {args[0]} exited {result.exit_code}: {result.output}")
    report.output_lines += len(result.output.splitlines())
    _scan_text(report, f"cohort-match {args[0]} output", result.output, False)


def _response(report: PrivacyReport, what: str, body: bytes, allow: str = "") -> None:
    report.responses += 1
    if allow == "html":
        _scan_report_html(report, what, body.decode("utf-8"))
    elif allow == "xlsx":
        _scan_workbook(report, what, body)
    else:
        _scan_text(report, what, body.decode("utf-8", errors="replace"), False)


def _api(report: PrivacyReport, folder: Path, survey: Path, config: Path) -> None:
    store = Store(f"sqlite:///{folder / 'runs.db'}")
    uploads = [
        ("files", (survey.name, survey.read_bytes(), "text/csv")),
        ("config", (config.name, config.read_bytes(), "application/toml")),
    ]
    with TestClient(create_app(Settings(time_limit=5.0, processes=0), store)) as client:
        answered = client.post("/v1/match/csv", files=uploads)
        _response(report, "POST /v1/match/csv", answered.content)
        as_csv = client.post("/v1/match/csv", files=uploads, headers={"Accept": "text/csv"})
        _response(report, "POST /v1/match/csv (text/csv)", as_csv.content)
        people = [
            {"id": f"p{k}@example.org", "name": f"Person {k}", "roles": [role.lower()],
             "goals": ["Python"], "expertise": [{"topic": "Python"}],
             "attributes": {"heritage": answer}}
            for k, (role, _, answer) in enumerate(_people())
        ]  # fmt: skip
        as_json = client.post(
            "/v1/match", json={"participants": people, "config": {"attributes": {}}}
        )
        _response(report, "POST /v1/match", as_json.content)
        run = client.post("/v1/runs", files=uploads).json()
        for _ in range(600):
            state = client.get(f"/v1/runs/{run['id']}")
            if state.json()["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
        _response(report, "GET /v1/runs/{id}", state.content)
        if state.json()["status"] != "done":
            raise RuntimeError(f"the privacy run failed: {state.text}")
        for name, link in run["links"].items():
            if name in ("self", "accept"):
                continue
            body = client.get(link).content
            kind = "html" if name.endswith(".html") else "xlsx" if name.endswith(".xlsx") else ""
            _response(report, f"GET /v1/runs/{{id}}/{link.rsplit('/', 1)[1]}", body, kind)
        for name in ("summary.json", "alternates.csv"):
            _response(
                report,
                f"GET files/{name}",
                client.get(f"{run['links']['self']}/files/{name}").content,
            )
        _response(report, "POST accept", client.post(run["links"]["accept"]).content)
        _response(report, "GET /v1/runs", client.get("/v1/runs").content)
        _response(report, "GET /", client.get("/").content)
    store.close()


def privacy_scan(folder: Path) -> PrivacyReport:
    """Run the CLI and the API on the sentinel survey in ``folder`` and scan everything
    they wrote, answered, printed and logged."""
    report = PrivacyReport()
    survey, config = write_privacy_survey(folder)
    with _every_log_record() as records:
        _cli(report, "run", survey, "-c", config, "-o", folder / "results")
        _scan_folder(report, folder / "results")
        _cli(report, "explain", folder / "results", "--person", "p0@example.org",
             "--instead", "p23@example.org")  # fmt: skip
        _cli(report, "explain", folder / "results", "--person", "p0@example.org",
             "--instead", "p23@example.org", "--json")  # fmt: skip
        _cli(report, "frontier", survey, "-c", config, "-o", folder / "frontier")
        _scan_folder(report, folder / "frontier")
        _api(report, folder, survey, config)
    report.log_lines = len(records.lines)
    for line in records.lines:
        _scan_text(report, "log", line, False)
    return report


# --- The report ---------------------------------------------------------------------


def run_suite(path: str) -> tuple[bool, str, float]:
    """One test file under pytest: passed, its summary line, seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.strip().splitlines() if line.strip()]
    return done.returncode == 0, lines[-1] if lines else "", time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=REPORT_EXAMPLES)
    args = parser.parse_args()
    corpus = run_corpus()
    suites = {path: run_suite(path) for path in SUITES}
    with tempfile.TemporaryDirectory(prefix="cohort-hardening-") as tmp:
        with fuzzed_app(Path(tmp)) as app:
            fuzz = fuzz_api(app, args.examples, finished_run(app))
        privacy_dir = Path(tmp) / "privacy"
        privacy_dir.mkdir()
        privacy = privacy_scan(privacy_dir)
    text = render_all(corpus, suites, fuzz, privacy, args.examples)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


def render_all(
    corpus: CorpusReport,
    suites: dict[str, tuple[bool, str, float]],
    fuzz: FuzzReport,
    privacy: PrivacyReport,
    examples: int,
) -> str:
    """The whole report: the answer first, then each part."""
    tracebacks = corpus.tracebacks + fuzz.tracebacks
    all_passed = all(ok for ok, _, _ in suites.values())
    answer = [
        "# Hardening: hostile and broken input, privacy, limits, nothing lost",
        "",
        f"Written by `python -m benchmarks.hardening` on {datetime.now(UTC):%Y-%m-%d %H:%M} "
        f"UTC, Python {platform.python_version()}, schemathesis {schemathesis.__version__}.",
        "",
        "## Answer",
        "",
        f"- Bad-input corpus: {corpus.cases} cases ({corpus.committed} committed files, "
        f"{corpus.generated} written at run time), "
        + ", ".join(f"{k}: {n}" for k, n in sorted(corpus.outcomes.items()))
        + f"; {len(corpus.failing)} not as the manifest says.",
        f"- Schemathesis: {len(fuzz.operations)} operations, {fuzz.examples} requests, "
        f"{fuzz.server_errors} 5xx, {fuzz.schema_failures} schema failures.",
        f"- Privacy: {privacy.files} files, {privacy.responses} API responses, "
        f"{privacy.log_lines} log lines and {privacy.output_lines} printed lines scanned; "
        f"{len(privacy.leaks)} sensitive values leaked.",
        f"- **Tracebacks: {tracebacks}** (corpus: {corpus.tracebacks}, API bodies: "
        f"{fuzz.tracebacks}).",
        "- " + ("Every suite below passed." if all_passed else "**A suite below failed.**"),
        "",
        "## Suites run for this report",
        "",
        "| test file | what it proves | result | seconds |",
        "|---|---|---|---|",
        *[
            f"| `{path}` | {SUITES[path]} | {'passed' if ok else 'FAILED'}: {line} | {sec:.0f} |"
            for path, (ok, line, sec) in suites.items()
        ],
        "",
        "## The bad-input corpus",
        "",
        "`tests/data/bad/MANIFEST.toml`: each case through `cohort-match validate` and "
        "`cohort-match run` into a folder holding earlier results, which a refusal must "
        "leave as it was (`tests/test_bad_input.py` asserts the same case by case). "
        "*error*: exit 1 with the file, row, column and what was expected; *warning*: exit "
        "0 with a warning; *ok*: read cleanly.",
        "",
        *corpus.summary(),
        "",
        *corpus.table,
        "",
    ]
    return "\n".join(answer) + "\n" + render(fuzz, privacy, examples).split("\n", 3)[3]


def render(fuzz: FuzzReport, privacy: PrivacyReport, examples: int) -> str:
    machine = f"{platform.node() or 'this machine'}: {platform.processor() or platform.machine()}"
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(fuzz.statuses.items()))
    impossible = ", ".join(f"{op} ({mode})" for op, mode in fuzz.impossible) or "none"
    failures = "".join(f"- {f.operation} ({f.mode}), {f.status}: {f.what}\n" for f in fuzz.failures)
    leaks = "".join(f"- {leak}\n" for leak in privacy.leaks)
    return (
        "# Hardening: the HTTP API and the outputs\n\n"
        f"`python -m benchmarks.hardening` on {datetime.now(UTC):%Y-%m-%d}, "
        f"{machine}, Python {platform.python_version()}, schemathesis "
        f"{schemathesis.__version__}.\n\n"
        "## Schemathesis over the OpenAPI schema\n\n"
        "| figure | value |\n|---|---|\n"
        f"| operations checked | {len(fuzz.operations)} (every one in the schema) |\n"
        f"| examples per operation and mode | {examples} (derandomized) |\n"
        f"| requests sent | {fuzz.examples} |\n"
        f"| responses by status | {statuses} |\n"
        f"| 5xx responses | {fuzz.server_errors} |\n"
        f"| tracebacks in a body | {fuzz.tracebacks} |\n"
        f"| schema failures (status, content type, headers, body) | {fuzz.schema_failures} |\n"
        f"| time | {fuzz.seconds:.0f} s |\n\n"
        "Modes: schema-valid requests, schema-violating ones, and for a stored run's "
        "operations the id of a finished run. No request can violate the schema for: "
        f"{impossible}.\n\n"
        + (f"Failures:\n\n{failures}\n" if failures else "")
        + "Found by the first runs and fixed: a JSON participant's demand of 2e36 overflowed "
        "the solver's 64-bit arrays (a 500; counts are now 0-1,000,000, else a located "
        "422); FastAPI's own 422 model was documented where ours is answered; an "
        "unparseable multipart body's 400 was undocumented.\n\n" + "## Privacy scan\n\n"
        "| figure | value |\n|---|---|\n"
        f"| output files scanned (CLI run, frontier; workbook parts and sheets inside) | "
        f"{privacy.files} |\n"
        f"| API responses scanned | {privacy.responses} |\n"
        f"| log lines scanned (every logger, DEBUG) | {privacy.log_lines} |\n"
        f"| CLI output lines scanned | {privacy.output_lines} |\n"
        f"| sensitive values leaked | {len(privacy.leaks)} |\n"
        f"| {COMMON!r} counted as asked (opted in: {OPTED_COMMON}, not opted in: 6) | "
        + ", ".join(f"{where}: {n}" for where, n in sorted(privacy.common_asked.items()))
        + " |\n\n"
        + (f"Leaks:\n\n{leaks}\n" if leaks else "")
    )


if __name__ == "__main__":
    main()
