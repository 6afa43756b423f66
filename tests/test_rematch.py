"""`cohort-match rematch`: existing pairs stay unless changing them helps, --max-changes
bounds how many may change, the output says what changed, bad changes are located."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.intake import Survey
from matcher.models import MatchResult

DATA = Path(__file__).resolve().parents[1] / "data"
runner = CliRunner()


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def pairs(folder: Path) -> dict[frozenset[str], str]:
    return {
        frozenset((r["mentor_id"], r["mentee_id"])): r["track"] for r in rows(folder / "pairs.csv")
    }


@functools.cache
def first_run(root: Path) -> Path:
    out = root / "round1"
    args = ["run", str(DATA / "sample_survey.csv"), "-c", str(DATA / "sample_program.toml")]
    result = runner.invoke(app, [*args, "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return first_run(tmp_path_factory.mktemp("rematch"))


def joiners(path: Path, n: int) -> Path:
    """``n`` sample respondents as new people (new emails and names)."""
    with (DATA / "sample_survey.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    header, body = table[0], table[1 : n + 1]
    email = next(k for k, h in enumerate(header) if "mail" in h.lower())
    name = next(k for k, h in enumerate(header) if "name" in h.lower())
    for k, row in enumerate(body):
        row[email] = f"late{k}@example.org"
        row[name] = f"Late Joiner {k}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    return path


def changes(folder: Path, base: Path) -> Path:
    before = rows(base / "pairs.csv")
    mentoring = [r for r in before if r["track"] == "mentoring"]
    busiest = max({r["mentor_id"] for r in mentoring},
                  key=lambda m: sum(r["mentor_id"] == m for r in mentoring))  # fmt: skip
    path = folder / "changes.csv"
    joiners(folder / "late.csv", 6)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([
            ["action", "id", "value"],
            ["leave", mentoring[0]["mentee_id"], ""],
            ["leave", before[-1]["mentor_id"], ""],
            ["capacity", busiest, "1"],
            ["join", "", "late.csv"],
        ])  # fmt: skip
    return path


def rematch(base: Path, out: Path, change_file: Path, *extra: str) -> Path:
    result = runner.invoke(
        app, ["rematch", str(base), "--changes", str(change_file), "-o", str(out), "-q", *extra]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_max_changes_bounds_the_existing_pairs_that_change(
    base: Path, tmp_path: Path, limit: int
) -> None:
    change_file = changes(tmp_path, base)
    out = rematch(base, tmp_path / "out", change_file, "--max-changes", str(limit))
    leaving = {r["id"] for r in rows(change_file) if r["action"] == "leave"}
    before, after = pairs(base), pairs(out)
    mentors = {r["mentor_id"] for r in rows(base / "pairs.csv") if r["track"] == "mentoring"}
    capped = {r["id"] for r in rows(change_file) if r["action"] == "capacity"} & mentors
    # Pairs that could stay: nobody left, and not a pair the new capacity forces out.
    could_stay = {p for p in before if not p & leaving and not p & capped}
    changed = [p for p in could_stay if p not in after]
    assert len(changed) <= limit
    table = rows(out / "pairs.csv")
    assert {r["change"] for r in table} <= {"kept", "new"}
    for r in table:
        ends = frozenset((r["mentor_id"], r["mentee_id"]))
        assert (r["change"] == "kept") == (before.get(ends) == r["track"])
    removed = [r for r in rows(out / "changes.csv") if r["change"] == "removed"]
    assert {frozenset((r["a_id"], r["b_id"])) for r in removed} == {
        p for p in before if p not in after
    }
    for r in removed:
        if {r["a_id"], r["b_id"]} & leaving:
            assert r["reason"].endswith("left the programme")
    assert not any(p & leaving for p in after), "someone who left is still paired"


def test_without_a_bound_it_changes_only_what_helps(base: Path, tmp_path: Path) -> None:
    """Unbounded, the rematch is as good as matching the changed people from scratch
    (same coverage; the same total up to one tie-break step per kept pair) while keeping
    more pairs; the bound 0 keeps at least as many."""
    from matcher.pipeline import match
    from matcher.rematch import rematch as api

    change_file = changes(tmp_path, base)
    free, config, _, _, _ = api(base, change_file)
    strict, _, _, _, _ = api(base, change_file, max_changes=0)
    scratch = match(Survey(participants=free.participants, warnings=[]), config).result
    before = pairs(base)

    def made(result: MatchResult) -> set[frozenset[str]]:
        return {frozenset((p.a, p.b)) for c in result.cohorts for p in c.pairs}

    assert len(made(strict.result) & set(before)) >= len(made(free.result) & set(before))
    assert len(made(free.result) & set(before)) > len(made(scratch) & set(before))
    # Mentoring and reverse: places kept for previous peer pairs (commitments) may leave a
    # later track's pool different from a fresh run's, so peers are not compared.
    for name in ("mentoring", "reverse"):
        mine, fresh = free.result.summary.track(name), scratch.summary.track(name)
        assert mine.demand_met == fresh.demand_met
        total = sum(p.score for c in free.result.cohorts if c.track == name for p in c.pairs)
        best = sum(p.score for c in scratch.cohorts if c.track == name for p in c.pairs)
        assert total >= best - 0.02 * mine.pairs


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([["action", "id", "value"], ["quit", "x", ""]], "expected one of leave, join"),
        ([["action", "id", "value"], ["leave", "nobody@nowhere", ""]], "nobody has this id"),
        ([["action", "id", "value"], ["capacity", "leila.obrien@example.org", "lots"]],
         "whole number"),
        ([["action", "id", "value"], ["join", "", "missing.csv"]], "survey file not found"),
        ([["who", "what"], ["a", "b"]], "missing column(s) action, id, value"),
    ],
)  # fmt: skip
def test_bad_changes_are_located_and_nothing_is_written(
    base: Path, tmp_path: Path, table: list[list[str]], message: str
) -> None:
    path = tmp_path / "changes.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(table)
    out = tmp_path / "out"
    result = runner.invoke(app, ["rematch", str(base), "--changes", str(path), "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.output
    assert "changes.csv" in result.output
    assert not out.exists()


def test_explain_refuses_a_rematch_folder(base: Path, tmp_path: Path) -> None:
    out = rematch(base, tmp_path / "out", changes(tmp_path, base))
    result = runner.invoke(app, ["explain", str(out), "-p", "a", "-i", "b"])
    assert result.exit_code == 1
    assert "written by `rematch`" in result.output


REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} (the real survey exports) is absent")
def test_per_kind_demand_rematch_keeps_every_pair_that_can_stay(tmp_path: Path) -> None:
    """CIERA's four mentor kinds (a grouped flow) and people on both sides: with
    --max-changes 0 only the leaver's pairs go, and no pair is kept turned around."""
    surveys = [str(REAL / "ciera_gforms_sample_mentees.csv"),
               str(REAL / "ciera_gforms_sample_mentors.csv")]  # fmt: skip
    first = tmp_path / "ciera"
    made = runner.invoke(
        app, ["run", *surveys, "-c", str(DATA / "ciera.toml"), "-o", str(first), "-q"]
    )
    assert made.exit_code == 0, made.output
    before = rows(first / "pairs.csv")
    leaver = before[0]["mentee_id"]
    change_file = tmp_path / "changes.csv"
    change_file.write_text(f"action,id,value\nleave,{leaver},\n", encoding="utf-8")
    out = rematch(first, tmp_path / "out", change_file, "--max-changes", "0")
    after = {(r["mentor_id"], r["mentee_id"]) for r in rows(out / "pairs.csv")}
    gone = {(r["mentor_id"], r["mentee_id"]) for r in before} - after
    assert gone == {(r["mentor_id"], r["mentee_id"]) for r in before if leaver in r.values()}


def test_rematch_replays_pins_and_drops_those_of_leavers(base: Path, tmp_path: Path) -> None:
    """The run's pins file is replayed; a pin naming someone who left is dropped (not an
    error), the other pins still hold."""
    alternates = [r for r in rows(base / "alternates.csv") if r["track"] == "mentoring"]
    roles = {r["id"]: r["roles"] for r in rows(base / "participants.csv")}
    picked: list[dict[str, str]] = []
    for r in alternates:  # two pins among mentee-only and mentor-only people, disjoint
        people = {r["id"], r["partner_id"]}
        if all(roles[p] in ("mentee", "mentor") for p in people) and not any(
            people & {q["id"], q["partner_id"]} for q in picked
        ):
            picked.append(r)
        if len(picked) == 2:
            break
    pins = tmp_path / "pins.csv"
    pins.write_text(
        "a,b\n" + "".join(f"{r['id']},{r['partner_id']}\n" for r in picked), encoding="utf-8"
    )
    first = tmp_path / "pinned"
    args = ["run", str(DATA / "sample_survey.csv"), "-c", str(DATA / "sample_program.toml")]
    made = runner.invoke(app, [*args, "-o", str(first), "-q", "--pins", str(pins)])
    assert made.exit_code == 0, made.output
    change_file = tmp_path / "changes.csv"
    change_file.write_text(f"action,id,value\nleave,{picked[0]['id']},\n", encoding="utf-8")
    out = rematch(first, tmp_path / "out", change_file)
    after = pairs(out)
    assert frozenset((picked[1]["id"], picked[1]["partner_id"])) in after
    assert not any(picked[0]["id"] in p for p in after)
