"""`cohort-match frontier` on the bundled sample: the points, their axes, the Pareto
flags, byte-identical files and the report page."""

from __future__ import annotations

import base64
import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.config import ProgramConfig
from matcher.frontier import (
    Frontier,
    FrontierPoint,
    base_scores,
    frontier_html,
    pair_only,
    variant,
)
from matcher.intake import load_survey
from matcher.pipeline import match

DATA = Path(__file__).resolve().parents[1] / "data"
SURVEY = str(DATA / "sample_survey.csv")
CONFIG = str(DATA / "sample_program.toml")
FILES = {"frontier.csv", "frontier.png", "report.html", "summary.json"}
AXES = ("coverage_pct", "mean_quality", "worst_off", "cross_department_pct")
#: Scores re-weighted from components rounded to 2 decimals carry a little noise.
TOLERANCE = 0.05
runner = CliRunner()

Row = dict[str, str]


def invoke(out: Path) -> str:
    result = runner.invoke(
        app, ["frontier", SURVEY, "--config", CONFIG, "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Two runs into two folders, and what the first printed."""
    base = tmp_path_factory.mktemp("frontier")
    printed = invoke(base / "one")
    invoke(base / "two")
    return base / "one", base / "two", printed


@pytest.fixture(scope="module")
def rows(runs: tuple[Path, Path, str]) -> list[Row]:
    with (runs[0] / "frontier.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def by_label(rows: list[Row], label: str) -> Row:
    return next(r for r in rows if r["label"] == label)


def test_cli_writes_the_three_files_and_prints_the_table(runs: tuple[Path, Path, str]) -> None:
    out, _, printed = runs
    assert {p.name for p in out.iterdir()} == FILES
    assert "lowest score" in printed
    assert "objective coverage" in printed
    assert "wrote: " in printed
    for name in ("frontier.csv", "frontier.png", "report.html"):
        assert str(out / name) in printed


def test_csv_has_every_point_with_the_four_axes(rows: list[Row]) -> None:
    labels = [r["label"] for r in rows]
    for goal in ("coverage", "total", "fair", "stable"):
        assert f"objective {goal}" in labels
    assert sum(r["kind"] == "min_score" for r in rows) >= 3
    assert [r["label"] for r in rows if r["kind"] == "new_ties"] == [
        "new ties weight 0.05",
        "new ties weight 0.3",
        "new ties weight 0.6",
    ]
    assert len(set(labels)) == len(labels)
    for row in rows:
        for axis in AXES:
            value = float(row[axis])
            assert 0 <= value <= 100, (row["label"], axis, value)
        assert row["pareto"] in ("yes", "no")
    # One denominator for every point's coverage.
    assert len({r["places_asked"] for r in rows}) == 1
    for row in rows:
        share = 100 * int(row["places_filled"]) / int(row["places_asked"])
        assert float(row["coverage_pct"]) == pytest.approx(share, abs=0.01)


def test_fair_has_the_best_worst_off_at_full_coverage(rows: list[Row]) -> None:
    full = by_label(rows, "objective coverage")["places_filled"]
    fair = by_label(rows, "objective fair")
    assert fair["places_filled"] == full
    others = [r for r in rows if r["places_filled"] == full and r is not fair]
    assert len(others) >= 3
    for row in others:
        assert float(fair["worst_off"]) >= float(row["worst_off"]) - TOLERANCE, row["label"]


@pytest.mark.parametrize("label", ["objective coverage", "objective total"])
def test_coverage_and_total_have_the_best_mean_at_their_coverage(
    rows: list[Row], label: str
) -> None:
    point = by_label(rows, label)
    same = [r for r in rows if r["places_filled"] == point["places_filled"]]
    best = max(float(r["mean_quality"]) for r in same)
    assert float(point["mean_quality"]) >= best - TOLERANCE


def test_min_score_sweep_trades_coverage_for_the_worst_off(rows: list[Row]) -> None:
    sweep = sorted(
        (r for r in rows if r["kind"] == "min_score"), key=lambda r: float(r["min_score"])
    )
    floors = [float(r["min_score"]) for r in sweep]
    assert floors == sorted(set(floors))
    filled = [int(r["places_filled"]) for r in sweep]
    assert filled == sorted(filled, reverse=True)
    assert filled[-1] < filled[0]  # the highest floor does cost places
    for row in sweep:
        assert float(row["worst_off"]) >= float(row["min_score"]) - TOLERANCE, row["label"]
    # The lowest floor is what the fair solution reaches: nobody placed is lost.
    assert filled[0] == int(by_label(rows, "objective fair")["places_filled"])


def test_pareto_flags_match_a_brute_force_dominance_check(rows: list[Row]) -> None:
    def axes(row: Row) -> tuple[float, ...]:
        return tuple(float(row[a]) for a in AXES)

    def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return all(x >= y for x, y in zip(a, b, strict=True)) and a != b

    for row in rows:
        beaten = any(dominates(axes(other), axes(row)) for other in rows)
        assert (row["pareto"] == "yes") == (not beaten), row["label"]
    assert any(r["pareto"] == "yes" for r in rows)


def test_two_runs_give_identical_files(runs: tuple[Path, Path, str]) -> None:
    one, two, _ = runs
    for name in FILES:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    png = (one / "frontier.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in png
    assert b"matplotlib" not in png.lower()


def test_report_has_the_table_and_the_plot(runs: tuple[Path, Path, str], rows: list[Row]) -> None:
    page = (runs[0] / "report.html").read_text(encoding="utf-8")
    assert "<table>" in page
    assert "</table>" in page
    for row in rows:
        assert f"<td>{row['label']}</td>" in page
    assert '<img src="data:image/png;base64,' in page
    found = re.search(r'data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert found is not None
    assert base64.b64decode(found.group(1)) == (runs[0] / "frontier.png").read_bytes()
    text = page.replace(found.group(1), "")
    assert "<script" not in text  # self-contained: no script, no network
    assert "http" not in text


def test_a_second_run_replaces_its_folder_and_a_foreign_folder_is_refused(
    tmp_path: Path,
) -> None:
    out = tmp_path / "frontier"
    invoke(out)
    invoke(out)
    assert {p.name for p in out.iterdir()} == FILES
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    result = runner.invoke(app, ["frontier", SURVEY, "-c", CONFIG, "-o", str(foreign), "-q"])
    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_bad_input_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "frontier"
    missing = tmp_path / "missing.csv"
    result = runner.invoke(app, ["frontier", str(missing), "-c", CONFIG, "-o", str(out), "-q"])
    assert result.exit_code == 1
    assert "missing.csv" in result.output
    assert not out.exists()
    result = runner.invoke(app, ["frontier", SURVEY, "-c", str(tmp_path / "no.toml")])
    assert result.exit_code == 1
    assert "no.toml" in result.output


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["frontier"]).exit_code == 2


def test_scores_are_recovered_on_the_base_weights() -> None:
    """A pair made under other weights scores as it would under the program's: the same
    pair in a run on the base weights has the same score."""
    config = ProgramConfig.load(Path(CONFIG))
    survey = load_survey([Path(SURVEY)], config)
    start = pair_only(config)
    plain = match(survey, start).result
    tilted_config = variant(start, new_ties=0.6)
    tilted = match(survey, tilted_config).result
    known = {(c.track, p.a, p.b): p.score for c in plain.cohorts for p in c.pairs}
    pairs = [(c.track, p.a, p.b) for c in tilted.cohorts for p in c.pairs]
    recovered = base_scores(tilted, tilted_config, config)
    shared = [(k, s) for k, s in zip(pairs, recovered, strict=True) if k in known]
    assert len(shared) > 50
    for pair, score in shared:
        assert score == pytest.approx(known[pair], abs=TOLERANCE), pair
    # And the tilted run's own scores differ: the re-weighting did something.
    own = [p.score for c in tilted.cohorts for p in c.pairs]
    assert own != recovered


def test_variant_reaches_tracks_that_set_their_own_value() -> None:
    raw = ProgramConfig.load(Path(CONFIG)).model_dump()
    raw["tracks"]["peer"]["rules"] = {"min_score": 5.0}
    raw["tracks"]["peer"]["weights"] = {"new_ties": 0.2}
    config = ProgramConfig.model_validate(raw)
    changed = variant(config, min_score=40.0, new_ties=0.5, objective="fair")
    peer = changed.for_track("peer")
    assert peer.rules.min_score == 40.0
    assert peer.weights.new_ties == 0.5
    assert peer.mentoring.objective == "fair"
    assert changed.for_track("mentoring").rules.min_score == 40.0


def test_page_escapes_every_text() -> None:
    point = FrontierPoint(
        label="<b>x</b>", kind="objective", objective="coverage", min_score=0.0,
        new_ties=0.15, pairs=1, places_filled=1, places_asked=2, coverage=0.5,
        mean_quality=50.0, worst_off=50.0, cross_department=1.0, blocking_pairs=None,
        pareto=True,
    )  # fmt: skip
    result = Frontier(
        program="<script>alert(1)</script>", tracks=["mentoring"], seed=0, points=[point],
        skipped=["objective fair: <i>no</i>"],
    )  # fmt: skip
    page = frontier_html(result, b"png")
    assert "<script>" not in page
    assert "<b>x</b>" not in page
    assert "<i>no</i>" not in page
    assert "&lt;script&gt;" in page
