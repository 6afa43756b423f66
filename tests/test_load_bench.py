"""The load benchmark's harness: ``python -m benchmarks.load --quick`` starts the real
server, sends 20 requests from 4 clients and prints its report."""

from __future__ import annotations

import subprocess
import sys
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
    row = next(line for line in report.splitlines() if line.startswith("| mentoring program | 1 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2] == "20"  # requests
    assert cells[3] == "4"  # clients
    assert cells[9] == "0"  # errors
    assert float(cells[4].replace(",", "")) > 0  # p50 ms
