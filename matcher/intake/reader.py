"""Read a survey export into a table of strings, keeping the header exactly as exported
(duplicate names from Google branching included) and the spreadsheet row numbers.

Whatever the bytes, the result is a table or an ``InputError`` whose issues say where the
file is broken and how to fix it: a survey export is typed by hand, re-saved by Excel and
mailed around, so a crash or a bare parser message would leave a coordinator stuck.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from matcher.models import Issue, Severity

#: Largest survey file read (bytes). The 12,000-person benchmark survey is 2.7 MB, the
#: API takes 10 MB uploads: 50 MB is a program of over 100,000 people, or the wrong file.
#: Checked before reading, so a huge file is refused at once, in constant memory.
MAX_FILE_BYTES = 50_000_000
#: Longest cell (characters): Excel's own limit. A longer one is a damaged file or a quote
#: that never closes, and it would make every later step slow for nothing.
MAX_CELL_CHARS = 32_767
#: Ragged rows reported one by one before the rest are counted in one issue.
MAX_ROW_ISSUES = 10

_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
_SURVEYMONKEY_SUBHEADERS = {"response", "open-ended response", "other (please specify)"}
_QUALTRICS_IMPORT_ID = re.compile(r'^\{\s*"ImportId"\s*:')
_QUALTRICS_LEGACY_CODE = re.compile(r"^V\d+$")
#: Control characters no answer needs; an escape sequence in a name would reach terminals.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class InputError(Exception):
    """Input that cannot be used; carries every problem found, each located precisely."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


@dataclass(frozen=True)
class RawTable:
    """A survey file: headers as written, and rows of optional strings.

    ``row_numbers[k]`` is the spreadsheet row of ``rows[k]`` (the header is row 1).
    """

    path: Path
    headers: list[str]
    columns: list[list[str | None]]
    row_numbers: list[int]
    warnings: list[Issue]
    #: The question texts of exports that put short codes in row 1 and the text in row 2
    #: (Qualtrics), one per header; [columns] may name either.
    question_texts: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)


def excerpt(text: str, limit: int = 60) -> str:
    """A value short enough to print in a message (a whole 10 MB cell would drown it)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _error(path: Path, message: str, row: int | None = None, **located: str | None) -> Issue:
    return Issue(severity=Severity.ERROR, file=str(path), row=row, message=message, **located)


def _warning(path: Path, message: str, row: int | None = None, **located: str | None) -> Issue:
    return Issue(severity=Severity.WARNING, file=str(path), row=row, message=message, **located)


# -- bytes to text ------------------------------------------------------------------------


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 saved without a BOM: every other byte of ASCII text is zero."""
    sample = data[:2000]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.9 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.9 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def _decode(path: Path, data: bytes, warnings: list[Issue]) -> str:
    """Text from any encoding a survey tool or Excel writes; damage is a warning."""
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            return _decode_wide(path, data, codec, warnings, skip=len(bom))
    wide = _utf16_without_bom(data)
    if wide is not None:
        return _decode_wide(path, data, wide, warnings)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        warnings.append(
            _warning(
                path,
                f"not UTF-8 (byte {exc.start}, line {line}); "
                "read as Windows-1252. Export as 'CSV UTF-8' to be sure accents are right.",
            )
        )
        return data.decode("cp1252", errors="replace")


def _decode_wide(path: Path, data: bytes, codec: str, warnings: list[Issue], skip: int = 0) -> str:
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        line = data[skip : skip + exc.start].decode(codec, errors="replace").count("\n") + 1
        warnings.append(
            _warning(
                path,
                f"damaged {codec.upper()} text (byte {skip + exc.start}, line {line}: "
                f"{exc.reason}); "
                "unreadable "
                "characters replaced by '\ufffd'. Re-export the file to be sure of every answer.",
            )
        )
        return data[skip:].decode(codec, errors="replace")


def _binary(text: str) -> int | None:
    """Offset of the first sign of a binary file: many control characters early on."""
    head = text[:4096]
    controls = [i for i, c in enumerate(head) if ord(c) < 32 and c not in "\t\r\n\f\v"]
    if head and len(controls) > max(8, len(head) // 20):
        return controls[0]
    return None


# -- text to rows -------------------------------------------------------------------------


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header row: the most frequent of , ; tab outside quotes
    (a header's question text may hold commas inside its quotes)."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in text[:100_000]:
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in "\r\n":
            break
        elif char in counts:
            counts[char] += 1
    if counts[";"] > counts[","] and counts[";"] >= counts["\t"]:
        return ";"
    if counts["\t"] > counts[","]:
        return "\t"
    return ","


def _quote_problem(record: str, delimiter: str) -> tuple[int, int, str]:
    """Which field of a record breaks the quoting rules, where it starts, and how."""
    field, quoted, at_start, k, start = 0, False, True, 0, 0
    while k < len(record):
        char = record[k]
        if quoted:
            if char == '"':
                if record[k + 1 : k + 2] == '"':
                    k += 2
                    continue
                quoted = False
                after = record[k + 1 : k + 2]
                if after not in ("", delimiter, "\r", "\n"):
                    return (
                        field,
                        start,
                        (
                            "quotes do not pair up in this answer (text after a closing quote); "
                            'a quote inside a quoted answer must be doubled (""): fix the quotes '
                            "or re-export the file"
                        ),
                    )
        elif char == '"' and at_start:
            quoted = True
        elif char == delimiter:
            field += 1
            at_start = True
            k += 1
            start = k
            continue
        elif char in "\r\n":
            break
        at_start = False
        k += 1
    return (
        field,
        start,
        (
            'a quote (") opens this answer and never closes, so the rest of the file would be '
            "read into it; close the quote (or double it) or re-export the file"
        ),
    )


def _split_rows(path: Path, text: str, delimiter: str) -> list[list[str]]:
    """Records of fields; a quoting error is located at its row and column."""
    if csv.field_size_limit() < MAX_FILE_BYTES:
        csv.field_size_limit(MAX_FILE_BYTES)  # cells are bounded by MAX_CELL_CHARS below
    buffer = io.StringIO(text, newline="")
    reader = csv.reader(buffer, delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    while True:
        start_line = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error:
            starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]
            record = text[starts[min(start_line, len(starts) - 1)] :]
            field, start, why = _quote_problem(record, delimiter)
            header = rows[0] if rows else []
            column = header[field] if field < len(header) else f"field {field + 1}"
            raise InputError(
                [
                    _error(
                        path,
                        why,
                        row=len(rows) + 1,
                        column=" ".join(column.split()),
                        value=" ".join(record[start : start + 40].split()) + "...",
                    )
                ]
            ) from None
        rows.append(row)


def _text_rows(path: Path, data: bytes, warnings: list[Issue]) -> tuple[list[list[str]], str]:
    text = _decode(path, data, warnings)
    binary_at = _binary(text)
    if binary_at is not None:
        raise InputError(
            [
                _error(
                    path,
                    f"not a text file (binary content at character {binary_at}); export the "
                    "survey as CSV (UTF-8) or XLSX",
                )
            ]
        )
    if not text.strip():
        raise InputError([_error(path, "file is empty; export the survey again")])
    delimiter = _sniff_delimiter(text)
    rows = _split_rows(path, text, delimiter)
    if not rows:
        raise InputError([_error(path, "file is empty; export the survey again")])
    return rows, delimiter


def _excel_rows(path: Path, data: bytes) -> list[list[str]]:
    """The first sheet of a workbook, every cell as text."""
    if data.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                expanded = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputError([_error(path, f"not a readable XLSX workbook ({exc})")]) from None
        if expanded > 10 * MAX_FILE_BYTES:
            raise InputError(
                [
                    _error(
                        path,
                        f"workbook expands to {expanded / 1e6:,.0f} MB; the limit is "
                        f"{10 * MAX_FILE_BYTES / 1e6:,.0f} MB (a damaged or hostile file?); "
                        "export the survey again",
                    )
                ]
            )
    try:
        frame = pl.read_excel(
            io.BytesIO(data),
            sheet_id=1,
            has_header=False,
            infer_schema_length=0,
            engine="calamine",
        ).cast(pl.String)
    except (fastexcel.FastExcelError, pl.exceptions.PolarsError, ValueError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            [_error(path, f"not a readable XLSX workbook ({reason}); open and save it again")]
        ) from None
    return [["" if cell is None else str(cell) for cell in row] for row in frame.iter_rows()]


# -- rows to a table ----------------------------------------------------------------------


def _export_header_rows(path: Path, rows: list[list[str]], issues: list[Issue]) -> int:
    """Extra header rows of SurveyMonkey (2) and Qualtrics (3) exports: how many rows
    to skip after the header. Qualtrics' rows are unambiguous and skipped with a warning;
    SurveyMonkey's second row splits each question into option columns, which one header
    row cannot express, so it is an error saying what to do."""
    if len(rows) >= 3 and any(_QUALTRICS_IMPORT_ID.match(cell.strip()) for cell in rows[2]):
        issues.append(
            _warning(
                path,
                "a Qualtrics export: rows 2 (question text) and 3 (import ids) are header "
                "rows, skipped; [columns] may name the short names of row 1 or the questions",
                row=2,
            )
        )
        return 2
    codes = sum(bool(_QUALTRICS_LEGACY_CODE.match(h.strip())) for h in rows[0])
    if len(rows) >= 2 and rows[0][0].strip() == "V1" and codes >= 2:
        issues.append(
            _warning(
                path,
                "a legacy Qualtrics export: row 2 (question text) is a header row, skipped; "
                "[columns] may name the codes of row 1 (V1, ...) or the questions",
                row=2,
            )
        )
        return 1
    if len(rows) >= 2:
        labels = [key for cell in rows[1] if (key := cell.strip().casefold())]
        if labels and sum(label in _SURVEYMONKEY_SUBHEADERS for label in labels) >= max(
            1, len(labels) // 3
        ):
            issues.append(
                _error(
                    path,
                    "row 2 is a second header row ('Response', option labels): a SurveyMonkey "
                    "export. Export with one header row ('Condensed' columns), or delete row 2 "
                    "and give each option column a header",
                    row=2,
                    value=excerpt(", ".join(labels), 60),
                )
            )
    return 0


def _unquoted_cell(row: list[str], columns: list[list[str | None]]) -> int:
    """The column whose answer most likely held an unquoted delimiter: text split after
    ", " leaves a field starting with a space; among those (or all, if none), the one whose
    re-joining lines the most other cells up with answers other rows gave there."""
    extra = len(row) - len(columns)
    seen = [set(values) for values in columns]
    best, best_key = len(columns) - 1, (False, -1)
    for col in range(len(columns)):
        spaced = any(cell.startswith(" ") for cell in row[col + 1 : col + extra + 1])
        rest = row[col + extra + 1 :]
        fit = sum(1 for k, cell in enumerate(rest, col + 1) if cell.strip() in seen[k])
        fit += sum(1 for k, cell in enumerate(row[:col]) if cell.strip() in seen[k])
        if (spaced, fit) > best_key:
            best, best_key = col, (spaced, fit)
    return best


def _checked_cells(
    path: Path, row: list[str], number: int, headers: list[str], issues: list[Issue]
) -> list[str | None]:
    """A row's cells (stripped, empty -> None), each oversized, NUL or control-character
    cell located in ``issues``."""
    cells: list[str | None] = []
    for col, cell in enumerate(row):
        value = cell.strip()
        found: tuple[Severity, str] | None = None
        if len(value) > MAX_CELL_CHARS:
            found = (
                Severity.ERROR,
                (
                    f"cell of {len(value):,} characters; the most a survey answer holds "
                    f"is {MAX_CELL_CHARS:,} (Excel's limit): a damaged file or a quote "
                    "that never closes? Shorten the answer or re-export the file"
                ),
            )
        elif "\x00" in value:
            found = (
                Severity.ERROR,
                (
                    "contains a NUL character: the file is damaged; re-export it or "
                    "retype this answer"
                ),
            )
        elif _CONTROL.search(value):
            found = (
                Severity.WARNING,
                (
                    "control characters removed (an answer never needs them; they "
                    "could rewrite a terminal or a log line)"
                ),
            )
        if found is not None:
            severity, message = found
            issues.append(Issue(
                severity=severity, file=str(path), row=number, column=headers[col],
                value=excerpt(value, 40), message=message,
            ))  # fmt: skip
            # A removed control character leaves the answer; a damaged cell leaves nothing.
            value = _CONTROL.sub("", value).strip() if severity is Severity.WARNING else ""
        cells.append(value or None)
    return cells


def _table(
    path: Path, rows: list[list[str]], warnings: list[Issue], delimiter: str = ","
) -> RawTable:
    """Header, cells (stripped, empty -> None) and spreadsheet row numbers, with every
    ragged row, NUL and oversized cell located."""
    issues: list[Issue] = []
    raw_header = rows[0]
    while len(raw_header) > 1 and not raw_header[-1].strip():
        raw_header = raw_header[:-1]  # trailing delimiters (Qualtrics legacy, Excel padding)
    headers = [" ".join(h.split()) for h in raw_header]
    width = len(headers)
    if not any(headers):
        raise InputError(
            [_error(path, "the header row is empty; row 1 must name the questions", row=1)]
        )
    for index, header in enumerate(raw_header):
        if len(header) > MAX_CELL_CHARS or "\x00" in header:
            what = "a NUL character" if "\x00" in header else f"{len(header):,} characters"
            issues.append(
                _error(
                    path,
                    f"header has {what}: the file is damaged or not a survey export",
                    row=1,
                    column=f"column {index + 1}",
                    value=excerpt(header, 40),
                )
            )
    skip = _export_header_rows(path, rows, issues)
    kept: list[list[str | None]] = []
    row_numbers: list[int] = []
    ragged: list[tuple[int, list[str]]] = []
    for index in range(1 + skip, len(rows)):
        row, number = rows[index], index + 1
        if len(row) > width:
            if any(cell.strip() for cell in row[width:]):
                ragged.append((number, row))
                continue
            row = row[:width]
        joined = "".join(row)
        if len(joined) <= MAX_CELL_CHARS and "\x00" not in joined and not _CONTROL.search(joined):
            # No cell is too long or holds a NUL or a control character: nothing to report
            # (the checks below, one row at a time instead of one cell at a time).
            cells: list[str | None] = [cell.strip() or None for cell in row]
        else:
            cells = _checked_cells(path, row, number, headers, issues)
        if not any(cells):
            continue  # blank rows: spreadsheet padding
        if len(row) < width:
            issues.append(
                _warning(
                    path,
                    f"{len(row)} fields where the header has {width}; the missing answers "
                    "are read as empty (a line break inside an unquoted answer?)",
                    row=number,
                    column=headers[len(row)],
                )
            )
            cells.extend([None] * (width - len(row)))
        kept.append(cells)
        row_numbers.append(number)
    columns: list[list[str | None]] = (
        [list(column) for column in zip(*kept, strict=True)] if kept else [[] for _ in headers]
    )
    for number, row in ragged[:MAX_ROW_ISSUES]:
        col = _unquoted_cell(row, columns)
        issues.append(
            _error(
                path,
                f"{len(row)} fields where the header has {width}: this answer probably holds "
                "the delimiter without quotes. Quote it, or re-export the file",
                row=number,
                column=headers[col],
                value=excerpt(delimiter.join(row[col : col + len(row) - width + 1]), 40),
            )
        )
    if len(ragged) > MAX_ROW_ISSUES:
        issues.append(
            _error(
                path,
                f"{len(ragged) - MAX_ROW_ISSUES:,} more rows have more fields than the header: "
                "is the delimiter right, and are answers with commas quoted?",
            )
        )
    if not row_numbers and not issues:
        issues.append(_warning(path, "no answers: the file has a header and no rows", row=2))
    if any(issue.severity is Severity.ERROR for issue in issues):
        raise InputError([*warnings, *issues])
    texts = [" ".join(cell.split()) for cell in rows[1][:width]] if skip else []
    return RawTable(
        path=path,
        headers=headers,
        columns=columns,
        row_numbers=row_numbers,
        warnings=[*warnings, *issues],
        question_texts=texts + [""] * (width - len(texts)) if skip else [],
    )


def read_table(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> RawTable:
    """Read a CSV or XLSX file (the first sheet) without interpreting any answer.

    The content decides how, not the name: a workbook renamed ``.csv`` is read as a
    workbook, with a warning.
    """
    if path.is_dir():
        raise InputError([_error(path, "is a folder; give the survey file itself")])
    try:
        size = path.stat().st_size
    except OSError:
        raise InputError([_error(path, "file not found")]) from None
    if size > max_bytes:
        raise InputError(
            [
                _error(
                    path,
                    f"file is {size / 1e6:,.1f} MB; the limit is {max_bytes / 1e6:,.0f} MB "
                    "(over 100,000 people): is it the survey export? Remove columns the "
                    "program does not use, or split the file",
                )
            ]
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([_error(path, f"cannot read the file: {exc.strerror}")]) from None
    if not data.strip():
        raise InputError([_error(path, "file is empty; export the survey again")])
    warnings: list[Issue] = []
    suffix = path.suffix.lower()
    workbook = data.startswith((_ZIP_MAGIC, _OLE_MAGIC))
    if workbook and suffix not in _EXCEL_SUFFIXES:
        warnings.append(
            _warning(path, f"a workbook named {suffix or 'without a suffix'}; read as XLSX")
        )
    if suffix in _EXCEL_SUFFIXES and not workbook:
        warnings.append(_warning(path, f"named {suffix} but not a workbook; read as CSV text"))
        workbook = False
    elif suffix in _EXCEL_SUFFIXES:
        workbook = True
    if data.startswith(b"%PDF"):
        raise InputError([_error(path, "a PDF, not a survey export; export as CSV or XLSX")])
    rows, delimiter = (
        (_excel_rows(path, data), ",") if workbook else _text_rows(path, data, warnings)
    )
    if not rows:
        raise InputError([_error(path, "file is empty; export the survey again")])
    return _table(path, rows, warnings, delimiter)
