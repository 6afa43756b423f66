"""Give freed arrays back to the operating system, so peak memory follows what is live.

glibc serves a large allocation with its own ``mmap`` (unmapped when freed) only above a
threshold, and it raises that threshold to the size of every such block freed, up to
32 MiB. After the first few arrays are freed, every later array of a few MiB (a block of
scores, a rule mask) therefore comes from the heap, whose freed space stays resident
while anything above it is live. A run of 10,000 x 2,000 reached 995 MiB that way,
against 929 MiB with the threshold fixed (measured with ``benchmarks/stage_worker.py``,
the same at 128 KiB and 1 MiB). The price is fresh pages (page faults) for each new array:
at 1 MiB a 10,000 x 2,000 run spent 3.6 s of its 11 s in the kernel. At 4 MiB, where
numpy starts asking for transparent huge pages (one fault per 2 MiB instead of per 4 KiB),
it spent 2.9 s, and scoring took 0.86 s instead of 1.21 s (medians of 3 alternated runs),
for a peak 15-35 MiB higher.

Fixing the mmap threshold also fixes the trim threshold at its 128 KiB default: freeing
the top of the heap returned everything above 128 KiB to the system, and the blocks of a
few MiB below the mmap threshold that scoring, pricing and the diagnosis make by the
hundred were faulted in afresh each time. Keeping up to 32 MiB of free heap per arena
took a 10,000 x 2,000 run from 660 k page faults and 3.1 s of kernel time to 390 k and
2.2 s: end to end 7.14 s against 6.14 s (medians of 3 alternated runs), for a peak
35-50 MiB higher (128 MiB: no faster, 65-85 MiB higher).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from pathlib import Path

#: ``mallopt`` parameter numbers of the trim and mmap thresholds in glibc's ``malloc.h``.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Arrays from this size up get their own mapping, returned to the system when freed.
MMAP_THRESHOLD = 4 << 20
#: Free space at the top of a heap, up to this much, stays for the next arrays.
TRIM_THRESHOLD = 32 << 20

_done = False


def return_freed_arrays() -> bool:
    """Fix glibc's mmap and trim thresholds (once per process); False where there is
    no glibc.

    Idempotent and cheap, so every entry point (``run``, ``match``) calls it.
    """
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other libcs have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    _done = bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and _done
    return _done


# --- Will the candidate pairs fit? ----------------------------------------------------

#: Bytes every candidate pair certainly takes while its track is solved: the graph's two
#: ends and score (8 bytes each) and the problem's weight (8). A run needs more than this
#: (scratch, the solver's subsets): about 63 bytes a pair at 131 M pairs
#: (``benchmarks/RESULTS.md``), so a track refused on this figure could not have fitted.
PAIR_BYTES_AT_LEAST = 32
#: What a run took per candidate pair at scale, for the message (40,000 x 8,000: 8.18 GB
#: at 131 M pairs, ``benchmarks/RESULTS.md``).
PAIR_BYTES_MEASURED = 63

#: Linux's view of memory the process can still take without swapping...
_MEMINFO = Path("/proc/meminfo")
#: ...and a container's limit and use (cgroup v2; v1 below).
_CGROUP_LIMITS = (
    (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")),
    (
        Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
        Path("/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ),
)


class TooLargeError(Exception):
    """A track's candidate pairs cannot fit in the memory available."""

    def __init__(self, pairs: int, available: int, *, estimated: bool) -> None:
        self.pairs = pairs
        self.available = available
        self.estimated = estimated
        super().__init__(
            f"{'about ' if estimated else ''}{pairs:,} candidate pairs need at least "
            f"{gigabytes(pairs * PAIR_BYTES_AT_LEAST)} of memory; {gigabytes(available)} "
            "is available"
        )


def gigabytes(n_bytes: int) -> str:
    """A size as people read it: GB with one decimal, MB below a GB."""
    return f"{n_bytes / 1e9:,.1f} GB" if n_bytes >= 1e9 else f"{n_bytes / 1e6:,.1f} MB"


def _number(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdecimal() else None  # cgroup v2 writes "max": no limit


def available_bytes() -> int | None:
    """Memory this process can still take: the kernel's MemAvailable, less where a
    container's limit leaves less; None where neither can be read (not Linux)."""
    found: list[int] = []
    try:
        for line in _MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
                break
    except (OSError, ValueError, IndexError):
        pass
    for limit_path, usage_path in _CGROUP_LIMITS:
        limit, usage = _number(limit_path), _number(usage_path)
        if limit is not None and usage is not None and limit < 1 << 60:  # v1: no limit
            found.append(max(0, limit - usage))
    return min(found) if found else None


def check_pairs_fit(pairs: int, available: int | None, *, estimated: bool = False) -> None:
    """Raise ``TooLargeError`` when ``pairs`` candidate pairs certainly cannot fit in
    ``available`` bytes (``available_bytes``; None: unknown, nothing is checked): a
    refusal in seconds, where the run would otherwise fill memory for minutes and be
    killed by the system with no word of why.

    An estimate a few percent high cannot refuse a run that fits: runs take about twice
    ``PAIR_BYTES_AT_LEAST`` per pair."""
    if available is not None and pairs * PAIR_BYTES_AT_LEAST > available:
        raise TooLargeError(pairs, available, estimated=estimated)
