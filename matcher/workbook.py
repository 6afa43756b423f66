"""The results as one XLSX workbook, a sheet per table, safe to open in a spreadsheet.

Coordinators open results in Excel or Sheets, where a cell typed ``=HYPERLINK(...)`` by a
survey respondent would run. So every string is written as a string (never parsed as a
formula, number or link) and, like the CSV files, neutralised with a leading quote.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import xlsxwriter

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Fixed document dates: xlsxwriter would stamp "now", and the same input must give the
#: same bytes.
FIXED_DATE = datetime(2000, 1, 1)
#: Excel's limits: a cell holds at most 32,767 characters, a sheet name 31.
_MAX_CELL = 32_767
_MAX_WIDTH = 60


def neutralise(value: object) -> object:
    """Stop a spreadsheet from running a cell as a formula (prefix a quote)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Sheet:
    """One table: a sheet name, its column headers and its rows (str, int, float or
    None per cell; None and "" are left empty)."""

    name: str
    columns: Sequence[str]
    rows: Iterable[Sequence[object]]


def workbook_bytes(sheets: Sequence[Sheet], *, title: str) -> bytes:
    """The workbook's bytes, the same for the same sheets: fixed dates, in-memory zip
    (xlsxwriter then stamps every zip entry 1980-01-01)."""
    buffer = io.BytesIO()
    options: dict[str, Any] = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    book = xlsxwriter.Workbook(buffer, options)
    book.set_properties({"title": str(neutralise(title)), "created": FIXED_DATE})
    header = book.add_format({"bold": True, "bottom": 1})
    for sheet in sheets:
        _write_sheet(book, sheet, header)
    book.close()
    return buffer.getvalue()


def _write_sheet(book: Any, sheet: Sheet, header: Any) -> None:
    ws = book.add_worksheet(sheet.name[:31])
    widths = [len(c) for c in sheet.columns]
    for col, name in enumerate(sheet.columns):
        ws.write_string(0, col, name, header)
    row_index = 0
    for row_index, row in enumerate(sheet.rows, start=1):
        for col, value in enumerate(row):
            width = _write_cell(ws, row_index, col, value)
            widths[col] = max(widths[col], width)
    ws.freeze_panes(1, 0)
    if sheet.columns:
        ws.autofilter(0, 0, max(row_index, 1), len(sheet.columns) - 1)
    for col, width in enumerate(widths):
        ws.set_column(col, col, min(width + 2, _MAX_WIDTH))


def _write_cell(ws: Any, row: int, col: int, value: object) -> int:
    """Write one typed cell; returns the characters it shows (for the column width)."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        ws.write_boolean(row, col, value)
        return 5
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            ws.write_string(row, col, str(value))
        else:
            ws.write_number(row, col, value)
        return len(f"{value}")
    text = str(neutralise(str(value)))[:_MAX_CELL]
    ws.write_string(row, col, text)
    return len(text)
