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
