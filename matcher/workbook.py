"""The results as one XLSX workbook, a sheet per table, safe to open in a spreadsheet.

Coordinators open results in Excel or Sheets, where a cell typed ``=HYPERLINK(...)`` by a
survey respondent would run. So every string is written as a string (never parsed as a
formula, number or link) and, like the CSV files, neutralised with a leading quote.

The SpreadsheetML is written here rather than by xlsxwriter: its per-cell Python calls
took ~2 s for a 10,000-mentee result. Here each sheet is prepared column by column (each
distinct text numbered once, numbers formatted once per distinct value) and polars makes
the cells and rows, so no Python string is built per cell. Strings go to one
shared-string table, so each distinct text is escaped once and the sheets stay small to
compress. ``workbook_parts`` does the Python work and ``zip_parts`` the rest (polars and
zlib, which release the GIL), so a caller can zip on another thread.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import filterfalse, repeat
from operator import itemgetter
from typing import cast

import polars as pl

#: What a text a spreadsheet could run as a formula starts with.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Fixed document dates: the same input must give the same bytes, so nothing says "now".
FIXED_DATE = datetime(2000, 1, 1)
#: Excel's limits: a cell holds at most 32,767 characters, a sheet name 31.
_MAX_CELL = 32_767
_MAX_SHEET_NAME = 31
_MAX_WIDTH = 60
#: Excel stores a width of n characters as n plus 5 pixels of padding over 7-pixel digits,
#: in 1/256ths: what xlsxwriter wrote, so columns look as they did.
_PADDING = int(5 / 7 * 256) / 256
#: Every zip entry gets this date (the zip format's earliest), so bytes never change.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: Fast over slow-but-smaller: level 1 keeps compression a small part of the write.
_ZIP_LEVEL = 1
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

#: Text that XML 1.0 cannot carry at all (lone surrogates, U+FFFE/U+FFFF): dropped.
_UNENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
#: Control characters XML forbids even as references: written as Excel's own ``_xHHHH_``
#: escape, as xlsxwriter did (calamine decodes it; openpyxl shows it as it is).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: A literal ``_xHHHH_`` in the text would be decoded too, so its ``_`` is escaped.
_LITERAL_ESCAPE = re.compile("_x[0-9A-Fa-f]{4}_")
_CONTROL_BUT_NUL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f]")
#: A character but NUL that needs one of the rewrites above (a class alone: the search
#: with the ``_x`` alternative was three times slower).
_RARE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: No control character belongs in a sheet name (tab, LF and CR included).
_NAME_DROPPED = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff]")
_PRESERVE = ' xml:space="preserve"'
_NEXT_ITEM = f"</t></si><si><t{_PRESERVE}>"
_FORMULA_CHARS = frozenset(FORMULA_START)
_SELECTED = ' tabSelected="1"'

_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"


def neutralise(value: object) -> object:
    """Stop a spreadsheet from running a cell as a formula (prefix a quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Sheet:
    """One table: a sheet name, its column headers and its rows, or its Columns (str,
    int, float, bool or None per cell; None and "" are left empty)."""

    name: str
    columns: Sequence[str]
    rows: Iterable[Sequence[object]] | Columns


@dataclass(frozen=True)
class Columns:
    """A sheet's cells column by column (every column as long), in place of its rows: a
    table built that way is written with no transpose and no list per row."""

    values: Sequence[Sequence[object]]


def workbook_bytes(sheets: Sequence[Sheet], *, title: str) -> bytes:
    """The workbook's bytes, the same for the same sheets: fixed dates, fixed zip entry
    order and timestamps, strings numbered in the order they first appear."""
    return zip_parts(workbook_parts(sheets, title=title))


#: A part of the workbook: its text in pieces, a sheet's rows as a query polars runs
#: when the part is zipped (one row of text per sheet row).
Part = Sequence["str | pl.LazyFrame"]


def workbook_parts(sheets: Sequence[Sheet], *, title: str) -> list[tuple[str, Part]]:
    """Every part of the workbook, in the zip's order: the Python work. What is left to
    ``zip_parts`` (the rows' text from polars, then compression) lets other threads run
    meanwhile."""
    sheets = sheets or [Sheet("Sheet1", [], [])]  # Excel refuses a workbook with no sheet
    names = _sheet_names(sheets)
    strings: dict[str, str] = {}  # text -> its index, as written
    parts: list[tuple[str, Part]] = []
    filters: list[tuple[str, str]] = []
    for index, (sheet, name) in enumerate(zip(sheets, names, strict=True)):
        xml, filter_ref = _sheet_xml(sheet, strings, selected=index == 0)
        parts.append((f"xl/worksheets/sheet{index + 1}.xml", xml))
        if filter_ref:
            quoted = "'" + name.replace("'", "''") + "'"
            filters.append(
                (
                    name.casefold(),
                    f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" '
                    f'hidden="1">{_xml(quoted)}!{filter_ref}</definedName>',
                )
            )
    head: list[tuple[str, Part]] = [
        ("[Content_Types].xml", [_content_types(len(sheets))]),
        ("_rels/.rels", [_ROOT_RELS]),
        ("docProps/core.xml", [_core(title)]),
        ("docProps/app.xml", [_APP]),
        ("xl/workbook.xml", [_workbook(names, [xml for _, xml in sorted(filters)])]),
        ("xl/_rels/workbook.xml.rels", [_workbook_rels(len(sheets))]),
        ("xl/styles.xml", [_STYLES]),
        ("xl/sharedStrings.xml", [_shared_strings(strings)]),
    ]
    return head + parts


def zip_parts(parts: Iterable[tuple[str, Part]]) -> bytes:
    """The parts as one zip, UTF-8, every entry with the same fixed date. Nearly all of
    its time is polars and zlib, which release the GIL: a caller may run it on another
    thread."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, pieces in parts:
            entry = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0  # MS-DOS, as Excel writes: no host-dependent field
            data = b"".join(map(_utf8, pieces))
            archive.writestr(entry, data, compresslevel=_ZIP_LEVEL)
    return buffer.getvalue()


def _utf8(piece: str | pl.LazyFrame) -> bytes:
    """A piece's bytes. Rows come out through polars' CSV writer, one column, no quotes,
    no line ends: the rows' bytes back to back, faster than joining them as a string."""
    if isinstance(piece, str):
        return piece.encode("utf-8")
    buffer = io.BytesIO()
    piece.collect().write_csv(buffer, include_header=False, quote_style="never", line_terminator="")
    return buffer.getvalue()


def _sheet_names(sheets: Sequence[Sheet]) -> list[str]:
    """Names cut to Excel's 31 characters; a name Excel would refuse raises, as
    xlsxwriter did, rather than giving a workbook Excel has to repair."""
    names: list[str] = []
    seen: set[str] = set()
    for sheet in sheets:
        name = _NAME_DROPPED.sub("", sheet.name)[:_MAX_SHEET_NAME]
        if not name or _BAD_SHEET_CHARS.search(name) or name.startswith("'") or name.endswith("'"):
            raise ValueError(f"invalid sheet name {sheet.name!r}")
        if name.casefold() in seen:
            raise ValueError(f"duplicate sheet name {name!r}")
        seen.add(name.casefold())
        names.append(name)
    return names


def _column_letter(index: int) -> str:
    """A, B, ..., Z, AA, ... for a 0-based column index."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_xml(sheet: Sheet, strings: dict[str, str], *, selected: bool) -> tuple[Part, str]:
    """One worksheet's XML and its autofilter range ("" when it has no columns).

    Built column by column: each column is formatted in bulk (row numbers, string indices
    and numbers as text), and polars makes the cells and rows of them later, in
    ``zip_parts``: no Python string per cell."""
    values, length = _by_column(sheet)
    count = max(len(sheet.columns), len(values))
    letters = [_column_letter(c) for c in range(count)]
    header = [_text(c) for c in sheet.columns]
    widths = [len(h) for h in header] + [0] * (count - len(header))
    add = strings.setdefault
    header_cells = "".join(
        f'<c r="{letters[c]}1" s="1" t="s"><v>{add(h, f"{len(strings)}")}</v></c>'
        if h
        else f'<c r="{letters[c]}1" s="1"/>'
        for c, h in enumerate(header)
    )
    parts: list[tuple[str | None, list[str | None]]] = []
    for c, column in enumerate(values):
        pattern, texts, width = _column_cells(letters[c], column, length, strings)
        parts.append((pattern, texts))
        widths[c] = max(widths[c], width)
    body = _rows_xml(length, parts)
    last = letters[-1] if letters else "A"
    filter_ref = f"$A$1:${last}${max(length, 1) + 1}" if sheet.columns else ""
    cols = "".join(
        f'<col min="{c}" max="{c}" width="{min(w + 2, _MAX_WIDTH) + _PADDING}" customWidth="1"/>'
        for c, w in enumerate(widths, start=1)
    )
    cols = f"<cols>{cols}</cols>" if cols else ""
    autofilter = f'<autoFilter ref="{filter_ref.replace("$", "")}"/>' if filter_ref else ""
    start = (
        f'{_DECLARATION}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<dimension ref="A1:{last}{length + 1}"/>'
        f'<sheetViews><sheetView{_SELECTED if selected else ""} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f'{cols}<sheetData><row r="1">{header_cells}</row>'
    )
    end = (
        f"</sheetData>{autofilter}"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )
    return ([start, body, end] if body is not None else [start, end]), filter_ref


def _by_column(sheet: Sheet) -> tuple[list[list[object]], int]:
    """The sheet's cells as one list per column, rows padded with None to the widest, and
    the number of rows; no columns when there are no rows."""
    if isinstance(sheet.rows, Columns):
        values = [v if isinstance(v, list) else list(v) for v in sheet.rows.values]
        lengths = set(map(len, values))
        if len(lengths) > 1:
            raise ValueError(f"sheet {sheet.name!r}: columns of different lengths {lengths}")
        length = lengths.pop() if lengths else 0
        padding = max(len(sheet.columns) - len(values), 0)
        return (values + [[None] * length for _ in range(padding)] if length else []), length
    rows = list(sheet.rows)
    count = max(len(sheet.columns), max(map(len, rows), default=0))
    if set(map(len, rows)) - {count}:
        rows = [(*row, *(None,) * (count - len(row))) for row in rows]
    # A column by itemgetter, not zip(*rows): that makes an iterator per row, and the
    # garbage collector ran often enough to cost more than the rest.
    return [list(map(itemgetter(c), rows)) for c in range(count if rows else 0)], len(rows)


def _column_cells(
    letter: str, values: list[object], length: int, strings: dict[str, str]
) -> tuple[str | None, list[str | None], int]:
    """One column for ``_rows_xml``: a cell template and each cell's value (None for a
    blank cell), or no template and whole cells ("" for a blank one); and the widest
    shown text. A column of one kind (text, or finite numbers) is formatted in bulk:
    each distinct text is neutralised, cut and numbered once. A mixed column goes cell
    by cell."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds <= {str}:
        texts = cast("list[str | None]", values)
        distinct = list(filter(None, dict.fromkeys(texts)))
        width = max(map(len, distinct), default=0)
        cell = f'<c r="{letter}{{}}" t="s"><v>{{}}</v></c>'
        if width <= _MAX_CELL and not any(map(str.startswith, distinct, repeat(FORMULA_START))):
            # Most columns: every text is shown as it is, so the table is the index.
            _number(strings, filterfalse(strings.__contains__, distinct))
            table = cast("dict[str | None, str]", strings)
            return cell, list(map(table.get, texts)), width
        shown = [("'" + v if v[0] in _FORMULA_CHARS else v)[:_MAX_CELL] for v in distinct]
        _number(strings, filterfalse(strings.__contains__, dict.fromkeys(shown)))
        index: dict[str | None, str] = dict(
            zip(distinct, map(strings.__getitem__, shown), strict=True)
        )
        return cell, list(map(index.get, texts)), max(map(len, shown))
    if kinds <= {int, float} and _finite(values):
        # Ints and floats are formatted apart (1 == 1.0); a blank comes out as "None".
        shown = format_column(values) if len(kinds) == 1 else list(map(str, values))
        numbers = cast("list[str | None]", shown)
        if None in values:
            numbers = [None if s == "None" else s for s in shown]
        width = max(map(len, filter(None, numbers)), default=0)
        return f'<c r="{letter}{{}}"><v>{{}}</v></c>', numbers, width
    rows = range(2, length + 2)
    pairs = [_cell(f"{letter}{r}", v, strings) for r, v in zip(rows, values, strict=True)]
    return None, [p[0] for p in pairs], max((p[1] for p in pairs), default=0)


def _number(strings: dict[str, str], fresh: Iterable[str]) -> None:
    """Add texts new to the table, numbered on from its end."""
    added = list(fresh)
    first = len(strings)
    strings.update(zip(added, map(str, range(first, first + len(added))), strict=True))


def _rows_xml(
    length: int, columns: list[tuple[str | None, list[str | None]]]
) -> pl.LazyFrame | None:
    """Rows 2 on, ``<row r="n">`` and each column's cells, as a polars query (a row of
    text per row); None with no rows. Cells hold only ASCII (row numbers, string
    indices, numbers), so polars can make them, not a Python string per cell."""
    if not length:
        return None
    frame: dict[str, pl.Series] = {"r": pl.int_range(2, length + 2, eager=True).cast(pl.String)}
    cells = [pl.lit('<row r="'), pl.col("r"), pl.lit('">')]
    for c, (template, texts) in enumerate(columns):
        frame[f"c{c}"] = pl.Series(texts, dtype=pl.String)
        text = pl.col(f"c{c}")
        cells.append(text if template is None else pl.format(template, "r", text).fill_null(""))
    cells.append(pl.lit("</row>"))
    return pl.LazyFrame(frame).select(pl.concat_str(cells))


def format_column(values: Sequence[object], spec: str = "") -> list[str]:
    """Every value formatted with ``spec``, each distinct value once: scores repeat a lot
    (35,793 alternates hold ~300 distinct). The values must be of one type, None aside
    (1 and 1.0 are one key but format apart); a column holding -0.0 (the same key as
    0.0) is formatted value by value."""
    distinct = set(values)
    if _ZERO & distinct:
        zeros = cast("list[float]", list(filter(_ZERO.__contains__, values)))
        if min(map(math.copysign, repeat(1.0), zeros)) < 0:
            return list(map(format, values, repeat(spec)))
    texts = {v: format(v, spec) for v in distinct}
    return list(map(texts.__getitem__, values))


_ZERO = frozenset((0.0,))


def _finite(numbers: list[object]) -> bool:
    """Whether every number (None aside) is finite, at C speed: a sum is finite only if
    every term is; an overflowing sum just sends the column down the slow path."""
    try:
        return math.isfinite(sum(filter(None, cast("list[float | None]", numbers))))
    except OverflowError:
        return False


def _cell(ref: str, value: object, strings: dict[str, str]) -> tuple[str, int]:
    """One cell of any kind and the characters it shows (for the column width)."""
    if value is None or value == "":
        return "", 0
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>', 5
    if isinstance(value, int | float):
        shown = f"{value}"
        if isinstance(value, float) and not math.isfinite(value):
            text = shown
        else:
            number = f"{int(value)}" if isinstance(value, int) else f"{float(value)!r}"
            return f'<c r="{ref}"><v>{number}</v></c>', len(shown)
    else:
        text = _text(str(value))
    index = strings.setdefault(text, f"{len(strings)}")
    return f'<c r="{ref}" t="s"><v>{index}</v></c>', len(text)


def _text(text: str) -> str:
    """A string as a cell holds it: neutralised, cut to Excel's limit."""
    return str(neutralise(text))[:_MAX_CELL]


def _shared_strings(strings: dict[str, str]) -> str:
    """The shared-string table. The distinct texts are escaped as one NUL-separated
    string (C-speed replaces, not a call per text); a NUL in a text falls back to one
    call per text. Every text keeps its edge spaces (xml:space="preserve")."""
    joined = "\0".join(strings)
    if joined.count("\0") == max(len(strings) - 1, 0):
        items = _escape_cell(joined, separated=True).replace("\0", _NEXT_ITEM)
    else:
        items = _NEXT_ITEM.join(_escape_cell(s, separated=False) for s in strings)
    if strings:
        items = f"<si><t{_PRESERVE}>{items}</t></si>"
    return f'{_DECLARATION}<sst xmlns="{_MAIN_NS}" uniqueCount="{len(strings)}">{items}</sst>'


def _escape_cell(text: str, *, separated: bool) -> str:
    """Cell text as XML: what XML cannot hold dropped, control characters as ``_xHHHH_``
    (a literal one guarded as ``_x005F_xHHHH_``), & < > escaped, and CR as ``&#13;``
    (a raw CR would be read as LF; every XML reader, openpyxl too, decodes the
    reference). ``separated``: NULs separate texts (none holds one), so they stay."""
    control = _CONTROL_BUT_NUL if separated else _CONTROL
    if not separated or _rewrites(text):
        text = _UNENCODABLE.sub("", text)
        text = _LITERAL_ESCAPE.sub(r"_x005F\g<0>", text)
        text = control.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;")


def _rewrites(text: str) -> bool:
    """Whether _escape_cell may have more to do than & < > and CR: a control character
    but NUL, a literal ``_x`` (maybe ``_xHHHH_``), a lone surrogate, U+FFFE or U+FFFF.
    Latin-1 text (most surveys) is checked as bytes, where deleting the control bytes
    is ~5 times faster than the regex."""
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return "_x" in text or _RARE.search(text) is not None
    return b"_x" in raw or len(raw.translate(None, _CONTROL_BYTES)) != len(raw)


#: _RARE's control characters as bytes (latin-1 holds no surrogate, U+FFFE or U+FFFF).
_CONTROL_BYTES = bytes([*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _xml(text: str) -> str:
    """Plain XML text or attribute (names, the title): forbidden characters dropped."""
    text = _XML_FORBIDDEN.sub("", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        f'ContentType="{_CT}.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    return (
        f'{_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{_CT}.extended-properties+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{_CT}.spreadsheetml.sharedStrings+xml"/>'
        f"{sheets}</Types>"
    )


_ROOT_RELS = (
    f'{_DECLARATION}<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL_NS}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

_APP = (
    f"{_DECLARATION}<Properties xmlns="
    '"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>cohort-matcher</Application></Properties>"
)

_STYLES = (
    f'{_DECLARATION}<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/>'
    "</border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _core(title: str) -> str:
    """Document properties: the title, and FIXED_DATE as both created and modified."""
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{_DECLARATION}<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_xml(str(neutralise(title)))}</dc:title>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _workbook(names: list[str], filters: list[str]) -> str:
    """The sheet list and, per filtered sheet, the hidden ``_xlnm._FilterDatabase`` name
    Excel expects beside an autofilter."""
    sheets = "".join(
        f'<sheet name="{_xml(name)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(names, start=1)
    )
    defined = f"<definedNames>{''.join(filters)}</definedNames>" if filters else ""
    return (
        f'{_DECLARATION}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>{defined}"
        "</workbook>"
    )


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    return (
        f'{_DECLARATION}<Relationships xmlns="{_PKG_REL_NS}">{sheets}'
        f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{count + 2}" Type="{_REL_NS}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )
