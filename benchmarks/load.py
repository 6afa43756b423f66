"""Load test of ``cohort-match serve`` on loopback: 200-person ``POST /v1/match`` requests
from concurrent clients; p50/p90/p99 latency, throughput and errors.

``python -m benchmarks.load`` writes a synthetic 200-person survey
(``matcher.sample.write_sample``), reads it with the written config and sends the people
and the config as JSON in two shapes: *mentoring program* (``tracks.order =
["mentoring"]``) and *every track* (the sample config as written). For each server setup
(``--processes 0``: solving on the server's worker threads, and ``--processes 2``: two
solver processes fed from one queue; 2 workers, ``--max-queue 64``, a fresh SQLite file) it
starts ``cohort-match serve`` on a free loopback port, waits for ``/healthz``, warms up,
measures one request alone (a sequential baseline), then runs a closed loop: ``--clients``
tasks on one ``httpx.AsyncClient`` each send the next request as soon as their last one
came back, until ``--requests`` are done or ``--seconds`` have passed. The client runs on
the same machine, so its CPU time and the server's (``/proc/<pid>/stat`` of the server
and its children) are recorded next to the latencies. Writes
``benchmarks/RESULTS-load.md``; ``--quick`` checks the harness in seconds (stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx

from matcher.config import ProgramConfig
from matcher.intake import load_survey
from matcher.sample import write_sample

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS-load.md"
#: The issue's target: p99 at or under this, with no errors.
TARGET_P99_MS = 300.0
PEOPLE = 200
WORKERS = 2
MAX_QUEUE = 64
#: Shape name -> what the report calls it.
SHAPES = {"mentoring": "mentoring program", "every": "every track"}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# The request
# --------------------------------------------------------------------------------------


@dataclass
class Shape:
    """One request body, sent unchanged every time."""

    name: str
    body: bytes
    people: int
    roles: dict[str, int]
    tracks: list[str]
    diagnosis: dict[str, Any]
    response_bytes: int = 0
    cohorts: dict[str, int] = field(default_factory=dict)
    circles: int = 0
    unmatched: int = 0
    #: In-process medians (ms): "parse", "match", "serialise", "match without diagnosis".
    in_process: dict[str, float] = field(default_factory=dict)


def build_shapes(directory: Path, seed: int, names: list[str]) -> list[Shape]:
    """The synthetic survey read as ``cohort-match run`` reads it, then as JSON bodies."""
    survey_path, config_path = write_sample(directory / "survey.csv", size=PEOPLE, seed=seed)
    config = ProgramConfig.load(config_path)
    survey = load_survey([survey_path], config)
    people = [p.model_dump(mode="json") for p in survey.participants]
    roles = Counter(role for person in people for role in person["roles"])
    # The TOML's tables as objects, as the API documents; omitted keys take defaults.
    raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    shapes = []
    for name in names:
        sent = copy.deepcopy(raw)
        if name == "mentoring":
            sent.setdefault("tracks", {})["order"] = ["mentoring"]
        resolved = ProgramConfig.model_validate(sent)
        body = json.dumps({"participants": people, "config": sent}).encode()
        shapes.append(
            Shape(
                name=name,
                body=body,
                people=len(people),
                roles=dict(roles.most_common()),
                tracks=list(resolved.tracks.order),
                diagnosis=resolved.diagnosis.model_dump(),
            )
        )
    return shapes


def time_in_process(shape: Shape, repeats: int) -> None:
    """Where one request's server time goes, without HTTP: the body validated as the
    route's model, the match (``jobs.solve_people``, what the route's worker runs), the
    result serialised; and the match again with diagnosis off. Medians after a warm-up."""
    from matcher.api import jobs
    from matcher.api.jobs import MatchRequest
    from matcher.intake import Survey

    limits = jobs.Limits(max_participants=20_000, time_limit=60.0)
    request = MatchRequest.model_validate_json(shape.body)
    config = jobs.config_from_json(request.config)
    quiet = copy.deepcopy(request.config or {})
    quiet["diagnosis"] = {"alternates": 0, "max_variations": 0}
    without = jobs.config_from_json(quiet)
    times: dict[str, list[float]] = {}

    def timed(name: str, call: Callable[[], T]) -> T:
        tick = time.perf_counter()
        value = call()
        times.setdefault(name, []).append((time.perf_counter() - tick) * 1000)
        return value

    for _ in range(repeats + 2):
        timed("parse", partial(MatchRequest.model_validate_json, shape.body))
        survey = Survey(participants=list(request.participants), warnings=[])
        output = timed("match", partial(jobs.solve_people, survey, config, limits))
        timed("serialise", output.result.model_dump_json)
        timed("match without diagnosis", partial(jobs.solve_people, survey, without, limits))
    shape.in_process = {name: statistics.median(ms[2:]) for name, ms in times.items()}


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cohort_match() -> str:
    """The ``cohort-match`` script next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "cohort-match"
    if beside.exists():
        return str(beside)
    found = shutil.which("cohort-match")
    if found is None:
        raise SystemExit("cohort-match not found: install the project (pip install -e .)")
    return found


def tree_cpu_seconds(root: int) -> dict[int, float]:
    """User + system CPU seconds of ``root`` and of every live descendant, by pid
    (``/proc/<pid>/stat``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        # After the command name (which may hold spaces): state, ppid, ..., utime, stime.
        fields = text.rpartition(")")[2].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return {pid: cpu[pid] for pid in tree if pid in cpu}


def connections_by_pid(pids: set[int], port: int) -> dict[int, int]:
    """Established TCP connections on local ``port`` held by each of ``pids``: which
    server process the client's keep-alive connections landed on."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cells = row.split()
            if int(cells[1].rsplit(":", 1)[1], 16) == port and cells[3] == "01":
                inodes.add(cells[9])
    counts: dict[int, int] = {}
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        held = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)
        if held:
            counts[pid] = held
    return counts


class Server:
    """``cohort-match serve`` in its own session, on a free port, with a fresh store."""

    def __init__(self, processes: int, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            cohort_match(), "serve", "--port", str(self.port),
            "--database-url", f"sqlite:///{directory / 'runs.db'}",
            "--workers", str(WORKERS), "--max-queue", str(MAX_QUEUE),
            "--processes", str(processes),
        ]  # fmt: skip
        self.log_path = directory / "server.log"
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> float:
        """Start and wait for ``/healthz``; seconds until it answered."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_MATCHER_")}
        tick = time.perf_counter()
        self.process = subprocess.Popen(
            self.command,
            cwd=self.directory,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        while time.perf_counter() - tick < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}: {self.tail()}")
            try:
                # Up, its solver processes started (the app's start-up waits for them).
                if (
                    self.started() >= 1
                    and httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200
                ):
                    return time.perf_counter() - tick
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not healthy after {timeout:.0f} s: {self.tail()}")

    def cpu_seconds(self) -> dict[int, float]:
        return {} if self.process is None else tree_cpu_seconds(self.process.pid)

    def connections(self) -> list[int]:
        """Client connections held by each server process, the most first."""
        found = connections_by_pid(set(self.cpu_seconds()), self.port)
        return sorted(found.values(), reverse=True)

    def started(self) -> int:
        """Server processes that logged the end of their application startup."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return text.count("Application startup complete")

    def tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(lines[-3:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the session we started
                self.process.wait()
        if self._log is not None:
            self._log.close()


# --------------------------------------------------------------------------------------
# The load
# --------------------------------------------------------------------------------------


@dataclass
class Phase:
    """One batch of requests at one concurrency."""

    clients: int
    requested: int
    latencies_ms: list[float] = field(default_factory=list)  # 200 responses only
    outcomes: dict[str, int] = field(default_factory=dict)  # status code or exception
    seconds: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    #: Server CPU seconds by process (the busiest first): how the load was shared.
    server_split: list[float] = field(default_factory=list)
    #: Client connections by server process, sampled halfway through (the most first).
    connections: list[int] = field(default_factory=list)
    load: float = 0.0
    stopped_early: bool = False

    @property
    def done(self) -> int:
        return sum(self.outcomes.values())

    @property
    def errors(self) -> int:
        return self.done - self.outcomes.get("200", 0)

    @property
    def throughput(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest rank: the smallest latency at or above ``p`` percent of them."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Result:
    shape: str
    processes: int
    startup: float
    sequential: Phase
    load: Phase
    repeat: int = 1


async def run_phase(
    client: httpx.AsyncClient,
    server: Server,
    body: bytes,
    clients: int,
    requests: int,
    seconds: float,
) -> Phase:
    """A closed loop: ``clients`` tasks, each sending the next request when its last one
    returned, until ``requests`` are sent or ``seconds`` have passed."""
    phase = Phase(clients=clients, requested=requests, load=os.getloadavg()[0])
    url = f"{server.url}/v1/match"
    headers = {"Content-Type": "application/json"}
    sent = 0
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal sent
        while sent < requests:
            if time.perf_counter() >= deadline:
                phase.stopped_early = True
                return
            sent += 1
            tick = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
                outcome = str(response.status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            elapsed = (time.perf_counter() - tick) * 1000
            phase.outcomes[outcome] = phase.outcomes.get(outcome, 0) + 1
            if outcome == "200":
                phase.latencies_ms.append(elapsed)

    async def sample_connections() -> None:
        while sent < requests // 2 and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        phase.connections = server.connections()

    server_cpu, client_cpu, tick = server.cpu_seconds(), time.process_time(), time.perf_counter()
    await asyncio.gather(sample_connections(), *(one_client() for _ in range(clients)))
    phase.seconds = time.perf_counter() - tick
    phase.client_cpu = time.process_time() - client_cpu
    after = server.cpu_seconds()
    spent = {pid: cpu - server_cpu.get(pid, 0.0) for pid, cpu in after.items()}
    phase.server_cpu = sum(spent.values())
    phase.server_split = sorted(spent.values(), reverse=True)
    return phase


async def check_response(client: httpx.AsyncClient, server: Server, shape: Shape) -> None:
    """One request, read in full: the response's size and what it holds."""
    response = await client.post(
        f"{server.url}/v1/match", content=shape.body, headers={"Content-Type": "application/json"}
    )
    if response.status_code != 200:
        raise RuntimeError(f"{shape.name}: HTTP {response.status_code}: {response.text[:300]}")
    result = response.json()
    shape.response_bytes = len(response.content)
    shape.cohorts = dict(Counter(c["track"] for c in result["cohorts"]))
    shape.circles = len(result.get("circles", []))
    shape.unmatched = len(result["unmatched"])


async def measure(
    shape: Shape, processes: int, directory: Path, args: argparse.Namespace, repeat: int = 1
) -> Result:
    server = Server(processes, directory)
    log(f"{SHAPES[shape.name]}, --processes {processes}: starting {' '.join(server.command[1:])}")
    try:
        startup = server.start()
        limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
        timeout = httpx.Timeout(args.seconds + 60.0)
        async with httpx.AsyncClient(http1=True, limits=limits, timeout=timeout) as client:
            await check_response(client, server, shape)
            # Warm-up on every connection the load will use (each server process then
            # has answered some), excluded from the figures.
            warm = await run_phase(client, server, shape.body, args.clients, args.warmup, 60.0)
            if warm.errors:
                log(f"    warm-up errors: {warm.outcomes}")
            sequential = await run_phase(
                client, server, shape.body, 1, args.sequential, args.seconds
            )
            log(f"    up in {startup:.1f} s; one at a time: p50 {sequential.percentile(50):.0f} ms "
                f"({sequential.done} requests, load {sequential.load:.2f})")  # fmt: skip
            load = await run_phase(
                client, server, shape.body, args.clients, args.requests, args.seconds
            )
        log(f"    {args.clients} clients: p50 {load.percentile(50):.0f} ms, p99 "
            f"{load.percentile(99):.0f} ms, {load.throughput:.1f} req/s, {load.errors} errors "
            f"({load.done} requests in {load.seconds:.1f} s, load {load.load:.2f})"
            + (" STOPPED at the time bound" if load.stopped_early else ""))  # fmt: skip
        return Result(shape.name, processes, startup, sequential, load, repeat)
    finally:
        server.stop()


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


@dataclass
class Bench:
    shapes: list[Shape]
    setups: list[int]
    results: list[Result]
    args: dict[str, Any]
    machine: dict[str, str]
    started: datetime
    loads: tuple[float, float, float]
    elapsed: float = 0.0


def machine() -> dict[str, str]:
    """The end-to-end benchmark's machine description, plus the HTTP stack."""
    from importlib.metadata import version

    from benchmarks.run import machine as described

    return {
        **described(),
        "httpx": version("httpx"),
        "uvicorn": version("uvicorn"),
        "fastapi": version("fastapi"),
    }


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def _per_request(seconds: float, phase: Phase) -> float:
    return seconds / phase.done * 1000 if phase.done else math.nan


def _share(phase: Phase, cpus: int) -> str:
    """The client's and the server's CPU as shares of the machine during the phase."""
    if not phase.seconds:
        return "-"
    whole = phase.seconds * cpus
    return f"{phase.client_cpu / whole:.0%} / {phase.server_cpu / whole:.0%}"


def median_runs(bench: Bench) -> list[Result]:
    """Per shape and setup, the repeat with the median p99 (the lower middle of an even
    count): what the answer is given on."""
    groups: dict[tuple[str, int], list[Result]] = {}
    for r in bench.results:
        groups.setdefault((r.shape, r.processes), []).append(r)
    chosen = []
    for runs in groups.values():
        ordered = sorted(runs, key=lambda r: _p99_key(r))
        chosen.append(ordered[(len(ordered) - 1) // 2])
    return chosen


def _p99_key(result: Result) -> float:
    p99 = result.load.percentile(99)
    return math.inf if math.isnan(p99) else p99


def _all_p99s(bench: Bench, result: Result) -> str:
    runs = [r for r in bench.results if (r.shape, r.processes) == (result.shape, result.processes)]
    if len(runs) < 2:
        return ""
    values = ", ".join(_ms(r.load.percentile(99)) for r in sorted(runs, key=_p99_key))
    return f"; median of {len(runs)} runs, p99s {values} ms"


def met(result: Result) -> bool:
    p99 = result.load.percentile(99)
    return not math.isnan(p99) and p99 <= TARGET_P99_MS and result.load.errors == 0


def _label(result: Result) -> str:
    return f"{SHAPES[result.shape]} with --processes {result.processes}"


def _split(phase: Phase, processes: int) -> str:
    """Each server process's share of the server CPU, the busiest first: the server
    process and its ``processes`` solver processes."""
    top = phase.server_split[: processes + 1]
    total = sum(phase.server_split)
    if processes < 1 or not total:
        return "-"
    return " / ".join(f"{cpu / total:.0%}" for cpu in top)


def _span(values: list[float], unit: str = "") -> str:
    low, high = min(values), max(values)
    return f"{low:,.0f}{unit}" if round(low) == round(high) else f"{low:,.0f}-{high:,.0f}{unit}"


def answer(bench: Bench) -> str:
    """Whether the target holds, for which shape and setup, and what bounds the rest:
    every figure computed from this run's numbers."""
    cpus = int(bench.machine["nproc"])
    clients = bench.args["clients"]
    chosen = median_runs(bench)
    good = [r for r in chosen if met(r)]
    bad = [r for r in chosen if not met(r)]
    verdict = "**yes**" if not bad else ("**partly**" if good else "**no**")
    parts = [
        f"p99 <= {TARGET_P99_MS:.0f} ms with 0 errors at {clients} concurrent clients: {verdict}."
    ]
    if good:
        parts.append(
            "Met by "
            + "; ".join(
                f"{_label(r)} (p99 {_ms(r.load.percentile(99))} ms, {r.load.errors} errors, "
                f"{r.load.throughput:.1f} req/s{_all_p99s(bench, r)})"
                for r in good
            )
            + "."
        )
    if not bad:
        return " ".join(parts)
    errors = sum(r.load.errors for r in bench.results)
    failed = "; ".join(f"{_label(r)}: {_outcomes(r.load)}" for r in bad if r.load.errors)
    parts.append(
        f"{errors} errors in all ({failed})." if errors else "No errors; the latency misses."
    )
    missed = []
    for r in bad:
        p99 = r.load.percentile(99)
        cpu = _per_request(r.load.server_cpu, r.load)
        cores = min(cpus, max(1, r.processes))  # one interpreter per process: one core each
        if math.isnan(p99):
            missed.append(f"{_label(r)}: no request succeeded")
            continue
        missed.append(
            f"{_label(r)}: p99 {p99:,.0f} ms ({p99 / TARGET_P99_MS:.1f}x the target"
            f"{_all_p99s(bench, r)}), "
            f"p50 {_ms(r.load.percentile(50))} ms, {r.load.throughput:.1f} req/s at "
            f"{cpu:.0f} ms of server CPU per request, about the {cores * 1000 / cpu:.0f} req/s "
            f"{cores} {'core allows' if cores == 1 else 'cores allow'}"
        )
    parts.append("; ".join(missed) + ".")
    # Why: a closed loop keeps `clients` requests in flight, so by Little's law the mean
    # latency is clients / throughput; throughput is bounded by the server's CPU.
    alone = [r.sequential.percentile(50) for r in bad if r.sequential.latencies_ms]
    little = [
        f"{clients / r.load.throughput * 1000:,.0f} / {statistics.fmean(r.load.latencies_ms):,.0f}"
        for r in bad
        if r.load.throughput and r.load.latencies_ms
    ]
    if alone and little:
        parts.append(
            f"One request alone takes {_span(alone, ' ms')} (p50), so the rest is waiting in "
            f"line: with {clients} clients in a closed loop the mean latency is {clients} / "
            f"throughput (Little's law; predicted / measured mean: {', '.join(little)} ms)."
        )
    for shape in bench.shapes:
        t = shape.in_process
        if t:
            diagnosis = t["match"] - t["match without diagnosis"]
            parts.append(
                f"In process, the {SHAPES[shape.name]} request is {t['parse']:.0f} ms of body "
                f"validation, {t['match']:.0f} ms of matching ({diagnosis:.0f} ms of it "
                f"diagnosis: alternates and fixes) and {t['serialise']:.0f} ms of "
                "serialisation; the rest of a request alone is HTTP and the framework."
            )
    under_load = [_per_request(r.load.server_cpu, r.load) for r in bad]
    alone_cpu = [_per_request(r.sequential.server_cpu, r.sequential) for r in bad]
    client = [100 * r.load.client_cpu / (r.load.seconds * cpus) for r in bad if r.load.seconds]
    in_flight = [r.load.throughput * TARGET_P99_MS / 1000 for r in bad]
    parts.append(
        "Throughput is CPU-bound: each server process runs Python on one core at a time, "
        f"and a request costs more server CPU under load ({_span(under_load, ' ms')}) than "
        f"alone ({_span(alone_cpu, ' ms')}); the load generator took "
        f"{_span(client, '%')} of the {cpus} CPUs. A {TARGET_P99_MS:.0f} ms mean at "
        f"{clients} clients needs {clients * 1000 / TARGET_P99_MS:.0f} req/s: at most about "
        f"{cpus * TARGET_P99_MS / clients:.0f} ms of server CPU per request on {cpus} cores "
        f"({TARGET_P99_MS / clients:.0f} ms on one), less for the p99; or, at the measured "
        f"throughput, no more than {_span(in_flight)} requests in flight."
    )
    stopped = [r for r in bench.results if r.load.stopped_early]
    if stopped:
        parts.append(
            "Stopped at the time bound before all requests were sent: "
            + ", ".join(f"{_label(r)} ({r.load.done} of {r.load.requested})" for r in stopped)
            + "."
        )
    return " ".join(parts)


def _outcomes(phase: Phase) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(phase.outcomes.items()))


def render(bench: Bench) -> str:
    m = bench.machine
    a = bench.args
    cpus = int(m["nproc"])
    first = bench.shapes[0]
    roles = ", ".join(f"{n} {role}" for role, n in first.roles.items())
    uncommitted = f" (uncommitted changes: {m['uncommitted']})" if m.get("uncommitted") else ""
    lines = [
        "# Load test: 200-person JSON matches over HTTP on loopback",
        "",
        f"Written by `python -m benchmarks.load` on {bench.started:%Y-%m-%d %H:%M} UTC "
        f"(commit `{m['commit']}`{uncommitted}), {bench.elapsed / 60:.1f} min in all. "
        f"Load average when it started: {' / '.join(f'{x:.2f}' for x in bench.loads)} "
        "(1 / 5 / 15 min).",
        "",
        f"**Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, Python {m['python']}, "
        f"uvicorn {m['uvicorn']}, FastAPI {m['fastapi']}, httpx {m['httpx']}. The machine is "
        "shared and noisy, and the load generator runs on it too, competing with the server "
        "for the same CPUs: read each latency as about +-30%, and compare setups only within "
        "this run.",
        "",
        "## Answer",
        "",
        answer(bench),
        "",
        "## Request",
        "",
        f"`POST /v1/match` with `{{participants, config}}`: a synthetic survey "
        f"(`matcher.sample.write_sample(size={PEOPLE}, seed={a['seed']})`) read by "
        "`matcher.intake.load_survey` with the config it writes, the people as JSON "
        '(`Participant.model_dump(mode="json")`) and the config TOML\'s tables as JSON '
        "objects.",
        "",
        f"- People: {first.people} ({roles}; one person can hold several roles).",
        f"- Config diagnosis: `alternates = {first.diagnosis['alternates']}`, "
        f"`max_variations = {first.diagnosis['max_variations']}` (the defaults: each "
        "person's next-best partners and fixes for the unmatched are worked out on every "
        "request).",
        "",
        "| request | tracks | body KB | response KB | cohorts | circles | unmatched |",
        "|---|---|---|---|---|---|---|",
    ]
    for shape in bench.shapes:
        cohorts = ", ".join(f"{n} {track}" for track, n in shape.cohorts.items()) or "-"
        lines.append(
            f"| {SHAPES[shape.name]} | {', '.join(shape.tracks)} | {len(shape.body) / 1024:.0f} "
            f"| {shape.response_bytes / 1024:.0f} | {cohorts} | {shape.circles} "
            f"| {shape.unmatched} |"
        )
    lines += [
        "",
        "Where a request's server time goes, in this process without HTTP (median ms of "
        "repeated calls after a warm-up): the body validated as the route's `MatchRequest`, "
        "the match (`matcher.api.jobs.solve_people`, what the route's worker runs), the "
        "result serialised (`model_dump_json`), and the match with diagnosis off "
        "(`alternates = 0`, `max_variations = 0`).",
        "",
        "| request | validate body | match | serialise | match without diagnosis |",
        "|---|---|---|---|---|",
    ]
    for shape in bench.shapes:
        t = shape.in_process
        if t:
            lines.append(
                f"| {SHAPES[shape.name]} | {t['parse']:.1f} | {t['match']:.1f} "
                f"| {t['serialise']:.1f} | {t['match without diagnosis']:.1f} |"
            )
    lines += [
        "",
        "## Setup",
        "",
        f"`cohort-match serve --port PORT --database-url sqlite:///TMP/runs.db --workers "
        f"{WORKERS} --max-queue {MAX_QUEUE} --processes P` on 127.0.0.1, started afresh "
        "for every request shape and setup (uvicorn's defaults otherwise, access log "
        "included). *processes* 0: one server process solves on its worker threads; P > 0: "
        "the server process hands each match to P spawned solver processes fed from one "
        "queue (the request body in, the response body out). The client is one "
        "`httpx.AsyncClient` (HTTP/1.1, keep-alive, up to "
        f"{a['clients']} connections) in this process. Each setup ran {a['repeats']} times "
        "(fresh servers, round-robin over the setups); the answer takes each setup's run "
        "with the median p99. Per run: one checked request, "
        f"{a['warmup']} warm-up requests at {a['clients']} clients (excluded), then "
        f"*one alone*: {a['sequential']} requests one after another, then the closed loop: "
        f"{a['clients']} clients each sending the next request when its last one returned, "
        f"{a['requests']} requests or {a['seconds']:.0f} s, whichever comes first.",
        "",
        "## Latency",
        "",
        "Milliseconds, from sending the request to the last byte of the response, over the "
        "successful (200) requests; percentiles are nearest-rank. *errors*: non-200 "
        "responses and failed requests. *one alone p50*: the sequential baseline. "
        "*server CPU*: user + system CPU of the server and its children (`/proc/<pid>/stat`) "
        "over the closed loop, per request; *client CPU*: this load generator's "
        f"`time.process_time()`, per request. *CPU share*: client / server CPU over "
        f"wall time x {cpus} CPUs. *server CPU by process*: each server process's share of "
        "the server CPU (several processes only); *connections by process*: the client's "
        "connections each server process held halfway through. *load*: the 1-minute load "
        "average as the "
        "loop started.",
        "",
        "| request | processes | run | requests | clients | p50 | p90 | p99 | max | req/s "
        "| errors | one alone p50 | server CPU ms/req | client CPU ms/req "
        "| CPU share client / server | server CPU by process | connections by process | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in bench.results:
        p = r.load
        done = f"{p.done}" + (" (time bound)" if p.stopped_early else "")
        lines.append(
            f"| {SHAPES[r.shape]} | {r.processes} | {r.repeat} | {done} | {p.clients} "
            f"| {_ms(p.percentile(50))} | {_ms(p.percentile(90))} | {_ms(p.percentile(99))} "
            f"| {_ms(max(p.latencies_ms, default=math.nan))} | {p.throughput:.1f} "
            f"| {p.errors} | {_ms(r.sequential.percentile(50))} "
            f"| {_per_request(p.server_cpu, p):.0f} | {_per_request(p.client_cpu, p):.0f} "
            f"| {_share(p, cpus)} | {_split(p, r.processes)} "
            f"| {' / '.join(str(n) for n in p.connections) or '-'} | {p.load:.2f} |"
        )
    lines += [
        "",
        "One request alone (the sequential baseline, one connection):",
        "",
        "| request | processes | run | requests | p50 | p90 | max | server CPU ms/req "
        "| client CPU ms/req | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in bench.results:
        s = r.sequential
        lines.append(
            f"| {SHAPES[r.shape]} | {r.processes} | {r.repeat} | {s.done} "
            f"| {_ms(s.percentile(50))} "
            f"| {_ms(s.percentile(90))} | {_ms(max(s.latencies_ms, default=math.nan))} "
            f"| {_per_request(s.server_cpu, s):.0f} | {_per_request(s.client_cpu, s):.0f} "
            f"| {s.load:.2f} |"
        )
    failed = [r for r in bench.results if r.load.errors or r.sequential.errors]
    if failed:
        lines += [""] + [
            f"- {_label(r)}: closed loop {_outcomes(r.load)}; one alone {_outcomes(r.sequential)}."
            for r in failed
        ]
    lines += [
        "",
        "Reproduce: `python -m benchmarks.load` (`--requests`, `--clients`, `--seconds`, "
        "`--repeats`, `--out`; `--quick` for a harness check on stdout).",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


async def run(bench: Bench, args: argparse.Namespace, directory: Path) -> None:
    # Repeats round-robin over the setups, so drift on a noisy machine hits them alike.
    for repeat in range(1, args.repeats + 1):
        for shape in bench.shapes:
            for processes in bench.setups:
                where = directory / f"{shape.name}-p{processes}-r{repeat}"
                bench.results.append(await measure(shape, processes, where, args, repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--requests", type=int, default=400, help="Closed-loop requests.")
    parser.add_argument("--clients", type=int, default=20, help="Concurrent clients.")
    parser.add_argument(
        "--seconds", type=float, default=120.0, help="Time bound of each closed loop."
    )
    parser.add_argument("--sequential", type=int, default=50, help="One-alone requests.")
    parser.add_argument(
        "--repeats", type=int, default=3, help="Fresh servers per setup; the median counts."
    )
    parser.add_argument("--warmup", type=int, default=20, help="Warm-up requests, excluded.")
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[0, 2],
        help="Setups to run: solver processes (0: worker threads in the server process).",
    )
    parser.add_argument(
        "--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES), help="Requests."
    )
    parser.add_argument("--seed", type=int, default=0, help="Survey generator seed.")
    parser.add_argument("--out", type=Path, help=f"default {RESULTS.name}; stdout if --quick")
    parser.add_argument(
        "--quick", action="store_true", help="20 requests, 4 clients, one shape and setup."
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.clients, args.sequential, args.warmup = 20, 4, 5, 4
        args.processes, args.shapes, args.repeats = [1], ["mentoring"], 1
        args.seconds = min(args.seconds, 30.0)
    if min(args.requests, args.clients, args.sequential) < 1 or args.warmup < 0:
        parser.error("--requests, --clients and --sequential must be at least 1")

    started, loads, tick = datetime.now(UTC), os.getloadavg(), time.perf_counter()
    log(f"load average {' / '.join(f'{x:.2f}' for x in loads)} (1 / 5 / 15 min)")
    with tempfile.TemporaryDirectory(prefix="cohort-load-") as temp:
        directory = Path(temp)
        shapes = build_shapes(directory, args.seed, args.shapes)
        for shape in shapes:
            time_in_process(shape, 3 if args.quick else 20)
            log(f"{SHAPES[shape.name]} in process: "
                + ", ".join(f"{k} {v:.1f} ms" for k, v in shape.in_process.items()))  # fmt: skip
        bench = Bench(
            shapes=shapes,
            setups=args.processes,
            results=[],
            args={k: v for k, v in vars(args).items() if k != "out"},
            machine=machine(),
            started=started,
            loads=(loads[0], loads[1], loads[2]),
        )
        asyncio.run(run(bench, args, directory))
    bench.elapsed = time.perf_counter() - tick
    text = render(bench)
    out: Path | None = args.out if args.out is not None or args.quick else RESULTS
    if out is None:
        print(text)
    else:
        out.write_text(text, encoding="utf-8")
        log(f"wrote {out}")
    return 0 if all(r.load.done and not r.load.errors for r in bench.results) else 1


if __name__ == "__main__":
    sys.exit(main())
