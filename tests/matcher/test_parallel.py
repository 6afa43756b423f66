"""Threads for blocks and background stages: same results, errors surface, limits hold."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from matcher import parallel


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("3", 3), (" 2 ", 2)])
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
def test_start_gives_the_result_or_the_error(monkeypatch: pytest.MonkeyPatch, threads: str) -> None:
    monkeypatch.setenv(parallel.ENV, threads)
    here = threading.current_thread().name
    where = parallel.start(lambda: threading.current_thread().name)
    assert (where.result(timeout=10) == here) == (threads == "1")

    def fail() -> None:
        raise KeyError("background")

    with pytest.raises(KeyError, match="background"):
        parallel.start(fail).result(timeout=10)


def test_blas_runs_single_threaded_inside_and_as_before_after() -> None:
    np.ones((64, 64)) @ np.ones((64, 64))  # BLAS loaded
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    with parallel.blas_single_threaded():
        inside = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert inside == [1] * len(before)
    assert after == before
