"""One fresh benchmark process: read, score, solve, explain and write a survey for real,
then print one JSON line with per-stage wall seconds and memory high-water marks.

Run by ``benchmarks.run``; by hand: ``python -m benchmarks.stage_worker SURVEY CONFIG OUT
--method min_cost_flow``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from matcher.config import ProgramConfig
from matcher.models import Role
from matcher.output import render, write_results
from matcher.pipeline import run as run_pipeline

#: The pipeline announces each stage as it starts; a stage's first word -> its name.
_STARTS = {
    "reading": "read", "scoring": "score", "solving": "solve", "explaining": "explain",
    "diagnosing": "diagnose",
}  # fmt: skip
#: Every stage a run does by default, diagnosis (fixes, near misses) included.
STAGES = ("read", "score", "solve", "explain", "diagnose", "write")


def code_fingerprint() -> str:
    """Hash of every ``matcher`` and ``solvers`` source file, so a report can tell when
    the code changed between the processes it compares."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("matcher/**/*.py"), *root.glob("solvers/**/*.py")]):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def max_rss_mib() -> float:
    """The process's resident-memory high-water mark so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(survey: Path, config_path: Path, out_dir: Path, method: str) -> dict[str, Any]:
    """Run every stage once and return what was measured."""
    rss_start = max_rss_mib()
    base = ProgramConfig.load(config_path)
    config = base.model_copy(
        update={"mentoring": base.mentoring.model_copy(update={"method": method})}
    )
    # High-water mark at the start of each stage = the mark at the end of the one before.
    marks: dict[str, float] = {}

    def progress(text: str) -> None:
        stage = _STARTS.get(text.split(" ", 1)[0])
        if stage is not None:
            marks[stage] = max_rss_mib()

    output = run_pipeline([survey], config, progress=progress)
    rss_diagnosed = max_rss_mib()
    missing = [s for s in ("read", "score", "solve", "explain", "diagnose") if s not in marks]
    if missing:
        raise RuntimeError(f"the pipeline did not announce stage(s) {missing}; update _STARTS")

    tick = time.perf_counter()
    files = render(output.result, output.participants, config)
    write_results(out_dir, files)
    write_s = time.perf_counter() - tick

    s = output.result.summary.track("mentoring")
    mentors = [p for p in output.participants if Role.MENTOR in p.roles]
    capacity = sum(
        config.mentoring.default_capacity if p.capacity is None else p.capacity for p in mentors
    )
    seconds = {
        k: float(output.result.summary.stage_seconds[k])
        for k in ("read", "score", "solve", "explain", "diagnose")
    }
    seconds["write"] = write_s
    rss_after = {
        "read": marks["score"],
        "score": marks["solve"],
        "solve": marks["explain"],
        "explain": marks["diagnose"],
        "diagnose": rss_diagnosed,
        "write": max_rss_mib(),
    }
    return {
        "method": method,
        "seconds": seconds,
        "total_seconds": sum(seconds.values()),
        "rss_start_mib": rss_start,
        "rss_after_mib": rss_after,
        "peak_rss_mib": rss_after["write"],
        "mentees": s.left,
        "mentors": s.right,
        "capacity_total": capacity,
        "candidate_pairs": s.candidate_pairs,
        "pairs": s.pairs,
        "mentees_matched": s.left_matched,
        "mentees_unmatched": s.left_unmatched,
        "demand_total": s.demand_total,
        "status": s.solver.status,
        "objective": s.solver.objective,
        "bound": s.solver.bound,
        "gap": s.solver.gap,
        "solver_seconds": s.solver.wall_time,
        "mean_score": s.mean_score,
        "min_score": s.min_score,
        "code": code_fingerprint(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("survey", type=Path)
    parser.add_argument("config", type=Path)
    parser.add_argument("out", type=Path, help="Results folder for the write stage.")
    parser.add_argument("--method", required=True)
    args = parser.parse_args(argv)
    record = measure(args.survey, args.config, args.out, args.method)
    sys.stdout.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
