"""``_table`` checks a whole row at once and falls back to cell-by-cell checks only when
the row holds something to report: both paths must give the same cells and issues."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.intake.reader import MAX_CELL_CHARS, InputError, RawTable, _table

HEADER = ["Email", "Name", "Note"]


def table(*rows: list[str]) -> RawTable:
    return _table(Path("s.csv"), [HEADER, *rows], [])


def test_clean_rows_are_stripped_and_blank_cells_are_none() -> None:
    got = table([" a@x.org ", "Ann", ""], ["b@x.org", " ", "ok"], ["", "", ""])
    assert got.columns == [["a@x.org", "b@x.org"], ["Ann", None], [None, "ok"]]
    assert got.row_numbers == [2, 3]
    assert got.warnings == []


def test_a_control_character_is_removed_and_located() -> None:
    got = table(["a@x.org", "Ann\x1b[31m", "x"], ["b@x.org", "Bo", "y"])
    assert got.columns[1] == ["Ann[31m", "Bo"]
    [issue] = got.warnings
    assert (issue.row, issue.column, issue.value) == (2, "Name", "Ann\x1b[31m")
    assert issue.message.startswith("control characters removed")


def test_long_cells_together_are_fine_one_too_long_is_an_error() -> None:
    """A row longer than a cell may be is checked cell by cell: only a cell over the
    limit is an error."""
    half = "x" * (MAX_CELL_CHARS // 2 + 10)
    got = table(["a@x.org", half, half])
    assert got.columns[2] == [half]
    assert got.warnings == []
    with pytest.raises(InputError) as exc:
        table(["a@x.org", "Ann", "y" * (MAX_CELL_CHARS + 1)])
    [issue] = exc.value.issues
    assert (issue.row, issue.column) == (2, "Note")
    assert issue.message.startswith(f"cell of {MAX_CELL_CHARS + 1:,} characters")


def test_nul_in_one_cell_is_located() -> None:
    with pytest.raises(InputError) as exc:
        table(["a@x.org", "An\x00n", "x"], ["b@x.org", "Bo", "y"])
    [issue] = exc.value.issues
    assert (issue.row, issue.column) == (2, "Name")


def test_short_and_padded_rows_keep_their_shape() -> None:
    got = table(["a@x.org"], ["b@x.org", "Bo", "y", "", " "])
    assert got.columns == [["a@x.org", "b@x.org"], [None, "Bo"], [None, "y"]]
    assert [(i.row, i.column) for i in got.warnings] == [(2, "Name")]


def test_header_only_gives_empty_columns() -> None:
    got = table()
    assert got.columns == [[], [], []]
    assert got.row_numbers == []
