"""Fuzzing intake: whatever the bytes, ``load_survey`` returns people or raises
``InputError`` whose issues name the file; never any other exception. Valid exports are
mutated the ways files get damaged (bytes lost, inserted or repeated, delimiters swapped,
files cut short, re-encoded, cells overwritten). Deterministic (the project profile
derandomizes) and bounded: 300 examples in all, a few seconds."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import InputError, ProgramConfig, load_survey
from matcher.models import Severity

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ProgramConfig.load(ROOT / "data" / "sample_program.toml")
BASE = (ROOT / "tests" / "data" / "bad" / "crlf.csv").read_bytes()
ROWS = list(csv.reader(io.StringIO(BASE.decode("utf-8"), newline="")))
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252")
#: Cell text that has broken parsers: quotes, delimiters, newlines, formulas, controls.
NASTY = st.sampled_from(
    ['"', '""', '"a', 'a"b', ",", ";", "\t", "\n", "\r", "\r\n", "\x00", "\x1b[2J", "=1+1",
     "@SUM(A1)", "-1", "+", "NA", " ", "\ufeff", "\u2028", "é", "\U0001f600", "9" * 30, "[x]",
     "Python:9", "UTC+99", "Europe/../etc"]
)  # fmt: skip
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_reads_or_refuses_cleanly(data: bytes, suffix: str = ".csv") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"survey{suffix}"
        path.write_bytes(data)
        try:
            survey = load_survey([path], CONFIG)
        except InputError as exc:
            refused = exc.issues
        else:
            refused = None
        if refused is not None:
            assert refused, "an InputError must say what is wrong"
            assert any(i.severity is Severity.ERROR for i in refused)
            for issue in refused:
                assert issue.file == str(path)
                assert issue.message
                assert issue.row is None or issue.row >= 1
                assert issue.value is None or len(issue.value) < 200  # never a whole cell
            return
        for issue in survey.warnings:
            assert issue.severity is Severity.WARNING
            assert issue.file == str(path)
        assert len({p.id for p in survey.participants}) == len(survey.participants)


@st.composite
def damaged_bytes(draw: st.DrawFn) -> bytes:
    """The base export with one to four byte-level accidents."""
    data = bytearray(BASE)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "swap", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 400))]
        elif op == "swap":
            old, new = (
                draw(st.sampled_from([b",", b'"', b"\r\n", b"\n"])),
                draw(st.sampled_from([b";", b"\t", b"|", b"\r", b'"', b""])),
            )
            data = bytearray(bytes(data).replace(old, new, draw(st.integers(1, 50))))
        else:
            data = data[:at]
    return bytes(data)


@st.composite
def damaged_cells(draw: st.DrawFn) -> tuple[bytes, str]:
    """The base export with cells overwritten, written in a random encoding and dialect."""
    rows = [list(row) for row in ROWS]
    for _ in range(draw(st.integers(1, 6))):
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(rows[r]) - 1))
        text = draw(st.lists(st.one_of(NASTY, st.text(max_size=12)), max_size=4))
        rows[r][c] = "".join(text)
    if draw(st.booleans()):
        rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))  # a resubmission
    buffer = io.StringIO()
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\r\n").writerows(rows)
    encoding = draw(st.sampled_from(ENCODINGS))
    data = buffer.getvalue().encode(encoding, errors="replace")
    if draw(st.booleans()):  # cut short, often mid-character
        data = data[: draw(st.integers(0, len(data)))]
    return data, encoding


@FUZZ
@given(damaged_bytes())
def test_damaged_bytes_read_or_refuse_with_located_issues(data: bytes) -> None:
    assert_reads_or_refuses_cleanly(data)


@settings(FUZZ, max_examples=120)
@given(damaged_cells())
def test_hostile_cells_and_encodings_read_or_refuse_with_located_issues(
    case: tuple[bytes, str],
) -> None:
    assert_reads_or_refuses_cleanly(case[0])


@settings(FUZZ, max_examples=30)
@given(st.binary(max_size=2000), st.sampled_from([".csv", ".xlsx", ".txt", ""]))
def test_arbitrary_bytes_under_any_name_never_crash(data: bytes, suffix: str) -> None:
    assert_reads_or_refuses_cleanly(data, suffix)
