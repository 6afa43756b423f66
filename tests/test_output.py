"""The results CSV files: written column by column without the csv module where that is
safe, so every table is checked against the csv module writing the same rows row by row
(the way they were written before), on awkward text and numbers."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.output import Table, csv_text, neutralise
from matcher.workbook import Columns, Sheet, workbook_bytes

DETERMINISTIC = settings(derandomize=True, database=None, deadline=None)

#: Text that starts like a formula, needs quotes, or that the csv module handles itself.
AWKWARD = ["=1+2", "+x", "-y", "@z", "\tt", "\rr", 'a,"b"', "line\nend", "a\r\nb", "nul\0", ""]
NUMBERS = [-1.234, -0.001, -0.0, 0.0, 0.125, 2.675, 1e16, -1e20, math.inf, -math.inf, math.nan]


def reference_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The csv module, one row at a time: floats with two decimals, cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([f"{v:.2f}" if isinstance(v, float) else neutralise(v) for v in row])
    return buffer.getvalue()


def test_awkward_text_and_numbers_match_the_csv_module() -> None:
    rows: list[list[object]] = [
        [text, number, k - 3, None if k % 2 else k, k % 3 == 0, f"id{k}"]
        for k, (text, number) in enumerate(zip(AWKWARD, NUMBERS, strict=False))
    ]
    header = ["text", "number", "whole", "blank", "flag", "id"]
    assert csv_text(header, rows) == reference_csv(header, rows)
    # Without the CR and NUL texts the rows are joined directly; still the same text.
    plain = [row for row in rows if not any(c in str(row[0]) for c in "\r\0")]
    assert csv_text(header, plain) == reference_csv(header, plain)
    assert "'=1+2" in csv_text(header, plain)
    assert '"a,""b"""' in csv_text(header, plain)


def test_negative_numbers_are_not_quoted_but_negative_looking_text_is() -> None:
    text = csv_text(["n", "t"], [[-1.5, "-1.5"], [-2, "-2"]])
    assert text == "n,t\n-1.50,'-1.5\n-2,'-2\n"


def test_no_rows_one_column_and_ragged_rows() -> None:
    assert csv_text(["a", "b"], []) == "a,b\n"
    single: list[list[object]] = [[""], ["x"], [None], ["=y"]]
    assert csv_text(["a"], single) == reference_csv(["a"], single)
    ragged: list[list[object]] = [["a"], [], ["b", 2.5, None]]
    assert csv_text(["a", "b"], ragged) == reference_csv(["a", "b"], ragged)


cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(AWKWARD),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.none(),
    st.booleans(),
)


@settings(DETERMINISTIC, max_examples=200)
@given(st.integers(min_value=1, max_value=5).flatmap(
    lambda width: st.lists(st.lists(cells, min_size=width, max_size=width), max_size=12)
))  # fmt: skip
def test_any_rows_match_the_csv_module(rows: list[list[object]]) -> None:
    header = [f"c{k}" for k in range(len(rows[0]) if rows else 2)]
    assert csv_text(header, rows) == reference_csv(header, rows)


@settings(DETERMINISTIC, max_examples=100)
@given(st.lists(st.tuples(st.text(max_size=8), st.floats(), st.integers()), max_size=10))
def test_one_column_kind_per_column_matches_the_csv_module(
    rows: list[tuple[str, float, int]],
) -> None:
    """Columns of one kind take the bulk paths (text, floats, whole numbers)."""
    table = [list(row) for row in rows]
    assert csv_text(["t", "f", "i"], table) == reference_csv(["t", "f", "i"], table)


def test_a_table_gives_the_same_rows_and_the_same_sheet_either_way() -> None:
    rows: list[list[object]] = [["=a", 1.5, 2, None], ["b", -0.0, -3, "x"], ["", math.nan, 0, ""]]
    table = Table(["s", "f", "i", "m"], [list(column) for column in zip(*rows, strict=True)])
    assert table.rows() == rows
    by_rows = workbook_bytes([Sheet("t", table.header, rows)], title="t")
    by_columns = workbook_bytes([Sheet("t", table.header, Columns(table.columns))], title="t")
    assert by_columns == by_rows
    # Fewer columns than the header are padded with blanks, like short rows.
    short = workbook_bytes([Sheet("t", ["a", "b"], Columns([["x", "y"]]))], title="t")
    assert short == workbook_bytes([Sheet("t", ["a", "b"], [["x"], ["y"]])], title="t")


def test_columns_of_different_lengths_raise() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        workbook_bytes([Sheet("t", ["a", "b"], Columns([["x"], ["y", "z"]]))], title="t")


def test_empty_rows_are_kept() -> None:
    empty: list[list[object]] = [[], []]
    assert csv_text(["a", "b"], empty) == reference_csv(["a", "b"], empty) == "a,b\n\n\n"
