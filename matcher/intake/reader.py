"""Read a survey export into a table of strings, keeping the header exactly as exported
(duplicate names from Google branching included) and the spreadsheet row numbers."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from matcher.models import Issue, Severity


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

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)


def _decode(path: Path, data: bytes, warnings: list[Issue]) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        warnings.append(
            Issue(
                severity=Severity.WARNING,
                file=str(path),
                message=f"not UTF-8 (byte {exc.start}); read as Windows-1252. "
                "Export as 'CSV UTF-8' to be sure accents are right.",
            )
        )
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    if first_line.count(";") > first_line.count(",") and first_line.count(";") > 0:
        return ";"
    if first_line.count("\t") > first_line.count(","):
        return "\t"
    return ","


def _frame_from_csv(path: Path, warnings: list[Issue]) -> pl.DataFrame:
    text = _decode(path, path.read_bytes(), warnings)
    if not text.strip():
        raise InputError([Issue(severity=Severity.ERROR, file=str(path), message="file is empty")])
    try:
        return pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            has_header=False,
            infer_schema=False,
            separator=_sniff_delimiter(text),
        )
    except pl.exceptions.PolarsError as exc:
        message = str(exc).strip().splitlines()[0]
        raise InputError(
            [
                Issue(
                    severity=Severity.ERROR,
                    file=str(path),
                    message=f"not a readable CSV ({message}); check quoting and delimiters",
                )
            ]
        ) from None


def _frame_from_excel(path: Path) -> pl.DataFrame:
    try:
        return pl.read_excel(
            path,
            sheet_id=1,
            has_header=False,
            infer_schema_length=0,
            engine="calamine",
        ).cast(pl.String)
    except Exception as exc:  # calamine raises its own types for every kind of bad file
        raise InputError(
            [
                Issue(
                    severity=Severity.ERROR,
                    file=str(path),
                    message=f"not a readable XLSX workbook ({type(exc).__name__}: {exc})",
                )
            ]
        ) from None


def read_table(path: Path) -> RawTable:
    """Read a CSV or XLSX file (the first sheet) without interpreting any answer."""
    if not path.is_file():
        raise InputError([Issue(severity=Severity.ERROR, file=str(path), message="file not found")])
    warnings: list[Issue] = []
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls", ".ods"}:
        frame = _frame_from_excel(path)
    else:
        frame = _frame_from_csv(path, warnings)
    if frame.height == 0:
        raise InputError([Issue(severity=Severity.ERROR, file=str(path), message="file is empty")])
    header_row = frame.row(0)
    headers = [" ".join(str(h).split()) if h is not None else "" for h in header_row]
    body = frame.slice(1)
    # Cells: stripped, empty -> None. Fully empty rows (spreadsheet padding) are dropped.
    stripped = body.select(
        pl.col(c).str.strip_chars().replace("", None).alias(c) for c in body.columns
    )
    keep = stripped.select(pl.any_horizontal(pl.all().is_not_null()).alias("keep"))["keep"]
    row_numbers = [k + 2 for k, flag in enumerate(keep.to_list()) if flag]
    kept = stripped.filter(keep)
    columns = [kept[c].to_list() for c in kept.columns]
    return RawTable(
        path=path, headers=headers, columns=columns, row_numbers=row_numbers, warnings=warnings
    )
