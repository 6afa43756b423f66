"""Run the bad-input corpus (``tests/data/bad/MANIFEST.toml``) through the real CLI and
print a markdown table: what each file is, what happened, the exit code and the message.

    .venv/bin/python -m benchmarks.hardening_corpus

Every case runs ``cohort-match validate`` and ``cohort-match run`` into a folder that
already holds earlier results: a refused input must leave that folder as it was. The
count of tracebacks must be 0. ``tests/test_bad_input.py`` asserts the same, case by case.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from typer.testing import CliRunner

from matcher.cli import app
from matcher.output import MARKER

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "bad"
MANIFEST = CORPUS / "MANIFEST.toml"
#: What the earlier results folder holds before each run: it must survive a refusal.
PREVIOUS = {MARKER: b'{"previous": true}\n', "pairs.csv": b"previous,results\n"}
COMMANDS = ("validate", "run")


@dataclass(frozen=True)
class Case:
    """One manifest entry: the input, and what the CLI must answer."""

    id: str
    what: str
    expect: str  # error | warning | ok
    exit: int
    message: str
    files: tuple[str, ...]
    config: str
    row: int | None = None
    column: str | None = None
    generate: str | None = None


@dataclass
class Outcome:
    """What one command did with one case."""

    case: Case
    command: str
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    traceback: bool
    #: For ``run``: the earlier results folder after the command, by file name -> digest.
    out_after: dict[str, str] = field(default_factory=dict)
    #: Anything new beside the results folder (a staging folder left behind).
    litter: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return (self.stderr + "\n" + self.stdout).splitlines()

    def located_line(self, files: Sequence[Path]) -> str | None:
        """The first line that carries the expected message, names one of the case's
        files (or its config), and the expected row and column."""
        case = self.case
        names = [str(p) for p in files]
        for line in self.lines:
            if case.message not in line:
                continue
            if case.expect != "ok" and not any(name in line for name in names):
                continue
            if case.row is not None and f"row {case.row}" not in line:
                continue
            if case.column is not None and repr(case.column) not in line:
                continue
            return line
        return None


def load_cases(manifest: Path = MANIFEST) -> list[Case]:
    with manifest.open("rb") as handle:
        raw = tomllib.load(handle)
    return [
        Case(
            id=c["id"],
            what=c["what"],
            expect=c["expect"],
            exit=c["exit"],
            message=c["message"],
            files=tuple(c.get("files", [])),
            config=c["config"],
            row=c.get("row"),
            column=c.get("column"),
            generate=c.get("generate"),
        )
        for c in raw["case"]
    ]


# -- the cases too large to commit --------------------------------------------------------


def _base_text() -> str:
    return (CORPUS / "crlf.csv").read_text(encoding="utf-8").replace("\r\n", "\n")


def write_cell_10mb(path: Path) -> None:
    """The base with row 3's name replaced by 10 MB of text (a runaway paste)."""
    lines = _base_text().split("\n")
    lines[2] = lines[2].replace(",Zoe Fischer,", "," + "Zoe Fischer " * 850_000 + ",", 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def write_file_200mb(path: Path) -> None:
    """200 MB of realistic rows, written in chunks so the writer stays small too."""
    text = _base_text()
    head, _, body = text.partition("\n")
    chunk = (body * (1 + 1_000_000 // len(body))).encode("utf-8")
    with path.open("wb") as handle:
        handle.write(head.encode("utf-8") + b"\n")
        while handle.tell() < 200_000_000:
            handle.write(chunk)


GENERATORS = {"cell_10mb": write_cell_10mb, "file_200mb": write_file_200mb}


def inputs(case: Case, workdir: Path) -> tuple[list[Path], Path]:
    """The case's survey files (written now for generated cases) and its config."""
    if case.generate is not None:
        path = workdir / f"{case.id}.csv"
        if not path.exists():
            GENERATORS[case.generate](path)
        return [path], ROOT / case.config
    return [ROOT / f for f in case.files], ROOT / case.config


# -- running ------------------------------------------------------------------------------


def _digests(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def previous_results(folder: Path) -> dict[str, str]:
    """An earlier run's folder (its marker makes it replaceable); returns its digests."""
    folder.mkdir(parents=True)
    for name, data in PREVIOUS.items():
        (folder / name).write_bytes(data)
    return _digests(folder)


def invoke(case: Case, command: str, workdir: Path) -> Outcome:
    """One CLI command on one case, in process (as ``cohort-match`` runs it)."""
    files, config = inputs(case, workdir)
    args = [command, *(str(p) for p in files), "--config", str(config)]
    out = workdir / f"{case.id}-{command}" / "results"
    shutil.rmtree(out.parent, ignore_errors=True)
    if command == "run":
        previous_results(out)
        args += ["--out", str(out)]
    before = set(out.parent.iterdir()) if out.parent.exists() else set()
    started = time.perf_counter()
    result = CliRunner().invoke(app, args)
    seconds = time.perf_counter() - started
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    text = result.stdout + result.stderr
    after = set(out.parent.iterdir()) if out.parent.exists() else set()
    return Outcome(
        case=case,
        command=command,
        exit_code=result.exit_code,
        stdout=result.stdout,
        stderr=result.stderr,
        seconds=seconds,
        traceback=crashed or "Traceback" in text,
        out_after=_digests(out) if command == "run" else {},
        litter=sorted(p.name for p in after - before),
    )


def check(outcome: Outcome, workdir: Path) -> list[str]:
    """Every way the outcome falls short of the manifest (empty: as documented)."""
    case = outcome.case
    problems: list[str] = []
    if outcome.traceback:
        problems.append("traceback")
    if outcome.exit_code != case.exit:
        problems.append(f"exit {outcome.exit_code}, expected {case.exit}")
    files, config = inputs(case, workdir)
    if outcome.located_line([*files, config]) is None and not (
        case.expect == "ok" and outcome.command == "run"
    ):
        where = ", ".join(
            f"{k} {v!r}" for k, v in (("row", case.row), ("column", case.column)) if v
        )
        problems.append(f"no line with {case.message!r} naming the file {where}".strip())
    if outcome.command == "run":
        if case.exit != 0 and outcome.out_after != _digests_of_previous():
            problems.append("the earlier results folder changed")
        if (
            case.exit == 0
            and "pairs.csv" in outcome.out_after
            and (outcome.out_after["pairs.csv"] == _digests_of_previous()["pairs.csv"])
        ):
            problems.append("the results were not written")
        if outcome.litter:
            problems.append(f"left behind: {', '.join(outcome.litter)}")
    return problems


def _digests_of_previous() -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(PREVIOUS.items())}


def kind(outcome: Outcome) -> str:
    """How the CLI answered: refused, accepted with a warning, accepted, or crashed."""
    if outcome.traceback:
        return "traceback"
    if outcome.exit_code == 1:
        return "refused (exit 1)"
    if outcome.exit_code == 0:
        return "read with warnings" if "warning:" in outcome.stderr else "read cleanly"
    return f"exit {outcome.exit_code}"


def excerpt(outcome: Outcome, files: Sequence[Path], limit: int = 110) -> str:
    line = outcome.located_line(files) or next(
        (x for x in outcome.lines if x.startswith(("error", "warning", "ok"))), ""
    )
    for path in sorted(files, key=lambda p: -len(str(p))):
        line = line.replace(str(path), path.name)
    line = " ".join(line.split()).replace("|", "\\|")
    return line if len(line) <= limit else line[: limit - 3] + "..."


@dataclass
class CorpusReport:
    """The corpus run: the markdown table and the counts a report quotes."""

    table: list[str]
    cases: int
    committed: int
    generated: int
    outcomes: Counter[str]
    tracebacks: int
    failing: list[tuple[str, list[str]]]
    seconds: float

    def summary(self) -> list[str]:
        lines = [
            f"- cases: {self.cases} ({self.committed} committed files, {self.generated} "
            "written at run time)",
            "- outcomes (validate): "
            + ", ".join(f"{k}: {n}" for k, n in sorted(self.outcomes.items())),
            f"- tracebacks: {self.tracebacks}",
            f"- cases not as the manifest says: {len(self.failing)}",
        ]
        lines += [f"  - `{case_id}`: {'; '.join(problems)}" for case_id, problems in self.failing]
        lines.append(f"- time: {self.seconds:.1f} s for {2 * self.cases} commands")
        return lines


def run_corpus() -> CorpusReport:
    """Every case through ``validate`` and ``run``, checked against the manifest."""
    cases = load_cases()
    outcomes: list[tuple[Outcome, Outcome, list[str]]] = []
    table = [
        "| case | what it is | outcome | exit (validate / run) | message |",
        "|---|---|---|---|---|",
    ]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hardening-") as tmp:
        workdir = Path(tmp)
        for case in cases:
            validate, run = (invoke(case, command, workdir) for command in COMMANDS)
            problems = check(validate, workdir) + check(run, workdir)
            files, config = inputs(case, workdir)
            outcomes.append((validate, run, problems))
            table.append(
                f"| `{case.id}` | {case.what} | {kind(validate)} | {validate.exit_code} / "
                f"{run.exit_code} | {excerpt(validate, [*files, config])} |"
            )
    committed = sum(1 for p in CORPUS.iterdir() if p.name not in ("generate.py", "MANIFEST.toml"))
    return CorpusReport(
        table=table,
        cases=len(cases),
        committed=committed,
        generated=sum(1 for c in cases if c.generate),
        outcomes=Counter(kind(v) for v, _, _ in outcomes),
        tracebacks=sum(v.traceback + r.traceback for v, r, _ in outcomes),
        failing=[(v.case.id, p) for v, _, p in outcomes if p],
        seconds=time.perf_counter() - started,
    )


def main() -> None:
    report = run_corpus()
    print("\n".join([*report.table, "", *report.summary()]))


if __name__ == "__main__":
    main()
