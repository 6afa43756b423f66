"""The baselines benchmark's harness: ``python -m benchmarks.baselines --quick`` runs
mentor-match, matching, CP-SAT and the greedy baselines on mentor-match's own sample and
writes a report whose Answer is computed from the runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.baselines import bench_installed

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "real" / "csl_mentor_match_small_mentees.csv"


def _missing() -> list[str]:
    return bench_installed()


@pytest.mark.skipif(
    bool(_missing()),
    reason=f"the optional bench extra is not installed ({', '.join(_missing())}): "
    "pip install -e '.[dev,bench]'",
)
@pytest.mark.skipif(not REAL.exists(), reason=f"{REAL} (shared real data) is absent")
def test_quick_baselines_report(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS-baselines.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.baselines", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = out.read_text(encoding="utf-8")
    assert "## Answer" in report
    assert "On its own 50 x 50 CSL sample and its own rules, mentor-match makes" in report
    # People first places every mentee, as mentor-match does, and keeps more points.
    assert "makes 105 pairs with 0 mentees without a mentor" in report
    # matching's HospitalResident and our deferred acceptance give the same assignment.
    assert "csl_ours same" in report
    assert "same pairs and total" in report  # networkx and pruned_blossom agree
    rows = {
        line.split("|")[1].strip(): line
        for line in report.splitlines()
        if line.startswith("| ") and "mentor-match points" not in line
    }
    assert "INVALID" not in report
    assert "mentor_match" in rows
