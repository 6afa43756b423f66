"""Nothing lost, nothing half-written: a `cohort-match run` killed while it solves or
while it writes, or stopped with Ctrl-C, leaves the previous results byte for byte and
nothing a user would see; the next run into the same folder succeeds and leaves no
hidden debris either."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from matcher.output import MARKER

CLI = [str(Path(sys.executable).with_name("cohort-match"))]
#: A survey big enough that a run lasts seconds (about 3.5 s here with --time-limit 1).
BIG = 2000
SMALL = 120


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@contextmanager
def big_run(work: Path, *, progress: bool = True) -> Iterator[subprocess.Popen[str]]:
    """The big survey's run into `results/`, its progress lines readable on stderr."""
    args = ["run", "big.csv", "-c", "big.toml", "-o", "results", "--time-limit", "1"]
    with subprocess.Popen(
        [*CLI, *args, *([] if progress else ["-q"])],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if progress else subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def surveys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small survey with its finished results, and a big one to interrupt."""
    root = tmp_path_factory.mktemp("interrupted")
    for name, size in (("small", SMALL), ("big", BIG)):
        done = cli("sample", "--size", size, "--seed", 3, "-o", f"{name}.csv", cwd=root)
        assert done.returncode == 0, done.stderr
    done = cli("run", "small.csv", "-c", "small.toml", "-o", "previous", "-q", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def work(surveys: Path, tmp_path: Path) -> Path:
    """A fresh folder holding both surveys and the previous results as `results/`."""
    for name in ("small", "big"):
        for suffix in (".csv", ".toml"):
            shutil.copy(surveys / f"{name}{suffix}", tmp_path)
    shutil.copytree(surveys / "previous", tmp_path / "results")
    return tmp_path


def wait_for_line(process: subprocess.Popen[str], prefix: str) -> None:
    """Read progress lines until one starts with ``prefix`` (the run is then mid-way)."""
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith(prefix):
            return
    pytest.fail(f"the run ended (exit {process.wait()}) before printing {prefix!r}")


def assert_untouched_and_clean(work: Path, before: dict[str, bytes], hidden_ok: bool) -> None:
    assert snapshot(work / "results") == before
    visible = sorted(p.name for p in work.iterdir() if not p.name.startswith("."))
    assert visible == ["big.csv", "big.toml", "results", "small.csv", "small.toml"]
    hidden = [p.name for p in work.iterdir() if p.name.startswith(".")]
    assert hidden_ok or not hidden, hidden


def assert_next_run_succeeds(work: Path) -> None:
    done = cli("run", "small.csv", "-c", "small.toml", "-o", "results", "-q", cwd=work)
    assert done.returncode == 0, done.stderr
    assert (work / "results" / MARKER).exists()
    # The killed run's staging folder is gone too: a dead process's, swept by the next.
    assert [p.name for p in work.iterdir() if p.name.startswith(".")] == []


def test_sigkill_while_solving_leaves_previous_results(work: Path) -> None:
    before = snapshot(work / "results")
    with big_run(work) as process:
        wait_for_line(process, "... solving mentoring")
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    assert_untouched_and_clean(work, before, hidden_ok=False)
    assert_next_run_succeeds(work)


def test_sigkill_while_writing_leaves_previous_results(work: Path) -> None:
    """Killed once its staging folder exists: some files written, the swap not done."""
    before = snapshot(work / "results")
    for _ in range(3):  # the write lasts a fraction of a second: retry if it was missed
        with big_run(work, progress=False) as process:
            while process.poll() is None and not list(work.glob(".results.staging-*")):
                time.sleep(0.001)
            process.send_signal(signal.SIGKILL)
            code = process.wait(timeout=30)
        if code == -signal.SIGKILL:
            break
        shutil.rmtree(work / "results")  # it finished first: put the previous back, retry
        (work / "results").mkdir()
        for name, content in before.items():
            (work / "results" / name).write_bytes(content)
    else:
        pytest.fail("the run always finished before it could be killed while writing")
    assert_untouched_and_clean(work, before, hidden_ok=True)
    assert_next_run_succeeds(work)


def test_ctrl_c_exits_130_saying_nothing_was_written(work: Path) -> None:
    before = snapshot(work / "results")
    with big_run(work) as process:
        wait_for_line(process, "... solving mentoring")
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        rest = process.stderr.read()
        assert process.wait(timeout=60) == 130
    assert "interrupted: nothing written; earlier results are untouched" in rest
    assert "Traceback" not in rest
    assert_untouched_and_clean(work, before, hidden_ok=False)
    assert_next_run_succeeds(work)
