"""The load benchmark's harness: ``python -m benchmarks.load --quick`` starts the real
server, sends 20 requests from 4 clients and prints its report."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_load_run_reports_latency_and_no_errors() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = done.stdout
    assert "## Answer" in report
    assert "p99 <= 300 ms with 0 errors at 4 concurrent clients" in report
    row = next(
        line for line in report.splitlines() if line.startswith("| mentoring program | 1 | 1 |")
    )
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[3] == "20"  # requests
    assert cells[4] == "4"  # clients
    assert cells[10] == "0"  # errors
    assert float(cells[5].replace(",", "")) > 0  # p50 ms


def test_the_answer_takes_each_setups_median_run() -> None:
    """Three runs of one setup: the verdict is the median p99's, and all three are named."""
    from benchmarks.load import Phase, Result, median_runs, met

    def run(p99: float, repeat: int) -> Result:
        load = Phase(clients=20, requested=100, latencies_ms=[10.0] * 98 + [p99, p99])
        load.outcomes = {"200": 100}
        return Result("mentoring", 2, 1.0, Phase(clients=1, requested=0), load, repeat)

    @dataclass
    class FakeBench:
        results: list[Result]

    (chosen,) = median_runs(FakeBench([run(250.0, 1), run(320.0, 2), run(290.0, 3)]))  # type: ignore[arg-type]
    assert chosen.repeat == 3
    assert met(chosen)
    (chosen,) = median_runs(FakeBench([run(250.0, 1), run(320.0, 2), run(310.0, 3)]))  # type: ignore[arg-type]
    assert chosen.repeat == 3
    assert not met(chosen)
