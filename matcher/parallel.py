"""Independent whole-array work spread over the cores this process may use.

numpy releases the GIL inside its whole-array operations (ufuncs, fancy indexing, sorts,
matrix products), so plain threads run blocks of scoring, or two stages that do not
depend on each other, at the same time: no copies between processes, and the same
results in the same order as one thread (each block writes only its own slice).
``COHORT_MATCHER_THREADS=1`` turns it off; the server's solver processes, one per core
already, run with one thread each.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from threadpoolctl import ThreadpoolController

#: Environment variable: how many threads one run may use (default: its cores, at most
#: ``MAX_THREADS``).
ENV = "COHORT_MATCHER_THREADS"
#: Past a few threads the blocks wait on memory bandwidth, and each holds its own
#: scratch buffers (about 60 MB a block at 10,000 x 2,000).
MAX_THREADS = 4

T = TypeVar("T")
R = TypeVar("R")


def threads() -> int:
    """Threads a run may use: ``COHORT_MATCHER_THREADS`` when set to a whole number >= 1,
    else the CPUs this process may use (a container's limit), at most ``MAX_THREADS``."""
    raw = os.environ.get(ENV, "").strip()
    if raw.isdecimal() and int(raw) >= 1:
        return int(raw)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_THREADS, cores or 1))


def map_blocks(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[work(item) for item in items]``, on up to ``threads()`` threads, in order.

    The first exception raised by any item is raised here, after the running items end.
    """
    n = min(threads(), len(items))
    if n <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="matcher-blocks") as pool:
        return list(pool.map(work, items))


def start(work: Callable[[], R]) -> Future[R]:
    """``work()`` on its own thread while the caller goes on; ``.result()`` waits for it
    and re-raises what it raised. With one thread allowed it runs here, at once."""
    future: Future[R] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to whoever waits on the result
            future.set_exception(exc)

    if threads() <= 1:
        run()
    else:
        threading.Thread(target=run, name="matcher-background", daemon=True).start()
    return future


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # finds the BLAS libraries loaded (numpy's): ~2 ms, once


@contextmanager
def blas_single_threaded() -> Iterator[None]:
    """One BLAS thread inside: our blocks are the threads. OpenBLAS's own threads spin
    between calls and took the second core from them: scoring 10,000 x 2,000 on two
    threads took 0.85 s with two BLAS threads, 0.65 s with one (each block's product is
    small: a block's goals x topics). The caller's setting comes back on leaving."""
    with _blas().limit(limits=1, user_api="blas"):
        yield
