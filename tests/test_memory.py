"""Freed arrays go back to the system once ``return_freed_arrays`` has run, and a track
that cannot fit in the memory available is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matcher import memory
from matcher.memory import TRIM_THRESHOLD, return_freed_arrays
from solvers import parallel

# Each script below runs in a fresh process after this start ("fixed": the thresholds
# set), and prints the MiB its arrays grew the process by, then the MiB still resident
# once they are freed.
_START = """
import sys
import numpy as np
if sys.argv[1] == "fixed":
    from matcher.memory import return_freed_arrays
    assert return_freed_arrays()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
"""

# Free a 16 MiB array (glibc then serves every array up to 16 MiB from its heap), make
# twenty 6 MiB arrays with a small live array after each, free the big ones: heap space
# below a live block stays resident, mapped arrays are unmapped.
_MAPPED = """
big = np.ones(16 << 17); del big
before = rss()
blocks, keepers = [], []
for _ in range(20):
    blocks.append(np.ones(6 << 17))
    keepers.append(np.ones(2000))
grown = rss() - before
del blocks
print(grown >> 20, (rss() - before) >> 20)
"""

# Make ``count`` 1 MiB arrays (below the mmap threshold: heap), free them all.
_HEAP = """
before = rss()
blocks = [np.ones(1 << 17) for _ in range(int(sys.argv[2]))]
grown = rss() - before
del blocks
print(grown >> 20, (rss() - before) >> 20)
"""

needs_glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not return_freed_arrays(),
    reason="mallopt is glibc's (Linux); elsewhere the allocator is left as it is",
)


def _grown_and_kept(script: str, *args: str) -> tuple[int, int]:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _START + script, *args], cwd=root, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    grown, kept = done.stdout.split()
    return int(grown), int(kept)


@needs_glibc
def test_freed_arrays_are_returned_only_with_the_fixed_threshold() -> None:
    grown, kept = _grown_and_kept(_MAPPED, "default")
    assert grown >= 75
    assert kept >= 75  # the default keeps what it freed: the test can fail
    grown, kept = _grown_and_kept(_MAPPED, "fixed")
    assert grown >= 75
    assert kept <= 5


@needs_glibc
def test_return_freed_arrays_is_idempotent() -> None:
    assert return_freed_arrays()
    assert return_freed_arrays()


@needs_glibc
def test_the_heap_keeps_a_few_freed_mib_for_the_next_arrays_and_no_more() -> None:
    """Up to the trim threshold, freed heap stays resident (no fresh page faults for the
    next blocks); past it, the heap gives it back."""
    grown, kept = _grown_and_kept(_HEAP, "fixed", "20")
    assert grown >= 18
    assert kept >= 18
    grown, kept = _grown_and_kept(_HEAP, "fixed", "60")
    assert grown >= 55
    assert kept <= (TRIM_THRESHOLD >> 20) + 2


# --- Will the candidate pairs fit? ----------------------------------------------------


def _system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> None:
    """A fake /proc/meminfo and cgroup files (v2: max, current; v1: limit, usage)."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(memory, "_MEMINFO", tmp_path / "meminfo")
    monkeypatch.setattr(memory, "_CGROUP_LIMITS", (
        (tmp_path / "max", tmp_path / "current"), (tmp_path / "limit", tmp_path / "usage"),
    ))  # fmt: skip


_MEMINFO = "MemTotal:  16000000 kB\nMemFree:  1000000 kB\nMemAvailable:  8000000 kB\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"meminfo": _MEMINFO}, 8_192_000_000),
        ({"meminfo": _MEMINFO, "max": "4000000000\n", "current": "1000000000\n"}, 3_000_000_000),
        ({"meminfo": _MEMINFO, "max": "max\n", "current": "1000000000\n"}, 8_192_000_000),
        ({"meminfo": _MEMINFO, "limit": "9223372036854771712", "usage": "5"}, 8_192_000_000),
        ({"meminfo": _MEMINFO, "limit": "2000000000", "usage": "500000000"}, 1_500_000_000),
        ({"meminfo": _MEMINFO, "max": "1000", "current": "4000"}, 0),
        ({"max": "4000000000", "current": "1000000000"}, 3_000_000_000),
        ({"meminfo": "MemTotal: 1 kB\n"}, None),
        ({}, None),
    ],
)
def test_available_memory_is_the_least_of_the_kernels_and_the_containers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], expected: int | None
) -> None:
    _system(tmp_path, monkeypatch, files)
    assert memory.available_bytes() == expected


def test_pairs_are_refused_only_past_the_memory_they_certainly_take() -> None:
    at_least = memory.PAIR_BYTES_AT_LEAST
    memory.check_pairs_fit(100, 100 * at_least)
    memory.check_pairs_fit(10**12, None)  # unknown: nothing checked
    with pytest.raises(memory.TooLargeError) as refused:
        memory.check_pairs_fit(101, 100 * at_least)
    assert (refused.value.pairs, refused.value.available) == (101, 100 * at_least)
    with pytest.raises(memory.TooLargeError, match=r"^about 813,582,959 candidate pairs need "
                       r"at least 26\.0 GB of memory; 23\.6 GB is available$"):  # fmt: skip
        memory.check_pairs_fit(813_582_959, 23_600_000_000, estimated=True)


def test_chunk_scratch_stays_below_the_mmap_threshold() -> None:
    """Chunked passes keep each int64 scratch array in the heap, which chunk after chunk
    reuses; from ``MMAP_THRESHOLD`` up every chunk would map and zero fresh pages."""
    assert parallel.SCRATCH_ARCS * 8 < memory.MMAP_THRESHOLD  # int64: 8 bytes
