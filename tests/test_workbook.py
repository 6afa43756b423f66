"""The hand-written XLSX: read back with fastexcel (through polars) and, when installed,
openpyxl, so values, types, escaping and the sheet furniture (bold header, frozen pane,
autofilter, widths) survive, and the same sheets always give the same bytes."""

from __future__ import annotations

import io
import math
import re
import zipfile
from typing import Any
from xml.etree import ElementTree

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import workbook
from matcher.workbook import FIXED_DATE, Columns, Sheet, neutralise, workbook_bytes

DETERMINISTIC = settings(derandomize=True, database=None, deadline=None)
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
MAX_CELL = 32_767
#: What xlsxwriter added to a width of n characters (5 pixels over 7-pixel digits).
PADDING = 0.7109375


def read(data: bytes) -> dict[str, pl.DataFrame]:
    """Every sheet, by name, as the CLI and API tests read the workbook."""
    return pl.read_excel(io.BytesIO(data), sheet_id=0, raise_if_empty=False)


def part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode("utf-8")


def sheet_xml(data: bytes, number: int = 1) -> ElementTree.Element:
    return ElementTree.fromstring(part(data, f"xl/worksheets/sheet{number}.xml"))


def cell(data: bytes, ref: str, number: int = 1) -> ElementTree.Element:
    found = sheet_xml(data, number).find(f".//m:c[@r='{ref}']", NS)
    assert found is not None, ref
    return found


def one(name: str, columns: list[str], rows: list[list[object]]) -> bytes:
    return workbook_bytes([Sheet(name, columns, rows)], title="test")


TYPED = Sheet(
    "typed",
    ["text", "whole", "real", "flag", "blank", "nonfinite", "mixed"],
    [
        ["a", 1, 1.5, True, None, math.inf, "x"],
        ["", 2, 2.0, False, None, -math.inf, 3],
        ["b c", -3, -0.25, True, "", math.nan, 4.5],
    ],
)


def test_values_and_types_round_trip() -> None:
    data = workbook_bytes([TYPED], title="test")
    frame = read(data)["typed"]
    assert frame.schema["text"] == pl.String
    assert frame.schema["whole"] == pl.Int64
    assert frame.schema["real"] == pl.Float64
    assert frame.schema["flag"] == pl.Boolean
    assert frame.rows() == [
        ("a", 1, 1.5, True, None, "inf", "x"),
        (None, 2, 2.0, False, None, "-inf", "3"),
        ("b c", -3, -0.25, True, None, "nan", "4.5"),
    ]
    # Cell by cell: numbers and booleans typed, non-finite floats text, blanks absent.
    assert cell(data, "B2").get("t") is None
    assert cell(data, "D2").get("t") == "b"
    assert cell(data, "F2").get("t") == "s"
    assert cell(data, "G2").get("t") == "s"
    assert cell(data, "G3").get("t") is None
    assert cell(data, "G4").findtext("m:v", namespaces=NS) == "4.5"
    root = sheet_xml(data)
    assert root.find(".//m:c[@r='E2']", NS) is None
    assert root.find(".//m:c[@r='A3']", NS) is None


def test_formula_looking_strings_come_back_with_a_leading_quote() -> None:
    evil = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\ry", "=1+1"]
    data = one("evil", ["=header", "plain"], [[e, "fine"] for e in evil])
    frame = read(data)["evil"]
    assert frame.columns == ["'=header", "plain"]
    assert frame["'=header"].to_list() == ["'" + e for e in evil]
    assert frame["'=header"].to_list() == [neutralise(e) for e in evil]
    assert "<f>" not in part(data, "xl/worksheets/sheet1.xml")


def test_xml_special_and_control_characters_round_trip() -> None:
    texts = [
        "a<b>&\"c'",
        "</t></si><si><t>injected",
        "x\x01y\x08z\x0b\x0c\x1f",
        "nul\x00inside",
        "cr\rlf\ncrlf\r\ntab\t",
        "literal _x0041_ and _x00e9_ stay",
        "  edge spaces  ",
        "\n",
        "caf\u00e9 \u4e2d\u6587 \U0001f600 \x7f\x85\u2028",
    ]
    data = one("chars", ["text"], [[t] for t in texts])
    for name in zipfile.ZipFile(io.BytesIO(data)).namelist():
        ElementTree.fromstring(part(data, name))  # every part well-formed
    assert read(data)["chars"]["text"].to_list() == texts
    # Characters XML 1.0 cannot carry at all are dropped rather than breaking the file.
    dropped = one("dropped", ["text"], [["a\ufffeb\uffffc"], ["lone \ud800 surrogate"]])
    assert read(dropped)["dropped"]["text"].to_list() == ["abc", "lone  surrogate"]


def test_a_cell_over_excels_limit_is_cut() -> None:
    long = "x" * 40_000
    data = one("long", ["text"], [[long], ["=" + long]])
    values = read(data)["long"]["text"].to_list()
    assert values[0] == "x" * MAX_CELL
    assert values[1] == "'=" + "x" * (MAX_CELL - 2)


def test_sheet_names_are_cut_to_31_characters_and_escaped() -> None:
    name = "pairs & <friends> of 'the' programme, long"
    data = workbook_bytes([Sheet(name, ["a"], [[1]]), Sheet("b", ["a"], [])], title="t & <t>")
    assert list(read(data)) == [name[:31], "b"]
    assert "<dc:title>t &amp; &lt;t&gt;</dc:title>" in part(data, "docProps/core.xml")


@pytest.mark.parametrize("name", ["a/b", "what?", "[x]", "'quoted'", ""])
def test_a_sheet_name_excel_refuses_raises(name: str) -> None:
    with pytest.raises(ValueError, match="invalid sheet name"):
        one(name, ["a"], [])


def test_names_equal_after_cutting_raise() -> None:
    with pytest.raises(ValueError, match="duplicate sheet name"):
        workbook_bytes([Sheet("x" * 40, [], []), Sheet("X" * 35, [], [])], title="t")


def test_column_widths_fit_the_widest_shown_value_up_to_60() -> None:
    rows: list[list[object]] = [["abc", 12.25, "y" * 100, None, True], ["=no", 1, "", None, False]]
    data = one("w", ["id", "score", "text", "empty column", "ok"], rows)
    widths = [float(c.get("width", "")) for c in sheet_xml(data).iterfind(".//m:col", NS)]
    # id: "'=no" is 4 shown characters; score: "12.25"; text capped; header; booleans 5.
    assert widths == [w + 2 + PADDING for w in (4, 5, 58, 12, 5)]
    col = sheet_xml(data).find(".//m:col", NS)
    assert col is not None
    assert col.get("customWidth") == "1"


def test_header_is_bold_with_a_bottom_border_pane_frozen_and_filtered() -> None:
    data = one("f", ["a", "b", "c"], [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    root = sheet_xml(data)
    pane = root.find(".//m:sheetView/m:pane", NS)
    assert pane is not None
    assert pane.attrib == {
        "ySplit": "1",
        "topLeftCell": "A2",
        "activePane": "bottomLeft",
        "state": "frozen",
    }
    autofilter = root.find("m:autoFilter", NS)
    assert autofilter is not None
    assert autofilter.get("ref") == "A1:C4"
    header = root.findall(".//m:row[@r='1']/m:c", NS)
    assert [c.get("s") for c in header] == ["1", "1", "1"]
    styles = ElementTree.fromstring(part(data, "xl/styles.xml"))
    xf = styles.findall("m:cellXfs/m:xf", NS)[1]
    font = styles.findall("m:fonts/m:font", NS)[int(xf.get("fontId", ""))]
    border = styles.findall("m:borders/m:border", NS)[int(xf.get("borderId", ""))]
    assert font.find("m:b", NS) is not None
    bottom = border.find("m:bottom", NS)
    assert bottom is not None
    assert bottom.get("style") == "thin"
    workbook = ElementTree.fromstring(part(data, "xl/workbook.xml"))
    name = workbook.find(".//m:definedName", NS)
    assert name is not None
    assert name.attrib == {"name": "_xlnm._FilterDatabase", "localSheetId": "0", "hidden": "1"}
    assert name.text == "'f'!$A$1:$C$4"


def test_the_same_sheets_give_the_same_bytes_with_no_clock_in_them() -> None:
    sheets = [TYPED, Sheet("second", ["n"], [[k] for k in range(100)])]
    first = workbook_bytes(sheets, title="t")
    assert workbook_bytes(sheets, title="t") == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert [i.filename for i in infos][:3] == [
            "[Content_Types].xml",
            "_rels/.rels",
            "docProps/core.xml",
        ]
        assert archive.testzip() is None
    core = part(first, "docProps/core.xml")
    assert core.count(FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")) == 2


def test_rows_from_a_generator_and_rows_shorter_than_the_header() -> None:
    table: list[list[object]] = [["a"], [], ["b", 2]]
    rows = (r for r in table)
    data = workbook_bytes([Sheet("g", ["x", "y"], rows)], title="t")
    frame = pl.read_excel(io.BytesIO(data), sheet_name="g", drop_empty_rows=False)
    assert frame.rows() == [("a", None), (None, None), ("b", 2)]


def test_a_sheet_with_no_rows_keeps_its_header_and_filter() -> None:
    data = one("empty", ["a", "b"], [])
    frame = read(data)["empty"]
    assert frame.columns == ["a", "b"]
    assert frame.height == 0
    autofilter = sheet_xml(data).find("m:autoFilter", NS)
    assert autofilter is not None
    assert autofilter.get("ref") == "A1:B2"


def test_a_sheet_with_no_columns_and_a_workbook_with_no_sheets() -> None:
    data = workbook_bytes([Sheet("nothing", [], []), Sheet("after", ["a"], [["x"]])], title="t")
    sheets = read(data)
    assert list(sheets) == ["nothing", "after"]
    assert sheets["after"]["a"].to_list() == ["x"]
    root = sheet_xml(data)
    assert root.find("m:autoFilter", NS) is None
    assert root.find("m:cols", NS) is None
    workbook = ElementTree.fromstring(part(data, "xl/workbook.xml"))
    names = workbook.findall(".//m:definedName", NS)
    assert [n.get("localSheetId") for n in names] == ["1"]  # none for the empty sheet
    assert list(read(workbook_bytes([], title="t"))) == ["Sheet1"]


def _model(text: str) -> str | None:
    """What a cell should read back as: neutralised, cut, unencodable characters gone."""
    kept = re.sub("[\ud800-\udfff\ufffe\uffff]", "", str(neutralise(text))[:MAX_CELL])
    return kept or None


@settings(DETERMINISTIC, max_examples=60)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_any_text_round_trips(texts: list[str]) -> None:
    data = one("prop", ["text", "n"], [[t, k] for k, t in enumerate(texts)])
    frame = read(data)["prop"]
    assert frame["text"].to_list() == [_model(t) for t in texts]
    assert frame["n"].to_list() == list(range(len(texts)))


def test_openpyxl_reads_values_styles_pane_filter_and_widths() -> None:
    openpyxl: Any = pytest.importorskip("openpyxl")
    data = workbook_bytes([TYPED, Sheet("b" * 40, ["x"], [["=1"], ["a\r\nb <&>"]])], title="t")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["typed", "b" * 31]
    ws = book["typed"]
    assert [c.value for c in ws[2]] == ["a", 1, 1.5, True, None, "inf", "x"]
    assert ws["A1"].font.b
    assert ws["A1"].border.bottom.style == "thin"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G4"
    assert ws.column_dimensions["A"].width == len("text") + 2 + PADDING
    assert book["b" * 31]["A2"].value == "'=1"
    assert book["b" * 31]["A2"].data_type == "s"
    # CR is a character reference, which openpyxl decodes too (it leaves Excel's _xHHHH_
    # escapes of the other control characters as they are, as it did for xlsxwriter's).
    assert book["b" * 31]["A3"].value == "a\r\nb <&>"


def sheet_text(sheet: Sheet, strings: dict[str, str]) -> str:
    pieces, _ = workbook._sheet_xml(sheet, strings, selected=True)
    return b"".join(map(workbook._utf8, pieces)).decode()


def reference_sheet_data(
    columns: list[str], rows: list[list[object]]
) -> tuple[str, dict[str, str]]:
    """The rows of <sheetData> after the header and the string table, cell by cell (the
    general path): what the bulk paths per column must give, byte for byte."""
    strings: dict[str, str] = {}
    for text in map(workbook._text, columns):
        if text:
            strings.setdefault(text, f"{len(strings)}")
    width = max(len(columns), max(map(len, rows), default=0))
    padded = [[*row, *[None] * (width - len(row))] for row in rows]
    cells = [
        [workbook._cell(f"{workbook._column_letter(c)}{r}", row[c], strings)[0]
         for r, row in enumerate(padded, start=2)]
        for c in range(width)
    ]  # fmt: skip
    body = "".join(
        f'<row r="{r}">' + "".join(column[r - 2] for column in cells) + "</row>"
        for r in range(2, len(rows) + 2)
    )
    return body, strings


def _column_of(kind: str) -> st.SearchStrategy[object]:
    blank = st.sampled_from([None, ""]) if kind == "text" else st.none()
    values: dict[str, st.SearchStrategy[object]] = {
        "text": st.text(max_size=6) | st.sampled_from(["=a", "-1", "@", "x", "x"]),
        "int": st.integers(min_value=-(10**20), max_value=10**20),
        "float": st.floats(allow_nan=False, allow_infinity=False),
        "any": st.one_of(st.text(max_size=4), st.floats(), st.integers(), st.booleans()),
    }
    return st.one_of(blank, values[kind], values[kind], values[kind])


@settings(DETERMINISTIC, max_examples=150)
@given(
    st.lists(st.sampled_from(["text", "int", "float", "any"]), min_size=1, max_size=5).flatmap(
        lambda kinds: st.lists(st.tuples(*map(_column_of, kinds)), max_size=8)
    )
)
def test_bulk_columns_give_the_same_cells_as_cell_by_cell(rows: list[tuple[object, ...]]) -> None:
    table = [list(row) for row in rows]
    columns = [f"c{k}" for k in range(len(table[0]) if table else 1)]
    strings: dict[str, str] = {}
    xml = sheet_text(Sheet("s", columns, table), strings)
    data = xml.split("<sheetData>")[1].split("</sheetData>")[0]
    body, expected = reference_sheet_data(columns, table)
    assert data.split("</row>", 1)[1] == body
    assert strings == expected
    by_columns = Sheet("s", columns, Columns([list(c) for c in zip(*table, strict=True)]))
    if table:
        assert sheet_text(by_columns, {}) == xml


#: Pieces of text that each take one of the escaping paths (latin-1 and beyond).
TOKENS = ["a", " ", "&", "<", ">", "\r", "\n", "\t", "\x01", "\x1f", "\x7f", "\x85", "_x0041_",
          "_x", "_", "x", "\ufffe", "\uffff", "\ud800", "\u00e9", "\u4e2d",
          "\U0001f600"]  # fmt: skip


@settings(DETERMINISTIC, max_examples=300)
@given(st.lists(st.sampled_from(TOKENS), max_size=6).map("".join))
def test_the_bytes_check_for_rewrites_agrees_with_the_regex(text: str) -> None:
    expected = "_x" in text or workbook._RARE.search(text) is not None
    assert workbook._rewrites(text) == expected
    assert workbook._rewrites(f"{text}\0{text}") == expected  # NUL separates, never counts
