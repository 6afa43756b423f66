"""Pins, forbids and history: always respected, and every bad one is a located error."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import ProgramConfig, load_survey, match
from matcher.control import Control, build_control
from matcher.intake import Survey
from matcher.intake.reader import InputError
from matcher.models import MatchResult

DATA = Path(__file__).resolve().parents[2] / "data"
FAST = ("mentoring", "reverse", "peer")


@functools.cache
def _sample() -> tuple[ProgramConfig, Survey]:
    cfg = ProgramConfig.load(DATA / "sample_program.toml")
    cfg = cfg.model_copy(update={"tracks": cfg.tracks.model_copy(update={"order": list(FAST)})})
    return cfg, load_survey([DATA / "sample_survey.csv"], cfg)


@functools.cache
def _base() -> MatchResult:
    cfg, survey = _sample()
    return match(survey, cfg).result


@pytest.fixture
def sample() -> tuple[ProgramConfig, Survey]:
    return _sample()


@pytest.fixture
def base() -> MatchResult:
    return _base()


def pairs_of(result: MatchResult, track: str | None = None) -> set[frozenset[str]]:
    return {
        frozenset((p.a, p.b))
        for c in result.cohorts
        if track is None or c.track == track
        for p in c.pairs
    }


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def control(cfg: ProgramConfig, survey: Survey, tmp: Path, **files: list[list[str]]) -> Control:
    paths = {name: [write(tmp / f"{name}.csv", rows)] for name, rows in files.items()}
    return build_control(cfg, survey.participants, **paths)


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(seed=st.integers(0, 2**32 - 1), n_pins=st.integers(1, 6), n_forbids=st.integers(0, 8))
def test_pins_and_forbids_are_always_respected(seed: int, n_pins: int, n_forbids: int) -> None:
    """Pins are drawn among allowed pairs the base run did not make (next-best partners),
    one per person; forbids among the pairs it did make: the run must obey all of them."""
    (cfg, survey), base = _sample(), _base()
    rng = np.random.default_rng(seed)
    roles = {p.id: {r.value for r in p.roles} for p in survey.participants}
    both = {i for i, r in roles.items() if {"mentor", "mentee"} <= r}  # own demand first
    candidates = [
        a for a in base.alternates
        if a.track in ("mentoring", "peer") and not {a.id, a.partner_id} & both
    ]  # fmt: skip
    order = rng.permutation(len(candidates))
    pins: list[tuple[str, str, str]] = []
    used: set[str] = set()
    for k in order.tolist():
        a = candidates[k]
        if (
            a.id in used
            or a.partner_id in used
            or frozenset((a.id, a.partner_id)) in pairs_of(base)
        ):
            continue
        pins.append((a.id, a.partner_id, a.track))
        used |= {a.id, a.partner_id}
        if len(pins) == n_pins:
            break
    made = sorted(pairs_of(base), key=sorted)
    forbids = [sorted(made[k]) for k in rng.choice(len(made), n_forbids, replace=False).tolist()]
    forbids = [f for f in forbids if not set(f) & used]
    cfg_with = cfg.model_copy(
        update={"control": cfg.control.model_copy(
            update={"pins": [list(p) for p in pins], "forbids": forbids}
        )}
    )  # fmt: skip
    result = match(survey, cfg_with, control=build_control(cfg_with, survey.participants)).result
    got = pairs_of(result)
    for a, b, track in pins:
        assert frozenset((a, b)) in pairs_of(result, track), f"pin {a} - {b} not made"
    for a, b in forbids:
        assert frozenset((a, b)) not in got, f"forbidden {a} - {b} made"
    people = {p.id: p for p in survey.participants}
    for c in result.cohorts:  # capacities still hold
        if c.track == "mentoring":
            mentor = people[c.members[0].id]
            assert len(c.pairs) <= (mentor.capacity or cfg.mentoring.default_capacity)
    pinned_reasons = [
        r for c in result.cohorts for p in c.pairs for r in p.reasons if "pinned" in r
    ]
    assert len(pinned_reasons) == len(pins)


def test_pinned_optimum_is_the_best_with_the_pin(
    sample: tuple[ProgramConfig, Survey], base: MatchResult, tmp_path: Path
) -> None:
    """A pin costs at most what forcing it costs: the pinned run's total equals the base
    total plus the counterfactual change that why-not computes independently."""
    from matcher.diagnose import why_not
    from matcher.pipeline import match as match_kept

    cfg, survey = sample
    alt = next(a for a in base.alternates if a.track == "mentoring")
    kept = match_kept(survey, cfg, keep_tracks=True)
    answer = why_not(kept.solved, survey.participants, alt.id, alt.partner_id, "mentoring")
    assert answer.pinnable
    ctl = control(cfg, survey, tmp_path, pins=[["a", "b"], [alt.id, alt.partner_id]])
    pinned = match(survey, cfg, control=ctl).result

    def total(result: MatchResult) -> float:
        return sum(p.score for c in result.cohorts if c.track == "mentoring" for p in c.pairs)

    assert total(pinned) - total(base) == pytest.approx(answer.total_change, abs=0.05)


def test_history_forbids_repeats_and_favours_the_unmatched(
    sample: tuple[ProgramConfig, Survey], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from matcher.cli import app

    runner = CliRunner()
    survey_file, config_file = str(DATA / "sample_survey.csv"), str(DATA / "sample_program.toml")
    first = tmp_path / "round1"
    assert (
        runner.invoke(
            app, ["run", survey_file, "-c", config_file, "-o", str(first), "-q"]
        ).exit_code
        == 0
    )
    with (first / "participants.csv").open(encoding="utf-8") as handle:
        left_out = {r["id"] for r in csv.DictReader(handle) if not r["matched_with"]}
    with (first / "pairs.csv").open(encoding="utf-8") as handle:
        before = {frozenset((r["mentor_id"], r["mentee_id"])) for r in csv.DictReader(handle)}
    cfg, survey = sample
    placed = {}
    for bonus in (0.0, 30.0):
        cfg_b = cfg.model_copy(
            update={"control": cfg.control.model_copy(update={"unmatched_bonus": bonus})}
        )
        ctl = build_control(cfg_b, survey.participants, history=[first / "pairs.csv"])
        assert ctl.unmatched_before
        result = match(survey, cfg_b, control=ctl).result
        assert not pairs_of(result) & before, "a pair of the earlier round was repeated"
        matched = {m for pair in pairs_of(result) for m in pair}
        placed[bonus] = len(matched & left_out)
    assert placed[30.0] > placed[0.0]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["a", "b"], ["nobody@x.org", "noah.garcia@example.org"]], "nobody in the survey"),
        ([["a", "c"], ["x", "y"]], "missing column(s) b"),
        ([["a", "b", "track"], ["noah.garcia@example.org", "leila.obrien@example.org", "circle"]],
         "expected one of mentoring, reverse, peer"),
        ([["a", "b"], ["noah.garcia@example.org", "noah.garcia@example.org"]], "themselves"),
    ],
)  # fmt: skip
def test_bad_pin_files_are_located_errors(
    sample: tuple[ProgramConfig, Survey], tmp_path: Path, rows: list[list[str]], message: str
) -> None:
    cfg, survey = sample
    with pytest.raises(InputError) as caught:
        control(cfg, survey, tmp_path, pins=rows)
    issue = caught.value.issues[0]
    assert message in issue.message
    assert issue.file.endswith("pins.csv")
    assert issue.row in (1, 2)


def test_pins_that_break_rules_or_capacity_are_errors(
    sample: tuple[ProgramConfig, Survey], base: MatchResult, tmp_path: Path
) -> None:
    cfg, survey = sample
    people = {p.id: p for p in survey.participants}
    mentees = [p for p in survey.participants if [r.value for r in p.roles] == ["mentee"]]
    # Two mentees are never on opposite sides: refused before any solving.
    ctl = control(cfg, survey, tmp_path, pins=[["a", "b"], [mentees[0].id, mentees[1].id]])
    with pytest.raises(InputError, match="not on opposite sides"):
        match(survey, cfg, control=ctl)
    # A pair a hard rule forbids (here: made in an earlier round): the rule is named.
    mentor_id, mentee_id = next(
        (c.members[0].id, p.b) for c in base.cohorts if c.track == "mentoring" for p in c.pairs
    )
    history = write(tmp_path / "pairs.csv", [["mentor_id", "mentee_id"], [mentor_id, mentee_id]])
    pins = write(tmp_path / "pins.csv", [["a", "b"], [mentee_id, mentor_id]])
    ctl = build_control(cfg, survey.participants, pins=[pins], history=[history])
    with pytest.raises(InputError, match="paired in an earlier round") as caught:
        match(survey, cfg, control=ctl)
    assert caught.value.issues[0].row == 2
    # Pinned and forbidden at once.
    both = cfg.control.model_copy(update={"forbids": [[mentor_id, mentee_id]],
                                          "pins": [[mentee_id, mentor_id]]})  # fmt: skip
    with pytest.raises(InputError, match="pinned and forbidden at once"):
        build_control(cfg.model_copy(update={"control": both}), survey.participants)
    # More pins than a mentor has places.
    mentoring = [c for c in base.cohorts if c.track == "mentoring"]
    full = max(mentoring, key=lambda c: len(c.pairs))
    boss = people[full.members[0].id]
    room = boss.capacity or cfg.mentoring.default_capacity
    takers = [m.id for m in full.members[1:]] + [
        a.id for a in base.alternates if a.track == "mentoring" and a.partner_id == boss.id
    ]
    takers = list(dict.fromkeys(takers))
    if len(takers) <= room:
        pytest.skip("the sample has no mentor with more allowed mentees than places")
    rows = [["a", "b", "track"]] + [[t, boss.id, "mentoring"] for t in takers[: room + 1]]
    ctl = control(cfg, survey, tmp_path, pins=rows)
    with pytest.raises(InputError, match=f"{boss.name} is pinned to {room + 1} partner"):
        match(survey, cfg, control=ctl)


def test_explain_replays_the_pins_of_the_run(tmp_path: Path) -> None:
    """run.json records the pins file (with its SHA-256): explain re-solves with the pin,
    and refuses once the file changes."""
    from typer.testing import CliRunner

    from matcher.cli import app

    base = _base()
    alt = next(a for a in base.alternates if a.track == "mentoring")
    pins = write(
        tmp_path / "pins.csv", [["a", "b", "track"], [alt.id, alt.partner_id, "mentoring"]]
    )
    runner = CliRunner()
    args = ["run", str(DATA / "sample_survey.csv"), "-c", str(DATA / "sample_program.toml")]
    out = tmp_path / "out"
    made = runner.invoke(app, [*args, "-o", str(out), "-q", "--pins", str(pins)])
    assert made.exit_code == 0, made.output
    asked = ["explain", str(out), "-p", alt.id, "-i", alt.partner_id, "--json"]
    answer = runner.invoke(app, asked)
    assert answer.exit_code == 0, answer.output
    assert '"matched_together": true' in answer.output
    pins.write_text("a,b\n", encoding="utf-8")
    refused = runner.invoke(app, asked)
    assert refused.exit_code == 1
    assert "pins file changed since the run" in refused.output
