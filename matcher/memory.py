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
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: ``mallopt`` parameter number of the mmap threshold in glibc's ``malloc.h``.
_M_MMAP_THRESHOLD = -3
#: Arrays from this size up get their own mapping, returned to the system when freed.
MMAP_THRESHOLD = 4 << 20

_done = False


def return_freed_arrays() -> bool:
    """Fix glibc's mmap threshold (once per process); False where there is no glibc.

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
    return _done
