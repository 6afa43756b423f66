"""The report page, the workbook and the privacy rule, on a result built by hand so
every number on the page is known in advance."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.config import ProgramConfig
from matcher.models import (
    Alternate,
    Circle,
    Cohort,
    Fix,
    MatchResult,
    Member,
    PairResult,
    Participant,
    Role,
    SolverReport,
    Summary,
    TopicBalance,
    TrackSummary,
    Unmatched,
)
from matcher.output import WORKBOOK, render, write_results
from matcher.report import attribute_rows, report_html
from matcher.scoring import COMPONENTS
from tests.attribute_survey import write_attribute_survey

EVIL = '=HYPERLINK("http://x","click")'
SCRIPT = "<script>alert(1)</script>"
#: Pair scores: buckets 0-10: 1, 10-20: 2, 50-60: 1, 90-100: 2 (100 is in the last).
SCORES = [5.0, 15.0, 19.99, 55.0, 95.0, 100.0]
REASONS = {"eligible mentors all taken": 3, "no eligible mentor": 1}


def _person(pid: str, roles: tuple[Role, ...], dept: str | None, loc: str | None,
            **extra: object) -> Participant:  # fmt: skip
    return Participant.model_validate(
        {"id": pid, "name": f"Name {pid}", "roles": roles, "department": dept,
         "location": loc, **extra}
    )  # fmt: skip


def _people() -> list[Participant]:
    mentors = [
        _person("m1", (Role.MENTOR,), "Eng", "Leeds", capacity=3),
        _person("m2", (Role.MENTOR,), "Sales", "York", capacity=3),
        _person("m3", (Role.MENTOR,), "Eng", "York"),  # default capacity (2): idle
    ]
    mentees = [
        _person(f"e{k}", (Role.MENTEE,), ["Eng", "Sales", "Ops"][k % 3], "York") for k in range(10)
    ]
    # A name built to break a page or a spreadsheet.
    mentees[0] = _person("e0", (Role.MENTEE,), "Eng", "York", name=SCRIPT)
    mentees[1] = _person(EVIL, (Role.MENTEE,), "Sales", "York", name=EVIL)
    return mentors + mentees


def _pair(a: str, b: str, score: float) -> PairResult:
    share = score / len(COMPONENTS)
    return PairResult(a=a, b=b, score=score, components=dict.fromkeys(COMPONENTS, share),
                      reasons=[f"Both want {EVIL}.", SCRIPT])  # fmt: skip


def _member(p: Participant, role: Role) -> Member:
    return Member(id=p.id, name=p.name, role=role)


def _summary(track: str, left: int, unmatched: int, reasons: dict[str, int]) -> TrackSummary:
    return TrackSummary(
        track=track, left=left, right=3, candidate_pairs=30, pairs=6,
        left_matched=left - unmatched, left_unmatched=unmatched, demand_total=left,
        demand_met=left - unmatched, mean_score=48.3, min_score=5.0,
        unmatched_reasons=reasons, disabled_components=[],
        solver=SolverReport(method="pruned_flow", status="optimal", objective=1.0,
                            bound=1.0, gap=0.0, wall_time=0.5),
    )  # fmt: skip


def _result(people: list[Participant]) -> MatchResult:
    by_id = {p.id: p for p in people}
    m1, m2 = by_id["m1"], by_id["m2"]
    mentees = [p for p in people if Role.MENTEE in p.roles]
    # m1 (Eng, Leeds) takes e0 (Eng), EVIL (Sales), e2 (Ops): 2 cross-department.
    # m2 (Sales, York) takes e3 (Eng), e4 (Sales), e5 (Ops): 2 cross-department.
    plan = [(m1, mentees[0:3]), (m2, mentees[3:6])]
    cohorts = []
    scores = iter(SCORES)
    for k, (mentor, group) in enumerate(plan, start=1):
        pairs = [_pair(mentor.id, e.id, next(scores)) for e in group]
        cohorts.append(Cohort(
            id=f"M{k:03d}", track="mentoring",
            members=[_member(mentor, Role.MENTOR), *(_member(e, Role.MENTEE) for e in group)],
            pairs=pairs, score=sum(p.score for p in pairs) / len(pairs),
        ))  # fmt: skip
    unmatched = [
        Unmatched(id=e.id, name=e.name, role=Role.MENTEE, reason=f"{EVIL} all taken")
        for e in mentees[6:]
    ]
    return MatchResult(
        cohorts=cohorts,
        circles=[Circle(id="C01", theme="Python", members=[_member(mentees[6], Role.CIRCLE)],
                        fit={mentees[6].id: 50.0}, reasons=[SCRIPT])],
        unmatched=unmatched,
        summary=Summary(people=len(people), pairs=6,
                        tracks=[_summary("mentoring", 10, 4, REASONS)], stage_seconds={}),
        alternates=[Alternate(track="mentoring", id="e6", rank=1, partner_id="m3",
                              partner_name="Name m3", score=40.0)],
        fixes=[
            Fix(track="mentoring", kind="relax_rule", change="allow same department",
                placed=1, newly_matched=["e9"]),
            Fix(track="mentoring", kind="raise_capacity", change="m3 takes 3", placed=3,
                newly_matched=["e6", "e7", "e8"]),
        ],
        topics=[
            TopicBalance(track="mentoring", topic="Python", demand=8, offering=2, capacity=6,
                         covered=5, short=False),
            TopicBalance(track="mentoring", topic="Rust", demand=5, offering=1, capacity=2,
                         covered=1, short=True),
        ],
    )  # fmt: skip


@pytest.fixture
def people() -> list[Participant]:
    return _people()


@pytest.fixture
def result(people: list[Participant]) -> MatchResult:
    return _result(people)


@pytest.fixture
def page(result: MatchResult, people: list[Participant]) -> str:
    return report_html(result, people, ProgramConfig(name="Test <program>"))


def chart(page: str, key: str) -> str:
    """The SVG of one chart."""
    found = re.search(rf'<svg[^>]* id="{re.escape(key)}-svg".*?</svg>', page, flags=re.S)
    assert found, key
    return found.group(0)


def marks(svg: str) -> list[tuple[str, str, float]]:
    """(label, series, value) of each bar."""
    return [
        (label, series, float(value))
        for label, series, value in re.findall(
            r'<rect class="mark[^"]*"[^>]*?data-label="([^"]*)"(?: data-series="([^"]*)")? '
            r'data-value="([^"]*)"',
            svg,
        )
    ]


def test_histogram_counts_pairs_per_ten_points(page: str) -> None:
    values = [v for _, _, v in marks(chart(page, "scores"))]
    assert values == [1, 2, 0, 0, 0, 1, 0, 0, 0, 2]
    assert '<title id="scores-title">Score distribution</title>' in page


def test_unmatched_chart_counts_each_reason(page: str) -> None:
    got = {label: v for label, _, v in marks(chart(page, "unmatched-mentoring"))}
    assert got == REASONS


def test_utilisation_counts_capacity_and_places_used(page: str) -> None:
    got = {series: v for _, series, v in marks(chart(page, "utilisation"))}
    assert got == {"offered": 3 + 3 + 2, "used": 6}
    # Mentors: m3 idle, none partly used, m1 and m2 full.
    assert "<td>mentoring</td><td>1</td><td>0</td><td>2</td>" in page


def test_topic_chart_highlights_topics_short_of_mentors(page: str) -> None:
    svg = chart(page, "topics")
    got = {(label, series): v for label, series, v in marks(svg)}
    assert got[("Python", "wanted")] == 8
    assert got[("Rust", "places")] == 2
    assert got[("Rust", "covered")] == 1
    hot = re.findall(r'<rect class="mark s\d hot"[^>]*data-label="([^"]*)"', svg)
    assert set(hot) == {"Rust"}
    assert "<td>Rust</td><td>5</td><td>2</td><td>1</td><td>yes</td>" in page
    assert "<tr class=short><td>mentoring</td><td>Rust</td>" in page


def test_department_mix_counts_cross_department_pairs(page: str) -> None:
    got = {series: v for _, series, v in marks(chart(page, "mix"))}
    assert got["cross department"] == 4
    assert got["same department"] == 2
    assert got["cross location"] == 3  # m1 is in Leeds, every mentee in York
    table = re.search(r'id="chart-departments".*?</figure>', page, flags=re.S)
    assert table
    # Rows: the mentor's department; Eng mentors (m1) took one mentee of each department.
    assert re.search(r"<th scope=row>Eng</th>(<td[^>]*>1</td>){3}", table.group(0))


def test_fixes_are_ranked_by_places_filled(page: str) -> None:
    section = page.split('<section id="fixes">')[1].split("</section>")[0]
    assert section.index("m3 takes 3") < section.index("allow same department")
    assert "<td>1</td><td>mentoring</td><td>m3 takes 3</td>" in section


def test_every_chart_has_a_title_and_a_table(page: str) -> None:
    figures = re.findall(r"<figure class=chart.*?</figure>", page, flags=re.S)
    assert len(figures) >= 6
    for figure in figures:
        assert "<figcaption" in figure
        assert "<table" in figure
        if "<svg" in figure:
            assert re.search(r"<svg[^>]*role=img[^>]*aria-labelledby=", figure)
            assert "<title id=" in figure
            assert "<desc id=" in figure


def test_page_is_self_contained_and_escaped(page: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, flags=re.I)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page
    assert "url(" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Test &lt;program&gt;: matching report" in page


def _workbook(files: dict[str, str | bytes]) -> dict[str, pl.DataFrame]:
    data = files[WORKBOOK]
    assert isinstance(data, bytes)
    return pl.read_excel(io.BytesIO(data), sheet_id=0, raise_if_empty=False)


def test_workbook_has_a_sheet_per_table_with_typed_values(
    result: MatchResult, people: list[Participant]
) -> None:
    sheets = _workbook(render(result, people, ProgramConfig()))
    assert list(sheets) == ["summary", "pairs", "participants", "circles", "unmatched",
                            "topics", "fixes", "alternates"]  # fmt: skip
    pairs = sheets["pairs"]
    assert pairs.height == 6
    assert pairs["score"].to_list() == SCORES
    assert pairs["score"].dtype == pl.Float64
    assert sheets["participants"].height == len(people)
    assert sheets["participants"]["capacity"].to_list()[:3] == [3, 3, 2]
    assert sheets["summary"].row(0, named=True)["solver_status"] == "optimal"
    assert sheets["unmatched"]["track"].unique().to_list() == ["mentoring"]
    assert sheets["fixes"]["change"].to_list() == ["m3 takes 3", "allow same department"]
    assert sheets["topics"]["short"].to_list() == [False, True]
    assert sheets["alternates"]["partner_id"].to_list() == ["m3"]


def test_workbook_neutralises_formulas_like_the_csv(
    result: MatchResult, people: list[Participant]
) -> None:
    files = render(result, people, ProgramConfig())
    sheets = _workbook(files)
    assert "'" + EVIL in sheets["pairs"]["mentee_id"].to_list()
    assert "'" + EVIL in sheets["participants"]["name"].to_list()
    assert all(r.startswith("'=") for r in sheets["unmatched"]["reason"].to_list())
    pairs_csv = files["pairs.csv"]
    assert isinstance(pairs_csv, str)
    assert '"\'=HYPERLINK(""http://x"",""click"")"' in pairs_csv
    data = files[WORKBOOK]
    assert isinstance(data, bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in book.read(name).decode(), name  # no formula cell


def test_same_result_gives_identical_bytes(result: MatchResult, people: list[Participant]) -> None:
    first = render(result, people, ProgramConfig())
    second = render(_result(_people()), _people(), ProgramConfig())
    assert first == second
    data = first[WORKBOOK]
    assert isinstance(data, bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert "2000-01-01T00:00:00Z" in book.read("docProps/core.xml").decode()


def test_write_results_writes_bytes_and_text(tmp_path: Path) -> None:
    out = tmp_path / "r"
    files: dict[str, str | bytes] = {"a.bin": b"\x00\xffPK", "b.txt": "caf\u00e9\n",
                                     "summary.json": "{}\n"}  # fmt: skip
    write_results(out, files)
    assert (out / "a.bin").read_bytes() == b"\x00\xffPK"
    assert (out / "b.txt").read_bytes() == "caf\u00e9\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # staging swapped in


# --- privacy -------------------------------------------------------------------------


def _with_attributes(people: list[Participant], values: dict[str, int]) -> list[Participant]:
    """Give the mentees an opt-in attribute: ``values`` maps a value to how many hold it."""
    labels = [v for v, n in values.items() for _ in range(n)]
    out, k = [], 0
    for p in people:
        if Role.MENTEE in p.roles and k < len(labels):
            p = p.model_copy(update={"attributes": {"group": labels[k]}})
            k += 1
        out.append(p)
    return out


ATTR_CONFIG = ProgramConfig.model_validate(
    {"attributes": {"consent": ["May we"], "columns": {"group": ["Group"]}}}
)


def test_groups_under_five_are_suppressed(result: MatchResult, people: list[Participant]) -> None:
    # e0-e5 are matched, e6-e9 not: BIGvalue holds e0-e6 (6 matched, 1 not), TINYvalue 3.
    people = _with_attributes(people, {"BIGvalue": 7, "TINYvalue": 3})
    rows = attribute_rows(result, people, ATTR_CONFIG)
    assert [(r.value, r.asked, r.matched, r.unmatched) for r in rows] == [
        ("BIGvalue", "7", "5-7", "<5"),
        ("values held by fewer than 5 each", "<5", "", ""),
    ]
    files = render(result, people, ATTR_CONFIG)
    sheets = _workbook(files)
    text = "".join(str(v) for k, v in files.items() if k != WORKBOOK)
    text += "".join(frame.write_csv() for frame in sheets.values())
    assert "TINYvalue" not in text
    assert text.count("BIGvalue") == 2  # the report's table and the attributes sheet
    assert sheets["attributes"]["value"].to_list() == [
        "BIGvalue",
        "values held by fewer than 5 each",
    ]
    # Without the program's opt-in (no [attributes]), no aggregate at all.
    plain = render(result, people, ProgramConfig())
    assert "BIGvalue" not in "".join(str(v) for k, v in plain.items() if k != WORKBOOK)
    assert "attributes" not in _workbook(plain)


def test_attributes_never_leave_their_aggregate(tmp_path: Path) -> None:
    """Every file written, the workbook's zip members included: a value held by fewer
    than five people appears nowhere, a larger group's value only in the aggregates."""
    # Opted in: 8 odd k (ZQXbig), 4 even k (ZQXtiny); the rest are never read.
    survey, config = write_attribute_survey(
        tmp_path, lambda k: "ZQXbig" if k % 2 else ("ZQXtiny" if k % 4 else "ZQXnoconsent")
    )
    out = tmp_path / "r"
    run = CliRunner().invoke(app, ["run", str(survey), "-c", str(config), "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert "ZQX" not in run.output
    blobs: dict[str, bytes] = {}
    for path in sorted(out.iterdir()):
        blobs[path.name] = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for name in book.namelist():
                    blobs[f"{path.name}:{name}"] = book.read(name)
    assert WORKBOOK in blobs
    assert "report.html" in blobs
    for name, blob in blobs.items():
        assert b"ZQXtiny" not in blob, name
        assert b"ZQXnoconsent" not in blob, name
    # The one large group's value: in the report's aggregate section, the attributes
    # sheet (its strings live in the shared-strings part), and nowhere else.
    holding = {name for name, blob in blobs.items() if b"ZQXbig" in blob}
    assert holding == {"report.html", f"{WORKBOOK}:xl/sharedStrings.xml"}
    html = blobs["report.html"].decode()
    section = html.split('<section id="attributes">')[1].split("</section>")[0]
    assert html.count("ZQXbig") == section.count("ZQXbig") == 1
    sheets = pl.read_excel(out / WORKBOOK, sheet_id=0, raise_if_empty=False)
    for sheet, frame in sheets.items():
        text = frame.write_csv()
        assert ("ZQXbig" in text) == (sheet == "attributes"), sheet


# --- the browser ---------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.mark.browser
@pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER}: Debian's chromium and chromium-driver "
    "(`make browser` installs them, as root)",
)
def test_report_opens_in_a_browser_and_shows_its_charts(page: str, tmp_path: Path) -> None:
    """Chromium lays the page out: every chart's SVG is displayed with a real size and
    its non-zero bars have a drawn area. Never downloads a driver (Debian's is used)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    file = tmp_path / "report.html"
    file.write_text(page, encoding="utf-8")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1300,1000"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.get(file.as_uri())
        assert driver.title == "Test <program>: matching report"
        charts = driver.find_elements(By.CSS_SELECTOR, "figure.chart svg.plot")
        keys = {c.get_attribute("id") for c in charts}
        assert {"scores-svg", "utilisation-svg", "topics-svg", "unmatched-mentoring-svg",
                "mix-svg"} <= keys  # fmt: skip
        for svg in charts:
            assert svg.is_displayed(), svg.get_attribute("id")
            assert svg.size["width"] > 100, svg.get_attribute("id")
            assert svg.size["height"] > 30, svg.get_attribute("id")
            bars = svg.find_elements(By.CSS_SELECTOR, "rect.mark")
            assert bars, svg.get_attribute("id")
            drawn = [b for b in bars if float(b.get_attribute("data-value") or 0) > 0]
            assert drawn
            assert all(b.size["width"] > 0 and b.size["height"] > 0 for b in drawn)
        # The tallest histogram bar is drawn taller than a shorter one.
        bars = driver.find_elements(By.CSS_SELECTOR, "#scores-svg rect.mark")
        heights = {b.get_attribute("data-label"): b.size["height"] for b in bars}
        assert heights["90-100"] > heights["50-60"] > 0
        # The table fallback is there for each chart, one click away.
        tables = driver.find_elements(By.CSS_SELECTOR, "figure.chart details table")
        assert len(tables) >= len(charts)
    finally:
        driver.quit()
