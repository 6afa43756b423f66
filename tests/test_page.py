"""The coordinator page: every control labelled, the config the form builds, and (in
headless Chromium) a whole session: upload the sample, run, pin and forbid, re-run,
download pairs.csv."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
import tomllib
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from matcher.api import pages
from matcher.config import TRACKS, ProgramConfig
from solvers.objectives import GOALS
from tests.conftest import DATA

with warnings.catch_warnings():
    # Starlette's client asks for httpx2, which is not a dependency; httpx works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SURVEY = DATA / "sample_survey.csv"
PROGRAM = DATA / "sample_program.toml"
CHROMIUM = Path("/usr/bin/chromium")


def _page_app() -> FastAPI:
    app = FastAPI()
    app.include_router(pages.router)
    pages.mount_static(app)
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(_page_app()) as test_client:
        yield test_client


class _Page(HTMLParser):
    """The page's form controls, labels, buttons and every URL it loads."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.buttons: list[dict[str, str | None]] = []
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        if tag in ("input", "select", "textarea"):
            self.controls.append({"tag": tag, **found})
        if tag == "button":
            self.buttons.append(found)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(str(found[name]))
        self._in_script = tag == "script"
        if tag == "script" and not found.get("src"):
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def _parsed(html: str) -> _Page:
    parser = _Page()
    parser.feed(html)
    return parser


def test_page_labels_every_control_and_loads_nothing_from_elsewhere(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = _parsed(response.text)
    assert page.controls
    for control in page.controls:
        assert control.get("type") not in ("submit", "button", "reset"), control  # <button>s
        assert control.get("id") in page.labels, f"no <label for=...> for {control}"
    assert all(b.get("type") in ("button", "submit") for b in page.buttons)
    buttons = {b.get("id") for b in page.buttons}
    assert {"run", "rerun", "add-pin", "add-forbid", "preview"} <= buttons
    assert page.inline_scripts == 0
    for url in page.urls:
        assert not re.match(r"(?:[a-z]+:)?//", url), url  # no CDN, no other host
    # The form starts from the sample config: its weights, every track, its objective.
    config = ProgramConfig.load(PROGRAM)
    ids = {c.get("id"): c for c in page.controls}
    for name, weight in config.weights.model_dump().items():
        slider = ids[f"weight-{name}"]
        assert slider["type"] == "range"
        assert float(slider["value"] or "nan") == pytest.approx(weight)
    assert {f"track-{t}" for t in TRACKS} <= set(ids)
    assert re.findall(r'<option value="(\w+)"', response.text)[: len(GOALS)] == list(GOALS)
    assert response.text.count("aria-live") >= 2  # status and progress are announced


def test_page_escapes_what_it_shows(client: TestClient, tmp_path: Path) -> None:
    """The program name comes from a config file: it is text, never markup."""
    response = client.get("/")
    assert "<script>" not in response.text.replace('<script src="/static/page.js"', "")
    built = client.post(
        "/config",
        data={"objective": "coverage", "tracks": ["mentoring"], "program": "<b>x</b>"},
    )
    assert built.status_code == 200
    assert tomllib.loads(built.text)["name"] == "<b>x</b>"  # TOML, not HTML: kept as typed


def test_script_builds_the_page_from_text_never_markup(client: TestClient) -> None:
    script = client.get("/static/page.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script.text, sink
    assert client.get("/static/page.css").status_code == 200


def test_config_applies_the_form_to_the_sample(client: TestClient) -> None:
    form: dict[str, Any] = {
        "program": "Spring round",
        "objective": "fair",
        "tracks": ["mentoring", "peer"],
        "weight_goals": "0.7",
        "weight_seniority": "0.05",
        "weight_new_ties": "0",
        "weight_time_overlap": "0.1",
        "weight_preference": "0.15",
    }
    response = client.post("/config", data=form)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/toml")
    config = ProgramConfig.model_validate(tomllib.loads(response.text))
    sample = ProgramConfig.load(PROGRAM)
    assert config.name == "Spring round"
    assert config.mentoring.objective == "fair"
    assert config.weights.goals == 0.7
    assert config.weights.new_ties == 0
    assert [t for t in TRACKS if getattr(config.tracks, t).enabled] == ["mentoring", "peer"]
    # Everything the form does not show is the sample's, unchanged.
    assert config.columns == sample.columns
    assert config.answers == sample.answers
    assert config.rules == sample.rules
    assert config.mentoring.default_capacity == sample.mentoring.default_capacity


def test_an_uploaded_config_fills_the_form_and_keeps_its_keys(client: TestClient) -> None:
    toml = (DATA / "ciera.toml").read_bytes()
    ciera = ProgramConfig.load(DATA / "ciera.toml")
    fields = client.post("/config/fields", files={"config": ("ciera.toml", toml)})
    assert fields.status_code == 200
    assert fields.json() == {"source": "ciera.toml", **pages.form_fields(ciera)}
    built = client.post(
        "/config",
        data={"objective": "total", "tracks": ["mentoring"], "weight_goals": "0.9"},
        files={"config": ("ciera.toml", toml)},
    )
    assert built.status_code == 200, built.text
    config = ProgramConfig.model_validate(tomllib.loads(built.text))
    assert config.categories == ciera.categories
    assert config.columns == ciera.columns
    assert config.weights.goals == 0.9
    assert config.weights.seniority == ciera.weights.seniority  # slider not sent: kept
    assert config.mentoring.objective == "total"


@pytest.mark.parametrize(
    ("toml", "form", "column", "message"),
    [
        (b"[weights\ngoals = 1", {}, None, "not valid TOML"),
        (b"[weights]\nbogus = 1\n", {}, "weights.bogus", "Extra inputs"),
        (None, {"tracks": []}, "tracks", "at least one track"),
        (None, {"objective": "fastest"}, "objective", "expected one of coverage"),
        (None, {"weight_goals": "-1"}, "weight_goals", "greater than or equal"),
    ],
)
def test_config_problems_are_located(
    client: TestClient,
    toml: bytes | None,
    form: dict[str, Any],
    column: str | None,
    message: str,
) -> None:
    data: dict[str, Any] = {"objective": "coverage", "tracks": ["mentoring"], **form}
    files = {"config": ("mine.toml", toml)} if toml is not None else None
    response = client.post("/config", data=data, files=files)
    assert response.status_code == 422
    issues = response.json()["detail"]
    # Located issues; FastAPI's own {loc, msg} for a bad form field in a bare app.
    text = " ".join(str(i.get("message", i.get("msg"))) for i in issues)
    assert message in text
    where = [str(i.get("column") or ".".join(map(str, i.get("loc", ())))) for i in issues]
    assert column is None or any(column in w for w in where), issues
    if toml is not None:
        assert issues[0]["file"] == "mine.toml"


@pytest.mark.parametrize("path", sorted(DATA.glob("*.toml")), ids=lambda p: p.name)
def test_toml_writer_round_trips_every_bundled_config(path: Path) -> None:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert tomllib.loads(pages.dump_toml(raw)) == raw


def test_toml_writer_round_trips_awkward_values() -> None:
    raw: dict[str, Any] = {
        "name": 'Quote " backslash \\ tab \t newline \n del \x7f caf\u00e9 \U0001f600',
        "weights": {"goals": 1e-05, "seniority": 0.1, "new_ties": 3, "flag": False},
        "answers": {"roles": {"As a mentor, or both": ["mentor"], "": ["x"], "a.b": []}},
        "intake": {"sources": [{"match": "*mentor*", "roles": ["mentor"]}]},
        "empty": {},
        "nested": {"deep": {"deeper": {"x": [1, [2, 3]]}}},
        "when": dt.date(2026, 1, 15),
    }
    assert tomllib.loads(pages.dump_toml(raw)) == raw


# --- the browser ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The real service (SQLite store in tmp_path) with the page, on a free port."""
    uvicorn = pytest.importorskip("uvicorn")
    from matcher.api import Settings, create_app

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'runs.db'}"))
    if not any(getattr(route, "path", None) == "/" for route in app.routes):
        app.include_router(pages.router)  # until the app factory includes the page
    if not any(getattr(route, "name", None) == "static" for route in app.routes):
        pages.mount_static(app)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the service did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"needs {CHROMIUM}: Debian's chromium (`make browser` installs it, as root)",
)
def test_coordinator_runs_pins_forbids_reruns_and_downloads(served: str, tmp_path: Path) -> None:
    """Chromium drives the page against the real service: upload the sample survey and
    config, run, pin an unmatched person to a next-best partner (by keyboard) and forbid
    a made pair, re-run, find both rules kept, and download pairs.csv."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
            )
        except sync_api.Error as exc:
            pytest.skip(f"Playwright cannot start {CHROMIUM}: {str(exc).splitlines()[0]}")
        try:
            _session(sync_api, browser.new_page(accept_downloads=True), served, tmp_path)
        finally:
            browser.close()


def _session(sync_api: Any, page: Any, base: str, tmp_path: Path) -> None:
    expect = sync_api.expect
    expect.set_options(timeout=30_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(base + "/")
    page.set_input_files("#files", str(SURVEY))
    page.set_input_files("#config-file", str(PROGRAM))
    expect(page.locator("#config-name")).to_have_text(PROGRAM.name)

    page.click("#run")
    expect(page.locator("#status")).to_contain_text("Done")
    assert page.locator("#progress li").count() > 0
    rows = page.locator("#pairs-body tr")
    assert rows.count() > 100
    first = rows.first
    assert re.fullmatch(r"\d{1,3}%", first.locator("td.score").inner_text())
    assert len(first.locator("td").nth(5).inner_text()) > 20  # the first reason

    # Search by name keeps only that person's rows.
    name = first.locator("td.person").first.inner_text()
    page.fill("#search", name)
    visible = page.locator("#pairs-body tr:visible")
    assert 0 < visible.count() < rows.count()
    assert all(name in text for text in visible.all_inner_texts())
    page.fill("#search", "")

    # Pin an unmatched mentee to one of their next-best partners, from the keyboard.
    person = page.locator('#unmatched-body tr[data-track="mentoring"]:has(li[data-partner])').first
    mentee = person.get_attribute("data-id")
    option = person.locator("li[data-partner]").first
    mentor = option.get_attribute("data-partner")
    option.get_by_role("button", name=re.compile("^Pin ")).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pins-list li")).to_have_count(1)
    # Forbid a made pair that has nobody in the pin.
    made = page.locator('#pairs-body tr[data-track="mentoring"]')
    for k in range(made.count()):
        forbidden = made.nth(k)
        a, b = forbidden.get_attribute("data-a"), forbidden.get_attribute("data-b")
        if not {a, b} & {mentee, mentor}:
            break
    forbidden.get_by_role("button", name=re.compile("^Forbid ")).click()
    expect(page.locator("#forbids-list li")).to_have_count(1)

    before = page.locator("#link-pairs").get_attribute("href")
    page.click("#rerun")
    expect(page.locator("#link-pairs")).not_to_have_attribute("href", before or "")
    expect(page.locator("#status")).to_contain_text("Done")
    pinned = f'#pairs-body tr[data-a="{mentor}"][data-b="{mentee}"]'
    expect(page.locator(pinned)).to_have_count(1)
    assert page.locator(f'#pairs-body tr[data-a="{a}"][data-b="{b}"]').count() == 0
    assert page.locator(f'#unmatched-body tr[data-id="{mentee}"]').count() == 0
    # The constraints stay listed for the next run.
    expect(page.locator("#pins-list li")).to_have_count(1)

    with page.expect_download() as download:
        page.click("#link-pairs")
    saved = tmp_path / "pairs.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("cohort_id,track,mentor_id")
    assert any(f",{mentor}," in line and f",{mentee}," in line for line in lines)
    assert not any(f",{a}," in line and f",{b}," in line for line in lines)
    assert not problems, problems
