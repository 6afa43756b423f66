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
import gc
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from threadpoolctl import ThreadpoolController

#: Environment variable: how many threads one run may use (default: its cores, at most
#: ``MAX_THREADS``).
ENV = "COHORT_MATCHER_THREADS"
#: Past a few threads the blocks wait on memory bandwidth, and each holds its own
#: scratch buffers (about 60 MB a block at 10,000 x 2,000).
MAX_THREADS = 4
#: The most threads ``COHORT_MATCHER_THREADS`` can ask for: the shared pool's size (it
#: starts them only as calls need them).
_POOL_SIZE = 64

T = TypeVar("T")
R = TypeVar("R")


def threads() -> int:
    """Threads a run may use: ``COHORT_MATCHER_THREADS`` when set to a whole number >= 1
    (at most 64), else the CPUs this process may use (a container's limit), at most
    ``MAX_THREADS``."""
    raw = os.environ.get(ENV, "").strip()
    if raw.isdecimal() and int(raw) >= 1:
        return min(int(raw), _POOL_SIZE)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_THREADS, cores or 1))


#: Arcs a chunked pass over every arc reads at once. Each array of its scratch (2 MiB of
#: int64) stays below the 4 MiB from which ``matcher.memory`` has glibc map arrays afresh,
#: so chunk after chunk reuses the heap's pages; at 1 << 20 every chunk was new pages for
#: the kernel to zero. Moving pricing, top arcs, blocking pairs and the diagnosis's
#: searches from 1 << 20 to this took a 10,000 x 2,000 run from 3.65-4.19 s (median
#: 3.80) to 3.36-3.66 s (3.51), kernel time 1.62 -> 1.28 s, peak 858-900 -> 831-841 MiB
#: (5 alternated runs each).
SCRATCH_ARCS = 1 << 18


def chunks(n: int, size: int) -> list[slice]:
    """``0..n`` as consecutive slices of ``size`` (the last shorter): the blocks to map."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


_in_pool = threading.local()


class _Workers:
    """Daemon threads that run submitted work, started as the work in flight needs them
    (up to ``_POOL_SIZE``), each taking the next piece when it is done with one.

    Not ``concurrent.futures.ThreadPoolExecutor``: its threads are not daemons, and one
    started but not yet registered when Ctrl-C's KeyboardInterrupt lands in the thread
    that submitted is never told to stop, so the interpreter waited for it forever at
    exit (a Ctrl-C at the start of the solve hung the second of twelve tries on a busy
    machine). Daemon threads never hold the process up.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._idle = threading.Semaphore(0)  # one token per piece of work finished

    def submit(self, work: Callable[[], R]) -> Future[R]:
        future: Future[R] = Future()
        self._queue.put((work, future))
        if self._idle.acquire(blocking=False):
            return future  # a thread is free, or about to be
        with self._lock:
            if self._started < _POOL_SIZE:
                self._started += 1
                name = f"matcher-blocks_{self._started}"
                threading.Thread(target=self._serve, name=name, daemon=True).start()
        return future

    def _serve(self) -> None:
        _in_pool.worker = True
        while True:
            work, future = self._queue.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(work())
                except BaseException as exc:  # handed to whoever waits on the result
                    future.set_exception(exc)
            self._idle.release()


_pool_lock = threading.Lock()
_pool: _Workers | None = None


def _shared_pool() -> _Workers:
    """One pool for the process (a new pool per call cost more than small calls' work)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _Workers()
        return _pool


def map_blocks(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[work(item) for item in items]``, on up to ``threads()`` threads, in order.

    The first exception raised by any item is raised here, once every item has ended.
    Called from one of the pool's own threads it runs in that thread: a block waiting
    for blocks queued behind it would wait forever.
    """
    n = min(threads(), len(items))
    if n <= 1 or getattr(_in_pool, "worker", False):
        return [work(item) for item in items]
    # n workers at most, each taking the next item: the caller is one of them.
    pool = _shared_pool()
    pending = iter(range(len(items)))
    lock = threading.Lock()
    results: list[R | None] = [None] * len(items)

    def drain() -> None:
        while True:
            with lock:
                k = next(pending, None)
            if k is None:
                return
            results[k] = work(items[k])

    helpers = [pool.submit(drain) for _ in range(n - 1)]
    error: BaseException | None = None
    try:
        drain()
    except BaseException as exc:  # raised after the helpers end, like theirs
        error = exc
        with lock:
            pending = iter(())
    for helper in helpers:
        try:
            helper.result()
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error
    return results  # type: ignore[return-value]  # every slot was filled


class Pending(Generic[R]):
    """``work()`` started on its own thread while the caller goes on; with one thread
    allowed, run by the first ``result()`` instead, so the order of work is as written.
    ``result()`` waits for it and re-raises what it raised."""

    def __init__(self, work: Callable[[], R]) -> None:
        self._work = work
        self._future: Future[R] = Future()
        self._threaded = threads() > 1
        if self._threaded:
            threading.Thread(target=self._run, name="matcher-background", daemon=True).start()

    def _run(self) -> None:
        if not self._future.set_running_or_notify_cancel():
            return
        try:
            self._future.set_result(self._work())
        except BaseException as exc:  # handed to whoever waits on the result
            self._future.set_exception(exc)

    def result(self) -> R:
        if not self._threaded and not self._future.done():
            self._run()
        return self._future.result()


class AbandonedError(RuntimeError):
    """Raised in background work whose caller has failed (``stopping``): it ends there."""


def check(stop: threading.Event | None) -> None:
    """Raise ``AbandonedError`` once ``stop`` is set; a long piece of ``Pending`` work calls it
    between its steps."""
    if stop is not None and stop.is_set():
        raise AbandonedError("the run this work was for has failed")


@contextmanager
def stopping(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` if the block raises: ``Pending`` work started in it for the block's
    result (a track's near misses and fixes) then ends at its next ``check`` instead of
    running on, unread, beside whatever the process does next."""
    try:
        yield
    except BaseException:
        stop.set()
        raise


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # finds the BLAS libraries loaded (numpy's): ~2 ms, once


#: GIL switch interval while a run's threads overlap (Python's default is 5 ms).
SWITCH_INTERVAL = 0.0005


class _CollectorPause:
    """Pauses the cyclic garbage collector while a run or a survey read goes on.

    Both allocate hundreds of thousands of containers that stay alive to the end, and
    make next to no reference cycles (intake none, a test checks; a run on the sample a
    few hundred objects' worth), so every collection in between is wasted: the full ones
    rescan the whole process, and took half the read time of a 12,000-row survey.
    Reference counting still frees everything, and cycles made meanwhile are collected
    once the collector runs again. It is process-wide and the API reads surveys and runs
    in threads, so pauses nest and the collector resumes, if it was running, when the
    last one ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


collector_paused = _CollectorPause()


_settings_lock = threading.Lock()
_runs = 0
_saved: tuple[float, Any] | None = None  # switch interval and BLAS limiter to restore


@contextmanager
def run_threads() -> Iterator[None]:
    """Settings for a run whose threads are ours, restored when the last run leaves
    (runs in several threads of one process overlap: each restoring what it found would
    leave the settings of whichever started second).

    One BLAS thread: OpenBLAS's own threads spin between calls and took the second core
    from our blocks (scoring 10,000 x 2,000 on two threads: 0.85 s with two BLAS threads,
    0.65 s with one; each block's product, goals x topics, is small). A 0.5 ms GIL switch
    interval: a thread of numpy calls gets the GIL back after each call sooner while the
    other thread runs Python (the fixes of that run, beside the explanations: 2.2-2.4 s
    instead of 2.7 s; 1.7 s alone).

    The cyclic garbage collector pauses (``collector_paused``) for the whole run, not only
    for reading: scoring, solving and explaining make millions of objects too (pairs,
    reasons, alternates). At 10,000 x 2,000 the collections were about 8% of the CPU:
    end to end 7.52 s against 6.68 s paused (medians of 3 alternated runs), same peak."""
    global _runs, _saved
    with _settings_lock:
        if _runs == 0:
            interval = sys.getswitchinterval()
            _saved = (interval, _blas().limit(limits=1, user_api="blas"))
            sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
        _runs += 1
    try:
        with collector_paused():
            yield
    finally:
        with _settings_lock:
            _runs -= 1
            if _runs == 0 and _saved is not None:
                interval, limiter = _saved
                _saved = None
                limiter.restore_original_limits()
                sys.setswitchinterval(interval)
