"""End-to-end benchmark: a synthetic survey matched by each method in fresh processes.

``python -m benchmarks.run`` (what ``make bench`` runs) generates the survey once into
``benchmarks/.work/``, launches one fresh ``benchmarks.stage_worker`` process per method and
repeat (round-robin, so drift on a noisy machine hits every method alike), runs a small
scaling sweep, and writes ``benchmarks/RESULTS.md``. ``--quick`` checks the harness in
seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.report import render_report, scaling_png
from matcher.config import ProgramConfig
from solvers import ASSIGNMENT_METHODS
from solvers.parallel import threads

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
#: The exact dense baseline every ratio is taken against.
BASELINE = "min_cost_flow"
Record = dict[str, Any]


@dataclass
class Instance:
    """One generated survey and the runs made on it."""

    mentees: int
    mentors: int
    seed: int
    survey: Path
    runs: dict[str, list[Record]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Bench:
    """Everything the report needs."""

    main: Instance
    methods: list[str]
    repeats: int
    scaling: list[Instance]
    machine: dict[str, str]
    started: datetime
    elapsed: float = 0.0


def _instance_json(instance: Instance) -> Record:
    return {
        "mentees": instance.mentees,
        "mentors": instance.mentors,
        "seed": instance.seed,
        "survey": str(instance.survey),
        "runs": instance.runs,
        "failures": instance.failures,
    }


def _instance_of(data: Record) -> Instance:
    return Instance(
        data["mentees"],
        data["mentors"],
        data["seed"],
        Path(data["survey"]),
        data["runs"],
        data["failures"],
    )


def save(bench: Bench, path: Path) -> None:
    """Every raw per-process record, enough to re-render the report (``--from-raw``)."""
    document = {
        "main": _instance_json(bench.main),
        "methods": bench.methods,
        "repeats": bench.repeats,
        "scaling": [_instance_json(i) for i in bench.scaling],
        "machine": bench.machine,
        "started": bench.started.isoformat(),
        "elapsed": bench.elapsed,
    }
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


def load(path: Path) -> Bench:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Bench(
        _instance_of(data["main"]),
        data["methods"],
        data["repeats"],
        [_instance_of(i) for i in data["scaling"]],
        data["machine"],
        datetime.fromisoformat(data["started"]),
        data["elapsed"],
    )


def default_methods() -> list[str]:
    """The pipeline's default, the dense exact and greedy baselines, and pruned_flow if
    registered; only methods the solver registry knows."""
    wanted = [ProgramConfig().mentoring.method, BASELINE, "greedy", "pruned_flow"]
    return [m for m in dict.fromkeys(wanted) if m in ASSIGNMENT_METHODS]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    """nproc, a run's threads, memory, Python and library versions, the code's commit."""
    from importlib.metadata import version

    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    try:
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "matcher", "solvers"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        changed = []
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "threads": str(threads()),
        "memory": mem,
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "ortools": version("ortools"),
        "commit": commit,
        "uncommitted": ", ".join(line[3:] for line in changed),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def generate(mentees: int, mentors: int, seed: int) -> Path:
    """Write a calibrated population (``benchmarks.population``: scarce experts, a
    seniority pyramid, countries from the Stack Overflow survey) as a survey CSV, and
    its config as the shared ``program.toml``, into the work folder."""
    from benchmarks import population

    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"survey-{mentees}x{mentors}-seed{seed}.csv"
    tick = time.perf_counter()
    _, config = population.write_csv(population.generate(mentees, mentors, seed), path)
    config.replace(WORK / "program.toml")
    log(f"survey {mentees} x {mentors} (seed {seed}) -> {path.relative_to(ROOT)} "
        f"in {time.perf_counter() - tick:.1f} s")  # fmt: skip
    return path


def launch(instance: Instance, method: str, label: str, timeout: float) -> None:
    """One fresh process; its JSON record (plus process wall time) joins the instance."""
    out_dir = WORK / f"out-{method}"
    command = [
        sys.executable,
        "-m",
        "benchmarks.stage_worker",
        str(instance.survey),
        str(WORK / "program.toml"),
        str(out_dir),
        "--method",
        method,
    ]
    log(f"{label} {method} on {instance.mentees} x {instance.mentors} ...")
    tick = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        instance.failures.setdefault(method, []).append(f"timed out after {timeout:.0f} s")
        log(f"    timed out after {timeout:.0f} s")
        return
    wall = time.perf_counter() - tick
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:]) or f"exit {done.returncode}"
        instance.failures.setdefault(method, []).append(f"exit {done.returncode}: {tail}")
        log(f"    failed: {tail}")
        return
    record: Record = json.loads(done.stdout.strip().splitlines()[-1])
    record["process_seconds"] = wall
    instance.runs.setdefault(method, []).append(record)
    stages = ", ".join(f"{k} {v:.2f}" for k, v in record["seconds"].items())
    log(f"    {record['total_seconds']:.2f} s end to end ({stages}); "
        f"peak {record['peak_rss_mib'] * 2**20 / 1e9:.2f} GB; {record['status']}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="Fresh processes per method.")
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--mentors", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0, help="Survey generator seed.")
    parser.add_argument(
        "--methods",
        type=lambda text: [m.strip() for m in text.split(",") if m.strip()],
        default=None,
        help=f"Comma-separated assignment methods (default: {','.join(default_methods())}).",
    )
    parser.add_argument(
        "--scaling",
        type=lambda text: [float(f) for f in text.split(",") if f.strip()],
        default=None,
        help="Size fractions for the scaling sweep, one run each (default 0.1,0.25,0.5; "
        "empty string to skip).",
    )
    parser.add_argument(
        "--beyond",
        type=lambda text: [float(f) for f in text.split(",") if f.strip()],
        default=[2.0, 4.0],
        help="Size factors past the main instance, pruned_flow only, one run each (default "
        "2,4: 20,000 x 4,000 and 40,000 x 8,000, 33 M and 131 M pairs, about 10 GB; the "
        "other methods take minutes there; empty string to skip).",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="Seconds per process.")
    parser.add_argument("--out", type=Path, default=None, help="Report path.")
    parser.add_argument(
        "--quick", action="store_true", help="1,000 x 200, 1 repeat: checks the harness."
    )
    parser.add_argument(
        "--from-raw",
        type=Path,
        default=None,
        help="Only re-render the report from a raw.json written by an earlier run.",
    )
    args = parser.parse_args(argv)
    if args.from_raw is not None:
        out_path: Path = args.out or ROOT / "benchmarks" / "RESULTS.md"
        bench_raw = load(args.from_raw)
        out_path.write_text(render_report(bench_raw), encoding="utf-8")
        out_path.with_name("scaling.png").write_bytes(scaling_png(bench_raw))
        log(f"wrote {out_path} from {args.from_raw}")
        return 0
    if args.quick:
        args.mentees, args.mentors, args.repeats = 1_000, 200, 1
        args.scaling = [0.5] if args.scaling is None else args.scaling
    scaling: list[float] = [0.1, 0.25, 0.5] if args.scaling is None else args.scaling
    out: Path = args.out or (
        WORK / "RESULTS-quick.md" if args.quick else ROOT / "benchmarks" / "RESULTS.md"
    )
    methods: list[str] = args.methods or default_methods()
    unknown = [m for m in methods if m not in ASSIGNMENT_METHODS]
    if unknown:
        parser.error(f"unknown method(s) {unknown}; known: {sorted(ASSIGNMENT_METHODS)}")
    if "pruned_flow" not in ASSIGNMENT_METHODS:
        log("note: pruned_flow is not registered in solvers.ASSIGNMENT_METHODS; skipped")

    started = datetime.now(UTC)
    tick = time.perf_counter()
    main_instance = Instance(
        args.mentees, args.mentors, args.seed, generate(args.mentees, args.mentors, args.seed)
    )
    total = args.repeats * len(methods)
    for repeat in range(args.repeats):
        for k, method in enumerate(methods):
            label = f"[{repeat * len(methods) + k + 1}/{total}] repeat {repeat + 1}:"
            launch(main_instance, method, label, args.timeout)

    sweep: list[Instance] = []
    for fraction in sorted(set(scaling)):
        mentees, mentors = round(args.mentees * fraction), round(args.mentors * fraction)
        if mentees < 1 or mentors < 1 or fraction >= 1:
            continue
        instance = Instance(mentees, mentors, args.seed, generate(mentees, mentors, args.seed))
        for method in methods:
            launch(instance, method, f"[scaling x{fraction:g}]", args.timeout)
        sweep.append(instance)
    # Past the main size, the scalable method alone: a measured point on the way to
    # 100,000 x 20,000 instead of an extrapolation from below.
    beyond = sorted(f for f in set(args.beyond) if f > 1) if "pruned_flow" in methods else []
    for factor in beyond:
        mentees, mentors = round(args.mentees * factor), round(args.mentors * factor)
        instance = Instance(mentees, mentors, args.seed, generate(mentees, mentors, args.seed))
        launch(instance, "pruned_flow", f"[scaling x{factor:g}]", args.timeout)
        sweep.append(instance)

    bench = Bench(main_instance, methods, args.repeats, sweep, machine(), started)
    bench.elapsed = time.perf_counter() - tick
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(bench), encoding="utf-8")
    plot = out.with_name("scaling.png" if not args.quick else "scaling-quick.png")
    plot.write_bytes(scaling_png(bench))
    raw = WORK / ("raw-quick.json" if args.quick else "raw.json")
    save(bench, raw)
    log(f"wrote {out} (raw records: {raw}) after {bench.elapsed:.0f} s")
    codes = {r.get("code") for i in (main_instance, *sweep) for rs in i.runs.values() for r in rs}
    if len(codes) > 1:
        log("warning: matcher/ or solvers/ changed during the run; run it again")
    return 1 if main_instance.failures else 0


if __name__ == "__main__":
    sys.exit(main())
