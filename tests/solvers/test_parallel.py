"""Threads for blocks and background stages: same results, errors surface, limits hold."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from solvers import parallel


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("3", 3), (" 2 ", 2), ("500", 64)])
def test_the_environment_sets_the_threads(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: int
) -> None:
    monkeypatch.setenv(parallel.ENV, raw)
    assert parallel.threads() == expected


@pytest.mark.parametrize("raw", ["", "0", "-2", "two", "1.5"])
def test_a_bad_setting_falls_back_to_the_cores(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(parallel.ENV, raw)
    assert 1 <= parallel.threads() <= parallel.MAX_THREADS


@pytest.mark.parametrize("threads", ["1", "2", "4"])
def test_map_blocks_keeps_the_order_and_uses_the_threads(
    monkeypatch: pytest.MonkeyPatch, threads: str
) -> None:
    monkeypatch.setenv(parallel.ENV, threads)
    seen: set[str] = set()

    def work(k: int) -> int:
        seen.add(threading.current_thread().name)
        time.sleep(0.01 * (k % 3))  # later items finish first
        return k * k

    assert parallel.map_blocks(work, range(12)) == [k * k for k in range(12)]
    assert len(seen) <= int(threads)
    assert (len(seen) > 1) == (threads != "1")


def test_map_blocks_raises_what_a_block_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.ENV, "2")

    def work(k: int) -> int:
        if k == 5:
            raise ValueError("block 5")
        return k

    with pytest.raises(ValueError, match="block 5"):
        parallel.map_blocks(work, range(8))


@pytest.mark.parametrize("threads", ["1", "2"])
def test_pending_work_gives_its_result_or_its_error(
    monkeypatch: pytest.MonkeyPatch, threads: str
) -> None:
    monkeypatch.setenv(parallel.ENV, threads)
    started = threading.Event()
    calls: list[str] = []

    def work() -> str:
        started.set()
        calls.append(threading.current_thread().name)
        return calls[-1]

    pending = parallel.Pending(work)
    # On its own thread the work runs unasked; with one thread, only once asked.
    assert started.wait(timeout=10 if threads == "2" else 0.05) == (threads == "2")
    here = threading.current_thread().name
    assert (pending.result() == here) == (threads == "1")
    assert pending.result() == pending.result()
    assert len(calls) == 1

    def fail() -> None:
        raise KeyError("background")

    with pytest.raises(KeyError, match="background"):
        parallel.Pending(fail).result()


def test_a_run_has_one_blas_thread_quick_switches_no_cyclic_gc_then_as_before() -> None:
    np.ones((64, 64)) @ np.ones((64, 64))  # BLAS loaded
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    interval = sys.getswitchinterval()
    with parallel.run_threads():
        inside = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
        assert sys.getswitchinterval() == min(interval, parallel.SWITCH_INTERVAL)
        assert not gc.isenabled()
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert inside == [1] * len(before)
    assert after == before
    assert sys.getswitchinterval() == interval
    assert gc.isenabled()


def test_blocks_inside_blocks_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """A block that maps blocks of its own runs them itself on a pool thread (waiting on
    the pool from inside it could wait forever): the same results."""
    monkeypatch.setenv(parallel.ENV, "2")

    def outer(k: int) -> list[int]:
        return parallel.map_blocks(lambda j: k * 10 + j, range(5))

    expected = [[k * 10 + j for j in range(5)] for k in range(6)]
    assert parallel.map_blocks(outer, range(6)) == expected


def test_overlapping_runs_restore_the_settings_once_the_last_leaves() -> None:
    np.ones((64, 64)) @ np.ones((64, 64))  # BLAS loaded
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    interval = sys.getswitchinterval()
    first, second = parallel.run_threads(), parallel.run_threads()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first run ends while the second goes on
    still = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert still == [1] * len(before)
    assert sys.getswitchinterval() == min(interval, parallel.SWITCH_INTERVAL)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert after == before
    assert sys.getswitchinterval() == interval
    assert gc.isenabled()


def test_a_run_leaves_a_paused_collector_paused() -> None:
    """A caller that had turned the cyclic GC off itself finds it off after the run."""
    gc.disable()
    try:
        with parallel.run_threads():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_stopping_signals_background_work_only_when_the_block_fails() -> None:
    stop = threading.Event()
    with parallel.stopping(stop):
        parallel.check(stop)  # not set: goes on
    assert not stop.is_set()
    with pytest.raises(KeyError), parallel.stopping(stop):
        raise KeyError("explaining failed")
    assert stop.is_set()
    with pytest.raises(parallel.AbandonedError):
        parallel.check(stop)
    parallel.check(None)  # work started without a stop never ends early


# Ctrl-C lands just after a block thread has started, before it could be registered.
_INTERRUPTED_AT_START = """
import os, threading
os.environ["COHORT_MATCHER_THREADS"] = "2"
from solvers import parallel
real_start = threading.Thread.start
def start_then_interrupt(self):
    real_start(self)
    if self.name.startswith("matcher-blocks"):
        threading.Thread.start = real_start
        raise KeyboardInterrupt
threading.Thread.start = start_then_interrupt
try:
    parallel.map_blocks(lambda k: k, range(8))
except KeyboardInterrupt:
    print("interrupted")
"""


def test_ctrl_c_while_a_block_thread_starts_lets_the_process_exit() -> None:
    """A thread started as Ctrl-C lands never holds the interpreter up at exit (with
    ThreadPoolExecutor's threads this hung until killed)."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_AT_START],
        cwd=root, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "interrupted\n"), done.stderr
