"""The end-to-end benchmark's harness: ``python -m benchmarks.run --quick`` generates a
calibrated population, runs every method in fresh processes and writes its report, the
growth exponents and the scaling plot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_run_writes_report_exponents_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--scaling", "0.25,0.5",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = out.read_text(encoding="utf-8")
    assert "benchmarks.population.generate(1000, 200, seed=0)" in report
    assert "## Targets: <= 5 s end to end and <= 1 GB peak" in report
    assert "- `pruned_flow`: time ~ n^" in report
    assert "from 300 to 1,200 people" in report
    # Past the main size (x2 and x4 by default), pruned_flow alone: its curve reaches further.
    pruned = next(line for line in report.splitlines() if line.startswith("- `pruned_flow`: time"))
    assert pruned.endswith("from 300 to 4,800 people.")
    assert "| `pruned_flow` | 2,000 x 400 |" in report
    assert "| `pruned_flow` | 4,000 x 800 |" in report
    assert "| `min_cost_flow` | 2,000 x 400 |" not in report
    # The projection takes the main size's share of pairs, not the largest point's.
    share = re.search(r"generator's density \((\d+)% of mentees x mentors", report)
    assert share is not None
    assert 0 < int(share.group(1)) <= 100
    png = (tmp_path / "scaling-quick.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 10_000
