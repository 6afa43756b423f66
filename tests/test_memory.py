"""Freed arrays go back to the system once ``return_freed_arrays`` has run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matcher.memory import TRIM_THRESHOLD, return_freed_arrays

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
