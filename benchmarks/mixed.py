"""Mixed run: every track (mentoring, reverse, peer) on one synthetic survey, end to end.

``python -m benchmarks.mixed`` generates a survey of ``--people`` respondents with
``matcher.sample`` (peer and reverse-mentoring sign-ups, commitment answers), runs the
whole pipeline in ``--repeats`` fresh processes and writes ``benchmarks/RESULTS-mixed.md``
with medians per stage and per track.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work" / "mixed"


def worker(survey: Path, config: Path, out: Path) -> dict[str, Any]:
    """One fresh process: read, score, solve, explain and write every track."""
    from matcher.config import ProgramConfig
    from matcher.output import render, write_results
    from matcher.pipeline import run

    program = ProgramConfig.load(config)
    started = time.perf_counter()
    output = run([survey], program)
    tick = time.perf_counter()
    write_results(out, render(output.result, output.participants, program))
    summary = output.result.summary
    seconds = {**summary.stage_seconds, "write": time.perf_counter() - tick}
    return {
        "seconds": seconds,
        "total": time.perf_counter() - started,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "people": summary.people,
        "tracks": [t.model_dump(mode="json") for t in summary.tracks],
    }


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def report(runs: list[dict[str, Any]], people: int, seed: int) -> str:
    first = runs[0]
    lines = [
        "# Mixed run: every track on one survey",
        "",
        f"Written by `python -m benchmarks.mixed` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}; "
        "2 cores, shared and noisy: medians (min-max) of fresh processes.",
        "",
        f"Instance: `matcher.sample.survey_csv(size={people}, seed={seed})` with its "
        "generated config: mentees, mentors, peer sign-ups, reverse mentoring (juniors "
        "teaching seniors), commitment answers (1-3) limiting partners over all tracks.",
        "",
        "| stage | seconds |",
        "|---|---|",
    ]
    for stage in first["seconds"]:
        lines.append(f"| {stage} | {_median([r['seconds'][stage] for r in runs])} |")
    lines.append(f"| **end to end** | **{_median([r['total'] for r in runs])}** |")
    lines.append(f"| peak RSS (MiB) | {_median([r['peak_mib'] for r in runs])} |")
    lines += [
        "",
        "| track | asking | offering | candidate pairs | pairs | matched | unmatched "
        "| mean score | lowest | solver | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in first["tracks"]:
        lines.append(
            f"| {t['track']} | {t['left']} | {t['right']} | {t['candidate_pairs']:,} | "
            f"{t['pairs']} | {t['left_matched']} | {t['left_unmatched']} | {t['mean_score']} | "
            f"{t['min_score']} | {t['solver']['method']} | {t['solver']['status']} |"
        )
    lines += [
        "",
        "Every run gave the same pairs count per track: "
        + str(
            all(
                [t["pairs"] for t in r["tracks"]] == [t["pairs"] for t in first["tracks"]]
                for r in runs
            )
        ).lower()
        + ".",
        "",
        "Reproduce: `.venv/bin/python -m benchmarks.mixed --people 5000 --repeats 3`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS-mixed.md")
    parser.add_argument("--worker", nargs=3, type=Path, metavar=("SURVEY", "CONFIG", "OUT"))
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    from matcher.sample import SampleStyle, config_toml, survey_csv

    WORK.mkdir(parents=True, exist_ok=True)
    survey, config = WORK / "survey.csv", WORK / "survey.toml"
    survey.write_text(survey_csv(size=args.people, seed=args.seed), encoding="utf-8")
    config.write_text(config_toml(SampleStyle.GOOGLE), encoding="utf-8")
    runs = []
    for k in range(args.repeats):
        print(f"run {k + 1}/{args.repeats} ...", file=sys.stderr)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.mixed",
                "--worker",
                str(survey),
                str(config),
                str(WORK / f"out{k}"),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(
            f"    {runs[-1]['total']:.2f} s, peak {runs[-1]['peak_mib']:.0f} MiB", file=sys.stderr
        )
    args.out.write_text(report(runs, args.people, args.seed), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
